"""What an operator reads from `interview-bot run`: a real process against the fake Bot API.

One INFO line says who is running where; Telegram unreachable at start-up ends in one line
and exit 2; an outage while polling is one WARNING, and one INFO when it is over, with no
traceback (those show at DEBUG only).
"""

import re
import signal
import socket
import subprocess
from pathlib import Path

from bot.config import Settings, load_settings
from tests.conftest import write_bot_settings
from tests.fake_telegram import FakeTelegram
from tests.processes import start_bot
from tests.test_run_exit import own_lines, text_of, wait_exit


async def wait_running(fake: FakeTelegram, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until the bot polls (it has logged its start-up line by then)."""
    try:
        await fake.wait_for(lambda: fake.waiting_polls >= 1 or process.poll() is not None, timeout=30)
        assert process.poll() is None, text_of(log)
        await fake.wait_for(lambda: "running as @" in log.read_text(), timeout=10)
    except BaseException:
        process.kill()
        raise


async def stop(fake: FakeTelegram, process: subprocess.Popen[bytes], log: Path) -> str:
    process.send_signal(signal.SIGTERM)
    await wait_exit(fake, process, log)
    output = text_of(log)
    assert process.returncode == 0, output
    return output


def lines_with(output: str, level: str, fragment: str) -> list[str]:
    return [line for line in output.splitlines() if f" {level} " in line and fragment in line]


async def test_start_up_logs_one_line_with_the_bot_the_database_and_the_mode(
    fake: FakeTelegram, bot_settings: Settings, db_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "bot.log"
    process = start_bot(bot_settings, log)
    await wait_running(fake, process, log)
    output = await stop(fake, process, log)
    [line] = lines_with(output, "INFO", "running as @")
    assert f"running as @{fake.bot_username};" in line
    assert f"database {db_url};" in line
    assert line.endswith("; mode polling")  # no health endpoint unless [health] port is set
    assert "Traceback" not in output


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_telegram_unreachable_at_start_up_exits_2_with_one_line(
    fake: FakeTelegram, db_url: str, tmp_path: Path
) -> None:
    # Nothing listens there: every attempt is refused (five attempts, 15 s of back-off).
    base_url = f"http://127.0.0.1:{closed_port()}/bot"
    config = tmp_path / "config.toml"
    config.write_text(
        f'[telegram]\ntoken = "{fake.token}"\nbase_url = "{base_url}"\n\n[database]\nurl = "{db_url}"\n',
        encoding="utf-8",
    )
    settings = load_settings(config, {}, tmp_path)
    log = tmp_path / "bot.log"
    process = start_bot(settings, log)
    await wait_exit(fake, process, log)
    output = log.read_text()
    assert process.returncode == 2, output
    assert "Traceback" not in output, output
    [line] = own_lines(log)
    assert line.startswith(f"interview-bot: cannot reach the Telegram Bot API at {base_url}: ")
    assert output.rstrip().endswith(line)
    # The attempts before it are warnings of one line each, saying when the next one comes.
    attempts = lines_with(output, "WARNING", "cannot reach the Bot API (attempt")
    assert len(attempts) == 4, output
    assert "next in 1s" in attempts[0] and "next in 8s" in attempts[-1]
    assert " ERROR " not in output, output
    assert fake.token not in output


async def test_an_outage_while_polling_is_one_warning_and_one_info_when_it_is_over(
    fake: FakeTelegram, bot_settings: Settings, tmp_path: Path
) -> None:
    log = tmp_path / "bot.log"
    process = start_bot(bot_settings, log)
    await wait_running(fake, process, log)
    ann = fake.user(6001, "Ann")
    try:
        # Three getUpdates in a row answer 502: PTB retries after 1, 1.5 and 2.25 s.
        fake.fail_next("getUpdates", 3, status=502)
        fake.send_text(ann, "/help")  # ends the poll under way; the next ones fail
        await fake.wait_for(lambda: len([c for c in fake.calls_to("getUpdates") if c.status == 502]) == 3)
        fake.send_text(ann, "/help")  # answers the long poll that followed them
        await fake.wait_for_messages(ann.id, 2, timeout=20)
        await fake.wait_for(lambda: "works again" in log.read_text(), timeout=10)
    except BaseException:
        process.kill()
        raise
    output = await stop(fake, process, log)
    [warning] = lines_with(output, "WARNING", "getting updates")
    assert "getting updates from Telegram failed: Bad Gateway" in warning
    assert "retrying in 1s, then ever later up to 30s" in warning
    [recovered] = lines_with(output, "INFO", "getting updates")
    match = re.search(r"works again, after (\d+)s and (\d+) failed attempt", recovered)
    assert match and match.group(2) == "3", recovered
    assert "Traceback" not in output and " ERROR " not in output, output


async def test_at_debug_an_outage_shows_its_tracebacks(
    fake: FakeTelegram, db_url: str, tmp_path: Path
) -> None:
    settings = write_bot_settings(tmp_path, db_url, fake, '[logging]\nlevel = "DEBUG"\n')
    log = tmp_path / "bot.log"
    process = start_bot(settings, log)
    await wait_running(fake, process, log)
    ann = fake.user(6002, "Ann")
    try:
        fake.fail_next("getUpdates", 1, status=502)
        fake.send_text(ann, "/help")
        await fake.wait_for(lambda: any(c.status == 502 for c in fake.calls_to("getUpdates")))
        fake.send_text(ann, "/help")
        await fake.wait_for_messages(ann.id, 2, timeout=20)
    except BaseException:
        process.kill()
        raise
    output = await stop(fake, process, log)
    assert len(lines_with(output, "WARNING", "getting updates from Telegram failed")) == 1
    assert "Traceback" in output and "telegram.error.NetworkError: Bad Gateway" in output
    assert fake.token not in output
