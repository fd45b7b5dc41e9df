"""Nothing a user sent is lost in a crash: updates are recorded before they are confirmed.

A front end that receives updates in batches and confirms them later (Telegram's long polling
confirms a batch with the next getUpdates call, before the bot may have handled it) records
each batch here first, handles what is new, and marks each update handled. After a crash,
`pending()` returns what was recorded and never handled, to be handled then.

Marks are written right after the handler, in one statement for every update that finished in
the same turn of the event loop. A crash between a handler's end and its mark means that update
is handled again after the restart; the answer path recognises a message it has stored already
(so an answer is never stored twice). Nothing is ever lost.
"""

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta

from bot.core.clock import Clock
from storage.db import Database

log = logging.getLogger(__name__)

# How long a handled update's id is kept to recognise a redelivered copy.
KEEP_HANDLED = timedelta(days=2)
# Zero: write the marks as soon as the loop is free (updates finishing together share one write).
FLUSH_SECONDS = 0.0
REPLAY_LIMIT = 10_000


class Inbox:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._handled: list[int] = []
        self._flusher: asyncio.Task[None] | None = None

    async def record(self, updates: Sequence[tuple[int, str]]) -> set[int]:
        """Store (update id, payload) pairs; returns the ids not seen before."""
        async with self.db.unit() as uow:
            return await uow.inbox.record(updates, self.clock())

    def handled(self, update_id: int) -> None:
        """Mark an update handled, soon (one statement for everything handled meanwhile)."""
        self._handled.append(update_id)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        await asyncio.sleep(FLUSH_SECONDS)
        await self.flush()

    async def flush(self) -> None:
        while self._handled:
            batch, self._handled = self._handled, []
            try:
                async with self.db.unit() as uow:
                    await uow.inbox.handled(batch, self.clock())
            except Exception:  # handled again after a restart at worst; never lost
                log.warning("could not mark %d update(s) handled", len(batch), exc_info=True)
                return

    async def pending(self) -> list[tuple[int, str]]:
        """What was recorded and never handled, oldest first; old handled ids are forgotten."""
        async with self.db.unit() as uow:
            await uow.inbox.forget_handled(self.clock() - KEEP_HANDLED)
            return await uow.inbox.pending(REPLAY_LIMIT)

    async def close(self) -> None:
        if self._flusher is not None and not self._flusher.done():
            self._flusher.cancel()
        await self.flush()
