"""End to end: follow-up questions, Try again, answers in several messages and /settings,
through the real Application on the fake Bot API with a real SQLite file."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from bot.config import Settings
from bot.tg import callback_data as cd
from bot.tg.app import BotApplication
from questions.loader import QuestionBank
from tests import db_rows
from tests.conftest import FakeClock, running_bot
from tests.fake_telegram import FakeTelegram, FakeUser, SentMessage
from tests.follow_up_helpers import follow_ups_off
from tests.test_e2e_interview import rows, say
from tests.test_e2e_progress import EXPIRED, press, settled

CLOUD = "cloud-begin-implementation"
WEAK = "I would agree the business case with the sponsor and run a proof of concept with one team."
# Covers the provider, compliance and adoption points the weak answer left out.
FOLLOW_UP_ANSWER = (
    "I would compare AWS and Azure with the architects, check GDPR and data protection with "
    "security, and plan adoption with training and change management."
)
STRONG = (
    "First I would agree the business case and measurable objectives with the sponsor and map the "
    "stakeholder groups. Then a current state assessment and gap analysis of what we run today, "
    "with security and compliance involved early for data protection. I would run a proof of "
    "concept with one team, pick the provider with the architects, and plan adoption with change "
    "management, training and user support."
)
PROBE_ASKED = "How would you choose between two competing cloud providers?"


@asynccontextmanager
async def asking_cloud(
    settings: Settings, bank: QuestionBank, clock: FakeClock
) -> AsyncIterator[BotApplication]:
    """The bot with a bank of one question: every interview is that one question."""
    async with running_bot(settings, QuestionBank((bank.by_id[CLOUD],)), clock) as app:
        yield app


def assert_buttons_fit(fake: FakeTelegram, *users: FakeUser) -> None:
    """Every button the bot sent fits Telegram's 64 bytes of callback_data and parses."""
    for user in users:
        for m in fake.messages(user.id):
            for _, data in m.buttons():
                assert len(data.encode()) <= 64 and cd.parse(data) is not None, data


def skip_data(probe: SentMessage) -> str:
    [(label, data)] = probe.buttons()
    assert label == "Skip"
    return data


# --- follow-ups ---------------------------------------------------------------------------------


async def test_a_weak_answer_gets_a_follow_up_and_a_strong_one_does_not(
    fake: FakeTelegram, bot_settings: Settings, bank: QuestionBank, clock: FakeClock
) -> None:
    ann, bob = fake.user(1001, "Ann"), fake.user(1002, "Bob")
    async with asking_cloud(bot_settings, bank, clock):
        await say(fake, ann, "/interview", 1)
        feedback, probe = await say(fake, ann, WEAK, 2)
        assert feedback.plain_text.startswith("Feedback on question 1 of 1")
        # The feedback does not name another follow-up: this one is asked.
        assert "An interviewer might follow up" not in feedback.plain_text
        assert probe.plain_text.startswith("Follow-up · question 1 of 1")
        assert PROBE_ASKED in probe.plain_text
        skip_data(probe)

        await say(fake, bob, "/interview", 1)
        feedback, summary = await say(fake, bob, STRONG, 2)
        assert "7 of 7 talking points covered" in feedback.plain_text
        assert summary.plain_text.startswith("Interview complete")
    [stored] = rows(
        bot_settings,
        "SELECT probe FROM answer a JOIN \"user\" u ON u.id = a.user_id WHERE u.external_id = 'tg:1002'",
    )
    assert stored.probe is None
    assert_buttons_fit(fake, ann, bob)


async def test_the_follow_up_answer_is_stored_and_counts_toward_the_question(
    fake: FakeTelegram, bot_settings: Settings, bank: QuestionBank, clock: FakeClock
) -> None:
    ann = fake.user(1001, "Ann")
    async with asking_cloud(bot_settings, bank, clock):
        await say(fake, ann, "/interview", 1)
        feedback, _ = await say(fake, ann, WEAK, 2)
        assert "3 of 7 talking points covered" in feedback.plain_text
        follow_up, summary = await say(fake, ann, FOLLOW_UP_ANSWER, 2)
        assert follow_up.plain_text.startswith("Feedback on your follow-up · question 1 of 1")
        assert "With your follow-up: 6 of 7 points (the answer alone: 3)" in follow_up.plain_text
        assert "Provider and architecture" in follow_up.plain_text.split("Added by the follow-up")[1]
        assert [label for label, _ in follow_up.buttons()] == ["Again", "Hard", "Good", "Easy", "Try again"]
        # The summary counts both answers.
        assert "6 of 7" in summary.plain_text or "86%" in summary.plain_text
    [row] = rows(
        bot_settings, "SELECT text, probe, probe_answer, probe_covered, covered, probe_analysis FROM answer"
    )
    assert (row.text, row.probe, row.probe_answer) == (WEAK, f"bank:{PROBE_ASKED}", FOLLOW_UP_ANSWER)
    assert len(db_rows.stored_json(row.covered)) == 6 and len(db_rows.stored_json(row.probe_covered)) >= 3
    assert row.probe_analysis is not None


async def test_history_shows_the_answer_and_the_follow_up(
    fake: FakeTelegram, bot_settings: Settings, bank: QuestionBank, clock: FakeClock
) -> None:
    ann = fake.user(1001, "Ann")
    async with asking_cloud(bot_settings, bank, clock):
        await say(fake, ann, "/interview", 1)
        await say(fake, ann, WEAK, 2)
        await say(fake, ann, FOLLOW_UP_ANSWER, 2)
        [page] = await say(fake, ann, "/history", 1)
        opened = next(data for _, data in page.buttons() if data.startswith("ho:"))
        before = len(fake.messages(ann.id))
        await press(fake, ann, page.message_id, opened)
        [attempts] = (await fake.wait_for_messages(ann.id, before + 1))[before:]
    assert WEAK in attempts.plain_text
    assert f"Follow-up: {PROBE_ASKED}" in attempts.plain_text
    assert FOLLOW_UP_ANSWER in attempts.plain_text


async def test_skip_moves_on_and_an_old_skip_button_gets_a_notice(
    fake: FakeTelegram, bot_settings: Settings, bank: QuestionBank, clock: FakeClock
) -> None:
    ann = fake.user(1001, "Ann")
    async with asking_cloud(bot_settings, bank, clock):
        await say(fake, ann, "/interview", 1)
        _, probe = await say(fake, ann, WEAK, 2)
        skip = skip_data(probe)
        before = len(fake.messages(ann.id))
        assert await press(fake, ann, probe.message_id, skip) is None
        [summary] = (await fake.wait_for_messages(ann.id, before + 1))[before:]
        assert summary.plain_text.startswith("Interview complete")
        assert probe.buttons() == []  # the keyboard is gone
        # Pressed again (a client may still show it): a notice, nothing sent.
        assert EXPIRED in (await press(fake, ann, probe.message_id, skip) or "")
        await settled(fake)
        assert len(fake.messages(ann.id)) == before + 1
    [row] = rows(bot_settings, "SELECT probe, probe_answer, covered FROM answer")
    assert row.probe == f"bank:{PROBE_ASKED}" and row.probe_answer is None


async def test_follow_ups_off_in_settings_go_straight_on(
    fake: FakeTelegram, bot_settings: Settings, bank: QuestionBank, clock: FakeClock
) -> None:
    ann = fake.user(1001, "Ann")
    async with asking_cloud(bot_settings, bank, clock):
        [settings] = await say(fake, ann, "/settings", 1)
        assert "Follow-up questions: on" in settings.plain_text
        await follow_ups_off(fake, ann)
        await say(fake, ann, "/interview", 1)
        _, summary = await say(fake, ann, WEAK, 2)
        assert summary.plain_text.startswith("Interview complete")
        # And on again.
        [settings] = await say(fake, ann, "/settings", 1)
        assert "Follow-up questions: off" in settings.plain_text
        assert await press(fake, ann, settings.message_id, cd.SetFollowUps(True).encode()) is None
        await say(fake, ann, "/interview", 1)
        _, probe = await say(fake, ann, WEAK, 2)
        assert probe.plain_text.startswith("Follow-up")
    assert [r.follow_ups for r in rows(bot_settings, 'SELECT follow_ups FROM "user"')] == [1]


async def test_a_restart_between_the_answer_and_the_follow_up_resumes_at_the_follow_up(
    fake: FakeTelegram, bot_settings: Settings, bank: QuestionBank, clock: FakeClock
) -> None:
    ann = fake.user(1001, "Ann")
    async with asking_cloud(bot_settings, bank, clock) as app:
        await say(fake, ann, "/interview", 1)
        await say(fake, ann, WEAK, 2)
        await settled(fake)
        assert app.updater is not None
        await app.updater.stop()
        await app.stop()
    # A new process on the same database file.
    async with asking_cloud(bot_settings, bank, clock):
        [offer] = await say(fake, ann, "/interview", 1)
        assert "middle of an interview" in offer.plain_text
        before = len(fake.messages(ann.id))
        await press(fake, ann, offer.message_id, dict(offer.buttons())["Continue"])
        [probe] = (await fake.wait_for_messages(ann.id, before + 1))[before:]
        assert probe.plain_text.startswith("Follow-up · question 1 of 1") and PROBE_ASKED in probe.plain_text
        skip_data(probe)
        # The next text is the follow-up's answer.
        follow_up, _ = await say(fake, ann, FOLLOW_UP_ANSWER, 2)
        assert "With your follow-up: 6 of 7 points" in follow_up.plain_text
    assert rows(bot_settings, "SELECT probe_answer FROM answer")[0].probe_answer == FOLLOW_UP_ANSWER


async def test_two_users_never_see_each_others_follow_ups(
    fake: FakeTelegram, bot_settings: Settings, bank: QuestionBank, clock: FakeClock
) -> None:
    ann, bob = fake.user(1001, "Ann"), fake.user(1002, "Bob")
    async with asking_cloud(bot_settings, bank, clock):
        fake.send_text(ann, "/interview")
        fake.send_text(bob, "/interview")
        await fake.wait_for_messages(ann.id, 1)
        await fake.wait_for_messages(bob.id, 1)
        fake.send_text(ann, WEAK)
        fake.send_text(bob, "I would ask the sponsor for a business case and then run a proof of concept.")
        ann_probe = (await fake.wait_for_messages(ann.id, 3))[2]
        bob_probe = (await fake.wait_for_messages(bob.id, 3))[2]
        assert ann_probe.plain_text.startswith("Follow-up") and bob_probe.plain_text.startswith("Follow-up")
        # Bob pressing Ann's Skip changes nothing for anyone.
        skip_data(bob_probe)
        assert EXPIRED in (await press(fake, bob, bob_probe.message_id, skip_data(ann_probe)) or "")
        # Bob's text answers Bob's follow-up; Ann's still waits.
        follow_up, _ = await say(fake, bob, FOLLOW_UP_ANSWER, 2)
        assert "With your follow-up" in follow_up.plain_text
        [offer] = await say(fake, ann, "/interview", 1)
        assert "middle of an interview" in offer.plain_text
    by_user = {
        r.external_id: r
        for r in rows(
            bot_settings,
            'SELECT u.external_id, a.probe_answer FROM answer a JOIN "user" u ON u.id = a.user_id',
        )
    }
    assert by_user["tg:1001"].probe_answer is None
    assert by_user["tg:1002"].probe_answer == FOLLOW_UP_ANSWER
    assert_buttons_fit(fake, ann, bob)


# --- Try again ----------------------------------------------------------------------------------


async def test_try_again_stores_another_attempt_and_the_interview_goes_on(
    fake: FakeTelegram, bot: BotApplication, bot_settings: Settings
) -> None:
    ann = fake.user(1001, "Ann")
    await follow_ups_off(fake, ann)
    [first] = await say(fake, ann, "/interview", 1)
    feedback, second = await say(fake, ann, "First try: I would talk to the sponsor.", 2)
    assert second.plain_text.startswith("Question 2 of 5")
    before = len(fake.messages(ann.id))
    assert await press(fake, ann, feedback.message_id, dict(feedback.buttons())["Try again"]) is None
    [again] = (await fake.wait_for_messages(ann.id, before + 1))[before:]
    assert again.plain_text.startswith("Try again: Question 1 of 5")
    assert first.plain_text.split("\n", 2)[-1] in again.plain_text
    retry_feedback, pending = await say(
        fake, ann, "Second try: the sponsor, the stakeholders and a risk register.", 2
    )
    assert retry_feedback.plain_text.startswith("Feedback on your new attempt at question 1 of 5")
    # Then the interview continues where it was: question 2 again, answered normally.
    assert pending.plain_text == second.plain_text
    feedback2, _ = await say(fake, ann, "Answer to question two.", 2)
    assert "Feedback on question 2 of 5" in feedback2.plain_text
    stored = rows(bot_settings, "SELECT question_id, position, text FROM answer ORDER BY id")
    assert [r.position for r in stored] == [0, None, 1]
    assert stored[0].question_id == stored[1].question_id
    assert stored[1].text.startswith("Second try")
    # /history's attempts show both, with what changed.
    ids = rows(bot_settings, "SELECT id FROM answer ORDER BY id")
    before = len(fake.messages(ann.id))
    fake.press_button(ann, feedback.message_id, cd.OpenAnswer(ids[1].id).encode())
    [attempts] = (await fake.wait_for_messages(ann.id, before + 1))[before:]
    assert "2 attempts" in attempts.plain_text and "First try" in attempts.plain_text
    assert_buttons_fit(fake, ann)


async def test_try_again_on_someone_elses_answer_gets_a_notice(
    fake: FakeTelegram, bot: BotApplication, bot_settings: Settings
) -> None:
    ann, eve = fake.user(1001, "Ann"), fake.user(6666, "Eve")
    await say(fake, ann, "/interview", 1)
    feedback, _ = await say(fake, ann, "An answer.", 2)
    await say(fake, eve, "/start", 1)
    sent = len(fake.messages(eve.id))
    assert EXPIRED in (
        await press(fake, eve, feedback.message_id, dict(feedback.buttons())["Try again"]) or ""
    )
    # A stranger pressing the settings button is turned away too, and nothing was sent.
    stranger = fake.user(7777, "Stranger")
    assert EXPIRED in (
        await press(fake, stranger, feedback.message_id, cd.SetFollowUps(False).encode()) or ""
    )
    await settled(fake)
    assert len(fake.messages(eve.id)) == sent
    assert rows(bot_settings, "SELECT count(*) AS n FROM answer")[0].n == 1


# --- answers in several messages -------------------------------------------------------------------


async def test_a_two_part_answer_is_joined_and_its_feedback_updated(
    fake: FakeTelegram, bot: BotApplication, bot_settings: Settings, clock: FakeClock
) -> None:
    ann = fake.user(1001, "Ann")
    await follow_ups_off(fake, ann)
    await say(fake, ann, "/interview", 1)
    written = int((clock.now - timedelta(seconds=5)).timestamp())
    before = len(fake.messages(ann.id))
    fake.send_text(ann, "We ran a pilot first.", date=written)
    feedback, second = (await fake.wait_for_messages(ann.id, before + 2))[before:]
    assert "Feedback on question 1 of 5" in feedback.plain_text
    # Written before question 2 was sent (the bot's clock is where question 2 was asked):
    # the rest of the answer, not an answer to question 2.
    before = len(fake.messages(ann.id))
    fake.send_text(ann, "Then we rolled it out in phases with a rollback plan.", date=written + 2)
    updated, shown_again = (await fake.wait_for_messages(ann.id, before + 2))[before:]
    assert updated.plain_text.startswith("Updated feedback on question 1 of 5")
    assert "Your answer in 2 messages, assessed as one." in updated.plain_text
    assert shown_again.plain_text == second.plain_text
    [row] = rows(bot_settings, "SELECT text, parts FROM answer")
    assert row.text == "We ran a pilot first.\nThen we rolled it out in phases with a rollback plan."
    assert row.parts == 2
    # A message written well after question 2 was sent answers question 2.
    clock.advance(minutes=2)
    before = len(fake.messages(ann.id))
    fake.send_text(ann, "Question two's answer.", date=int(clock.now.timestamp()))
    feedback2, _ = (await fake.wait_for_messages(ann.id, before + 2))[before:]
    assert "Feedback on question 2 of 5" in feedback2.plain_text
    assert [r.position for r in rows(bot_settings, "SELECT position FROM answer ORDER BY id")] == [0, 1]


async def test_a_second_part_that_covers_the_gap_withdraws_the_follow_up(
    fake: FakeTelegram, bot_settings: Settings, bank: QuestionBank, clock: FakeClock
) -> None:
    ann = fake.user(1001, "Ann")
    async with asking_cloud(bot_settings, bank, clock):
        await say(fake, ann, "/interview", 1)
        written = int((clock.now - timedelta(seconds=5)).timestamp())
        before = len(fake.messages(ann.id))
        fake.send_text(ann, WEAK, date=written)
        _, probe = (await fake.wait_for_messages(ann.id, before + 2))[before:]
        assert probe.plain_text.startswith("Follow-up")
        skip = skip_data(probe)
        before = len(fake.messages(ann.id))
        fake.send_text(ann, FOLLOW_UP_ANSWER, date=written + 1)
        updated, summary = (await fake.wait_for_messages(ann.id, before + 2))[before:]
        assert updated.plain_text.startswith("Updated feedback on question 1 of 1")
        assert summary.plain_text.startswith("Interview complete")
        await settled(fake)
        # The old Skip button is stale now.
        assert EXPIRED in (await press(fake, ann, probe.message_id, skip) or "")
    [row] = rows(bot_settings, "SELECT parts, probe, probe_answer FROM answer")
    assert (row.parts, row.probe, row.probe_answer) == (2, None, None)


async def test_a_quick_second_message_sent_after_the_next_question_still_continues_the_answer(
    fake: FakeTelegram, bot: BotApplication, bot_settings: Settings, clock: FakeClock
) -> None:
    """The window rule: dated after question 2 was sent, but within PART_WINDOW of the first
    part and of question 2 (nobody reads and answers a question that fast)."""
    ann = fake.user(1001, "Ann")
    await follow_ups_off(fake, ann)
    clock.now = clock.now.replace(microsecond=0)
    start = int(clock.now.timestamp())
    await say(fake, ann, "/interview", 1)
    before = len(fake.messages(ann.id))
    fake.send_text(ann, "We ran a pilot first.", date=start)
    await fake.wait_for_messages(ann.id, before + 2)  # question 2 is sent at `start`
    updated, _ = await say_dated(fake, ann, "And then a phased rollout.", start + 10, 2)
    assert updated.plain_text.startswith("Updated feedback on question 1 of 5")
    # Past the window: question 2's answer.
    feedback2, _ = await say_dated(fake, ann, "Question two's answer.", start + 45, 2)
    assert "Feedback on question 2 of 5" in feedback2.plain_text
    stored = rows(bot_settings, "SELECT text, position FROM answer ORDER BY id")
    assert [(r.text, r.position) for r in stored] == [
        ("We ran a pilot first.\nAnd then a phased rollout.", 0),
        ("Question two's answer.", 1),
    ]


async def test_a_quick_message_after_cancel_is_not_joined_to_the_stopped_interview(
    fake: FakeTelegram, bot: BotApplication, bot_settings: Settings, clock: FakeClock
) -> None:
    """/cancel ends the interview on purpose: a text right after it (within PART_WINDOW of the
    last answer) is no more of that answer, while a quick second part after the last question of
    an interview that finished still is."""
    ann = fake.user(1001, "Ann")
    await follow_ups_off(fake, ann)
    clock.now = clock.now.replace(microsecond=0)
    start = int(clock.now.timestamp())
    await say(fake, ann, "/interview", 1)
    await say_dated(fake, ann, "We ran a pilot first.", start, 2)
    [stopped] = await say(fake, ann, "/cancel", 1)
    assert stopped.plain_text.startswith("Interview stopped")
    [reply] = await say_dated(fake, ann, "What now?", start + 5, 1)
    assert "There's no question waiting" in reply.plain_text
    stored = rows(bot_settings, "SELECT text, parts FROM answer")
    assert [(r.text, r.parts) for r in stored] == [("We ran a pilot first.", 1)]


async def say_dated(
    fake: FakeTelegram, user: FakeUser, text: str, date: int, replies: int
) -> list[SentMessage]:
    """Send a text Telegram dates `date` and wait for the next `replies` messages."""
    before = len(fake.messages(user.id))
    fake.send_text(user, text, date=date)
    return (await fake.wait_for_messages(user.id, before + replies))[before:]
