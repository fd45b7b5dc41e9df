"""Assess a typed answer against a question's talking points.

Matching is literal but forgiving: words are casefolded and stemmed (Snowball,
English) so "stakeholders" matches "stakeholder" and "migrating" matches
"migrate"; a phrase counts when its stemmed words appear in a row in the answer.
Phrases are compiled once per bank, so an answer costs one tokenisation.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

from questions.schema import Question

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_stemmer = snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return str(_stemmer.stemWord(word))


def words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def stemmed(text: str) -> str:
    """Space-padded stems, so a phrase match is a substring test on word boundaries."""
    return " " + " ".join(_stem(w) for w in words(text)) + " "


@dataclass(frozen=True, slots=True)
class Feedback:
    labels: tuple[str, ...]
    covered: tuple[int, ...]
    word_count: int

    @property
    def total(self) -> int:
        return len(self.labels)

    @property
    def covered_labels(self) -> list[str]:
        return [self.labels[i] for i in self.covered]

    @property
    def missed_labels(self) -> list[str]:
        return [label for i, label in enumerate(self.labels) if i not in self.covered]


class FeedbackMatcher:
    def __init__(self, questions: tuple[Question, ...] | list[Question]) -> None:
        self._phrases: dict[str, list[tuple[str, ...]]] = {
            q.id: [tuple(s for m in tp.match if (s := stemmed(m).strip())) for tp in q.talking_points]
            for q in questions
        }

    def assess(self, question: Question, answer: str) -> Feedback:
        tokens = words(answer)
        haystack = " " + " ".join(_stem(w) for w in tokens) + " "
        phrases = self._phrases.get(question.id)
        if phrases is None:  # a question added after the matcher was built
            phrases = [tuple(stemmed(m).strip() for m in tp.match) for tp in question.talking_points]
        covered = tuple(i for i, options in enumerate(phrases) if any(f" {p} " in haystack for p in options))
        return Feedback(tuple(tp.label for tp in question.talking_points), covered, len(tokens))

    def covered_for(self, question: Question, covered: tuple[int, ...]) -> Feedback:
        """Rebuild a stored assessment without re-reading the answer."""
        return Feedback(tuple(tp.label for tp in question.talking_points), covered, 0)
