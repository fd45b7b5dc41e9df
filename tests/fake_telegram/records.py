"""What the fake records and hands to tests: users, calls, callback answers, the bot's messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

JSONDict = dict[str, Any]


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str
    content: bytes = field(repr=False)
    mime_type: str

    def __repr__(self) -> str:
        return f"UploadedFile({self.filename!r}, {len(self.content)} bytes, {self.mime_type!r})"


@dataclass(frozen=True, slots=True)
class Call:
    """One request the bot made. ``at`` is when it arrived (monotonic); calls are logged when answered."""

    method: str
    params: JSONDict
    at: float
    response_ok: bool
    status: int = 200
    description: str | None = None


@dataclass(frozen=True, slots=True)
class CallbackAnswer:
    """An answerCallbackQuery the bot made."""

    query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None


@dataclass(frozen=True, slots=True)
class FakeUser:
    """A scripted Telegram user; build it with :meth:`FakeTelegram.user`."""

    id: int
    first_name: str = "Test"
    username: str | None = None
    language_code: str | None = "en"
    last_name: str | None = None

    def to_dict(self) -> JSONDict:
        data: JSONDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name is not None:
            data["last_name"] = self.last_name
        if self.username is not None:
            data["username"] = self.username
        if self.language_code is not None:
            data["language_code"] = self.language_code
        return data


@dataclass(slots=True)
class SentMessage:
    """A message the bot sent, in its current state (edits applied).

    ``text`` is what the bot sent (markup included; the caption for files), ``plain_text`` what the
    user sees after entity parsing, ``entities`` the parsed entities (UTF-16 offsets).
    """

    message_id: int
    chat_id: int
    text: str
    parse_mode: str | None
    reply_markup: JSONDict | None
    kind: Literal["text", "document", "photo"] = "text"
    filename: str | None = None
    file_bytes: bytes | None = field(default=None, repr=False)
    mime_type: str | None = None
    file_id: str | None = None
    edited: bool = False
    deleted: bool = False
    plain_text: str = ""
    entities: list[JSONDict] = field(default_factory=list)
    date: int = 0
    edit_date: int | None = None

    def buttons(self) -> list[tuple[str, str]]:
        """Every keyboard button as (text, callback_data), row by row; "" when a button has no data."""
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard") or self.reply_markup.get("keyboard") or []
        flat: list[tuple[str, str]] = []
        for row in rows:
            for button in row:
                if isinstance(button, str):
                    flat.append((button, ""))
                else:
                    flat.append((str(button.get("text", "")), str(button.get("callback_data", ""))))
        return flat
