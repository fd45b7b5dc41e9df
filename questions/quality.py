"""Checks that keep a question bank worth practising, beyond its schema.

Near-duplicates are pairs whose texts, without stop words, are at least 80% alike by difflib's
SequenceMatcher ratio. Comparing every pair is quadratic (2,000 questions took a minute), so
`near_duplicates` compares only candidate pairs, found through an index:

- each text is reduced to its word stems, a word's first four letters, which survive plurals
  and inflections ("risks"/"risk", "managing"/"manage");
- stems are ordered rarest first over the whole bank, and a text is indexed under the first
  n - ceil(0.4 n) + 1 of its n stems (prefix filtering: two texts that share at least 40% of
  their stems always share one of those), so common stems like "proj" are rarely looked up;
- a pair found there is compared only if its lengths allow the ratio (which is at most
  2 * shorter / both) and it does share 40% of the stems of the text with more;
- texts with one stem or none are compared with every text of a compatible length instead.

The one assumption is that texts at least 80% alike share 40% of their stems: 20% of the
characters is about a word in five, and a changed ending keeps the stem (at half the stems,
one pair in 600 heavily reworded copies of the bank was missed; at 40%, none).
`near_duplicates_by_every_pair`, the plain quadratic check, is kept as the reference: the tests
and bench/validate_bank.py check that both find the same pairs on the real bank and on
generated ones.
"""

import re
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import combinations
from math import ceil
from typing import Final

from questions.schema import Question
from questions.stopwords import STOP_WORDS

NEAR_DUPLICATE_RATIO: Final[float] = 0.8
_WORD = re.compile(r"[^\W_]+")
_STEM_LETTERS: Final = 4
# Texts at least 80% alike share at least this part of their stems (of the text with more):
# at 0.5, one pair in 600 heavily reworded copies of the bank was missed; at 0.4, none.
_SHARED: Final = 0.4
# A text with at most this many stems has no prefix worth indexing: compared by length alone.
_FEW_STEMS: Final = 1


def _normalised(text: str) -> str:
    return " ".join(w for w in _WORD.findall(text.casefold()) if w not in STOP_WORDS)


@dataclass(frozen=True, slots=True)
class NearDuplicate:
    first: Question
    second: Question
    ratio: float

    def __str__(self) -> str:
        return (
            f"questions '{self.first.id}' and '{self.second.id}' read almost alike "
            f"({self.ratio:.0%} similar): {self.first.text!r} / {self.second.text!r}"
        )


def near_duplicates_by_every_pair(
    questions: Sequence[Question], threshold: float = NEAR_DUPLICATE_RATIO
) -> list[NearDuplicate]:
    """The reference: every pair compared, as the check was first written (quadratic)."""
    texts = [(q, _normalised(q.text)) for q in questions]
    found: list[NearDuplicate] = []
    for (a, ta), (b, tb) in combinations(texts, 2):
        matcher = SequenceMatcher(None, ta, tb, autojunk=False)
        if matcher.quick_ratio() >= threshold and (ratio := matcher.ratio()) >= threshold:
            found.append(NearDuplicate(a, b, ratio))
    return found


def near_duplicates(
    questions: Sequence[Question], threshold: float = NEAR_DUPLICATE_RATIO
) -> list[NearDuplicate]:
    """Pairs of questions whose texts, without stop words, are at least `threshold` similar,
    in the order of the questions (first by the earlier question, then by the later one)."""
    if threshold < NEAR_DUPLICATE_RATIO:
        # The index's assumption is made for 80%; looser checks compare every pair.
        return near_duplicates_by_every_pair(questions, threshold)
    texts = [_normalised(q.text) for q in questions]
    found = sorted(_alike(texts, _candidates(texts, threshold), threshold))
    return [NearDuplicate(questions[i], questions[j], r) for i, j, r in found]


def _may_reach(first: int, second: int, threshold: float) -> bool:
    """Whether texts of these lengths can be `threshold` alike: the ratio is 2 * matches / total,
    and at most the shorter text matches (difflib's own arithmetic, so the bound is exact)."""
    total = first + second
    return total == 0 or 2.0 * min(first, second) / total >= threshold


def _candidates(texts: Sequence[str], threshold: float) -> set[tuple[int, int]]:
    """Pairs (i, j), i < j, worth comparing: see the module docstring."""
    stems = [frozenset(word[:_STEM_LETTERS] for word in text.split()) for text in texts]
    frequency = Counter(stem for text_stems in stems for stem in text_stems)
    lengths = [len(text) for text in texts]
    shared = [ceil(len(text_stems) * _SHARED) for text_stems in stems]  # stems it must share
    postings: defaultdict[str, list[int]] = defaultdict(list)
    pairs: set[tuple[int, int]] = set()
    few: list[int] = []
    for j, text_stems in enumerate(stems):
        if len(text_stems) <= _FEW_STEMS:
            few.append(j)
            continue
        ordered = sorted(text_stems, key=lambda stem: (frequency[stem], stem))
        earlier: set[int] = set()
        for stem in ordered[: len(ordered) - shared[j] + 1]:
            posting = postings[stem]
            earlier.update(posting)
            posting.append(j)
        # The filters inline: this loop runs for millions of pairs in a 30,000-question bank.
        # The length window is the ratio's bound (see _may_reach) solved for the other length,
        # widened a hair so rounding can only let a pair through, never keep one out.
        size, need = lengths[j], shared[j]
        low, high = size * threshold / (2 - threshold) - 1e-6, size * (2 - threshold) / threshold + 1e-6
        pairs.update(
            (i, j)
            for i in earlier
            if low <= lengths[i] <= high
            and len(text_stems & stems[i]) >= (need if need > shared[i] else shared[i])
        )
    pairs.update(_by_length(few, lengths, threshold))
    return pairs


def _by_length(few: Iterable[int], lengths: Sequence[int], threshold: float) -> set[tuple[int, int]]:
    """Each of `few` paired with every text whose length allows the ratio."""
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    ordered_lengths = [lengths[k] for k in order]
    pairs: set[tuple[int, int]] = set()
    for k in few:
        size = lengths[k]
        # The exact check follows; these bounds only need to be wide enough.
        low = bisect_left(ordered_lengths, size * threshold / (2 - threshold) - 1)
        high = bisect_right(ordered_lengths, size * (2 - threshold) / threshold + 1)
        for other in order[low:high]:
            if other != k and _may_reach(size, lengths[other], threshold):
                pairs.add((min(k, other), max(k, other)))
    return pairs


def _alike(
    texts: Sequence[str], pairs: Iterable[tuple[int, int]], threshold: float
) -> list[tuple[int, int, float]]:
    """(i, j, ratio) for the pairs at least `threshold` alike, in no particular order."""
    found: list[tuple[int, int, float]] = []
    # SequenceMatcher(None, a, b) learns about b once (set_seq2): pairs are taken by their
    # second text, so one matcher serves all the pairs of each.
    matcher = SequenceMatcher(None, "", "", autojunk=False)
    second: int | None = None
    for j, i in sorted((j, i) for i, j in pairs):
        if second != j:
            matcher.set_seq2(texts[j])
            second = j
        matcher.set_seq1(texts[i])
        # quick_ratio is an upper bound: skip the exact ratio for clearly different pairs.
        if matcher.quick_ratio() >= threshold and (ratio := matcher.ratio()) >= threshold:
            found.append((i, j, ratio))
    return found
