"""Two bot processes on one PostgreSQL database, one user's updates reaching both at once.

Each process is a real Application with its own engine and connection pool, receiving updates
by webhook on its own port from the one fake Bot API, as two processes behind a load balancer
would. To make the race certain rather than likely, the test holds a lock on the answer table
while both answers to the same pending question arrive: both processes read the same pending
question, both inserts wait, and when the lock goes the unique index on (session, position) and
the compare-and-set advance let exactly one of them through; the other is told so. Runs when
TEST_DATABASE_URL names a server (the `pg_url` fixture, tests/conftest.py); skipped otherwise.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from sqlalchemy import NullPool, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from bot.config import Settings
from bot.present.render import render, to_plain
from questions.loader import QuestionBank
from storage.models import Answer, InterviewSession
from tests.conftest import FakeClock, write_bot_settings
from tests.fake_telegram import FakeTelegram
from tests.test_webhook import SECRET, free_port, webhook_bot, webhook_toml

ROUNDS = 3  # questions raced for, one after another


def process_settings(tmp_path: Path, name: str, url: str, fake: FakeTelegram, sweep: bool) -> Settings:
    folder = tmp_path / name
    folder.mkdir()
    extra = "" if sweep else "\n[scheduler]\nenabled = false\n"
    return write_bot_settings(folder, url, fake, webhook_toml(free_port(), extra=extra))


async def waiting_on_locks(conn: AsyncConnection) -> int:
    """Other sessions of this database waiting for a lock (the two answer inserts)."""
    # pg_stat_activity is a snapshot taken once per transaction: drop it so each call sees now.
    await conn.execute(text("SELECT pg_stat_clear_snapshot()"))
    return int(
        (
            await conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
                )
            )
        ).scalar_one()
    )


async def replies_after(fake: FakeTelegram, chat_id: int, before: int, already: str) -> None:
    """The winner replies with feedback and the next question, the other with one line."""

    def replied() -> bool:
        new = fake.messages(chat_id)[before:]
        return len(new) >= 3 and any(m.text == already for m in new)

    await fake.wait_for(replied)


async def post(fake: FakeTelegram, url: str, update: dict[str, object]) -> int:
    return await fake.post_update(update, secret=SECRET, url=url)


@pytest.fixture
async def two_processes(
    pg_url: str, tmp_path: Path, fake: FakeTelegram, bank: QuestionBank, clock: FakeClock
) -> AsyncIterator[tuple[str, str]]:
    """Two running bots on one database; yields the webhook URL of each."""
    first = process_settings(tmp_path, "first", pg_url, fake, sweep=True)
    second = process_settings(tmp_path, "second", pg_url, fake, sweep=False)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(webhook_bot(first, bank, clock))
        await stack.enter_async_context(webhook_bot(second, bank, clock))
        yield first.require_webhook()[0], second.require_webhook()[0]


async def test_two_answers_at_once_in_two_processes_store_exactly_one(
    pg_url: str, two_processes: tuple[str, str], fake: FakeTelegram
) -> None:
    first_url, second_url = two_processes
    engine = create_async_engine(pg_url, poolclass=NullPool)
    ann = fake.user(8001, "Ann")
    already = to_plain(render("answered_already")).strip()
    try:
        assert (
            await fake.post_update(fake.text_update(ann, "/interview"), secret=SECRET, url=first_url) == 200
        )
        await fake.wait_for_messages(ann.id, 1)
        # This test is about two processes and one pending question, not follow-up questions.
        async with engine.begin() as conn:
            await conn.execute(text('UPDATE "user" SET follow_ups = false'))
        for round_ in range(ROUNDS):
            before = len(fake.messages(ann.id))
            async with engine.begin() as lock:
                await lock.execute(text("LOCK TABLE answer IN SHARE ROW EXCLUSIVE MODE"))
                for url, who in ((first_url, "first"), (second_url, "second")):
                    answer = f"Round {round_}: the {who} process gets this answer about scope and risks."
                    assert (
                        await fake.post_update(fake.text_update(ann, answer), secret=SECRET, url=url) == 200
                    )
                async with engine.connect() as watch:
                    for _ in range(200):
                        if await waiting_on_locks(watch) >= 2:
                            break
                        await asyncio.sleep(0.05)
                    assert await waiting_on_locks(watch) == 2
            await replies_after(fake, ann.id, before, already)
        async with engine.connect() as conn:
            answers = (await conn.execute(select(Answer.position, Answer.text))).all()
            [session] = (await conn.execute(select(InterviewSession.position))).all()
    finally:
        await engine.dispose()
    assert sorted(position or 0 for position, _ in answers) == list(range(ROUNDS))
    assert session.position == ROUNDS
    for round_ in range(ROUNDS):
        [stored] = [t for p, t in answers if p == round_]
        assert stored.startswith(f"Round {round_}: the ")
    texts = [m.text for m in fake.messages(ann.id)]
    assert not any("something went wrong" in t for t in texts), texts
    # The other answer is not taken for "no question waiting": the user is told it was not saved.
    assert texts.count(already) == ROUNDS
    assert not any("no question waiting" in t for t in texts), texts
