"""Peak memory of the bot while it exports 20,000 long answers, and other users' replies meanwhile.

    .venv/bin/python bench/export_memory.py [--answers 20000] [--chars 4000] [--formats md html csv]

Seeds a fresh SQLite database (migrated with the project's Alembic revisions) with one user who
has `--answers` answers of about `--chars` characters each (about 80 MB of text with the
defaults: varied English words, spread over the built-in bank's questions, each with a stored
analysis), starts the real bot as a subprocess (`python -m bot run`) against the fake Bot API
server from the tests (running in this process), and warms it up with a small export of another
user. Then, for each format:

- idle RSS: VmRSS of the bot process while it waits in a long poll;
- the peak is reset (`5` written to /proc/PID/clear_refs, which resets VmHWM), `/export FORMAT`
  is sent, and the bot's VmHWM is read once the document has arrived: the peak during the export;
- meanwhile three other users send /help in a loop: printed are the longest time until the bot
  took such an update (its getUpdates loop runs, so the event loop is free) and the longest time
  until it answered (which also waits for the updates ahead, while the bot handles one at a time).

Printed: idle RSS, peak RSS, peak - idle against the goal (within 30 MB of idle), RSS kept after
the export, the export's wall time and the document's size. Linux only (/proc). Exit status 0
whatever the numbers (1 only if the bot cannot start or sends no document); a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is on sys.path, the repo root is not
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402
from wordfreq import top_n_list  # noqa: E402

from bench.answer_cpu import TOKEN, BotProcess, start_interview_bot  # noqa: E402
from bot.core.feedback import FeedbackMatcher  # noqa: E402
from bot.core.feedback.stored import to_stored  # noqa: E402
from questions.loader import load_bank  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Answer  # noqa: E402
from storage.repositories import UserRepository  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402

GOAL_MB = 30.0
EXPORTER_ID = 910_001
WARM_ID = 910_002
OTHER_IDS = (910_101, 910_102, 910_103)
EXPORT_TIMEOUT = 900.0


def _status(pid: int, key: str) -> int:
    """A VmRSS/VmHWM line of /proc/PID/status, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {key} in /proc/{pid}/status")


def _reset_peak(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux 4.0+); False if the kernel does not allow it."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def answer_text(rng: random.Random, words: Sequence[str], chars: int) -> str:
    """About `chars` characters of sentences from common English words (compresses like prose)."""
    parts: list[str] = []
    size = 0
    while size < chars:
        sentence = " ".join(rng.choices(words, k=rng.randint(8, 20))).capitalize() + "."
        parts.append(sentence)
        size += len(sentence) + 1
        if rng.random() < 0.1:
            parts.append("\n\n")
    return " ".join(parts).replace(" \n\n ", "\n\n")


async def seed(url: str, answers: int, chars: int, seed: int) -> None:
    """One exporter with `answers` long answers and a warm-up user with three short ones."""
    rng = random.Random(seed)
    words = [w for w in top_n_list("en", 20_000) if w.isalpha()]
    bank = load_bank()
    questions = list(bank.questions)
    matcher = FeedbackMatcher(bank.questions)
    analyses = {}
    for q in questions:
        sample = " ".join(tp.match[0] for tp in q.talking_points[::2])
        feedback = matcher.assess(q, f"I would {sample}, and review it every week with the sponsor.")
        analyses[q.id] = (list(feedback.covered), len(q.talking_points), to_stored(feedback))
    db = Database(url)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    try:
        async with db.transaction() as conn:
            users = UserRepository(conn)
            exporter, _ = await users.upsert(f"tg:{EXPORTER_ID}", EXPORTER_ID, "Exporter", start)
            warm, _ = await users.upsert(f"tg:{WARM_ID}", WARM_ID, "Warm", start)
            plan = [(warm.id, 3, 200), (exporter.id, answers, chars)]
            for user_id, count, size in plan:
                batch = []
                for i in range(count):
                    q = questions[rng.randrange(len(questions))]
                    covered, total, analysis = analyses[q.id]
                    text = answer_text(rng, words, size)
                    at = start + timedelta(minutes=37 * i)
                    batch.append(
                        {
                            "user_id": user_id,
                            "question_id": q.id,
                            "text": text,
                            "word_count": len(text.split()),
                            "covered": covered,
                            "points_total": total,
                            "asked_at": at - timedelta(minutes=5),
                            "answered_at": at,
                            "seconds_taken": 300,
                            "rating": rng.choice((None, 1, 2, 3, 4)),
                            "analysis": analysis,
                        }
                    )
                    if len(batch) == 500:
                        await conn.execute(insert(Answer), batch)
                        batch = []
                if batch:
                    await conn.execute(insert(Answer), batch)
    finally:
        await db.dispose()


async def wait_idle(fake: FakeTelegram) -> None:
    await fake.wait_for(lambda: fake.pending_updates() == 0 and fake.waiting_polls >= 1, timeout=60)
    await asyncio.sleep(0.5)  # the handler's last lines after its final request


async def others_meanwhile(fake: FakeTelegram, done: asyncio.Event) -> tuple[list[float], list[float]]:
    """Other users send /help one after another until `done`.

    Returns how long each /help took to be fetched by the bot (its getUpdates loop is running:
    the event loop is free) and to be answered (that also waits for updates ahead of it, as
    long as the bot handles updates one at a time), in seconds.
    """
    users = [fake.user(uid, f"Other{n}") for n, uid in enumerate(OTHER_IDS)]
    fetched: list[float] = []
    replied: list[float] = []

    async def loop(user_index: int) -> None:
        user = users[user_index]
        while not done.is_set():
            before = len(fake.messages(user.id))
            sent = time.monotonic()
            fake.send_text(user, "/help")
            # Taken: confirmed by the bot's next getUpdates (with the others' /help, if any).
            await fake.wait_for(lambda: fake.pending_updates() == 0, timeout=EXPORT_TIMEOUT)
            fetched.append(time.monotonic() - sent)
            await fake.wait_for(
                lambda n=before: len(fake.messages(user.id)) > n,  # type: ignore[misc]
                timeout=EXPORT_TIMEOUT,
            )
            replied.append(time.monotonic() - sent)
            await asyncio.sleep(0.1)

    await asyncio.gather(*(loop(i) for i in range(len(users))))
    return fetched, replied


async def export_once(fake: FakeTelegram, bot: BotProcess, fmt: str) -> str:
    exporter = fake.user(EXPORTER_ID, "Exporter")
    await wait_idle(fake)
    idle = _status(bot.popen.pid, "VmRSS")
    reset = _reset_peak(bot.popen.pid)
    before = len(fake.files(exporter.id))
    done = asyncio.Event()
    others = asyncio.create_task(others_meanwhile(fake, done))
    started = time.monotonic()
    fake.send_text(exporter, f"/export {fmt}")
    try:
        await fake.wait_for(lambda: len(fake.files(exporter.id)) > before, timeout=EXPORT_TIMEOUT)
    finally:
        done.set()
    seconds = time.monotonic() - started
    fetched, replies = await others
    peak = _status(bot.popen.pid, "VmHWM")
    await wait_idle(fake)
    kept = _status(bot.popen.pid, "VmRSS")
    document = fake.files(exporter.id)[-1]
    size = len(document.file_bytes or b"")
    growth = peak - idle
    verdict = "met" if growth <= GOAL_MB * 1e6 else "NOT met"
    slowest = (
        f"taken within {max(fetched):.2f} s, answered within {max(replies):.2f} s ({len(replies)} replies)"
        if replies
        else "no replies"
    )
    note = "" if reset else " (VmHWM could not be reset: the peak includes start-up)"
    return (
        f"/export {fmt:<4}  idle {_mb(idle)}, peak {_mb(peak)}, peak - idle {_mb(growth)} "
        f"(goal <= {GOAL_MB:.0f} MB: {verdict}), after {_mb(kept)}; {seconds:.1f} s, "
        f"{document.filename} {_mb(size)}; other users' /help {slowest}{note}"
    )


async def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="export-bench-") as tmp:
        workdir = Path(tmp)
        async with FakeTelegram(token=TOKEN) as fake:
            url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
            # Seeded before the bot starts, so it starts on a big database like a long-running bot.
            await asyncio.to_thread(upgrade, url)
            started = time.monotonic()
            await seed(url, args.answers, args.chars, args.seed)
            db_size = (workdir / "bench.db").stat().st_size
            print(
                f"seeded {args.answers:,} answers of ~{args.chars:,} characters in "
                f"{time.monotonic() - started:.0f} s; database {_mb(db_size)}"
            )
            bot = start_interview_bot(fake, workdir)
            try:
                warm = fake.user(WARM_ID, "Warm")
                await fake.wait_for(lambda: fake.waiting_polls >= 1, timeout=60)
                fake.send_text(warm, "/export")  # templates, imports and caches, as in a running bot
                await fake.wait_for(lambda: len(fake.files(warm.id)) == 1, timeout=60)
                for fmt in args.formats:
                    print(await export_once(fake, bot, fmt), flush=True)
            except AssertionError as error:
                print(f"the bot did not export: {error}\n{bot.log_tail()}", file=sys.stderr)
                return 1
            finally:
                with contextlib.suppress(Exception):
                    await bot.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--answers", type=int, default=20_000)
    parser.add_argument("--chars", type=int, default=4_000)
    parser.add_argument("--formats", nargs="+", default=["md", "html", "csv"])
    parser.add_argument("--seed", type=int, default=15)
    return asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
