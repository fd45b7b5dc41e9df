"""History, attempts, stats and deleting everything, on a real SQLite file with a fake clock.

Answers are stored through the real repositories (and, where sessions, cards, review logs,
deliveries and schedules matter, through the real interview, rating and sweep paths), so
everything below the Identity is the real thing; only time is moved by hand.
"""

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Table, func, inspect, select

from bot.core.feedback import Feedback, words
from bot.core.interview import Answered, Identity, Started
from bot.core.progress import ChartPoint, ProgressService, streaks
from bot.core.rating import Rating
from bot.core.services import Services
from bot.core.sweep import Outgoing, SendResult
from questions.loader import QuestionBank
from questions.schema import Question
from storage.db import Database
from storage.history_repositories import (
    attempts_by_answer_query,
    attempts_query,
    count_query,
    page_query,
    query_plan,
    stat_rows_query,
)
from storage.models import Base
from storage.records import NewAnswer
from tests.conftest import FakeClock

ANN = Identity("tg:1001", 1001, "Ann")
BOB = Identity("tg:1002", 1002, "Bob")
NOBODY = Identity("tg:9999", 9999, "Nobody")


async def add_answer(
    services: Services,
    who: Identity,
    question_id: str,
    at: datetime,
    text: str = "an answer",
    *,
    covered: tuple[int, ...] | None = None,
    total: int | None = None,
) -> int:
    """Store one answer as the interview would (assessed by the real matcher), answered at `at`."""
    question = services.bank.by_id.get(question_id)
    if question is not None:
        feedback = services.interviews.matcher.assess(question, text)
    else:
        feedback = Feedback(tuple("?" * (total or 0)), covered or (), len(words(text)))
    async with services.db.unit() as uow:
        user, _ = await uow.users.upsert(who.external_id, who.chat_id, who.display_name, at)
        return await uow.answers.add(
            NewAnswer(
                user_id=user.id,
                session_id=None,
                position=None,
                question_id=question_id,
                text=text,
                word_count=feedback.word_count,
                covered=feedback.covered if covered is None else covered,
                points_total=feedback.total if total is None else total,
                asked_at=at,
                answered_at=at,
                seconds_taken=0,
                source_message_id=None,
            )
        )


async def set_zone(services: Services, who: Identity, zone: str) -> None:
    async with services.db.unit() as uow:
        user, _ = await uow.users.upsert(who.external_id, who.chat_id, who.display_name, services.clock())
        await uow.users.set_timezone(user.id, zone)


def local(zone: str, year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A wall time in `zone`, as the UTC instant it names."""
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone)).astimezone(UTC)


# -- streaks: the pure rule ---------------------------------------------------------------------

TODAY = date(2026, 3, 10)


def ago(*days: int) -> list[date]:
    return [TODAY - timedelta(days=d) for d in days]


@pytest.mark.parametrize(
    ("days", "current", "longest", "today_done"),
    [
        pytest.param([], 0, 0, False, id="nothing"),
        pytest.param(ago(0), 1, 1, True, id="today only"),
        pytest.param(ago(1), 1, 1, False, id="yesterday still current"),
        pytest.param(ago(2), 0, 1, False, id="day before yesterday is broken"),
        pytest.param(ago(3, 2, 1), 3, 3, False, id="run up to yesterday"),
        pytest.param(ago(2, 1, 0, 0, 1), 3, 3, True, id="duplicates count once"),
        pytest.param(ago(9, 8, 7, 6, 1, 0), 2, 4, True, id="a gap breaks the run"),
        pytest.param(ago(9, 8, 7, 5, 4), 0, 3, False, id="longest is in the past"),
        pytest.param(ago(30, 0), 1, 1, True, id="a single day after a long pause"),
    ],
)
def test_streak_rules(days: list[date], current: int, longest: int, today_done: bool) -> None:
    result = streaks(days, TODAY)
    assert (result.current, result.longest, result.practised_today) == (current, longest, today_done)
    assert result.last_day == (max(days) if days else None)


# -- streaks through the service, in the user's time zone ------------------------------------------

KIRITIMATI = "Pacific/Kiritimati"  # UTC+14: local evening is UTC morning of the same date
MINUS_12 = "Etc/GMT+12"  # UTC-12 (POSIX sign): local morning is UTC noon of the same date
BERLIN = "Europe/Berlin"  # DST 2026-03-29 (02:00 -> 03:00) and 2026-10-25 (03:00 -> 02:00)

Wall = tuple[int, int, int, int, int]


@pytest.mark.parametrize(
    ("zone", "answers", "now", "days", "current", "longest", "last"),
    [
        # 23:30 and 00:30 local are 09:30 and 10:30 UTC of one UTC day, but two local days.
        pytest.param(
            KIRITIMATI,
            [(2026, 3, 1, 23, 30), (2026, 3, 2, 0, 30)],
            (2026, 3, 2, 12, 0),
            2,
            2,
            2,
            date(2026, 3, 2),
            id="kiritimati-two-local-days",
        ),
        pytest.param(
            MINUS_12,
            [(2026, 3, 1, 23, 30), (2026, 3, 2, 0, 30)],
            (2026, 3, 2, 12, 0),
            2,
            2,
            2,
            date(2026, 3, 2),
            id="gmt-12-two-local-days",
        ),
        # Two answers on one local day, 23:30 and 00:05 UTC: still one day.
        pytest.param(
            MINUS_12,
            [(2026, 3, 1, 11, 30), (2026, 3, 1, 12, 5)],
            (2026, 3, 1, 13, 0),
            1,
            1,
            1,
            date(2026, 3, 1),
            id="gmt-12-one-local-day-two-utc-days",
        ),
        # Spring forward: 23:30 CET, 00:30 CET, 23:30 CEST, 00:30 CEST are days 28, 29, 30
        # (in UTC they fall on only two days: 28 and 29).
        pytest.param(
            BERLIN,
            [(2026, 3, 28, 23, 30), (2026, 3, 29, 0, 30), (2026, 3, 29, 23, 30), (2026, 3, 30, 0, 30)],
            (2026, 3, 30, 8, 0),
            3,
            3,
            3,
            date(2026, 3, 30),
            id="berlin-spring-forward",
        ),
        # Fall back: the 25-hour day 2026-10-25 is one day.
        pytest.param(
            BERLIN,
            [(2026, 10, 24, 23, 30), (2026, 10, 25, 0, 30), (2026, 10, 25, 23, 30), (2026, 10, 26, 0, 30)],
            (2026, 10, 26, 8, 0),
            3,
            3,
            3,
            date(2026, 10, 26),
            id="berlin-fall-back",
        ),
        # Last answer yesterday (local): the streak is still current until today ends...
        pytest.param(
            KIRITIMATI,
            [(2026, 3, 1, 23, 30), (2026, 3, 2, 0, 30)],
            (2026, 3, 3, 23, 59),
            2,
            2,
            2,
            date(2026, 3, 2),
            id="yesterday-still-current-at-23:59",
        ),
        # ...and broken as soon as the next local day starts.
        pytest.param(
            KIRITIMATI,
            [(2026, 3, 1, 23, 30), (2026, 3, 2, 0, 30)],
            (2026, 3, 4, 0, 0),
            2,
            0,
            2,
            date(2026, 3, 2),
            id="broken-at-local-midnight",
        ),
        # A gap of one local day breaks the run; the longest run stays.
        pytest.param(
            BERLIN,
            [
                (2026, 3, 27, 23, 30),
                (2026, 3, 28, 23, 30),
                (2026, 3, 29, 0, 30),
                (2026, 3, 31, 0, 30),
                (2026, 4, 1, 23, 30),
            ],
            (2026, 4, 1, 23, 45),
            5,
            2,
            3,
            date(2026, 4, 1),
            id="berlin-gap-breaks",
        ),
    ],
)
async def test_streaks_count_local_days(
    services: Services,
    clock: FakeClock,
    bank: QuestionBank,
    zone: str,
    answers: list[Wall],
    now: Wall,
    days: int,
    current: int,
    longest: int,
    last: date,
) -> None:
    await set_zone(services, ANN, zone)
    question = bank.questions[0].id
    for wall in answers:
        await add_answer(services, ANN, question, local(zone, *wall))
    clock.now = local(zone, *now)
    stats = await services.progress.stats(ANN)
    assert stats.timezone == zone
    assert stats.answers == len(answers)
    assert (stats.days_practised, stats.current_streak, stats.longest_streak) == (days, current, longest)
    assert stats.last_practised == last
    assert stats.today == datetime(*now, tzinfo=ZoneInfo(zone)).date()
    assert stats.practised_today == (last == stats.today)


async def test_the_default_zone_applies_when_the_user_chose_none(
    services: Services, clock: FakeClock, bank: QuestionBank
) -> None:
    question = bank.questions[0].id
    await add_answer(services, ANN, question, local(KIRITIMATI, 2026, 3, 1, 23, 30))
    await add_answer(services, ANN, question, local(KIRITIMATI, 2026, 3, 2, 0, 30))
    clock.now = local(KIRITIMATI, 2026, 3, 2, 12)
    in_utc = await services.progress.stats(ANN)
    assert (in_utc.timezone, in_utc.days_practised) == ("UTC", 1)
    kiritimati = ProgressService(services.db, services.interviews, clock, KIRITIMATI)
    stats = await kiritimati.stats(ANN)
    assert (stats.timezone, stats.days_practised, stats.current_streak) == (KIRITIMATI, 2, 2)
    # The user's own zone wins over the default.
    await set_zone(services, ANN, "UTC")
    assert (await kiritimati.stats(ANN)).days_practised == 1


# -- attempts and what changed -------------------------------------------------------------------


def phrase_answer(question: Question, points: tuple[int, ...], filler: int) -> str:
    parts = [question.talking_points[i].match[0] for i in points]
    return "I would " + ", then ".join(parts) + "." + " indeed" * filler


def three_point_question(services: Services) -> Question:
    """A question whose first three talking points can be hit one by one by their phrases."""
    matcher = services.interviews.matcher
    for question in services.bank.questions:
        if len(question.talking_points) < 4:
            continue
        if all(
            matcher.assess(question, phrase_answer(question, points, 0)).covered == points
            for points in ((0, 1), (1, 2), (0, 1, 2), (0,), (1,), (2,))
        ):
            return question
    raise AssertionError("no question in the bank has three independent talking points")


async def test_attempts_show_every_try_and_what_changed(services: Services, clock: FakeClock) -> None:
    await set_zone(services, ANN, BERLIN)
    question = three_point_question(services)
    labels = [tp.label for tp in question.talking_points]
    texts = [
        phrase_answer(question, (0, 1), 5),
        phrase_answer(question, (1, 2), 25),
        phrase_answer(question, (0, 1, 2), 2),
    ]
    times = [
        local(BERLIN, 2026, 3, 1, 23, 30),
        local(BERLIN, 2026, 3, 3, 8),
        local(BERLIN, 2026, 3, 9, 0, 30),
    ]
    ids = [
        await add_answer(services, ANN, question.id, at, text) for at, text in zip(times, texts, strict=True)
    ]
    other = next(q for q in services.bank.questions if q.id != question.id)
    await add_answer(services, ANN, other.id, times[1] + timedelta(minutes=5), "other question")
    await add_answer(services, BOB, question.id, times[1], "Bob's attempt")
    clock.now = times[2] + timedelta(hours=1)
    rated = await services.interviews.rate(ANN, ids[1], Rating.HARD)
    assert rated is not None

    history = await services.progress.attempts(ANN, ids[1])
    assert history is not None
    assert history.question == question and history.answer_id == ids[1]
    assert [a.answer_id for a in history.attempts] == ids
    assert [a.number for a in history.attempts] == [1, 2, 3]
    assert [a.text for a in history.attempts] == texts
    assert [a.day for a in history.attempts] == [date(2026, 3, 1), date(2026, 3, 3), date(2026, 3, 9)]
    assert [a.answered_at for a in history.attempts] == times
    assert [a.covered_labels for a in history.attempts] == [
        (labels[0], labels[1]),
        (labels[1], labels[2]),
        (labels[0], labels[1], labels[2]),
    ]
    assert history.attempts[0].missed_labels == tuple(labels[2:])
    assert history.attempts[2].missed_labels == tuple(labels[3:])
    assert [(a.covered, a.total) for a in history.attempts] == [
        (2, len(labels)),
        (2, len(labels)),
        (3, len(labels)),
    ]
    assert [a.rating for a in history.attempts] == [None, Rating.HARD, None]
    counts = [len(words(t)) for t in texts]
    assert [a.word_count for a in history.attempts] == counts

    first, second, third = history.attempts
    assert first.diff is None
    assert second.diff is not None and third.diff is not None
    assert (second.diff.newly_covered, second.diff.lost) == ((labels[2],), (labels[0],))
    assert second.diff.word_change == counts[1] - counts[0]
    assert second.diff.points_change == 0
    assert (third.diff.newly_covered, third.diff.lost) == ((labels[0],), ())
    assert third.diff.word_change == counts[2] - counts[1]
    assert third.diff.points_change == 1
    # Any attempt opens the same history.
    again = await services.progress.attempts(ANN, ids[0])
    assert again is not None and again.attempts == history.attempts and again.latest == third


async def test_filler_words_move_the_word_count_exactly(services: Services) -> None:
    question = three_point_question(services)
    at = datetime(2026, 3, 1, 9, tzinfo=UTC)
    a = await add_answer(services, ANN, question.id, at, phrase_answer(question, (0,), 3))
    await add_answer(services, ANN, question.id, at + timedelta(days=1), phrase_answer(question, (0,), 40))
    await add_answer(services, ANN, question.id, at + timedelta(days=2), phrase_answer(question, (0,), 10))
    history = await services.progress.attempts(ANN, a)
    assert history is not None
    diffs = [x.diff for x in history.attempts[1:]]
    assert [(d.word_change, d.newly_covered, d.lost) for d in diffs if d] == [(37, (), ()), (-30, (), ())]


async def test_attempts_of_someone_elses_answer_reveal_nothing(services: Services, clock: FakeClock) -> None:
    question = services.bank.questions[3]
    bobs = await add_answer(services, BOB, question.id, clock(), "Bob's secret answer")
    await add_answer(services, ANN, question.id, clock(), "Ann's own answer")
    assert await services.progress.attempts(ANN, bobs) is None
    assert await services.progress.attempts(ANN, bobs + 1000) is None
    assert await services.progress.attempts(NOBODY, bobs) is None
    own = await services.progress.attempts(BOB, bobs)
    assert own is not None and [a.text for a in own.attempts] == ["Bob's secret answer"]


async def test_attempts_at_a_question_no_longer_in_the_bank(services: Services, clock: FakeClock) -> None:
    gone = await add_answer(services, ANN, "retired-question", clock(), "old words", covered=(0, 2), total=3)
    history = await services.progress.attempts(ANN, gone)
    assert history is not None
    (attempt,) = history.attempts
    assert (attempt.covered, attempt.total, attempt.covered_labels, attempt.missed_labels) == (2, 3, (), ())


# -- history pages ------------------------------------------------------------------------------

PAGE_START = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)


async def seed_history(services: Services) -> tuple[str, str, list[int], dict[str, list[int]]]:
    """Ann: 12 answers an hour apart, alternating two topics (7 + 5); Bob: 6 in between."""
    topic_a, topic_b = services.bank.topics()[:2]
    qa, qb = services.bank.by_topic(topic_a), services.bank.by_topic(topic_b)
    ids: list[int] = []
    by_topic: dict[str, list[int]] = {topic_a: [], topic_b: []}
    for n in range(12):
        topic, pool = (topic_a, qa) if n % 2 == 0 or n == 11 else (topic_b, qb)
        at = PAGE_START + timedelta(hours=n)
        answer_id = await add_answer(services, ANN, pool[n % len(pool)].id, at, f"answer {n}")
        ids.append(answer_id)
        by_topic[topic].append(answer_id)
        if n % 2 == 0:
            await add_answer(services, BOB, pool[0].id, at + timedelta(minutes=1), f"bob {n}")
    return topic_a, topic_b, ids, by_topic


@pytest.mark.parametrize(
    ("page", "size", "topic", "want_page", "pages", "total", "slice_"),
    [
        pytest.param(1, 5, None, 1, 3, 12, slice(0, 5), id="first"),
        pytest.param(2, 5, None, 2, 3, 12, slice(5, 10), id="middle"),
        pytest.param(3, 5, None, 3, 3, 12, slice(10, 12), id="last-short"),
        pytest.param(99, 5, None, 3, 3, 12, slice(10, 12), id="past-the-end-clamps"),
        pytest.param(0, 5, None, 1, 3, 12, slice(0, 5), id="zero-clamps"),
        pytest.param(-3, 5, None, 1, 3, 12, slice(0, 5), id="negative-clamps"),
        pytest.param(1, 12, None, 1, 1, 12, slice(0, 12), id="exact-fit"),
        pytest.param(2, 4, None, 2, 3, 12, slice(4, 8), id="size-4"),
        pytest.param(1, 1, None, 1, 12, 12, slice(0, 1), id="size-1"),
        pytest.param(2, 3, "a", 2, 3, 7, slice(3, 6), id="topic-a-middle"),
        pytest.param(3, 3, "a", 3, 3, 7, slice(6, 7), id="topic-a-last"),
        pytest.param(5, 2, "b", 3, 3, 5, slice(4, 5), id="topic-b-clamped"),
    ],
)
async def test_history_pages(
    services: Services,
    page: int,
    size: int,
    topic: str | None,
    want_page: int,
    pages: int,
    total: int,
    slice_: slice,
) -> None:
    topic_a, topic_b, ids, by_topic = await seed_history(services)
    slug = {"a": topic_a, "b": topic_b, None: None}[topic]
    expected = list(reversed(by_topic[slug] if slug else ids))[slice_]
    result = await services.progress.history_page(ANN, page, slug, page_size=size)
    assert (result.page, result.pages, result.total, result.page_size) == (want_page, pages, total, size)
    assert [i.answer_id for i in result.items] == expected
    assert result.topic == slug and result.unknown_topic is None
    assert result.has_prev == (want_page > 1) and result.has_next == (want_page < pages)
    # Newest first, only Ann's answers, each with its question and local day.
    times = [i.answered_at for i in result.items]
    assert times == sorted(times, reverse=True)
    assert all(slug is None or i.question.topic == slug for i in result.items)
    assert all(i.day == i.answered_at.date() for i in result.items)


async def test_pages_read_from_either_end_agree(services: Services) -> None:
    """Older-half pages are read oldest first and reversed: the same rows as walking from the top."""
    q = services.bank.questions
    ids = [q[0].id, q[1].id]
    for n in range(13):
        # Pairs of equal timestamps, so the id tie-break is exercised from both ends.
        at = PAGE_START + timedelta(hours=n // 2)
        await add_answer(services, ANN, q[n % 3].id, at, f"answer {n}")
    async with services.db.unit() as uow:
        user = await uow.users.get(ANN.external_id)
        assert user is not None
        history = uow.history
        for topic in (None, ids):
            total = await history.count(user.id, topic)
            for size in range(1, total + 2):
                for offset in range(0, total + 1, size):
                    top = await history.page(user.id, offset, size, topic)
                    either = await history.page(user.id, offset, size, topic, total=total)
                    assert either == top, (topic, size, offset)
            everything = await history.page(user.id, 0, 100, topic)
            assert [(r.answered_at, r.id) for r in everything] == sorted(
                ((r.answered_at, r.id) for r in everything), reverse=True
            )


async def test_history_topic_by_name_unknown_topic_and_strangers(
    services: Services, clock: FakeClock
) -> None:
    topic_a, _, _, by_topic = await seed_history(services)
    named = await services.progress.history_page(ANN, 1, services.bank.by_topic(topic_a)[0].topic_name)
    assert named.topic == topic_a and named.total == len(by_topic[topic_a])
    unknown = await services.progress.history_page(ANN, 1, "astrology")
    assert (unknown.items, unknown.total, unknown.topic, unknown.unknown_topic) == ((), 0, None, "astrology")
    blank = await services.progress.history_page(ANN, 1, "   ")
    assert (blank.topic, blank.unknown_topic, blank.total) == (None, None, 12)
    stranger = await services.progress.history_page(NOBODY, 2)
    assert (stranger.items, stranger.page, stranger.pages, stranger.total) == ((), 1, 1, 0)
    # A topic the user never answered is an empty first page, not an error.
    empty = await services.progress.history_page(ANN, 3, services.bank.topics()[-1])
    assert (empty.items, empty.page, empty.pages, empty.total) == ((), 1, 1, 0)


async def test_history_ties_break_by_newest_id_and_show_ratings(services: Services, clock: FakeClock) -> None:
    q = services.bank.questions
    same = datetime(2026, 3, 1, 12, tzinfo=UTC)
    ids = [await add_answer(services, ANN, q[i].id, same, f"tie {i}") for i in range(3)]
    await services.interviews.rate(ANN, ids[1], Rating.EASY)
    page = await services.progress.history_page(ANN, 1)
    assert [i.answer_id for i in page.items] == ids[::-1]
    assert [i.rating for i in page.items] == [None, Rating.EASY, None]


async def test_history_days_are_local(services: Services, clock: FakeClock, bank: QuestionBank) -> None:
    await set_zone(services, ANN, KIRITIMATI)
    at = local(KIRITIMATI, 2026, 3, 2, 0, 30)  # 2026-03-01 10:30 UTC
    await add_answer(services, ANN, bank.questions[0].id, at)
    (item,) = (await services.progress.history_page(ANN, 1)).items
    assert (item.answered_at.date(), item.day) == (date(2026, 3, 1), date(2026, 3, 2))


# -- stats per topic and the chart series ---------------------------------------------------------


async def test_stats_per_topic_reviews_and_series(services: Services, clock: FakeClock) -> None:
    topic_a, topic_b = services.bank.topics()[:2]
    qa = services.bank.by_topic(topic_a)
    qb = services.bank.by_topic(topic_b)
    day = datetime(2026, 3, 1, 9, tzinfo=UTC)

    def full(question: Question) -> str:
        return "I " + ", ".join(tp.match[0] for tp in question.talking_points) + "."

    plan = [
        (qa[0], day, full(qa[0]), Rating.GOOD),
        (qa[0], day + timedelta(days=1), "nothing relevant", Rating.AGAIN),
        (qa[1], day + timedelta(days=1, hours=1), "nothing relevant", None),
        (qb[0], day + timedelta(days=2), full(qb[0]), Rating.EASY),
    ]
    ids = []
    for question, at, text, _ in plan:
        ids.append(await add_answer(services, ANN, question.id, at, text))
    await add_answer(
        services, ANN, "retired-question", day + timedelta(days=2, hours=1), covered=(0,), total=2
    )
    await add_answer(services, BOB, qa[0].id, day, full(qa[0]))
    clock.now = day + timedelta(days=2, hours=2)
    for answer_id, (_, _, _, rating) in zip(ids, plan, strict=True):
        if rating is not None:
            assert await services.interviews.rate(ANN, answer_id, rating) is not None

    stats = await services.progress.stats(ANN)
    assert (stats.answers, stats.days_practised, stats.current_streak, stats.longest_streak) == (5, 3, 3, 3)
    assert [t.topic for t in stats.topics] == [topic_a, topic_b]
    a, b = stats.topics
    pa0, pa1, pb0 = len(qa[0].talking_points), len(qa[1].talking_points), len(qb[0].talking_points)
    assert (a.answers, a.questions, a.covered, a.total) == (3, 2, pa0, 2 * pa0 + pa1)
    assert a.percent == round(100 * pa0 / (2 * pa0 + pa1))
    assert dict(a.ratings) == {Rating.AGAIN: 1, Rating.HARD: 0, Rating.GOOD: 1, Rating.EASY: 0}
    assert a.unrated == 1 and a.name == services.bank.by_topic(topic_a)[0].topic_name
    assert (b.answers, b.questions, b.covered, b.total, b.percent, b.unrated) == (1, 1, pb0, pb0, 100, 0)
    assert dict(b.ratings)[Rating.EASY] == 1
    # One chart point per answer to a known question, oldest first (the retired one is left out).
    assert stats.series == (
        ChartPoint(date(2026, 3, 1), topic_a, pa0, pa0),
        ChartPoint(date(2026, 3, 2), topic_a, 0, pa0),
        ChartPoint(date(2026, 3, 2), topic_a, 0, pa1),
        ChartPoint(date(2026, 3, 3), topic_b, pb0, pb0),
    )
    # Reviews: two cards for Ann (qa[0] rated twice is one card, qb[0]); none due yet.
    async with services.db.unit() as uow:
        user = await uow.users.get(ANN.external_id)
        assert user is not None
        cards = uow.cards
        found = [await cards.get(user.id, q.id) for q in (qa[0], qb[0])]
    dues = sorted(c.due_at for c in found if c is not None)
    assert len(dues) == 2 and all(d > clock() for d in dues)
    assert (stats.reviews_due, stats.next_review_at) == (0, dues[0])
    clock.now = dues[0]
    later = await services.progress.stats(ANN)
    assert (later.reviews_due, later.next_review_at) == (1, dues[1])
    clock.now = dues[1] + timedelta(days=1)
    last = await services.progress.stats(ANN)
    assert (last.reviews_due, last.next_review_at) == (2, None)
    assert (last.current_streak, last.longest_streak) == (0, 3)


async def test_stats_for_someone_who_never_answered(services: Services, clock: FakeClock) -> None:
    stats = await services.progress.stats(NOBODY)
    assert (stats.answers, stats.days_practised, stats.current_streak, stats.longest_streak) == (0, 0, 0, 0)
    assert (stats.topics, stats.series, stats.reviews_due, stats.next_review_at) == ((), (), 0, None)
    assert stats.today == date(2026, 3, 2) and stats.last_practised is None


# -- deleting everything --------------------------------------------------------------------------

# The inbox keeps an update's text only until it is handled (then just its id), by no user.
TABLES = [t for t in Base.metadata.sorted_tables if t.name != "inbox_update"]


def hashable(value: Any) -> Any:
    return json.dumps(value, sort_keys=True) if isinstance(value, list | dict) else value


async def all_rows(db: Database) -> dict[str, set[tuple[Any, ...]]]:
    """Every row of every table (JSON values as text, so rows can be compared as sets)."""
    async with db.transaction() as conn:
        return {
            t.name: {tuple(hashable(v) for v in r) for r in await conn.execute(select(t))} for t in TABLES
        }


def owner_column(table: Table) -> str:
    return "id" if table.name == "user" else "user_id"


async def use_everything(services: Services, clock: FakeClock, who: Identity) -> None:
    """Fill every table for `who` through the real paths: interview, rating, daily prompt, snooze."""
    started = await services.interviews.start(who)
    assert isinstance(started, Started)
    for n in range(2):
        clock.advance(seconds=30)
        answered = await services.interviews.answer(who, f"risk register and stakeholders, take {n}")
        assert isinstance(answered, Answered)
        assert await services.interviews.rate(who, answered.answer_id, Rating.HARD) is not None
    await services.interviews.cancel(who)
    await services.daily_settings.set_daily(who, "09:30", BERLIN)


async def test_delete_everything_removes_every_row_of_that_user_only(
    services: Services, clock: FakeClock
) -> None:
    async with services.db.transaction() as conn:
        tables = set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
    # Every table the database has is one this test checks (Alembic's own bookkeeping aside).
    assert tables - {"alembic_version", "inbox_update"} == {t.name for t in TABLES}
    assert all(owner_column(t) in t.c for t in TABLES)

    for who in (ANN, BOB):
        await use_everything(services, clock, who)
    clock.now = datetime(2026, 3, 3, 8, 31, tzinfo=UTC)  # 09:31 in Berlin: the daily prompt is due
    sent: list[Outgoing] = []

    async def send(out: Outgoing) -> tuple[SendResult, int | None]:
        sent.append(out)
        return SendResult.SENT, 100 + len(sent)

    await services.sweep.tick(send)
    assert len(sent) == 2
    for out in sent:
        who = ANN if out.chat_id == ANN.chat_id else BOB
        assert await services.prompting.snooze(who, out.content.prompt.session_id) is not None

    async with services.db.unit() as uow:
        ann = await uow.users.get(ANN.external_id)
        bob = await uow.users.get(BOB.external_id)
    assert ann is not None and bob is not None
    before = await all_rows(services.db)
    for table in TABLES:
        index = list(table.c.keys()).index(owner_column(table))
        owners = {row[index] for row in before[table.name]}
        # Both users have rows in every table, so the test would notice a table left behind.
        assert owners == {ann.id, bob.id}, table.name

    assert await services.progress.delete_everything(ANN) is True

    after = await all_rows(services.db)
    for table in TABLES:
        index = list(table.c.keys()).index(owner_column(table))
        bobs = {row for row in before[table.name] if row[index] == bob.id}
        assert after[table.name] == bobs, table.name
    assert await services.progress.delete_everything(ANN) is False
    assert await services.progress.delete_everything(NOBODY) is False

    # A later /start begins from nothing.
    assert await services.interviews.register(ANN) is True
    stats = await services.progress.stats(ANN)
    assert (stats.answers, stats.reviews_due, stats.next_review_at, stats.topics) == (0, 0, None, ())
    assert (await services.progress.history_page(ANN, 1)).total == 0
    assert (await services.progress.history_page(ANN, 1)).total == 0
    daily = await services.daily_settings.daily(ANN)
    assert (daily.enabled, daily.timezone, daily.interview_date) == (False, "UTC", None)
    started = await services.interviews.start(ANN)
    assert isinstance(started, Started) and started.prompt.number == 1
    async with services.db.unit() as uow:
        fresh = await uow.users.profile(ANN.external_id)
        assert fresh is not None
        for table in TABLES:
            if table.name in ("user", "interview_session"):
                continue
            count = await uow.conn.execute(
                select(func.count()).select_from(table).where(table.c.user_id == fresh.user_id)
            )
            assert count.scalar_one() == 0, table.name


FOREIGN_KEYS = [
    pytest.param(
        fk.parent.table.name,
        fk.parent.name,
        id=f"{fk.parent.table.name}.{fk.parent.name}",
    )
    for table in Base.metadata.sorted_tables
    for fk in table.foreign_keys
]


@pytest.mark.parametrize(("table", "column"), FOREIGN_KEYS)
async def test_every_foreign_key_column_leads_an_index(services: Services, table: str, column: str) -> None:
    """Deleting a user cascades through every foreign key; SQLite (and PostgreSQL) find the
    child rows of each deleted parent row through an index on the child column, or else scan
    the whole child table once per parent row.
    """
    async with services.db.transaction() as conn:
        indexes, pk = await conn.run_sync(
            lambda sync: (inspect(sync).get_indexes(table), inspect(sync).get_pk_constraint(table))
        )
    # A partial index cannot answer "all rows with this key".
    leading = {
        index["column_names"][0]
        for index in indexes
        if not any(
            key.endswith("_where") and value is not None for key, value in index["dialect_options"].items()
        )
    }
    # The primary key is an index too (SQLite: a lone INTEGER PRIMARY KEY is the rowid itself).
    leading.update(pk["constrained_columns"][:1])
    assert column in leading


# -- the queries use the indexes ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "index"),
    [
        ("page", "ix_answer_user_answered"),
        ("deep page", "ix_answer_user_answered"),
        ("page from the oldest end", "ix_answer_user_answered"),
        # Any index that starts with user_id counts the rows without reading them.
        ("count", "COVERING INDEX ix_answer_user_"),
        ("attempts", "ix_answer_user_question"),
        ("attempts by answer", "ix_answer_user_question"),
        ("stat rows", "ix_answer_user_answered"),
    ],
)
@pytest.mark.sqlite_only  # SQLite's query plans (PostgreSQL's depend on table statistics)
async def test_history_queries_use_the_indexes(services: Services, name: str, index: str) -> None:
    statements = {
        "page": page_query(1, 0, 5),
        "deep page": page_query(1, 4995, 5),
        "page from the oldest end": page_query(1, 0, 5, oldest_first=True),
        "count": count_query(1),
        "attempts": attempts_query(1, "q-one"),
        "attempts by answer": attempts_by_answer_query(1, 42),
        "stat rows": stat_rows_query(1),
    }
    async with services.db.transaction() as conn:
        plan = await query_plan(conn, statements[name])
    text = "\n".join(plan)
    assert index in text, text
    # Never a walk over the whole table, never a sort of the user's rows.
    assert not any(line.startswith("SCAN answer") for line in plan), text
    assert "TEMP B-TREE" not in text, text


@pytest.mark.sqlite_only  # SQLite's query plans (PostgreSQL's depend on table statistics)
async def test_topic_page_searches_an_index(services: Services) -> None:
    ids = [q.id for q in services.bank.by_topic(services.bank.topics()[0])]
    async with services.db.transaction() as conn:
        plan = await query_plan(conn, page_query(1, 0, 5, ids))
        counted = await query_plan(conn, count_query(1, ids))
    for lines in (plan, counted):
        text = "\n".join(lines)
        assert "SEARCH answer USING" in text and "INDEX ix_answer_user_" in text, text
        assert not any(line.startswith("SCAN answer") for line in lines), text


async def test_attempts_carry_the_analysis_shown_at_answer_time(services: Services, clock: FakeClock) -> None:
    started = await services.interviews.start(ANN)
    assert isinstance(started, Started)
    question = started.prompt.question
    answered = await services.interviews.answer(ANN, "I agreed the scope with the sponsor. Risks, budget.")
    assert isinstance(answered, Answered)
    # An answer stored before the analysis was kept (no analysis column value).
    old = await add_answer(services, ANN, question.id, clock() - timedelta(days=1), "an older answer")
    history = await services.progress.attempts(ANN, answered.answer_id)
    assert history is not None
    by_id = {a.answer_id: a for a in history.attempts}
    assert by_id[answered.answer_id].feedback == answered.feedback
    assert by_id[old].feedback is None
