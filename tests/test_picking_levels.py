"""Picking for a level, an interview's shape (opener, rising difficulty, closer), the fill-up
when a level runs short, and the level's storage and first-interview question."""

import random
from collections import Counter
from datetime import UTC, datetime

import pytest

from bot.core.interview import Identity, Started, UnknownUser
from bot.core.levels import LevelSetting, parse_level
from bot.core.picking import LEVELS, fit, pick_questions
from bot.core.prompting import choose
from bot.core.services import Services
from questions.loader import QuestionBank
from questions.schema import Level, Question

ANN = Identity("tg:1", 1, "Ann")
SEEDS = range(60)


def asked(bank: QuestionBank, ids: list[str]) -> list[Question]:
    return [bank.by_id[q] for q in ids]


@pytest.mark.parametrize("level", [*LEVELS, None])
def test_a_full_interview_opens_warm_rises_and_closes(bank: QuestionBank, level: Level | None) -> None:
    for seed in SEEDS:
        questions = asked(bank, pick_questions(bank, 5, None, set(), random.Random(seed), level=level))
        assert len(questions) == len({q.id for q in questions}) == 5
        assert questions[0].stage == "opener" and questions[0].topic == "background"
        assert questions[-1].stage == "closer"
        middle = questions[1:-1]
        assert all(q.stage is None for q in middle)
        assert [q.difficulty for q in middle] == sorted(q.difficulty for q in middle)
        assert len({q.topic for q in middle}) == 3 and "background" not in {q.topic for q in middle}


@pytest.mark.parametrize(
    ("count", "stages"), [(1, [None]), (2, ["opener", None]), (3, ["opener", None, "closer"])]
)
def test_short_interviews_keep_what_fits(bank: QuestionBank, count: int, stages: list[str | None]) -> None:
    questions = asked(bank, pick_questions(bank, count, None, set(), random.Random(1)))
    assert [q.stage for q in questions] == stages


def test_a_topic_interview_stays_focused_and_easiest_first(bank: QuestionBank) -> None:
    for topic in bank.topics():
        for seed in range(10):
            questions = asked(bank, pick_questions(bank, 5, topic, set(), random.Random(seed)))
            assert len(questions) == 5
            assert {q.topic for q in questions} == {topic}
            assert all(q.stage is None for q in questions), "no opener or closer in a topic interview"
            assert [q.difficulty for q in questions] == sorted(q.difficulty for q in questions)


@pytest.mark.parametrize("level", LEVELS)
def test_questions_are_the_levels_own_and_a_coordinator_never_gets_difficulty_3(
    bank: QuestionBank, level: Level
) -> None:
    for seed in SEEDS:
        for topic in (None, "cloud", "agile", "scaling"):
            questions = asked(bank, pick_questions(bank, 5, topic, set(), random.Random(seed), level=level))
            assert all(level in q.levels for q in questions), [
                q.id for q in questions if level not in q.levels
            ]
            if level == "coordinator":
                assert max(q.difficulty for q in questions) <= 2


def test_without_a_level_senior_only_questions_do_come_up(bank: QuestionBank) -> None:
    """The level filter is what keeps them out (the test above can fail)."""
    seen = Counter(
        q.difficulty
        for seed in SEEDS
        for q in asked(bank, pick_questions(bank, 5, "scaling", set(), random.Random(seed)))
    )
    assert seen[3] > 0


@pytest.mark.parametrize(
    ("level", "nearest"), [("coordinator", "project_manager"), ("senior", "project_manager")]
)
def test_a_short_level_fills_from_the_nearest_rather_than_asking_fewer(
    bank: QuestionBank, level: Level, nearest: Level
) -> None:
    topic = "cloud"
    own = [q for q in bank.by_topic(topic) if level in q.levels and q.stage is None and fit(q, level) == 0]
    count = len(own) + 3
    assert count <= 20
    questions = asked(bank, pick_questions(bank, count, topic, set(), random.Random(5), level=level))
    assert len(questions) == count
    assert {q.id for q in own} <= {q.id for q in questions}, "the level's own questions all come first"
    extra = [q for q in questions if level not in q.levels]
    assert len(extra) == 3 and all(nearest in q.levels for q in extra)
    if level == "coordinator":
        assert max(q.difficulty for q in questions) <= 2


def test_the_levels_own_questions_come_before_answered_ones_are_repeated(bank: QuestionBank) -> None:
    fresh = [q.id for q in bank.by_topic("risk") if "coordinator" in q.levels and q.stage is None]
    answered = set(fresh[:-2])
    picked = pick_questions(bank, 2, "risk", answered, random.Random(2), level="coordinator")
    assert set(picked) == set(fresh[-2:])


@pytest.mark.parametrize(
    ("typed", "level"),
    [
        ("coordinator", "coordinator"),
        ("Coordinator", "coordinator"),
        ("pm", "project_manager"),
        ("PM", "project_manager"),
        ("project manager", "project_manager"),
        ("Project_Manager", "project_manager"),
        ("project-manager", "project_manager"),
        ("  senior ", "senior"),
        ("Senior PM", "senior"),
        ("wizard", None),
        ("", None),
    ],
)
def test_levels_as_people_type_them(typed: str, level: Level | None) -> None:
    assert parse_level(typed) == level


def test_daily_practice_never_picks_openers_or_closers_as_new(bank: QuestionBank) -> None:
    picks = [
        choose(
            bank.by_topic("background"),
            due=[],
            weakest=[],
            answered=set(),
            topics=None,
            reviews_left_today=5,
            days_left=None,
            exclude=(),
            now=datetime(2026, 3, 2, tzinfo=UTC),
            rng=random.Random(seed),
            by_id=dict(bank.by_id),
            level=level,
        )
        for seed in range(80)
        for level in (None, "coordinator")
    ]
    assert all(p is not None and p.question.stage is None for p in picks)
    coordinator = [p for p in picks[1::2] if p is not None]
    assert all("coordinator" in p.question.levels and p.question.difficulty <= 2 for p in coordinator)


async def test_the_level_is_asked_once_then_picks_the_interview(services: Services) -> None:
    assert await services.levels.ask_first(ANN)
    assert await services.levels.current(ANN) == LevelSetting(None)
    assert await services.levels.press(ANN, "coordinator", only_if_unset=True) == LevelSetting("coordinator")
    # Asked once: a second tap on the same question changes nothing.
    assert await services.levels.press(ANN, "senior", only_if_unset=True) is None
    assert not await services.levels.ask_first(ANN)
    for _ in range(3):
        started = await services.interviews.start(ANN)
        assert isinstance(started, Started)
        assert started.prompt.question.stage == "opener"
        assert "coordinator" in started.prompt.question.levels
        summary = await services.interviews.cancel(ANN)
        assert summary is not None
    assert await services.levels.choose(ANN, "senior") == LevelSetting("senior")
    assert await services.levels.current(ANN) == LevelSetting("senior")


async def test_skip_keeps_every_level_and_is_not_asked_again(services: Services) -> None:
    assert await services.levels.ask_first(ANN)
    assert await services.levels.press(ANN, None, only_if_unset=True) == LevelSetting(None, skipped=True)
    assert await services.levels.current(ANN) == LevelSetting(None, skipped=True)
    assert not await services.levels.ask_first(ANN)


async def test_a_running_interview_is_not_interrupted_by_the_level_question(services: Services) -> None:
    assert isinstance(await services.interviews.start(ANN), Started)
    assert not await services.levels.ask_first(ANN)


async def test_a_level_button_from_an_unknown_user_changes_nothing(services: Services) -> None:
    assert isinstance(await services.levels.press(ANN, "senior"), UnknownUser)
    async with services.db.unit() as uow:
        assert await uow.users.get(ANN.external_id) is None
