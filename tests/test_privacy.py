"""Issue 15: deleted data leaves no copy on disk, and no personal data reaches the logs."""

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.core.interview import AlreadyRunning, Answered, Identity, Started
from bot.core.services import Services
from bot.logs import configure_logging
from tests.conftest import FakeClock
from tests.fake_telegram import FakeTelegram

ANN = Identity("tg:1001", 1001, "Ann")
BOB = Identity("tg:1002", 1002, "Bob")


def database_path(services: Services) -> Path:
    return Path(str(make_url(services.db.url).database))


def database_bytes(services: Services) -> bytes:
    """Every byte SQLite keeps for this database: the file, its WAL and its shared-memory index."""
    path = database_path(services)
    parts = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    return b"".join(p.read_bytes() for p in parts if p.exists())


async def answer_twice(services: Services, clock: FakeClock, who: Identity, marker: str) -> None:
    # Five questions per interview: a second call goes on with the same one.
    assert isinstance(await services.interviews.start(who), Started | AlreadyRunning)
    for n in range(2):
        clock.advance(seconds=30)
        # Long enough to spill into overflow pages, which a delete frees without clearing them.
        text = " ".join(f"I kept a risk register, {marker} {n}.{k}" for k in range(150))
        assert isinstance(await services.interviews.answer(who, text), Answered)


@pytest.mark.sqlite_only  # SQLite's file, WAL and secure_delete; PostgreSQL's storage is the server's
async def test_deleted_answers_leave_no_copy_in_the_database_files(
    services: Services, clock: FakeClock
) -> None:
    await answer_twice(services, clock, ANN, "ann-deleted-marker")
    await answer_twice(services, clock, BOB, "bob-kept-marker")
    # Ann's first answers reach the main file (as SQLite's automatic checkpoint would move
    # them), her later ones stay in the WAL: the delete must clear both places.
    await services.db.purge_deleted()
    assert b"ann-deleted-marker" in database_path(services).read_bytes()
    await answer_twice(services, clock, ANN, "ann-deleted-marker")
    before = database_bytes(services)
    assert b"ann-deleted-marker" in before and b"bob-kept-marker" in before

    assert await services.progress.delete_everything(ANN) is True

    after = database_bytes(services)
    assert b"ann-deleted-marker" not in after
    assert b"bob-kept-marker" in after


@pytest.fixture
def restore_logging(bot: object, capsys: pytest.CaptureFixture[str]) -> Iterator[None]:
    """Put the root logger back before the bot stops and before capsys closes its stream."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name in ("httpx", "httpcore", "apscheduler", "alembic.runtime.plugins"):
        logging.getLogger(name).setLevel(logging.NOTSET)


async def interview_at_debug(fake: FakeTelegram, capsys: pytest.CaptureFixture[str], include: bool) -> str:
    """Zelda starts an interview and answers one question with the bot logging at DEBUG."""
    configure_logging("DEBUG", [fake.token], include_user_content=include)
    zelda = fake.user(1001, "Zelda Marker", "zelda_marker_handle")
    fake.send_text(zelda, "/start")
    await fake.wait_for_messages(zelda.id, 1)
    fake.send_text(zelda, "/interview")
    await fake.wait_for_messages(zelda.id, 2)
    fake.send_text(zelda, "I owned the risk register; secret-answer-marker; and briefed the sponsor weekly.")
    await fake.wait_for_messages(zelda.id, 4)
    await fake.wait_for(lambda: fake.pending_updates() == 0 and fake.waiting_polls >= 1)
    logging.getLogger("bot.privacy").debug("own record")
    return str(capsys.readouterr().err)


@pytest.mark.usefixtures("restore_logging")
async def test_no_names_or_answers_in_the_logs_at_debug(
    fake: FakeTelegram, capsys: pytest.CaptureFixture[str]
) -> None:
    err = await interview_at_debug(fake, capsys, include=False)
    # DEBUG is on and our own records pass; the other test shows the same run logs the names.
    assert "DEBUG bot.privacy: own record" in err
    for personal in ("Zelda", "Marker", "zelda_marker_handle", "secret-answer-marker", "risk register"):
        assert personal not in err, personal


@pytest.mark.usefixtures("restore_logging")
async def test_include_user_content_lets_the_operator_see_them(
    fake: FakeTelegram, capsys: pytest.CaptureFixture[str]
) -> None:
    err = await interview_at_debug(fake, capsys, include=True)
    assert "Zelda Marker" in err and "secret-answer-marker" in err


@pytest.mark.sqlite_only  # a SQLite pragma
async def test_every_sqlite_connection_zeroes_deleted_content(services: Services) -> None:
    # Some SQLite builds (Debian's) default to it; others (python.org's, macOS) do not.
    async with services.db.transaction() as conn:
        assert (await conn.exec_driver_sql("PRAGMA secure_delete")).scalar() == 1
