"""End to end: the real python-telegram-bot Application against the fake Bot API server."""

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from bot.config import Settings
from bot.logs import configure_logging
from bot.present.labels import TELEGRAM_COMMANDS as COMMANDS
from bot.tg.app import BotApplication
from questions.loader import QuestionBank
from tests import db_rows
from tests.conftest import FakeClock, running_bot
from tests.fake_telegram import FakeTelegram, FakeUser, SentMessage
from tests.follow_up_helpers import follow_ups_off

pytestmark = pytest.mark.usefixtures("bot")


def rows(settings: Settings, sql: str, **params: Any) -> list[Any]:
    """Read the bot's database directly (a synchronous driver), as an operator would."""
    return db_rows.rows(settings.database.url, sql, **params)


async def say(fake: FakeTelegram, user: FakeUser, message: str, replies: int) -> list[SentMessage]:
    """Send a text and wait for exactly the next `replies` messages from the bot."""
    before = len(fake.messages(user.id))
    fake.send_text(user, message)
    sent = await fake.wait_for_messages(user.id, before + replies)
    return sent[before:]


def message(fake: FakeTelegram, user: FakeUser, message_id: int) -> SentMessage:
    return next(m for m in fake.messages(user.id) if m.message_id == message_id)


async def settled(fake: FakeTelegram) -> None:
    """Wait until the bot has fetched every update and is idle in a long poll again."""
    await fake.wait_for(lambda: fake.pending_updates() == 0 and fake.waiting_polls >= 1)


def answer_text(n: int) -> str:
    return (
        f"Answer {n}: I would agree goals with the sponsor, map stakeholders, assess risks, "
        "plan a pilot and a phased rollout with a rollback plan, and report progress weekly."
    )


async def test_full_interview(fake: FakeTelegram, bot_settings: Settings) -> None:
    assert [c for c, _ in fake.commands()] == [c for c, _ in COMMANDS]
    assert {"interview", "cancel", "history", "help", "start", "daily", "review"} <= set(dict(COMMANDS))
    assert all(description for _, description in fake.commands())
    ann = fake.user(1001, "Ann")

    [greeting] = await say(fake, ann, "/start", 1)
    assert "interview coach" in greeting.plain_text and "/interview" in greeting.plain_text
    [helptext] = await say(fake, ann, "/help", 1)
    assert all(f"/{c}" in helptext.plain_text for c, _ in fake.commands())

    # This test walks the plain question-after-question flow (follow-ups: tests/test_e2e_follow_ups.py).
    await follow_ups_off(fake, ann)
    [question] = await say(fake, ann, "/interview", 1)
    assert question.plain_text.startswith("Question 1 of 5 · ")
    feedback_messages = []
    for n in range(1, 6):
        feedback, following = await say(fake, ann, answer_text(n), 2)
        assert f"Feedback on question {n} of 5" in feedback.plain_text
        assert "talking points covered" in feedback.plain_text
        assert [label for label, _ in feedback.buttons()] == ["Again", "Hard", "Good", "Easy", "Try again"]
        feedback_messages.append(feedback)
        if n < 5:
            assert following.plain_text.startswith(f"Question {n + 1} of 5 · ")
        else:
            assert following.plain_text.startswith("Interview complete — 5 of 5 questions answered")

    # Rate the first answer: stored, acknowledged, keyboard removed.
    first = feedback_messages[0]
    good = dict(first.buttons())["Good"]
    query = fake.press_button(ann, first.message_id, good)
    await fake.wait_for(lambda: fake.callback_answer(query) is not None)
    # Once rated, only Try again stays under the feedback.
    await fake.wait_for(
        lambda: [b for b, _ in message(fake, ann, first.message_id).buttons()] == ["Try again"]
    )
    answer = fake.callback_answer(query)
    assert answer is not None and answer.text == "Saved: Good — next review in 2 days"

    [history] = await say(fake, ann, "/history", 1)
    assert history.plain_text.count("Answer ") == 5
    assert history.plain_text.index("Answer 5") < history.plain_text.index("Answer 1")

    stored = rows(bot_settings, "SELECT text, rating, seconds_taken FROM answer ORDER BY id")
    assert [r.text for r in stored] == [answer_text(n) for n in range(1, 6)]
    assert [r.rating for r in stored] == [3, None, None, None, None]
    # The rating scheduled the question's first review (FSRS: Good on a new card is 2 days).
    [card] = rows(bot_settings, "SELECT question_id, last_rating, review_count FROM card")
    assert (card.last_rating, card.review_count) == (3, 1)
    assert len(rows(bot_settings, "SELECT id FROM review_log")) == 1


async def test_restart_in_the_middle_of_an_interview(
    fake: FakeTelegram,
    bot: BotApplication,
    bot_settings: Settings,
    bank: QuestionBank,
    clock: FakeClock,
) -> None:
    ann = fake.user(1001, "Ann")
    await follow_ups_off(fake, ann)
    await say(fake, ann, "/interview", 1)
    _, second_question = await say(fake, ann, answer_text(1), 2)
    await settled(fake)
    await bot.updater.stop()  # type: ignore[union-attr]
    await bot.stop()

    # A new process on the same database file: the next message answers question 2.
    async with running_bot(bot_settings, bank, clock):
        feedback, third = await say(fake, ann, answer_text(2), 2)
        assert "Feedback on question 2 of 5" in feedback.plain_text
        assert third.plain_text.startswith("Question 3 of 5")
        for n in range(3, 6):
            await say(fake, ann, answer_text(n), 2)
        assert fake.last_message(ann.id).plain_text.startswith("Interview complete")
    stored = rows(bot_settings, "SELECT position FROM answer ORDER BY id")
    assert [r.position for r in stored] == [0, 1, 2, 3, 4]
    asked = second_question.plain_text.split("\n", 2)[-1].strip()
    assert rows(bot_settings, "SELECT count(*) AS n FROM answer WHERE position = 1")[0].n == 1
    assert asked


@pytest.mark.parametrize(
    ("send", "expected"),
    [
        ("sticker", "a sticker"),
        ("photo", "a photo"),
        # A voice message is an answer (tests/test_e2e_voice.py), not media to turn away.
        ("document", "a file"),
    ],
)
async def test_non_text_messages_get_a_helpful_reply(fake: FakeTelegram, send: str, expected: str) -> None:
    ann = fake.user(1001, "Ann")
    getattr(fake, f"send_{send}")(ann)
    [reply] = await fake.wait_for_messages(ann.id, 1)
    assert "only take typed answers" in reply.plain_text and expected in reply.plain_text


async def test_unknown_command_and_stray_text(fake: FakeTelegram) -> None:
    ann = fake.user(1001, "Ann")
    [reply] = await say(fake, ann, "/frobnicate now", 1)
    assert "/frobnicate" in reply.plain_text and "/help" in reply.plain_text
    [reply] = await say(fake, ann, "hello there", 1)
    assert "/interview" in reply.plain_text and "no question waiting" in reply.plain_text


async def test_group_chats_are_turned_away(fake: FakeTelegram, bot_settings: Settings) -> None:
    ann = fake.user(1001, "Ann")
    fake.send_text(ann, "/interview", chat_type="group", chat_id=-100777)
    [reply] = await fake.wait_for_messages(-100777, 1)
    assert "private chats" in reply.plain_text
    assert rows(bot_settings, "SELECT count(*) AS n FROM interview_session")[0].n == 0


async def test_edits_never_move_the_interview_on(fake: FakeTelegram, bot_settings: Settings) -> None:
    ann = fake.user(1001, "Ann")
    await follow_ups_off(fake, ann)
    await say(fake, ann, "/interview", 1)
    fake.send_text(ann, "first version of my answer")
    await fake.wait_for_messages(ann.id, 4)
    answered = rows(bot_settings, "SELECT source_message_id FROM answer")[0].source_message_id

    before = len(fake.messages(ann.id))
    fake.edit_text(ann, answered, "a much better second version")
    [reply] = (await fake.wait_for_messages(ann.id, before + 1))[before:]
    assert "not" in reply.plain_text and "taken" in reply.plain_text
    # The edit of a message that was not an answer says so too.
    fake.edit_text(ann, answered - 1, "/interview edited")
    [other] = (await fake.wait_for_messages(ann.id, before + 2))[before + 1 :]
    assert "Edits to messages" in other.plain_text

    feedback, _ = await say(fake, ann, "second answer", 2)
    assert "Feedback on question 2 of 5" in feedback.plain_text
    assert [r.text for r in rows(bot_settings, "SELECT text FROM answer ORDER BY id")] == [
        "first version of my answer",
        "second answer",
    ]


async def test_interview_while_running_offers_continue_or_restart(
    fake: FakeTelegram, bank: QuestionBank
) -> None:
    ann = fake.user(1001, "Ann")
    [first_question] = await say(fake, ann, "/interview", 1)
    [offer] = await say(fake, ann, "/interview", 1)
    assert "middle of an interview" in offer.plain_text
    buttons = dict(offer.buttons())
    assert set(buttons) == {"Continue", "Start a new one"}

    before = len(fake.messages(ann.id))
    fake.press_button(ann, offer.message_id, buttons["Continue"])
    [again] = (await fake.wait_for_messages(ann.id, before + 1))[before:]
    assert again.plain_text == first_question.plain_text

    [offer2] = await say(fake, ann, "/interview risk", 1)
    before = len(fake.messages(ann.id))
    fake.press_button(ann, offer2.message_id, dict(offer2.buttons())["Start a new one"])
    [fresh] = (await fake.wait_for_messages(ann.id, before + 1))[before:]
    risk_questions = min(5, len(bank.by_topic("risk")))
    assert fresh.plain_text.startswith(f"Question 1 of {risk_questions} · Risk management")

    # The first offer's Continue now points at a cancelled interview.
    before = len(fake.messages(ann.id))
    fake.press_button(ann, offer.message_id, buttons["Continue"])
    [stale] = (await fake.wait_for_messages(ann.id, before + 1))[before:]
    assert "isn't running any more" in stale.plain_text


async def test_unknown_topic_lists_topics(fake: FakeTelegram) -> None:
    ann = fake.user(1001, "Ann")
    [reply] = await say(fake, ann, "/interview basket weaving", 1)
    assert "basket weaving" in reply.plain_text
    assert "/interview agile" in reply.plain_text and "/interview cloud" in reply.plain_text


@pytest.mark.parametrize("data", ["zzz", "r:1:9", "r:99999999999999999999:1", "iv:c:abc", "r:" + "1" * 70])
async def test_malformed_button_data_gets_a_notice(fake: FakeTelegram, data: str) -> None:
    ann = fake.user(1001, "Ann")
    query = fake.press_button(ann, 999, data)
    await fake.wait_for(lambda: fake.callback_answer(query) is not None)
    answer = fake.callback_answer(query)
    assert answer is not None and answer.text is not None and "expired" in answer.text


async def test_forged_rating_of_another_users_answer(fake: FakeTelegram, bot_settings: Settings) -> None:
    ann, eve = fake.user(1001, "Ann"), fake.user(6666, "Eve")
    await say(fake, ann, "/interview", 1)
    feedback, _ = await say(fake, ann, "Ann's private answer about budgets", 2)
    await say(fake, eve, "/start", 1)
    # Eve forges the payload of Ann's "Easy" button in her own chat.
    query = fake.press_button(eve, 1, dict(feedback.buttons())["Easy"])
    await fake.wait_for(lambda: fake.callback_answer(query) is not None)
    answer = fake.callback_answer(query)
    assert answer is not None and answer.text is not None and "expired" in answer.text
    assert rows(bot_settings, "SELECT rating FROM answer")[0].rating is None
    [history] = await say(fake, eve, "/history", 1)
    assert "Ann's private answer" not in history.plain_text
    assert "haven't answered any questions" in history.plain_text


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "a < b & c",
        "</b> closing",
        "&amp; &#x41; &bogus;",
        "emoji 🚀 ‮rtl‬ z\u200dw",
    ],
)
async def test_hostile_answers_are_shown_literally(fake: FakeTelegram, hostile: str) -> None:
    ann = fake.user(1001, "Ann")
    await say(fake, ann, "/interview", 1)
    await say(fake, ann, hostile, 2)
    [history] = await say(fake, ann, "/history", 1)
    assert hostile in history.plain_text


async def test_longest_telegram_answer_round_trips(fake: FakeTelegram, bot_settings: Settings) -> None:
    ann = fake.user(1001, "Ann")
    await say(fake, ann, "/interview", 1)
    long_answer = ("stakeholders & <risks> " * 200)[:4096]
    feedback, _ = await say(fake, ann, long_answer, 2)
    assert "Feedback on question 1 of 5" in feedback.plain_text
    assert rows(bot_settings, "SELECT text FROM answer")[0].text == long_answer


async def test_two_users_interview_at_once(fake: FakeTelegram, bot_settings: Settings) -> None:
    ann, bob = fake.user(1001, "Ann"), fake.user(1002, "Bob")
    await follow_ups_off(fake, ann)
    await follow_ups_off(fake, bob)
    fake.send_text(ann, "/interview")
    fake.send_text(bob, "/interview")
    await fake.wait_for_messages(ann.id, 2)
    await fake.wait_for_messages(bob.id, 2)
    for n in range(1, 6):
        fake.send_text(ann, f"ann {n}")
        fake.send_text(bob, f"bob {n}")
        await fake.wait_for_messages(ann.id, 2 + 2 * n)
        await fake.wait_for_messages(bob.id, 2 + 2 * n)
    assert fake.last_message(ann.id).plain_text.startswith("Interview complete")
    assert fake.last_message(bob.id).plain_text.startswith("Interview complete")
    by_user = rows(
        bot_settings,
        'SELECT u.external_id, a.text FROM answer a JOIN "user" u ON u.id = a.user_id ORDER BY a.id',
    )
    assert [r.text for r in by_user if r.external_id == "tg:1001"] == [f"ann {n}" for n in range(1, 6)]
    assert [r.text for r in by_user if r.external_id == "tg:1002"] == [f"bob {n}" for n in range(1, 6)]


async def test_flood_control_and_server_errors_are_retried(fake: FakeTelegram) -> None:
    ann = fake.user(1001, "Ann")
    fake.fail_next("sendMessage", 2, status=429, retry_after=1)
    [greeting] = await say(fake, ann, "/start", 1)
    assert "interview coach" in greeting.plain_text
    fake.fail_next("sendMessage", 1, status=502)
    [helptext] = await say(fake, ann, "/help", 1)
    assert "/interview" in helptext.plain_text
    failed = [c for c in fake.calls_to("sendMessage") if not c.response_ok]
    assert [c.status for c in failed] == [429, 429, 502]


async def test_a_user_who_blocked_the_bot_does_not_stop_it(fake: FakeTelegram) -> None:
    ann, bob = fake.user(1001, "Ann"), fake.user(1002, "Bob")
    fake.block(ann.id)
    fake.send_text(ann, "/start")
    await fake.wait_for(lambda: any(c.status == 403 for c in fake.calls_to("sendMessage")))
    [greeting] = await say(fake, bob, "/start", 1)
    assert "interview coach" in greeting.plain_text


@pytest.fixture
def restore_logging(bot: object, capsys: pytest.CaptureFixture[str]) -> Iterator[None]:
    """Put the root logger back before the bot stops and before capsys closes its stream: the
    bot's aiosqlite thread still logs at DEBUG while it shuts down."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.NOTSET)


@pytest.mark.usefixtures("restore_logging")
async def test_token_never_reaches_the_logs(fake: FakeTelegram, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("DEBUG", [fake.token])
    logging.getLogger("test").warning("a url with the token: %s/getMe", fake.base_url + fake.token)
    ann = fake.user(1001, "Ann")
    fake.fail_next("sendMessage", 1, status=400, description="Bad Request: chat not found")
    fake.send_text(ann, "/start")
    await fake.wait_for(lambda: any(c.status == 400 for c in fake.calls_to("sendMessage")))
    await settled(fake)
    err = capsys.readouterr().err
    assert "a url with the token" in err and "[token]" in err
    assert fake.token not in err
    assert fake.token.split(":")[1] not in err
