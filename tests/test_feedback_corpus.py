"""The feedback engine against labelled answers written as candidates speak.

tests/feedback_corpus/dev/ is the development part: match phrases and rules may be tuned
against it. tests/feedback_corpus/test/ is held out: only this file reads it, and nothing is
tuned against its answers. Both parts are printed (run with -s, or `python -m
tests.test_feedback_corpus`); the issue's targets are asserted on the held-out part.
"""

import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from bot.core.feedback import FeedbackMatcher
from questions.loader import QuestionBank, load_bank

CORPUS = Path(__file__).parent / "feedback_corpus"
KINDS = ("strong", "medium", "weak", "keywords", "negated", "we_only", "hypothetical", "no_numbers")


@dataclass
class Figures:
    part: str
    answers: int = 0
    questions: int = 0
    coverage: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    ordered: int = 0
    comparable: int = 0
    star_parts_agree: int = 0
    star_parts_total: int = 0
    flags_agree: int = 0
    flags_total: int = 0

    def mean(self, kind: str) -> float:
        values = self.coverage.get(kind, [])
        return sum(values) / len(values) if values else float("nan")

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_positives + self.false_negatives
        return self.true_positives / wanted if wanted else 1.0

    @property
    def ordered_share(self) -> float:
        return self.ordered / self.comparable if self.comparable else float("nan")

    def report(self) -> str:
        lines = [f"{self.part} part: {self.answers} answers to {self.questions} questions"]
        for kind in KINDS:
            if self.coverage.get(kind):
                lines.append(
                    f"  {kind:<13} n={len(self.coverage[kind]):<3} mean coverage {self.mean(kind):6.1%}"
                )
        lines.append(f"  covered points: precision {self.precision:.1%}, recall {self.recall:.1%}")
        lines.append(
            f"  strong > medium > weak on {self.ordered} of {self.comparable} questions "
            f"({self.ordered_share:.0%})"
        )
        if self.star_parts_total:
            lines.append(
                f"  STAR parts agree {self.star_parts_agree}/{self.star_parts_total}, "
                f"flags agree {self.flags_agree}/{self.flags_total}"
            )
        return "\n".join(lines)


def load_part(part: str) -> list[dict[str, Any]]:
    answers: list[dict[str, Any]] = []
    for path in sorted((CORPUS / part).glob("*.toml")):
        answers.extend(tomllib.loads(path.read_text(encoding="utf-8")).get("answer", []))
    return answers


@cache
def evaluate(part: str) -> Figures:
    bank = load_bank()
    matcher = FeedbackMatcher(bank.questions)
    figures = Figures(part)
    by_question: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for answer in load_part(part):
        question = bank.by_id[answer["question_id"]]
        feedback = matcher.assess(question, answer["text"])
        got, want = set(feedback.covered_labels), set(answer["covered"])
        share = len(got) / feedback.total
        figures.answers += 1
        figures.coverage[answer["kind"]].append(share)
        by_question[question.id][answer["kind"]].append(share)
        figures.true_positives += len(got & want)
        figures.false_positives += len(got - want)
        figures.false_negatives += len(want - got)
        if feedback.star is not None and "star" in answer:
            present = set(feedback.star.present)
            figures.star_parts_agree += sum((name in present) == (name in answer["star"]) for name in _STAR)
            figures.star_parts_total += len(_STAR)
            flags = set(feedback.star.flags)
            labelled = set(answer.get("flags", []))
            figures.flags_agree += sum((f in flags) == (f in labelled) for f in _FLAGS)
            figures.flags_total += len(_FLAGS)
    figures.questions = len(by_question)
    for kinds in by_question.values():
        if all(kinds.get(k) for k in ("strong", "medium", "weak")):
            figures.comparable += 1
            strong, medium, weak = (sum(kinds[k]) / len(kinds[k]) for k in ("strong", "medium", "weak"))
            figures.ordered += strong > medium > weak
    return figures


_STAR = ("situation", "task", "action", "result")
_FLAGS = ("we_only", "hypothetical", "no_numbers")


@pytest.mark.parametrize("part", ["dev", "test"])
def test_corpus_is_well_formed(part: str, bank: QuestionBank) -> None:
    answers = load_part(part)
    if not answers:
        pytest.skip(f"no {part} corpus yet")
    problems = []
    for n, answer in enumerate(answers):
        question = bank.by_id.get(answer["question_id"])
        if question is None:
            problems.append(f"#{n}: unknown question {answer['question_id']!r}")
            continue
        labels = {tp.label for tp in question.talking_points}
        for field_name in ("covered", "listed", "negated"):
            unknown = set(answer.get(field_name, [])) - labels
            if unknown:
                problems.append(f"#{n} {question.id}: {field_name} has unknown labels {sorted(unknown)}")
        if answer["kind"] not in KINDS:
            problems.append(f"#{n} {question.id}: unknown kind {answer['kind']!r}")
    assert not problems, "\n".join(problems)
    print("\n" + evaluate(part).report())


@pytest.fixture(scope="module")
def held_out() -> Figures:
    if not load_part("test"):
        pytest.skip("no held-out corpus yet")
    figures = evaluate("test")
    print("\n" + figures.report())
    return figures


def test_keyword_lists_score_low(held_out: Figures) -> None:
    assert held_out.mean("keywords") <= 0.15


def test_negated_answers_score_low(held_out: Figures) -> None:
    assert held_out.mean("negated") <= 0.15


def test_strong_answers_score_high(held_out: Figures) -> None:
    assert held_out.mean("strong") >= 0.85


def test_covered_points_are_precise(held_out: Figures) -> None:
    assert held_out.precision >= 0.95


def test_strong_medium_weak_are_ordered(held_out: Figures) -> None:
    assert held_out.ordered_share >= 0.90


if __name__ == "__main__":
    for name in ("dev", "test"):
        print(evaluate(name).report())
