"""On SQLite, this process's transactions take turns at the write lock, first come first served."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import event, text

import storage.db
from storage.db import Database
from storage.uow import StorageError


@pytest.fixture
async def db(sqlite_url: str) -> AsyncIterator[Database]:
    database = Database(sqlite_url)
    async with database.transaction() as conn:
        await conn.execute(text("CREATE TABLE scratch (id INTEGER PRIMARY KEY, name TEXT)"))
    yield database
    await database.dispose()


async def test_concurrent_units_go_in_the_order_they_came_one_connection_at_a_time(db: Database) -> None:
    out = [0, 0]  # connections checked out now, and the most at once

    def checked_out(*_: object) -> None:
        out[0] += 1
        out[1] = max(out)

    def checked_in(*_: object) -> None:
        out[0] -= 1

    event.listen(db.engine.sync_engine.pool, "checkout", checked_out)
    event.listen(db.engine.sync_engine.pool, "checkin", checked_in)

    async def writer(n: int) -> None:
        async with db.unit() as uow:
            await uow.conn.execute(text("INSERT INTO scratch (name) VALUES (:n)"), {"n": f"w{n}"})
            await asyncio.sleep(0.02)  # holds SQLite's write lock meanwhile

    await asyncio.gather(*(asyncio.create_task(writer(n)) for n in range(12)))
    async with db.transaction() as conn:
        names = (await conn.execute(text("SELECT name FROM scratch ORDER BY id"))).scalars().all()
    assert names == [f"w{n}" for n in range(12)]
    assert out[1] == 1


async def test_a_turn_not_had_in_time_is_a_storage_error_that_says_locked(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage.db, "TURN_WAIT_SECONDS", 0.2)
    holding = asyncio.Event()
    release = asyncio.Event()

    async def holder() -> None:
        async with db.unit() as uow:
            await uow.conn.execute(text("INSERT INTO scratch (name) VALUES ('held')"))
            holding.set()
            await release.wait()

    task = asyncio.create_task(holder())
    await holding.wait()
    with pytest.raises(StorageError, match="database is locked"):
        async with db.unit():
            pass
    release.set()
    await task
    async with db.unit() as uow:  # the turn is free again
        assert (await uow.conn.execute(text("SELECT count(*) FROM scratch"))).scalar_one() == 1
