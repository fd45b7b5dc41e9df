"""Cold start and memory: from process start to the first getUpdates, and the bot's RSS.

    .venv/bin/python bench/cold_start.py [--runs 5] [--users 10000]

Seeds a migrated SQLite file with `--users` users (each with a daily prompt, as bench/fanout.py
seeds them, due tomorrow so no sweep sends anything), starts the real bot (`python -m bot run`)
against the fake Bot API server from the tests `--runs` times, and prints for each run the
seconds from spawning the process to the fake receiving its first getUpdates (goal <= 1.0 s: the
database is already up to date), then the bot's RSS once it has been polling for `--settle`
seconds and its peak RSS (VmHWM; goal <= 70 MB). Linux only (/proc). Exit status 0 whatever the
numbers; it is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is on sys.path, the repo root is not
    sys.path.insert(0, str(ROOT))

from bench.answer_cpu import TOKEN, BotProcess, clean_env, write_bot_config  # noqa: E402
from bench.fanout import BenchError, minute_of, seed  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402

GOAL_SECONDS = 1.0
GOAL_RSS_MB = 70.0
START_TIMEOUT = 60.0


def vm(pid: int, field: str) -> float:
    """A /proc/PID/status size field in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise BenchError(f"no {field} for {pid}")


async def one_start(
    fake: FakeTelegram, config: Path, workdir: Path, settle: float
) -> tuple[float, float, float, float]:
    polls_before = len(fake.calls_to("getUpdates"))
    argv = [sys.executable, "-m", "bot", "run", "--config", str(config)]
    started = time.monotonic()
    process = BotProcess("interview bot", argv, clean_env(), workdir / "bot.log")
    try:
        while fake.waiting_polls < 1 and len(fake.calls_to("getUpdates")) == polls_before:
            if process.popen.poll() is not None:
                raise BenchError(f"the bot exited with {process.popen.returncode}:\n{process.log_tail()}")
            if time.monotonic() - started > START_TIMEOUT:
                raise BenchError(f"no getUpdates within {START_TIMEOUT:.0f}s:\n{process.log_tail()}")
            await asyncio.sleep(0.002)
        first_poll = time.monotonic() - started
        cpu = sum(process.cpu_seconds())  # less at the mercy of a busy machine than the wall time
        await asyncio.sleep(settle)
        return first_poll, cpu, vm(process.popen.pid, "VmRSS"), vm(process.popen.pid, "VmHWM")
    finally:
        await process.stop()
        if process.popen.returncode not in (0, None):
            print(
                f"  the bot exited with {process.popen.returncode}:\n{process.log_tail(5)}", file=sys.stderr
            )


def import_rss(module: str) -> float:
    """Peak RSS of a fresh interpreter that only imports `module`."""
    code = (
        f"import {module}, pathlib; status = pathlib.Path('/proc/self/status').read_text(); "
        "print([line for line in status.splitlines() if line.startswith('VmHWM')][0].split()[1])"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return int(out.stdout.strip()) / 1024


async def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="cold-start-") as tmp:
        workdir = Path(tmp)
        path = workdir / "bot.db"
        print(f"cold_start: seeding {args.users} users ...", flush=True)
        await seed(path, args.users, minute_of(datetime.now(UTC)) + timedelta(days=1))
        config = workdir / "config.toml"
        try:
            async with FakeTelegram(token=TOKEN) as fake:
                write_bot_config(config, fake, path)
                results = []
                for i in range(args.runs):
                    first, cpu, rss, peak = await one_start(fake, config, workdir, args.settle)
                    results.append((first, cpu, rss, peak))
                    print(
                        f"  run {i + 1}: first getUpdates after {first:.3f} s ({cpu:.3f} s of CPU); "
                        f"RSS {rss:.1f} MB, peak {peak:.1f} MB",
                        flush=True,
                    )
        except BenchError as exc:
            print(f"cold_start: {exc}", file=sys.stderr)
            return 1
    firsts = [r[0] for r in results]
    cpus = [r[1] for r in results]
    peaks = [r[3] for r in results]
    median = statistics.median(firsts)
    peak = max(peaks)
    print(
        f"start to first getUpdates: median {median:.3f} s, min {min(firsts):.3f}, max {max(firsts):.3f} "
        f"({'meets' if median <= GOAL_SECONDS else 'does NOT meet'} the goal of <= {GOAL_SECONDS} s); "
        f"CPU until then: median {statistics.median(cpus):.3f} s\n"
        f"peak RSS polling with {args.users} users: {peak:.1f} MB "
        f"({'meets' if peak <= GOAL_RSS_MB else 'does NOT meet'} the goal of <= {GOAL_RSS_MB:.0f} MB)\n"
        f"peak RSS of `import bot.tg.app` alone: {import_rss('bot.tg.app'):.1f} MB"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5, help="starts to time (default 5)")
    parser.add_argument("--users", type=int, default=10_000, help="users in the database (default 10,000)")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds of polling before reading RSS")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(run(args))
    return 130


if __name__ == "__main__":
    sys.exit(main())
