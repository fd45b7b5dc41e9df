"""Logging set-up that never prints a secret, nor (unless the operator asks) user content."""

import hashlib
import logging
import secrets as _secrets
from collections.abc import Iterable

from telegram.error import BadRequest, InvalidToken, NetworkError

from bot import redact


class OneLineForKnownFailures(logging.Filter):
    """Failures someone else reports in a line lose their tracebacks (kept at DEBUG).

    - A refused token is reported once, in one line, by `interview-bot run` (exit 2): records
      about it (PTB's polling loop, the error handler) keep their message, not the traceback.
    - Network trouble (Telegram unreachable, a 5xx, a timeout) is the network's fault, not a bug:
      its records say what failed in one line; the traceback shows only when DEBUG is on.
    - PTB's retry loop logs an "Aborting" record with a traceback whenever it gives up, then
      raises to its caller, which reports the failure itself (the CLI's one line at start-up);
      its HTTP layer logs an ERROR with the whole page and a traceback for every answer that is
      not JSON (a proxy's error page), then raises an error that quotes the page anyway.
      Both are dropped unless DEBUG is on.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        debug = logging.getLogger().isEnabledFor(logging.DEBUG)
        if not debug and record.name.startswith("telegram."):
            message = record.getMessage()
            if message.startswith("Network Retry Loop") and "Aborting" in message:
                return False
            if message.startswith("Can not load invalid JSON data"):
                return False
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, InvalidToken) or (_is_network_trouble(exc) and not debug):
            record.msg = f"{record.getMessage()}: {exc}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def _is_network_trouble(exc: BaseException | None) -> bool:
    # BadRequest is a NetworkError to PTB, but a rejected request is worth its traceback.
    return isinstance(exc, NetworkError) and not isinstance(exc, BadRequest)


class RedactSecrets(logging.Filter):
    """Every secret in bot/redact.py's registry is masked in the message and the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact.mask(message)
        if masked != message:
            record.msg = masked
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact.mask(record.exc_text)
        if record.stack_info:
            record.stack_info = redact.mask(record.stack_info)
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


def configure_logging(level: str, secrets: Iterable[str] = (), *, include_user_content: bool = False) -> None:
    """One handler on stderr; `secrets` join those bot/redact.py's registry masks already."""
    for secret in secrets:
        redact.register(secret)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(OneLineForKnownFailures())  # before RedactSecrets formats the traceback
    handler.addFilter(RedactSecrets())
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
