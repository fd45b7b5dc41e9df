"""The built-in bank keeps the size and shape a real interview panel needs, so it cannot shrink.

Each minimum is one test, so a failure names the rule that regressed and every offender.
"""

import pytest

from bot.__main__ import main
from questions.loader import QuestionBank
from questions.stats import LEVELS
from questions.topics import TOPICS

MIN_QUESTIONS = 230
MIN_PER_TOPIC = 14
MIN_PER_TOPIC_AND_LEVEL = 5
MIN_OPENERS = 8
MIN_CLOSERS = 6
MIN_FOLLOW_UPS = 2
# Topics a real panel asks about that the first edition lacked.
REQUIRED_TOPICS = {
    "vendors": "Vendors, procurement and contracts",
    "requirements": "Requirements, testing and go-live",
}


def test_bank_holds_enough_questions(bank: QuestionBank) -> None:
    assert len(bank) >= MIN_QUESTIONS


def test_required_topics_exist() -> None:
    assert {slug: TOPICS.get(slug) for slug in REQUIRED_TOPICS} == REQUIRED_TOPICS


@pytest.mark.parametrize("topic", TOPICS)
def test_every_topic_holds_enough_questions(bank: QuestionBank, topic: str) -> None:
    assert len(bank.by_topic(topic)) >= MIN_PER_TOPIC


@pytest.mark.parametrize("topic", TOPICS)
def test_every_topic_serves_every_level(bank: QuestionBank, topic: str) -> None:
    counts = {level: sum(level in q.levels for q in bank.by_topic(topic)) for level in LEVELS}
    short = {level: n for level, n in counts.items() if n < MIN_PER_TOPIC_AND_LEVEL}
    assert not short, f"{topic}: fewer than {MIN_PER_TOPIC_AND_LEVEL} questions for {short}"


def test_enough_openers_and_closers(bank: QuestionBank) -> None:
    stages = [q.stage for q in bank.questions]
    assert stages.count("opener") >= MIN_OPENERS
    assert stages.count("closer") >= MIN_CLOSERS


def test_openers_and_closers_are_background_questions(bank: QuestionBank) -> None:
    elsewhere = [f"{q.id} ({q.topic})" for q in bank.questions if q.stage and q.topic != "background"]
    assert not elsewhere


def test_openers_and_closers_suit_every_level(bank: QuestionBank) -> None:
    # A full interview at any level opens and closes with them.
    narrow = [q.id for q in bank.questions if q.stage and set(q.levels) != set(LEVELS)]
    assert not narrow


def test_every_talking_point_has_a_hint(bank: QuestionBank) -> None:
    missing = [
        f"{q.id}: {point.label!r}" for q in bank.questions for point in q.talking_points if not point.hint
    ]
    assert not missing, "\n".join(missing)


def test_every_question_has_follow_ups(bank: QuestionBank) -> None:
    few = [q.id for q in bank.questions if len(q.follow_ups) < MIN_FOLLOW_UPS]
    assert not few


def test_every_behavioural_question_has_a_star_note(bank: QuestionBank) -> None:
    missing = [q.id for q in bank.questions if q.kind == "behavioural" and not q.star]
    assert not missing


def test_levels_fit_the_difficulty(bank: QuestionBank) -> None:
    # The schema rejects these in any pack; asserted here too, as the bank's own promise.
    wrong = [
        f"{q.id}: {q.levels} at difficulty {q.difficulty}"
        for q in bank.questions
        if ("coordinator" in q.levels and q.difficulty == 3) or (q.levels == ["senior"] and q.difficulty == 1)
    ]
    assert not wrong


def test_stats_show_openers_and_closers_per_topic(
    bank: QuestionBank, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["questions", "stats"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = lines[0].split()
    assert header[-5:] == ["coord", "pm", "senior", "open", "close"]
    rows = {name: next(line for line in lines if line.startswith(name)) for name in TOPICS.values()}
    for slug, name in TOPICS.items():
        cells = rows[name][len(name) :].split()
        questions = bank.by_topic(slug)
        assert cells[-2:] == [
            str(sum(q.stage == "opener" for q in questions)),
            str(sum(q.stage == "closer" for q in questions)),
        ], name
        assert cells[-5:-2] == [str(sum(level in q.levels for q in questions)) for level in LEVELS], name
