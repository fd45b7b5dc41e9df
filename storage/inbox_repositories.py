"""The inbox of received updates: record before confirming, mark when handled, replay the rest."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import InboxUpdate
from storage.statements import insert_or_skip

_inbox: Table = InboxUpdate.__table__  # type: ignore[assignment]
_RECORD = insert_or_skip(_inbox, ["update_id"], _inbox.c.update_id)

# One statement for every update, built once (an IN list would be rendered anew each time).
_HANDLED = (
    update(_inbox)
    .where(_inbox.c.update_id == bindparam("b_update_id"), _inbox.c.handled_at.is_(None))
    .values(handled_at=bindparam("b_now"), payload=None)
)


class InboxRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def record(self, updates: Sequence[tuple[int, str]], now: datetime) -> set[int]:
        """Store updates not seen before; returns the ids that are new (a redelivered copy of
        one recorded already, handled or not, is left out)."""
        if not updates:
            return set()
        # One statement, the same for every batch (so compiled once): the rows it inserted are
        # the new ones; a copy conflicts and is skipped.
        stmt = _RECORD[self.conn.dialect.name]
        rows = [{"update_id": i, "payload": p, "received_at": now, "handled_at": None} for i, p in updates]
        return set((await self.conn.execute(stmt, rows)).scalars())

    async def handled(self, update_ids: Sequence[int], now: datetime) -> None:
        """Handled: drop the payload (it holds what the user wrote), keep the id a while."""
        await self.conn.execute(_HANDLED, [{"b_update_id": i, "b_now": now} for i in update_ids])

    async def pending(self, limit: int) -> list[tuple[int, str]]:
        """Recorded and never handled (the process died first), oldest first."""
        rows = await self.conn.execute(
            select(_inbox.c.update_id, _inbox.c.payload)
            .where(_inbox.c.handled_at.is_(None), _inbox.c.payload.is_not(None))
            .order_by(_inbox.c.update_id)
            .limit(limit)
        )
        return [(int(i), str(p)) for i, p in rows]

    async def forget_handled(self, before: datetime) -> int:
        """Telegram redelivers an unconfirmed update within hours at most: older ids can go."""
        result = await self.conn.execute(delete(_inbox).where(_inbox.c.handled_at < before))
        return result.rowcount
