"""Apply Alembic migrations from code, so `run`, `chat` and tests share one path.

A SQLite file that is already at the newest revision is recognised without Alembic (its import
and script scan cost about 0.25 s and 8 MB at every start of the bot): the newest revision is
read from the migration files' `revision`/`down_revision` lines and compared with the file's
alembic_version row.
"""

import asyncio
import contextlib
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from storage.db import ensure_sqlite_dir

fcntl: ModuleType | None
try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows; a lone process needs no lock there
    fcntl = None

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

_REVISION_LINE = re.compile(
    r"""^(down_revision|revision)\s*(?::[^=\n]*)?=\s*["']([^"']+)["']""", re.MULTILINE
)


def alembic_config(url: str) -> "Config":
    from alembic.config import Config

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


def head_revision() -> str | None:
    """The newest revision, from the migration files; None unless there is exactly one head."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        for name, value in _REVISION_LINE.findall(path.read_text(encoding="utf-8")):
            (revisions if name == "revision" else parents).add(value)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _sqlite_is_current(url: str) -> bool:
    """A SQLite file whose alembic_version is the newest revision: nothing to migrate."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return False
    head = head_revision()
    if head is None:
        return False
    try:
        with contextlib.closing(sqlite3.connect(parsed.database)) as conn:
            rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.Error:  # no such table yet: a new database
        return False
    return rows == [(head,)]


def upgrade(url: str, revision: str = "head") -> None:
    """Blocking; env.py runs its own event loop, so call it outside of one (or via upgrade_async)."""
    ensure_sqlite_dir(url)
    _check_sqlite_opens(url)
    if revision == "head" and _sqlite_is_current(url):
        return
    from alembic import command

    with _sqlite_migration_lock(url):
        command.upgrade(alembic_config(url), revision)


async def upgrade_async(url: str, revision: str = "head") -> None:
    await asyncio.to_thread(upgrade, url, revision)
