"""End to end: the disk holding the SQLite database fills up (issue 14, point 3).

The database lives on a tmpfs of a few megabytes; a filler file takes the rest. An answer sent
then cannot be stored: the reply says so plainly (never "saved"), the question keeps waiting,
another user's /help is answered meanwhile, and once space is free the same answer counts.
Mounting needs root, as CI and this machine have; elsewhere the test skips and says why.
"""

import os
import shutil
import sqlite3
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.tg.app import BotApplication
from questions.loader import QuestionBank
from tests.conftest import FakeClock, running_bot, write_bot_settings
from tests.fake_telegram import FakeTelegram
from tests.follow_up_helpers import follow_ups_off
from tests.test_e2e_db_trouble import NOT_SAVED
from tests.test_e2e_interview import rows, say

DISK = "8m"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK}", "tmpfs", str(mount)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a {DISK} tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=False)


@pytest.fixture
def disk_settings(tmp_path: Path, small_disk: Path, migrated_template: Path, fake: FakeTelegram) -> Settings:
    database = small_disk / "bot.db"
    shutil.copy(migrated_template, database)
    return write_bot_settings(tmp_path, f"sqlite+aiosqlite:///{database}", fake)


@pytest.fixture
async def disk_bot(
    disk_settings: Settings, bank: QuestionBank, clock: FakeClock
) -> AsyncIterator[BotApplication]:
    async with running_bot(disk_settings, bank, clock) as app:
        yield app


def fill(disk: Path) -> Path:
    """Write a file until the disk has no room left; returns it."""
    filler = disk / "filler"
    handle = os.open(filler, os.O_WRONLY | os.O_CREAT)
    chunk = b"\0" * 65536
    try:
        while True:
            os.write(handle, chunk)
    except OSError:
        pass
    finally:
        os.close(handle)
    return filler


def empty_the_wal(database: Path) -> None:
    """Checkpoint and truncate the write-ahead log, so the next write needs new space."""
    with sqlite3.connect(database) as conn:
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert busy == 0


async def test_an_answer_sent_while_the_disk_is_full_is_reported_unsaved_and_counts_later(
    fake: FakeTelegram, disk_settings: Settings, small_disk: Path, disk_bot: BotApplication
) -> None:
    ann, bob = fake.user(1701, "Ann"), fake.user(1702, "Bob")
    await follow_ups_off(fake, ann)
    [question] = await say(fake, ann, "/interview", 1)
    assert question.plain_text.startswith("Question 1 of 5 · ")
    answer = "I agreed the goals with the sponsor and mapped every stakeholder first."
    empty_the_wal(small_disk / "bot.db")
    filler = fill(small_disk)
    try:
        [reply] = await say(fake, ann, answer, 1)
        assert reply.plain_text == NOT_SAVED
        [help_reply] = await say(fake, bob, "/help", 1)  # needs no database: still answered
        assert "/interview" in help_reply.plain_text
    finally:
        filler.unlink()
    assert rows(disk_settings, "SELECT count(*) FROM answer")[0][0] == 0
    # Room again: the same answer is question 1's, and the interview goes on.
    feedback, nxt = await say(fake, ann, answer, 2)
    assert "Feedback on question 1 of 5" in feedback.plain_text
    assert nxt.plain_text.startswith("Question 2 of 5 · ")
    assert rows(disk_settings, "SELECT position, text FROM answer") == [(0, answer)]
