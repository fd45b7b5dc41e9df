"""`interview-bot run` as an operator runs it: a real process against the fake Bot API.

A token Telegram refuses (at start-up, or revoked while the bot polls) ends the process with
exit 2 and one clear line; SIGTERM stops it promptly even while a chat is held back by flood
control and another chat's request hangs. The seconds each stop took are printed, not asserted.
"""

import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.core.services import Services
from tests.conftest import FakeClock, write_bot_settings
from tests.fake_telegram import FakeTelegram
from tests.processes import start_bot
from tests.test_e2e_daily import seed_daily, sent_per_status

EXIT_WAIT = 30.0


async def wait_exit(fake: FakeTelegram, process: subprocess.Popen[bytes], log: Path) -> float:
    """Wait (serving the fake meanwhile) for the process to end; returns the seconds it took."""
    started = time.monotonic()
    try:
        await fake.wait_for(lambda: process.poll() is not None, timeout=EXIT_WAIT)
    except AssertionError:
        process.kill()
        process.wait(timeout=10)
        raise AssertionError(f"still running after {EXIT_WAIT}s:\n{text_of(log)}") from None
    return time.monotonic() - started


def text_of(log: Path) -> str:
    return log.read_text()


def own_lines(log: Path) -> list[str]:
    """What the command itself printed (log lines have a timestamp and a level first)."""
    return [line for line in log.read_text().splitlines() if line.startswith("interview-bot: ")]


async def test_a_token_refused_at_start_up_exits_2_with_one_line(
    fake: FakeTelegram, bot_settings: Settings, tmp_path: Path
) -> None:
    fake.revoke_token()
    log = tmp_path / "bot.log"
    process = start_bot(bot_settings, log)
    seconds = await wait_exit(fake, process, log)
    print(f"\nexited {seconds:.1f}s after start")
    output = log.read_text()
    assert process.returncode == 2, output
    assert "Traceback" not in output, output
    [line] = own_lines(log)
    assert "[telegram] token: Telegram rejected this token" in line
    assert output.rstrip().endswith(line)
    assert fake.token not in output


async def test_a_token_revoked_while_polling_exits_2_with_one_line(
    fake: FakeTelegram, bot_settings: Settings, tmp_path: Path
) -> None:
    log = tmp_path / "bot.log"
    process = start_bot(bot_settings, log)
    try:
        await fake.wait_for(lambda: fake.waiting_polls >= 1 or process.poll() is not None, timeout=30)
        assert process.poll() is None, log.read_text()
        ann = fake.user(5001, "Ann")
        fake.send_text(ann, "/help")
        await fake.wait_for_messages(ann.id, 1)
    except BaseException:
        process.kill()
        raise
    # Revoked in @BotFather: the poll under way ends with an update, the next one gets 401.
    fake.revoke_token()
    fake.send_text(ann, "/help")
    seconds = await wait_exit(fake, process, log)
    print(f"\nexited {seconds:.1f}s after the token was revoked")
    output = log.read_text()
    assert process.returncode == 2, output
    assert "Traceback" not in output, output
    [line] = own_lines(log)
    assert "Telegram rejected this token" in line and "401 Unauthorized" in line
    assert output.rstrip().endswith(line)
    unauthorized = [c for c in fake.calls if c.status == 401]
    assert unauthorized and unauthorized[0].method in ("getUpdates", "sendMessage")


async def test_sigterm_stops_the_bot_while_a_chat_is_rate_limited_and_a_request_hangs(
    fake: FakeTelegram, bot_settings: Settings, tmp_path: Path
) -> None:
    log = tmp_path / "bot.log"
    process = start_bot(bot_settings, log)
    ann, bob = fake.user(5101, "Ann"), fake.user(5102, "Bob")
    try:
        await fake.wait_for(lambda: fake.waiting_polls >= 1 or process.poll() is not None, timeout=30)
        assert process.poll() is None, log.read_text()
        # Ann's chat is held back for a minute: her reply waits in the bot's queue.
        fake.flood(ann.id, 60)
        fake.send_text(ann, "/help")
        await fake.wait_for(lambda: any(c.status == 429 for c in fake.calls))
        # Bob's reply is a request Telegram never answers.
        fake.hold("sendMessage")
        fake.send_text(bob, "/help")
        await fake.wait_for(lambda: fake.held == 1)
    except BaseException:
        process.kill()
        raise
    process.send_signal(signal.SIGTERM)
    seconds = await wait_exit(fake, process, log)
    print(f"\nstopped {seconds:.1f}s after SIGTERM")
    output = log.read_text()
    assert process.returncode == 0, output
    assert "Traceback" not in output, output
    assert "SIGTERM received" in output
    # What was in flight is logged: the queued reply and the handler cut short.
    assert "still waiting out flood control; not sent" in output
    assert "cancelled while being handled" in output
    assert fake.messages(ann.id) == [] and fake.messages(bob.id) == []


async def test_sigterm_stops_the_bot_in_the_middle_of_a_sweep(
    fake: FakeTelegram, db_url: str, services: Services, clock: FakeClock, tmp_path: Path
) -> None:
    # Prompts due this very minute on the system clock, in a zone where it is about noon.
    real_now = datetime.now(UTC)
    offset = 12 - real_now.hour
    zone = ZoneInfo("Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}")
    clock.now = real_now - timedelta(days=1)  # set up yesterday: today's prompt is the first
    users = range(5200, 5230)
    await seed_daily(
        services, fake, [(c, real_now.astimezone(zone).strftime("%H:%M"), zone.key) for c in users]
    )
    settings = write_bot_settings(tmp_path, db_url, fake, "[scheduler]\ntick_seconds = 1\n")
    fake.hold("sendMessage")  # every prompt the sweep sends hangs
    log = tmp_path / "bot.log"
    process = start_bot(settings, log)
    try:
        await fake.wait_for(lambda: fake.held >= 1 or process.poll() is not None, timeout=30)
        assert process.poll() is None, text_of(log)
    except BaseException:
        process.kill()
        raise
    in_flight = fake.held
    process.send_signal(signal.SIGTERM)
    seconds = await wait_exit(fake, process, log)
    print(f"\nstopped {seconds:.1f}s after SIGTERM with {in_flight} prompt(s) in flight")
    output = text_of(log)
    assert process.returncode == 0, output
    assert "Traceback" not in output, output
    assert "the prompt sweep was cancelled" in output
    fake.drop_held()  # none of them reached Telegram
    # What was in flight stays claimed ("sending"), to go out again after the lease; nothing is lost.
    states = sent_per_status(settings)
    assert states.get("sending", 0) >= 1 and "sent" not in states, states
    assert states.get("sending", 0) + states.get("pending", 0) == len(users), states
