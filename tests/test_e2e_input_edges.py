"""End to end: answers that look empty, answers that start with "/", and a failing save."""

import pytest

from bot.config import Settings
from tests import db_rows
from tests.fake_telegram import FakeTelegram
from tests.follow_up_helpers import follow_ups_off
from tests.test_e2e_interview import rows, say

pytestmark = pytest.mark.usefixtures("bot")

EMPTY_REPLY = "That message looks empty to me."


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
    await follow_ups_off(fake, ann)  # the plain flow; follow-ups: test_e2e_follow_ups.py
    [question] = await say(fake, ann, "/interview", 1)
    assert question.plain_text.startswith("Question 1 of 5 · ")
    [reply] = await say(fake, ann, invisible, 1)
    assert reply.plain_text.startswith(EMPTY_REPLY)
    assert rows(bot_settings, "SELECT count(*) FROM answer")[0][0] == 0
    # The same question still waits: a real answer is taken as answer 1.
    feedback, nxt = await say(fake, ann, "\u200bI map the stakeholders first.", 2)
    assert "Feedback on question 1 of 5" in feedback.plain_text
    assert nxt.plain_text.startswith("Question 2 of 5 · ")


def execute(settings: Settings, *statements: str) -> None:
    """Change the bot's database from outside, as a fault or an operator would."""
    db_rows.execute(settings.database.url, *statements)


async def test_a_failing_save_is_reported_and_logged_not_disguised(
    fake: FakeTelegram, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    ann = fake.user(1502, "Ann")
    await follow_ups_off(fake, ann)  # the plain flow; follow-ups: test_e2e_follow_ups.py
    await say(fake, ann, "/interview", 1)
    # A real fault in the real database: every insert into answer is refused.
    url = bot_settings.database.url
    execute(
        bot_settings,
        *db_rows.refuse_sql(url, "refuse_answer", "answer", "INSERT", "answer refused by the test"),
    )
    secret = "My secret answer about the Zanzibar budget."
    with caplog.at_level("ERROR"):
        [reply] = await say(fake, ann, secret, 1)
    assert reply.plain_text == "I couldn't save that; please send it again."
    [record] = [r for r in caplog.records if r.name == "bot.core.interview"]
    assert record.exc_info is not None and "answer refused by the test" in caplog.text
    assert "Zanzibar" not in caplog.text
    assert rows(bot_settings, "SELECT count(*) FROM answer")[0][0] == 0
    # The question still waits, as /interview says, and a resend once the fault is gone counts.
    [running] = await say(fake, ann, "/interview", 1)
    assert "(question 1 of 5)" in running.plain_text
    execute(bot_settings, db_rows.unrefuse_sql(url, "refuse_answer", "answer"))
    feedback, nxt = await say(fake, ann, secret, 2)
    assert "Feedback on question 1 of 5" in feedback.plain_text
    assert nxt.plain_text.startswith("Question 2 of 5 · ")


SLASH_NOTE = "Taken as your answer: it starts with / but is not a command."
# Telegram marks "/etc" as a bot_command; "/etc/ansible" is plain text.
SLASH_COMMAND = "/etc was our source of truth: every server change went through a reviewed commit."
SLASH_PATH = "/etc/ansible held every playbook, and I made reviews of it part of the release."


async def test_a_slash_answer_is_taken_while_a_question_waits(
    fake: FakeTelegram, bot_settings: Settings
) -> None:
    ann = fake.user(1503, "Ann")
    await follow_ups_off(fake, ann)  # the plain flow; follow-ups: test_e2e_follow_ups.py
    # Nothing waits: still an unknown command, and nothing is stored.
    [unknown] = await say(fake, ann, SLASH_COMMAND, 1)
    assert "I don't know the command /etc" in unknown.plain_text and "/help" in unknown.plain_text
    assert rows(bot_settings, "SELECT count(*) FROM interview_session")[0][0] == 0
    await say(fake, ann, "/interview", 1)
    # The bot's own commands stay commands while a question waits.
    [helptext] = await say(fake, ann, "/help", 1)
    assert "/interview" in helptext.plain_text and "Feedback" not in helptext.plain_text
    for n, answer in enumerate((SLASH_COMMAND, SLASH_PATH), start=1):
        feedback, nxt = await say(fake, ann, answer, 2)
        assert f"Feedback on question {n} of 5" in feedback.plain_text
        assert SLASH_NOTE in feedback.plain_text
        assert [label for label, _ in feedback.buttons()] == ["Again", "Hard", "Good", "Easy", "Try again"]
        assert nxt.plain_text.startswith(f"Question {n + 1} of 5 · ")
    assert [r.text for r in rows(bot_settings, "SELECT text FROM answer ORDER BY position")] == [
        SLASH_COMMAND,
        SLASH_PATH,
    ]
    # An ordinary answer's feedback has no such note.
    feedback, _ = await say(fake, ann, "I agreed the goals with the sponsor first.", 2)
    assert "Feedback on question 3 of 5" in feedback.plain_text and SLASH_NOTE not in feedback.plain_text
