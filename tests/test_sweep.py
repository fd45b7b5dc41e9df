"""The daily-prompt sweep on a real SQLite file: exactly once per user and local day.

The sender is the front end's boundary, so each test passes a small recording coroutine
instead of Telegram; everything behind it (scheduling, claiming, picking, the database)
is the real thing. Time moves only when a test moves the FakeClock.
"""

import asyncio
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Table, select

from bot.config import Settings
from bot.core.interview import Identity, NotAsked, Started
from bot.core.services import Services
from bot.core.srs import SpacedRepetition
from bot.core.sweep import MAX_ATTEMPTS, RETRY_DELAY, SENDING_LEASE, Outgoing, Sender, SendResult
from questions.loader import QuestionBank
from storage.db import Database
from storage.models import Delivery, InterviewSession, PracticeSchedule, User
from storage.states import DeliveryKind, DeliveryStatus
from tests.conftest import FakeClock

_delivery: Table = Delivery.__table__  # type: ignore[assignment]
_user: Table = User.__table__  # type: ignore[assignment]
_session: Table = InterviewSession.__table__  # type: ignore[assignment]
_schedule: Table = PracticeSchedule.__table__  # type: ignore[assignment]

ANN = Identity("tg:1001", 1001, "Ann")


def person(n: int) -> Identity:
    return Identity(f"tg:{2000 + n}", 2000 + n, f"User {n}")


def chat(who: Identity) -> int:
    assert who.chat_id is not None
    return who.chat_id


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@dataclass
class Recorder:
    """A stand-in for the Telegram sender that records every call.

    `script` gives a chat its next results in order (then SENT); `always` fixes one result
    for a chat for good. Only calls answered SENT count as delivered.
    """

    script: dict[int, list[SendResult]] = field(default_factory=dict)
    always: dict[int, SendResult] = field(default_factory=dict)
    calls: list[Outgoing] = field(default_factory=list)
    delivered: list[Outgoing] = field(default_factory=list)
    call_times: list[datetime] = field(default_factory=list)
    clock: FakeClock | None = None

    async def __call__(self, out: Outgoing) -> tuple[SendResult, int | None]:
        self.calls.append(out)
        if self.clock is not None:
            self.call_times.append(self.clock())
        await asyncio.sleep(0)  # a real send yields; let a concurrent sweep run meanwhile
        queued = self.script.get(out.chat_id)
        result = queued.pop(0) if queued else self.always.get(out.chat_id, SendResult.SENT)
        if result is SendResult.SENT:
            self.delivered.append(out)
            return result, 50_000 + len(self.delivered)
        return result, None

    def per_chat(self) -> Counter[int]:
        return Counter(o.chat_id for o in self.delivered)


@dataclass(frozen=True)
class DeliveryRow:
    chat_id: int
    kind: str
    local_date: date
    due_at: datetime
    status: str
    attempts: int
    sent_at: datetime | None
    question_id: str | None
    reason: str | None
    message_id: int | None
    claimed_at: datetime | None


async def delivery_rows(db: Database, who: Identity | None = None) -> list[DeliveryRow]:
    stmt = (
        select(_user.c.chat_id, _delivery)
        .join(_user, _user.c.id == _delivery.c.user_id)
        .order_by(_delivery.c.id)
    )
    if who is not None:
        stmt = stmt.where(_user.c.external_id == who.external_id)
    async with db.transaction() as conn:
        rows = (await conn.execute(stmt)).all()
    return [
        DeliveryRow(
            r.chat_id,
            r.kind,
            r.local_date,
            r.due_at,
            r.status,
            r.attempts,
            r.sent_at,
            r.question_id,
            r.reason,
            r.message_id,
            r.claimed_at,
        )
        for r in rows
    ]


async def sent_per_chat(db: Database) -> Counter[int]:
    return Counter(r.chat_id for r in await delivery_rows(db) if r.status == "sent")


async def sessions_of(db: Database, who: Identity) -> list[tuple[str, str]]:
    """(kind, status) of every session the user had, oldest first."""
    async with db.transaction() as conn:
        rows = await conn.execute(
            select(_session.c.kind, _session.c.status)
            .join(_user, _user.c.id == _session.c.user_id)
            .where(_user.c.external_id == who.external_id)
            .order_by(_session.c.id)
        )
        return [(r.kind, r.status) for r in rows]


async def is_active(db: Database, who: Identity) -> bool:
    async with db.transaction() as conn:
        value = (
            await conn.execute(select(_user.c.is_active).where(_user.c.external_id == who.external_id))
        ).scalar_one()
    return bool(value)


def open_services(settings: Settings, bank: QuestionBank, clock: FakeClock, seed: int) -> Services:
    """A second bot process on the same database: its own engine, same clock."""
    return Services(
        settings,
        Database(settings.database.url),
        bank,
        clock,
        random.Random(seed),
        SpacedRepetition(enable_fuzzing=False),
    )


async def daily_for(
    services: Services, people: Iterable[Identity], hhmm: str, zone: str | None = None
) -> None:
    for who in people:
        await services.daily_settings.set_daily(who, hhmm, zone)


# --- one prompt a day, across days and DST ------------------------------------------------


async def test_ten_days_of_ticks_give_one_prompt_per_local_day_across_spring_forward(
    services: Services, clock: FakeClock
) -> None:
    clock.now = at(2026, 3, 24, 0, 10)  # Berlin springs forward on Sunday 29 March
    ann, bob, kiri, nik = person(1), person(2), person(3), person(4)
    await services.daily_settings.set_daily(ann, "07:30", "Europe/Berlin")
    await services.daily_settings.set_daily(bob, "02:30", "Europe/Berlin")  # 02:30 does not exist on 29 March
    await services.daily_settings.set_quiet_hours(bob, "00:00-00:00")  # none, so a late 02:30 is not deferred
    await services.daily_settings.set_daily(kiri, "07:30", "Pacific/Kiritimati")  # UTC+14
    await services.daily_settings.set_daily(nik, "07:30", "Etc/GMT+12")  # UTC-12
    rec = Recorder(clock=clock)
    end = at(2026, 4, 3, 0, 10)
    while clock.now < end:
        # Several ticks at every step, every 90 minutes (less than the 120-minute grace).
        for _ in range(2):
            await services.sweep.tick(rec)
        clock.advance(minutes=90)

    berlin_days = [date(2026, 3, 24) + timedelta(days=i) for i in range(10)]
    expected = {
        chat(ann): [
            (d, at(d.year, d.month, d.day, 6 if d < date(2026, 3, 29) else 5, 30)) for d in berlin_days
        ],
        chat(bob): [
            (
                d,
                at(d.year, d.month, d.day, 1, 30)
                if d < date(2026, 3, 29)
                # the gap's end, 03:00 CEST, on the day itself; 02:30 CEST afterwards
                else at(2026, 3, 29, 1, 0)
                if d == date(2026, 3, 29)
                else at(d.year, d.month, d.day, 0, 30),
            )
            for d in berlin_days
        ],
        chat(kiri): [
            (d, datetime.combine(d, time(7, 30), ZoneInfo("Pacific/Kiritimati")).astimezone(UTC))
            for d in (date(2026, 3, 25) + timedelta(days=i) for i in range(10))
        ],
        chat(nik): [(d, at(d.year, d.month, d.day, 19, 30)) for d in berlin_days],
    }
    rows = await delivery_rows(services.db)
    for chat_id, days in expected.items():
        mine = [r for r in rows if r.chat_id == chat_id]
        assert [(r.local_date, r.due_at) for r in mine] == days, chat_id
        assert {(r.kind, r.status, r.attempts) for r in mine} == {("daily", "sent", 1)}
        for r in mine:
            assert r.sent_at is not None and timedelta(0) <= r.sent_at - r.due_at <= timedelta(minutes=90)
    assert rec.per_chat() == {c: 10 for c in expected}
    assert len(rec.calls) == 40
    # Bob's prompt on the DST day came once, at the first tick after 01:00 UTC (03:00 CEST).
    bob_dst = [t for o, t in zip(rec.calls, rec.call_times, strict=True) if o.chat_id == chat(bob)]
    assert sum(1 for t in bob_dst if t.date() == date(2026, 3, 29)) == 1


async def test_fall_back_in_new_york_prompts_once_at_the_first_0130(
    services: Services, clock: FakeClock
) -> None:
    clock.now = at(2026, 10, 30)  # 01:30 happens twice on Sunday 1 November 2026
    await services.daily_settings.set_daily(ANN, "01:30", "America/New_York")
    await services.daily_settings.set_quiet_hours(ANN, "00:00-00:00")
    rec = Recorder()
    while clock.now < at(2026, 11, 3, 12):
        await services.sweep.tick(rec)
        clock.advance(minutes=30)
    rows = await delivery_rows(services.db)
    assert [(r.local_date.day, r.due_at, r.status) for r in rows] == [
        (30, at(2026, 10, 30, 5, 30), "sent"),
        (31, at(2026, 10, 31, 5, 30), "sent"),
        (1, at(2026, 11, 1, 5, 30), "sent"),  # EDT, the first of the two 01:30s
        (2, at(2026, 11, 2, 6, 30), "sent"),  # EST from now on
        (3, at(2026, 11, 3, 6, 30), "sent"),
    ]
    assert len(rec.calls) == 5


async def test_200_users_due_in_the_same_minute_each_get_exactly_one(
    services: Services, clock: FakeClock
) -> None:
    people = [person(n) for n in range(200)]
    await daily_for(services, people, "09:30")
    clock.advance(minutes=30)
    rec = Recorder()
    report = await services.sweep.tick(rec)
    assert (report.scheduled, report.sent, report.failed, report.errors) == (200, 200, 0, [])
    for _ in range(3):
        again = await services.sweep.tick(rec)
        assert (again.scheduled, again.sent) == (0, 0)
        clock.advance(minutes=7)
    assert rec.per_chat() == {chat(p): 1 for p in people}
    assert await sent_per_chat(services.db) == {chat(p): 1 for p in people}
    # Every prompt carries its own one-question session, distinct message ids recorded.
    assert len({o.content.prompt.session_id for o in rec.delivered}) == 200
    rows = await delivery_rows(services.db)
    assert len({r.message_id for r in rows}) == 200
    assert all(r.reason == "new" and r.question_id is not None for r in rows)


@pytest.mark.sqlite_only  # SQLite's file lock; PostgreSQL's row locks: tests/test_sweep_postgres.py
async def test_two_processes_on_one_sqlite_file_never_double_send(
    services: Services, settings: Settings, bank: QuestionBank, clock: FakeClock
) -> None:
    people = [person(n) for n in range(80)]
    await daily_for(services, people, "09:30")
    clock.advance(minutes=30)
    other = open_services(settings, bank, clock, seed=11)
    rec = Recorder()
    # Each process's first send waits until the other one is sending too: both must have won a
    # claim while the other held one, whichever way SQLite's lock happened to be handed out.
    sending = (asyncio.Event(), asyncio.Event())

    def meet(me: int) -> Sender:
        async def send(out: Outgoing) -> tuple[SendResult, int | None]:
            sending[me].set()
            await asyncio.wait_for(sending[1 - me].wait(), timeout=10)
            return await rec(out)

        return send

    try:
        first, second = await asyncio.gather(services.sweep.tick(meet(0)), other.sweep.tick(meet(1)))
        assert first.errors == [] and second.errors == []
        # Both processes really took part: the users were shared out, not served twice.
        assert first.sent > 0 and second.sent > 0
        assert first.sent + second.sent == len(people)
        for _ in range(2):
            await asyncio.gather(services.sweep.tick(rec), other.sweep.tick(rec))
        clock.advance(days=1)
        await asyncio.gather(services.sweep.tick(rec), other.sweep.tick(rec))
    finally:
        await other.close()
    assert rec.per_chat() == {chat(p): 2 for p in people}
    assert len(rec.calls) == 160
    rows = await delivery_rows(services.db)
    assert Counter((r.chat_id, r.local_date) for r in rows if r.status == "sent") == {
        (chat(p), d): 1 for p in people for d in (date(2026, 3, 2), date(2026, 3, 3))
    }


# --- crashes and restarts ------------------------------------------------------------------


async def test_killed_mid_sweep_then_restarted_every_user_gets_exactly_one(
    services: Services, settings: Settings, bank: QuestionBank, clock: FakeClock
) -> None:
    people = [person(n) for n in range(30)]
    await daily_for(services, people, "09:30")
    clock.advance(minutes=30)

    delivered: list[Outgoing] = []
    parked: list[Outgoing] = []
    all_parked = asyncio.Event()
    never = asyncio.Event()

    async def dying_sender(out: Outgoing) -> tuple[SendResult, int | None]:
        if len(delivered) < 20:
            delivered.append(out)
            return SendResult.SENT, len(delivered)
        parked.append(out)
        if len(parked) == 8:  # the sweep's default concurrency: every slot is mid-send
            all_parked.set()
        await never.wait()  # the process is killed while these sends hang
        raise AssertionError("unreachable")

    tick = asyncio.create_task(services.sweep.tick(dying_sender))
    await asyncio.wait_for(all_parked.wait(), timeout=10)
    tick.cancel()
    with pytest.raises(asyncio.CancelledError):
        await tick
    await services.close()
    assert len(delivered) == 20
    rows = await delivery_rows(services.db)
    assert Counter(r.status for r in rows) == {"sent": 20, "sending": 10}

    restarted = open_services(settings, bank, clock, seed=5)
    rec = Recorder()
    try:
        clock.advance(seconds=10)  # the dead process's claims are still leased
        early = await restarted.sweep.tick(rec)
        assert (early.recovered, early.sent, len(rec.calls)) == (0, 0, 0)
        clock.advance(seconds=SENDING_LEASE.total_seconds())
        late = await restarted.sweep.tick(rec)
        assert SENDING_LEASE.total_seconds() + 30 <= 60  # back within a minute at the default tick
        assert (late.recovered, late.sent, late.errors) == (10, 10, [])
        clock.advance(minutes=10)
        assert (await restarted.sweep.tick(rec)).sent == 0
        rows = await delivery_rows(restarted.db)
        active = [await sessions_of(restarted.db, p) for p in people]
    finally:
        await restarted.close()

    total = Counter(o.chat_id for o in delivered) + rec.per_chat()
    assert total == {chat(p): 1 for p in people}
    assert not {o.chat_id for o in delivered} & {o.chat_id for o in rec.delivered}
    assert Counter(r.chat_id for r in rows if r.status == "sent") == {chat(p): 1 for p in people}
    assert len(rows) == 30
    # The sessions opened for the sends that hung were replaced by the re-sent prompt: one
    # open daily question per user, the one they actually received.
    for sessions in active:
        assert [s for s in sessions if s[1] == "active"] == [("daily", "active")]


async def test_a_live_process_renews_its_claims_so_a_slow_send_is_never_sent_twice(
    services: Services, settings: Settings, bank: QuestionBank, clock: FakeClock
) -> None:
    await services.daily_settings.set_daily(ANN, "09:30")
    clock.advance(minutes=30)
    services.sweep.heartbeat_seconds = 0.02
    release = asyncio.Event()
    sent: list[Outgoing] = []

    async def slow_sender(out: Outgoing) -> tuple[SendResult, int | None]:
        await release.wait()
        sent.append(out)
        return SendResult.SENT, 1

    tick = asyncio.create_task(services.sweep.tick(slow_sender))

    async def claimed_at() -> datetime | None:
        rows = await delivery_rows(services.db)
        return rows[0].claimed_at if rows and rows[0].status == "sending" else None

    async def renewed() -> bool:
        return await claimed_at() == clock.now

    deadline = asyncio.get_running_loop().time() + 10
    while await claimed_at() is None:
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.01)
    # The send hangs for three leases; the live process's heartbeat keeps its claim fresh.
    for _ in range(3):
        clock.advance(seconds=SENDING_LEASE.total_seconds())
        while not await renewed():
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.01)
    other = open_services(settings, bank, clock, seed=6)
    rec = Recorder()
    try:
        report = await other.sweep.tick(rec)
    finally:
        await other.close()
    assert (report.recovered, report.sent, rec.calls) == (0, 0, [])
    release.set()
    assert (await tick).sent == 1
    assert len(sent) == 1
    assert [r.status for r in await delivery_rows(services.db)] == ["sent"]


async def test_a_sender_that_raises_is_retried_later_and_restart_delivers_the_rest(
    services: Services, settings: Settings, bank: QuestionBank, clock: FakeClock
) -> None:
    people = [person(n) for n in range(12)]
    await daily_for(services, people, "09:30")
    clock.advance(minutes=30)
    delivered: list[Outgoing] = []
    broken_calls: list[Outgoing] = []

    async def breaking_sender(out: Outgoing) -> tuple[SendResult, int | None]:
        if len(delivered) < 7:
            delivered.append(out)
            return SendResult.SENT, len(delivered)
        broken_calls.append(out)
        raise RuntimeError("connection reset")

    report = await services.sweep.tick(breaking_sender)
    assert report.sent == 7
    assert len(report.errors) == 5
    # One attempt each in this tick: an error is retried later, not three times at once.
    assert len(broken_calls) == 5
    rows = await delivery_rows(services.db)
    assert Counter(r.status for r in rows) == {"sent": 7, "pending": 5}
    by_chat = {chat(p): p for p in people}
    for chat_id in {o.chat_id for o in broken_calls}:
        # The question they never saw is not left waiting for an answer.
        assert ("daily", "active") not in await sessions_of(services.db, by_chat[chat_id])
    await services.close()

    restarted = open_services(settings, bank, clock, seed=3)
    rec = Recorder()
    try:
        assert (await restarted.sweep.tick(rec)).sent == 0  # the retry is not due yet
        clock.advance(minutes=2)
        assert (await restarted.sweep.tick(rec)).sent == 5
        clock.advance(hours=1)
        assert (await restarted.sweep.tick(rec)).sent == 0
    finally:
        await restarted.close()
    total = Counter(o.chat_id for o in delivered) + rec.per_chat()
    assert total == {chat(p): 1 for p in people}
    assert await sent_per_chat(restarted.db) == {chat(p): 1 for p in people}


# --- downtime: the grace window ------------------------------------------------------------


@pytest.mark.parametrize(
    ("down_minutes", "status", "sends"),
    [(90, "sent", 1), (120, "sent", 1), (121, "missed", 0), (180, "missed", 0)],
)
async def test_a_prompt_late_after_downtime_is_sent_within_grace_else_missed(
    services: Services, clock: FakeClock, down_minutes: int, status: str, sends: int
) -> None:
    await services.daily_settings.set_daily(ANN, "09:30")  # UTC, the default zone
    clock.now = at(2026, 3, 2, 9, 30) + timedelta(minutes=down_minutes)  # the bot was down till now
    rec = Recorder()
    report = await services.sweep.tick(rec)
    assert (report.sent, report.missed) == (sends, 1 - sends)
    assert len(rec.calls) == sends
    rows = await delivery_rows(services.db)
    # One row for the day it fell due, however long the outage: no burst of stale prompts.
    assert [(r.local_date, r.due_at, r.status) for r in rows] == [
        (date(2026, 3, 2), at(2026, 3, 2, 9, 30), status)
    ]
    if sends:
        assert rows[0].sent_at == clock.now
    for _ in range(3):
        await services.sweep.tick(rec)
    assert len(rec.calls) == sends

    # The next prompt still comes, at the next 09:30 after the outage.
    next_day = clock.now.date() + timedelta(days=1) if clock.now.time() >= time(9, 30) else clock.now.date()
    clock.now = datetime.combine(next_day, time(9, 30), UTC)
    assert (await services.sweep.tick(rec)).sent == 1
    assert len(rec.calls) == sends + 1
    assert (await delivery_rows(services.db))[-1].local_date == next_day


@pytest.mark.parametrize(("back_at", "today"), [(time(9, 40), "sent"), (time(12, 0), "missed")])
async def test_after_days_down_only_todays_prompt_can_still_be_sent(
    services: Services, clock: FakeClock, back_at: time, today: str
) -> None:
    await services.daily_settings.set_daily(ANN, "09:30")
    clock.now = datetime.combine(date(2026, 3, 5), back_at, UTC)  # down since before Mar 2 09:30
    rec = Recorder()
    await services.sweep.tick(rec)
    rows = await delivery_rows(services.db)
    # The first missed day is recorded; the days between leave no rows; today's is on time or not.
    assert [(r.local_date, r.status) for r in rows] == [
        (date(2026, 3, 2), "missed"),
        (date(2026, 3, 5), today),
    ]
    assert len(rec.calls) == (1 if today == "sent" else 0)
    for _ in range(3):
        await services.sweep.tick(rec)
    assert len(rec.calls) == (1 if today == "sent" else 0)


async def test_a_prompt_caught_up_after_downtime_waits_out_quiet_hours(
    services: Services, clock: FakeClock
) -> None:
    await services.daily_settings.set_daily(ANN, "21:30")  # quiet hours 22:00-07:00 by default
    clock.now = at(2026, 3, 2, 23, 0)  # back after 90 minutes: within grace, but it is night
    rec = Recorder()
    report = await services.sweep.tick(rec)
    assert (report.scheduled, report.deferred, report.sent) == (1, 1, 0)
    clock.now = at(2026, 3, 3, 6, 59)
    assert (await services.sweep.tick(rec)).sent == 0
    clock.now = at(2026, 3, 3, 7, 0)
    assert (await services.sweep.tick(rec)).sent == 1
    rows = await delivery_rows(services.db)
    assert [(r.local_date, r.status, r.sent_at) for r in rows] == [
        (date(2026, 3, 2), "sent", at(2026, 3, 3, 7, 0))
    ]


async def test_the_daily_time_itself_is_honoured_inside_quiet_hours(
    services: Services, clock: FakeClock
) -> None:
    await services.daily_settings.set_daily(ANN, "23:15")
    clock.now = at(2026, 3, 2, 23, 15, 20)  # a tick 20 seconds after the chosen time
    rec = Recorder()
    assert (await services.sweep.tick(rec)).sent == 1
    assert rec.delivered[0].kind == "daily"


# --- blocked and failing chats --------------------------------------------------------------


async def test_a_blocked_user_is_deactivated_others_still_served_and_start_reactivates(
    services: Services, clock: FakeClock
) -> None:
    people = [person(n) for n in range(5)]
    blocker = people[2]
    await daily_for(services, people, "09:30")
    clock.advance(minutes=30)
    rec = Recorder(always={chat(blocker): SendResult.BLOCKED})
    report = await services.sweep.tick(rec)
    assert (report.sent, report.blocked, report.errors) == (4, 1, [])
    assert not await is_active(services.db, blocker)
    assert await is_active(services.db, people[0])
    # The question they never got is not waiting for an answer.
    assert await sessions_of(services.db, blocker) == [("daily", "cancelled")]
    assert isinstance(await services.interviews.answer(blocker, "hello?"), NotAsked)

    rec.always.clear()  # even if they would accept messages now, nobody asks until /start
    for _ in range(2):
        clock.advance(days=1)
        await services.sweep.tick(rec)
    assert rec.per_chat()[chat(blocker)] == 0
    assert rec.per_chat() == {chat(p): 3 for p in people if p != blocker}
    assert [r.status for r in await delivery_rows(services.db, blocker)] == ["blocked"]

    clock.now = at(2026, 3, 5, 8, 0)
    assert await services.interviews.register(blocker) is False  # /start again
    assert await is_active(services.db, blocker)
    report = await services.sweep.tick(rec)
    # The prompts from the days away are recorded missed (the first and the latest), not sent now.
    assert (report.missed, report.sent) == (2, 0)
    clock.now = at(2026, 3, 5, 9, 30)
    await services.sweep.tick(rec)
    assert rec.per_chat() == {chat(p): 4 if p != blocker else 1 for p in people}
    assert [(r.local_date.day, r.status) for r in await delivery_rows(services.db, blocker)] == [
        (2, "blocked"),
        (3, "missed"),
        (4, "missed"),
        (5, "sent"),
    ]


async def test_a_user_who_unblocks_the_same_day_gets_that_days_prompt_at_the_new_time(
    services: Services, clock: FakeClock
) -> None:
    await unblocked_the_same_day(services, clock)


async def unblocked_the_same_day(services: Services, clock: FakeClock) -> None:
    """A prompt refused with 403 frees the day (shared with the PostgreSQL tests)."""
    clock.now = at(2026, 3, 2, 9, 0)
    await services.daily_settings.set_daily(ANN, "09:30")
    clock.advance(minutes=30)
    rec = Recorder(always={chat(ANN): SendResult.BLOCKED})
    assert (await services.sweep.tick(rec)).blocked == 1
    rec.always.clear()

    clock.now = at(2026, 3, 2, 12, 0)
    await services.interviews.register(ANN)  # unblocked the bot, /start
    await services.daily_settings.set_daily(ANN, "18:00")
    clock.now = at(2026, 3, 2, 18, 0)
    report = await services.sweep.tick(rec)
    assert (report.scheduled, report.sent) == (1, 1)
    assert rec.per_chat() == {chat(ANN): 1}  # sent ones only: the refused attempt is not counted
    [row] = await delivery_rows(services.db, ANN)
    assert (row.local_date.day, row.due_at.hour, row.status) == (2, 18, "sent")
    # Still one prompt a day: moving the time again that day gives no second one, and the
    # setting says so (the next prompt is tomorrow's, not "today 20:00").
    setting = await services.daily_settings.set_daily(ANN, "20:00")
    assert setting.next_at == at(2026, 3, 3, 20, 0)
    clock.now = at(2026, 3, 2, 20, 0)
    assert (await services.sweep.tick(rec)).sent == 0
    clock.now = at(2026, 3, 3, 20, 0)
    assert (await services.sweep.tick(rec)).sent == 1


async def test_a_failed_send_is_retried_on_a_later_tick(services: Services, clock: FakeClock) -> None:
    await services.daily_settings.set_daily(ANN, "09:30")
    clock.advance(minutes=30)
    rec = Recorder(script={chat(ANN): [SendResult.FAILED, SendResult.FAILED]})
    assert (await services.sweep.tick(rec)).failed == 1
    assert (await services.sweep.tick(rec)).failed == 0  # not again in the same minute
    assert len(rec.calls) == 1
    clock.advance(seconds=RETRY_DELAY.total_seconds())
    assert (await services.sweep.tick(rec)).failed == 1
    clock.advance(seconds=RETRY_DELAY.total_seconds())
    assert (await services.sweep.tick(rec)).sent == 1
    assert len(rec.calls) == 3
    rows = await delivery_rows(services.db)
    assert [(r.status, r.attempts) for r in rows] == [("sent", 3)]
    # Each failed attempt's session was cancelled; the delivered one is open for the answer.
    assert await sessions_of(services.db, ANN) == [
        ("daily", "cancelled"),
        ("daily", "cancelled"),
        ("daily", "active"),
    ]


async def test_a_send_that_keeps_failing_gives_up_after_three_attempts(
    services: Services, clock: FakeClock
) -> None:
    await services.daily_settings.set_daily(ANN, "09:30")
    clock.advance(minutes=30)
    rec = Recorder(always={chat(ANN): SendResult.FAILED})
    for _ in range(10):
        await services.sweep.tick(rec)
        clock.advance(minutes=1)
    assert len(rec.calls) == MAX_ATTEMPTS
    assert [(r.status, r.attempts) for r in await delivery_rows(services.db)] == [("failed", MAX_ATTEMPTS)]
    assert ("daily", "active") not in await sessions_of(services.db, ANN)
    assert await is_active(services.db, ANN)  # failing is not blocking
    # The next day's prompt still comes.
    rec.always.clear()
    clock.now = at(2026, 3, 3, 9, 30)
    assert (await services.sweep.tick(rec)).sent == 1


# --- mock interviews, turning off and changing the time --------------------------------------


async def test_a_user_in_a_mock_interview_gets_the_prompt_after_it_ends(
    services: Services, clock: FakeClock
) -> None:
    await services.daily_settings.set_daily(ANN, "09:30")
    started = await services.interviews.start(ANN)
    assert isinstance(started, Started)
    clock.advance(minutes=30)
    rec = Recorder()
    report = await services.sweep.tick(rec)
    assert (report.deferred, report.sent, len(rec.calls)) == (1, 0, 0)
    clock.advance(minutes=30)
    assert (await services.sweep.tick(rec)).deferred == 1  # still interviewing: deferred again
    assert await sessions_of(services.db, ANN) == [("interview", "active")]
    assert await services.interviews.cancel(ANN) is not None
    clock.advance(minutes=10)
    assert (await services.sweep.tick(rec)).sent == 0  # not before the deferral is up
    clock.advance(minutes=20)
    report = await services.sweep.tick(rec)
    assert (report.sent, len(rec.calls)) == (1, 1)
    assert await sessions_of(services.db, ANN) == [("interview", "cancelled"), ("daily", "active")]
    rows = await delivery_rows(services.db)
    assert [(r.local_date, r.status) for r in rows] == [(date(2026, 3, 2), "sent")]


async def test_a_prompt_deferred_by_a_long_interview_keeps_its_retries(
    services: Services, clock: FakeClock
) -> None:
    await services.daily_settings.set_daily(ANN, "09:30")
    assert isinstance(await services.interviews.start(ANN), Started)
    clock.advance(minutes=30)
    rec = Recorder(script={chat(ANN): [SendResult.FAILED]})
    for _ in range(5):  # two and a half hours of interview
        assert (await services.sweep.tick(rec)).deferred == 1
        clock.advance(minutes=30)
    await services.interviews.cancel(ANN)
    assert (await services.sweep.tick(rec)).failed == 1  # the first real send attempt fails...
    clock.advance(minutes=1)
    assert (await services.sweep.tick(rec)).sent == 1  # ...and is retried, not given up
    assert [r.status for r in await delivery_rows(services.db)] == ["sent"]


async def test_off_then_on_or_a_new_time_the_same_day_sends_no_second_prompt(
    services: Services, clock: FakeClock
) -> None:
    await services.daily_settings.set_daily(ANN, "09:30")
    clock.advance(minutes=30)
    rec = Recorder()
    assert (await services.sweep.tick(rec)).sent == 1
    off = await services.daily_settings.daily_off(ANN)
    assert (off.enabled, off.next_at) == (False, None)
    clock.now = at(2026, 3, 3, 9, 30)
    await services.sweep.tick(rec)
    assert len(rec.calls) == 1  # off means off

    on = await services.daily_settings.set_daily(ANN, "18:00")
    assert on.next_at == at(2026, 3, 3, 18, 0)
    clock.now = at(2026, 3, 3, 18, 0)
    assert (await services.sweep.tick(rec)).sent == 1
    # Already had today's prompt: moving the time later today gives no second one, and the
    # setting says the next one is tomorrow's.
    moved = await services.daily_settings.set_daily(ANN, "20:00")
    assert moved.next_at == at(2026, 3, 4, 20, 0)
    clock.now = at(2026, 3, 3, 20, 0)
    report = await services.sweep.tick(rec)
    assert (report.scheduled, report.sent) == (0, 0)
    assert (await services.daily_settings.daily(ANN)).next_at == at(2026, 3, 4, 20, 0)
    clock.now = at(2026, 3, 4, 20, 0)
    assert (await services.sweep.tick(rec)).sent == 1
    assert [(r.local_date.day, r.due_at.hour) for r in await delivery_rows(services.db)] == [
        (2, 9),
        (3, 18),
        (4, 20),
    ]


async def test_turning_daily_off_cancels_a_snoozed_prompt(services: Services, clock: FakeClock) -> None:
    await services.daily_settings.set_daily(ANN, "09:30")
    clock.advance(minutes=30)
    rec = Recorder()
    await services.sweep.tick(rec)
    assert await services.prompting.snooze(ANN, rec.delivered[0].content.prompt.session_id) is not None
    await services.daily_settings.daily_off(ANN)
    clock.advance(hours=2)
    assert (await services.sweep.tick(rec)).sent == 0
    assert [r.kind for r in await delivery_rows(services.db)] == ["daily"]


async def test_a_snoozed_and_a_daily_prompt_of_one_user_due_together_both_go_out_one_stays_open(
    services: Services, clock: FakeClock
) -> None:
    # Two deliveries of one user in one claimed batch: the second takes the one-at-a-time path.
    people = [person(n) for n in range(5)]
    await daily_for(services, [ANN, *people], "09:30")
    clock.advance(minutes=30)
    async with services.db.unit() as uow:
        profile = await uow.users.profile(ANN.external_id)
        assert profile is not None
        question = services.bank.questions[0].id
        await uow.deliveries.add(
            profile.user_id,
            DeliveryKind.SNOOZE,
            date(2026, 3, 2),
            at(2026, 3, 2, 9, 29),
            DeliveryStatus.PENDING,
            question,
        )
    rec = Recorder()
    report = await services.sweep.tick(rec)
    assert (report.sent, report.errors) == (7, [])
    assert rec.per_chat() == {chat(ANN): 2, **{chat(p): 1 for p in people}}
    rows = await delivery_rows(services.db, ANN)
    assert sorted((r.kind, r.status) for r in rows) == [("daily", "sent"), ("snooze", "sent")]
    assert [r.question_id for r in rows if r.kind == "snooze"] == [question]
    # The prompt prepared last replaced the other's session: one open question, one it sent.
    statuses = [s for _, s in await sessions_of(services.db, ANN)]
    assert sorted(statuses) == ["active", "replaced"]
    open_ids = {o.content.prompt.session_id for o in rec.delivered if o.chat_id == chat(ANN)}
    assert len(open_ids) == 2
