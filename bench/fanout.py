"""Daily fan-out: 10,000 users whose daily prompt is due in the same minute.

    .venv/bin/python bench/fanout.py [--users 10000] [--part a|b|both]

(a) The core sweep alone (`PromptSweep.tick`), in this process, on a migrated SQLite file, with a
    send function that renders the prompt and its keyboard as the bot does and only counts:
    prompts claimed and rendered per second (goal >= 1,000/s).
(b) The real bot (`python -m bot run`) against the fake Bot API server from the tests, with the
    rate limiter it configures itself (`ChatPacer`, 30 messages/s): the delivery rate measured at
    the fake from its first to its last prompt (goal >= 95% of 30/s), and exactly one prompt per
    chat at the fake and one "sent" delivery row per user whose message_id is that message's.

Users are seeded with plain SQL: one user and schedule made through the real services, copied
for the others. Exit status 0 whatever the numbers, 1 if something is lost or doubled or a run
fails; it is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is on sys.path, the repo root is not
    sys.path.insert(0, str(ROOT))

from bench.answer_cpu import TOKEN, BotProcess, clean_env, write_bot_config  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.core.interview import Identity  # noqa: E402
from bot.core.services import Services  # noqa: E402
from bot.core.srs import SpacedRepetition  # noqa: E402
from bot.core.sweep import Outgoing, SendResult  # noqa: E402
from questions.loader import load_bank  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from tests.fake_telegram import FakeTelegram, SentMessage  # noqa: E402

GOAL_CORE_RATE = 1000.0  # prompts/s, sending stubbed out
RATE_LIMIT = 30.0  # messages/s: ChatPacer's default overall budget, as the bot builds it
GOAL_SHARE = 0.95
FIRST_CHAT = 5_000_001
START_TIMEOUT = 60.0


class BenchError(Exception):
    """The benchmark could not run, or found a prompt lost or doubled."""


# ------------------------------------------------------------------------------------ seeding


def minute_of(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


async def seed(path: Path, users: int, due: datetime) -> None:
    """A migrated SQLite file with `users` users whose daily prompt (UTC, no quiet hours) is due
    at `due`: the first made by the real services, the rest copied from its rows with SQL."""
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(upgrade, url)
    settings = load_settings(None, {"DATABASE_URL": url}, path.parent)
    services = Services(settings, Database(url), load_bank(), lambda: due - timedelta(minutes=1))
    try:
        first = Identity(f"tg:{FIRST_CHAT}", FIRST_CHAT, "User 0")
        await services.daily_settings.set_daily(first, due.strftime("%H:%M"))
        await services.daily_settings.set_quiet_hours(first, "00:00-00:00")
    finally:
        await services.close()
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.row_factory = sqlite3.Row
        user = dict(conn.execute('SELECT * FROM "user"').fetchone())
        schedule = dict(conn.execute("SELECT * FROM practice_schedule").fetchone())
        user_cols, schedule_cols = list(user), list(schedule)
        users_rows, schedule_rows = [], []
        for i in range(1, users):
            chat = FIRST_CHAT + i
            user.update(id=user["id"] + 1, external_id=f"tg:{chat}", chat_id=chat, display_name=f"User {i}")
            schedule.update(user_id=user["id"])
            users_rows.append([user[c] for c in user_cols])
            schedule_rows.append([schedule[c] for c in schedule_cols])
        marks = ", ".join("?" for _ in user_cols)
        conn.executemany(f'INSERT INTO "user" ({", ".join(user_cols)}) VALUES ({marks})', users_rows)
        marks = ", ".join("?" for _ in schedule_cols)
        conn.executemany(
            f"INSERT INTO practice_schedule ({', '.join(schedule_cols)}) VALUES ({marks})", schedule_rows
        )
        conn.commit()
        (due_count,) = conn.execute(
            "SELECT count(*) FROM practice_schedule WHERE enabled AND next_due_at IS NOT NULL"
        ).fetchone()
    if due_count != users:
        raise BenchError(f"seeded {due_count} schedules, expected {users}")


def delivery_check(path: Path, users: int, message_ids: dict[int, list[int]] | None = None) -> list[str]:
    """Problems with the delivery rows: every user exactly one daily row, sent (and, given the
    fake's messages per chat, with that message's id)."""
    problems: list[str] = []
    with contextlib.closing(sqlite3.connect(path)) as conn:
        rows = conn.execute(
            'SELECT u.chat_id, d.status, d.message_id FROM delivery d JOIN "user" u ON u.id = d.user_id'
        ).fetchall()
        (sessions,) = conn.execute("SELECT count(*) FROM interview_session WHERE kind = 'daily'").fetchone()
    per_chat = Counter(chat for chat, _, _ in rows)
    statuses = Counter(status for _, status, _ in rows)
    if len(per_chat) != users or any(n != 1 for n in per_chat.values()):
        doubled = sum(1 for n in per_chat.values() if n > 1)
        problems.append(f"delivery rows: {len(per_chat)} users have one, {doubled} more than one")
    if statuses != Counter({"sent": users}):
        problems.append(f"delivery statuses: {dict(statuses)}")
    if sessions != users:
        problems.append(f"{sessions} daily sessions for {users} users")
    if message_ids is not None:
        wrong = sum(1 for chat, _, mid in rows if message_ids.get(chat) != [mid])
        if wrong:
            problems.append(f"{wrong} delivery rows do not name the one message their chat got")
    return problems


# ------------------------------------------------------------------------- (a) the core sweep


async def core_sweep(workdir: Path, users: int) -> dict[str, float]:
    # Imported here: (b) does not need the front end in this process.
    from bot.tg.handlers.practice import prompt_keyboard, render_daily_prompt

    path = workdir / "core.db"
    due = datetime(2026, 3, 2, 7, 30, tzinfo=UTC)
    await seed(path, users, due)
    url = f"sqlite+aiosqlite:///{path}"
    settings = load_settings(None, {"DATABASE_URL": url}, workdir)
    now = due + timedelta(seconds=10)
    services = Services(
        settings,
        Database(url),
        load_bank(),
        lambda: now,
        random.Random(1),
        SpacedRepetition(enable_fuzzing=False),
    )
    rendered = 0
    chars = 0

    async def send(out: Outgoing) -> tuple[SendResult, int | None]:
        nonlocal rendered, chars
        text = render_daily_prompt(out.content)
        prompt_keyboard(out.content.prompt.session_id)
        rendered += 1
        chars += len(text)
        return SendResult.SENT, 1

    try:
        cpu, wall = time.process_time(), time.perf_counter()
        report = await services.sweep.tick(send)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        await services.close()
    if report.errors:
        raise BenchError(f"the sweep reported errors: {report.errors[:3]}")
    problems = delivery_check(path, users)
    if rendered != users or report.sent != users:
        problems.append(f"rendered {rendered}, sent {report.sent}, for {users} users")
    if problems:
        raise BenchError("; ".join(problems))
    return {"wall": wall, "cpu": cpu, "rate": users / wall, "cpu_ms": 1000 * cpu / users}


# ------------------------------------------------------------------- (b) the bot, fake Bot API


async def bot_delivery(workdir: Path, users: int, tick_seconds: int) -> dict[str, float]:
    path = workdir / "bot.db"
    # Due this minute in real time (the subprocess runs on the real clock); no quiet hours.
    await seed(path, users, minute_of(datetime.now(UTC)))
    config = workdir / "config.toml"
    times: list[float] = []
    per_chat: dict[int, list[int]] = {}

    def listener(message: SentMessage) -> None:
        if message.chat_id >= FIRST_CHAT:
            times.append(time.monotonic())
            per_chat.setdefault(message.chat_id, []).append(message.message_id)

    async with FakeTelegram(token=TOKEN) as fake:
        for i in range(users):
            fake.add_chat(FIRST_CHAT + i)
        fake.message_listeners.append(listener)
        write_bot_config(config, fake, path, f"[scheduler]\ntick_seconds = {tick_seconds}\n\n")
        argv = [sys.executable, "-m", "bot", "run", "--config", str(config)]
        process = BotProcess("interview bot", argv, clean_env(), workdir / "bot.log")
        try:
            started = time.monotonic()
            last_count, last_change = 0, started
            while len(times) < users:
                if process.popen.poll() is not None:
                    raise BenchError(f"the bot exited with {process.popen.returncode}:\n{process.log_tail()}")
                if len(times) != last_count:
                    last_count, last_change = len(times), time.monotonic()
                elif time.monotonic() - last_change > START_TIMEOUT:
                    stalled = f"no prompt for {START_TIMEOUT:.0f}s after {len(times)} of {users}"
                    raise BenchError(f"{stalled}:\n{process.log_tail()}")
                await asyncio.sleep(0.2)
            await asyncio.sleep(2 * tick_seconds + 1)  # anything doubled would come now
            cpu_user, cpu_sys = process.cpu_seconds()
            peak = process.peak_rss_bytes()
        finally:
            await process.stop()
    problems = delivery_check(path, users, per_chat)
    doubled = sum(1 for ids in per_chat.values() if len(ids) > 1)
    if len(per_chat) != users or doubled:
        problems.append(f"the fake got prompts in {len(per_chat)} chats, {doubled} chats more than one")
    span = times[-1] - times[0]
    # The first second is ChatPacer's burst allowance (aiolimiter's bucket starts full).
    steady = (len(times) - 1) / span if span > 0 else float("inf")
    if problems:
        raise BenchError("; ".join(problems) + f"\n{process.log_tail(5)}")
    return {
        "first_after": times[0] - started,
        "span": span,
        "rate": steady,
        "cpu": cpu_user + cpu_sys,
        "peak_rss_mb": peak / 2**20,
        "messages": len(times),
    }


# ----------------------------------------------------------------------------------- main


async def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="fanout-") as tmp:
        workdir = Path(tmp)
        try:
            if args.part in ("a", "both"):
                print(
                    f"fanout (a): {args.users} users due at once, the core sweep, sends stubbed", flush=True
                )
                a = await core_sweep(workdir, args.users)
                verdict = "meets" if a["rate"] >= GOAL_CORE_RATE else "does NOT meet"
                print(
                    f"  {args.users} prompts claimed and rendered in {a['wall']:.2f} s: "
                    f"{a['rate']:.0f} prompts/s ({verdict} the goal of >= {GOAL_CORE_RATE:.0f}/s); "
                    f"{a['cpu_ms']:.2f} ms CPU per prompt; none lost or doubled",
                    flush=True,
                )
            if args.part in ("b", "both"):
                print(
                    f"fanout (b): {args.users} users due at once, the real bot, ChatPacer at "
                    f"{RATE_LIMIT:.0f}/s, the fake Bot API",
                    flush=True,
                )
                b = await bot_delivery(workdir, args.users, args.tick_seconds)
                share = b["rate"] / RATE_LIMIT
                verdict = "meets" if share >= GOAL_SHARE else "does NOT meet"
                print(
                    f"  first prompt {b['first_after']:.1f} s after start; {b['messages']:.0f} prompts in "
                    f"{b['span']:.1f} s: {b['rate']:.2f} messages/s = {100 * share:.1f}% of the "
                    f"{RATE_LIMIT:.0f}/s limit ({verdict} the goal of >= {100 * GOAL_SHARE:.0f}%)\n"
                    f"  exactly one prompt per chat at the fake, one sent delivery row per user with "
                    f"its message id; bot CPU {b['cpu']:.1f} s, peak RSS {b['peak_rss_mb']:.1f} MB",
                    flush=True,
                )
        except BenchError as exc:
            print(f"fanout: {exc}", file=sys.stderr)
            return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=10_000, help="users due at once (default 10,000)")
    parser.add_argument("--part", choices=("a", "b", "both"), default="both", help="default: both")
    parser.add_argument("--tick-seconds", type=int, default=5, help="the bot's sweep interval in (b)")
    args = parser.parse_args(argv)
    if args.users < 2:
        parser.error("--users must be at least 2")
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(run(args))
    return 130


if __name__ == "__main__":
    sys.exit(main())
