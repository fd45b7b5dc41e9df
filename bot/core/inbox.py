"""Nothing a user sent is lost in a crash: updates are recorded before they are confirmed.

A front end that receives updates in batches and confirms them later (Telegram's long polling
confirms a batch with the next getUpdates call, before the bot may have handled it) records
each batch here first, handles what is new, and marks each update handled. After a crash,
`pending()` returns what was recorded and never handled, to be handled then.

The mark is written right after the handler, in the update's own task (no task is left behind
at shutdown). A crash between a handler's end and its mark means that update is handled again
after the restart; the answer path recognises a message it has stored already (so an answer is
never stored twice). Nothing is ever lost.
"""

import logging
from collections.abc import Sequence
from datetime import timedelta

from bot.core.clock import Clock
from storage.db import Database

log = logging.getLogger(__name__)

# How long a handled update's id is kept to recognise a redelivered copy.
KEEP_HANDLED = timedelta(days=2)
REPLAY_LIMIT = 10_000


class Inbox:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def record(self, updates: Sequence[tuple[int, str]]) -> set[int]:
        """Store (update id, payload) pairs; returns the ids not seen before."""
        async with self.db.unit() as uow:
            return await uow.inbox.record(updates, self.clock())

    async def handled(self, update_id: int) -> None:
        """Mark an update handled (its text is dropped); a failure is logged, never raised: the
        update is handled again after a restart at worst, never lost."""
        try:
            async with self.db.unit() as uow:
                await uow.inbox.handled([update_id], self.clock())
        except Exception:
            log.warning("could not mark update %d handled", update_id, exc_info=True)

    async def pending(self) -> list[tuple[int, str]]:
        """What was recorded and never handled, oldest first; old handled ids are forgotten."""
        async with self.db.unit() as uow:
            await uow.inbox.forget_handled(self.clock() - KEEP_HANDLED)
            return await uow.inbox.pending(REPLAY_LIMIT)
