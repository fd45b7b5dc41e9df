"""Logging set-up that never prints the bot token, nor (unless the operator asks) user content."""

import logging
import re


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
