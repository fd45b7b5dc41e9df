"""Updates by webhook: `run --webhook`, the secret header, `webhook delete`, the [webhook] section.

The real Application runs PTB's webhook server on 127.0.0.1; the fake Bot API posts updates to
it as Telegram does (with the secret the bot gave setWebhook), and tests post their own with a
wrong or missing secret, as anyone who finds the address could.
"""

import os
import random
import signal
import socket
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select
from telegram import Bot

from bot.__main__ import main
from bot.config import ConfigError, Settings, load_settings
from bot.core.services import Services
from bot.core.srs import SpacedRepetition
from bot.tg.app import ALLOWED_UPDATES, BotApplication, build_application
from bot.tg.webhook import Webhook, start_webhook
from questions.loader import QuestionBank
from storage.db import Database
from storage.models import Answer, InboxUpdate, InterviewSession, User
from tests.conftest import FakeClock, http_client, running_bot, write_bot_settings
from tests.fake_telegram import FakeTelegram
from tests.processes import start_bot
from tests.test_run_exit import own_lines, text_of, wait_exit

SECRET = "s3cret_for-the_TESTS"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def webhook_toml(port: int, secret: str | None = SECRET, extra: str = "") -> str:
    text = f'[webhook]\nport = {port}\npublic_url = "http://127.0.0.1:{port}"\n'
    if secret is not None:
        text += f'secret_token = "{secret}"\n'
    return text + extra


@asynccontextmanager
async def webhook_bot(
    settings: Settings, bank: QuestionBank, clock: FakeClock
) -> AsyncIterator[BotApplication]:
    """The real Application receiving updates by webhook, started and stopped as `serve` does."""
    services = Services(
        settings,
        Database(settings.database.url),
        bank,
        clock,
        random.Random(3),
        SpacedRepetition(enable_fuzzing=False),
    )
    app = build_application(services, settings.require_token(), requests=(http_client(256), http_client(1)))
    await app.initialize()
    assert app.updater is not None
    await start_webhook(app.updater, ALLOWED_UPDATES, Webhook.from_settings(settings))
    await app.start()
    try:
        yield app
    finally:
        if app.updater.running:
            await app.updater.stop()
        await app.stop()
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)


@pytest.fixture
def hook_settings(tmp_path: Path, db_url: str, fake: FakeTelegram) -> Settings:
    return write_bot_settings(tmp_path, db_url, fake, webhook_toml(free_port()))


async def count(db_url: str, model: type) -> int:
    db = Database(db_url)
    try:
        async with db.engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(model))).scalar_one())
    finally:
        await db.dispose()


# --- the webhook end to end -------------------------------------------------------------------


async def test_start_sets_the_webhook_with_the_secret_and_the_allowed_updates(
    fake: FakeTelegram, hook_settings: Settings, bank: QuestionBank, clock: FakeClock
) -> None:
    async with webhook_bot(hook_settings, bank, clock):
        hook = fake.webhook
        assert hook is not None
        assert hook.url == f"http://127.0.0.1:{hook_settings.webhook.port}/telegram"
        assert hook.secret_token == SECRET
        assert hook.allowed_updates == ALLOWED_UPDATES
        assert fake.calls_to("getUpdates") == []
    # Stopping one process leaves the webhook to the others.
    assert fake.webhook is not None


async def test_updates_posted_with_the_secret_are_handled_and_answered(
    fake: FakeTelegram, hook_settings: Settings, bank: QuestionBank, clock: FakeClock, db_url: str
) -> None:
    async with webhook_bot(hook_settings, bank, clock):
        ann = fake.user(7001, "Ann")
        fake.send_command(ann, "/interview")
        await fake.wait_for_messages(ann.id, 1)
        fake.send_text(ann, "I would agree the scope, the risks and the stakeholders with the sponsor first.")
        await fake.wait_for_messages(ann.id, 2)
        await fake.wait_for(lambda: fake.pending_updates() == 0)
    assert [d.status for d in fake.webhook_deliveries] == [200, 200]
    assert all(d.secret == SECRET for d in fake.webhook_deliveries)
    assert await count(db_url, InterviewSession) == 1
    assert await count(db_url, Answer) == 1


async def inbox_rows(db_url: str) -> dict[int, bool]:
    """Update id -> handled, as recorded in the inbox."""
    db = Database(db_url)
    try:
        async with db.engine.connect() as conn:
            rows = (await conn.execute(select(InboxUpdate.update_id, InboxUpdate.handled_at))).all()
    finally:
        await db.dispose()
    return {update_id: handled is not None for update_id, handled in rows}


async def test_an_update_is_in_the_inbox_before_telegram_gets_its_200(
    fake: FakeTelegram, hook_settings: Settings, bank: QuestionBank, clock: FakeClock, db_url: str
) -> None:
    async with webhook_bot(hook_settings, bank, clock):
        ann = fake.user(7002, "Ann")
        update = fake.text_update(ann, "/help")
        # Telegram counts the update delivered at the 200: by then it must survive a crash.
        assert await fake.post_update(update, secret=SECRET) == 200
        assert update["update_id"] in await inbox_rows(db_url)
        await fake.wait_for_messages(ann.id, 1)
    assert (await inbox_rows(db_url))[update["update_id"]] is True  # handled, then marked


async def test_a_copy_telegram_sends_again_is_answered_200_and_handled_once(
    fake: FakeTelegram, hook_settings: Settings, bank: QuestionBank, clock: FakeClock
) -> None:
    async with webhook_bot(hook_settings, bank, clock):
        ann = fake.user(7003, "Ann")
        update = fake.text_update(ann, "/help")
        assert await fake.post_update(update, secret=SECRET) == 200
        await fake.wait_for_messages(ann.id, 1)
        assert await fake.post_update(update, secret=SECRET) == 200
        later = fake.text_update(ann, "/settings")
        assert await fake.post_update(later, secret=SECRET) == 200
        await fake.wait_for_messages(ann.id, 2)
    texts = [m.text for m in fake.messages(ann.id)]
    assert len(texts) == 2, texts  # /help once, then /settings
    assert "Settings" in texts[1]


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", SECRET[:-1]])
async def test_updates_without_the_right_secret_get_403_and_are_never_processed(
    fake: FakeTelegram,
    hook_settings: Settings,
    bank: QuestionBank,
    clock: FakeClock,
    db_url: str,
    secret: str | None,
) -> None:
    async with webhook_bot(hook_settings, bank, clock):
        ann = fake.user(7002, "Ann")
        assert await fake.post_update(fake.text_update(ann, "/interview"), secret=secret) == 403
        assert await fake.post_update(fake.text_update(ann, "/start"), secret=secret) == 403
        # One chat's updates are handled in order: once /help is answered, the two before it
        # would have been handled too, had they been let in.
        assert await fake.post_update(fake.text_update(ann, "/help"), secret=SECRET) == 200
        [reply] = await fake.wait_for_messages(ann.id, 1)
    assert "/interview" in reply.text  # the help text
    assert fake.messages(ann.id) == [reply]
    assert await count(db_url, InterviewSession) == 0
    assert await count(db_url, User) <= 1  # /help may note the user; /start and /interview did nothing


async def test_other_paths_are_not_the_webhook(
    fake: FakeTelegram, hook_settings: Settings, bank: QuestionBank, clock: FakeClock
) -> None:
    async with webhook_bot(hook_settings, bank, clock):
        ann = fake.user(7003, "Ann")
        url = f"http://127.0.0.1:{hook_settings.webhook.port}/other"
        assert await fake.post_update(fake.text_update(ann, "/help"), secret=SECRET, url=url) == 404
    assert fake.messages(ann.id) == []


async def test_polling_start_up_deletes_a_webhook_left_behind(
    fake: FakeTelegram, bot_settings: Settings, bank: QuestionBank, clock: FakeClock
) -> None:
    async with Bot(fake.token, base_url=fake.base_url) as bot:
        await bot.set_webhook("https://bot.example.com/telegram", secret_token=SECRET)
    async with running_bot(bot_settings, bank, clock):
        ann = fake.user(7004, "Ann")
        fake.send_command(ann, "/help")
        await fake.wait_for_messages(ann.id, 1)
    assert fake.webhook is None
    assert fake.calls_to("deleteWebhook")


async def test_the_sweep_can_be_turned_off_in_a_process(
    tmp_path: Path, db_url: str, fake: FakeTelegram, bank: QuestionBank, clock: FakeClock
) -> None:
    settings = write_bot_settings(tmp_path, db_url, fake, "[scheduler]\nenabled = false\n")
    async with running_bot(settings, bank, clock) as app:
        assert app.job_queue is not None
        assert app.job_queue.get_jobs_by_name("prompt-sweep") == ()
    async with running_bot(write_bot_settings(tmp_path, db_url, fake), bank, clock) as app:
        assert app.job_queue is not None
        assert len(app.job_queue.get_jobs_by_name("prompt-sweep")) == 1


# --- the command line -------------------------------------------------------------------------


def start_cli(settings: Settings, log: Path, *args: str) -> subprocess.Popen[bytes]:
    return start_bot(settings, log, *args)


async def started(fake: FakeTelegram, process: subprocess.Popen[bytes], log: Path) -> None:
    try:
        await fake.wait_for(lambda: fake.webhook is not None or process.poll() is not None, timeout=30)
    except BaseException:
        process.kill()
        raise
    assert process.poll() is None, text_of(log)


async def test_run_webhook_answers_and_stops_on_sigterm(
    fake: FakeTelegram, hook_settings: Settings, tmp_path: Path
) -> None:
    log = tmp_path / "bot.log"
    process = start_cli(hook_settings, log, "run", "--webhook")
    await started(fake, process, log)
    ann = fake.user(7101, "Ann")
    fake.send_command(ann, "/help")
    try:
        await fake.wait_for_messages(ann.id, 1, timeout=30)
    except BaseException:
        process.kill()
        raise
    process.send_signal(signal.SIGTERM)
    seconds = await wait_exit(fake, process, log)
    print(f"\nstopped {seconds:.1f}s after SIGTERM")
    output = log.read_text()
    assert process.returncode == 0, output
    assert "Traceback" not in output, output
    assert SECRET not in output and fake.token not in output
    assert fake.calls_to("getUpdates") == []
    # 0: posted before the server listened (setWebhook comes first), and posted again, as Telegram does.
    assert [d.status for d in fake.webhook_deliveries if d.status] == [200]


async def test_run_webhook_exits_2_when_the_token_is_revoked(
    fake: FakeTelegram, hook_settings: Settings, tmp_path: Path
) -> None:
    log = tmp_path / "bot.log"
    process = start_cli(hook_settings, log, "run", "--webhook")
    await started(fake, process, log)
    fake.revoke_token()
    fake.send_command(fake.user(7102, "Ann"), "/help")
    await wait_exit(fake, process, log)
    output = log.read_text()
    assert process.returncode == 2, output
    assert "Traceback" not in output, output
    [line] = own_lines(log)
    assert "Telegram rejected this token" in line and "401 Unauthorized" in line


async def test_run_webhook_on_a_taken_port_is_one_line_and_exit_2(
    fake: FakeTelegram, hook_settings: Settings, tmp_path: Path
) -> None:
    log = tmp_path / "bot.log"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", hook_settings.webhook.port))
        taken.listen()
        process = start_cli(hook_settings, log, "run", "--webhook")
        await wait_exit(fake, process, log)
    output = log.read_text()
    assert process.returncode == 2, output
    assert "Traceback" not in output, output
    [line] = own_lines(log)
    assert line.startswith(
        f"interview-bot: [webhook] port: cannot listen on 127.0.0.1:{hook_settings.webhook.port}"
    )


async def test_webhook_delete_removes_the_webhook(
    fake: FakeTelegram, bot_settings: Settings, tmp_path: Path
) -> None:
    async with Bot(fake.token, base_url=fake.base_url) as bot:
        await bot.set_webhook("https://bot.example.com/telegram", secret_token=SECRET)
    log = tmp_path / "cli.log"
    process = start_cli(bot_settings, log, "webhook", "delete")
    await wait_exit(fake, process, log)
    assert process.returncode == 0, log.read_text()
    assert fake.webhook is None
    assert [c.response_ok for c in fake.calls_to("deleteWebhook")] == [True]
    assert "Webhook deleted (it was https://bot.example.com/telegram)." in log.read_text()
    process = start_cli(bot_settings, log, "webhook", "delete")
    await wait_exit(fake, process, log)
    assert process.returncode == 0 and "No webhook was set." in log.read_text()


# --- the [webhook] section --------------------------------------------------------------------


def load(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> Settings:
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    return load_settings(config, env or {}, tmp_path)


def error(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text, env)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_defaults(tmp_path: Path) -> None:
    hook = load(tmp_path, "").webhook
    assert (hook.listen, hook.port, hook.url_path, hook.public_url, hook.secret_token) == (
        "127.0.0.1",
        8443,
        "/telegram",
        None,
        None,
    )


def test_webhook_url_is_the_public_url_and_the_path(tmp_path: Path) -> None:
    settings = load(
        tmp_path,
        '[webhook]\npublic_url = "https://bot.example.com/"\nurl_path = "/tg/hook"\nsecret_token = "a"\n',
    )
    assert settings.require_webhook() == ("https://bot.example.com/tg/hook", "a")


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://bot.example.com", True),
        ("https://bot.example.com:8443/base", True),
        ("http://127.0.0.1:8443", True),
        ("http://localhost", True),
        ("http://bot.example.com", False),
        ("ftp://bot.example.com", False),
        ("bot.example.com", False),
        ("https://", False),
        ("https://bot.example.com/?a=1", False),
    ],
)
def test_public_url_must_be_https_except_on_this_machine(tmp_path: Path, url: str, ok: bool) -> None:
    text = f'[webhook]\npublic_url = "{url}"\n'
    if ok:
        assert load(tmp_path, text).webhook.public_url == url.rstrip("/")
    else:
        assert error(tmp_path, text).startswith("config.toml: [webhook] public_url: expected")


@pytest.mark.parametrize("secret", ["has space", "ümlaut", "a" * 257, "semi;colon"])
def test_secret_token_must_be_what_telegram_accepts_and_is_never_shown(tmp_path: Path, secret: str) -> None:
    message = error(tmp_path, f'[webhook]\nsecret_token = "{secret}"\n')
    assert message.startswith("config.toml: [webhook] secret_token: must be 1 to 256 characters")
    assert secret not in message


def test_a_secret_token_of_the_wrong_type_is_not_shown_either(tmp_path: Path) -> None:
    message = error(tmp_path, "[webhook]\nsecret_token = 987654321\n")
    assert message.startswith("config.toml: [webhook] secret_token: expected")
    assert "987654321" not in message


def test_secret_token_from_the_environment_wins(tmp_path: Path) -> None:
    text = '[webhook]\npublic_url = "https://bot.example.com"\nsecret_token = "from_file"\n'
    settings = load(tmp_path, text, {"TELEGRAM_WEBHOOK_SECRET": "from_env"})
    assert settings.require_webhook()[1] == "from_env"
    message = error(tmp_path, text, {"TELEGRAM_WEBHOOK_SECRET": "bad secret"})
    assert message.startswith("TELEGRAM_WEBHOOK_SECRET (environment): [webhook] secret_token:")
    assert "bad secret" not in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("port = 0", "[webhook] port: must be at least 1"),
        ("port = 70000", "[webhook] port: must be at most 65535"),
        ('port = "8443"', "[webhook] port: expected"),
        ('url_path = "telegram"', '[webhook] url_path: expected a path such as "/telegram"'),
        ('listen = ""', "[webhook] listen: must not be empty"),
        ("lisen = 1", "[webhook] lisen: unknown key"),
    ],
)
def test_bad_values_are_one_line(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in error(tmp_path, f"[webhook]\n{text}\n")


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('secret_token = "abc"', "[webhook] public_url: missing"),
        ('public_url = "https://bot.example.com"', "[webhook] secret_token: missing"),
    ],
)
def test_run_webhook_without_url_or_secret_exits_2_with_one_line(
    tmp_path: Path,
    fake: FakeTelegram,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    toml: str,
    expected: str,
) -> None:
    settings = write_bot_settings(tmp_path, db_url, fake, f"[webhook]\n{toml}\n")
    assert settings.source is not None
    env_before = os.environ.pop("TELEGRAM_WEBHOOK_SECRET", None)
    try:
        assert main(["run", "--webhook", "--config", str(settings.source)]) == 2
    finally:
        if env_before is not None:
            os.environ["TELEGRAM_WEBHOOK_SECRET"] = env_before
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"interview-bot: {expected}")
    assert fake.calls == []
