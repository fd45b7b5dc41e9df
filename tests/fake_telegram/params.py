"""Reading a Bot API request's parameters (query, form, multipart or JSON) the way Telegram does."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from aiohttp import web

from tests.fake_telegram.limits import (
    ERR_BUTTON_DATA,
    ERR_TEXT_BUTTONS,
    ERR_TOO_LARGE,
    MAX_CALLBACK_DATA_BYTES,
    ApiError,
)
from tests.fake_telegram.records import JSONDict, UploadedFile

# Form values are strings; these are turned into ints/bools so that form and JSON bodies look alike.
_INT_PARAMS = frozenset(
    [
        "chat_id",
        "message_id",
        "offset",
        "limit",
        "timeout",
        "cache_time",
        "user_id",
        "from_chat_id",
        "reply_to_message_id",
        "message_thread_id",
        "max_connections",
    ]
)
_BOOL_PARAMS = frozenset(
    [
        "show_alert",
        "disable_notification",
        "protect_content",
        "drop_pending_updates",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "has_spoiler",
        "disable_content_type_detection",
        "show_caption_above_media",
    ]
)
# Free text is never JSON-decoded, even when it happens to look like JSON.
_TEXT_PARAMS = frozenset(
    {"text", "caption", "parse_mode", "callback_query_id", "url", "language_code"}
    | {"secret_token", "ip_address"}
)


def check_markup(raw: Any) -> JSONDict | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    rows = raw.get("inline_keyboard")
    if rows is None:
        return raw
    if not isinstance(rows, list):
        raise ApiError(
            400, "Bad Request: can't parse inline keyboard button: InlineKeyboardButton must be an Object"
        )
    for row in rows:
        for button in row if isinstance(row, list) else []:
            if not isinstance(button, dict):
                raise ApiError(400, "Bad Request: can't parse inline keyboard button: Object expected")
            if "callback_data" in button:
                data = button["callback_data"]
                size = len(data.encode("utf-8")) if isinstance(data, str) else 0
                if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                    raise ApiError(400, ERR_BUTTON_DATA)
            elif set(button) <= {"text"}:
                raise ApiError(400, ERR_TEXT_BUTTONS)
    return raw


def opt_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return int(value)
    return None


def opt_float(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return float(value)
    return None


def opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def decode_value(key: str, value: str) -> Any:
    if key in _TEXT_PARAMS:
        return value
    if key in _INT_PARAMS:
        number = opt_int(value)
        return value if number is None else number
    if key in _BOOL_PARAMS and value in ("true", "false", "True", "False"):
        return value.lower() == "true"
    if value[:1] in ("{", "["):
        with contextlib.suppress(ValueError):
            return json.loads(value)
    return value


async def read_params(request: web.Request) -> JSONDict:
    """Query args plus the body: form-urlencoded, multipart (files as UploadedFile) or JSON."""
    params: JSONDict = {k: decode_value(k, v) for k, v in request.query.items()}
    if not request.body_exists:
        return params
    content_type = request.content_type
    if content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise ApiError(400, "Bad Request: can't parse JSON") from None
        if isinstance(body, dict):
            params.update({k: decode_value(k, v) if isinstance(v, str) else v for k, v in body.items()})
        return params
    try:
        form = await request.post()
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(413, ERR_TOO_LARGE) from None
    uploads: dict[str, UploadedFile] = {}
    for key, value in form.items():
        if isinstance(value, web.FileField):
            uploads[key] = UploadedFile(value.filename, value.file.read(), value.content_type)
            params[key] = uploads[key]
        elif isinstance(value, str):
            params[key] = decode_value(key, value)
    # PTB attaches some files as attach://<part name>.
    for key, value in params.items():
        if isinstance(value, str) and value.startswith("attach://") and value[9:] in uploads:
            params[key] = uploads[value[9:]]
    return params


def json_response(body: JSONDict, status: int) -> web.Response:
    return web.Response(
        body=json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(),
        status=status,
        content_type="application/json",
    )
