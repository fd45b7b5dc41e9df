"""Long polling without losing updates in a crash (see bot/core/inbox.py).

PTB confirms a batch of updates to Telegram with its next getUpdates call, which it makes as
soon as the batch is queued, not once it is handled. `InboxRequest` wraps the getUpdates HTTP
client: every batch is recorded in the database before PTB sees it, so before it can be
confirmed (if the database cannot record them, they are handled unprotected, and the handlers
tell users what was not saved). A database that does not answer within `RECORD_WAIT` is
treated the same way: the polling loop serves every user, so it must not wait out the
database's own timeouts (a hung server costs 10 s or more per batch) before anyone, even a
user asking for /help, hears back. A copy
Telegram sends again (it was recorded, but the process died before confirming it) reaches PTB
as a bare update id, which no handler takes: the offset still moves past it.

By webhook, `InboxQueue` records each update before PTB's webhook server answers Telegram 200
(it awaits the queue's `put` first), so an update Telegram counts as delivered is in the inbox
(within the same `RECORD_WAIT`; past it, handled unprotected as above).

`replay_pending` queues what a previous process recorded and never handled, before updates come.
"""

import asyncio
import json
import logging
from typing import Any

from telegram import Update
from telegram.ext import Application
from telegram.request import BaseRequest

from bot.core.inbox import Inbox
from bot.tg.requests import Send, WrappedRequest

log = logging.getLogger(__name__)

# How long updates wait to be recorded before they are handled unprotected. A healthy database
# records a batch in milliseconds.
RECORD_WAIT = 2.0
# How long a stop waits for recordings given up on to finish rolling back.
CLOSE_WAIT = 3.0


class BoundedRecorder:
    """Records updates in the inbox, waiting at most `RECORD_WAIT`. `None` means not recorded
    (the database failed, or did not answer in time): the caller handles them unprotected."""

    def __init__(self, inbox: Inbox) -> None:
        self._inbox = inbox
        # Recordings given up on and cancelled, still rolling back against a slow database.
        self._abandoned: set[asyncio.Task[set[int]]] = set()

    async def record(self, batch: list[tuple[int, str]]) -> set[int] | None:
        """The ids in `batch` not seen before, or None."""
        if self._abandoned:
            # The last recording is still stuck: the database is in trouble, do not wait again.
            log.warning("not recording %d update(s): the database is not answering", len(batch))
            return None
        recording = asyncio.ensure_future(self._inbox.record(batch))
        try:
            return await asyncio.wait_for(asyncio.shield(recording), RECORD_WAIT)
        except TimeoutError:
            # Cancelled, so the transaction rolls back rather than marking updates that are
            # handled now as pending later; it may take the database's timeouts to end.
            recording.cancel()
            self._abandoned.add(recording)
            recording.add_done_callback(self._forget)
            log.warning("could not record %d update(s) in the inbox within %.0f s", len(batch), RECORD_WAIT)
            return None
        except asyncio.CancelledError:  # our caller stopped: leave nothing running
            recording.cancel()
            raise
        except Exception as exc:
            # The database is in trouble: handle them anyway, unprotected, so users hear at once
            # that an answer was not saved (and /help still works) rather than nothing at all.
            log.warning("could not record %d update(s) in the inbox: %s", len(batch), exc)
            return None

    async def close(self) -> None:
        """Give recordings still rolling back a moment to end. They were cancelled once already:
        a second cancel would stop aiosqlite's thread under SQLAlchemy's close of the connection,
        leaving that close waiting for ever."""
        if self._abandoned:
            await asyncio.wait(set(self._abandoned), timeout=CLOSE_WAIT)

    def _forget(self, task: asyncio.Task[set[int]]) -> None:
        self._abandoned.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: it was logged when the batch was given up on


class InboxRequest(WrappedRequest):
    def __init__(self, inner: BaseRequest, inbox: Inbox) -> None:
        super().__init__(inner)
        self._recorder = BoundedRecorder(inbox)

    async def shutdown(self) -> None:
        await self._recorder.close()
        await super().shutdown()

    async def call(self, url: str, send: Send) -> tuple[int, bytes]:
        code, payload = await send()
        if code != 200 or not url.endswith("/getUpdates"):
            return code, payload
        return code, await self._record(payload)

    async def _record(self, payload: bytes) -> bytes:
        try:
            answer = json.loads(payload)
        except ValueError:
            return payload  # PTB reports a malformed answer itself
        updates = answer.get("result") if isinstance(answer, dict) and answer.get("ok") else None
        if not isinstance(updates, list) or not updates:
            return payload
        batch = [
            (u["update_id"], json.dumps(u, ensure_ascii=False))
            for u in updates
            if isinstance(u, dict) and isinstance(u.get("update_id"), int)
        ]
        fresh = await self._recorder.record(batch)
        if fresh is None or len(fresh) == len(updates):
            return payload
        answer["result"] = [
            u if not isinstance(u, dict) or u.get("update_id") in fresh else {"update_id": u.get("update_id")}
            for u in updates
        ]
        return json.dumps(answer).encode()


class InboxQueue(asyncio.Queue[object]):
    """The Application's update queue; after `record_first()` (webhook mode) every update is
    recorded in the inbox before `put` returns. Long polling leaves it off: InboxRequest records
    whole batches there, and a second record would take each update for a copy."""

    def __init__(self, inbox: Inbox) -> None:
        super().__init__()
        self._recorder = BoundedRecorder(inbox)
        self._recording = False

    def record_first(self) -> None:
        self._recording = True

    async def put(self, item: object) -> None:
        if self._recording and isinstance(item, Update):
            payload = json.dumps(item.to_dict(), ensure_ascii=False)
            # As for a batch by polling: if not recorded, handled unprotected, so the user hears
            # what was not saved.
            fresh = await self._recorder.record([(item.update_id, payload)])
            if fresh is not None and item.update_id not in fresh:
                # A copy Telegram sent again: the first was handled, or waits for its replay.
                return
        await super().put(item)


async def replay_pending(app: Application[Any, Any, Any, Any, Any, Any], inbox: Inbox) -> int:
    """Queue the updates recorded by an earlier process and never handled; returns how many."""
    pending = await inbox.pending()
    for update_id, payload in pending:
        try:
            update = Update.de_json(json.loads(payload), app.bot)
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("update %d in the inbox cannot be read, dropped: %s", update_id, exc)
            await inbox.handled(update_id)
            continue
        await app.update_queue.put(update)
    if pending:
        log.info("handling %d update(s) received before a restart and never handled", len(pending))
    return len(pending)
