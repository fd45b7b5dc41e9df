"""Shared fixtures: a fresh migrated database per test, a fake clock, the bank.

`db_url` (and so `settings`, `services`, `bot_settings`, `bot`) is parametrised: every test that
uses it runs on SQLite ([sqlite]) and, when TEST_DATABASE_URL names a server, on PostgreSQL
([postgresql]; skipped with the reason otherwise). See tests/db_postgres.py for how.
"""

import functools
import random
import shutil
import ssl
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from telegram.ext import AIORateLimiter
from telegram.request import HTTPXRequest

from bot.config import Settings, load_settings
from bot.core.services import Services
from bot.core.srs import SpacedRepetition
from bot.tg.app import ALLOWED_UPDATES, BotApplication, build_application
from questions.loader import QuestionBank, load_bank
from storage.db import Database
from storage.migrate import upgrade
from tests import loop_guard
from tests.db_postgres import Unavailable, WorkerDatabase, fresh_database
from tests.fake_telegram import FakeTelegram


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once per run; each test copies the file (much faster than migrating again)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path, migrated_template: Path) -> str:
    """A migrated SQLite file, for the few tests whose subject is SQLite itself."""
    target = tmp_path / "bot.db"
    shutil.copy(migrated_template, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture(scope="session")
def postgres_database(worker_id: str) -> Iterator[WorkerDatabase | Unavailable]:
    """This worker's PostgreSQL database, migrated once; or why there is none (tests skip)."""
    try:
        database = WorkerDatabase(worker_id)
    except Unavailable as reason:
        yield reason
        return
    try:
        yield database
    finally:
        database.drop()


@pytest.fixture
def pg_url(postgres_database: WorkerDatabase | Unavailable) -> str:
    """A migrated PostgreSQL database with no rows, for this test alone (asyncpg URL)."""
    if isinstance(postgres_database, Unavailable):
        pytest.skip(str(postgres_database))
    postgres_database.reset()
    return postgres_database.url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database nothing has migrated yet, for tests of migrating: on SQLite a file in a folder
    that does not exist yet, on PostgreSQL a database of its own (slow: seconds), dropped after."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh' / 'bot.db'}"
        return
    try:
        with fresh_database("t_empty") as url:
            yield url
    except Unavailable as reason:
        pytest.skip(str(reason))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """The bot's database for one test, on each database the run has."""
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))


@pytest.fixture(scope="session")
def bank() -> QuestionBank:
    return load_bank()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


def make_settings(tmp_path: Path, db_url: str, **env: str) -> Settings:
    return load_settings(None, {"DATABASE_URL": db_url, **env}, tmp_path)


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return make_settings(tmp_path, db_url)


@pytest.fixture
async def services(settings: Settings, bank: QuestionBank, clock: FakeClock) -> AsyncIterator[Services]:
    opened = Services(
        settings,
        Database(settings.database.url),
        bank,
        clock,
        random.Random(7),
        SpacedRepetition(enable_fuzzing=False),
    )
    yield opened
    await opened.close()


# A token of the real shape (the config checks it); it is not a real bot's.
FAKE_TOKEN = "123456789:TEST_token_for_the_fake_bot_api_server"


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=FAKE_TOKEN) as server:
        yield server


def write_bot_settings(
    tmp_path: Path, db_url: str, fake: FakeTelegram, extra_toml: str = "", *, ask_level: bool = False
) -> Settings:
    """A config file for a bot talking to `fake`; `extra_toml` adds sections, e.g. "[scheduler]".

    Unless `ask_level`, a first /interview starts at once instead of asking the user's level
    (the tests of that question turn it on)."""
    if "[interview]" not in extra_toml:
        extra_toml += f"\n[interview]\nask_level = {str(ask_level).lower()}\n"
    config = tmp_path / "config.toml"
    config.write_text(
        f'[telegram]\ntoken = "{fake.token}"\nbase_url = "{fake.base_url}"\n'
        f'base_file_url = "{fake.base_file_url}"\n\n[database]\nurl = "{db_url}"\n\n{extra_toml}',
        encoding="utf-8",
    )
    return load_settings(config, {}, tmp_path)


@pytest.fixture
def bot_settings(tmp_path: Path, db_url: str, fake: FakeTelegram) -> Settings:
    return write_bot_settings(tmp_path, db_url, fake)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


def http_client(connection_pool_size: int) -> HTTPXRequest:
    """An HTTP client as PTB builds it by default (256 connections, 1 for getUpdates), with one
    TLS context shared by every test: loading the CA bundle costs about 25 ms of CPU per client,
    two clients per bot, and the tests talk plain HTTP to 127.0.0.1 anyway."""
    return HTTPXRequest(connection_pool_size=connection_pool_size, httpx_kwargs={"verify": _tls_context()})


@asynccontextmanager
async def running_bot(
    settings: Settings,
    bank: QuestionBank,
    clock: FakeClock,
    *,
    paced: bool = True,
    sweep_timer: bool = True,
) -> AsyncIterator[BotApplication]:
    """The real Application, started the way run_polling starts it, stopped the same way.

    Unless `paced`, its rate limiter retries after a 429 as the bot's own does but does not hold
    messages to 30 a second (for tests that send hundreds of prompts but do not test the pacing).
    Without `sweep_timer` the sweep job is paused before the JobQueue starts: it runs only when
    the test runs it (`job.run(app)`), never on its own.
    """
    services = Services(
        settings,
        Database(settings.database.url),
        bank,
        clock,
        random.Random(3),
        SpacedRepetition(enable_fuzzing=False),
    )
    unpaced = None if paced else AIORateLimiter(overall_max_rate=0, max_retries=3)
    app = build_application(
        services,
        settings.require_token(),
        rate_limiter=unpaced,
        requests=(http_client(256), http_client(1)),
    )
    await app.initialize()
    if app.post_init:
        await app.post_init(app)
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=ALLOWED_UPDATES)
    if not sweep_timer:
        assert app.job_queue is not None
        for job in app.job_queue.get_jobs_by_name("prompt-sweep"):
            job.enabled = False
    await app.start()
    try:
        yield app
    finally:
        # A test may have stopped it already (to simulate a crash or restart).
        if app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)


@pytest.fixture
async def bot(bot_settings: Settings, bank: QuestionBank, clock: FakeClock) -> AsyncIterator[BotApplication]:
    async with running_bot(bot_settings, bank, clock) as app:
        yield app


def pytest_configure(config: pytest.Config) -> None:
    loop_guard.install()
    config.addinivalue_line(
        "markers",
        "sqlite_only: its subject is SQLite itself (file locks, WAL, query plans): no [postgresql] run",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Drop the [postgresql] runs of tests marked sqlite_only; order each test's parameter sets
    by id, keeping the tests in file order.

    Some parameters come from sets (SQLAlchemy's `table.foreign_keys`), whose order differs from
    one process to the next, and pytest-xdist needs every worker to collect the same list.
    """
    sqlite_only = [
        item
        for item in items
        if item.get_closest_marker("sqlite_only")
        and getattr(getattr(item, "callspec", None), "params", {}).get("db_url") == "postgresql"
    ]
    if sqlite_only:
        config.hook.pytest_deselected(items=sqlite_only)
        items[:] = [item for item in items if item not in sqlite_only]
    first: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        first.setdefault((str(item.path), getattr(item, "originalname", item.name)), index)
    items.sort(
        key=lambda item: (first[(str(item.path), getattr(item, "originalname", item.name))], item.nodeid)
    )
