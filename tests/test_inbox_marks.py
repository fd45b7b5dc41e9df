"""Handled marks are written together: with the next batch, within MARK_DELAY, or at close."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.core.inbox import MARK_DELAY, Inbox
from storage.db import Database
from tests.conftest import FakeClock
from tests.db_rows import execute, refuse_sql, rows, unrefuse_sql


@pytest.fixture
async def inbox(db_url: str, clock: FakeClock) -> AsyncIterator[Inbox]:
    db = Database(db_url)
    box = Inbox(db, clock)
    yield box
    await box.close()
    await db.dispose()


def handled(db_url: str) -> dict[int, bool]:
    return {r.update_id: r.handled for r in rows(db_url, _STATE)}


_STATE = "SELECT update_id, handled_at IS NOT NULL AS handled FROM inbox_update ORDER BY update_id"


async def test_the_next_batch_carries_the_marks_of_the_updates_handled_before_it(
    inbox: Inbox, db_url: str
) -> None:
    assert await inbox.record([(1, '{"update_id": 1}'), (2, '{"update_id": 2}')]) == {1, 2}
    await inbox.handled(1)
    await inbox.handled(2)
    assert handled(db_url) == {1: False, 2: False}  # not written yet: nothing waited on the database
    # A copy of update 2 is not new; update 3 is; and the marks of 1 and 2 go in the same write.
    assert await inbox.record([(2, '{"update_id": 2}'), (3, '{"update_id": 3}')]) == {3}
    assert handled(db_url) == {1: True, 2: True, 3: False}
    assert rows(db_url, "SELECT count(*) AS n FROM inbox_update WHERE payload IS NULL")[0].n == 2


async def test_with_no_new_batch_a_mark_is_written_within_the_delay(inbox: Inbox, db_url: str) -> None:
    await inbox.record([(7, '{"update_id": 7}')])
    await inbox.handled(7)
    for _ in range(int(MARK_DELAY * 20) + 40):
        if handled(db_url) == {7: True}:
            break
        await asyncio.sleep(0.05)
    assert handled(db_url) == {7: True}
    assert await inbox.pending() == []


async def test_close_writes_every_mark_still_waiting(db_url: str, clock: FakeClock) -> None:
    db = Database(db_url)
    box = Inbox(db, clock)
    try:
        await box.record([(1, "{}"), (2, "{}"), (3, "{}")])
        await box.handled(1)
        await box.handled(3)
        await box.close()
        assert handled(db_url) == {1: True, 2: False, 3: True}
        assert [update_id for update_id, _ in await box.pending()] == [2]
    finally:
        await db.dispose()


async def test_marks_of_a_batch_that_could_not_be_recorded_wait_for_the_next_write(
    inbox: Inbox, db_url: str
) -> None:
    await inbox.record([(1, "{}")])
    await inbox.handled(1)
    execute(db_url, *refuse_sql(db_url, "no_inbox", "inbox_update", "INSERT", "disk full"))
    with pytest.raises(Exception, match="disk full"):
        await inbox.record([(2, "{}")])
    execute(db_url, unrefuse_sql(db_url, "no_inbox", "inbox_update"))
    assert handled(db_url) == {1: False}  # rolled back with the batch
    await inbox.close()
    assert handled(db_url) == {1: True}
