"""One registry of the secrets this process knows, and the one function that masks them.

Every way text leaves the process goes through `mask`: the logging handler's filter
(bot/logs.py, every record at every level, message and traceback), the CLI's error printer
(`_fail` in bot/__main__.py) and the hook for exceptions nobody caught. Whatever a server
echoes back (an HTML error page quoting the requested URL, a proxy's diagnostics) is masked
on its way out, so no code path has to remember to do it.

A secret is masked in the forms it travels in: as is, percent-encoded (a URL's ":" as "%3A" or
"%3a", also encoded twice), form-encoded, and escaped for JSON, HTML and Python reprs. The bot
token's secret half (after the ":") is a secret of its own, so no spelling of the separator
lets the part that matters through. Values shorter than `MIN_LENGTH` are not masked: they
would blank ordinary words everywhere and protect nothing.
"""

import html
import json
import os
import re
import sys
import threading
import traceback
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any
from urllib.parse import quote, quote_plus, unquote, urlsplit

from pydantic import BaseModel, SecretStr

MIN_LENGTH = 6

_BOT_TOKEN = re.compile(r"\d+:\S+")

# Named in config (voice/review model sections) as `api_key_env = "OPENAI_API_KEY"`: the value
# of that variable is a secret. The webhook secret may come from this variable alone.
_ENV_NAME_SUFFIX = "_env"
WEBHOOK_SECRET_ENV_VAR = "TELEGRAM_WEBHOOK_SECRET"
_SECRET_NAMES = ("secret", "token", "password", "api_key")


def _spellings(value: str) -> set[str]:
    encoded = quote(value, safe="")
    lower_hex = re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), encoded)
    return {
        value,
        encoded,
        lower_hex,
        quote(encoded, safe=""),  # encoded twice: "%253A"
        quote_plus(value),
        json.dumps(value)[1:-1],
        html.escape(value),
        repr(value)[1:-1],
    }


class SecretRegistry:
    """The secrets to mask, each with the label shown in its place ("[token]")."""

    def __init__(self) -> None:
        self._labels: dict[str, str] = {}
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def add(self, value: str | None, label: str | None = None) -> None:
        """Mask `value` from now on, as "[label]" ("[token]" for a bot token, else "[secret]")."""
        if value is None or len(value.strip()) < MIN_LENGTH:
            return
        value = value.strip()
        parts = [value]
        if _BOT_TOKEN.fullmatch(value):  # its secret half alone too
            parts.append(value.split(":", 1)[1])
            label = label or "token"
        label = label or "secret"
        with self._lock:
            for part in parts:
                for spelling in _spellings(part):
                    if len(spelling) >= MIN_LENGTH:
                        self._labels.setdefault(spelling, f"[{label}]")
            # Longest first, so the whole token wins over its secret half.
            ordered = sorted(self._labels, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(s) for s in ordered))

    def mask(self, text: str) -> str:
        pattern = self._pattern
        if pattern is None or not text:
            return text
        return pattern.sub(lambda m: self._labels[m.group(0)], text)

    def clear(self) -> None:
        """Forget every secret (for tests that configure several bots in one process)."""
        with self._lock:
            self._labels.clear()
            self._pattern = None


REGISTRY = SecretRegistry()


def register(value: str | None, label: str | None = None) -> None:
    REGISTRY.add(value, label)


def mask(text: str) -> str:
    return REGISTRY.mask(text)


def register_settings(settings: BaseModel, env: Mapping[str, str] | None = None) -> None:
    """Every secret the settings know: SecretStr values (the bot token, a webhook secret),
    strings whose key says secret, token, password or api_key, the values of environment
    variables named by `*_env` keys (model API keys), the webhook secret's variable, and the
    password of any URL."""
    env = os.environ if env is None else env
    for name, value in _walk(settings):
        if isinstance(value, SecretStr):
            register(value.get_secret_value(), name)
        elif name.endswith(_ENV_NAME_SUFFIX) and isinstance(value, str) and value:
            register(env.get(value), value)
        elif isinstance(value, str) and any(word in name for word in _SECRET_NAMES):
            register(value, name)  # a secret kept as a plain string (`secret_token`, `api_key`)
        elif (name == "url" or name.endswith("_url")) and isinstance(value, str):
            _register_url_password(value)
    register(env.get(WEBHOOK_SECRET_ENV_VAR), "webhook secret")


def _walk(model: BaseModel) -> Iterable[tuple[str, object]]:
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            yield from _walk(value)
        else:
            yield name, value


def _register_url_password(url: str) -> None:
    try:
        password = urlsplit(url).password
    except ValueError:  # not a URL the config would accept anyway
        return
    if password:
        register(password, "password")
        register(unquote(password), "password")


def install_excepthooks() -> None:
    """Uncaught exceptions (main thread and others) print their traceback masked."""

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        text = "".join(traceback.format_exception(kind, exc, tb))
        sys.stderr.write(mask(text))
        sys.stderr.flush()

    def thread_hook(args: Any) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else "?"
        sys.stderr.write(f"Exception in thread {name}:\n")
        hook(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = hook
    threading.excepthook = thread_hook
