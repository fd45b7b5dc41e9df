"""Daily practice on a real SQLite file: settings, what gets picked, answering, /review.

Real fsrs (fuzzing off), real repositories, a FakeClock moved by hand. Prompts are pushed
either by the real sweep (with a recording sender from tests/test_sweep.py) or, where a
test is about the choice itself, by PromptingService.prepare, the call the sweep makes.
"""

import json
import random
from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta

import fsrs
import pytest
from sqlalchemy import Table, select

from bot.config import Settings
from bot.core.interview import AlreadyRunning, Answered, Identity, NotAsked, Rated, Started
from bot.core.prompting import DailyPrompt, NothingDue, choose
from bot.core.rating import Rating
from bot.core.schedule_time import QuietHours, ScheduleInputError, ScheduleProblem
from bot.core.services import Services
from bot.core.srs import CardState, SpacedRepetition
from bot.present.render import render, to_plain
from questions.loader import QuestionBank
from questions.topics import TOPICS
from storage.db import Database
from storage.models import Answer, Card, ReviewLog
from storage.records import CardRecord
from tests.conftest import FakeClock
from tests.test_sweep import Recorder, at, delivery_rows, sessions_of

_card: Table = Card.__table__  # type: ignore[assignment]
_review_log: Table = ReviewLog.__table__  # type: ignore[assignment]
_answer: Table = Answer.__table__  # type: ignore[assignment]

ANN = Identity("tg:1001", 1001, "Ann")
BOB = Identity("tg:1002", 1002, "Bob")
T0 = at(2026, 3, 2, 9, 0)  # the clock fixture's start: Monday 09:00 UTC
DAY = timedelta(days=1)
RISK = [
    "risk-identify-and-manage",
    "risk-materialised",
    "risk-go-live-defect",
    "risk-escalating-issues",
    "risk-quantify-contingency",
    "risk-mitigation-vs-contingency",
    "risk-raid-log-upkeep",
    "risk-dependency-slipping",
    "risk-supplier-failure",
    "risk-warning-ignored",
    "risk-opportunities",
    "risk-experience-methods",
    "risk-rto-rpo-recovery",
    "risk-assumptions-log",
    "risk-escalate-beyond-project",
]
BUDGET = ["budget-earned-value", "budget-build-it-budget", "budget-mid-project-cut"]


# --- helpers ---------------------------------------------------------------------------------


async def open_prompt(
    services: Services, who: Identity, *, question_id: str | None = None, exclude: Collection[str] = ()
) -> DailyPrompt:
    """Push a practice question to `who` now, the way the sweep does."""
    await services.interviews.register(who)
    async with services.db.unit() as uow:
        profile = await uow.users.profile(who.external_id)
        assert profile is not None
        result = await services.prompting.prepare(
            uow, profile, services.clock(), question_id=question_id, exclude=exclude
        )
    assert isinstance(result, DailyPrompt)
    return result


async def practise(services: Services, who: Identity, question_id: str, rating: Rating) -> Rated:
    """Get `question_id` pushed, answer it by replying, and rate the answer."""
    prompt = await open_prompt(services, who, question_id=question_id)
    assert prompt.prompt.question.id == question_id
    answered = await services.interviews.answer(who, "I would name an owner, a trigger and a plan.")
    assert isinstance(answered, Answered) and answered.question.id == question_id
    rated = await services.interviews.rate(who, answered.answer_id, rating)
    assert rated is not None
    return rated


async def card(db: Database, who: Identity, question_id: str) -> CardRecord:
    async with db.unit() as uow:
        profile = await uow.users.profile(who.external_id)
        assert profile is not None
        found = await uow.cards.get(profile.user_id, question_id)
    assert found is not None
    return found


async def review_logs(db: Database, question_id: str) -> list[tuple[int, int | None, str]]:
    async with db.transaction() as conn:
        rows = await conn.execute(
            select(_review_log.c.rating, _review_log.c.answer_id, _review_log.c.log_json)
            .where(_review_log.c.question_id == question_id)
            .order_by(_review_log.c.id)
        )
        return [(r.rating, r.answer_id, r.log_json) for r in rows]


async def choose_topics(services: Services, who: Identity, slugs: set[str]) -> None:
    await services.daily_settings.topics(who)  # /topics registers the user; its buttons do not
    await services.daily_settings.toggle_topic(who, None)  # back to all, then deselect the others
    for slug in services.bank.topics():
        if slug not in slugs:
            await services.daily_settings.toggle_topic(who, slug)


def with_scheduler(settings: Settings, **changes: int) -> Settings:
    return settings.model_copy(update={"scheduler": settings.scheduler.model_copy(update=changes)})


# --- /daily: time, zone, off and on ------------------------------------------------------------


@pytest.mark.parametrize(
    ("time_text", "zone_text", "zone", "next_at"),
    [
        ("07:30", "Europe/Berlin", "Europe/Berlin", at(2026, 3, 3, 6, 30)),  # 10:00 there: tomorrow
        ("10:30", "Europe/Berlin", "Europe/Berlin", at(2026, 3, 2, 9, 30)),  # later today
        ("09:00", None, "UTC", at(2026, 3, 3, 9, 0)),  # the default zone; exactly now is too late
        ("7:05", "america/new york", "America/New_York", at(2026, 3, 2, 12, 5)),  # EST, UTC-5
        ("23:30", "Pacific/Kiritimati", "Pacific/Kiritimati", at(2026, 3, 2, 9, 30)),  # UTC+14
        ("06:00", "Etc/GMT+12", "Etc/GMT+12", at(2026, 3, 2, 18, 0)),  # UTC-12
    ],
)
async def test_set_daily_stores_the_time_and_zone_and_the_next_prompt_in_utc(
    services: Services, time_text: str, zone_text: str | None, zone: str, next_at: datetime
) -> None:
    setting = await services.daily_settings.set_daily(ANN, time_text, zone_text)
    hour, minute = (int(p) for p in time_text.split(":"))
    assert (setting.enabled, setting.local_time, setting.timezone) == (True, time(hour, minute), zone)
    assert setting.next_at == next_at
    assert setting.next_at is not None and setting.next_at.tzinfo is UTC
    assert setting.quiet == QuietHours(time(22, 0), time(7, 0))
    assert await services.daily_settings.daily(ANN) == setting  # read back from the database


@pytest.mark.parametrize(
    ("time_text", "zone_text", "expected"),
    [
        ("25:00", None, (ScheduleProblem.HOUR_OUT_OF_RANGE, "25:00", ())),
        ("07:60", None, (ScheduleProblem.MINUTE_OUT_OF_RANGE, "07:60", ())),
        ("7.30", None, (ScheduleProblem.NOT_A_TIME, "7.30", ())),
        ("07:30", "Mars/Base", (ScheduleProblem.UNKNOWN_ZONE, "Mars/Base", ())),
        ("07:30", "Europe/Berln", (ScheduleProblem.UNKNOWN_ZONE, "Europe/Berln", ("Europe/Berlin",))),
        ("07:30", "   ", (ScheduleProblem.ZONE_MISSING, "", ())),
    ],
)
async def test_bad_time_or_zone_is_refused_with_what_is_wrong(
    services: Services,
    time_text: str,
    zone_text: str,
    expected: tuple[ScheduleProblem, str, tuple[str, ...]],
) -> None:
    with pytest.raises(ScheduleInputError) as caught:
        await services.daily_settings.set_daily(ANN, time_text, zone_text)
    assert (caught.value.problem, caught.value.given, caught.value.suggestions) == expected
    setting = await services.daily_settings.daily(ANN)
    assert (setting.enabled, setting.local_time, setting.next_at, setting.timezone) == (
        False,
        None,
        None,
        "UTC",
    )


async def test_daily_off_then_on_again(services: Services, clock: FakeClock) -> None:
    await services.daily_settings.set_daily(ANN, "07:30", "Europe/Berlin")
    await services.daily_settings.set_quiet_hours(ANN, "23:00-06:00")
    off = await services.daily_settings.daily_off(ANN)
    assert (off.enabled, off.next_at, off.local_time, off.timezone) == (
        False,
        None,
        time(7, 30),
        "Europe/Berlin",
    )
    clock.now = at(2026, 3, 5, 12, 0)
    on = await services.daily_settings.set_daily(ANN, "07:30")
    # Recomputed from now (not the old value), zone and quiet hours kept.
    assert (on.enabled, on.next_at, on.timezone) == (True, at(2026, 3, 6, 6, 30), "Europe/Berlin")
    assert on.quiet == QuietHours(time(23, 0), time(6, 0))
    # Turning off twice, or when never on, is harmless.
    assert (await services.daily_settings.daily_off(ANN)).enabled is False
    assert (await services.daily_settings.daily_off(BOB)).local_time is None


async def test_a_new_time_or_zone_recomputes_the_next_prompt(services: Services, clock: FakeClock) -> None:
    first = await services.daily_settings.set_daily(ANN, "07:30", "Europe/Berlin")
    assert first.next_at == at(2026, 3, 3, 6, 30)
    later = await services.daily_settings.set_daily(ANN, "11:15")  # the zone stays Berlin
    assert (later.timezone, later.next_at) == ("Europe/Berlin", at(2026, 3, 2, 10, 15))
    moved = await services.daily_settings.set_daily(ANN, "11:15", "America/New_York")
    assert (moved.timezone, moved.next_at) == ("America/New_York", at(2026, 3, 2, 16, 15))
    clock.now = at(2026, 3, 20, 12, 0)  # New York is on summer time from 8 March
    again = await services.daily_settings.set_daily(ANN, "11:15")
    assert again.next_at == at(2026, 3, 20, 15, 15)


async def test_quiet_hours_are_validated_and_kept(services: Services) -> None:
    with pytest.raises(ScheduleInputError) as first:
        await services.daily_settings.set_quiet_hours(ANN, "23:00-06:00")
    assert first.value.problem == ScheduleProblem.QUIET_BEFORE_DAILY
    daily = await services.daily_settings.set_daily(ANN, "07:30")
    quiet = await services.daily_settings.set_quiet_hours(ANN, "23:00 – 06:30")
    assert quiet.quiet == QuietHours(time(23, 0), time(6, 30))
    assert quiet.next_at == daily.next_at and quiet.enabled
    for bad in ("late", "25:00-07:00", "22:00"):
        with pytest.raises(ScheduleInputError) as caught:
            await services.daily_settings.set_quiet_hours(ANN, bad)
        assert (caught.value.problem, caught.value.given) == (ScheduleProblem.NOT_A_RANGE, bad)
    assert (await services.daily_settings.daily(ANN)).quiet == QuietHours(time(23, 0), time(6, 30))
    # Off keeps them too, and so does a new time.
    await services.daily_settings.daily_off(ANN)
    assert (await services.daily_settings.set_daily(ANN, "08:00")).quiet == QuietHours(
        time(23, 0), time(6, 30)
    )
    assert (await services.daily_settings.set_quiet_hours(ANN, "00:00-00:00")).quiet.off


async def test_topics_toggle_and_deselecting_all_means_all(services: Services, bank: QuestionBank) -> None:
    every = bank.topics()
    choices = await services.daily_settings.topics(ANN)
    assert [(c.slug, c.name, c.selected) for c in choices] == [(s, TOPICS[s], True) for s in every]

    after = await services.daily_settings.toggle_topic(ANN, "risk")
    assert isinstance(after, list)
    assert [c.slug for c in after if not c.selected] == ["risk"]
    assert [c.slug for c in await services.daily_settings.topics(ANN) if not c.selected] == ["risk"]
    back = await services.daily_settings.toggle_topic(ANN, "risk")
    assert isinstance(back, list) and all(c.selected for c in back)

    assert await services.daily_settings.toggle_topic(ANN, "astrology") is None
    await choose_topics(services, ANN, {"budget"})
    assert [c.slug for c in await services.daily_settings.topics(ANN) if c.selected] == ["budget"]
    for _ in range(4):  # new questions now come from budget only
        prompt = await open_prompt(services, ANN)
        assert prompt.pick.question.topic == "budget" and prompt.pick.reason == "new"
    # Deselecting the last one would leave nothing to ask: it means all topics again.
    none_left = await services.daily_settings.toggle_topic(ANN, "budget")
    assert isinstance(none_left, list) and all(c.selected for c in none_left)
    assert all(c.selected for c in await services.daily_settings.topics(ANN))


async def test_interview_date_set_shown_and_cleared(services: Services, clock: FakeClock) -> None:
    chosen = await services.daily_settings.set_interview_date(ANN, " 2026-03-20 ")
    assert (chosen.day, chosen.days_left) == (date(2026, 3, 20), 18)
    setting = await services.daily_settings.daily(ANN)
    assert (setting.interview_date, setting.days_left) == (date(2026, 3, 20), 18)
    clock.now = at(2026, 3, 19, 23, 30)
    assert (await services.daily_settings.daily(ANN)).days_left == 1
    today = await services.daily_settings.set_interview_date(ANN, "2026-03-19")
    assert today.days_left == 0
    cleared = await services.daily_settings.set_interview_date(ANN, None)
    assert (cleared.day, cleared.days_left) == (None, None)
    assert (await services.daily_settings.daily(ANN)).interview_date is None


@pytest.mark.parametrize(
    ("text", "problem", "given"),
    [
        ("2026-03-01", ScheduleProblem.DATE_PASSED, ""),
        (" 20-03-2026 ", ScheduleProblem.NOT_A_DATE, "20-03-2026"),
        ("next friday", ScheduleProblem.NOT_A_DATE, "next friday"),
        ("2026-02-30", ScheduleProblem.NOT_A_DATE, "2026-02-30"),
        ("the day after my holiday", ScheduleProblem.NOT_A_DATE, "the day after my hol"),
        ("2028-03-03", ScheduleProblem.DATE_TOO_FAR, ""),
    ],
)
async def test_interview_date_refuses_bad_or_past_dates(
    services: Services, text: str, problem: ScheduleProblem, given: str
) -> None:
    await services.daily_settings.set_interview_date(ANN, "2026-04-01")
    with pytest.raises(ScheduleInputError) as caught:
        await services.daily_settings.set_interview_date(ANN, text)
    assert (caught.value.problem, caught.value.given) == (problem, given)
    # The example, whatever was wrong, is two weeks from the user's today.
    assert caught.value.example_date == date(2026, 3, 16)
    assert (await services.daily_settings.daily(ANN)).interview_date == date(2026, 4, 1)  # unchanged


async def test_the_interview_date_is_counted_in_the_users_zone(services: Services, clock: FakeClock) -> None:
    await services.daily_settings.set_daily(ANN, "07:30", "Pacific/Kiritimati")  # UTC+14
    clock.now = at(2026, 3, 2, 10, 30)  # still 2 March in UTC, already 3 March there
    assert (await services.daily_settings.set_interview_date(ANN, "2026-03-04")).days_left == 1
    with pytest.raises(ScheduleInputError) as caught:
        await services.daily_settings.set_interview_date(ANN, "2026-03-02")
    assert caught.value.problem == ScheduleProblem.DATE_PASSED
    with pytest.raises(ScheduleInputError) as caught:
        await services.daily_settings.set_interview_date(ANN, "soon")
    assert caught.value.example_date == date(2026, 3, 17)  # two weeks from the local 3 March


# --- what gets picked ----------------------------------------------------------------------------


def _card_record(question_id: str, due_at: datetime, rating: Rating, reviewed_at: datetime) -> CardRecord:
    return CardRecord(question_id, "{}", due_at, int(rating), reviewed_at, 1)


NOW = at(2026, 3, 10, 9, 0)
OLD_DUE = _card_record(RISK[0], at(2026, 3, 4), Rating.HARD, at(2026, 3, 2))
NEW_DUE = _card_record(RISK[1], at(2026, 3, 9), Rating.GOOD, at(2026, 3, 7))
WEAK = _card_record(RISK[2], at(2026, 3, 20), Rating.AGAIN, at(2026, 3, 9))


@pytest.mark.parametrize(
    ("due", "weakest", "answered", "topics", "reviews_left", "days_left", "exclude", "reason", "ids"),
    [
        # Due reviews first, the most overdue one (the repository returns them in that order).
        ([OLD_DUE, NEW_DUE], [WEAK], RISK[:3], None, 10, None, (), "review", {RISK[0]}),
        ([OLD_DUE, NEW_DUE], [WEAK], RISK[:3], None, 10, None, {RISK[0]}, "review", {RISK[1]}),
        # The daily cap on pushed reviews reached: a new question instead.
        ([OLD_DUE], [WEAK], RISK[:3], {"risk"}, 0, None, (), "new", set(RISK[3:])),
        # Nothing due: a new one from the chosen topics, never answered.
        ([], [WEAK], RISK[:3], {"risk"}, 10, None, (), "new", set(RISK[3:])),
        ([], [WEAK], RISK[:3], {"budget"}, 10, None, (), "new", set()),  # any budget question
        # Everything in the chosen topics answered: the weakest.
        ([], [WEAK, OLD_DUE], RISK, {"risk"}, 10, None, (), "weakest", {RISK[2]}),
        ([], [WEAK, OLD_DUE], RISK, {"risk"}, 10, None, {RISK[2]}, "weakest", {RISK[0]}),
        # The last days before the interview: the weakest even before due reviews and new ones.
        ([OLD_DUE], [WEAK], RISK[:3], None, 10, 3, (), "weakest", {RISK[2]}),
        ([OLD_DUE], [WEAK], RISK[:3], None, 10, 0, (), "weakest", {RISK[2]}),
        ([OLD_DUE], [WEAK], RISK[:3], None, 10, 4, (), "review", {RISK[0]}),
        ([OLD_DUE], [WEAK], RISK[:3], None, 10, -1, (), "review", {RISK[0]}),  # it is over
        # Answered but never rated (no cards): any question of the topics again.
        ([], [], RISK, {"risk"}, 10, None, (), "new", set(RISK)),
    ],
)
def test_choose_rules(
    bank: QuestionBank,
    due: list[CardRecord],
    weakest: list[CardRecord],
    answered: list[str],
    topics: set[str] | None,
    reviews_left: int,
    days_left: int | None,
    exclude: Collection[str],
    reason: str,
    ids: set[str],
) -> None:
    if "budget" in (topics or ()):
        ids = {q.id for q in bank.by_topic("budget")}
    pick = choose(
        bank.questions,
        due=due,
        weakest=weakest,
        answered=answered,
        topics=topics,
        reviews_left_today=reviews_left,
        days_left=days_left,
        exclude=exclude,
        now=NOW,
        rng=random.Random(1),
        by_id=dict(bank.by_id),
    )
    assert pick is not None
    assert pick.reason == reason
    assert pick.question.id in ids
    if reason != "new":
        source = next(c for c in (*due, *weakest) if c.question_id == pick.question.id)
        assert pick.last_rating == Rating(source.last_rating)
        assert pick.days_ago == (NOW - source.last_review_at).days
    else:
        assert (pick.last_rating, pick.days_ago) == (None, None)


def test_choose_with_nothing_allowed_gives_none(bank: QuestionBank) -> None:
    pick = choose(
        bank.questions,
        due=[],
        weakest=[],
        answered=(),
        topics={"risk"},
        reviews_left_today=10,
        days_left=None,
        exclude=set(RISK),
        now=NOW,
        rng=random.Random(1),
        by_id=dict(bank.by_id),
    )
    assert pick is None


async def test_a_new_user_gets_a_new_question(services: Services) -> None:
    prompt = await open_prompt(services, ANN)
    assert prompt.pick.reason == "new" and prompt.pick.last_rating is None
    assert (prompt.due_count, prompt.days_left, prompt.unpractised_topics) == (0, None, ())
    assert prompt.prompt.kind == "daily" and (prompt.prompt.number, prompt.prompt.total) == (1, 1)


async def test_the_most_overdue_review_comes_first_with_its_rating_and_age(
    services: Services, clock: FakeClock
) -> None:
    await practise(services, ANN, RISK[0], Rating.GOOD)  # due 4 March 09:00
    clock.advance(minutes=30)
    await practise(services, ANN, RISK[1], Rating.AGAIN)  # due 3 March 09:30: the most overdue
    await practise(services, ANN, RISK[2], Rating.EASY)  # due 10 March 09:30
    clock.now = at(2026, 3, 12, 9, 0)
    first = await open_prompt(services, ANN)
    assert (first.pick.question.id, first.pick.reason) == (RISK[1], "review")
    assert (first.pick.last_rating, first.pick.days_ago) == (Rating.AGAIN, 9)
    assert first.due_count == 3
    second = await open_prompt(services, ANN, exclude={RISK[1]})
    assert (second.pick.question.id, second.pick.last_rating, second.pick.days_ago) == (
        RISK[0],
        Rating.GOOD,
        10,
    )
    # Answered and rated, it is no longer due; the next most overdue comes next time.
    await practise(services, ANN, RISK[1], Rating.GOOD)
    third = await open_prompt(services, ANN)
    assert (third.pick.question.id, third.due_count) == (RISK[0], 2)


async def test_new_questions_come_from_topics_not_practised_yet(services: Services) -> None:
    await choose_topics(services, ANN, {"risk", "budget"})
    await practise(services, ANN, RISK[0], Rating.GOOD)
    for _ in range(3):
        prompt = await open_prompt(services, ANN)
        assert (prompt.pick.reason, prompt.pick.question.topic) == ("new", "budget")
    await practise(services, ANN, BUDGET[0], Rating.GOOD)
    seen = set()
    for _ in range(8):
        prompt = await open_prompt(services, ANN)
        assert prompt.pick.reason == "new"
        assert prompt.pick.question.topic in {"risk", "budget"}
        assert prompt.pick.question.id not in {RISK[0], BUDGET[0]}
        seen.add(prompt.pick.question.topic)
    assert seen == {"risk", "budget"}


async def test_with_every_chosen_question_answered_and_none_due_the_weakest_comes(
    services: Services,
) -> None:
    await choose_topics(services, ANN, {"risk"})
    for qid in RISK:
        await practise(services, ANN, qid, Rating.HARD if qid == RISK[4] else Rating.GOOD)
    prompt = await open_prompt(services, ANN)
    assert (prompt.pick.question.id, prompt.pick.reason) == (RISK[4], "weakest")
    assert (prompt.pick.last_rating, prompt.pick.days_ago, prompt.due_count) == (Rating.HARD, 0, 0)


@pytest.mark.parametrize(("cap", "second_reason"), [(1, "new"), (10, "review")])
async def test_max_reviews_per_day_caps_the_reviews_pushed(
    settings: Settings, bank: QuestionBank, clock: FakeClock, cap: int, second_reason: str
) -> None:
    services = Services(
        with_scheduler(settings, max_reviews_per_day=cap),
        Database(settings.database.url),
        bank,
        clock,
        random.Random(2),
        SpacedRepetition(enable_fuzzing=False),
    )
    try:
        await practise(services, ANN, RISK[0], Rating.AGAIN)
        await practise(services, ANN, RISK[1], Rating.AGAIN)
        clock.now = at(2026, 3, 5, 8, 0)
        await services.daily_settings.set_daily(ANN, "09:00")
        clock.now = at(2026, 3, 5, 9, 0)
        rec = Recorder()
        assert (await services.sweep.tick(rec)).sent == 1
        pushed = rec.delivered[0].content
        assert (pushed.pick.reason, pushed.due_count) == ("review", 2)
        assert [r.reason for r in await delivery_rows(services.db)] == ["review"]
        # "Skip": the next question is a review only while the day's cap allows one.
        swapped = await services.prompting.skip(ANN, pushed.prompt.session_id)
        assert isinstance(swapped, DailyPrompt)
        assert swapped.pick.reason == second_reason
        assert swapped.pick.question.id != pushed.pick.question.id
        # The cap is per local day: tomorrow reviews are pushed again.
        clock.now = at(2026, 3, 6, 9, 0)
        assert (await services.sweep.tick(rec)).sent == 1
        assert rec.delivered[-1].content.pick.reason == "review"
    finally:
        await services.close()


@pytest.mark.parametrize(
    ("days_ahead", "question", "reason"),
    [(None, RISK[1], "review"), (10, RISK[1], "review"), (3, RISK[0], "weakest"), (0, RISK[0], "weakest")],
)
async def test_the_last_days_before_the_interview_favour_the_weakest(
    services: Services, clock: FakeClock, days_ahead: int | None, question: str, reason: str
) -> None:
    await practise(services, ANN, RISK[1], Rating.GOOD)  # due in 2 days
    clock.advance(days=3)
    await practise(services, ANN, RISK[0], Rating.HARD)  # weaker, but not due
    if days_ahead is not None:
        await services.daily_settings.set_interview_date(
            ANN, (clock.now + days_ahead * DAY).date().isoformat()
        )
    prompt = await open_prompt(services, ANN)
    assert (prompt.pick.question.id, prompt.pick.reason, prompt.days_left) == (question, reason, days_ahead)


async def test_unpractised_topics_are_listed_when_an_interview_date_is_set(
    services: Services, bank: QuestionBank
) -> None:
    await practise(services, ANN, RISK[0], Rating.GOOD)
    await practise(services, ANN, BUDGET[0], Rating.GOOD)
    assert (await open_prompt(services, ANN)).unpractised_topics == ()
    await services.daily_settings.set_interview_date(ANN, "2026-03-22")
    prompt = await open_prompt(services, ANN)
    assert prompt.days_left == 20
    assert prompt.unpractised_topics == tuple(TOPICS[t] for t in bank.topics() if t not in {"risk", "budget"})
    assert "Risk management" not in prompt.unpractised_topics


async def test_skip_gives_another_question(services: Services, clock: FakeClock) -> None:
    await services.daily_settings.set_daily(ANN, "09:30")
    await services.interviews.register(BOB)
    clock.advance(minutes=30)
    rec = Recorder()
    await services.sweep.tick(rec)
    first = rec.delivered[0].content
    assert await services.prompting.skip(BOB, first.prompt.session_id) is None  # not Bob's to skip
    swapped = await services.prompting.skip(ANN, first.prompt.session_id)
    assert isinstance(swapped, DailyPrompt)
    assert swapped.pick.question.id != first.pick.question.id
    assert swapped.prompt.session_id != first.prompt.session_id
    assert await services.prompting.skip(ANN, first.prompt.session_id) is None  # already skipped
    assert await sessions_of(services.db, ANN) == [("daily", "skipped"), ("daily", "active")]
    answered = await services.interviews.answer(ANN, "My answer to the new one.")
    assert isinstance(answered, Answered) and answered.question.id == swapped.pick.question.id


async def test_snooze_asks_the_same_question_an_hour_later(services: Services, clock: FakeClock) -> None:
    await services.daily_settings.set_daily(ANN, "09:30")
    clock.advance(minutes=30)
    rec = Recorder()
    await services.sweep.tick(rec)
    first = rec.delivered[0].content
    clock.advance(minutes=5)
    due = await services.prompting.snooze(ANN, first.prompt.session_id)
    assert due == at(2026, 3, 2, 10, 35)
    assert await services.prompting.snooze(ANN, first.prompt.session_id) is None  # already snoozed
    assert isinstance(await services.interviews.answer(ANN, "too early"), NotAsked)
    clock.now = at(2026, 3, 2, 10, 34)
    assert (await services.sweep.tick(rec)).sent == 0
    clock.now = at(2026, 3, 2, 10, 35)
    assert (await services.sweep.tick(rec)).sent == 1
    again = rec.delivered[1]
    assert (again.kind, again.content.pick.question.id) == ("snooze", first.pick.question.id)
    assert again.content.prompt.session_id != first.prompt.session_id
    answered = await services.interviews.answer(ANN, "Now I have time to answer.")
    assert isinstance(answered, Answered) and answered.question.id == first.pick.question.id
    clock.advance(hours=3)
    assert (await services.sweep.tick(rec)).sent == 0
    assert [(r.kind, r.status) for r in await delivery_rows(services.db)] == [
        ("daily", "sent"),
        ("snooze", "sent"),
    ]


async def test_a_snooze_into_quiet_hours_waits_until_they_end(services: Services, clock: FakeClock) -> None:
    await services.daily_settings.set_daily(ANN, "21:30", "Europe/Berlin")  # 20:30 UTC in March
    clock.now = at(2026, 3, 2, 20, 30)
    rec = Recorder()
    await services.sweep.tick(rec)
    clock.now = at(2026, 3, 2, 20, 40)
    due = await services.prompting.snooze(ANN, rec.delivered[0].content.prompt.session_id)
    assert due == at(2026, 3, 3, 6, 0)  # 07:00 in Berlin, when quiet hours end
    for moment in (at(2026, 3, 2, 21, 40), at(2026, 3, 2, 23, 0), at(2026, 3, 3, 5, 59)):
        clock.now = moment
        assert (await services.sweep.tick(rec)).sent == 0
    clock.now = at(2026, 3, 3, 6, 0)
    assert (await services.sweep.tick(rec)).sent == 1
    assert rec.delivered[1].kind == "snooze"


async def test_a_snooze_waits_out_quiet_hours_chosen_after_snoozing(
    services: Services, clock: FakeClock
) -> None:
    await services.daily_settings.set_daily(ANN, "09:30")
    clock.advance(minutes=30)
    rec = Recorder()
    await services.sweep.tick(rec)
    assert await services.prompting.snooze(ANN, rec.delivered[0].content.prompt.session_id) == at(
        2026, 3, 2, 10, 30
    )
    await services.daily_settings.set_quiet_hours(ANN, "10:00-12:00")
    clock.now = at(2026, 3, 2, 10, 30)
    report = await services.sweep.tick(rec)
    assert (report.deferred, report.sent) == (1, 0)
    clock.now = at(2026, 3, 2, 11, 59)
    assert (await services.sweep.tick(rec)).sent == 0
    clock.now = at(2026, 3, 2, 12, 0)
    assert (await services.sweep.tick(rec)).sent == 1


# --- answering a pushed prompt ---------------------------------------------------------------------


async def test_answering_and_rating_a_pushed_prompt_updates_its_card(
    services: Services, clock: FakeClock
) -> None:
    await services.daily_settings.set_daily(ANN, "09:30")
    clock.advance(minutes=30)
    rec = Recorder()
    await services.sweep.tick(rec)
    pushed = rec.delivered[0].content
    qid = pushed.pick.question.id
    clock.advance(minutes=4)
    answered = await services.interviews.answer(ANN, "I would start with the stakeholders.", message_id=77)
    assert isinstance(answered, Answered)
    assert (answered.question.id, answered.number, answered.total, answered.seconds_taken) == (qid, 1, 1, 240)
    assert answered.next is None and answered.summary is not None
    assert answered.summary.kind == "daily"
    assert await sessions_of(services.db, ANN) == [("daily", "finished")]
    async with services.db.transaction() as conn:
        stored = (await conn.execute(select(_answer).where(_answer.c.id == answered.answer_id))).one()
    assert (stored.question_id, stored.session_id, stored.source_message_id) == (
        qid,
        pushed.prompt.session_id,
        77,
    )

    rated = await services.interviews.rate(ANN, answered.answer_id, Rating.GOOD)
    assert rated is not None
    assert (rated.next_review, rated.next_review_in) == (clock.now + 2 * DAY, 2 * DAY)
    stored_card = await card(services.db, ANN, qid)
    assert (stored_card.due_at, stored_card.last_rating, stored_card.review_count) == (
        rated.next_review,
        int(Rating.GOOD),
        1,
    )
    assert stored_card.last_review_at == clock.now
    logs = await review_logs(services.db, qid)
    assert [(r, a) for r, a, _ in logs] == [(int(Rating.GOOD), answered.answer_id)]
    log = fsrs.ReviewLog.from_json(logs[0][2])
    assert (log.rating, log.review_datetime) == (fsrs.Rating.Good, clock.now)
    # Changing one's mind relabels the answer but is not a second review.
    relabel = await services.interviews.rate(ANN, answered.answer_id, Rating.EASY)
    assert relabel is not None and relabel.next_review == rated.next_review
    assert len(await review_logs(services.db, qid)) == 1
    assert await services.interviews.rate(BOB, answered.answer_id, Rating.EASY) is None


async def test_again_comes_back_sooner_than_easy(services: Services) -> None:
    again = await practise(services, ANN, RISK[3], Rating.AGAIN)
    easy = await practise(services, BOB, RISK[3], Rating.EASY)
    assert (again.next_review_in, easy.next_review_in) == (DAY, 8 * DAY)
    assert (await card(services.db, ANN, RISK[3])).due_at < (await card(services.db, BOB, RISK[3])).due_at


async def test_the_card_round_trips_through_the_database(services: Services, clock: FakeClock) -> None:
    first = await practise(services, ANN, RISK[5], Rating.GOOD)
    stored = await card(services.db, ANN, RISK[5])
    state = CardState.from_json(stored.state_json)
    assert state.due == stored.due_at == first.next_review
    assert json.loads(stored.state_json)["card_id"] == int(T0.timestamp() * 1000)

    clock.now = first.next_review  # review it when due, from what was read back
    prompt = await open_prompt(services, ANN)
    assert (prompt.pick.question.id, prompt.pick.reason, prompt.pick.days_ago) == (RISK[5], "review", 2)
    second = await practise(services, ANN, RISK[5], Rating.GOOD)
    expected = SpacedRepetition(enable_fuzzing=False).review(state, Rating.GOOD, clock.now)
    assert second.next_review == expected.due
    assert second.next_review_in > first.next_review_in
    restored = await card(services.db, ANN, RISK[5])
    assert (restored.review_count, restored.state_json) == (2, expected.card.card_json)
    before, after = (fsrs.Card.from_json(c.state_json).stability for c in (stored, restored))
    assert before is not None and after is not None and after > before
    assert [r for r, _, _ in await review_logs(services.db, RISK[5])] == [3, 3]


@pytest.mark.parametrize(
    ("interview", "due"),
    [
        (None, at(2026, 3, 10, 9, 0)),  # Easy on a new card: 8 days
        ("2026-03-07", at(2026, 3, 6, 9, 0)),  # capped at the whole days left
        ("2026-03-03", at(2026, 3, 3, 0, 0)),  # under a day left: due when the day begins
    ],
)
async def test_an_interview_date_caps_the_next_review(
    services: Services, interview: str | None, due: datetime
) -> None:
    await services.daily_settings.set_interview_date(ANN, interview)
    rated = await practise(services, ANN, RISK[6], Rating.EASY)
    assert rated.next_review == due
    assert (await card(services.db, ANN, RISK[6])).due_at == due


# --- mock interview ratings and /review --------------------------------------------------------------


async def test_start_review_with_nothing_due_says_when_the_next_one_is(
    services: Services, clock: FakeClock
) -> None:
    nothing = await services.prompting.start_review(ANN)
    assert nothing == NothingDue(None)
    await practise(services, ANN, RISK[0], Rating.GOOD)
    assert await services.prompting.start_review(ANN) == NothingDue(T0 + 2 * DAY)
    clock.now = T0 + 2 * DAY - timedelta(seconds=1)
    assert await services.prompting.start_review(ANN) == NothingDue(T0 + 2 * DAY)


async def test_start_review_practises_every_due_question_most_overdue_first(
    services: Services, clock: FakeClock
) -> None:
    # A rating in a mock interview schedules the question too.
    started = await services.interviews.start(ANN)
    assert isinstance(started, Started)
    from_interview = started.prompt.question.id
    answered = await services.interviews.answer(ANN, "My answer in the mock interview.")
    assert isinstance(answered, Answered)
    rated = await services.interviews.rate(ANN, answered.answer_id, Rating.HARD)  # due in 1 day
    assert rated is not None and rated.next_review == T0 + DAY
    assert isinstance(await services.prompting.start_review(ANN), AlreadyRunning)  # interview running
    await services.interviews.cancel(ANN)

    good, easy, again = [q for q in RISK if q != from_interview][:3]
    clock.advance(hours=1)
    await practise(services, ANN, good, Rating.GOOD)  # due 4 March 10:00
    await practise(services, ANN, easy, Rating.EASY)  # not due for 8 days
    clock.advance(minutes=30)
    await practise(services, ANN, again, Rating.AGAIN)  # due 3 March 10:30
    clock.now = at(2026, 3, 5, 9, 0)
    await open_prompt(services, ANN)  # an open daily prompt gives way to the review

    review = await services.prompting.start_review(ANN)
    assert isinstance(review, Started)
    assert review.prompt.kind == "review"
    assert (review.prompt.number, review.prompt.total) == (1, 3)
    assert review.prompt.question.id == from_interview
    assert await sessions_of(services.db, ANN) == [
        ("interview", "cancelled"),
        ("daily", "finished"),
        ("daily", "finished"),
        ("daily", "finished"),
        ("daily", "replaced"),
        ("review", "active"),
    ]
    order = []
    results: list[Answered] = []
    for number in (1, 2, 3):
        result = await services.interviews.answer(ANN, f"Review answer {number}.")
        assert isinstance(result, Answered) and result.number == number
        results.append(result)
        order.append(result.question.id)
        assert await services.interviews.rate(ANN, result.answer_id, Rating.GOOD) is not None
    assert order == [from_interview, again, good]
    assert results[-1].summary is not None and results[-1].next is None
    assert results[-1].summary.kind == "review"
    for qid in order:
        assert (await card(services.db, ANN, qid)).review_count == 2
    after = await services.prompting.start_review(ANN)
    assert isinstance(after, NothingDue)
    dues = [(await card(services.db, ANN, qid)).due_at for qid in (*order, easy)]
    assert after.next_due == min(dues) and min(dues) > clock.now


async def test_practise_again_on_an_answered_unrated_question_does_not_call_it_new(
    services: Services,
) -> None:
    first = await services.prompting.practise_now(ANN, RISK[3])
    assert isinstance(first, DailyPrompt) and first.pick.reason == "new"
    answered = await services.interviews.answer(ANN, "I would name an owner, a trigger and a plan.")
    assert isinstance(answered, Answered)  # not rated: no card, so no "due for review" either
    again = await services.prompting.practise_now(ANN, RISK[3])
    assert isinstance(again, DailyPrompt) and again.pick.reason == "again"
    shown = to_plain(render("daily_prompt", daily=again))
    assert "Once more: you've answered this one before." in shown and "New:" not in shown
    # Rated, it is a review with its rating, as before.
    await services.interviews.answer(ANN, "Owner, trigger, plan, and a weekly review.")
    rated = await practise(services, ANN, RISK[3], Rating.HARD)
    assert rated.rating == Rating.HARD
    review = await services.prompting.practise_now(ANN, RISK[3])
    assert isinstance(review, DailyPrompt) and review.pick.reason == "review"
