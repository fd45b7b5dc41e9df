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
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum

from bot.core.clock import Clock
from bot.core.daily_settings import quiet_hours
from bot.core.prompting import Busy, DailyPrompt, PromptingService
from bot.core.schedule_time import catch_up, local_date, next_prompt_at
from storage.db import Database
from storage.records import DeliveryRecord
from storage.states import DeliveryKind, DeliveryStatus, SessionStatus

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

            async def deliver(delivery: DeliveryRecord) -> None:
                async with gate:
                    try:
                        await self._deliver(delivery, now, send, report)
                    except Exception as exc:  # one user's failure never stops the sweep
                        log.exception("delivery %s failed", delivery.id)
                        report.errors.append(f"{delivery.id}: {exc}")
                        retry = delivery.attempts < MAX_ATTEMPTS
                        # Later, like a FAILED send: pending with an unchanged due_at would be
                        # claimed again at once by this very tick and use up every attempt.
                        await self._finish(
                            delivery,
                            DeliveryStatus.PENDING if retry else DeliveryStatus.FAILED,
                            due_at=now + RETRY_DELAY if retry else None,
                        )
                    finally:
                        in_flight.discard(delivery.id)

            await asyncio.gather(*(deliver(d) for d in claimed))

    async def _schedule_due(self, now: datetime, report: SweepReport) -> int:
        """Turn due schedules into delivery rows; returns how many schedules it took."""
        grace = timedelta(minutes=self.settings.grace_minutes)
        async with self.db.unit() as uow:
            schedules = uow.schedules
            deliveries = uow.deliveries
            due = await schedules.due(now, self.settings.batch_size)
            for schedule, profile in due:
                assert schedule.next_due_at is not None
                tz = self.prompting.daily_settings.zone(profile)
                local = schedule.local_time
                stored = schedule.next_due_at
                # After an outage of days, only the latest occurrence can still be on time: a
                # bot back at 07:40 sends today's 07:30 prompt, not Monday's.
                latest = stored
                while (later := next_prompt_at(local, tz, latest)) <= now:
                    latest = later
                following = next_prompt_at(local, tz, max(latest, now))
                if not await schedules.advance(profile.user_id, stored, following):
                    continue
                if latest != stored and await deliveries.add(
                    profile.user_id, DeliveryKind.DAILY, local_date(stored, tz), stored, DeliveryStatus.MISSED
                ):
                    report.missed += 1
                on_time = catch_up(latest, now, grace) == "send"
                status = DeliveryStatus.PENDING if on_time else DeliveryStatus.MISSED
                if await deliveries.add(
                    profile.user_id, DeliveryKind.DAILY, local_date(latest, tz), latest, status
                ):
                    if status == DeliveryStatus.MISSED:
                        report.missed += 1
                    else:
                        report.scheduled += 1
        return len(due)

    async def _deliver(
        self, delivery: DeliveryRecord, now: datetime, send: Sender, report: SweepReport
    ) -> None:
        async with self.db.unit() as uow:
            profile = await uow.users.profile_by_id(delivery.user_id)
            if profile is None or not profile.is_active or profile.chat_id is None:
                await uow.deliveries.finish(delivery.id, DeliveryStatus.BLOCKED)
                report.blocked += 1
                return
            tz = self.prompting.daily_settings.zone(profile)
            schedule = await uow.schedules.get(profile.user_id)
            quiet = quiet_hours(schedule)
            # The chosen daily time is always honoured; anything else sent unasked (a snooze, a
            # prompt caught up after downtime, deferred or retried) waits out quiet hours.
            late = True
            if schedule is not None and delivery.kind == DeliveryKind.DAILY:
                chosen = datetime.combine(delivery.local_date, schedule.local_time, tz)
                late = abs(now - chosen) > self.on_time
            # A deferral is not a send attempt: give back the one the claim counted.
            unclaimed = delivery.attempts - 1
            if late and quiet.contains(now, tz):
                await uow.deliveries.finish(
                    delivery.id, DeliveryStatus.PENDING, due_at=quiet.defer(now, tz), attempts=unclaimed
                )
                report.deferred += 1
                return
            content = await self.prompting.prepare(uow, profile, now, question_id=delivery.question_id)
            if isinstance(content, Busy) and local_date(now, tz) > delivery.local_date:
                # Busy in an interview all day (or one left open): let tomorrow's prompt take over.
                await uow.deliveries.finish(delivery.id, DeliveryStatus.MISSED, attempts=unclaimed)
                report.missed += 1
                return
            if isinstance(content, Busy):
                await uow.deliveries.finish(
                    delivery.id, DeliveryStatus.PENDING, due_at=now + BUSY_DELAY, attempts=unclaimed
                )
                report.deferred += 1
                return
            if content is None:
                await uow.deliveries.finish(delivery.id, DeliveryStatus.MISSED)
                report.missed += 1
                return
        try:
            result, message_id = await send(Outgoing(delivery.id, profile.chat_id, delivery.kind, content))
        except Exception as exc:
            # A sender that raises has failed to send: retry later like FAILED, and close the
            # session below so the question the user never saw does not wait for an answer.
            log.exception("sending delivery %s failed", delivery.id)
            report.errors.append(f"{delivery.id}: {exc}")
            result, message_id = SendResult.FAILED, None
        async with self.db.unit() as uow:
            deliveries = uow.deliveries
            if result is SendResult.SENT:
                await deliveries.finish(
                    delivery.id,
                    DeliveryStatus.SENT,
                    sent_at=self.clock(),
                    question_id=content.pick.question.id,
                    reason=content.pick.reason,
                    message_id=message_id,
                )
                report.sent += 1
            elif result is SendResult.BLOCKED:
                await deliveries.finish(delivery.id, DeliveryStatus.BLOCKED)
                await uow.users.deactivate(profile.user_id)
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
