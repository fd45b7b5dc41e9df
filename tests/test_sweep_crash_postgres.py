"""End to end: two bot processes sweep one PostgreSQL database, one is SIGKILLed mid-sweep.

Both are real `python -m bot run` processes on the system clock, polling the one fake Bot API.
The one to be killed reaches Telegram through a TCP proxy (tests/tcp_proxy.py) that the test
hangs before the prompts fall due, so its sends never arrive; the survivor's sends are held by
the fake at the same moment, so both are mid-sweep, each with a batch claimed, when the first
one is killed. Then the survivor's held sends go through, and the prompts the dead process had
claimed (their claims no longer renewed by its heartbeat) are recovered after SENDING_LEASE and
sent by the survivor, within a minute. Every user gets exactly one prompt; the survivor's own
in-flight sends are not sent twice. The SQLite, one-process twin is in tests/test_e2e_daily.py.
Runs when TEST_DATABASE_URL names a server (see tests/test_sweep_postgres.py); skipped otherwise.
"""

import subprocess
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bot.config import Settings, load_settings
from bot.core.sweep import SENDING_LEASE
from questions.loader import QuestionBank
from tests.conftest import FakeClock, write_bot_settings
from tests.db_rows import execute, rows
from tests.fake_telegram import FakeTelegram
from tests.processes import start_bot
from tests.tcp_proxy import TcpProxy
from tests.test_e2e_daily import prompts, seed_daily
from tests.test_sweep_postgres import open_services
from tests.test_sweep_postgres import pg_url as pg_url  # the fixture: a fresh database per test

BATCH = 10  # each process claims a batch of ten, sends eight at a time (PromptSweep's default)
USERS = range(6000, 6040)
SENTINEL = 6999  # due after the others: once it has its prompt, the survivor swept again
# The promise: a prompt claimed by a process that died goes out within a minute.
RECOVERED_WITHIN = timedelta(seconds=60)


def process_settings(tmp_path: Path, name: str, url: str, fake: FakeTelegram, api: str) -> Settings:
    """A process sweeping every second in batches of BATCH, talking to Telegram at `api`."""
    folder = tmp_path / name
    folder.mkdir()
    written = write_bot_settings(folder, url, fake, f"[scheduler]\ntick_seconds = 1\nbatch_size = {BATCH}\n")
    assert written.source is not None
    config = written.source.read_text(encoding="utf-8").replace(fake.base_url, api)
    written.source.write_text(config, encoding="utf-8")
    return load_settings(written.source, {}, folder)


def zone_at_noon() -> tuple[ZoneInfo, datetime]:
    """A zone where it is about noon now (far from quiet hours), and the local time there."""
    real_now = datetime.now(UTC)
    offset = 12 - real_now.hour
    zone = ZoneInfo("Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}")
    return zone, real_now.astimezone(zone)


@contextmanager
def bot_process(settings: Settings, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    process = start_bot(settings, log)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def delivery_rows(pg_url: str) -> list[tuple[int, str, int, datetime | None]]:
    """(chat id, status, attempts, sent_at) of every delivery, read directly."""
    sql = (
        'SELECT u.chat_id, d.status, d.attempts, d.sent_at FROM delivery d JOIN "user" u ON u.id = d.user_id'
    )
    return [(r.chat_id, r.status, r.attempts, r.sent_at) for r in rows(pg_url, sql)]


def open_prompts_per_chat(pg_url: str) -> Counter[int]:
    sql = (
        'SELECT u.chat_id FROM interview_session s JOIN "user" u ON u.id = s.user_id '
        "WHERE s.status = 'active'"
    )
    return Counter(r.chat_id for r in rows(pg_url, sql))


async def test_two_processes_one_killed_mid_sweep_every_prompt_goes_out_exactly_once(
    pg_url: str, tmp_path: Path, fake: FakeTelegram, bank: QuestionBank
) -> None:
    fake_api = urlsplit(fake.base_url)
    assert fake_api.hostname is not None and fake_api.port is not None
    async with TcpProxy(fake_api.hostname, fake_api.port) as to_telegram:
        doomed = process_settings(
            tmp_path, "doomed", pg_url, fake, f"http://127.0.0.1:{to_telegram.port}/bot"
        )
        survivor = process_settings(tmp_path, "survivor", pg_url, fake, fake.base_url)
        doomed_log, survivor_log = tmp_path / "doomed.log", tmp_path / "survivor.log"
        with bot_process(doomed, doomed_log) as first, bot_process(survivor, survivor_log) as second:
            # Both polling: both started, their sweeps running every second.
            await fake.wait_for(
                lambda: fake.waiting_polls >= 2 or first.poll() is not None or second.poll() is not None,
                timeout=60,
            )
            assert first.poll() is None, doomed_log.read_text()
            assert second.poll() is None, survivor_log.read_text()

            # Every user's daily time is this minute, in a zone where it is noon; set while it is
            # tomorrow's prompt that waits, so the sweeps see nothing due yet.
            zone, local_now = zone_at_noon()
            clock = FakeClock(datetime.now(UTC))
            seeding = open_services(pg_url, tmp_path, bank, clock, seed=1)
            try:
                await seed_daily(seeding, fake, [(c, local_now.strftime("%H:%M"), zone.key) for c in USERS])
                # From now on the doomed process's sends never arrive, the survivor's wait; then
                # all the prompts fall due at once (one statement: no sweep sees only some).
                to_telegram.hang()
                fake.hold("sendMessage")
                execute(pg_url, "UPDATE practice_schedule SET next_due_at = next_due_at - interval '1 day'")
                # Each process claims one batch, and its sweep waits on the sends.
                await fake.wait_for(lambda: fake.held >= 1 and to_telegram.holding >= 1, timeout=10)
                first.kill()
                first.wait(timeout=10)
                killed_at = datetime.now(UTC)
                claimed = Counter(status for _, status, _, _ in delivery_rows(pg_url))["sending"]
                fake.release()  # the survivor's sends go through now

                await fake.wait_for(lambda: all(prompts(fake, c) for c in USERS), timeout=75)
                delivered_at = datetime.now(UTC)
                # Swept again after every prompt went out: nothing more is sent to anyone.
                clock.now = datetime.now(UTC) - timedelta(days=1)
                await seed_daily(seeding, fake, [(SENTINEL, local_now.strftime("%H:%M"), zone.key)])
                await fake.wait_for(lambda: bool(prompts(fake, SENTINEL)), timeout=10)
            finally:
                await seeding.close()
            assert second.poll() is None, survivor_log.read_text()

    assert Counter(len(prompts(fake, c)) for c in [*USERS, SENTINEL]) == {1: len(USERS) + 1}
    deliveries = delivery_rows(pg_url)
    assert Counter(status for _, status, _, _ in deliveries) == {"sent": len(USERS) + 1}
    # The dead process's claims were sent again (a second attempt), each within the minute; the
    # survivor's were sent once, held or not.
    recovered = [sent_at for _, _, attempts, sent_at in deliveries if attempts == 2]
    assert Counter(attempts for _, _, attempts, _ in deliveries) == {
        1: len(USERS) + 1 - len(recovered),
        2: len(recovered),
    }
    assert 1 <= len(recovered) < claimed, (len(recovered), claimed)
    assert all(sent_at is not None and sent_at - killed_at < RECOVERED_WITHIN for sent_at in recovered)
    assert delivered_at - killed_at < RECOVERED_WITHIN
    # Not before the lease was up: until then the claims might have been a live process's.
    assert all(sent_at is not None and sent_at - killed_at > SENDING_LEASE / 2 for sent_at in recovered)
    # Each user has one open prompt: the one they saw.
    assert open_prompts_per_chat(pg_url) == Counter({c: 1 for c in [*USERS, SENTINEL]})
    assert "Traceback" not in survivor_log.read_text()
    assert "Traceback" not in doomed_log.read_text()
