"""Pacing per chat: a 429 for one chat holds back that chat alone.

python-telegram-bot's `AIORateLimiter` pauses every request after any 429, so one user who
floods the bot (Telegram allows about a message a second per chat) froze everyone's replies.
`ChatPacer` keeps a "not before" time per chat instead, taken from each 429's retry_after:

- a request for a chat inside its window waits out a short remainder (`max_inline_wait`), or
  fails at once with `RetryAfter` without reaching Telegram, so no task sleeps for long;
- the global budget (about 30 messages a second, 20 a minute per group) is applied only to
  requests that are free to go, so a waiting chat takes nothing from the others;
- `later()` queues a message for a limited chat, sent in order when its window ends by one
  task per chat; `shutdown()` cancels those tasks and logs what was left unsent.
"""

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.logs import chat_ref

log = logging.getLogger(__name__)

Key = int | str | None  # a chat id (int, or "@username"), None for requests without a chat
Send = Callable[[], Awaitable[object]]


def retry_seconds(exc: RetryAfter) -> float:
    """retry_after in seconds, whether PTB gives it as an int or a timedelta."""
    value = exc.retry_after
    return float(value) if isinstance(value, int | float) else value.total_seconds()


def _key(data: dict[str, Any]) -> Key:
    chat_id = data.get("chat_id")
    if chat_id is None:
        return None
    with contextlib.suppress(ValueError, TypeError):
        return int(chat_id)
    return str(chat_id)


@dataclass(slots=True)
class _Queue:
    items: deque[tuple[Send, str]] = field(default_factory=deque)
    task: asyncio.Task[None] | None = None


class ChatPacer(BaseRateLimiter[int]):
    """A rate limiter with a window per chat; see the module docstring.

    `max_retries` is how many times a request whose chat got a 429 is tried again in place
    (only when the wait is at most `max_inline_wait` seconds); `max_queued` caps the messages
    one chat may have waiting in `later()` (a flood beyond it is dropped and logged).
    """

    def __init__(
        self,
        *,
        overall_max_rate: float = 30,
        overall_time_period: float = 1,
        group_max_rate: float = 20,
        group_time_period: float = 60,
        max_retries: int = 3,
        max_inline_wait: float = 1.5,
        max_queued: int = 30,
    ) -> None:
        self._overall = (
            AsyncLimiter(overall_max_rate, overall_time_period)
            if overall_max_rate and overall_time_period
            else None
        )
        self._group_rate = (group_max_rate, group_time_period)
        self._groups: dict[Key, AsyncLimiter] = {}
        self._max_retries = max_retries
        self.max_inline_wait = max_inline_wait
        self._max_queued = max_queued
        self._not_before: dict[Key, float] = {}
        self._queues: dict[Key, _Queue] = {}
        self._closed = False

    # --- windows ----------------------------------------------------------------------------

    def wait_left(self, key: Key) -> float:
        """Seconds until requests for this chat may go out again (0 when free)."""
        until = self._not_before.get(key)
        if until is None:
            return 0.0
        left = until - time.monotonic()
        if left <= 0:
            del self._not_before[key]
            return 0.0
        return left

    def limit(self, key: Key, seconds: float) -> None:
        """Hold requests for this chat back for `seconds` (a 429's retry_after, plus a margin)."""
        until = time.monotonic() + seconds + 0.1
        self._not_before[key] = max(until, self._not_before.get(key, 0.0))
        if len(self._not_before) > 4096:  # forget windows that ended long ago
            now = time.monotonic()
            for k in [k for k, t in self._not_before.items() if t <= now]:
                del self._not_before[k]

    # --- BaseRateLimiter --------------------------------------------------------------------

    async def initialize(self) -> None:
        self._closed = False

    async def shutdown(self) -> None:
        """Cancel the queued messages' tasks; what they had not sent is logged per chat."""
        self._closed = True
        queues, self._queues = self._queues, {}
        tasks = [q.task for q in queues.values() if q.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for key, queue in queues.items():
            if queue.items:
                log.warning(
                    "shut down with %d message(s) to %s still waiting out flood control; not sent",
                    len(queue.items),
                    chat_ref(key),
                )

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        key = _key(data)
        retries = self._max_retries if rate_limit_args is None else rate_limit_args
        for attempt in range(retries + 1):
            wait = self.wait_left(key)
            if wait > self.max_inline_wait:
                # Telegram would refuse it anyway: fail now, and let the caller queue or retry.
                raise RetryAfter(timedelta(seconds=wait))
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                async with self._budget(key):
                    return await callback(*args, **kwargs)
            except RetryAfter as exc:
                self.limit(key, retry_seconds(exc))
                log.info(
                    "flood control for %s on %s: retry after %.0fs",
                    chat_ref(key),
                    endpoint,
                    retry_seconds(exc),
                )
                if attempt == retries:
                    raise
        raise AssertionError("unreachable")  # the loop returns or raises

    @contextlib.asynccontextmanager
    async def _budget(self, key: Key) -> AsyncIterator[None]:
        """The global budget: 30/s for requests with a chat, 20/min per group (private chats
        have positive ids, groups negative ones or an "@username")."""
        rate, period = self._group_rate
        if rate and period and ((isinstance(key, int) and key < 0) or isinstance(key, str)):
            limiter = self._groups.get(key)
            if limiter is None:
                if len(self._groups) > 512:  # drop idle groups' limiters
                    for k, idle in list(self._groups.items()):
                        if idle.has_capacity(idle.max_rate):
                            del self._groups[k]
                limiter = self._groups[key] = AsyncLimiter(rate, period)
            await limiter.acquire()
        if key is not None and self._overall is not None:
            await self._overall.acquire()
        yield

    # --- messages for later -----------------------------------------------------------------

    def queued(self, key: Key) -> int:
        """Messages waiting in `later()` for this chat (new ones must queue behind them)."""
        queue = self._queues.get(key)
        return len(queue.items) if queue else 0

    def later(self, key: Key, send: Send, what: str = "message") -> bool:
        """Run `send` once this chat's window has ended, after the ones queued before it.

        `send` raises RetryAfter if the chat got another 429 (it is then tried again after the
        new window); anything else it raises is logged and the message dropped. Returns False
        when the chat already has `max_queued` messages waiting, or the pacer is shut down.
        """
        if self._closed:
            log.warning("%s to %s not sent: shutting down", what, chat_ref(key))
            return False
        queue = self._queues.setdefault(key, _Queue())
        if len(queue.items) >= self._max_queued:
            log.warning(
                "%s to %s dropped: %d already wait out flood control", what, chat_ref(key), self._max_queued
            )
            return False
        queue.items.append((send, what))
        if queue.task is None or queue.task.done():
            queue.task = asyncio.create_task(self._drain(key, queue), name=f"pacing:{chat_ref(key)}")
        return True

    async def _drain(self, key: Key, queue: _Queue) -> None:
        while queue.items:
            await asyncio.sleep(self.wait_left(key))
            send, what = queue.items[0]
            try:
                await send()
            except RetryAfter as exc:
                self.limit(key, retry_seconds(exc))
                continue
            except Exception:
                log.exception("%s to %s failed after waiting out flood control", what, chat_ref(key))
            queue.items.popleft()
        if self._queues.get(key) is queue:
            del self._queues[key]
