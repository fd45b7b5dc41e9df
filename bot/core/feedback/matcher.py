"""The entry point: `FeedbackMatcher(questions).assess(question, answer)` returns a Feedback.

Phrases, hints and the glossary are compiled once per bank; an answer then costs one
tokenisation, a key index and a few dictionary look-ups per phrase.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.feedback.matching import Hit, find, index_keys, listed_tokens, mention, negation_marks
from bot.core.feedback.model import Feedback, PointResult, PointStatus
from bot.core.feedback.quote import quote
from bot.core.feedback.signals import Glossary, analyse_signals
from bot.core.feedback.star import analyse_star
from bot.core.feedback.suggest import suggest
from bot.core.feedback.text import Token, phrase_keys, tokenize, variants
from questions.schema import Question, TalkingPoint
from questions.stopwords import common_single_word, stop_words_only
from questions.topics import TOPICS

_NEGATING_LABEL = re.compile(r"\b(not|no|never|without)\b|n't", re.IGNORECASE)
_SPLIT_TERMS = re.compile(r"\s+(?:and|&)\s+|,\s*")


# A point about doing something with others ("Estimate with the team") is not made by doing
# it alone: "I do the estimates myself".
_SHARED_WORK = frozenset(phrase_keys("team together jointly with collaboratively"))
_ALONE = frozenset("myself alone single-handedly".split())


@dataclass(frozen=True, slots=True)
class _Point:
    label: str
    phrases: tuple[tuple[str, ...], ...]
    hint: str
    shared_work: bool


def _hint(point: TalkingPoint, phrases: tuple[tuple[str, ...], ...], question: Question) -> str:
    """The point's own hint, else the model-answer line that says it best."""
    if point.hint:
        return point.hint
    wanted = {k for phrase in phrases for k in phrase} | set(phrase_keys(point.label))
    best, best_score = "", 0
    for line in question.model_answer:
        tokens = tokenize(line)
        positions = index_keys(tokens)
        said = sum(1 for phrase in phrases if find(tokens, positions, phrase))
        overlap = len(wanted & set(positions))
        score = said * 100 + overlap
        if score > best_score:
            best, best_score = line, score
    return best


def _label_phrases(label: str) -> tuple[tuple[str, ...], ...]:
    """A label is something a candidate may say too: "Rollback criteria" (unless it is negative)."""
    if _NEGATING_LABEL.search(label):
        return ()
    if stop_words_only(label) or common_single_word(label):
        return ()
    return (phrase_keys(label),)


def _compile(question: Question) -> tuple[_Point, ...]:
    points = []
    for tp in question.talking_points:
        phrases = tuple(keys for m in tp.match if (keys := phrase_keys(m)))
        phrases += tuple(dict.fromkeys(v for keys in phrases for v in variants(keys) if v not in phrases))
        phrases += _label_phrases(tp.label)
        shared_work = not _SHARED_WORK.isdisjoint(phrase_keys(tp.label))
        points.append(_Point(tp.label, phrases, _hint(tp, phrases, question), shared_work))
    return tuple(points)


def glossary_terms(questions: Sequence[Question]) -> list[str]:
    """IT project management terms: the bank's skills and its topic names' parts."""
    terms = [skill for q in questions for skill in q.skills]
    terms += [part for name in TOPICS.values() for part in _SPLIT_TERMS.split(name.lower()) if part]
    # "team" or "delivery" alone says nothing about the job: only distinctive terms count.
    return [term for term in terms if not common_single_word(term)]


_SHARED_BANKS = 8
_SHARED: dict[int, tuple[tuple[Question, ...], "FeedbackMatcher"]] = {}


class FeedbackMatcher:
    def __init__(self, questions: tuple[Question, ...] | list[Question]) -> None:
        # Compiled on a question's first answer (about 1 ms each), not for the whole bank at
        # start-up, where it was a quarter of the time before the bot took its first update.
        self._points: dict[str, tuple[_Point, ...]] = {}
        self._glossary = Glossary(glossary_terms(questions))

    @classmethod
    def shared(cls, questions: tuple[Question, ...]) -> "FeedbackMatcher":
        """One matcher per loaded bank: what it has compiled (0.3 s of CPU for the whole bank)
        is shared by every Services built over the same bank (each process once, each test many
        times). Keyed by identity, since questions are not hashable."""
        hit = _SHARED.get(id(questions))
        if hit is not None and hit[0] is questions:
            return hit[1]
        matcher = cls(questions)
        if len(_SHARED) >= _SHARED_BANKS:
            del _SHARED[next(iter(_SHARED))]
        # The entry keeps the tuple alive, so its id cannot be reused by another bank.
        _SHARED[id(questions)] = (questions, matcher)
        return matcher

    def _compiled(self, question: Question) -> tuple[_Point, ...]:
        points = self._points.get(question.id)
        if points is None:
            points = self._points[question.id] = _compile(question)
        return points

    def assess(self, question: Question, answer: str) -> Feedback:
        """The full analysis of one answer: points, STAR, signals, a suggested rating."""
        tokens = tokenize(answer)
        positions = index_keys(tokens)
        listed = listed_tokens(answer, tokens)
        points = self._points_of(question, answer, tokens, positions, listed)
        covered = tuple(i for i, p in enumerate(points) if p.status == "covered")
        star = None
        if question.kind == "behavioural":
            star = analyse_star(answer, tokens, positions, question.star, listed)
        signals = analyse_signals(question.kind, tokens, positions, self._glossary)
        n_listed = sum(p.status == "listed" for p in points)
        n_negated = sum(p.status == "negated" for p in points)
        suggestion = suggest(len(covered), len(points), n_listed, n_negated, star, signals)
        labels = tuple(tp.label for tp in question.talking_points)
        return Feedback(labels, covered, len(tokens), points, star, signals, suggestion)

    analyse = assess

    def _points_of(
        self,
        question: Question,
        answer: str,
        tokens: list[Token],
        positions: dict[str, list[int]],
        listed: list[bool],
    ) -> tuple[PointResult, ...]:
        marks = negation_marks(tokens, answer)
        results = []
        for point in self._compiled(question):
            hits = [
                Hit(where.start, where.stop - 1, mention(tokens, marks, listed, where))
                for phrase in point.phrases
                for where in find(tokens, positions, phrase)
            ]
            if point.shared_work:
                hits = [_alone(tokens, h) for h in hits]
            if any(h.mention == "negated" for h in hits):
                hits = [_conditional(tokens, h) for h in hits]
            status: PointStatus = "missed"
            evidence = ""
            for wanted, as_status in (("affirmed", "covered"), ("negated", "negated"), ("listed", "listed")):
                chosen = [h for h in hits if h.mention == wanted]
                if chosen:
                    first = min(chosen, key=lambda h: (h.first, -h.last))
                    status = as_status  # type: ignore[assignment]
                    # A negated quote reaches back to show the negation itself.
                    context = 3 if wanted == "negated" else 2
                    evidence = quote(answer, tokens, first.first, first.last, context)
                    break
            hint = "" if status == "covered" else point.hint
            results.append(PointResult(point.label, status, evidence, hint))
        return tuple(results)


def _clause_start(tokens: list[Token], at: int) -> int:
    """The first token of the clause holding token `at`."""
    while at > 0 and tokens[at - 1].clause == tokens[at].clause:
        at -= 1
    return at


def _alone(tokens: list[Token], hit: Hit) -> Hit:
    """An affirmed mention done "myself" in its clause is negated for a point about teamwork."""
    if hit.mention != "affirmed":
        return hit
    clause = tokens[hit.first].clause
    j = _clause_start(tokens, hit.first)
    while j < len(tokens) and tokens[j].clause == clause:
        if tokens[j].word in _ALONE or (tokens[j].word == "own" and tokens[j - 1].word == "my"):
            return Hit(hit.first, hit.last, "negated")
        j += 1
    return hit


_CONDITIONS = frozenset("if unless".split())


def _conditional(tokens: list[Token], hit: Hit) -> Hit:
    """A point the answer negates is not rescued by a mention in an "if" clause: "I wouldn't
    prepare a rollback; if you plan to roll back you've already lost"."""
    if hit.mention != "affirmed":
        return hit
    start = _clause_start(tokens, hit.first)
    return Hit(hit.first, hit.last, "negated") if tokens[start].word in _CONDITIONS else hit
