"""The SQLite driver makes one trip to aiosqlite's thread per statement and answers as before."""

import sqlite3
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.db import Database
from storage.uow import Conflict, StorageError

INSERT = text("INSERT INTO scratch (name, n) VALUES (:name, :n)")


@pytest.fixture
async def db(sqlite_url: str) -> AsyncIterator[Database]:
    database = Database(sqlite_url)
    yield database
    await database.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of every function queued on an aiosqlite connection's thread."""
    queued: list[str] = []
    original = aiosqlite.Connection._execute

    async def counting(self: aiosqlite.Connection, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        queued.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)  # type: ignore[no-untyped-call]

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counting)
    return queued


async def _scratch(db: Database) -> None:
    async with db.transaction() as conn:
        await conn.execute(text("CREATE TABLE scratch (id INTEGER PRIMARY KEY, name TEXT UNIQUE, n INT)"))


async def test_a_unit_of_work_is_one_trip_per_statement(db: Database, trips: list[str]) -> None:
    await _scratch(db)
    trips.clear()
    async with db.transaction() as conn:
        await conn.execute(text("INSERT INTO scratch (name, n) VALUES ('a', 1), ('b', 2)"))
        rows = (await conn.execute(text("SELECT name, n FROM scratch ORDER BY n"))).all()
        await conn.execute(text("UPDATE scratch SET n = n + 1"))
    assert [tuple(row) for row in rows] == [("a", 1), ("b", 2)]
    # BEGIN IMMEDIATE rides with the first statement; before, each statement was four trips and
    # BEGIN four more.
    assert trips == ["_run", "_run", "_run", "commit"]


async def test_a_unit_that_runs_no_statement_costs_no_trip(db: Database, trips: list[str]) -> None:
    await _scratch(db)
    trips.clear()
    async with db.transaction():
        pass
    with pytest.raises(RuntimeError):
        async with db.transaction():
            raise RuntimeError("before any statement")
    assert trips == []


async def test_the_first_statement_begins_an_immediate_transaction(db: Database, sqlite_url: str) -> None:
    """Even a read first: the write lock is taken then, so a later write never fails at once."""
    await _scratch(db)
    other = sqlite3.connect(make_url(sqlite_url).database or "", timeout=0, isolation_level=None)
    try:
        async with db.transaction() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM scratch"))).scalar_one() == 0
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # free again after the commit
        other.execute("ROLLBACK")
        # A streamed first statement (aiosqlite's own cursor) begins in a trip of its own.
        async with db.transaction() as conn:
            streamed = await conn.stream(text("SELECT n FROM scratch"))
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            assert [row async for row in streamed] == []
    finally:
        other.close()


async def test_row_counts_row_ids_and_returning_rows_are_the_drivers(db: Database) -> None:
    await _scratch(db)
    async with db.transaction() as conn:
        inserted = await conn.execute(text("INSERT INTO scratch (name, n) VALUES ('a', 1)"))
        assert inserted.lastrowid == 1
        many = await conn.execute(
            text("INSERT INTO scratch (name, n) VALUES (:name, :n)"),
            [{"name": "b", "n": 2}, {"name": "c", "n": 3}],
        )
        assert many.rowcount == 2
        updated = await conn.execute(text("UPDATE scratch SET n = n * 10 WHERE n >= 2"))
        assert updated.rowcount == 2
        returned = await conn.execute(text("UPDATE scratch SET n = n + 1 WHERE name = 'c' RETURNING id, n"))
        assert [tuple(row) for row in returned] == [(3, 31)]
        assert (await conn.execute(text("SELECT count(*) FROM scratch WHERE n > 100"))).scalar_one() == 0
        assert (await conn.execute(text("SELECT name FROM scratch WHERE n < 0"))).first() is None


async def test_a_duplicate_is_still_a_conflict_and_bad_sql_a_storage_error(
    db: Database,
) -> None:
    await _scratch(db)
    async with db.unit() as uow:
        await uow.conn.execute(text("INSERT INTO scratch (name, n) VALUES ('a', 1)"))
    with pytest.raises(Conflict):
        async with db.unit() as uow:
            await uow.conn.execute(text("INSERT INTO scratch (name, n) VALUES ('a', 2)"))
    with pytest.raises(StorageError, match="no such table"):
        async with db.unit() as uow:
            await uow.conn.execute(text("SELECT * FROM missing"))
    # Both failed units rolled back; the connection is fine for the next one.
    async with db.transaction() as conn:
        assert (await conn.execute(text("SELECT name, n FROM scratch"))).all() == [("a", 1)]


async def test_a_streamed_result_still_reads_in_chunks(db: Database) -> None:
    await _scratch(db)
    async with db.transaction() as conn:
        await conn.execute(
            text("INSERT INTO scratch (name, n) VALUES (:name, :n)"),
            [{"name": f"n{i}", "n": i} for i in range(250)],
        )
    async with db.transaction() as conn:
        result = await conn.stream(text("SELECT n FROM scratch ORDER BY n"))
        seen = [n async for (n,) in result]
    assert seen == list(range(250))
