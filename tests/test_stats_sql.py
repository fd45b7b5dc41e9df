"""/stats from one read of the covering index (local days by bisecting day starts) equals the
straightforward computation, and history pages read from that index come in the same order,
on SQLite and on PostgreSQL.

The straightforward computation is how /stats was computed before (every answer read, each
local date from zoneinfo, everything counted in Python); it is kept here as the reference.
Data is varied on purpose: answers on both sides of DST changes and of local midnights (to the
microsecond), zones with half-hour DST, midnight changes and no DST, several topics, retried
questions, ratings and none, questions no longer in the bank, answers with no talking points.
PostgreSQL runs when TEST_DATABASE_URL names a server (the db_url fixture, tests/conftest.py).
"""

import random
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.core.interview import Identity
from bot.core.progress import ChartPoint, Stats, TopicStats, streaks
from bot.core.rating import Rating
from bot.core.reviews import user_zone
from bot.core.schedule_time import local_date
from bot.core.services import Services
from bot.core.srs import SpacedRepetition
from bot.core.zone_offsets import offset_spans
from questions.loader import QuestionBank
from questions.topics import TOPICS
from storage.db import Database
from storage.history_repositories import page_query, query_plan, stat_series_query
from storage.records import NewAnswer
from tests.conftest import FakeClock, make_settings

ANN = Identity("tg:2001", 2001, "Ann")
BOB = Identity("tg:2002", 2002, "Bob")
URL_VAR = "TEST_DATABASE_URL"

ZONES = [
    "Europe/Berlin",  # DST at 01:00 UTC, last Sundays of March and October
    "America/New_York",
    "Australia/Lord_Howe",  # DST of half an hour
    "Asia/Kathmandu",  # +05:45, no DST
    "America/Santiago",  # changes at local midnight (24:00 -> 23:00 in April)
    "America/Havana",  # changes at local midnight both ways
    "Pacific/Kiritimati",  # +14
    "Etc/GMT+12",  # -12
    "UTC",
]


# -- fixtures: the same services over SQLite or PostgreSQL -----------------------------------------


@pytest.fixture
async def any_services(
    tmp_path: Path, db_url: str, bank: QuestionBank, clock: FakeClock
) -> AsyncIterator[Services]:
    """Services over the test's database: SQLite, and PostgreSQL when the run has one (db_url)."""
    settings = make_settings(tmp_path, db_url)
    services = Services(
        settings, Database(db_url), bank, clock, random.Random(7), SpacedRepetition(enable_fuzzing=False)
    )
    try:
        yield services
    finally:
        await services.close()


# -- the zone's offsets as spans --------------------------------------------------------------------


def offset_of(spans: tuple, at: datetime) -> int:  # type: ignore[type-arg]
    for span in spans:
        if span.until is None or at < span.until:
            return int(span.seconds)
    raise AssertionError("the last span has no end")


@pytest.mark.parametrize("zone", ZONES)
def test_offset_spans_give_every_instant_its_zoneinfo_offset(zone: str) -> None:
    tz = ZoneInfo(zone)
    first = datetime(2023, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    last = datetime(2026, 11, 15, 12, tzinfo=UTC)
    spans = offset_spans(tz, first, last)
    assert spans[-1].until is None
    assert all(s.until is not None and first < s.until <= last for s in spans[:-1])
    rng = random.Random(zone)
    probes = [first, last] + [first + (last - first) * rng.random() for _ in range(3000)]
    for span in spans[:-1]:
        assert span.until is not None
        probes += [span.until + timedelta(microseconds=d) for d in (-1_000_000, -1, 0, 1, 1_000_000)]
    for at in probes:
        if first <= at <= last:
            offset = at.astimezone(tz).utcoffset()
            assert offset is not None
            assert offset_of(spans, at) == int(offset.total_seconds()), at
    # Zones with DST change offset in each of these years; the others never do.
    changes = len(spans) - 1
    assert changes >= 5 if zone in {"Europe/Berlin", "America/New_York", "Australia/Lord_Howe"} else True
    assert changes == 0 if zone in {"Asia/Kathmandu", "Pacific/Kiritimati", "Etc/GMT+12", "UTC"} else True


def test_offset_spans_across_a_change_at_exactly_new_year_and_a_single_instant() -> None:
    tz = ZoneInfo("Europe/Berlin")
    at = datetime(2026, 3, 29, 1, tzinfo=UTC)  # the change itself
    assert [(s.until, s.seconds) for s in offset_spans(tz, at, at)] == [(None, 7200)]
    before = at - timedelta(microseconds=1)
    assert [(s.until, s.seconds) for s in offset_spans(tz, before, at)] == [(at, 3600), (None, 7200)]
    with pytest.raises(ValueError, match="aware"):
        offset_spans(tz, at.replace(tzinfo=None), at)


# -- /stats against the straightforward computation ---------------------------


async def straightforward_stats(services: Services, who: Identity) -> Stats:
    """/stats as it was computed before: every answer read, each local date from zoneinfo."""
    now = services.clock()
    bank = services.bank
    async with services.db.unit() as uow:
        profile = await uow.users.profile(who.external_id)
        rows = await uow.history.stat_rows(profile.user_id) if profile else []
        due = await uow.cards.reviews_due(profile.user_id, now) if profile else None
    tz = user_zone(profile.timezone if profile else None, services.progress.default_timezone)
    today = local_date(now, tz)
    days = [local_date(r.answered_at, tz) for r in rows]
    runs = streaks(days, today)
    by_topic = defaultdict(list)
    for r in rows:
        question = bank.by_id.get(r.question_id)
        if question is not None:
            by_topic[question.topic].append(r)
    topics = []
    for slug, name in TOPICS.items():
        answers = by_topic.get(slug)
        if not answers:
            continue
        counts = dict.fromkeys(Rating, 0)
        for r in answers:
            if r.rating is not None:
                counts[Rating(r.rating)] += 1
        topics.append(
            TopicStats(
                topic=slug,
                name=name,
                answers=len(answers),
                questions=len({r.question_id for r in answers}),
                covered=sum(r.covered for r in answers),
                total=sum(r.points_total for r in answers),
                ratings=tuple(counts.items()),
                unrated=sum(1 for r in answers if r.rating is None),
            )
        )
    return Stats(
        answers=len(rows),
        days_practised=len(set(days)),
        current_streak=runs.current,
        longest_streak=runs.longest,
        practised_today=runs.practised_today,
        last_practised=runs.last_day,
        today=today,
        timezone=tz.key,
        topics=tuple(topics),
        reviews_due=due.due_now if due else 0,
        next_review_at=due.next_at if due else None,
        series=tuple(
            ChartPoint(day, bank.by_id[r.question_id].topic, r.covered, r.points_total)
            for day, r in zip(days, rows, strict=True)
            if r.question_id in bank.by_id
        ),
    )


def tricky_instants(zone: str, rng: random.Random, n: int) -> list[datetime]:
    """Instants around the zone's offset changes and local midnights, and some anywhere."""
    tz = ZoneInfo(zone)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    end = datetime(2026, 2, 28, tzinfo=UTC)
    instants = []
    for span in offset_spans(tz, start, end)[:-1]:
        assert span.until is not None
        instants += [
            span.until + timedelta(microseconds=d) for d in (-1, 0, 1, -3_599_000_000, 3_599_000_000)
        ]
    while len(instants) < n:
        day = date(2025, 1, 1) + timedelta(days=rng.randrange(420))
        midnight = datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)
        pick = rng.random()
        if pick < 0.5:
            # 23:59:59.9999 and the like: SQLite would round those to the next millisecond.
            instants.append(midnight + timedelta(microseconds=rng.choice((-100, -1, 0, 1, 499, -500))))
        else:
            instants.append(start + (end - start) * rng.random())
    instants += instants[:5]  # the same instant twice: ids break the tie
    return instants


async def add_answers(services: Services, who: Identity, zone: str | None, seed: int, n: int) -> None:
    rng = random.Random(seed)
    bank = services.bank
    questions = [q for slug in bank.topics()[:4] for q in bank.by_topic(slug)[:3]]
    async with services.db.unit() as uow:
        user, _ = await uow.users.upsert(who.external_id, who.chat_id, who.display_name, services.clock())
        if zone is not None:
            await uow.users.set_timezone(user.id, zone)
        instants = tricky_instants(zone or "UTC", rng, n)
        rng.shuffle(instants)  # inserted out of time order: ids do not follow time
        for at in instants:
            question = rng.choice(questions)
            question_id, points = question.id, len(question.talking_points)
            roll = rng.random()
            if roll < 0.1:
                question_id, points = "retired-question", rng.randint(0, 5)
            elif roll < 0.15:
                points = 0  # no talking points: counts as an answer, not towards coverage
            covered = tuple(sorted(rng.sample(range(points), rng.randint(0, points))))
            answer_id = await uow.answers.add(
                NewAnswer(
                    user_id=user.id,
                    session_id=None,
                    position=None,
                    question_id=question_id,
                    text="an answer",
                    word_count=2,
                    covered=covered,
                    points_total=points,
                    asked_at=at,
                    answered_at=at,
                    seconds_taken=0,
                    source_message_id=None,
                )
            )
            rating = rng.choice((None, None, 1, 2, 3, 4))
            if rating is not None:
                await uow.answers.set_rating(answer_id, rating, at)


@pytest.mark.parametrize("zone", ZONES)
async def test_stats_equal_the_straightforward_computation(
    any_services: Services, clock: FakeClock, zone: str
) -> None:
    await add_answers(any_services, ANN, zone, seed=len(zone), n=120)
    await add_answers(any_services, BOB, "Asia/Tokyo", seed=99, n=20)  # someone else's answers
    for now in (datetime(2026, 3, 2, 9, tzinfo=UTC), datetime(2025, 10, 26, 0, 30, tzinfo=UTC)):
        clock.now = now
        stats = await any_services.progress.stats(ANN)
        expected = await straightforward_stats(any_services, ANN)
        assert stats == expected
    # The data is as varied as intended.
    assert stats.answers > 120 and len(stats.series) < stats.answers  # some retired questions
    assert len(stats.topics) == 4 and any(t.unrated for t in stats.topics)
    assert any(p.total == 0 for p in stats.series)
    tz = ZoneInfo(zone)
    async with any_services.db.unit() as uow:
        profile = await uow.users.profile(ANN.external_id)
        assert profile is not None
        rows = await uow.history.stat_rows(profile.user_id)
    if zone != "UTC":
        assert any(local_date(r.answered_at, tz) != r.answered_at.date() for r in rows)


async def test_stats_of_the_default_zone_and_of_nobody(any_services: Services, clock: FakeClock) -> None:
    await add_answers(any_services, ANN, None, seed=5, n=30)
    assert await any_services.progress.stats(ANN) == await straightforward_stats(any_services, ANN)
    nobody = Identity("tg:2999", 2999, "Nobody")
    assert await any_services.progress.stats(nobody) == await straightforward_stats(any_services, nobody)
    async with any_services.db.unit() as uow:
        await uow.users.upsert("tg:2998", 2998, "Silent", clock())
    silent = Identity("tg:2998", 2998, "Silent")
    stats = await any_services.progress.stats(silent)
    assert stats == await straightforward_stats(any_services, silent)
    assert (stats.answers, stats.series, stats.topics) == (0, (), ())


async def test_a_whole_day_in_one_zone_is_split_by_local_midnight(
    services: Services, clock: FakeClock
) -> None:
    """The day starts found by bisection: answers at 23:59:59.999999 and at 00:00 local."""
    zone = "Europe/Berlin"
    tz = ZoneInfo(zone)
    midnight = datetime(2026, 3, 29, tzinfo=tz).astimezone(UTC)  # the night DST starts
    question = services.bank.questions[0]
    async with services.db.unit() as uow:
        user, _ = await uow.users.upsert(ANN.external_id, ANN.chat_id, ANN.display_name, clock())
        await uow.users.set_timezone(user.id, zone)
        for at in (midnight - timedelta(microseconds=1), midnight, midnight + timedelta(hours=23)):
            await uow.answers.add(NewAnswer(user.id, None, None, question.id, "a", 1, (), 0, at, at, 0, None))
    clock.now = midnight + timedelta(days=1, hours=12)
    stats = await services.progress.stats(ANN)
    # 2026-03-29 has 23 hours in Berlin: the third answer is on the 30th.
    assert [p.day for p in stats.series] == [date(2026, 3, 28), date(2026, 3, 29), date(2026, 3, 30)]
    assert (stats.days_practised, stats.current_streak) == (3, 3)


# -- the queries read the covering index ------------------------------------------------------------


@pytest.mark.sqlite_only  # SQLite's query plans (PostgreSQL's depend on table statistics)
@pytest.mark.parametrize("query", ["series", "page ids", "topic page ids"])
async def test_stats_and_page_ids_come_from_the_covering_index(
    services: Services, bank: QuestionBank, query: str
) -> None:
    topic_ids = [q.id for q in bank.by_topic(bank.topics()[0])]
    statements = {
        "series": stat_series_query(1),
        "page ids": page_query(1, 4995, 5),
        "topic page ids": page_query(1, 300, 5, topic_ids),
    }
    async with services.db.transaction() as conn:
        plan = "\n".join(await query_plan(conn, statements[query]))
    assert "SEARCH answer USING COVERING INDEX ix_answer_user_answered (user_id=?)" in plan, plan
    assert "SCAN answer" not in plan and "TEMP B-TREE" not in plan, plan


# -- history pages: same order on both databases ----------------------------------------------------


async def test_every_history_page_in_order_with_and_without_a_topic(
    any_services: Services, clock: FakeClock
) -> None:
    await add_answers(any_services, ANN, "Europe/Berlin", seed=3, n=40)
    await add_answers(any_services, BOB, None, seed=4, n=10)
    progress = any_services.progress
    bank = any_services.bank
    async with any_services.db.unit() as uow:
        profile = await uow.users.profile(ANN.external_id)
        assert profile is not None
        rows = await uow.history.everything(ANN.external_id)
    newest_first = sorted(rows, key=lambda r: (r.answered_at, r.id), reverse=True)
    topic = bank.topics()[1]
    in_topic = {q.id for q in bank.by_topic(topic)}
    for slug, expected in (
        (None, newest_first),
        (topic, [r for r in newest_first if r.question_id in in_topic]),
    ):
        assert expected
        first = await progress.history_page(ANN, 1, slug, page_size=3)
        assert first.total == len(expected)
        seen = []
        for number in range(1, first.pages + 1):
            page = await progress.history_page(ANN, number, slug, page_size=3)
            seen += [(i.answer_id, i.answered_at, i.covered, i.total) for i in page.items]
        assert seen == [(r.id, r.answered_at, len(r.covered), r.points_total) for r in expected]


@pytest.mark.sqlite_only  # SQLite keeps timestamps as text; PostgreSQL's are typed
async def test_a_time_stored_without_fraction_at_local_midnight_is_on_the_new_day(
    services: Services, clock: FakeClock
) -> None:
    """SQLite text written by other tools may lack '.ffffff': it still compares right."""
    tz = ZoneInfo("Europe/Berlin")
    midnight = datetime(2026, 3, 3, tzinfo=tz).astimezone(UTC)  # 2026-03-02 23:00:00 UTC
    question = services.bank.questions[0]
    async with services.db.unit() as uow:
        user, _ = await uow.users.upsert(ANN.external_id, ANN.chat_id, ANN.display_name, clock())
        await uow.users.set_timezone(user.id, "Europe/Berlin")
        for at in (midnight - timedelta(hours=1), midnight, midnight + timedelta(hours=1)):
            await uow.answers.add(NewAnswer(user.id, None, None, question.id, "a", 1, (), 0, at, at, 0, None))
    async with services.db.transaction() as conn:
        await conn.exec_driver_sql(
            "UPDATE answer SET answered_at = '2026-03-02 23:00:00'"
            " WHERE answered_at LIKE '2026-03-02 23:00:00%'"
        )
        stored = [r[0] for r in await conn.exec_driver_sql("SELECT answered_at FROM answer ORDER BY id")]
    assert stored[1] == "2026-03-02 23:00:00"
    stats = await services.progress.stats(ANN)
    assert stats == await straightforward_stats(services, ANN)
    assert [p.day for p in stats.series] == [date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 3)]
