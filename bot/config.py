"""Settings: a TOML file read with tomllib, one validated model per section, env overrides on top.

Nothing here touches the disk or the environment at import time; `load_settings` does it all,
and every problem it finds surfaces as one `ConfigError` line naming the file and the key (the
words for pydantic's errors are shared with the question bank's, in questions.wording).
"""

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    Strict,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from questions.toml_lines import toml_error_at
from questions.wording import describe_setting_error, lower_first

CONFIG_ENV_VAR = "INTERVIEW_BOT_CONFIG"
TOKEN_ENV_VAR = "TELEGRAM_BOT_TOKEN"
DATABASE_URL_ENV_VAR = "DATABASE_URL"
WEBHOOK_SECRET_ENV_VAR = "TELEGRAM_WEBHOOK_SECRET"
DEFAULT_CONFIG_NAME = "config.toml"

MISSING_TOKEN_MESSAGE = (
    "[telegram] token: missing. Create a bot with @BotFather in Telegram (send /newbot), "
    'then put the token in config.toml under [telegram] token = "..." or set TELEGRAM_BOT_TOKEN.'
)

# Loose on purpose: Telegram has never promised the exact length of the secret half.
_TOKEN_SHAPE = re.compile(r"\d+:[A-Za-z0-9_-]{30,}")
# A scheme, a host (name, IPv4 or [IPv6]), an optional port and path; no spaces, no query.
_ENDPOINT_URL = re.compile(r"https?://(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?(?:/[^\s?#]*)?")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")

# Keys whose values never appear in an error message (a typo'd URL may carry a password too).
_SECRET_KEYS: frozenset[tuple[str, ...]] = frozenset(
    {("telegram", "token"), ("database", "url"), ("webhook", "secret_token")}
)
_ENV_OVERRIDES: tuple[tuple[str, tuple[str, str]], ...] = (
    (TOKEN_ENV_VAR, ("telegram", "token")),
    (DATABASE_URL_ENV_VAR, ("database", "url")),
    (WEBHOOK_SECRET_ENV_VAR, ("webhook", "secret_token")),
)


class ConfigError(Exception):
    """A configuration problem, described in one line that names the file and the key."""


class _Section(BaseModel):
    # strict: TOML already has real integers and strings, so "5" where 5 belongs is a mistake to report.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class TelegramSettings(_Section):
    model_config = ConfigDict(hide_input_in_errors=True)

    token: SecretStr | None = None
    base_url: str = Field("https://api.telegram.org/bot", min_length=1)
    base_file_url: str = Field("https://api.telegram.org/file/bot", min_length=1)

    @field_validator("token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        token = value.get_secret_value().strip()
        if not token:
            return None
        if not _TOKEN_SHAPE.fullmatch(token):
            # Never echo the value: a nearly-right token is still mostly a secret.
            raise ValueError(
                'does not look like a bot token (expected digits, ":", then 30 or more letters, '
                'digits, "_" or "-"); copy it again from @BotFather'
            )
        return SecretStr(token)


class DatabaseSettings(_Section):
    # A relative SQLite path is relative to the working directory: ./data/interview-bot.db.
    url: str = Field("sqlite+aiosqlite:///data/interview-bot.db", min_length=1)


class QuestionsSettings(_Section):
    # Path is lax so TOML strings convert; anything but a string is still rejected.
    paths: list[Annotated[Path, Strict(False)]] = Field(default_factory=list)

    @field_validator("paths")
    @classmethod
    def _relative_to_config_dir(cls, value: list[Path], info: ValidationInfo) -> list[Path]:
        base = info.context.get("config_dir") if isinstance(info.context, dict) else None
        paths = [path.expanduser() for path in value]
        if isinstance(base, Path):
            paths = [base / path for path in paths]
        return paths


class InterviewSettings(_Section):
    questions_per_session: int = Field(5, ge=1, le=20)
    # Ask a new user's role level (with buttons) before their first interview.
    ask_level: bool = True


class SchedulerSettings(_Section):
    # Off in all but one of several processes sharing a database (see the README): prompts are
    # sent exactly once either way, but each process paces only its own sends.
    enabled: bool = True
    default_timezone: str = "UTC"
    tick_seconds: int = Field(30, ge=1, le=3600)
    grace_minutes: int = Field(120, ge=0, le=24 * 60)
    max_reviews_per_day: int = Field(10, ge=1, le=100)
    batch_size: int = Field(50, ge=1, le=1000)

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Europe/Berlin") from None
        return value


# What Telegram accepts as a webhook's secret_token.
_WEBHOOK_SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,256}")
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class WebhookSettings(_Section):
    """`interview-bot run --webhook`: where the bot listens, and what Telegram is told."""

    model_config = ConfigDict(hide_input_in_errors=True)

    listen: str = Field("127.0.0.1", min_length=1)
    port: int = Field(8443, ge=1, le=65535)
    url_path: str = "/telegram"
    public_url: str | None = None
    secret_token: SecretStr | None = None

    @field_validator("url_path")
    @classmethod
    def _path_shape(cls, value: str) -> str:
        if not value.startswith("/") or any(c in value for c in "?# ") or "//" in value:
            raise ValueError(f'expected a path such as "/telegram", got "{value}"')
        return value.rstrip("/") or "/"

    @field_validator("public_url")
    @classmethod
    def _https_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        parts = urlsplit(value)
        local = parts.scheme == "http" and (parts.hostname or "") in _LOCAL_HOSTS
        if parts.scheme != "https" and not local:
            raise ValueError(
                f'expected an https:// URL such as "https://bot.example.com" (Telegram posts '
                f'updates only over HTTPS), got "{value}"'
            )
        if not parts.hostname or parts.query or parts.fragment:
            raise ValueError(f'expected a URL such as "https://bot.example.com", got "{value}"')
        return value.rstrip("/")

    @field_validator("secret_token")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        secret = value.get_secret_value().strip()
        if not _WEBHOOK_SECRET_SHAPE.fullmatch(secret):
            # Never echo the value.
            raise ValueError(
                'must be 1 to 256 characters, each a letter A-Z or a-z, a digit, "_" or "-" '
                "(as Telegram requires)"
            )
        return SecretStr(secret)

    @property
    def webhook_url(self) -> str:
        """The URL Telegram posts to: public_url followed by url_path."""
        assert self.public_url is not None
        return self.public_url + ("" if self.url_path == "/" else self.url_path)


class LoggingSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Off: library records that can carry names, texts and answers are dropped (bot/logs.py).
    include_user_content: bool = False


def _endpoint_url(value: str | None) -> str | None:
    """An http(s) base URL without a trailing slash ("/audio/transcriptions" is appended)."""
    if value is None or not value.strip():
        return None
    url = value.strip().rstrip("/")
    if not _ENDPOINT_URL.fullmatch(url):
        raise ValueError(
            "expected an http:// or https:// URL such as http://127.0.0.1:8080/v1 "
            "(the part before /audio/transcriptions or /chat/completions)"
        )
    return url


def _env_var_name(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    if not _ENV_NAME.fullmatch(value):
        raise ValueError(
            "expected the name of an environment variable (letters, digits, _), not the key itself"
        )
    return value


class SpeechSettings(_Section):
    """An OpenAI-compatible transcription endpoint; without base_url voice answers are refused."""

    base_url: str | None = None
    model: str = Field("whisper-1", min_length=1, max_length=200)
    # The NAME of the variable holding the key, never the key: config files get shared.
    api_key_env: str | None = None
    max_seconds: int = Field(300, ge=1, le=3600)
    timeout_seconds: int = Field(60, ge=1, le=600)

    check_url = field_validator("base_url")(_endpoint_url)
    check_key = field_validator("api_key_env")(_env_var_name)

    @property
    def configured(self) -> bool:
        return self.base_url is not None


class LlmSettings(_Section):
    """An OpenAI-compatible chat endpoint for the optional deeper review."""

    base_url: str | None = None
    model: str = Field("gpt-4o-mini", min_length=1, max_length=200)
    api_key_env: str | None = None
    timeout_seconds: int = Field(30, ge=1, le=600)
    enabled_for: Literal["all", "allowlist"] = "all"
    # Telegram user ids (numbers, as @userinfobot shows them) allowed when enabled_for = "allowlist".
    allow_user_ids: list[int] = Field(default_factory=list)
    max_reviews_per_day: int = Field(20, ge=1, le=10_000)

    check_url = field_validator("base_url")(_endpoint_url)
    check_key = field_validator("api_key_env")(_env_var_name)

    @property
    def configured(self) -> bool:
        return self.base_url is not None


class HealthSettings(_Section):
    # Off unless a port is given; 0 takes any free port (the start-up log names it).
    port: int | None = Field(None, ge=0, le=65535)
    listen: str = Field("127.0.0.1", min_length=1)
    # /healthz turns 503 once getting updates has failed for longer than this.
    max_polling_outage_seconds: int = Field(120, ge=1, le=24 * 3600)


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, hide_input_in_errors=True)

    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    questions: QuestionsSettings = Field(default_factory=QuestionsSettings)
    interview: InterviewSettings = Field(default_factory=InterviewSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    webhook: WebhookSettings = Field(default_factory=WebhookSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    speech: SpeechSettings = Field(default_factory=SpeechSettings)
    llm: LlmSettings = Field(default_factory=LlmSettings)
    health: HealthSettings = Field(default_factory=HealthSettings)

    _source: Path | None = PrivateAttr(default=None)

    @property
    def source(self) -> Path | None:
        """The file these settings were read from; None when running on defaults."""
        return self._source

    def require_token(self) -> str:
        token = self.telegram.token
        value = token.get_secret_value() if token is not None else ""
        if not value.strip():
            raise ConfigError(MISSING_TOKEN_MESSAGE)
        return value

    def require_webhook(self) -> tuple[str, str]:
        """The webhook's URL and secret for `run --webhook`; ConfigError when one is missing."""
        hook = self.webhook
        if hook.public_url is None:
            raise ConfigError(
                "[webhook] public_url: missing; --webhook needs the https:// address Telegram "
                'posts to, e.g. public_url = "https://bot.example.com"'
            )
        secret = hook.secret_token.get_secret_value() if hook.secret_token is not None else ""
        if not secret:
            raise ConfigError(
                f"[webhook] secret_token: missing; --webhook needs one (1-256 characters of "
                f"A-Z a-z 0-9 _ -) in the config file or {WEBHOOK_SECRET_ENV_VAR}"
            )
        return hook.webhook_url, secret


def find_config_path(cli_path: Path | None, env: Mapping[str, str], cwd: Path) -> Path | None:
    """`--config PATH`, else $INTERVIEW_BOT_CONFIG, else ./config.toml if present, else None."""
    if cli_path is not None:
        return _explicit_path(cli_path, cwd, origin="")
    from_env = env.get(CONFIG_ENV_VAR, "")
    if from_env:
        return _explicit_path(Path(from_env), cwd, origin=f" (set by {CONFIG_ENV_VAR})")
    default = cwd / DEFAULT_CONFIG_NAME
    return default if default.exists() else None


def load_settings(
    cli_path: Path | None = None, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Settings:
    """Find and read the config file, apply env overrides, validate. Raises ConfigError."""
    env = os.environ if env is None else env
    cwd = Path.cwd() if cwd is None else cwd
    path = find_config_path(cli_path, env, cwd)
    name = _display_name(path, cwd) if path is not None else None
    data = _read_toml(path, name) if path is not None and name is not None else {}

    overridden: dict[tuple[str, ...], str] = {}
    for var, (section, key) in _ENV_OVERRIDES:
        value = env.get(var, "")
        # An empty variable counts as unset, so `TELEGRAM_BOT_TOKEN= ...` can't blank the file's token.
        if not value:
            continue
        table = data.setdefault(section, {})
        if isinstance(table, dict):  # otherwise validation reports the bad section below
            table[key] = value
            overridden[(section, key)] = var

    context = {"config_dir": path.parent} if path is not None else {}
    try:
        settings = Settings.model_validate(data, context=context)
    except ValidationError as exc:
        # `from None`: the chained ValidationError would print the raw input, token included.
        raise ConfigError(_describe(exc, name, overridden)) from None
    settings._source = path
    return settings


def _explicit_path(path: Path, cwd: Path, origin: str) -> Path:
    full = cwd / path.expanduser()
    if not full.exists():
        raise ConfigError(f"{_display_name(full, cwd)}: file not found{origin}")
    return full


def _display_name(path: Path, cwd: Path) -> str:
    try:
        return str(path.relative_to(cwd))
    except ValueError:
        return str(path)


def _read_toml(path: Path, name: str) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read: {exc.strerror or exc}") from exc
    try:
        # utf-8-sig: Windows editors like to add a BOM, which TOML otherwise rejects as garbage.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{name}: not UTF-8 text (bad byte at offset {exc.start})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_describe_toml_error(str(exc), text, name)) from None


def _describe_toml_error(message: str, text: str, name: str) -> str:
    at = toml_error_at(message)
    if at.line is not None:
        line, where = at.line, f" (column {at.column})"
    else:
        line, where = text.count("\n") + 1, " (at end of file)"
    return f"{name}: line {line}: invalid TOML: {lower_first(at.message)}{where}"


def _describe(exc: ValidationError, name: str | None, overridden: Mapping[tuple[str, ...], str]) -> str:
    error = exc.errors(include_url=False)[0]
    loc = tuple(str(part) for part in error["loc"])
    where = _describe_loc(error["loc"])
    problem = describe_setting_error(error, hide_value=_is_secret(loc))
    if error["type"] == "extra_forbidden" and len(loc) == 1:
        if isinstance(error["input"], dict):
            where, problem = f"[{loc[0]}]", "unknown section"
        else:
            where = loc[0]
            problem = "unknown key at the top level (settings belong under a section such as [telegram])"
    prefix = name
    for key, var in overridden.items():
        if loc[: len(key)] == key:
            prefix = f"{var} (environment)"
    line = f"{where}: {problem}"
    return f"{prefix}: {line}" if prefix else line


def _describe_loc(loc: tuple[int | str, ...]) -> str:
    if len(loc) == 1:
        return f"[{loc[0]}]"
    key = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc[1:])
    return f"[{loc[0]}] {key.removeprefix('.')}"


def _is_secret(loc: tuple[str, ...]) -> bool:
    # A prefix counts too: `telegram = "123:AA..."` puts the token where a table belongs.
    return any(loc == secret[: len(loc)] or secret == loc[: len(secret)] for secret in _SECRET_KEYS)
