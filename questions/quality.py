"""Checks that keep a question bank worth practising, beyond its schema."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import combinations
from typing import Final

from questions.schema import Question
from questions.stopwords import STOP_WORDS

NEAR_DUPLICATE_RATIO: Final[float] = 0.8
_WORD = re.compile(r"[^\W_]+")


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


def near_duplicates(
    questions: Sequence[Question], threshold: float = NEAR_DUPLICATE_RATIO
) -> list[NearDuplicate]:
    """Pairs of questions whose texts, without stop words, are at least `threshold` similar."""
    texts = [(q, _normalised(q.text)) for q in questions]
    found: list[NearDuplicate] = []
    for (a, ta), (b, tb) in combinations(texts, 2):
        matcher = SequenceMatcher(None, ta, tb, autojunk=False)
        # quick_ratio is an upper bound: skip the exact ratio for clearly different pairs.
        if matcher.quick_ratio() >= threshold and (ratio := matcher.ratio()) >= threshold:
            found.append(NearDuplicate(a, b, ratio))
    return found
