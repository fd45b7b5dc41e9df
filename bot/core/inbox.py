"""Nothing a user sent is lost in a crash: updates are recorded before they are confirmed.

A front end that receives updates in batches and confirms them later (Telegram's long polling
confirms a batch with the next getUpdates call, before the bot may have handled it) records
each batch here first, handles what is new, and marks each update handled. After a crash,
`pending()` returns what was recorded and never handled, to be handled then.

Marks are written together: with the next batch's recording (the same transaction, so a busy
bot pays nothing extra for them) or `MARK_DELAY` after the first unwritten one, whichever comes
first, and at `close()`. A crash before a mark is written means that update is handled again
after the restart; the answer path recognises a message it has stored already (so an answer is
never stored twice). Nothing is ever lost.
"""

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import timedelta

from bot.core.clock import Clock
from storage.db import Database

log = logging.getLogger(__name__)

# How long a handled update's id is kept to recognise a redelivered copy.
KEEP_HANDLED = timedelta(days=2)
REPLAY_LIMIT = 10_000
# How long a handled update may wait for its mark when no new batch comes to carry it.
MARK_DELAY = 1.0


class Inbox:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._marks: list[int] = []  # handled, not yet written
        self._writer: asyncio.Task[None] | None = None
        self._closing = asyncio.Event()

    async def record(self, updates: Sequence[tuple[int, str]]) -> set[int]:
        """Store (update id, payload) pairs; returns the ids not seen before. The marks of
        updates handled since the last write go in the same transaction."""
        marks, self._marks = self._marks, []
        try:
            async with self.db.unit() as uow:
                fresh = await uow.inbox.record(updates, self.clock())
                if marks:
                    await uow.inbox.handled(marks, self.clock())
                return fresh
        except BaseException:
            self._marks[:0] = marks  # rolled back: written with the next batch, or later
            raise

    async def handled(self, update_id: int) -> None:
        """Note an update handled (its text is dropped when the mark is written). Never waits
        for the database: a failed write is logged, and the update is handled again after a
        restart at worst, never lost."""
        self._marks.append(update_id)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write_soon())

    async def close(self) -> None:
        """Write every mark still waiting. Never cancels a write: a cancel in the middle of a
        statement can leave aiosqlite's connection closing for ever."""
        self._closing.set()
        if self._writer is not None:
            await self._writer
        await self._write()

    async def _write_soon(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), MARK_DELAY)
        await self._write()

    async def _write(self) -> None:
        marks, self._marks = self._marks, []
        if not marks:
            return
        try:
            async with self.db.unit() as uow:
                await uow.inbox.handled(marks, self.clock())
        except Exception:
            log.warning("could not mark %d update(s) handled", len(marks), exc_info=True)

    async def pending(self) -> list[tuple[int, str]]:
        """What was recorded and never handled, oldest first; old handled ids are forgotten."""
        async with self.db.unit() as uow:
            await uow.inbox.forget_handled(self.clock() - KEEP_HANDLED)
            return await uow.inbox.pending(REPLAY_LIMIT)
