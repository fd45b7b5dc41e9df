"""Telegram's limits and its error texts, as the fake answers them."""

from __future__ import annotations

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
# Bots may download files up to 20 MB (getFile); larger ones are refused.
MAX_GET_FILE_BYTES = 20 * 1024 * 1024

ERR_TEXT_EMPTY = "Bad Request: message text is empty"
ERR_TEXT_TOO_LONG = "Bad Request: message is too long"
ERR_CAPTION_TOO_LONG = "Bad Request: message caption is too long"
ERR_PARSE = "Bad Request: can't parse entities: "
ERR_BUTTON_DATA = "Bad Request: BUTTON_DATA_INVALID"
ERR_TEXT_BUTTONS = "Bad Request: text buttons are unallowed in the inline keyboard"
ERR_EDIT_NOT_FOUND = "Bad Request: message to edit not found"
ERR_CANT_EDIT = "Bad Request: message can't be edited"
ERR_NO_TEXT_TO_EDIT = "Bad Request: there is no text in the message to edit"
ERR_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
ERR_DELETE_NOT_FOUND = "Bad Request: message to delete not found"
ERR_QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
ERR_CHAT_NOT_FOUND = "Bad Request: chat not found"
ERR_CHAT_ID_EMPTY = "Bad Request: chat_id is empty"
ERR_BLOCKED = "Forbidden: bot was blocked by the user"
ERR_KICKED_GROUP = "Forbidden: bot was kicked from the group chat"
ERR_KICKED_SUPERGROUP = "Forbidden: bot was kicked from the supergroup chat"
ERR_TOO_LARGE = "Request Entity Too Large"
ERR_UNAUTHORIZED = "Unauthorized"
ERR_METHOD_NOT_FOUND = "Not Found: method not found"

DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: ERR_UNAUTHORIZED,
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    413: ERR_TOO_LARGE,
    500: "Internal Server Error",
    502: "Bad Gateway",
}


class ApiError(Exception):
    """A request Telegram refuses: the status and description of its answer."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after
