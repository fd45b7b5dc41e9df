"""End to end: PostgreSQL stopped or hung never loses an answer silently nor freezes the bot.

The bot (the real Application, polling the fake Bot API) reaches its PostgreSQL database through
a TCP proxy (tests/tcp_proxy.py) that the test switches to "stopped" (connections refused, open
ones cut) or "hung" (connections accepted, nothing forwarded). Meanwhile an answer gets the plain
"not saved" reply (the question keeps waiting), another user's /help is answered, and once the
proxy forwards again the same answer is stored. The SQLite twin (a locked file) is
tests/test_e2e_db_trouble.py.

"Hung" relies on the timeouts storage/db.py sets (connect 5 s, pool 5 s, statement 10 s): they
are not configurable, so the hung test takes about 20 s. Runs when TEST_DATABASE_URL names
a server (see tests/test_sweep_postgres.py); skipped otherwise.
"""

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import NullPool, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import Settings
from bot.tg.app import MAX_RUNNING_UPDATES, BotApplication
from questions.loader import QuestionBank
from storage.db import CONNECT_TIMEOUT_SECONDS
from tests.conftest import FakeClock, running_bot, write_bot_settings
from tests.fake_telegram import FakeTelegram, FakeUser, SentMessage
from tests.follow_up_helpers import follow_ups_off
from tests.tcp_proxy import TcpProxy
from tests.test_e2e_db_trouble import NOT_SAVED
from tests.test_e2e_interview import say
from tests.test_sweep_postgres import pg_url as pg_url  # the fixture: a fresh database per test
from tests.test_webhook import free_port, webhook_bot, webhook_toml

ANSWER = "I agreed the goals with the sponsor and mapped every stakeholder first."
# Bounds on each wait, not goals: a hung server costs a statement timeout (10 s) plus a connect
# timeout (5 s) or two before the bot gives up on it.
TROUBLE_REPLY_WITHIN = 40.0


@pytest.fixture
async def proxy(pg_url: str) -> AsyncIterator[TcpProxy]:
    url = make_url(pg_url)
    async with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as running:
        yield running


@pytest.fixture
def proxied_settings(tmp_path: Path, pg_url: str, proxy: TcpProxy, fake: FakeTelegram) -> Settings:
    """The bot's config: its database URL goes through the proxy."""
    url = make_url(pg_url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    return write_bot_settings(tmp_path, url, fake)


@pytest.fixture
async def proxied_webhook_bot(
    tmp_path: Path, pg_url: str, proxy: TcpProxy, fake: FakeTelegram, bank: QuestionBank, clock: FakeClock
) -> AsyncIterator[BotApplication]:
    """The same bot receiving updates by webhook (the fake posts each one, as Telegram does)."""
    folder = tmp_path / "webhook"
    folder.mkdir()
    url = make_url(pg_url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    settings = write_bot_settings(folder, url, fake, webhook_toml(free_port()))
    async with webhook_bot(settings, bank, clock) as app:
        yield app


@pytest.fixture
async def proxied_bot(
    proxied_settings: Settings, bank: QuestionBank, clock: FakeClock
) -> AsyncIterator[BotApplication]:
    async with running_bot(proxied_settings, bank, clock) as app:
        yield app


async def stored_answers(pg_url: str) -> list[tuple[int | None, str]]:
    """The answers in the database, read directly (not through the proxy)."""
    engine = create_async_engine(pg_url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            found = await conn.execute(text("SELECT position, text FROM answer ORDER BY id"))
            return [(position, answer) for position, answer in found]
    finally:
        await engine.dispose()


async def first_question(fake: FakeTelegram, ann: FakeUser) -> None:
    await follow_ups_off(fake, ann)  # the plain flow; follow-ups: test_e2e_follow_ups.py
    [question] = await say(fake, ann, "/interview", 1)
    assert question.plain_text.startswith("Question 1 of 5 · ")


async def trouble_replies(
    fake: FakeTelegram, ann: FakeUser, bob: FakeUser
) -> tuple[SentMessage, SentMessage, float, float]:
    """Ann answers while the database is in trouble, and once the bot has taken her answer, Bob
    asks for /help; returns Ann's reply, Bob's, and how many seconds after sending each came."""
    ann_before, bob_before = len(fake.messages(ann.id)), len(fake.messages(bob.id))
    sent_at = {ann.id: time.monotonic()}
    fake.send_text(ann, ANSWER)
    await fake.wait_for(lambda: fake.pending_updates() == 0)
    sent_at[bob.id] = time.monotonic()
    fake.send_text(bob, "/help")
    arrived: dict[int, float] = {}

    def replied() -> bool:
        for who, before in ((ann, ann_before), (bob, bob_before)):
            if who.id not in arrived and len(fake.messages(who.id)) > before:
                arrived[who.id] = time.monotonic() - sent_at[who.id]
        return len(arrived) == 2

    await fake.wait_for(replied, timeout=TROUBLE_REPLY_WITHIN)
    [ann_reply] = fake.messages(ann.id)[ann_before:]
    [bob_reply] = fake.messages(bob.id)[bob_before:]
    return ann_reply, bob_reply, arrived[ann.id], arrived[bob.id]


async def answered_once_back(fake: FakeTelegram, ann: FakeUser, pg_url: str) -> None:
    """With the database back, the same answer is question 1's, stored once (what a hung proxy
    held of the first attempt reaches the server on resume, without its COMMIT)."""
    feedback, nxt = (await say_within(fake, ann, ANSWER, 2))[:2]
    assert "Feedback on question 1 of 5" in feedback.plain_text
    assert nxt.plain_text.startswith("Question 2 of 5 · ")
    assert await stored_answers(pg_url) == [(0, ANSWER)]


async def say_within(fake: FakeTelegram, user: FakeUser, message: str, replies: int) -> list[SentMessage]:
    before = len(fake.messages(user.id))
    fake.send_text(user, message)
    sent = await fake.wait_for_messages(user.id, before + replies, timeout=TROUBLE_REPLY_WITHIN)
    return sent[before:]


@pytest.mark.usefixtures("proxied_bot")
async def test_postgres_stopped_an_answer_is_reported_unsaved_and_help_still_works(
    fake: FakeTelegram, proxy: TcpProxy, pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    ann, bob = fake.user(1701, "Ann"), fake.user(1702, "Bob")
    await first_question(fake, ann)
    await proxy.stop()
    with caplog.at_level("ERROR"):
        ann_reply, bob_reply, ann_after, bob_after = await trouble_replies(fake, ann, bob)
    assert ann_reply.plain_text == NOT_SAVED
    assert bob_reply.plain_text.startswith("What I can do")
    assert "ConnectionRefusedError" in caplog.text
    assert await stored_answers(pg_url) == []
    # A refused connection fails at once: neither reply waits out a timeout.
    assert max(ann_after, bob_after) < CONNECT_TIMEOUT_SECONDS, (ann_after, bob_after)
    await proxy.resume()
    await answered_once_back(fake, ann, pg_url)


@pytest.mark.usefixtures("proxied_bot")
async def test_postgres_hung_an_answer_is_reported_unsaved_and_help_is_not_held_up(
    fake: FakeTelegram, proxy: TcpProxy, pg_url: str
) -> None:
    ann, bob = fake.user(1711, "Ann"), fake.user(1712, "Bob")
    await first_question(fake, ann)
    proxy.hang()
    accepted = proxy.accepted
    ann_reply, bob_reply, ann_after, bob_after = await trouble_replies(fake, ann, bob)
    assert ann_reply.plain_text == NOT_SAVED
    assert bob_reply.plain_text.startswith("What I can do")
    assert proxy.accepted > accepted  # the bot did try the database meanwhile
    # Bob's /help needs no database: it is not held up behind Ann's answer waiting for one (nor
    # behind recording his update in the inbox): answered before the shortest database timeout.
    assert bob_after < ann_after, (ann_after, bob_after)
    assert bob_after < CONNECT_TIMEOUT_SECONDS, bob_after
    await proxy.resume()
    await answered_once_back(fake, ann, pg_url)


@pytest.mark.usefixtures("proxied_bot")
async def test_postgres_hung_a_crowd_asking_for_help_is_answered_at_once(
    fake: FakeTelegram, proxy: TcpProxy
) -> None:
    """More users than handlers run at once (MAX_RUNNING_UPDATES): marking each update handled
    waits on the hung database, but not in a handler's slot, so nobody waits behind it."""
    crowd = [fake.user(1720 + n, f"User {n}") for n in range(MAX_RUNNING_UPDATES + 8)]
    proxy.hang()
    sent_at = time.monotonic()
    for user in crowd:
        fake.send_text(user, "/help")
    await fake.wait_for(lambda: all(fake.messages(u.id) for u in crowd), timeout=TROUBLE_REPLY_WITHIN)
    took = time.monotonic() - sent_at
    assert all(fake.messages(u.id)[0].plain_text.startswith("What I can do") for u in crowd)
    assert took < CONNECT_TIMEOUT_SECONDS, took
    await proxy.resume()


@pytest.mark.usefixtures("proxied_webhook_bot")
async def test_postgres_hung_by_webhook_telegram_gets_its_200_and_help_is_not_held_up(
    fake: FakeTelegram, proxy: TcpProxy, pg_url: str
) -> None:
    """By webhook each update is recorded before Telegram gets its 200: with the database hung,
    that 200 (and so the next update, Bob's) does not wait out the database's timeouts."""
    ann, bob = fake.user(1781, "Ann"), fake.user(1782, "Bob")
    await first_question(fake, ann)
    proxy.hang()
    ann_reply, bob_reply, ann_after, bob_after = await trouble_replies(fake, ann, bob)
    assert ann_reply.plain_text == NOT_SAVED
    assert bob_reply.plain_text.startswith("What I can do")
    assert bob_after < ann_after, (ann_after, bob_after)
    assert bob_after < CONNECT_TIMEOUT_SECONDS, bob_after
    assert all(d.status == 200 for d in fake.webhook_deliveries)
    await proxy.resume()
    await answered_once_back(fake, ann, pg_url)
