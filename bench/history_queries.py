"""History queries with one heavy user among a million answers.

    .venv/bin/python bench/history_queries.py [--answers 1000000] [--heavy 10000] [--users 2000]

Seeds a fresh SQLite file (migrated with storage.migrate.upgrade, then filled with plain sqlite3
executemany in big batches): `--answers` answers spread over `--users` users and two years, of which
`--heavy` belong to one user, interleaved in time with everyone else's (so the heavy user's rows are
scattered over the whole table, as they would be in production), plus a card per answered question
and a review log per rated answer. Then, through the real ProgressService on the usual
aiosqlite engine, times (median of `--runs` after one warm-up) history_page first/middle/last page
with and without a topic filter, attempts, and stats for the heavy user, and prints the
EXPLAIN QUERY PLAN of each query.

With `--delete` it also times delete_everything for an average user, once as the schema stands and
once after adding an index on review_log(answer_id) to the benchmark's own file: without it, SQLite
scans the whole review_log for each deleted answer to apply ON DELETE SET NULL.

Prints numbers; exit status 0 whatever they are. It is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is on sys.path, the repo root is not
    sys.path.insert(0, str(ROOT))

from bot.core.feedback import FeedbackMatcher, words  # noqa: E402
from bot.core.interview import Identity, InterviewService  # noqa: E402
from bot.core.progress import ProgressService  # noqa: E402
from questions.loader import QuestionBank, load_bank  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.history_repositories import (  # noqa: E402
    attempts_by_answer_query,
    count_query,
    page_query,
    query_plan,
    stat_rows_query,
)
from storage.migrate import upgrade  # noqa: E402

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SPAN = timedelta(days=730)
HEAVY_ID = 1  # the heavy user is the first row of the user table
BATCH = 50_000
SENTENCES = (
    "I would start from the business case and agree measurable success criteria with the sponsor.",
    "Next I map the stakeholders, their interests and their influence.",
    "Before committing to dates I run a short discovery with the architects.",
    "I prefer a pilot with one department first, because it shows real problems while they are cheap.",
    "After the pilot we plan a phased rollout with a rollback plan for every wave.",
    "Security and compliance review the design early.",
    "I keep a risk register with owners and mitigations and review it every sprint.",
    "The budget is tracked against the baseline every month.",
    "Training and support matter as much as the technology.",
    "When velocity drops I look at the retrospective notes before I talk about people.",
)


def stamp(at: datetime) -> str:
    """How storage.types.UtcDateTime stores an instant on SQLite (naive UTC text)."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def sql_rows(
    n: int, users: int, heavy: int, bank: QuestionBank, rng: random.Random
) -> Iterator[tuple[Any, ...]]:
    """Answer rows in time order (ids ascend with time, as the bot inserts them)."""
    owners = [HEAVY_ID] * heavy + [u + 2 for u in rng.choices(range(users - 1), k=n - heavy)]
    rng.shuffle(owners)
    texts = [" ".join(rng.sample(SENTENCES, rng.randint(3, 8))) for _ in range(200)]
    counts = [len(words(t)) for t in texts]
    questions = [(q.id, len(q.talking_points)) for q in bank.questions]
    variants = 8
    covered_pool = [
        json.dumps(sorted(rng.sample(range(points), rng.randint(0, points))))
        for _, points in questions
        for _ in range(variants)
    ]
    # Drawn in bulk: one rng call per row and column would cost more than the inserts.
    picks = rng.choices(range(len(questions)), k=n)
    text_picks = rng.choices(range(len(texts)), k=n)
    covered_picks = rng.choices(range(variants), k=n)
    ratings = rng.choices((None, None, 1, 2, 3, 3, 3, 4), k=n)
    seconds = rng.choices(range(20, 400), k=n)
    start = NOW - SPAN
    step = SPAN / n
    for i, owner in enumerate(owners):
        q = picks[i]
        qid, points = questions[q]
        t = text_picks[i]
        at = stamp(start + step * i)
        rating = ratings[i]
        yield (
            i + 1,
            owner,
            qid,
            texts[t],
            counts[t],
            covered_pool[q * variants + covered_picks[i]],
            points,
            at,
            at,
            seconds[i],
            rating,
            at if rating else None,
        )


def batched(rows: Iterator[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def seed(path: Path, args: argparse.Namespace, bank: QuestionBank) -> None:
    upgrade(f"sqlite+aiosqlite:///{path}")
    rng = random.Random(args.seed)
    conn = sqlite3.connect(path, isolation_level=None)
    # Seeding only: no journal, no fsync, and a page cache big enough for the indexes being built.
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-1000000")
    conn.execute("BEGIN")
    # Building each index once at the end, from all the rows, is several times faster than
    # updating it row by row; the definitions come from the migrated schema itself.
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        " AND tbl_name IN ('answer', 'review_log', 'card')"
    ).fetchall()
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    created = stamp(NOW - SPAN)
    conn.executemany(
        "INSERT INTO user (id, external_id, chat_id, display_name, is_active, created_at, timezone)"
        " VALUES (?, ?, ?, ?, 1, ?, ?)",
        (
            (i, f"bench:{i}", i, f"User {i}", created, "Europe/Berlin" if i == HEAVY_ID else None)
            for i in range(1, args.users + 1)
        ),
    )
    insert_answer = (
        "INSERT INTO answer (id, user_id, question_id, text, word_count, covered, points_total,"
        " asked_at, answered_at, seconds_taken, rating, rated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    insert_log = (
        "INSERT INTO review_log (user_id, question_id, answer_id, rating, reviewed_at, log_json)"
        " VALUES (?, ?, ?, ?, ?, ?)"
    )
    log_json = json.dumps({"card_id": 1, "rating": 3, "review_datetime": stamp(NOW), "review_duration": None})
    cards: dict[tuple[int, str], tuple[str, int]] = {}
    for batch in batched(sql_rows(args.answers, args.users, args.heavy, bank, rng), BATCH):
        conn.executemany(insert_answer, batch)
        rated = [r for r in batch if r[10] is not None]
        conn.executemany(insert_log, ((r[1], r[2], r[0], r[10], r[11], log_json) for r in rated))
        for r in rated:
            cards[(r[1], r[2])] = (r[11], r[10])
    due_spread = timedelta(days=20).total_seconds()
    conn.executemany(
        "INSERT INTO card (user_id, question_id, state_json, due_at, last_rating, last_review_at,"
        " review_count) VALUES (?, ?, '{}', ?, ?, ?, 1)",
        (
            (user, qid, stamp(NOW + timedelta(seconds=rng.uniform(-due_spread, due_spread))), rating, at)
            for (user, qid), (at, rating) in cards.items()
        ),
    )
    for _, sql in indexes:
        conn.execute(sql)
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode=WAL")  # what storage/db.py uses
    conn.close()


async def timed(fn: Callable[[], Awaitable[Any]], runs: int) -> tuple[float, float, Any]:
    """Median wall and CPU milliseconds (CPU of the whole process: the aiosqlite thread counts)."""
    result = await fn()  # warm-up: caches, compiled statements, pages in the OS cache
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = await fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall) * 1000, statistics.median(cpu) * 1000, result


def delete_without_timeout(path: Path, external_id: str, timeout: float) -> float | None:
    """Delete one user over plain sqlite3 with the app's pragmas; None if it took over `timeout` s."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=5000")
    timer = threading.Timer(timeout, conn.interrupt)
    timer.start()
    start = time.perf_counter()
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("DELETE FROM user WHERE external_id = ?", (external_id,))
        conn.execute("COMMIT")
        return time.perf_counter() - start
    except sqlite3.OperationalError:  # interrupted: SQLite has rolled the statement back
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        return None
    finally:
        timer.cancel()
        conn.close()


async def measure(path: Path, args: argparse.Namespace, bank: QuestionBank) -> None:
    url = f"sqlite+aiosqlite:///{path}"
    db = Database(url)
    interviews = InterviewService(db, bank, FeedbackMatcher(bank.questions), lambda: NOW, 5)
    progress = ProgressService(db, interviews, lambda: NOW, "UTC")
    heavy = Identity(f"bench:{HEAVY_ID}", HEAVY_ID, "Heavy")
    topic = bank.topics()[0]
    topic_ids = [q.id for q in bank.by_topic(topic)]
    size = 5
    first = await progress.history_page(heavy, 1, page_size=size)
    first_topic = await progress.history_page(heavy, 1, topic, page_size=size)
    print(
        f"heavy user: {first.total} answers ({first.pages} pages of {size}); "
        f"topic {topic!r}: {first_topic.total} answers ({first_topic.pages} pages)"
    )
    print()
    print(f"{'operation (heavy user)':<44} {'wall ms':>9} {'CPU ms':>9}   (medians of {args.runs})")
    rows: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
        ("history_page first page", lambda: progress.history_page(heavy, 1, page_size=size)),
        (
            "history_page middle page",
            lambda: progress.history_page(heavy, first.pages // 2, page_size=size),
        ),
        ("history_page last page", lambda: progress.history_page(heavy, first.pages, page_size=size)),
        (f"history_page first page, topic {topic}", lambda: progress.history_page(heavy, 1, topic)),
        (
            f"history_page middle page, topic {topic}",
            lambda: progress.history_page(heavy, first_topic.pages // 2, topic),
        ),
        (
            f"history_page last page, topic {topic}",
            lambda: progress.history_page(heavy, first_topic.pages, topic),
        ),
    ]
    # The question the heavy user answered most often: the longest attempt history.
    async with db.transaction() as conn:
        busiest = (
            await conn.exec_driver_sql(
                "SELECT id, question_id FROM answer WHERE user_id = ? AND question_id = ("
                " SELECT question_id FROM answer WHERE user_id = ? GROUP BY question_id"
                " ORDER BY count(*) DESC LIMIT 1) ORDER BY id DESC LIMIT 1",
                (HEAVY_ID, HEAVY_ID),
            )
        ).one()
        stat_rows_plan = await query_plan(conn, stat_rows_query(HEAVY_ID))
        plans = {
            "page (last page, no topic)": await query_plan(
                conn, page_query(HEAVY_ID, (first.pages - 1) * size, size)
            ),
            "page (topic filter)": await query_plan(conn, page_query(HEAVY_ID, 0, size, topic_ids)),
            "count (no topic)": await query_plan(conn, count_query(HEAVY_ID)),
            "count (topic filter)": await query_plan(conn, count_query(HEAVY_ID, topic_ids)),
            "attempts": await query_plan(conn, attempts_by_answer_query(HEAVY_ID, busiest.id)),
            "stats rows": stat_rows_plan,
        }

    async def stat_rows_only() -> Any:
        async with db.unit() as uow:
            return await uow.history.stat_rows(HEAVY_ID)

    rows += [
        ("attempts (busiest question)", lambda: progress.attempts(heavy, busiest.id)),
        ("stats", lambda: progress.stats(heavy)),
        ("  of which the stats rows query", stat_rows_only),
    ]
    results: dict[str, Any] = {}
    for label, fn in rows:
        wall, cpu, results[label] = await timed(fn, args.runs)
        print(f"{label:<44} {wall:>9.2f} {cpu:>9.2f}")
    history = results["attempts (busiest question)"]
    stats = results["stats"]
    print()
    print(
        f"attempts: {len(history.attempts)} at {busiest.question_id}; stats: {stats.answers} answers,"
        f" {stats.days_practised} days, streak {stats.current_streak}/{stats.longest_streak},"
        f" {len(stats.topics)} topics, {len(stats.series)} chart points, {stats.reviews_due} reviews due"
    )
    print()
    for name, plan in plans.items():
        print(f"EXPLAIN QUERY PLAN {name}:")
        for line in plan:
            print(f"  {line}")

    if args.delete:
        print()
        async with db.transaction() as conn:
            logs = (await conn.exec_driver_sql("SELECT count(*) FROM review_log")).scalar_one()
            per_user: list[Any] = list(
                await conn.exec_driver_sql(
                    "SELECT user_id, count(*) FROM answer WHERE user_id IN (2, 3) GROUP BY user_id"
                )
            )
        await db.dispose()
        counts: dict[int, int] = {int(user): int(n) for user, n in per_user}
        took = await asyncio.to_thread(delete_without_timeout, path, "bench:2", args.delete_timeout)
        shown = (
            f"{took * 1000:.0f} ms" if took is not None else f"over {args.delete_timeout:.0f} s, interrupted"
        )
        print(
            f"delete_everything, user with {counts.get(2, 0)} answers, {logs} review logs in the table,"
            f" schema as is: {shown}"
        )
        conn3 = sqlite3.connect(path)
        conn3.execute("CREATE INDEX ix_review_log_answer ON review_log (answer_id)")
        conn3.close()
        db = Database(url)
        progress = ProgressService(db, interviews, lambda: NOW, "UTC")
        start = time.perf_counter()
        assert await progress.delete_everything(Identity("bench:3", 3, "User 3"))
        print(
            f"delete_everything, user with {counts.get(3, 0)} answers, with an index on"
            f" review_log(answer_id): {(time.perf_counter() - start) * 1000:.0f} ms"
        )
        start = time.perf_counter()
        assert await progress.delete_everything(heavy)
        print(
            f"delete_everything, heavy user ({first.total} answers), with that index:"
            f" {(time.perf_counter() - start) * 1000:.0f} ms"
        )
    await db.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--answers", type=int, default=1_000_000, help="answers in all (default 1000000)")
    parser.add_argument(
        "--heavy", type=int, default=10_000, help="answers of the heavy user (default 10,000)"
    )
    parser.add_argument("--users", type=int, default=2000, help="users in all (default 2000)")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per operation (default 7)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--db", type=Path, help="seed this file (default: a temporary one)")
    parser.add_argument("--reuse", action="store_true", help="use --db as already seeded (skip seeding)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    parser.add_argument(
        "--delete", action="store_true", help="also time delete_everything (changes the file)"
    )
    parser.add_argument(
        "--delete-timeout",
        type=float,
        default=60.0,
        help="give up the unindexed delete after this (default 60 s)",
    )
    args = parser.parse_args(argv)
    if args.users < 2 or args.heavy < 1 or args.answers < args.heavy + args.users or args.runs < 1:
        parser.error("need --users >= 2, --heavy >= 1, --answers >= heavy + users, --runs >= 1")
    if args.reuse and args.db is None:
        parser.error("--reuse needs --db")
    bank = load_bank()
    with contextlib.ExitStack() as stack:
        if args.db is None:
            folder = (
                Path(tempfile.mkdtemp(prefix="history-bench-"))
                if args.keep
                else Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="history-bench-")))
            )
            path = folder / "bench.db"
        else:
            path = args.db
        if not args.reuse:
            if path.exists():
                parser.error(f"{path} exists; remove it or pass --reuse")
            start = time.perf_counter()
            seed(path, args, bank)
            size_mb = path.stat().st_size / 1e6
            print(
                f"seeded {args.answers:,} answers ({args.heavy:,} for the heavy user)"
                f" for {args.users:,} users in {time.perf_counter() - start:.1f} s: {path} ({size_mb:.0f} MB)"
            )
        asyncio.run(measure(path, args, bank))
        if args.keep and args.db is None:
            print(f"kept {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
