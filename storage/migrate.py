"""Apply Alembic migrations from code, so `run`, `chat` and tests share one path."""

import asyncio
import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

from storage.db import ensure_sqlite_dir

fcntl: ModuleType | None
try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows; a lone process needs no lock there
    fcntl = None

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation would choke on '%' in passwords.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _check_sqlite_opens(url: str) -> None:
    """Open a SQLite file synchronously first: when aiosqlite fails to open one, its worker
    thread can outlive the event loop and print a traceback; this fails cleanly instead."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        try:
            sqlite3.connect(parsed.database).close()
        except sqlite3.Error as exc:
            raise OSError(f"{exc} ({parsed.database})") from None


@contextlib.contextmanager
def _sqlite_migration_lock(url: str) -> Iterator[None]:
    """Processes starting at once on one SQLite file migrate in turn (PostgreSQL: env.py takes
    an advisory lock). An exclusive lock on a file beside the database, released on exit even
    when the process dies."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:") or fcntl is None:
        yield
        return
    with open(f"{parsed.database}.migrate-lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade(url: str, revision: str = "head") -> None:
    """Blocking; env.py runs its own event loop, so call it outside of one (or via upgrade_async)."""
    ensure_sqlite_dir(url)
    _check_sqlite_opens(url)
    with _sqlite_migration_lock(url):
        command.upgrade(alembic_config(url), revision)


async def upgrade_async(url: str, revision: str = "head") -> None:
    await asyncio.to_thread(upgrade, url, revision)
