"""Logging set-up that never prints the bot token, nor (unless the operator asks) user content."""

import hashlib
import logging
import re
import secrets as _secrets

from telegram.error import InvalidToken


class NoTracebackForInvalidToken(logging.Filter):
    """A refused token is reported once, in one line, by `interview-bot run` (exit 2); records
    about it (PTB's polling loop, the error handler) keep their message but lose the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], InvalidToken):
            record.msg = f"{record.getMessage()}: {record.exc_info[1]}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._pattern = re.compile("|".join(re.escape(s) for s in secrets if s)) if any(secrets) else None

    def filter(self, record: logging.LogRecord) -> bool:
        if self._pattern is not None:
            message = record.getMessage()
            if self._pattern.search(message):
                record.msg = self._pattern.sub("[token]", message)
                record.args = None
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = self._pattern.sub("[token]", record.exc_text)
        return True


# Drawn once per process and never logged: a chat's pseudonym cannot be turned back into its
# Telegram id, and means nothing in another process's logs.
_PSEUDONYM_KEY = _secrets.token_bytes(16)


def chat_ref(chat_id: int | str | None) -> str:
    """How our log lines name a Telegram chat whose internal user id is not at hand: a pseudonym
    stable within this process ("chat ~3fa2c1d0"), never the Telegram id, which identifies a person.
    Where the internal id is known, log that instead ("user 17", "delivery 42")."""
    if chat_id is None:
        return "no chat"
    digest = hashlib.blake2b(str(chat_id).encode(), key=_PSEUDONYM_KEY, digest_size=4).hexdigest()
    return f"chat ~{digest}"


# Our own packages log ids and outcomes, never names or texts.
_OWN_PACKAGES = frozenset({"bot", "storage", "questions", "__main__"})


class HideUserContent(logging.Filter):
    """Drop library records that can carry names, message texts and answers.

    At DEBUG python-telegram-bot logs every update and every Bot API call with its arguments
    and result (`telegram.ext.Application`, `telegram.ext.ExtBot`), httpx/httpcore log request
    bodies, aiosqlite logs each call with its parameters, and SQLAlchemy's engine logs SQL
    parameters at INFO. Their warnings and errors stay: they say why something failed.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING or record.name.split(".")[0] in _OWN_PACKAGES:
            return True
        if record.name.startswith("sqlalchemy"):
            return False
        return record.levelno > logging.DEBUG


def configure_logging(level: str, secrets: list[str], *, include_user_content: bool = False) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(NoTracebackForInvalidToken())  # before RedactSecrets formats the traceback
    handler.addFilter(RedactSecrets(secrets))
    if not include_user_content:
        handler.addFilter(HideUserContent())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
