"""`[health] port`: /healthz and /metrics over HTTP, from a running `interview-bot run`.

The metrics move when a user answers; /healthz turns 503 while getting updates has failed for
longer than allowed, and back to 200 when it works again; a database that cannot be opened
makes it 503 too. Ports are always 0 (a free one, read from the start-up log).
"""

import asyncio
import json
import re
import socket
import subprocess
from pathlib import Path

import aiohttp
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import HealthSettings
from bot.health import HealthServer, sql_check
from tests.conftest import write_bot_settings
from tests.fake_telegram import FakeTelegram
from tests.processes import start_bot
from tests.test_operator_output import closed_port, stop, wait_running
from tests.test_run_exit import own_lines, text_of, wait_exit


async def health_url(fake: FakeTelegram, process: subprocess.Popen[bytes], log: Path) -> str:
    await wait_running(fake, process, log)
    match = re.search(r"health and metrics on (http://127\.0\.0\.1:\d+)/healthz", text_of(log))
    assert match, text_of(log)
    return match.group(1)


async def get(url: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, response.headers["Content-Type"], await response.text()


def sample(metrics: str, name: str, **labels: str) -> float:
    """One sample's value from Prometheus text (0 when the series is not there)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    series = f"{name}{{{wanted}}}" if labels else name
    for line in metrics.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_healthz_and_metrics_while_the_bot_runs_and_after_an_answer(
    fake: FakeTelegram, db_url: str, tmp_path: Path
) -> None:
    settings = write_bot_settings(
        tmp_path, db_url, fake, "[health]\nport = 0\n\n[scheduler]\ntick_seconds = 1\n"
    )
    log = tmp_path / "bot.log"
    process = start_bot(settings, log)
    base = await health_url(fake, process, log)
    ann = fake.user(7001, "Ann")
    try:
        status, content_type, text = await get(f"{base}/healthz")
        assert status == 200 and content_type == "application/json", text
        health = json.loads(text)
        assert health["status"] == "ok" and health["problems"] == [] and health["database"] == "ok"
        assert health["mode"] == "polling"
        assert health["last_update_seconds"] is None  # nobody wrote yet
        assert health["polling_failing_seconds"] is None

        status, content_type, before = await get(f"{base}/metrics")
        assert status == 200 and content_type.startswith("text/plain; version="), content_type
        assert sample(before, "interview_bot_answers_stored_total") == 0
        assert sample(before, "interview_bot_prompts_total", outcome="sent") == 0

        # Ann starts an interview and answers its first question; a /help to a blocked chat fails.
        fake.send_command(ann, "/interview")
        await fake.wait_for_messages(ann.id, 1)
        fake.send_text(ann, "I would agree the scope with the sponsor and track risks weekly.")
        await fake.wait_for_messages(ann.id, 2)
        bob = fake.user(7002, "Bob")
        fake.block(bob.id)
        fake.send_command(bob, "/help")
        await fake.wait_for(lambda: any(c.status == 403 for c in fake.calls_to("sendMessage")))
        for _ in range(100):  # the sweep runs every second
            _, _, after = await get(f"{base}/metrics")
            if sample(after, "interview_bot_sweep_seconds_count") >= 1:
                break
            await asyncio.sleep(0.1)
        _, _, text = await get(f"{base}/healthz")
    except BaseException:
        process.kill()
        raise
    output = await stop(fake, process, log)
    assert sample(after, "interview_bot_answers_stored_total") == 1, after
    assert sample(after, "interview_bot_updates_handled_total") >= 3
    assert sample(after, "interview_bot_handler_seconds_count") >= 3
    assert sample(after, "interview_bot_telegram_errors_total", kind="forbidden", method="sendMessage") == 1
    assert sample(after, "interview_bot_sweep_seconds_count") >= 1
    assert sample(after, "process_resident_memory_bytes") > 0
    health = json.loads(text)
    assert health["last_update_seconds"] is not None and health["last_update_seconds"] < 60
    assert health["last_sweep_seconds"] is not None
    assert "Traceback" not in output


async def test_healthz_is_503_while_getting_updates_fails_for_too_long(
    fake: FakeTelegram, db_url: str, tmp_path: Path
) -> None:
    settings = write_bot_settings(
        tmp_path, db_url, fake, "[health]\nport = 0\nmax_polling_outage_seconds = 1\n"
    )
    log = tmp_path / "bot.log"
    process = start_bot(settings, log)
    base = await health_url(fake, process, log)
    ann = fake.user(7101, "Ann")
    seen: list[tuple[int, dict[str, object]]] = []

    async def healthz() -> tuple[int, dict[str, object]]:
        status, _, text = await get(f"{base}/healthz")
        seen.append((status, json.loads(text)))
        return seen[-1]

    try:
        # Four failures in a row: about 4.75 s of back-off, well over the 1 s allowed.
        fake.fail_next("getUpdates", 4, status=502)
        fake.send_text(ann, "/help")
        await fake.wait_for(lambda: any(c.status == 502 for c in fake.calls_to("getUpdates")))
        while (await healthz())[0] != 503:
            assert "works again" not in log.read_text(), seen
            await asyncio.sleep(0.1)  # the next look, not a wait for the outcome
        status, body = seen[-1]
        assert body["status"] == "unhealthy"
        problems = body["problems"]
        assert isinstance(problems, list) and problems[0].startswith("getting updates has failed for")
        failing = body["polling_failing_seconds"]
        assert isinstance(failing, float) and failing > 1
        # It recovers: the next poll is answered with an update, and /healthz is 200 again.
        await fake.wait_for(lambda: len([c for c in fake.calls_to("getUpdates") if c.status == 502]) == 4)
        fake.send_text(ann, "/help")
        await fake.wait_for_messages(ann.id, 2, timeout=20)
        status, body = await healthz()
    except BaseException:
        process.kill()
        raise
    await stop(fake, process, log)
    assert status == 200 and body["polling_failing_seconds"] is None, body


async def test_healthz_is_503_when_the_database_is_unreachable() -> None:
    # A PostgreSQL server that is down: nothing listens on the port.
    engine = create_async_engine(f"postgresql+asyncpg://bot:pw-not-shown@127.0.0.1:{closed_port()}/bot")
    server = HealthServer(HealthSettings(port=0), sql_check(engine), "polling")
    await server.start()
    try:
        status, _, text = await get(f"{server.url}/healthz")
        not_found, _, _ = await get(f"{server.url}/nothing")
    finally:
        await server.stop()
        await engine.dispose()
    body = json.loads(text)
    assert status == 503, body
    database = body["database"]
    assert isinstance(database, str) and "Connect call failed" in database, body
    assert f"database: {database}" in body["problems"]
    assert not_found == 404


async def test_a_health_port_already_taken_is_one_line_and_exit_2(
    fake: FakeTelegram, db_url: str, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        settings = write_bot_settings(tmp_path, db_url, fake, f"[health]\nport = {port}\n")
        log = tmp_path / "bot.log"
        process = start_bot(settings, log)
        await wait_exit(fake, process, log)
    output = text_of(log)
    assert process.returncode == 2, output
    [line] = own_lines(log)
    assert line.startswith(f"interview-bot: [health] port: cannot listen on 127.0.0.1:{port}: "), line
    assert "Traceback" not in output
    assert fake.calls == []  # refused before Telegram was asked anything
