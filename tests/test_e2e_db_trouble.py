"""End to end: database trouble never passes for success (issue 14, point 3).

A SQLite file locked by another writer for longer than the busy timeout: the answer sent
meanwhile is not stored, the reply says so plainly, the question keeps waiting, and the same
answer sent again once the lock is gone counts.
"""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy.engine import make_url

from bot.config import Settings
from tests.fake_telegram import FakeTelegram
from tests.follow_up_helpers import follow_ups_off
from tests.test_e2e_interview import rows, say

# SQLite's file lock is the subject; PostgreSQL's faults have tests of their own.
pytestmark = [pytest.mark.usefixtures("bot"), pytest.mark.sqlite_only]

NOT_SAVED = "I couldn't save that; please send it again."


@contextmanager
def locked_by_another_writer(settings: Settings) -> Iterator[None]:
    """Hold the database's write lock from another connection, as a stuck process would."""
    path = make_url(settings.database.url).database
    assert path
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
        other.execute("ROLLBACK")
    finally:
        other.close()


async def test_an_answer_sent_while_the_database_is_locked_is_reported_unsaved(
    fake: FakeTelegram, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    ann = fake.user(1601, "Ann")
    await follow_ups_off(fake, ann)  # the plain flow; follow-ups: test_e2e_follow_ups.py
    [question] = await say(fake, ann, "/interview", 1)
    assert question.plain_text.startswith("Question 1 of 5 · ")
    answer = "I agreed the goals with the sponsor and mapped every stakeholder first."
    with locked_by_another_writer(bot_settings), caplog.at_level("ERROR"):
        before = len(fake.messages(ann.id))
        fake.send_text(ann, answer)
        [reply] = (await fake.wait_for_messages(ann.id, before + 1, timeout=30))[before:]
    assert reply.plain_text == NOT_SAVED
    assert "database is locked" in caplog.text
    assert rows(bot_settings, "SELECT count(*) FROM answer")[0][0] == 0
    # Nothing moved on: the same answer, sent again, is question 1's.
    feedback, nxt = await say(fake, ann, answer, 2)
    assert "Feedback on question 1 of 5" in feedback.plain_text
    assert nxt.plain_text.startswith("Question 2 of 5 · ")
    assert rows(bot_settings, "SELECT position FROM answer")[0][0] == 0
