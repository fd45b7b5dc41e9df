"""End to end: answers that look empty, answers that start with "/", and a failing save."""

from typing import Any

import pytest
from sqlalchemy import create_engine, text

from bot.config import Settings
from tests.fake_telegram import FakeTelegram, FakeUser, SentMessage

pytestmark = pytest.mark.usefixtures("bot")

EMPTY_REPLY = "That message looks empty to me."


def rows(settings: Settings, sql: str) -> list[Any]:
    """Read the bot's database directly (sync sqlite3), as an operator would."""
    engine = create_engine(settings.database.url.replace("+aiosqlite", ""))
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql)))
    finally:
        engine.dispose()


async def say(fake: FakeTelegram, user: FakeUser, message: str, replies: int) -> list[SentMessage]:
    before = len(fake.messages(user.id))
    fake.send_text(user, message)
    sent = await fake.wait_for_messages(user.id, before + replies)
    return sent[before:]


@pytest.mark.parametrize(
    "invisible",
    [
        "\u200b\u200c\u200d",  # zero-width space, non-joiner, joiner
        "\u202e\u2066\u2069\u200f",  # bidirectional controls
        "\ufeff \u2060\u00ad",  # BOM, word joiner, soft hyphen
        "\u3164\u2800\u00a0\u3000",  # Hangul filler, braille blank, no-break and ideographic spaces
    ],
    ids=["zero-width", "bidi", "bom-word-joiner", "fillers"],
)
async def test_an_invisible_answer_keeps_the_question_waiting(
    fake: FakeTelegram, bot_settings: Settings, invisible: str
) -> None:
    ann = fake.user(1501, "Ann")
    [question] = await say(fake, ann, "/interview", 1)
    assert question.plain_text.startswith("Question 1 of 5 · ")
    [reply] = await say(fake, ann, invisible, 1)
    assert reply.plain_text.startswith(EMPTY_REPLY)
    assert rows(bot_settings, "SELECT count(*) FROM answer")[0][0] == 0
    # The same question still waits: a real answer is taken as answer 1.
    feedback, nxt = await say(fake, ann, "\u200bI map the stakeholders first.", 2)
    assert "Feedback on question 1 of 5" in feedback.plain_text
    assert nxt.plain_text.startswith("Question 2 of 5 · ")
