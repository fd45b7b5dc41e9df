"""Answer signals, like Interview Warmup's insights: length, fillers, job terms, repeats."""

from collections import Counter
from collections.abc import Sequence
from typing import Final

from bot.core.feedback.matching import find
from bot.core.feedback.model import Length, Signals
from bot.core.feedback.text import Token, phrase_keys
from questions.stopwords import STOP_WORDS

# Words a typed answer of each kind of question needs: long enough for an example or a
# method with its reasons, short enough to read aloud in about two minutes.
RECOMMENDED_WORDS: Final[dict[str, tuple[int, int]]] = {
    "behavioural": (150, 350),
    "situational": (100, 300),
    "technical": (80, 250),
    "background": (100, 300),
}
_DEFAULT_RANGE: Final = (80, 300)
FILLERS: Final = (
    "basically",
    "actually",
    "literally",
    "kind of",
    "sort of",
    "i guess",
    "i suppose",
    "i think",
    "maybe",
    "probably",
    "perhaps",
    "hopefully",
    "you know",
    "i mean",
    "stuff",
    "and so on",
    "etc",
    "somehow",
    "more or less",
    "to be honest",
    "honestly",
    "pretty much",
    "a bit",
    "obviously",
)
_FILLER_WORDS: Final = tuple(tuple(f.split()) for f in FILLERS)
_FILLER_FIRST: Final = frozenset(parts[0] for parts in _FILLER_WORDS)
_NOT_REPEATS: Final = STOP_WORDS | frozenset(
    "i'd i'm i've i'll we'd we're we've we'll it's that's don't didn't also like really make made get "
    "got one two three need needed way lot thing things".split()
)
MAX_TERMS: Final = 8
MAX_REPEATED: Final = 3
MIN_REPEATS: Final = 3


class Glossary:
    """IT project management terms (the bank's skills and topics), compiled once."""

    def __init__(self, terms: Sequence[str]) -> None:
        seen: dict[tuple[str, ...], str] = {}
        for term in terms:
            keys = phrase_keys(term)
            if keys and keys not in seen:
                seen[keys] = term.strip().lower()
        self._terms = tuple(seen.items())

    def __len__(self) -> int:
        return len(self._terms)

    def used(self, tokens: Sequence[Token], positions: dict[str, list[int]]) -> tuple[str, ...]:
        found: list[tuple[int, str]] = []
        for keys, term in self._terms:
            hits = find(tokens, positions, keys)
            if hits:
                found.append((hits[0].start, term))
        found.sort()
        # A term inside a longer one found at the same place ("risk" in "risk register") is dropped.
        kept: list[str] = []
        for _, term in found:
            if not any(term in other for other in kept) and term not in kept:
                kept = [k for k in kept if k not in term] + [term]
        return tuple(kept[:MAX_TERMS])


def length_of(kind: str, word_count: int) -> tuple[tuple[int, int], Length]:
    low, high = RECOMMENDED_WORDS.get(kind, _DEFAULT_RANGE)
    length: Length = "short" if word_count < low else "long" if word_count > high else "ok"
    return (low, high), length


def analyse_signals(
    kind: str, tokens: Sequence[Token], positions: dict[str, list[int]], glossary: Glossary
) -> Signals:
    recommended, length = length_of(kind, len(tokens))
    words = [t.word for t in tokens]
    starts: dict[str, list[int]] = {}
    for i, word in enumerate(words):
        if word in _FILLER_FIRST:
            starts.setdefault(word, []).append(i)
    fillers: Counter[str] = Counter()
    for phrase, parts in zip(FILLERS, _FILLER_WORDS, strict=True):
        n = len(parts)
        count = sum(1 for i in starts.get(parts[0], ()) if tuple(words[i : i + n]) == parts)
        if count:
            fillers[phrase] = count
    counts: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for t in tokens:
        if t.word in _NOT_REPEATS or len(t.word) < 3 or t.word.isdigit():
            continue
        counts[t.key] += 1
        shown.setdefault(t.key, t.word)
    repeated = tuple(
        (shown[k], n)
        for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], shown[kv[0]]))
        if n >= MIN_REPEATS
    )[:MAX_REPEATED]
    return Signals(
        word_count=len(tokens),
        recommended=recommended,
        length=length,
        fillers=tuple(sorted(fillers.items(), key=lambda kv: (-kv[1], kv[0]))),
        terms=glossary.used(tokens, positions),
        repeated=repeated,
    )
