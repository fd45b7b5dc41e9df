"""The fake Bot API server: Telegram's state, long polling, and one handler per method."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import re
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Any, Literal
from urllib.parse import quote

from aiohttp import web

from tests.fake_telegram.limits import (
    DEFAULT_DESCRIPTIONS,
    ERR_BLOCKED,
    ERR_CANT_EDIT,
    ERR_CAPTION_TOO_LONG,
    ERR_CHAT_ID_EMPTY,
    ERR_CHAT_NOT_FOUND,
    ERR_DELETE_NOT_FOUND,
    ERR_EDIT_NOT_FOUND,
    ERR_KICKED_GROUP,
    ERR_KICKED_SUPERGROUP,
    ERR_METHOD_NOT_FOUND,
    ERR_NO_TEXT_TO_EDIT,
    ERR_NOT_MODIFIED,
    ERR_PARSE,
    ERR_QUERY_INVALID,
    ERR_TEXT_EMPTY,
    ERR_TEXT_TOO_LONG,
    ERR_TOO_LARGE,
    ERR_UNAUTHORIZED,
    MAX_CAPTION_LENGTH,
    MAX_GET_FILE_BYTES,
    MAX_TEXT_LENGTH,
    MAX_UPLOAD_BYTES,
    ApiError,
)
from tests.fake_telegram.params import (
    check_markup,
    json_response,
    opt_float,
    opt_int,
    opt_str,
    read_params,
)
from tests.fake_telegram.records import (
    Call,
    CallbackAnswer,
    FakeUser,
    JSONDict,
    SentMessage,
    UploadedFile,
)
from tests.fake_telegram.telegram_html import HtmlParseError, parse_html, utf16_len
from tests.fake_telegram.webhook import (
    ERR_WEBHOOK_ACTIVE,
    WebhookDelivery,
    WebhookSettings,
    WebhookState,
    post_update,
)

_CHAT_ACTIONS = frozenset(
    [
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    ]
)
# Update types Telegram sends when allowed_updates is empty or was never set.
_NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


@dataclass(slots=True)
class _Failure:
    status: int
    description: str
    retry_after: int | None
    html: bool = False  # an HTML page echoing the URL, as a proxy answers, instead of Telegram's JSON


@dataclass(slots=True)
class _Gate:
    """Held requests wait on ``opened``; ``deliver`` says whether they are then served or dropped."""

    opened: asyncio.Event = field(default_factory=asyncio.Event)
    deliver: bool = True


@dataclass(slots=True)
class _StoredFile:
    file_id: str
    file_unique_id: str
    path: str
    content: bytes
    # The size Telegram says the file has, when a test claims one larger than the content.
    claimed_size: int | None = None

    @property
    def size(self) -> int:
        return self.claimed_size if self.claimed_size is not None else len(self.content)


_METHODS = tuple(
    [
        "getMe",
        "getUpdates",
        "deleteWebhook",
        "getWebhookInfo",
        "setWebhook",
        "setMyCommands",
        "getMyCommands",
        "deleteMyCommands",
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "answerCallbackQuery",
        "sendChatAction",
        "sendDocument",
        "sendPhoto",
        "deleteMessage",
        "leaveChat",
        "getFile",
        "close",
        "logOut",
    ]
)
_CANONICAL = {name.lower(): name for name in _METHODS}
_FLOODABLE = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "sendChatAction",
        "editMessageText",
        "editMessageReplyMarkup",
    }
)
_SERVED = frozenset(_METHODS)
_FIRST_UPDATE_ID = 100_000


class FakeTelegram:
    """A fake Telegram Bot API server on 127.0.0.1 for the real PTB ``Application``.

    Attributes worth knowing: ``calls`` (every request, in answer order), ``callback_answers``,
    ``strict_html_entities`` (see the module docstring), ``max_upload_bytes`` (50 MB, like
    Telegram; lower it to test the 413 path cheaply) and ``message_listeners`` (callables run
    synchronously with each message the bot sends, as it is stored; benchmarks use them to wake
    one waiting user instead of rechecking every chat on every call).
    """

    def __init__(
        self, token: str = "123456:TEST-TOKEN-not-real", bot_username: str = "interview_test_bot"
    ) -> None:
        self._token = token
        self.bot_username = bot_username
        bot_id = token.split(":", 1)[0]
        self.bot_id = int(bot_id) if bot_id.isdigit() else 123456
        self.bot_user: JSONDict = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Interview Test Bot",
            "username": bot_username,
        }
        self.strict_html_entities = True
        self.max_upload_bytes = MAX_UPLOAD_BYTES

        self.calls: list[Call] = []
        self.message_listeners: list[Callable[[SentMessage], None]] = []
        self.callback_answers: list[CallbackAnswer] = []

        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._closing = False

        self._chats: dict[int, JSONDict] = {}
        self._blocked: set[int] = set()
        self.left_chats: set[int] = set()  # groups the bot left (leaveChat); sending there fails
        self._next_message_id: dict[int, int] = {}
        self._messages: dict[int, dict[int, SentMessage]] = {}
        self._incoming: dict[tuple[int, int], JSONDict] = {}
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._open_queries: set[str] = set()
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._failures: dict[str, deque[_Failure]] = {}
        self._holds: dict[str, int] = {}  # method -> calls still let through before holding
        self._hold_chats: dict[str, int] = {}  # method -> the one chat whose calls are held
        self._gate = _Gate()
        self._held = 0
        self._flooded: dict[int, float] = {}  # chat id -> end of its 429 window (monotonic)
        self._revoked = False
        self._proxy_status: int | None = None

        self._updates: deque[tuple[int, str, JSONDict]] = deque()
        self._next_update_id = _FIRST_UPDATE_ID
        self._allowed_updates: frozenset[str] | None = None
        self._waiting_polls = 0
        self._update_event = asyncio.Event()
        self._call_event = asyncio.Event()
        self._ids = itertools.count(1)
        self._webhook = WebhookState()

    # ---------------------------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Bind 127.0.0.1 on a free port and start serving."""
        if self._runner is not None:
            raise RuntimeError("FakeTelegram is already running")
        self._closing = False
        self._update_event = asyncio.Event()
        app = web.Application(client_max_size=1 << 30)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=2.0)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._port = int(sock.getsockname()[1])
        await web.SockSite(runner, sock).start()
        self._runner = runner

    async def stop(self) -> None:
        """Wake pending long polls and shut the server down."""
        self._closing = True
        await self._webhook.cancel()
        self.drop_held()
        event, self._update_event = self._update_event, asyncio.Event()
        event.set()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @property
    def token(self) -> str:
        return self._token

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)``: PTB appends the token, as with api.telegram.org."""
        return f"http://127.0.0.1:{self._require_port()}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self._require_port()}/file/bot"

    def _require_port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeTelegram is not started")
        return self._port

    # --------------------------------------------------------------------------- test controls

    def fail_next(
        self,
        method: str,
        count: int = 1,
        *,
        status: int = 429,
        retry_after: int | None = 1,
        description: str | None = None,
        html: bool = False,
    ) -> None:
        """Make the next ``count`` calls of ``method`` fail with ``status`` (nothing is sent).

        429 answers "Too Many Requests: retry after N" with ``parameters.retry_after`` (PTB raises
        ``RetryAfter``); other statuses get Telegram's texts ("Internal Server Error", "Bad Gateway").
        With ``html``, the answer is instead an HTML error page that quotes the requested URL,
        token included, as-is and percent-encoded (what a proxy in between may answer).
        """
        canonical = _CANONICAL.get(method.lower())
        if canonical is None:
            raise ValueError(f"FakeTelegram does not serve {method!r}")
        if status == 429:
            text = description or (
                f"Too Many Requests: retry after {retry_after}"
                if retry_after is not None
                else "Too Many Requests"
            )
            failure = _Failure(429, text, retry_after)
        else:
            text = description or DEFAULT_DESCRIPTIONS.get(status) or HTTPStatus(status).phrase
            failure = _Failure(status, text, None)
        failure.html = html
        queue = self._failures.setdefault(canonical, deque())
        queue.extend(failure for _ in range(count))

    def hold(self, method: str, *, after: int = 0, chat_id: int | None = None) -> None:
        """Answer the next ``after`` calls of ``method`` as usual, then hold every later one.

        A held request gets no answer (and changes nothing) until :meth:`release` serves it or
        :meth:`drop_held` drops it; ``held`` counts the requests waiting. A bot stopped while
        its requests are held is a bot killed mid-send: Telegram never got those messages.
        With ``chat_id``, only calls for that chat are counted and held (a hung request for one
        user); the others are served.
        """
        canonical = _CANONICAL.get(method.lower())
        if canonical is None:
            raise ValueError(f"FakeTelegram does not serve {method!r}")
        self._holds[canonical] = after
        if chat_id is None:
            self._hold_chats.pop(canonical, None)
        else:
            self._hold_chats[canonical] = chat_id

    def release(self) -> None:
        """Stop holding; the held requests are served now, in arrival order."""
        self._open_gate(deliver=True)

    def drop_held(self) -> None:
        """Stop holding; the held requests fail with 502 and deliver nothing.

        Requests that arrive afterwards are served as usual, so drop once every request of the
        stopped bot is held (a request still on its way would be delivered).
        """
        self._open_gate(deliver=False)

    @property
    def held(self) -> int:
        """Requests now held back by :meth:`hold`."""
        return self._held

    def flood(self, chat_id: int, seconds: float) -> None:
        """For the next ``seconds``, every send to ``chat_id`` (sendMessage, sendDocument, sendPhoto,
        sendChatAction, editMessageText, editMessageReplyMarkup) fails with 429 "Too Many Requests:
        retry after N", N being what is left of the window rounded up, as Telegram answers a chat
        that exceeded its limit; other chats are served as usual."""
        self._flooded[chat_id] = time.monotonic() + seconds

    def flood_left(self, chat_id: int) -> float:
        """Seconds left in the chat's 429 window (0 once it ended)."""
        return max(0.0, self._flooded.get(chat_id, 0.0) - time.monotonic())

    def proxy_errors(self, status: int | None = 502) -> None:
        """From now on every request (any path) gets an HTML error page with ``status`` that
        quotes the requested URL, token included, as a misconfigured proxy or ``base_url`` would
        answer; ``None`` ends it. Such calls are recorded with the description "html error page"."""
        self._proxy_status = status

    def revoke_token(self) -> None:
        """From now on every request answers 401 Unauthorized, as after /revoke in @BotFather."""
        self._revoked = True

    def block(self, chat_id: int) -> None:
        """Sends to ``chat_id`` (sendMessage/Document/Photo/ChatAction) fail with 403 "bot was blocked"."""
        self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)

    def add_chat(
        self,
        chat_id: int,
        *,
        chat_type: str = "private",
        title: str | None = None,
        user: FakeUser | None = None,
    ) -> None:
        """Make a chat known without feeding an update (e.g. a user who wrote in an earlier run)."""
        if chat_type == "private":
            self._chats[chat_id] = _private_chat(user or FakeUser(chat_id))
        else:
            self._chats[chat_id] = {"id": chat_id, "type": chat_type, "title": title or "Test group"}

    # --------------------------------------------------------------------------- scripted updates

    def user(
        self,
        user_id: int,
        first_name: str = "Test",
        username: str | None = None,
        *,
        language_code: str | None = "en",
        last_name: str | None = None,
    ) -> FakeUser:
        """A scripted user; its private chat becomes known once it sends something."""
        return FakeUser(user_id, first_name, username, language_code, last_name)

    def send_text(
        self,
        user: FakeUser,
        text: str,
        *,
        chat_type: str = "private",
        chat_id: int | None = None,
        date: int | None = None,
    ) -> JSONDict:
        """Feed a text message from ``user``; a leading /command gets its bot_command entity.

        ``date`` (unix seconds) is the time Telegram says the user sent it; now by default.
        """
        message = self._new_incoming(user, chat_type, chat_id)
        if date is not None:
            message["date"] = date
        message["text"] = text
        entities = _command_entities(text)
        if entities:
            message["entities"] = entities
        self._feed("message", message)
        return message

    def send_command(
        self, user: FakeUser, command: str, *, chat_type: str = "private", chat_id: int | None = None
    ) -> JSONDict:
        """``send_text`` for a "/command args" text."""
        if not command.startswith("/"):
            raise ValueError(f"a command starts with '/': {command!r}")
        return self.send_text(user, command, chat_type=chat_type, chat_id=chat_id)

    def edit_text(
        self, user: FakeUser, message_id: int, new_text: str, *, chat_id: int | None = None
    ) -> JSONDict:
        """Feed an ``edited_message`` update for a message the user sent earlier."""
        chat = chat_id if chat_id is not None else user.id
        original = self._incoming.get((chat, message_id))
        now = int(time.time())
        if original is not None:
            message = {k: v for k, v in original.items() if k not in ("text", "entities")}
        else:
            self._ensure_chat(user, "private" if chat == user.id else "group", chat)
            message = {
                "message_id": message_id,
                "from": user.to_dict(),
                "chat": self._chats[chat],
                "date": now,
            }
        message["edit_date"] = now
        message["text"] = new_text
        entities = _command_entities(new_text)
        if entities:
            message["entities"] = entities
        self._incoming[(chat, message_id)] = message
        self._feed("edited_message", message)
        return message

    def send_sticker(
        self, user: FakeUser, *, emoji: str = "👍", chat_type: str = "private", chat_id: int | None = None
    ) -> JSONDict:
        message = self._new_incoming(user, chat_type, chat_id)
        stored = self._store_file(b"RIFF\x00\x00\x00\x00WEBPVP8 ", "stickers/file.webp")
        message["sticker"] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "set_name": "TestStickers",
            "file_size": len(stored.content),
        }
        self._feed("message", message)
        return message

    def send_photo(
        self,
        user: FakeUser,
        *,
        caption: str | None = None,
        content: bytes = b"\xff\xd8\xff\xe0fake-jpeg\xff\xd9",
        chat_type: str = "private",
        chat_id: int | None = None,
    ) -> JSONDict:
        message = self._new_incoming(user, chat_type, chat_id)
        message["photo"] = self._photo_sizes(self._store_file(content, "photos/file.jpg"))
        if caption is not None:
            message["caption"] = caption
        self._feed("message", message)
        return message

    def send_voice(
        self,
        user: FakeUser,
        *,
        duration: int = 3,
        content: bytes = b"OggS\x00fake-opus",
        chat_type: str = "private",
        chat_id: int | None = None,
        file_size: int | None = None,
    ) -> JSONDict:
        """`file_size` claims a size other than the content's (a file past getFile's 20 MB limit
        without allocating 20 MB); getFile refuses such a file as Telegram does."""
        message = self._new_incoming(user, chat_type, chat_id)
        stored = self._store_file(content, "voice/file.oga", claimed_size=file_size)
        message["voice"] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": file_size if file_size is not None else len(content),
        }
        self._feed("message", message)
        return message

    def send_audio(
        self,
        user: FakeUser,
        *,
        duration: int = 30,
        content: bytes = b"ID3\x04fake-mp3",
        filename: str = "answer.mp3",
        mime_type: str = "audio/mpeg",
        chat_type: str = "private",
        chat_id: int | None = None,
    ) -> JSONDict:
        """An audio file (sent as music, not recorded as a voice message)."""
        message = self._new_incoming(user, chat_type, chat_id)
        stored = self._store_file(content, f"music/{filename}")
        message["audio"] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "file_name": filename,
            "mime_type": mime_type,
            "file_size": len(content),
        }
        self._feed("message", message)
        return message

    def send_document(
        self,
        user: FakeUser,
        *,
        filename: str = "notes.txt",
        content: bytes = b"hello\n",
        mime_type: str = "text/plain",
        caption: str | None = None,
        chat_type: str = "private",
        chat_id: int | None = None,
    ) -> JSONDict:
        message = self._new_incoming(user, chat_type, chat_id)
        stored = self._store_file(content, f"documents/{filename}")
        message["document"] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": filename,
            "mime_type": mime_type,
            "file_size": len(content),
        }
        if caption is not None:
            message["caption"] = caption
        self._feed("message", message)
        return message

    def add_bot_to_group(
        self, user: FakeUser, chat_id: int, *, chat_type: str = "group", status: str = "member"
    ) -> JSONDict:
        """Feed the my_chat_member update Telegram sends when ``user`` adds the bot to a group
        (``status="left"`` or ``"kicked"``: removes it)."""
        chat = self._ensure_chat(user, chat_type, chat_id)
        joined = status not in ("left", "kicked")
        if joined:
            self.left_chats.discard(chat_id)
        change: JSONDict = {
            "chat": chat,
            "from": user.to_dict(),
            "date": int(time.time()),
            "old_chat_member": {"user": self.bot_user, "status": "left" if joined else "member"},
            "new_chat_member": {"user": self.bot_user, "status": status},
        }
        if status == "kicked":
            change["new_chat_member"]["until_date"] = 0
        self._feed("my_chat_member", change)
        return change

    def press_button(self, user: FakeUser, message_id: int, data: str, *, chat_id: int | None = None) -> str:
        """Feed a callback_query for a button on the bot's message; returns the query id.

        The update carries the bot's stored message; for a message id the fake does not know it
        carries a minimal message, so tests can forge data.
        """
        chat = chat_id if chat_id is not None else user.id
        self._ensure_chat(user, "private" if chat == user.id else "group", chat)
        sent = self._messages.get(chat, {}).get(message_id)
        if sent is not None and not sent.deleted:
            message = self._message_json(sent)
        else:
            message = {
                "message_id": message_id,
                "from": self.bot_user,
                "chat": self._chats[chat],
                "date": int(time.time()),
            }
        query_id = str(4_000_000_000_000_000_000 + next(self._ids))
        self._open_queries.add(query_id)
        query = {
            "id": query_id,
            "from": user.to_dict(),
            "message": message,
            "chat_instance": str(abs(chat) * 7_919 % 10**18 + 1),
            "data": data,
        }
        self._feed("callback_query", query)
        return query_id

    @property
    def last_update_id(self) -> int | None:
        """The id of the last update fed, if any."""
        return self._next_update_id - 1 if self._next_update_id > _FIRST_UPDATE_ID else None

    @property
    def waiting_polls(self) -> int:
        """getUpdates requests now waiting for an update (1 when a polling bot is idle)."""
        return self._waiting_polls

    def pending_updates(self) -> int:
        """Updates fed but not yet confirmed by a getUpdates offset."""
        return len(self._updates)

    # ------------------------------------------------------------------------------- inspection

    def messages(self, chat_id: int) -> list[SentMessage]:
        """The bot's messages in that chat, current state, in send order (deleted ones left out)."""
        return [m for m in self._messages.get(chat_id, {}).values() if not m.deleted]

    def sent_texts(self, chat_id: int) -> list[str]:
        return [m.text for m in self.messages(chat_id)]

    def last_message(self, chat_id: int) -> SentMessage:
        found = self.messages(chat_id)
        if not found:
            raise AssertionError(f"the bot sent nothing to chat {chat_id}\n{self.describe_recent_calls()}")
        return found[-1]

    def files(self, chat_id: int | None = None) -> list[SentMessage]:
        """Documents and photos the bot sent (to one chat or to all)."""
        chats = [chat_id] if chat_id is not None else list(self._messages)
        return [m for c in chats for m in self._messages.get(c, {}).values() if m.kind != "text"]

    def calls_to(self, method: str) -> list[Call]:
        canonical = _CANONICAL.get(method.lower(), method)
        return [c for c in self.calls if c.method == canonical]

    def commands(self, scope: JSONDict | None = None, language_code: str = "") -> list[tuple[str, str]]:
        """Commands set with setMyCommands for that scope and language, as (command, description)."""
        registered = self._commands.get((_scope_key(scope), language_code), [])
        return [(c["command"], c["description"]) for c in registered]

    def callback_answer(self, query_id: str) -> CallbackAnswer | None:
        return next((a for a in self.callback_answers if a.query_id == query_id), None)

    def describe_recent_calls(self, count: int = 15) -> str:
        lines = [f"last {min(count, len(self.calls))} of {len(self.calls)} calls:"]
        for call in self.calls[-count:]:
            outcome = "ok" if call.response_ok else f"{call.status} {call.description}"
            shown = {
                k: (v if not isinstance(v, str) or len(v) <= 80 else v[:77] + "...")
                for k, v in call.params.items()
            }
            lines.append(f"  {call.method} -> {outcome} {shown}")
        return "\n".join(lines)

    # ---------------------------------------------------------------------------------- waiting

    # The brief's API takes timeouts as arguments (ASYNC109 prefers asyncio.timeout at the caller).
    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until ``predicate()`` holds, rechecking on every recorded call.

        It also rechecks every 50 ms, so predicates over other state (a database row) work too.
        Raises AssertionError with the recent calls on timeout.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"condition not met within {timeout}s\n{self.describe_recent_calls()}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._call_event.wait(), min(remaining, 0.05))

    async def wait_for_messages(
        self,
        chat_id: int,
        count: int,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> list[SentMessage]:
        """Wait until the bot has sent at least ``count`` messages to the chat; return all of them.

        Counts every message sent since the start, deleted ones included (they have ``deleted``).
        """
        sent = self._messages.setdefault(chat_id, {})
        try:
            await self.wait_for(lambda: len(sent) >= count, timeout)
        except AssertionError as exc:
            texts = [m.text for m in sent.values()]
            raise AssertionError(
                f"expected {count} messages to chat {chat_id}, got {len(texts)}: {texts!r}\n{exc}"
            ) from None
        return list(sent.values())

    # --------------------------------------------------------------------------------- internals

    def _notify_listeners(self, message: SentMessage) -> None:
        for listener in self.message_listeners:
            listener(message)

    def _open_gate(self, *, deliver: bool) -> None:
        self._holds.clear()
        self._hold_chats.clear()
        gate, self._gate = self._gate, _Gate()
        gate.deliver = deliver
        gate.opened.set()

    async def _wait_if_held(self, method: str, params: JSONDict) -> None:
        left = self._holds.get(method)
        if left is None:
            return
        only = self._hold_chats.get(method)
        if only is not None and opt_int(params.get("chat_id")) != only:
            return
        if left > 0:
            self._holds[method] = left - 1
            return
        gate = self._gate
        self._held += 1
        self._signal_call()
        try:
            await gate.opened.wait()
        finally:  # also when the client hung up (aiohttp cancels the handler)
            self._held -= 1
            self._signal_call()
        if not gate.deliver:
            raise ApiError(502, DEFAULT_DESCRIPTIONS[502])

    def _signal_call(self) -> None:
        event, self._call_event = self._call_event, asyncio.Event()
        event.set()

    def _feed(self, kind: str, payload: JSONDict) -> None:
        update_id = self._next_update_id
        self._next_update_id += 1
        self._updates.append((update_id, kind, {"update_id": update_id, kind: payload}))
        event, self._update_event = self._update_event, asyncio.Event()
        event.set()

    def _ensure_chat(self, user: FakeUser, chat_type: str, chat_id: int) -> JSONDict:
        chat = self._chats.get(chat_id)
        if chat is None:
            if chat_type == "private":
                chat = _private_chat(user)
            else:
                chat = {"id": chat_id, "type": chat_type, "title": "Test group"}
            self._chats[chat_id] = chat
        return chat

    def _new_incoming(self, user: FakeUser, chat_type: str, chat_id: int | None) -> JSONDict:
        if chat_id is None:
            if chat_type == "private":
                chat_id = user.id
            elif chat_type == "supergroup":
                chat_id = -1_000_000_000_000 - user.id
            else:
                chat_id = -user.id
        chat = self._ensure_chat(user, chat_type, chat_id)
        message_id = self._take_message_id(chat_id)
        message: JSONDict = {
            "message_id": message_id,
            "from": user.to_dict(),
            "chat": chat,
            "date": int(time.time()),
        }
        self._incoming[(chat_id, message_id)] = message
        return message

    def _take_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _store_file(self, content: bytes, path: str, *, claimed_size: int | None = None) -> _StoredFile:
        n = next(self._ids)
        file_id = f"BQACAgIAAxkBAAI{n:08d}"
        stored = _StoredFile(
            file_id,
            f"AgAD{n:06d}",
            f"{path.rsplit('/', 1)[0]}/file_{n}_{path.rsplit('/', 1)[-1]}",
            content,
            claimed_size,
        )
        self._files[file_id] = stored
        self._files_by_path[stored.path] = stored
        return stored

    def _photo_sizes(self, stored: _StoredFile) -> list[JSONDict]:
        return [
            {
                "file_id": stored.file_id + "_s",
                "file_unique_id": stored.file_unique_id + "s",
                "width": 90,
                "height": 60,
                "file_size": 1_000,
            },
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "width": 1280,
                "height": 853,
                "file_size": len(stored.content),
            },
        ]

    def _message_json(self, m: SentMessage) -> JSONDict:
        data: JSONDict = {
            "message_id": m.message_id,
            "from": self.bot_user,
            "chat": self._chats[m.chat_id],
            "date": m.date,
        }
        if m.edit_date is not None:
            data["edit_date"] = m.edit_date
        text_key, entities_key = ("text", "entities") if m.kind == "text" else ("caption", "caption_entities")
        if m.kind == "text" or m.plain_text:
            data[text_key] = m.plain_text
        if m.entities:
            data[entities_key] = m.entities
        stored = self._files.get(m.file_id) if m.file_id else None
        if m.kind == "document":
            data["document"] = {
                "file_id": m.file_id,
                "file_unique_id": stored.file_unique_id if stored else "AgAD0",
                "file_name": m.filename,
                "mime_type": m.mime_type,
                "file_size": len(m.file_bytes or b""),
            }
        elif m.kind == "photo" and stored is not None:
            data["photo"] = self._photo_sizes(stored)
        if m.reply_markup and "inline_keyboard" in m.reply_markup:
            data["reply_markup"] = m.reply_markup
        return data

    # --------------------------------------------------------------------------------- HTTP layer

    async def _handle_api(self, request: web.Request) -> web.Response:
        at = time.monotonic()
        raw_method = request.match_info["method"]
        method = _CANONICAL.get(raw_method.lower(), raw_method)
        params: JSONDict = {}
        try:
            params = await read_params(request)
            if self._proxy_status is not None:
                return self._html_error(request, method, params, at, self._proxy_status)
            if request.match_info["token"] != self._token or self._revoked:
                raise ApiError(401, ERR_UNAUTHORIZED)
            if method not in _SERVED:
                raise ApiError(404, ERR_METHOD_NOT_FOUND)
            self._check_flood(method, params)
            await self._wait_if_held(method, params)
            queued = self._failures.get(method)
            if queued:
                failure = queued.popleft()
                if failure.html:
                    return self._html_error(request, method, params, at, failure.status)
                raise ApiError(failure.status, failure.description, failure.retry_after)
            if method == "getUpdates":
                result: Any = await self._get_updates(params)
            else:
                result = self._dispatch(method, params)
        except ApiError as err:
            body: JSONDict = {"ok": False, "error_code": err.status, "description": err.description}
            if err.retry_after is not None:
                body["parameters"] = {"retry_after": err.retry_after}
            self.calls.append(Call(method, params, at, False, err.status, err.description))
            self._signal_call()
            return json_response(body, err.status)
        self.calls.append(Call(method, params, at, True))
        self._signal_call()
        return json_response({"ok": True, "result": result}, 200)

    def _html_error(
        self, request: web.Request, method: str, params: JSONDict, at: float, status: int
    ) -> web.Response:
        phrase = HTTPStatus(status).phrase
        url = str(request.url)
        page = (
            f"<html><head><title>{status} {phrase}</title></head><body>\n"
            f"<h1>{phrase}</h1>\n<p>The upstream server failed to answer {request.method} {url}</p>\n"
            f"<p>Request: {quote(request.path, safe='/')}</p>\n<hr><center>nginx</center>\n"
            "</body></html>\n"
        )
        self.calls.append(Call(method, params, at, False, status, "html error page"))
        self._signal_call()
        return web.Response(text=page, status=status, content_type="text/html")

    async def _handle_file(self, request: web.Request) -> web.Response:
        if self._proxy_status is not None:
            return self._html_error(request, "file", {}, time.monotonic(), self._proxy_status)
        if request.match_info["token"] != self._token:
            return json_response({"ok": False, "error_code": 401, "description": ERR_UNAUTHORIZED}, 401)
        stored = self._files_by_path.get(request.match_info["path"])
        if stored is not None:
            return web.Response(body=stored.content, content_type="application/octet-stream")
        return json_response({"ok": False, "error_code": 404, "description": "Not Found"}, 404)

    def _check_flood(self, method: str, p: JSONDict) -> None:
        if method not in _FLOODABLE or not self._flooded:
            return
        chat_id = opt_int(p.get("chat_id"))
        left = self.flood_left(chat_id) if chat_id is not None else 0.0
        if left > 0:
            retry_after = max(1, math.ceil(left))
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)

    def _dispatch(self, method: str, p: JSONDict) -> Any:
        if method == "sendMessage":
            return self._send_message(p)
        if method == "editMessageText":
            return self._edit_message_text(p)
        if method == "editMessageReplyMarkup":
            return self._edit_reply_markup(p)
        if method == "answerCallbackQuery":
            return self._answer_callback_query(p)
        if method == "sendChatAction":
            return self._send_chat_action(p)
        if method in ("sendDocument", "sendPhoto"):
            return self._send_file(p, "document" if method == "sendDocument" else "photo")
        if method == "deleteMessage":
            return self._delete_message(p)
        if method == "leaveChat":
            self.left_chats.add(self._known_chat(p))
            return True
        if method == "getMe":
            return {
                **self.bot_user,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
                "can_connect_to_business": False,
                "has_main_web_app": False,
            }
        if method == "deleteWebhook":
            if p.get("drop_pending_updates") is True:
                self._updates.clear()
            self._stop_webhook()
            return True
        if method == "getWebhookInfo":
            return self._webhook.info(len(self._updates))
        if method == "setWebhook":
            return self._set_webhook(p)
        if method == "setMyCommands":
            return self._set_my_commands(p)
        if method == "getMyCommands":
            return self._commands.get(_command_key(p), [])
        if method == "deleteMyCommands":
            self._commands.pop(_command_key(p), None)
            return True
        if method == "getFile":
            return self._get_file(p)
        return True  # close, logOut

    # ------------------------------------------------------------------------------- webhook

    @property
    def webhook(self) -> WebhookSettings | None:
        """What the bot last told setWebhook; None when no webhook is set."""
        return self._webhook.settings

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        """Every POST of an update to the bot's webhook (by this fake on its own), in order."""
        return self._webhook.deliveries

    def text_update(self, user: FakeUser, text: str) -> JSONDict:
        """A private text update from ``user``, built but not queued: for ``post_update``."""
        message = self._new_incoming(user, "private", None)
        message["text"] = text
        entities = _command_entities(text)
        if entities:
            message["entities"] = entities
        update_id = self._next_update_id
        self._next_update_id += 1
        return {"update_id": update_id, "message": message}

    async def post_update(self, update: JSONDict, *, secret: str | None, url: str | None = None) -> int:
        """POST ``update`` to the webhook (or ``url``) with ``secret`` in the secret header (None: no
        header), as anyone reaching the bot's address could; returns the HTTP status."""
        target = url or (self._webhook.settings.url if self._webhook.settings else None)
        if target is None:
            raise RuntimeError("no webhook is set and no url was given")
        return await post_update(target, update, secret)

    def _set_webhook(self, p: JSONDict) -> bool:
        settings = self._webhook.configure(p)
        if settings is None:
            self._stop_webhook()
            return True
        self._webhook.settings = settings
        allowed = settings.allowed_updates
        if allowed is not None:
            self._allowed_updates = frozenset(allowed) or None
        if self._webhook.task is None or self._webhook.task.done():
            self._webhook.task = asyncio.get_running_loop().create_task(self._deliver_webhook())
        return True

    def _stop_webhook(self) -> None:
        self._webhook.settings = None
        task, self._webhook.task = self._webhook.task, None
        if task is not None:
            task.cancel()

    async def _deliver_webhook(self) -> None:
        """Telegram's side of a webhook: post the oldest update until the bot answers 200."""
        while (hook := self._webhook.settings) is not None and not self._closing:
            batch = self._take_updates(1)
            if not batch:
                await self._update_event.wait()
                continue
            update = batch[0]
            status = await post_update(hook.url, update, hook.secret_token)
            self._webhook.deliveries.append(WebhookDelivery(update["update_id"], status, hook.secret_token))
            if status == HTTPStatus.OK:
                self._updates = deque(u for u in self._updates if u[0] != update["update_id"])
                self._webhook.last_error = ""
            else:
                self._webhook.last_error = f"Wrong response from the webhook: {status}"
            self._signal_call()
            if status != HTTPStatus.OK:
                await asyncio.sleep(0.05)

    # ---------------------------------------------------------------------------- getUpdates

    async def _get_updates(self, p: JSONDict) -> list[JSONDict]:
        if self._webhook.settings is not None:
            raise ApiError(409, ERR_WEBHOOK_ACTIVE)
        offset = opt_int(p.get("offset"))
        limit = min(max(opt_int(p.get("limit")) or 100, 1), 100)
        timeout = max(opt_float(p.get("timeout")) or 0.0, 0.0)
        allowed = p.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(str(a) for a in allowed) or None
        if offset is not None:
            if offset < 0:
                while len(self._updates) > -offset:
                    self._updates.popleft()
            else:
                while self._updates and self._updates[0][0] < offset:
                    self._updates.popleft()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            batch = self._take_updates(limit)
            if batch or self._closing:
                return batch
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            self._waiting_polls += 1
            try:
                await asyncio.wait_for(self._update_event.wait(), remaining)
            except TimeoutError:
                return []
            finally:
                self._waiting_polls -= 1

    def _is_allowed(self, kind: str) -> bool:
        if self._allowed_updates is None:
            return kind not in _NOT_BY_DEFAULT
        return kind in self._allowed_updates

    def _take_updates(self, limit: int) -> list[JSONDict]:
        # Updates of types the bot did not ask for would never be delivered: drop them from the front.
        while self._updates and not self._is_allowed(self._updates[0][1]):
            self._updates.popleft()
        batch: list[JSONDict] = []
        for _, kind, update in self._updates:
            if self._is_allowed(kind):
                batch.append(update)
                if len(batch) >= limit:
                    break
        return batch

    # ------------------------------------------------------------------------------- sending

    def _chat_for_send(self, p: JSONDict) -> int:
        chat_id = self._known_chat(p)
        if chat_id in self._blocked or chat_id in self.left_chats:
            chat_type = self._chats[chat_id]["type"]
            if chat_type == "group":
                raise ApiError(403, ERR_KICKED_GROUP)
            if chat_type == "supergroup":
                raise ApiError(403, ERR_KICKED_SUPERGROUP)
            raise ApiError(403, ERR_BLOCKED)
        return chat_id

    def _known_chat(self, p: JSONDict) -> int:
        raw = p.get("chat_id")
        if raw is None or raw == "":
            raise ApiError(400, ERR_CHAT_ID_EMPTY)
        chat_id = opt_int(raw)
        if chat_id is None or chat_id not in self._chats:
            raise ApiError(400, ERR_CHAT_NOT_FOUND)
        return chat_id

    def _render(
        self, text: str, parse_mode: Any, raw_entities: Any, limit: int, error: str
    ) -> tuple[str, list[JSONDict]]:
        if parse_mode is None or parse_mode == "":
            plain = text
            entities = raw_entities if isinstance(raw_entities, list) else []
        elif not isinstance(parse_mode, str) or parse_mode.lower() not in ("html", "markdown", "markdownv2"):
            raise ApiError(400, "Bad Request: unsupported parse_mode")
        elif parse_mode.lower() == "html":
            try:
                plain, entities = parse_html(text, strict_entities=self.strict_html_entities)
            except HtmlParseError as exc:
                raise ApiError(400, ERR_PARSE + str(exc)) from None
        else:
            plain, entities = text, []  # Markdown is not checked by this fake
        if len(plain) > limit:
            raise ApiError(400, error)
        return plain, entities

    def _message_text(self, p: JSONDict) -> tuple[str, str, list[JSONDict]]:
        """The text of a sendMessage/editMessageText, checked as Telegram checks it."""
        text = p.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, ERR_TEXT_EMPTY)
        plain, entities = self._render(
            text, p.get("parse_mode"), p.get("entities"), MAX_TEXT_LENGTH, ERR_TEXT_TOO_LONG
        )
        if not plain.strip():
            raise ApiError(400, ERR_TEXT_EMPTY)
        return text, plain, entities

    def _send_message(self, p: JSONDict) -> JSONDict:
        text, plain, entities = self._message_text(p)
        markup = check_markup(p.get("reply_markup"))
        chat_id = self._chat_for_send(p)
        message = SentMessage(
            message_id=self._take_message_id(chat_id),
            chat_id=chat_id,
            text=text,
            parse_mode=opt_str(p.get("parse_mode")),
            reply_markup=markup,
            plain_text=plain,
            entities=entities,
            date=int(time.time()),
        )
        self._messages.setdefault(chat_id, {})[message.message_id] = message
        self._notify_listeners(message)
        return self._message_json(message)

    def _send_file(self, p: JSONDict, kind: Literal["document", "photo"]) -> JSONDict:
        caption = p.get("caption")
        caption_text = caption if isinstance(caption, str) else ""
        plain, entities = self._render(
            caption_text,
            p.get("parse_mode"),
            p.get("caption_entities"),
            MAX_CAPTION_LENGTH,
            ERR_CAPTION_TOO_LONG,
        )
        markup = check_markup(p.get("reply_markup"))
        source = p.get(kind)
        if source is None or source == "":
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        if isinstance(source, UploadedFile):
            if len(source.content) > self.max_upload_bytes:
                raise ApiError(413, ERR_TOO_LARGE)
            if not source.content:
                raise ApiError(400, "Bad Request: file must be non-empty")
            folder = "documents" if kind == "document" else "photos"
            stored = self._store_file(source.content, f"{folder}/{source.filename}")
            filename, content, mime = source.filename, source.content, source.mime_type
        else:
            known = self._files.get(str(source))
            if known is not None:
                stored, content = known, known.content
                filename, mime = known.path.rsplit("/", 1)[-1], "application/octet-stream"
            elif str(source).startswith(("http://", "https://")):
                stored = self._store_file(b"", f"documents/{str(source).rsplit('/', 1)[-1] or 'file'}")
                filename, content, mime = stored.path.rsplit("/", 1)[-1], b"", "application/octet-stream"
            else:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        chat_id = self._chat_for_send(p)
        message = SentMessage(
            message_id=self._take_message_id(chat_id),
            chat_id=chat_id,
            text=caption_text,
            parse_mode=opt_str(p.get("parse_mode")),
            reply_markup=markup,
            kind=kind,
            filename=filename,
            file_bytes=content,
            mime_type=mime,
            file_id=stored.file_id,
            plain_text=plain,
            entities=entities,
            date=int(time.time()),
        )
        self._messages.setdefault(chat_id, {})[message.message_id] = message
        self._notify_listeners(message)
        return self._message_json(message)

    def _find_own_message(self, p: JSONDict, not_found: str) -> SentMessage:
        if p.get("inline_message_id"):
            raise ApiError(400, not_found)
        chat_id = self._known_chat(p)
        message_id = opt_int(p.get("message_id"))
        found = self._messages.get(chat_id, {}).get(message_id) if message_id is not None else None
        if found is None or found.deleted:
            if message_id is not None and (chat_id, message_id) in self._incoming:
                raise ApiError(400, ERR_CANT_EDIT)  # the user's own message
            raise ApiError(400, not_found)
        return found

    def _edit_message_text(self, p: JSONDict) -> JSONDict:
        text, plain, entities = self._message_text(p)
        markup = check_markup(p.get("reply_markup"))
        message = self._find_own_message(p, ERR_EDIT_NOT_FOUND)
        if message.kind != "text":
            raise ApiError(400, ERR_NO_TEXT_TO_EDIT)
        # Telegram compares what the user would see; an edit without reply_markup drops the keyboard.
        if message.plain_text == plain and message.entities == entities and message.reply_markup == markup:
            raise ApiError(400, ERR_NOT_MODIFIED)
        message.text = text
        message.parse_mode = opt_str(p.get("parse_mode"))
        message.plain_text = plain
        message.entities = entities
        message.reply_markup = markup
        message.edited = True
        message.edit_date = int(time.time())
        return self._message_json(message)

    def _edit_reply_markup(self, p: JSONDict) -> JSONDict:
        markup = check_markup(p.get("reply_markup"))
        message = self._find_own_message(p, ERR_EDIT_NOT_FOUND)
        if message.reply_markup == markup:
            raise ApiError(400, ERR_NOT_MODIFIED)
        message.reply_markup = markup
        message.edited = True
        message.edit_date = int(time.time())
        return self._message_json(message)

    def _delete_message(self, p: JSONDict) -> bool:
        # Bots may delete incoming messages in private chats too.
        incoming = (self._known_chat(p), opt_int(p.get("message_id")))
        if incoming in self._incoming:
            del self._incoming[incoming]
            return True
        message = self._find_own_message(p, ERR_DELETE_NOT_FOUND)
        message.deleted = True
        return True

    def _answer_callback_query(self, p: JSONDict) -> bool:
        query_id = str(p.get("callback_query_id", ""))
        if query_id not in self._open_queries:
            raise ApiError(400, ERR_QUERY_INVALID)
        self._open_queries.discard(query_id)
        self.callback_answers.append(
            CallbackAnswer(
                query_id=query_id,
                text=opt_str(p.get("text")),
                show_alert=p.get("show_alert") is True,
                url=opt_str(p.get("url")),
                cache_time=opt_int(p.get("cache_time")),
            )
        )
        return True

    def _send_chat_action(self, p: JSONDict) -> bool:
        if p.get("action") not in _CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        self._chat_for_send(p)
        return True

    def _set_my_commands(self, p: JSONDict) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: BOT_COMMANDS_TOO_MUCH")
        cleaned: list[JSONDict] = []
        for command in commands:
            name = command.get("command") if isinstance(command, dict) else None
            description = command.get("description") if isinstance(command, dict) else None
            if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        if cleaned:
            self._commands[_command_key(p)] = cleaned
        else:
            self._commands.pop(_command_key(p), None)
        return True

    def _get_file(self, p: JSONDict) -> JSONDict:
        stored = self._files.get(str(p.get("file_id", "")))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if stored.size > MAX_GET_FILE_BYTES:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.path,
        }


# --- helpers ---------------------------------------------------------------------------------------


def _private_chat(user: FakeUser) -> JSONDict:
    chat: JSONDict = {"id": user.id, "type": "private", "first_name": user.first_name}
    if user.last_name is not None:
        chat["last_name"] = user.last_name
    if user.username is not None:
        chat["username"] = user.username
    return chat


_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?=\s|$)")


def _command_entities(text: str) -> list[JSONDict]:
    match = _COMMAND.match(text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}]


def _scope_key(scope: Any) -> str:
    if not isinstance(scope, dict) or not scope:
        scope = {"type": "default"}
    return json.dumps(scope, sort_keys=True)


def _command_key(p: JSONDict) -> tuple[str, str]:
    return _scope_key(p.get("scope")), str(p.get("language_code") or "")
