"""Updates of different chats run side by side; each chat's run one at a time, in order.

PTB handles one update at a time by default, so one slow or rate-limited user held up everyone.
`PerChatUpdates` runs each update as soon as its chat has nothing running, with at most
`max_running` handlers at once. An update waiting for its own chat takes no slot, so a user who
floods the bot queues behind themselves only.

On shutdown `stop()` stops taking updates, lets running handlers finish for a grace period,
then cancels them and whatever still waits, and logs how many there were: their messages are
confirmed to Telegram already, so they are not delivered again.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot import metrics

log = logging.getLogger(__name__)

# BaseUpdateProcessor's own semaphore is taken before do_process_update, so an update waiting
# there would hold a slot while it waits for its chat: make it a generous bound on updates in
# memory, and bound the handlers that actually run with our own semaphore.
_QUEUED_LIMIT = 10_000


def update_key(update: object) -> int | None:
    """The chat an update belongs to (a private chat's id is its user's), else its user."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user is not None else None


class _Turn:
    """The updates of one chat, waiting or running; they go in arrival order."""

    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()  # FIFO: waiters are woken in the order they came
        self.users = 0


class PerChatUpdates(BaseUpdateProcessor):
    def __init__(
        self, max_running: int = 32, on_handled: Callable[[int], Awaitable[None]] | None = None
    ) -> None:
        super().__init__(_QUEUED_LIMIT)
        # Told each update handled to the end (not cancelled): the inbox forgets it then.
        self._on_handled = on_handled
        self._running = asyncio.Semaphore(max_running)
        self._turns: dict[int | None, _Turn] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._active: set[asyncio.Task[Any]] = set()
        self._stopping = False

    async def initialize(self) -> None:
        self._stopping = False

    async def shutdown(self) -> None:
        await self.stop(grace=0)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if self._stopping:
            _close(coroutine)
            return
        key = update_key(update)
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        turn = self._turns.setdefault(key, _Turn())
        turn.users += 1
        try:
            if key is None:  # nothing to order it by
                await self._run(task, update, coroutine)
            else:
                async with turn.lock:
                    await self._run(task, update, coroutine)
        finally:
            _close(coroutine)
            self._tasks.discard(task)
            turn.users -= 1
            if turn.users == 0 and self._turns.get(key) is turn:
                del self._turns[key]

    async def _run(self, task: asyncio.Task[Any], update: object, coroutine: Awaitable[Any]) -> None:
        """Run the handler unless a stop came first; once it has run to its end (errors
        included: PTB's error handler has answered them), the update is marked handled, within
        the stop's grace period like the handler itself."""
        try:
            async with self._running:
                if self._stopping:
                    return
                self._active.add(task)
                started = time.monotonic()
                await coroutine
                metrics.update_handled(time.monotonic() - started)
            # Outside the handler's slot (still in the chat's turn): a database that does not
            # answer delays only this chat's next update, never the other chats' handlers.
            if self._on_handled is not None and isinstance(update, Update):
                await self._on_handled(update.update_id)
        finally:
            self._active.discard(task)

    async def stop(self, grace: float) -> None:
        """Take no more updates; give running handlers `grace` seconds, then cancel the rest."""
        self._stopping = True
        waiting = len(self._tasks) - len(self._active)
        if self._active and grace > 0:
            await asyncio.wait(set(self._active), timeout=grace)
        cancelled = len(self._active)
        for task in set(self._tasks):
            task.cancel()
        if cancelled or waiting:
            log.warning(
                "shutting down: %d update(s) cancelled while being handled, %d not started",
                cancelled,
                waiting,
            )


def _close(coroutine: Awaitable[Any]) -> None:
    """Close a handler coroutine that never ran, so Python does not warn it was never awaited."""
    close = getattr(coroutine, "close", None)
    if close is not None and getattr(coroutine, "cr_frame", True) is not None:
        close()
