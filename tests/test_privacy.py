"""Issue 15: deleted data leaves no copy on disk, and no personal data reaches the logs."""

from pathlib import Path

from sqlalchemy.engine import make_url

from bot.core.interview import Answered, Identity, Started
from bot.core.services import Services
from tests.conftest import FakeClock

ANN = Identity("tg:1001", 1001, "Ann")
BOB = Identity("tg:1002", 1002, "Bob")


def database_bytes(services: Services) -> bytes:
    """Every byte SQLite keeps for this database: the file, its WAL and its shared-memory index."""
    path = Path(str(make_url(services.db.url).database))
    parts = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    return b"".join(p.read_bytes() for p in parts if p.exists())


async def answer_twice(services: Services, clock: FakeClock, who: Identity, marker: str) -> None:
    assert isinstance(await services.interviews.start(who), Started)
    for n in range(2):
        clock.advance(seconds=30)
        text = f"I kept a risk register and met stakeholders weekly, {marker} take {n}"
        assert isinstance(await services.interviews.answer(who, text), Answered)


async def test_deleted_answers_leave_no_copy_in_the_database_files(
    services: Services, clock: FakeClock
) -> None:
    await answer_twice(services, clock, ANN, "ann-deleted-marker")
    await answer_twice(services, clock, BOB, "bob-kept-marker")
    before = database_bytes(services)
    # The markers are on disk (the file or its WAL), so the scan below can see a copy left behind.
    assert b"ann-deleted-marker" in before and b"bob-kept-marker" in before

    assert await services.progress.delete_everything(ANN) is True

    after = database_bytes(services)
    assert b"ann-deleted-marker" not in after
    assert b"bob-kept-marker" in after
