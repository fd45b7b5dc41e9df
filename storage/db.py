"""Engine and transactions. SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from storage.sqlite_driver import BEGIN, OneHopConnection, one_hop_dbapi
from storage.uow import Conflict, StorageError, UnitOfWork

log = logging.getLogger(__name__)

# PostgreSQL: how long to wait to connect, for a free pooled connection, and for one statement.
CONNECT_TIMEOUT_SECONDS = 5.0
POOL_TIMEOUT_SECONDS = 5.0
STATEMENT_TIMEOUT_SECONDS = 10.0
# SQLite: how long a transaction waits for its turn in this process (as long as busy_timeout).
TURN_WAIT_SECONDS = 5.0


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # secure_delete overwrites deleted rows with zeros, so /deletedata leaves no copy in free pages.
        pragmas = (
            "journal_mode=WAL",
            "busy_timeout=5000",
            "foreign_keys=ON",
            "synchronous=NORMAL",
            "secure_delete=ON",
        )
        for pragma in pragmas:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A deferred BEGIN that later writes fails at once with "database is locked"
        # when another writer holds the lock; IMMEDIATE waits on busy_timeout instead.
        adapted = conn.connection.dbapi_connection
        if isinstance(adapted, OneHopConnection):
            adapted.begin_pending = True  # sent with the first statement, in the same trip
        else:
            conn.exec_driver_sql(BEGIN)


def ensure_sqlite_dir(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


class Database:
    """One engine per process; every unit of work is one short transaction."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        ensure_sqlite_dir(url)
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        # Every unit of work ends in an explicit COMMIT or ROLLBACK (unit() below), so
        # the pool's extra ROLLBACK on check-in is a wasted aiosqlite thread round trip.
        options: dict[str, Any] = {"pool_reset_on_return": None} if self.is_sqlite else {}
        if make_url(url).get_driver_name() == "aiosqlite":
            # One trip to aiosqlite's thread per statement instead of four (storage/sqlite_driver.py).
            options["module"] = one_hop_dbapi()
        if make_url(url).get_backend_name() == "postgresql":
            # A stopped or hung server must give a clear reply within seconds, never a frozen
            # bot: connecting, waiting for a pooled connection and every statement time out.
            options.update(
                pool_timeout=POOL_TIMEOUT_SECONDS,
                pool_pre_ping=True,
                connect_args={
                    "timeout": CONNECT_TIMEOUT_SECONDS,
                    "command_timeout": STATEMENT_TIMEOUT_SECONDS,
                },
            )
        # SQL parameters hold answers and names: keep them out of error messages and logs.
        self.engine = create_async_engine(url, echo=echo, hide_parameters=True, **options)
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        self._turns = asyncio.Lock() if self.is_sqlite else None  # FIFO; see _turn

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[UnitOfWork]:
        """One transaction with the repositories over it (see storage/uow.py)."""
        try:
            async with self._turn(), self.engine.begin() as conn:
                yield UnitOfWork(conn)
        except IntegrityError as error:
            raise Conflict(str(error.orig)) from error
        except (SQLAlchemyError, OSError, TimeoutError) as error:
            # Locked, full, stopped or hung: one kind of failure for callers, who tell the user
            # plainly that nothing was saved. The driver's exception stays the cause.
            if isinstance(error, StorageError):
                raise
            raise StorageError(f"{type(error).__name__}: {error}") from error

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """The bare connection, for tests and benchmarks that run their own statements."""
        async with self._turn(), self.engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """On SQLite, this process's transactions take turns, first come first served.

        SQLite lets one writer in at a time and every transaction here writes (BEGIN IMMEDIATE).
        Without turns, waiting transactions poll the lock from their own threads with growing
        sleeps, and under load one can be passed over until its busy timeout runs out ("database
        is locked", an answer not saved) while later ones get in. A turn is waited for as long
        as the busy timeout; other processes' transactions still meet the busy timeout itself.
        """
        if self._turns is None:
            yield
            return
        try:
            async with asyncio.timeout(TURN_WAIT_SECONDS):
                await self._turns.acquire()
        except TimeoutError as error:
            # Another transaction of this process holds SQLite's lock (or waits for it) as long.
            raise StorageError(f"database is locked: no turn within {TURN_WAIT_SECONDS:.0f} s") from error
        try:
            yield
        finally:
            self._turns.release()

    async def purge_deleted(self) -> None:
        """Copy the WAL into the database file and empty it, so no old page with deleted rows
        stays in `-wal` (secure_delete has zeroed them in the main file). Call it after the
        deleting unit of work commits, never inside one. PostgreSQL needs nothing here."""
        if not self.is_sqlite:
            return
        async with self.engine.connect() as conn:
            # On the driver's connection directly: a checkpoint must run outside a transaction,
            # and every SQLAlchemy transaction here starts with BEGIN IMMEDIATE.
            raw = await conn.get_raw_connection()
            driver: Any = raw.driver_connection  # aiosqlite's Connection
            cursor = await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            busy, *_ = await cursor.fetchone()
            await cursor.close()
        if busy:
            # A reader held old pages past busy_timeout; the next checkpoint overwrites them.
            log.warning("the WAL checkpoint after a deletion was blocked by a reader")

    async def dispose(self) -> None:
        await self.engine.dispose()
