"""The inbox records a batch in one statement: the new updates, never a copy, handled or not."""

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import event

from bot.core.inbox import Inbox
from storage.db import Database
from tests.conftest import FakeClock
from tests.db_rows import rows


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    yield database
    await database.dispose()


def handled(db_url: str) -> dict[int, bool]:
    sql = "SELECT update_id, handled_at IS NOT NULL AS handled FROM inbox_update ORDER BY update_id"
    return {r.update_id: r.handled for r in rows(db_url, sql)}


async def test_a_batch_is_one_statement_and_copies_are_not_new(
    db: Database, db_url: str, clock: FakeClock
) -> None:
    statements: list[str] = []
    event.listen(db.engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    inbox = Inbox(db, clock)
    assert await inbox.record([(1, '{"update_id": 1}'), (2, '{"update_id": 2}')]) == {1, 2}
    assert [s.split()[0] for s in statements if not s.startswith(("BEGIN", "COMMIT"))] == ["INSERT"]
    await inbox.handled(1)
    assert handled(db_url) == {1: True, 2: False}  # written at once: a crash now replays only 2
    # A copy of 1 (handled) and of 2 (not yet) are both not new; 3 is.
    assert await inbox.record([(1, "{}"), (2, "{}"), (3, '{"update_id": 3}')]) == {3}
    assert [update_id for update_id, _ in await inbox.pending()] == [2, 3]
    assert rows(db_url, "SELECT payload FROM inbox_update WHERE update_id = 1")[0].payload is None
