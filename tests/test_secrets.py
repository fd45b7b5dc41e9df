"""No secret in any output, whatever a server in between answers.

A proxy or a wrong `base_url` may answer with an HTML error page quoting the requested URL,
the token in it (as-is and percent-encoded). `interview-bot run` is started against the fake
Bot API answering so, and its whole output (the one-line start-up error, the logs with their
tracebacks at DEBUG) must never show the token, its secret half or an encoding of either.
The registry behind it (bot/redact.py) is tested in-process on the other secrets it knows.
"""

import logging
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from pydantic import BaseModel

from bot import redact
from bot.__main__ import _fail
from bot.config import Settings, load_settings
from bot.logs import configure_logging
from tests.conftest import write_bot_settings
from tests.fake_telegram import FakeTelegram
from tests.processes import start_bot
from tests.test_operator_output import stop, wait_running
from tests.test_run_exit import own_lines, text_of, wait_exit

WEBHOOK_SECRET = "webhook-secret-never-shown-0123456789"


def leaks(output: str, token: str) -> list[str]:
    """Every spelling of the token (or its secret half) found in `output`."""
    half = token.split(":", 1)[1]
    encoded = quote(token, safe="")
    spellings = {token, half, encoded, encoded.replace("%3A", "%3a"), WEBHOOK_SECRET}
    return [s for s in spellings if s in output]


def start(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    """`interview-bot run`, with a webhook secret in the environment."""
    return start_bot(settings, log, env={"TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET})


async def test_an_echoing_502_at_start_up_gives_one_line_without_the_token(
    fake: FakeTelegram, bot_settings: Settings, tmp_path: Path
) -> None:
    # getMe works; deleteWebhook (polling's first step) gets a proxy's 502 page quoting the URL.
    fake.fail_next("deleteWebhook", 1, status=502, html=True)
    log = tmp_path / "bot.log"
    process = start(bot_settings, log)
    await wait_exit(fake, process, log)
    output = text_of(log)
    assert process.returncode == 2, output
    [line] = own_lines(log)
    assert line.startswith(f"interview-bot: cannot reach the Telegram Bot API at {fake.base_url}: ")
    assert "Bad Gateway (502)" in line
    # The page was echoed into the error, the token masked in both of its spellings.
    assert "/bot[token]/deleteWebhook" in line, line
    assert output.rstrip().endswith(line)
    assert "Traceback" not in output, output
    assert leaks(output, fake.token) == [], output


async def test_a_proxy_refusing_every_request_gives_one_line_without_the_token(
    fake: FakeTelegram, bot_settings: Settings, tmp_path: Path
) -> None:
    fake.proxy_errors(403)
    log = tmp_path / "bot.log"
    process = start(bot_settings, log)
    await wait_exit(fake, process, log)
    output = text_of(log)
    assert process.returncode == 2, output
    [line] = own_lines(log)
    assert "refused to start the bot: Forbidden (403)" in line, line
    assert "[token]" in line
    assert "Traceback" not in output, output
    assert leaks(output, fake.token) == [], output


async def test_echoed_urls_are_masked_in_logs_and_tracebacks_at_debug(
    fake: FakeTelegram, db_url: str, tmp_path: Path
) -> None:
    settings = write_bot_settings(tmp_path, db_url, fake, '[logging]\nlevel = "DEBUG"\n')
    log = tmp_path / "bot.log"
    process = start(settings, log)
    await wait_running(fake, process, log)
    ann = fake.user(8001, "Ann")
    try:
        # A poll and a reply both get a proxy's page quoting the URL: 502, then 403.
        fake.fail_next("getUpdates", 1, status=502, html=True)
        fake.fail_next("sendMessage", 1, status=403, html=True)
        fake.send_command(ann, "/help")
        await fake.wait_for(lambda: any(c.status == 502 for c in fake.calls_to("getUpdates")))
        await fake.wait_for(lambda: any(c.status == 403 for c in fake.calls_to("sendMessage")))
        fake.send_command(ann, "/help")
        await fake.wait_for_messages(ann.id, 1, timeout=20)
    except BaseException:
        process.kill()
        raise
    output = await stop(fake, process, log)
    assert "Traceback" in output and "telegram.error.NetworkError: Bad Gateway (502)" in output
    assert "/bot[token]/getUpdates" in output and "/bot[token]/sendMessage" in output
    assert leaks(output, fake.token) == [], output


# --- the registry itself -----------------------------------------------------------------------


@pytest.fixture
def registry() -> Iterator[None]:
    yield
    redact.REGISTRY.clear()


class _Voice(BaseModel):
    api_key_env: str | None = None


class _Webhook(BaseModel):
    secret_token: str | None = None


class _WithKeys(BaseModel):
    telegram: Settings
    voice: _Voice
    webhook: _Webhook


TOKEN = "123456789:AAH-secret_half_of_the_token_0123456789"


@pytest.mark.usefixtures("registry")
def test_every_secret_the_config_names_is_masked_in_every_spelling(tmp_path: Path) -> None:
    settings = load_settings(
        None,
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "DATABASE_URL": "postgresql+asyncpg://bot:p%40ss-word-9@db/bot",
        },
        tmp_path,
    )
    env = {"MY_MODEL_KEY": "sk-model-key-abcdef123456", "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET}
    config = _WithKeys(
        telegram=settings,
        voice=_Voice(api_key_env="MY_MODEL_KEY"),
        webhook=_Webhook(secret_token="file-webhook-secret-42"),
    )
    redact.register_settings(config, env)
    half = TOKEN.split(":", 1)[1]
    cases = {
        f"https://api.telegram.org/bot{TOKEN}/getMe": "https://api.telegram.org/bot[token]/getMe",
        f"/bot{quote(TOKEN, safe='')}/getMe": "/bot[token]/getMe",
        f"/bot{quote(quote(TOKEN, safe=''), safe='')}/x": "/bot[token]/x",
        f"123456789%3a{TOKEN.split(':')[1]}": "[token]",
        f"bot id 123456789, key {half}": "bot id 123456789, key [token]",
        f"b'<p>{TOKEN}</p>'": "b'<p>[token]</p>'",
        "Authorization: Bearer sk-model-key-abcdef123456": "Authorization: Bearer [MY_MODEL_KEY]",
        f"Secret-Token: {WEBHOOK_SECRET}": "Secret-Token: [webhook secret]",
        "password p%40ss-word-9 or p@ss-word-9": "password [password] or [password]",
        "header file-webhook-secret-42": "header [secret_token]",
    }
    for text, masked in cases.items():
        assert redact.mask(text) == masked


@pytest.mark.usefixtures("registry")
def test_short_values_are_not_masked() -> None:
    redact.register("abc")
    assert redact.mask("abc abcdef") == "abc abcdef"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name in ("httpx", "httpcore", "apscheduler", "alembic.runtime.plugins"):
        logging.getLogger(name).setLevel(logging.NOTSET)


@pytest.mark.usefixtures("registry", "restore_logging")
def test_log_records_and_printed_errors_are_masked_at_every_level(capsys: pytest.CaptureFixture[str]) -> None:
    redact.register(TOKEN)
    configure_logging("DEBUG")
    log = logging.getLogger("bot.test")
    try:
        try:
            raise OSError(f"while fetching /bot{quote(TOKEN, safe='')}/getMe")
        except OSError as inner:
            raise RuntimeError(f"request to /bot{TOKEN}/getMe failed") from inner
    except RuntimeError:
        for level in (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR):
            log.log(level, "calling %s", f"/bot{TOKEN}/getMe", exc_info=True, stack_info=True)
    _fail(f"cannot reach /bot{TOKEN}/getMe", 2)
    err = capsys.readouterr().err
    assert err.count("calling /bot[token]/getMe") == 4
    assert err.count("RuntimeError: request to /bot[token]/getMe failed") == 4
    assert err.count("OSError: while fetching /bot[token]/getMe") == 4
    assert "interview-bot: cannot reach /bot[token]/getMe" in err
    assert leaks(err, TOKEN) == []
