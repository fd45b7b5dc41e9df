"""The periodic sweep that pushes daily prompts: exactly once per user and day.

The database is the schedule. Each tick:
1. turns daily schedules whose time has come into delivery rows: one per user and local
   day (a unique index), each moving the schedule to its next local time; a prompt more
   than `grace_minutes` late becomes a "missed" row instead of a stale message;
2. makes deliveries left "sending" by a process that died claimable again: a live process
   renews the claims it is still sending every few seconds (a heartbeat), so a claim not
   renewed for `SENDING_LEASE` belongs to a dead one and is re-sent within a minute of a
   restart, while a slow send of a live process is never duplicated;
3. claims due deliveries with one atomic UPDATE, opens a one-question practice session for
   each, and hands them to the front end's sender; marks each sent, blocked or failed.

Several processes can run it against one database: claims never overlap (SQLite's BEGIN
IMMEDIATE, PostgreSQL's FOR UPDATE SKIP LOCKED), and no Telegram call happens inside a
transaction.
"""

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import Enum
from zoneinfo import ZoneInfo

from bot.core.clock import Clock
from bot.core.daily_settings import quiet_hours
from bot.core.prompting import Busy, DailyPrompt, PromptingService, ToPrepare
from bot.core.schedule_time import catch_up, local_date, next_prompt_at
from storage.db import Database
from storage.records import DeliveryRecord, PracticeProfile, ScheduleRecord
from storage.states import DeliveryKind, DeliveryStatus, SessionStatus
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

# A delivery "sending" whose claim was not renewed for this long belongs to a process that died.
SENDING_LEASE = timedelta(seconds=20)
# How often a live process renews its claims: several times per lease, so one late beat is fine.
HEARTBEAT_SECONDS = 5.0
# A user busy in a mock interview gets the prompt this much later.
BUSY_DELAY = timedelta(minutes=30)
MAX_ATTEMPTS = 3
RETRY_DELAY = timedelta(minutes=1)


class SendResult(Enum):
    SENT = "sent"
    BLOCKED = "blocked"  # the user blocked the bot
    FAILED = "failed"  # worth another try later


@dataclass(frozen=True, slots=True)
class Outgoing:
    delivery_id: int
    chat_id: int
    kind: DeliveryKind
    content: DailyPrompt


Sender = Callable[[Outgoing], Awaitable[tuple[SendResult, int | None]]]


@dataclass(slots=True)
class SweepReport:
    scheduled: int = 0
    missed: int = 0
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    deferred: int = 0
    recovered: int = 0
    errors: list[str] = field(default_factory=list)


# Most users share a few daily times and zones: thousands due in one minute need a few answers.
@functools.lru_cache(maxsize=4096)
def _occurrences(
    local: time, tz: ZoneInfo, stored: datetime, now: datetime, grace_minutes: int
) -> tuple[datetime, datetime, bool]:
    """(the latest occurrence that has come, the next one to store, whether it is on time)."""
    # After an outage of days, only the latest occurrence can still be on time: a
    # bot back at 07:40 sends today's 07:30 prompt, not Monday's.
    latest = stored
    while (later := next_prompt_at(local, tz, latest)) <= now:
        latest = later
    following = next_prompt_at(local, tz, max(latest, now))
    return latest, following, catch_up(latest, now, timedelta(minutes=grace_minutes)) == "send"


class _NotAllMoved(Exception):
    """A batch of schedules could not all be moved on: it is undone and taken one by one."""


@dataclass(frozen=True, slots=True)
class _Plan:
    """One due schedule: its stored occurrence, the latest one that has come, the next one."""

    user_id: int
    tz: ZoneInfo
    stored: datetime
    latest: datetime
    following: datetime
    on_time: bool


@dataclass(frozen=True, slots=True)
class _Ready:
    delivery: DeliveryRecord
    profile: PracticeProfile
    chat_id: int
    content: DailyPrompt
    now: datetime  # the tick's time, which the records of a failed send use


@dataclass(frozen=True, slots=True)
class _Sent:
    item: _Ready
    result: SendResult
    message_id: int | None
    at: datetime  # when the send returned: the delivery's sent_at


class _GroupCommit:
    """Sends that return while another batch of them is being written are written together,
    next: each caller waits until its own send is recorded (and gets the counts of the write
    that recorded it, once), so no send is reported done before its row says so."""

    def __init__(self, write: Callable[[list[_Sent]], Awaitable[SweepReport]]) -> None:
        self._write = write
        self._pending: list[tuple[_Sent, asyncio.Future[SweepReport]]] = []
        self._lock = asyncio.Lock()

    async def record(self, sent: _Sent) -> SweepReport:
        done: asyncio.Future[SweepReport] = asyncio.get_running_loop().create_future()
        self._pending.append((sent, done))
        async with self._lock:
            if not done.done():
                batch, self._pending = self._pending, []
                try:
                    counts = await self._write([s for s, _ in batch])
                except BaseException as exc:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(
                                exc if isinstance(exc, Exception) else asyncio.CancelledError()
                            )
                    raise
                # The counts go to the writer alone; the others were counted in them.
                for _, future in batch:
                    future.set_result(counts if future is done else SweepReport())
        return await done


def _merge(report: SweepReport, counts: SweepReport) -> None:
    report.scheduled += counts.scheduled
    report.missed += counts.missed
    report.sent += counts.sent
    report.blocked += counts.blocked
    report.failed += counts.failed
    report.deferred += counts.deferred
    report.errors += counts.errors


class PromptSweep:
    def __init__(self, db: Database, prompting: PromptingService, clock: Clock) -> None:
        self.db = db
        self.prompting = prompting
        self.clock = clock
        self.settings = prompting.settings
        # How far from the chosen time a daily prompt still counts as on time (a tick may be late).
        self.on_time = timedelta(seconds=max(60, 2 * self.settings.tick_seconds))
        self.heartbeat_seconds = HEARTBEAT_SECONDS

    async def tick(self, send: Sender, *, concurrency: int = 8) -> SweepReport:
        report = SweepReport()
        now = self.clock()
        while await self._schedule_due(now, report) == self.settings.batch_size:
            pass
        async with self.db.unit() as uow:
            report.recovered = await uow.deliveries.recover_stale(now - SENDING_LEASE)
        gate = asyncio.Semaphore(concurrency)
        in_flight: set[int] = set()
        done = asyncio.Event()
        heartbeat = asyncio.create_task(self._renew_claims(in_flight, done))
        try:
            await self._send_claimed(send, now, gate, in_flight, report)
        finally:
            # Told to stop rather than cancelled: a cancel in the middle of a renewal would
            # leave its database connection to be torn down in the background.
            done.set()
            await heartbeat
        return report

    async def _renew_claims(self, in_flight: set[int], done: asyncio.Event) -> None:
        """Keep this process's claims fresh while their sends are under way."""
        while not done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), self.heartbeat_seconds)
            if not in_flight or done.is_set():
                continue
            try:
                async with self.db.unit() as uow:
                    await uow.deliveries.renew(sorted(in_flight), self.clock())
            except Exception:  # a missed beat is not fatal: the lease spans several beats
                log.warning("could not renew the claims of %d deliveries", len(in_flight), exc_info=True)

    async def _send_claimed(
        self,
        send: Sender,
        now: datetime,
        gate: asyncio.Semaphore,
        in_flight: set[int],
        report: SweepReport,
    ) -> None:
        while True:
            async with self.db.unit() as uow:
                # Stamped with the time of this claim, not the tick's start, so a long tick's
                # later batches are not mistaken for stale ones by another process.
                claimed = await uow.deliveries.claim(self.clock(), self.settings.batch_size)
            if not claimed:
                break
            in_flight.update(d.id for d in claimed)
            try:
                await self._deliver_batch(claimed, now, send, gate, report)
            finally:
                in_flight.difference_update(d.id for d in claimed)

    async def _deliver_guarded(
        self,
        delivery: DeliveryRecord,
        now: datetime,
        send: Sender,
        gate: asyncio.Semaphore,
        report: SweepReport,
    ) -> None:
        """One delivery on its own: prepared, sent and recorded in units of its own."""
        async with gate:
            try:
                await self._deliver(delivery, now, send, report)
            except Exception as exc:  # one user's failure never stops the sweep
                await self._failed(delivery, exc, now, report)

    async def _failed(
        self, delivery: DeliveryRecord, exc: Exception, now: datetime, report: SweepReport
    ) -> None:
        """Log and count an unexpected failure; the delivery is retried later, or given up."""
        log.exception("delivery %s failed", delivery.id, exc_info=exc)
        report.errors.append(f"{delivery.id}: {exc}")
        retry = delivery.attempts < MAX_ATTEMPTS
        # Later, like a FAILED send: pending with an unchanged due_at would be claimed again at
        # once by this very tick and use up every attempt.
        await self._finish(
            delivery,
            DeliveryStatus.PENDING if retry else DeliveryStatus.FAILED,
            due_at=now + RETRY_DELAY if retry else None,
        )

    async def _deliver_batch(
        self,
        claimed: list[DeliveryRecord],
        now: datetime,
        send: Sender,
        gate: asyncio.Semaphore,
        report: SweepReport,
    ) -> None:
        """A claimed batch: prepared in one unit of work, sent (at most `gate` at once), and
        recorded in one more. If a unit fails, its part is done one delivery at a time instead,
        the way each delivery was done before batching; so is a second delivery of a user."""
        seen: set[int] = set()
        batch: list[DeliveryRecord] = []
        alone: list[DeliveryRecord] = []
        for delivery in claimed:
            (alone if delivery.user_id in seen else batch).append(delivery)
            seen.add(delivery.user_id)
        counts = SweepReport()
        try:
            async with self.db.unit() as uow:
                ready = await self._prepare_batch(uow, batch, now, counts)
        except Exception:
            log.warning(
                "preparing %d prompts together failed; one at a time instead", len(batch), exc_info=True
            )
            alone = claimed
            ready = []
        else:
            _merge(report, counts)

        group = _GroupCommit(self._record_many)

        async def send_one(item: _Ready) -> None:
            # The slot is held until the send is recorded, as for a delivery on its own: a
            # process killed mid-sweep has recorded every send that returned.
            async with gate:
                sent = await self._send(item, send, report)
                try:
                    _merge(report, await group.record(sent))
                except Exception:
                    log.warning(
                        "recording sends together failed; delivery %s on its own",
                        item.delivery.id,
                        exc_info=True,
                    )
                    await self._record_alone(sent, now, report)

        await asyncio.gather(
            *(send_one(item) for item in ready),
            *(self._deliver_guarded(d, now, send, gate, report) for d in alone),
        )

    async def _record_many(self, sent: list["_Sent"]) -> SweepReport:
        """What became of several sends, in one unit of work."""
        counts = SweepReport()
        async with self.db.unit() as uow:
            await uow.deliveries.finish_sent_many(
                [
                    (
                        s.item.delivery.id,
                        s.at,
                        s.item.content.pick.question.id,
                        s.item.content.pick.reason,
                        s.message_id,
                    )
                    for s in sent
                    if s.result is SendResult.SENT
                ]
            )
            counts.sent = sum(1 for s in sent if s.result is SendResult.SENT)
            for s in sent:
                if s.result is not SendResult.SENT:
                    await self._record(uow, s, s.item.now, counts)
        return counts

    async def _record_alone(self, sent: "_Sent", now: datetime, report: SweepReport) -> None:
        try:
            async with self.db.unit() as uow:
                await self._record(uow, sent, now, report)
        except Exception as exc:
            await self._failed(sent.item.delivery, exc, now, report)

    async def _prepare_batch(
        self, uow: UnitOfWork, batch: list[DeliveryRecord], now: datetime, report: SweepReport
    ) -> list["_Ready"]:
        """The first unit of work of deliveries (of distinct users): each is blocked, deferred,
        missed, or ready to send."""
        if not batch:
            return []
        user_ids = [d.user_id for d in batch]
        profiles = await uow.users.profiles_by_ids(user_ids)
        schedules = await uow.schedules.get_many(user_ids)
        todo: list[tuple[DeliveryRecord, PracticeProfile, ZoneInfo, int]] = []
        for delivery in batch:
            profile = profiles.get(delivery.user_id)
            if profile is None or not profile.is_active or profile.chat_id is None:
                await uow.deliveries.finish(delivery.id, DeliveryStatus.BLOCKED)
                report.blocked += 1
                continue
            tz = self.prompting.daily_settings.zone(profile)
            deferred = self._defer_for_quiet_hours(delivery, schedules.get(profile.user_id), tz, now)
            unclaimed = delivery.attempts - 1
            if deferred is not None:
                await uow.deliveries.finish(
                    delivery.id, DeliveryStatus.PENDING, due_at=deferred, attempts=unclaimed
                )
                report.deferred += 1
                continue
            todo.append((delivery, profile, tz, unclaimed))
        contents = await self.prompting.prepare_many(
            uow, [ToPrepare(profile, delivery.question_id) for delivery, profile, _, _ in todo], now
        )
        ready: list[_Ready] = []
        for (delivery, profile, tz, unclaimed), content in zip(todo, contents, strict=True):
            if await self._not_sending(uow, delivery, content, tz, now, unclaimed, report):
                continue
            assert isinstance(content, DailyPrompt) and profile.chat_id is not None
            ready.append(_Ready(delivery, profile, profile.chat_id, content, now))
        return ready

    def _defer_for_quiet_hours(
        self, delivery: DeliveryRecord, schedule: ScheduleRecord | None, tz: ZoneInfo, now: datetime
    ) -> datetime | None:
        """When a prompt not sent at the user's chosen time must wait out quiet hours: until when."""
        quiet = quiet_hours(schedule)
        # The chosen daily time is always honoured; anything else sent unasked (a snooze, a
        # prompt caught up after downtime, deferred or retried) waits out quiet hours.
        late = True
        if schedule is not None and delivery.kind == DeliveryKind.DAILY:
            chosen = datetime.combine(delivery.local_date, schedule.local_time, tz)
            late = abs(now - chosen) > self.on_time
        return quiet.defer(now, tz) if late and quiet.contains(now, tz) else None

    async def _not_sending(
        self,
        uow: UnitOfWork,
        delivery: DeliveryRecord,
        content: DailyPrompt | Busy | None,
        tz: ZoneInfo,
        now: datetime,
        unclaimed: int,
        report: SweepReport,
    ) -> bool:
        """Records why a prepared delivery is not sent now, if it is not (True)."""
        if isinstance(content, Busy) and local_date(now, tz) > delivery.local_date:
            # Busy in an interview all day (or one left open): let tomorrow's prompt take over.
            await uow.deliveries.finish(delivery.id, DeliveryStatus.MISSED, attempts=unclaimed)
            report.missed += 1
            return True
        if isinstance(content, Busy):
            await uow.deliveries.finish(
                delivery.id, DeliveryStatus.PENDING, due_at=now + BUSY_DELAY, attempts=unclaimed
            )
            report.deferred += 1
            return True
        if content is None:
            await uow.deliveries.finish(delivery.id, DeliveryStatus.MISSED)
            report.missed += 1
            return True
        return False

    async def _schedule_due(self, now: datetime, report: SweepReport) -> int:
        """Turn due schedules into delivery rows; returns how many schedules it took."""
        counts = SweepReport()
        try:
            async with self.db.unit() as uow:
                taken = await self._schedule_batch(uow, now, counts)
        except _NotAllMoved:
            async with self.db.unit() as uow:
                taken = await self._schedule_one_by_one(uow, now, report)
        else:
            _merge(report, counts)
        return taken

    def _plan(self, schedule: ScheduleRecord, profile: PracticeProfile, now: datetime) -> "_Plan":
        assert schedule.next_due_at is not None
        tz = self.prompting.daily_settings.zone(profile)
        latest, following, on_time = _occurrences(
            schedule.local_time, tz, schedule.next_due_at, now, self.settings.grace_minutes
        )
        return _Plan(profile.user_id, tz, schedule.next_due_at, latest, following, on_time)

    async def _schedule_batch(self, uow: UnitOfWork, now: datetime, report: SweepReport) -> int:
        """A batch of due schedules in three statements: moved on together, their delivery
        rows inserted together."""
        due = await uow.schedules.due(now, self.settings.batch_size)
        plans = [self._plan(schedule, profile, now) for schedule, profile in due]
        moved = await uow.schedules.advance_many([(p.user_id, p.stored, p.following) for p in plans])
        if moved != len(plans):
            # No other process can move these rows while this transaction holds them (SQLite's
            # BEGIN IMMEDIATE, PostgreSQL's FOR UPDATE); should one have, undo and go one by one.
            raise _NotAllMoved
        rows: list[tuple[int, DeliveryKind, date, datetime, DeliveryStatus]] = []
        for p in plans:
            if p.latest != p.stored:
                rows.append(
                    (
                        p.user_id,
                        DeliveryKind.DAILY,
                        local_date(p.stored, p.tz),
                        p.stored,
                        DeliveryStatus.MISSED,
                    )
                )
            status = DeliveryStatus.PENDING if p.on_time else DeliveryStatus.MISSED
            rows.append((p.user_id, DeliveryKind.DAILY, local_date(p.latest, p.tz), p.latest, status))
        added = await uow.deliveries.add_many(rows)
        for user_id, _, day, _, status in rows:
            if (user_id, day) in added:
                if status == DeliveryStatus.MISSED:
                    report.missed += 1
                else:
                    report.scheduled += 1
        return len(due)

    async def _schedule_one_by_one(self, uow: UnitOfWork, now: datetime, report: SweepReport) -> int:
        schedules = uow.schedules
        deliveries = uow.deliveries
        due = await schedules.due(now, self.settings.batch_size)
        for schedule, profile in due:
            p = self._plan(schedule, profile, now)
            if not await schedules.advance(p.user_id, p.stored, p.following):
                continue
            if p.latest != p.stored and await deliveries.add(
                p.user_id, DeliveryKind.DAILY, local_date(p.stored, p.tz), p.stored, DeliveryStatus.MISSED
            ):
                report.missed += 1
            status = DeliveryStatus.PENDING if p.on_time else DeliveryStatus.MISSED
            if await deliveries.add(
                p.user_id, DeliveryKind.DAILY, local_date(p.latest, p.tz), p.latest, status
            ):
                if status == DeliveryStatus.MISSED:
                    report.missed += 1
                else:
                    report.scheduled += 1
        return len(due)

    async def _deliver(
        self, delivery: DeliveryRecord, now: datetime, send: Sender, report: SweepReport
    ) -> None:
        """One delivery in units of its own: prepared, sent, recorded."""
        async with self.db.unit() as uow:
            ready = await self._prepare_batch(uow, [delivery], now, report)
        for item in ready:
            sent = await self._send(item, send, report)
            async with self.db.unit() as uow:
                await self._record(uow, sent, now, report)

    async def _send(self, item: "_Ready", send: Sender, report: SweepReport) -> "_Sent":
        try:
            result, message_id = await send(
                Outgoing(item.delivery.id, item.chat_id, item.delivery.kind, item.content)
            )
        except Exception as exc:
            # A sender that raises has failed to send: retry later like FAILED, and close the
            # session when recording it, so the question the user never saw waits for no answer.
            log.exception("sending delivery %s failed", item.delivery.id)
            report.errors.append(f"{item.delivery.id}: {exc}")
            result, message_id = SendResult.FAILED, None
        return _Sent(item, result, message_id, self.clock())

    async def _record(self, uow: UnitOfWork, sent: "_Sent", now: datetime, report: SweepReport) -> None:
        """What became of one send: sent, the user blocked the bot, or another try later."""
        delivery, content = sent.item.delivery, sent.item.content
        deliveries = uow.deliveries
        if sent.result is SendResult.SENT:
            await deliveries.finish(
                delivery.id,
                DeliveryStatus.SENT,
                sent_at=sent.at,
                question_id=content.pick.question.id,
                reason=content.pick.reason,
                message_id=sent.message_id,
            )
            report.sent += 1
        elif sent.result is SendResult.BLOCKED:
            await deliveries.finish(delivery.id, DeliveryStatus.BLOCKED)
            await uow.users.deactivate(sent.item.profile.user_id)
            await uow.sessions.close(content.prompt.session_id, SessionStatus.CANCELLED, now)
            report.blocked += 1
        else:
            retry = delivery.attempts < MAX_ATTEMPTS
            await deliveries.finish(
                delivery.id,
                DeliveryStatus.PENDING if retry else DeliveryStatus.FAILED,
                due_at=now + RETRY_DELAY if retry else None,
            )
            await uow.sessions.close(content.prompt.session_id, SessionStatus.CANCELLED, now)
            report.failed += 1

    async def _finish(
        self, delivery: DeliveryRecord, status: DeliveryStatus, *, due_at: datetime | None
    ) -> None:
        try:
            async with self.db.unit() as uow:
                await uow.deliveries.finish(delivery.id, status, due_at=due_at)
        except Exception:
            log.exception("could not record the outcome of delivery %s", delivery.id)
