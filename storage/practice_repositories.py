"""Queries for daily prompts and spaced repetition: schedules, cards, review logs, deliveries.

The sweep's claims are single statements: an UPDATE ... WHERE id IN (SELECT ... LIMIT n
FOR UPDATE SKIP LOCKED) RETURNING. SQLite drops the FOR UPDATE, and its BEGIN IMMEDIATE
transactions (storage/db.py) serialise writers, so the statement is atomic there too;
on PostgreSQL two processes skip each other's locked rows instead of waiting.
"""

from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    Row,
    Table,
    bindparam,
    case,
    delete,
    func,
    insert,
    select,
    text,
    true,
    type_coerce,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Card, Delivery, PracticeSchedule, ReviewLog, User
from storage.records import CardRecord, DeliveryRecord, PracticeProfile, ReviewsDue, ScheduleRecord
from storage.repositories import user_profile
from storage.statements import BACKENDS
from storage.states import DeliveryKind, DeliveryStatus, PickReason
from storage.types import UtcDateTime

_user: Table = User.__table__  # type: ignore[assignment]
_schedule: Table = PracticeSchedule.__table__  # type: ignore[assignment]
_card: Table = Card.__table__  # type: ignore[assignment]
_review_log: Table = ReviewLog.__table__  # type: ignore[assignment]
_delivery: Table = Delivery.__table__  # type: ignore[assignment]


# The times are stored as "HH:MM" strings; the rest of the program sees datetime.time.
def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


def _schedule_record(row: Row[Any]) -> ScheduleRecord:
    return ScheduleRecord(
        row.user_id,
        row.enabled,
        time.fromisoformat(row.local_time),
        time.fromisoformat(row.quiet_start),
        time.fromisoformat(row.quiet_end),
        row.next_due_at,
    )


def _card_record(row: Row[Any]) -> CardRecord:
    return CardRecord(
        row.question_id, row.state_json, row.due_at, row.last_rating, row.last_review_at, row.review_count
    )


def _delivery_record(row: Row[Any]) -> DeliveryRecord:
    return DeliveryRecord(
        row.id,
        row.user_id,
        DeliveryKind(row.kind),
        row.local_date,
        row.due_at,
        DeliveryStatus(row.status),
        row.attempts,
        row.question_id,
    )


class ScheduleRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def get(self, user_id: int) -> ScheduleRecord | None:
        row = (await self.conn.execute(select(_schedule).where(_schedule.c.user_id == user_id))).first()
        return _schedule_record(row) if row else None

    async def get_many(self, user_ids: Sequence[int]) -> dict[int, ScheduleRecord]:
        rows = await self.conn.execute(select(_schedule).where(_schedule.c.user_id.in_(list(user_ids))))
        return {r.user_id: _schedule_record(r) for r in rows}

    async def save(
        self,
        user_id: int,
        *,
        enabled: bool,
        local_time: time,
        quiet_start: time,
        quiet_end: time,
        next_due_at: datetime | None,
        now: datetime,
    ) -> None:
        values = dict(
            enabled=enabled,
            local_time=_hhmm(local_time),
            quiet_start=_hhmm(quiet_start),
            quiet_end=_hhmm(quiet_end),
            next_due_at=next_due_at,
            updated_at=now,
        )
        result = await self.conn.execute(
            update(_schedule).where(_schedule.c.user_id == user_id).values(**values)
        )
        if result.rowcount == 0:
            await self.conn.execute(insert(_schedule).values(user_id=user_id, **values))

    async def due(self, now: datetime, limit: int) -> list[tuple[ScheduleRecord, PracticeProfile]]:
        """Daily prompts whose time has come, locked for this transaction (SKIP LOCKED on PostgreSQL)."""
        stmt = (
            select(_schedule, _user)
            .join(_user, _user.c.id == _schedule.c.user_id)
            .where(_schedule.c.enabled, _schedule.c.next_due_at <= now, _user.c.is_active)
            .order_by(_schedule.c.next_due_at)
            .limit(limit)
            .with_for_update(of=_schedule, skip_locked=True)
        )
        rows = (await self.conn.execute(stmt)).all()
        return [(_schedule_record(r), user_profile(r)) for r in rows]

    async def advance(self, user_id: int, expected: datetime, next_due_at: datetime) -> bool:
        """Move the next prompt on, unless another process already did (compare and set)."""
        result = await self.conn.execute(
            update(_schedule)
            .where(_schedule.c.user_id == user_id, _schedule.c.next_due_at == expected)
            .values(next_due_at=next_due_at)
        )
        return result.rowcount == 1

    async def advance_many(self, moves: Sequence[tuple[int, datetime, datetime]]) -> int:
        """advance() for many (user_id, expected, next_due_at) at once; how many moved."""
        if not moves:
            return 0
        result = await self.conn.execute(
            _ADVANCE, [{"uid": u, "expected": e, "next_due": n} for u, e, n in moves]
        )
        return result.rowcount


_ADVANCE = (
    update(_schedule)
    .where(_schedule.c.user_id == bindparam("uid"), _schedule.c.next_due_at == bindparam("expected"))
    .values(next_due_at=bindparam("next_due"))
)


class CardRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def get(self, user_id: int, question_id: str) -> CardRecord | None:
        row = (
            await self.conn.execute(
                select(_card).where(_card.c.user_id == user_id, _card.c.question_id == question_id)
            )
        ).first()
        return _card_record(row) if row else None

    async def save(
        self, user_id: int, question_id: str, state_json: str, due_at: datetime, rating: int, now: datetime
    ) -> None:
        result = await self.conn.execute(
            update(_card)
            .where(_card.c.user_id == user_id, _card.c.question_id == question_id)
            .values(
                state_json=state_json,
                due_at=due_at,
                last_rating=rating,
                last_review_at=now,
                review_count=_card.c.review_count + 1,
            )
        )
        if result.rowcount == 0:
            await self.conn.execute(
                insert(_card).values(
                    user_id=user_id,
                    question_id=question_id,
                    state_json=state_json,
                    due_at=due_at,
                    last_rating=rating,
                    last_review_at=now,
                    review_count=1,
                )
            )

    async def due(self, user_id: int, now: datetime, limit: int) -> list[CardRecord]:
        """Cards due now, most overdue first."""
        rows = await self.conn.execute(
            select(_card)
            .where(_card.c.user_id == user_id, _card.c.due_at <= now)
            .order_by(_card.c.due_at)
            .limit(limit)
        )
        return [_card_record(r) for r in rows]

    async def _ranked(
        self, user_ids: Sequence[int], limit: int, where: Any, *order: Any
    ) -> dict[int, list[CardRecord]]:
        """Up to `limit` cards per user in `order` (a window function), for many users at once."""
        rank = func.row_number().over(partition_by=_card.c.user_id, order_by=order).label("rank")
        inner = select(_card, rank).where(_card.c.user_id.in_(list(user_ids)), where).subquery()
        rows = await self.conn.execute(
            select(inner).where(inner.c.rank <= limit).order_by(inner.c.user_id, inner.c.rank)
        )
        found: dict[int, list[CardRecord]] = {}
        for r in rows:
            found.setdefault(r.user_id, []).append(_card_record(r))
        return found

    async def due_of(self, user_ids: Sequence[int], now: datetime, limit: int) -> dict[int, list[CardRecord]]:
        """due() for many users in one statement."""
        return await self._ranked(user_ids, limit, _card.c.due_at <= now, _card.c.due_at)

    async def weakest_of(self, user_ids: Sequence[int], limit: int) -> dict[int, list[CardRecord]]:
        """Each user's weakest cards, lowest last rating first, then the longest since reviewed."""
        return await self._ranked(user_ids, limit, true(), _card.c.last_rating, _card.c.last_review_at)

    async def count_due_of(self, user_ids: Sequence[int], now: datetime) -> dict[int, int]:
        rows = await self.conn.execute(
            select(_card.c.user_id, func.count())
            .where(_card.c.user_id.in_(list(user_ids)), _card.c.due_at <= now)
            .group_by(_card.c.user_id)
        )
        return {user_id: int(count) for user_id, count in rows}

    async def next_due(self, user_id: int) -> datetime | None:
        result = await self.conn.execute(select(func.min(_card.c.due_at)).where(_card.c.user_id == user_id))
        value = result.scalar_one()
        return value if isinstance(value, datetime) else None

    async def reviews_due(self, user_id: int, now: datetime) -> ReviewsDue:
        """Cards due now and the next one to come, in one pass over ix_card_user_due."""
        due = _card.c.due_at <= now
        row = (
            await self.conn.execute(
                select(
                    func.count(case((due, 1))).label("due_now"),
                    type_coerce(func.min(case((~due, _card.c.due_at))), UtcDateTime()).label("next_at"),
                ).where(_card.c.user_id == user_id)
            )
        ).one()
        return ReviewsDue(int(row.due_now), row.next_at)


class ReviewLogRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(
        self, user_id: int, question_id: str, answer_id: int | None, rating: int, at: datetime, log_json: str
    ) -> None:
        await self.conn.execute(
            insert(_review_log).values(
                user_id=user_id,
                question_id=question_id,
                answer_id=answer_id,
                rating=rating,
                reviewed_at=at,
                log_json=log_json,
            )
        )


def _upsert_delivery(dialect: str) -> Any:
    """INSERT of a delivery that takes over the day of a daily prompt refused as BLOCKED (and
    nothing else: the unique index keeps one daily prompt per user and local day)."""
    insert_: Any = BACKENDS[dialect].insert(_delivery)
    excluded = insert_.excluded
    return insert_.on_conflict_do_update(
        index_elements=["user_id", "local_date"],
        # Literal, as in the partial index: SQLite matches the two by their text.
        index_where=text("kind = 'daily'"),
        set_={
            "due_at": excluded.due_at,
            "status": excluded.status,
            "attempts": 0,
            "question_id": excluded.question_id,
            "claimed_at": None,
            "sent_at": None,
            "reason": None,
            "message_id": None,
        },
        where=_delivery.c.status == DeliveryStatus.BLOCKED,
    )


_FINISH_SENT = (
    update(_delivery)
    .where(_delivery.c.id == bindparam("did"))
    .values(
        status=DeliveryStatus.SENT,
        sent_at=bindparam("sent_at"),
        question_id=bindparam("qid"),
        reason=bindparam("why"),
        message_id=bindparam("mid"),
    )
)


class DeliveryRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(
        self,
        user_id: int,
        kind: DeliveryKind,
        local_date: date,
        due_at: datetime,
        status: DeliveryStatus,
        question_id: str | None = None,
    ) -> bool:
        """Record a delivery; False when a daily prompt for that user and day already exists.

        A daily prompt refused because the user had blocked the bot never reached them: it does
        not hold the day, so a user who comes back and picks a later time that day gets one."""
        values = dict(
            user_id=user_id,
            kind=kind,
            local_date=local_date,
            due_at=due_at,
            status=status,
            attempts=0,
            question_id=question_id,
        )
        dialect = self.conn.dialect.name
        if dialect not in ("sqlite", "postgresql"):  # pragma: no cover - the two supported backends
            result = await self.conn.execute(insert(_delivery).values(**values))
            return result.rowcount == 1
        stmt = _upsert_delivery(dialect).values(**values)
        result = await self.conn.execute(stmt)
        return result.rowcount == 1

    async def holds_day(self, user_id: int, local_date: date) -> bool:
        """Whether a daily prompt already holds the user's local day (one refused as BLOCKED,
        which `add` may replace, does not)."""
        row = (
            await self.conn.execute(
                select(_delivery.c.id).where(
                    _delivery.c.user_id == user_id,
                    _delivery.c.local_date == local_date,
                    _delivery.c.kind == DeliveryKind.DAILY,
                    _delivery.c.status != DeliveryStatus.BLOCKED,
                )
            )
        ).first()
        return row is not None

    async def recover_stale(self, claimed_before: datetime) -> int:
        """Deliveries left 'sending' by a process that died: make them claimable again."""
        result = await self.conn.execute(
            update(_delivery)
            .where(_delivery.c.status == DeliveryStatus.SENDING, _delivery.c.claimed_at < claimed_before)
            .values(status=DeliveryStatus.PENDING)
        )
        return result.rowcount

    async def renew(self, delivery_ids: Sequence[int], now: datetime) -> None:
        """A live process is still sending these: move their claims' lease forward."""
        await self.conn.execute(
            update(_delivery)
            .where(_delivery.c.id.in_(delivery_ids), _delivery.c.status == DeliveryStatus.SENDING)
            .values(claimed_at=now)
        )

    async def claim(self, now: datetime, limit: int) -> list[DeliveryRecord]:
        """Atomically take up to `limit` pending deliveries that are due."""
        due = (
            select(_delivery.c.id)
            .where(_delivery.c.status == DeliveryStatus.PENDING, _delivery.c.due_at <= now)
            .order_by(_delivery.c.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        result = await self.conn.execute(
            update(_delivery)
            .where(_delivery.c.id.in_(due.scalar_subquery()))
            .values(status=DeliveryStatus.SENDING, claimed_at=now, attempts=_delivery.c.attempts + 1)
            .returning(*_delivery.c)
        )
        return [_delivery_record(r) for r in result]

    async def finish(
        self,
        delivery_id: int,
        status: DeliveryStatus,
        *,
        sent_at: datetime | None = None,
        question_id: str | None = None,
        reason: PickReason | None = None,
        message_id: int | None = None,
        due_at: datetime | None = None,
        attempts: int | None = None,
    ) -> None:
        values: dict[str, Any] = {"status": status}
        for key, value in (
            ("sent_at", sent_at),
            ("question_id", question_id),
            ("reason", reason),
            ("message_id", message_id),
            ("due_at", due_at),
            ("attempts", attempts),
        ):
            if value is not None:
                values[key] = value
        await self.conn.execute(update(_delivery).where(_delivery.c.id == delivery_id).values(**values))

    async def cancel_pending(self, user_id: int, kinds: Sequence[DeliveryKind]) -> None:
        await self.conn.execute(
            delete(_delivery).where(
                _delivery.c.user_id == user_id,
                _delivery.c.status == DeliveryStatus.PENDING,
                _delivery.c.kind.in_(kinds),
            )
        )

    async def add_many(
        self, rows: Sequence[tuple[int, DeliveryKind, date, datetime, DeliveryStatus]]
    ) -> set[tuple[int, date]]:
        """add() for many (user_id, kind, local_date, due_at, status) in one statement; the
        (user_id, local_date) of those recorded."""
        if not rows:
            return set()
        dialect = self.conn.dialect.name
        if dialect not in ("sqlite", "postgresql"):  # pragma: no cover - the two supported backends
            return {(u, d) for u, k, d, due, st in rows if await self.add(u, k, d, due, st)}
        result = await self.conn.execute(
            _upsert_delivery(dialect).returning(_delivery.c.user_id, _delivery.c.local_date),
            [
                dict(user_id=u, kind=k, local_date=d, due_at=due, status=st, attempts=0, question_id=None)
                for u, k, d, due, st in rows
            ],
        )
        return {(r.user_id, r.local_date) for r in result}

    async def finish_sent_many(
        self, sent: Sequence[tuple[int, datetime, str, PickReason, int | None]]
    ) -> None:
        """finish(id, SENT, sent_at=, question_id=, reason=, message_id=) for many deliveries."""
        if sent:
            await self.conn.execute(
                _FINISH_SENT,
                [
                    {"did": d, "sent_at": at, "qid": q, "why": reason, "mid": mid}
                    for d, at, q, reason, mid in sent
                ],
            )

    async def reviews_pushed_of(self, since: dict[int, datetime]) -> dict[int, int]:
        """Reviews sent to each user since their own `since` (the start of their local day)."""
        rows = await self.conn.execute(
            select(_delivery.c.user_id, _delivery.c.sent_at).where(
                _delivery.c.user_id.in_(list(since)),
                _delivery.c.reason == PickReason.REVIEW,
                _delivery.c.status == DeliveryStatus.SENT,
                _delivery.c.sent_at >= min(since.values()),
            )
        )
        counts: dict[int, int] = {}
        for user_id, sent_at in rows:
            if sent_at >= since[user_id]:
                counts[user_id] = counts.get(user_id, 0) + 1
        return counts
