"""End to end: one user can never hold up the others.

The real Application (its own ChatPacer and PerChatUpdates) against the fake Bot API: a chat
that Telegram holds back with 429s waits alone while 20 other users get their replies, and its
own replies come afterwards, in order; one user's messages are handled in the order sent even
while many users write at once. Assertions are on order and causality (replies arrive while
the limited chat is still inside its window), never on wall-clock thresholds; the latencies
are printed.
"""

import logging
import statistics
import time

import pytest

from bot.tg.app import BotApplication
from tests.fake_telegram import FakeTelegram, FakeUser, SentMessage
from tests.follow_up_helpers import follow_ups_off
from tests.test_e2e_interview import answer_text

WINDOW_SECONDS = 8.0


class Arrivals:
    """When each message the bot sends reaches the fake (monotonic seconds)."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.at: dict[tuple[int, int], float] = {}
        fake.message_listeners.append(self._record)

    def _record(self, message: SentMessage) -> None:
        self.at.setdefault((message.chat_id, message.message_id), time.monotonic())

    def of(self, message: SentMessage) -> float:
        return self.at[(message.chat_id, message.message_id)]


def refusals(fake: FakeTelegram, chat_id: int) -> int:
    return sum(1 for c in fake.calls if c.params.get("chat_id") == chat_id and c.status == 429)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


async def test_a_rate_limited_chat_waits_alone_while_20_others_get_their_replies(
    fake: FakeTelegram, bot: BotApplication, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    arrivals = Arrivals(fake)
    flooder = fake.user(739_184_655, "Flo")
    others = [fake.user(2001 + i, f"User {i}") for i in range(20)]

    await follow_ups_off(fake, flooder)  # this test is about pacing, not follow-up questions
    sent_before = len(fake.messages(flooder.id))
    # Telegram holds the flooder's chat back: the first reply meets a 429 and is queued.
    fake.flood(flooder.id, WINDOW_SECONDS)
    window_ends = time.monotonic() + WINDOW_SECONDS
    fake.send_text(flooder, "/interview")
    await fake.wait_for(lambda: refusals(fake, flooder.id) >= 1)

    # The others write now, and the flooder keeps writing: an answer, then /cancel.
    sent_at: dict[int, float] = {}
    for user in others:
        sent_at[user.id] = time.monotonic()
        fake.send_text(user, "/help")
    fake.send_text(flooder, answer_text(1))
    fake.send_text(flooder, "/cancel")

    replies: dict[int, SentMessage] = {}
    for user in others:
        [replies[user.id]] = await fake.wait_for_messages(user.id, 1)
    latencies = [arrivals.of(replies[u.id]) - sent_at[u.id] for u in others]
    print(
        f"\n20 users' replies during a {WINDOW_SECONDS:.0f}s 429 window for another chat: "
        f"p95 {p95(latencies):.3f}s, max {max(latencies):.3f}s"
    )
    for user in others:
        assert "/interview" in replies[user.id].plain_text
        # Causality: every other user had their reply while the flooder was still held back.
        assert arrivals.of(replies[user.id]) < window_ends, (user.id, latencies)
    assert len(fake.messages(flooder.id)) == sent_before
    assert fake.flood_left(flooder.id) > 0

    # After the window the flooder's replies come, all of them, in the order of the messages.
    flooded = (await fake.wait_for_messages(flooder.id, sent_before + 4, timeout=WINDOW_SECONDS + 10))[
        sent_before:
    ]
    texts = [m.plain_text for m in flooded]
    assert texts[0].startswith("Question 1 of 5 · "), texts
    assert "Feedback on question 1 of 5" in texts[1], texts
    assert texts[2].startswith("Question 2 of 5 · "), texts
    assert texts[3].startswith("Interview stopped"), texts
    assert len(texts) == 4, texts
    assert all(arrivals.of(m) >= window_ends - 1.0 for m in flooded)
    # Held back by the bot itself: Telegram refused the chat once, not once per message.
    assert refusals(fake, flooder.id) == 1
    assert all(refusals(fake, u.id) == 0 for u in others)
    # The logs tell the story without the Telegram id: a per-process pseudonym stands for it.
    held_back = [r.getMessage() for r in caplog.records if "held back" in r.getMessage()]
    assert held_back and all(m.startswith("chat ~") for m in held_back), held_back
    assert str(flooder.id) not in caplog.text


@pytest.mark.parametrize("users", [1, 12])
async def test_each_users_messages_are_handled_in_the_order_sent(
    fake: FakeTelegram, bot: BotApplication, users: int
) -> None:
    # Every message is sent at once, without waiting for a reply: only the bot keeps the order.
    # One answer each (two sent at once would be one answer in two messages), no follow-ups.
    people: list[FakeUser] = [fake.user(3000 + i, f"User {i}") for i in range(users)]
    for person in people:
        await follow_ups_off(fake, person)
    before = {person.id: len(fake.messages(person.id)) for person in people}
    for person in people:
        fake.send_text(person, "/interview")
        fake.send_text(person, answer_text(1))
        fake.send_text(person, "/cancel")
        fake.send_text(person, "/help")
    for person in people:
        sent = await fake.wait_for_messages(person.id, before[person.id] + 5, timeout=30)
        texts = [m.plain_text for m in sent[before[person.id] :]]
        assert len(texts) == 5, texts
        assert texts[0].startswith("Question 1 of 5 · "), texts
        assert "Feedback on question 1 of 5" in texts[1], texts
        assert texts[2].startswith("Question 2 of 5 · "), texts
        assert texts[3].startswith("Interview stopped — 1 of 5"), texts
        assert "/interview" in texts[4], texts


async def test_a_short_429_is_waited_out_in_place_and_nothing_is_lost(
    fake: FakeTelegram, bot: BotApplication
) -> None:
    ann, bob = fake.user(4001, "Ann"), fake.user(4002, "Bob")
    fake.flood(ann.id, 0.5)  # retry after 1: within what the pacer waits in place
    fake.send_text(ann, "/help")
    fake.send_text(bob, "/help")
    [for_ann] = await fake.wait_for_messages(ann.id, 1)
    [for_bob] = await fake.wait_for_messages(bob.id, 1)
    assert "/interview" in for_ann.plain_text and "/interview" in for_bob.plain_text
    assert refusals(fake, ann.id) == 1 and refusals(fake, bob.id) == 0


async def test_a_request_hanging_for_one_chat_holds_up_no_one_else(
    fake: FakeTelegram, bot: BotApplication
) -> None:
    stuck = fake.user(4101, "Stuck")
    others = [fake.user(4102 + i, f"User {i}") for i in range(10)]
    fake.hold("sendMessage", chat_id=stuck.id)  # Telegram never answers this chat's reply
    fake.send_text(stuck, "/help")
    await fake.wait_for(lambda: fake.held == 1)
    for user in others:
        fake.send_text(user, "/help")
    for user in others:
        [reply] = await fake.wait_for_messages(user.id, 1)
        assert "/interview" in reply.plain_text
    # Causality: all of them were answered while the stuck chat's request was still hanging.
    assert fake.held >= 1 and fake.messages(stuck.id) == []
    fake.release()
    [reply] = await fake.wait_for_messages(stuck.id, 1)
    assert "/interview" in reply.plain_text
