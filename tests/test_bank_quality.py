"""The built-in bank stays worth practising: size, coverage, honest talking points, stable ids."""

import tomllib
from pathlib import Path
from typing import Any

import pytest

from bot.__main__ import main
from bot.core.feedback import FeedbackMatcher
from questions.loader import QuestionBank, validate_paths
from questions.quality import near_duplicates
from questions.schema import Question
from questions.stopwords import common_single_word
from questions.topics import TOPICS

DATA = Path(__file__).parent
SHIPPED_IDS = DATA / "data" / "shipped_question_ids.txt"
SAMPLES = DATA / "sample_answers"
SEED_QUESTIONS = {
    "How would you begin implementing a new cloud service in a large company?",
    "How would you ensure a new service was compatible with all others?",
    "Tell us about your experience with systems integrations.",
    "What's your experience with Agile?",
    "Describe your experience in this industry.",
}


@pytest.fixture(scope="module")
def matcher(bank: QuestionBank) -> FeedbackMatcher:
    return FeedbackMatcher(bank.questions)


def load_samples() -> list[dict[str, Any]]:
    samples: list[dict[str, Any]] = []
    for path in sorted(SAMPLES.glob("*.toml")):
        samples.extend(tomllib.loads(path.read_text(encoding="utf-8"))["sample"])
    return samples


def test_bank_size_and_topics(bank: QuestionBank) -> None:
    assert len(bank) >= 150
    for slug, name in TOPICS.items():
        assert len(bank.by_topic(slug)) >= 8, f"{name} has only {len(bank.by_topic(slug))} questions"
    assert {q.text for q in bank.questions} >= SEED_QUESTIONS


def test_kinds_difficulties_and_levels_are_mixed(bank: QuestionBank) -> None:
    assert {q.kind for q in bank.questions} == {"behavioural", "situational", "technical", "background"}
    for slug in TOPICS:
        questions = bank.by_topic(slug)
        assert len({q.difficulty for q in questions}) >= 2, slug
        assert len({q.kind for q in questions}) >= 2, slug
    for level in ("coordinator", "project_manager", "senior"):
        assert sum(level in q.levels for q in bank.questions) >= 30, level


def test_every_question_is_complete(bank: QuestionBank) -> None:
    problems = []
    for q in bank.questions:
        if not 4 <= len(q.talking_points) <= 7:
            problems.append(f"{q.id}: {len(q.talking_points)} talking points")
        if not q.follow_ups:
            problems.append(f"{q.id}: no follow-up")
        if not q.levels or not q.skills:
            problems.append(f"{q.id}: levels and skills are required in the built-in bank")
        if q.kind == "behavioural" and not q.star:
            problems.append(f"{q.id}: behavioural question without a STAR note")
    assert not problems, "\n".join(problems)


def test_no_near_duplicate_questions(bank: QuestionBank) -> None:
    pairs = near_duplicates(bank.questions)
    assert not pairs, "\n".join(map(str, pairs))


def test_near_duplicates_are_detected() -> None:
    base = dict(
        topic="risk",
        kind="technical",
        difficulty=1,
        talking_points=[{"label": "x", "match": ["risk register"]}],
        follow_ups=["?"],
        model_answer=["."],
    )
    a = Question.model_validate(
        {**base, "id": "a1", "text": "How do you identify and manage risks on a project?"}
    )
    b = Question.model_validate(
        {**base, "id": "b1", "text": "How would you identify and manage the risks of a project?"}
    )
    c = Question.model_validate({**base, "id": "c1", "text": "Tell us about a budget overrun you handled."})
    assert [(p.first.id, p.second.id) for p in near_duplicates([a, b, c])] == [("a1", "b1")]


def test_stop_word_only_match_phrases_are_reported(tmp_path: Path) -> None:
    pack = tmp_path / "pack.toml"
    pack.write_text(
        """[[question]]
id = "acme-vague"
topic = "risk"
kind = "technical"
difficulty = 1
text = "What is a risk?"
follow_ups = ["Why?"]
model_answer = ["Because."]

[[question.talking_points]]
label = "Vague"
match = ["as it is", "risk register"]
""",
        encoding="utf-8",
    )
    _, problems = validate_paths([pack])
    assert [(p.line, "common words" in p.message) for p in problems] == [(12, True)]


def test_model_answers_cover_their_own_talking_points(bank: QuestionBank, matcher: FeedbackMatcher) -> None:
    # Model answers are terse notes ("events: planning, review, retrospective"), so a point
    # named in one of their lists counts here; a point it misses or negates does not.
    gaps = []
    for q in bank.questions:
        feedback = matcher.assess(q, "\n".join(q.model_answer))
        missed = [p.label for p in feedback.points if p.status in ("missed", "negated")]
        if missed:
            gaps.append(f"{q.id}: model answer misses {missed}")
    assert not gaps, "\n".join(gaps)


def test_repeating_the_question_ticks_no_talking_point(bank: QuestionBank, matcher: FeedbackMatcher) -> None:
    leaks = [
        f"{q.id}: {labels}" for q in bank.questions if (labels := matcher.assess(q, q.text).covered_labels)
    ]
    assert not leaks, "\n".join(leaks)


def test_strong_sample_answers_cover_clearly_more_than_weak_ones(
    bank: QuestionBank, matcher: FeedbackMatcher
) -> None:
    samples = load_samples()
    assert len(samples) >= 20
    assert len({s["question_id"] for s in samples}) == len(samples)
    failures = []
    for sample in samples:
        question = bank.by_id[sample["question_id"]]
        strong = matcher.assess(question, sample["strong"])
        weak = matcher.assess(question, sample["weak"])
        if len(strong.covered) < len(weak.covered) + 2 or len(strong.covered) * 2 < strong.total:
            failures.append(
                f"{question.id}: strong {len(strong.covered)}/{strong.total}, weak {len(weak.covered)}"
            )
    assert not failures, "\n".join(failures)


def test_shipped_ids_never_disappear(bank: QuestionBank) -> None:
    lines = SHIPPED_IDS.read_text(encoding="utf-8").splitlines()
    shipped = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    missing = sorted(set(shipped) - set(bank.by_id))
    assert not missing, f"stored answers refer to these ids; restore them: {missing}"
    unlisted = sorted(set(bank.by_id) - set(shipped))
    assert not unlisted, f"new questions: add their ids to {SHIPPED_IDS.name}: {unlisted}"


def test_stats_command_counts_the_bank(bank: QuestionBank, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["questions", "stats"]) == 0
    out = capsys.readouterr().out
    total_row = next(line for line in out.splitlines() if line.startswith("All topics"))
    assert total_row.split()[2] == str(len(bank))
    for slug, name in TOPICS.items():
        row = next(line for line in out.splitlines() if line.startswith(name))
        assert row[len(name) :].split()[0] == str(len(bank.by_topic(slug)))


@pytest.mark.parametrize(
    ("phrase", "rejected"),
    [
        # The single words the issue saw ticking points on vague answers.
        *[
            (w, True)
            for w in ("talked", "delay", "finish", "help", "years", "people", "risk", "impact", "safe")
        ],
        # Terms that mark a real answer, and phrases of two words or more.
        *[(w, False) for w in ("stakeholder", "backlog", "retrospective", "rollback", "raci", "kanban")],
        *[(p, False) for p in ("risk register", "cost of delay", "a pilot")],
    ],
)
def test_single_common_words_are_rejected(phrase: str, rejected: bool) -> None:
    assert common_single_word(phrase) == rejected


def test_common_one_word_phrase_is_reported_with_its_line(tmp_path: Path) -> None:
    pack = tmp_path / "pack.toml"
    pack.write_text(
        """[[question]]
id = "acme-late"
topic = "risk"
kind = "technical"
difficulty = 1
text = "What do you do when a supplier is late?"
follow_ups = ["Why?"]
model_answer = ["Because."]

[[question.talking_points]]
label = "Schedule impact"
match = ["delay", "critical path"]
hint = "Say what the slip does to the critical path."
""",
        encoding="utf-8",
    )
    questions, problems = validate_paths([pack])
    assert questions == []
    [problem] = problems
    assert problem.line == 12
    assert "'delay': a single common English word" in problem.message
    pack.write_text(pack.read_text(encoding="utf-8").replace('"delay", ', ""), encoding="utf-8")
    questions, problems = validate_paths([pack])
    assert problems == []
    assert questions[0].talking_points[0].hint == "Say what the slip does to the critical path."
