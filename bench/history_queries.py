"""History queries with one heavy user among a million answers, on SQLite or PostgreSQL.

    .venv/bin/python bench/history_queries.py [--answers 1000000] [--heavy 10000] [--users 2000]
    .venv/bin/python bench/history_queries.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

Seeds a fresh database (migrated with storage.migrate.upgrade, then filled in big batches with the
indexes built after the rows: plain sqlite3 executemany, or asyncpg COPY into a new database
`bench_history_<random>` created on the server `--database-url` names, dropped afterwards unless
`--keep`): `--answers` answers spread over `--users` users and two years, of which `--heavy`
belong to one user (time zone Europe/Berlin, so the stats cross DST changes), interleaved in time
with everyone else's (so the heavy user's rows are scattered over the whole table, as they would
be in production), plus a card per answered question and a review log per rated answer. Then,
through the real ProgressService on the usual engine, times (median of `--runs` after one
warm-up) history_page first/middle/last page with and without a topic filter, attempts, and
stats for the heavy user, prints each beside its goal, checks the stats against the
straightforward per-answer computation, and prints the query plans.

`--reuse` measures an already seeded database (`--db FILE` or `--database-url` naming it),
migrating it to the newest revision first.

With `--delete` (SQLite only) it also times delete_everything for an average user, once as the
schema stands and once after adding an index on review_log(answer_id) to the benchmark's own file:
without it, SQLite scans the whole review_log for each deleted answer to apply ON DELETE SET NULL.

Prints numbers; exit status 0 whatever they are. It is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import secrets
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is on sys.path, the repo root is not
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncConnection  # noqa: E402

from bot.core.feedback import FeedbackMatcher, words  # noqa: E402
from bot.core.interview import Identity, InterviewService  # noqa: E402
from bot.core.progress import ChartPoint, ProgressService, Stats, streaks  # noqa: E402
from bot.core.reviews import user_zone  # noqa: E402
from bot.core.schedule_time import local_date  # noqa: E402
from bot.core.zone_offsets import offset_spans  # noqa: E402
from questions.loader import QuestionBank, load_bank  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.history_repositories import (  # noqa: E402
    attempts_by_answer_query,
    count_query,
    page_query,
    query_plan,
    stat_series_query,
)
from storage.migrate import upgrade  # noqa: E402

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SPAN = timedelta(days=730)
HEAVY_ID = 1  # the heavy user is the first row of the user table
HEAVY_ZONE = "Europe/Berlin"
BATCH = 50_000
# The goals (issue 14), wall milliseconds for the heavy user.
PAGE_GOAL_MS = 5.0
STATS_GOAL_MS = 50.0
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
ANSWER_COLUMNS = (
    "id",
    "user_id",
    "question_id",
    "text",
    "word_count",
    "covered",
    "points_total",
    "asked_at",
    "answered_at",
    "seconds_taken",
    "rating",
    "rated_at",
)
REVIEW_LOG_COLUMNS = ("user_id", "question_id", "answer_id", "rating", "reviewed_at", "log_json")
CARD_COLUMNS = (
    "user_id",
    "question_id",
    "state_json",
    "due_at",
    "last_rating",
    "last_review_at",
    "review_count",
)
USER_COLUMNS = ("id", "external_id", "chat_id", "display_name", "is_active", "created_at", "timezone")


def stamp(at: datetime) -> str:
    """How storage.types.UtcDateTime stores an instant on SQLite (naive UTC text)."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def answer_rows(
    n: int, users: int, heavy: int, bank: QuestionBank, rng: random.Random
) -> Iterator[tuple[Any, ...]]:
    """Answer rows (ANSWER_COLUMNS, aware datetimes) in time order (ids ascend with time, as the
    bot inserts them)."""
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
        at = start + step * i
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


def batched(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class Seeder:
    """Everything but the answers, derived from the answer batches as they go by."""

    def __init__(self, args: argparse.Namespace, rng: random.Random) -> None:
        self.args = args
        self.rng = rng
        self.cards: dict[tuple[int, str], tuple[datetime, int]] = {}
        self.log_json = json.dumps(
            {"card_id": 1, "rating": 3, "review_datetime": stamp(NOW), "review_duration": None}
        )

    def users(self) -> Iterator[tuple[Any, ...]]:
        created = NOW - SPAN
        for i in range(1, self.args.users + 1):
            zone = HEAVY_ZONE if i == HEAVY_ID else None
            yield (i, f"bench:{i}", i, f"User {i}", True, created, zone)

    def review_logs(self, batch: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        rated = [r for r in batch if r[10] is not None]
        for r in rated:
            self.cards[(r[1], r[2])] = (r[11], r[10])
        return [(r[1], r[2], r[0], r[10], r[11], self.log_json) for r in rated]

    def card_rows(self) -> Iterator[tuple[Any, ...]]:
        due_spread = timedelta(days=20).total_seconds()
        for (user, qid), (at, rating) in self.cards.items():
            due = NOW + timedelta(seconds=self.rng.uniform(-due_spread, due_spread))
            yield (user, qid, "{}", due, rating, at, 1)


def sqlite_values(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(stamp(v) if isinstance(v, datetime) else v for v in row)


def insert_sql(table: str, columns: Sequence[str]) -> str:
    names = ", ".join(f'"{c}"' for c in columns)
    return f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(columns))})'


def seed_sqlite(path: Path, args: argparse.Namespace, bank: QuestionBank) -> None:
    upgrade(f"sqlite+aiosqlite:///{path}")
    rng = random.Random(args.seed)
    seeder = Seeder(args, rng)
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
    conn.executemany(insert_sql("user", USER_COLUMNS), map(sqlite_values, seeder.users()))
    for batch in batched(answer_rows(args.answers, args.users, args.heavy, bank, rng), BATCH):
        conn.executemany(insert_sql("answer", ANSWER_COLUMNS), map(sqlite_values, batch))
        conn.executemany(
            insert_sql("review_log", REVIEW_LOG_COLUMNS), map(sqlite_values, seeder.review_logs(batch))
        )
    conn.executemany(insert_sql("card", CARD_COLUMNS), map(sqlite_values, seeder.card_rows()))
    for _, sql in indexes:
        conn.execute(sql)
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode=WAL")  # what storage/db.py uses
    conn.close()


async def pg_connect(url: str) -> Any:
    """An asyncpg connection (asyncpg is the optional `postgres` extra, imported only here)."""
    import asyncpg  # type: ignore[import-untyped]

    return await asyncpg.connect(asyncpg_dsn(url))


def asyncpg_dsn(url: str) -> str:
    """The libpq-style address asyncpg takes, from a SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def create_postgres_database(server_url: str) -> str:
    name = f"bench_history_{secrets.token_hex(4)}"
    conn = await pg_connect(server_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(url: str) -> None:
    parsed = make_url(url)
    conn = await pg_connect(parsed.set(database="postgres").render_as_string(hide_password=False))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
    finally:
        await conn.close()


async def seed_postgres(url: str, args: argparse.Namespace, bank: QuestionBank) -> None:
    await asyncio.to_thread(upgrade, url)
    rng = random.Random(args.seed)
    seeder = Seeder(args, rng)
    conn = await pg_connect(url)
    try:
        # As on SQLite: the indexes are built once, after the rows (primary keys stay).
        indexes = await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
            " AND tablename IN ('answer', 'review_log', 'card') AND indexname NOT LIKE 'pk\\_%'"
        )
        async with conn.transaction():
            for index in indexes:
                await conn.execute(f'DROP INDEX "{index["indexname"]}"')
            await conn.copy_records_to_table("user", records=list(seeder.users()), columns=USER_COLUMNS)
            for batch in batched(answer_rows(args.answers, args.users, args.heavy, bank, rng), BATCH * 2):
                await conn.copy_records_to_table("answer", records=batch, columns=ANSWER_COLUMNS)
                logs = seeder.review_logs(batch)
                await conn.copy_records_to_table("review_log", records=logs, columns=REVIEW_LOG_COLUMNS)
            await conn.copy_records_to_table("card", records=list(seeder.card_rows()), columns=CARD_COLUMNS)
            await conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for index in indexes:
                await conn.execute(index["indexdef"])
            for table in ("user", "answer", "review_log", "card"):
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'),"
                    f' (SELECT max(id) FROM "{table}"))'
                )
        # Index-only scans need the visibility map, which VACUUM sets (autovacuum, in production).
        await conn.execute("VACUUM (ANALYZE)")
    finally:
        await conn.close()


async def vacuum_postgres(url: str) -> None:
    conn = await pg_connect(url)
    try:
        await conn.execute("VACUUM (ANALYZE) answer")
    finally:
        await conn.close()


async def timed(fn: Callable[[], Awaitable[Any]], runs: int) -> tuple[float, float, Any]:
    """Median wall and CPU milliseconds (CPU of this process: the aiosqlite thread counts; a
    PostgreSQL server's CPU does not)."""
    result = await fn()  # warm-up: caches, compiled statements, pages in the OS cache
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = await fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall) * 1000, statistics.median(cpu) * 1000, result


async def plan_lines(conn: AsyncConnection, stmt: Select[Any]) -> list[str]:
    """SQLite's EXPLAIN QUERY PLAN, or PostgreSQL's EXPLAIN of the generic plan (the statement
    run with its parameters through the driver, so no literal rendering is needed)."""
    if conn.dialect.name == "sqlite":
        return await query_plan(conn, stmt)
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    values = [params[name] for name in compiled.positiontup or ()]
    raw = await conn.get_raw_connection()
    driver: Any = raw.driver_connection  # asyncpg's Connection
    # The plan a prepared statement settles on after five runs, not the first runs' custom one.
    await driver.execute("SET LOCAL plan_cache_mode = force_generic_plan")
    rows = await driver.fetch(f"EXPLAIN (COSTS OFF) {compiled}", *values)
    return [str(r[0]) for r in rows]


async def straightforward_stats(db: Database, user_id: int, bank: QuestionBank) -> dict[str, Any]:
    """The stats the way they were computed before SQL added them up: every answer read, each
    local date from zoneinfo, everything counted in Python."""
    async with db.unit() as uow:
        profile = await uow.users.profile_by_id(user_id)
        rows = await uow.history.stat_rows(user_id)
    assert profile is not None
    tz = user_zone(profile.timezone, "UTC")
    days = [local_date(r.answered_at, tz) for r in rows]
    runs = streaks(days, local_date(NOW, tz))
    topics: dict[str, Counter[str]] = {}
    for r in rows:
        question = bank.by_id.get(r.question_id)
        if question is not None:
            tally = topics.setdefault(question.topic, Counter())
            tally.update(answers=1, covered=r.covered, total=r.points_total)
            tally[f"rating {r.rating}"] += 1
    return {
        "answers": len(rows),
        "days": len(set(days)),
        "streaks": (runs.current, runs.longest),
        "topics": {slug: dict(tally) for slug, tally in topics.items()},
        "series": tuple(
            ChartPoint(day, bank.by_id[r.question_id].topic, r.covered, r.points_total)
            for day, r in zip(days, rows, strict=True)
            if r.question_id in bank.by_id
        ),
    }


def summary_of(stats: Stats) -> dict[str, Any]:
    topics = {}
    for t in stats.topics:
        tally = Counter(answers=t.answers, covered=t.covered, total=t.total)
        for rating, n in t.ratings:
            tally[f"rating {int(rating)}"] += n
        tally["rating None"] += t.unrated
        topics[t.topic] = {k: v for k, v in tally.items() if v}
    return {
        "answers": stats.answers,
        "days": stats.days_practised,
        "streaks": (stats.current_streak, stats.longest_streak),
        "topics": topics,
        "series": stats.series,
    }


def verdict(ms: float, goal: float) -> str:
    return f"<= {goal:g} ms: {'met' if ms <= goal else 'NOT met'}"


async def measure(url: str, args: argparse.Namespace, bank: QuestionBank) -> None:
    db = Database(url)
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    interviews = InterviewService(db, bank, FeedbackMatcher(bank.questions), lambda: NOW, 5)
    progress = ProgressService(db, interviews, lambda: NOW, "UTC")
    heavy = Identity(f"bench:{HEAVY_ID}", HEAVY_ID, "Heavy")
    topic = bank.topics()[0]
    topic_ids = [q.id for q in bank.by_topic(topic)]
    size = 5
    first = await progress.history_page(heavy, 1, page_size=size)
    first_topic = await progress.history_page(heavy, 1, topic, page_size=size)
    print(
        f"{backend}; heavy user: {first.total} answers ({first.pages} pages of {size}); "
        f"topic {topic!r}: {first_topic.total} answers ({first_topic.pages} pages)"
    )
    print()
    print(
        f"{'operation (heavy user)':<44} {'wall ms':>9} {'CPU ms':>9}   goal (wall ms)"
        f"   (medians of {args.runs})"
    )
    pages: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
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
                "SELECT id, question_id FROM answer WHERE user_id = %(u)s AND question_id = ("
                " SELECT question_id FROM answer WHERE user_id = %(u)s GROUP BY question_id"
                " ORDER BY count(*) DESC, question_id LIMIT 1) ORDER BY id DESC LIMIT 1".replace(
                    "%(u)s", str(HEAVY_ID)
                )
            )
        ).one()
        dialect = conn.dialect.name
        plans = {
            "page (middle page, no topic)": await plan_lines(
                conn, page_query(HEAVY_ID, (first.pages // 2) * size, size)
            ),
            "page (middle page, topic filter)": await plan_lines(
                conn, page_query(HEAVY_ID, (first_topic.pages // 2) * size, size, topic_ids)
            ),
            "count (no topic)": await plan_lines(conn, count_query(HEAVY_ID)),
            "count (topic filter)": await plan_lines(conn, count_query(HEAVY_ID, topic_ids)),
            "attempts": await plan_lines(conn, attempts_by_answer_query(HEAVY_ID, busiest.id)),
            "stats: per-answer series": await plan_lines(conn, stat_series_query(HEAVY_ID, dialect)),
        }

    async def series_only() -> Any:
        async with db.unit() as uow:
            return await uow.history.stat_series(
                HEAVY_ID, partial(offset_spans, user_zone(HEAVY_ZONE, "UTC"))
            )

    rows: list[tuple[str, Callable[[], Awaitable[Any]], float | None]] = [
        (label, fn, PAGE_GOAL_MS) for label, fn in pages
    ]
    rows += [
        ("attempts (busiest question)", lambda: progress.attempts(heavy, busiest.id), None),
        ("stats", lambda: progress.stats(heavy), STATS_GOAL_MS),
        ("  of which reading the answers", series_only, None),
    ]
    results: dict[str, Any] = {}
    for label, fn, goal in rows:
        wall, cpu, results[label] = await timed(fn, args.runs)
        shown = verdict(wall, goal) if goal is not None else ""
        print(f"{label:<44} {wall:>9.2f} {cpu:>9.2f}   {shown}")
    history = results["attempts (busiest question)"]
    stats = results["stats"]
    print()
    print(
        f"attempts: {len(history.attempts)} at {busiest.question_id}; stats: {stats.answers} answers,"
        f" {stats.days_practised} days, streak {stats.current_streak}/{stats.longest_streak},"
        f" {len(stats.topics)} topics, {len(stats.series)} chart points, {stats.reviews_due} reviews due"
    )
    reference = await straightforward_stats(db, HEAVY_ID, bank)
    same = summary_of(stats) == reference
    print(f"stats equal to the straightforward per-answer computation: {'yes' if same else 'NO'}")
    print()
    for name, plan in plans.items():
        print(f"query plan, {name}:")
        for line in plan:
            print(f"  {line}")
    await db.dispose()


async def measure_delete(path: Path, bank: QuestionBank, args: argparse.Namespace) -> None:
    url = f"sqlite+aiosqlite:///{path}"
    db = Database(url)
    interviews = InterviewService(db, bank, FeedbackMatcher(bank.questions), lambda: NOW, 5)
    heavy = Identity(f"bench:{HEAVY_ID}", HEAVY_ID, "Heavy")
    print()
    async with db.transaction() as conn:
        logs = (await conn.exec_driver_sql("SELECT count(*) FROM review_log")).scalar_one()
        per_user: list[Any] = list(
            await conn.exec_driver_sql(
                "SELECT user_id, count(*) FROM answer WHERE user_id IN (1, 2, 3) GROUP BY user_id"
            )
        )
    await db.dispose()
    counts: dict[int, int] = {int(user): int(n) for user, n in per_user}
    conn2 = sqlite3.connect(path)
    conn2.execute("DROP INDEX IF EXISTS ix_review_log_answer")
    conn2.close()
    took = await asyncio.to_thread(delete_without_timeout, path, "bench:2", args.delete_timeout)
    shown = f"{took * 1000:.0f} ms" if took is not None else f"over {args.delete_timeout:.0f} s, interrupted"
    print(
        f"delete_everything, user with {counts.get(2, 0)} answers, {logs} review logs in the table,"
        f" without an index on review_log(answer_id): {shown}"
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
        f"delete_everything, heavy user ({counts.get(1, 0)} answers), with that index:"
        f" {(time.perf_counter() - start) * 1000:.0f} ms"
    )
    await db.dispose()


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


def seeded_line(args: argparse.Namespace, seconds: float, where: str) -> str:
    return (
        f"seeded {args.answers:,} answers ({args.heavy:,} for the heavy user)"
        f" for {args.users:,} users in {seconds:.1f} s: {where}"
    )


def run_sqlite(args: argparse.Namespace, parser: argparse.ArgumentParser, bank: QuestionBank) -> None:
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
        url = f"sqlite+aiosqlite:///{path}"
        if args.reuse:
            upgrade(url)  # a file seeded before the newest migration gets it (0009 rebuilds an index)
        else:
            if path.exists():
                parser.error(f"{path} exists; remove it or pass --reuse")
            start = time.perf_counter()
            seed_sqlite(path, args, bank)
            size_mb = path.stat().st_size / 1e6
            print(seeded_line(args, time.perf_counter() - start, f"{path} ({size_mb:.0f} MB)"))
        asyncio.run(measure(url, args, bank))
        if args.delete:
            asyncio.run(measure_delete(path, bank, args))
        if args.keep and args.db is None:
            print(f"kept {path}")


async def run_postgres(args: argparse.Namespace, bank: QuestionBank) -> None:
    if args.reuse:
        url = args.database_url
        await asyncio.to_thread(upgrade, url)
        await vacuum_postgres(url)
    else:
        url = await create_postgres_database(args.database_url)
    try:
        if not args.reuse:
            start = time.perf_counter()
            await seed_postgres(url, args, bank)
            print(seeded_line(args, time.perf_counter() - start, make_url(url).database or ""))
        await measure(url, args, bank)
    finally:
        if args.keep or args.reuse:
            print(f"kept {make_url(url).render_as_string(hide_password=True)} (measure again with --reuse)")
        else:
            await drop_postgres_database(url)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--answers", type=int, default=1_000_000, help="answers in all (default 1000000)")
    parser.add_argument(
        "--heavy", type=int, default=10_000, help="answers of the heavy user (default 10,000)"
    )
    parser.add_argument("--users", type=int, default=2000, help="users in all (default 2000)")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per operation (default 7)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--db", type=Path, help="SQLite: seed this file (default: a temporary one)")
    parser.add_argument(
        "--database-url",
        help="PostgreSQL instead of SQLite: the server to create a bench_history_* database on"
        " (postgresql+asyncpg://user@host:port/postgres), or with --reuse the seeded database",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="measure --db or --database-url as already seeded"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database the run seeded")
    parser.add_argument(
        "--delete", action="store_true", help="SQLite: also time delete_everything (changes the file)"
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
    if args.database_url is not None:
        if not args.database_url.startswith("postgresql+asyncpg://"):
            parser.error("--database-url must be a postgresql+asyncpg:// URL")
        if args.db is not None or args.delete:
            parser.error("--db and --delete are for SQLite only")
    elif args.reuse and args.db is None:
        parser.error("--reuse needs --db or --database-url")
    bank = load_bank()
    if args.database_url is not None:
        asyncio.run(run_postgres(args, bank))
    else:
        run_sqlite(args, parser, bank)
    return 0


if __name__ == "__main__":
    sys.exit(main())
