"""End to end: buttons after /deletedata, double taps and quick re-ratings (issue 15, point 5)."""

import pytest

from bot.config import Settings
from bot.tg import callback_data
from tests.fake_telegram import FakeTelegram, FakeUser
from tests.test_e2e_interview import rows, say
from tests.test_e2e_progress import (
    EXPIRED,
    current,
    footprint,
    press,
    press_and_wait_edit,
    settled,
)

pytestmark = pytest.mark.usefixtures("bot")


async def rated_feedback(fake: FakeTelegram, user: FakeUser) -> dict[str, str]:
    """Start an interview, answer its first question; the rating buttons under the feedback."""
    await say(fake, user, "/interview agile", 1)
    feedback, _ = await say(fake, user, "We ran two-week sprints with a shared backlog and demos.", 2)
    return dict(feedback.buttons())


async def test_old_buttons_after_deletedata_expire_and_change_nothing(
    fake: FakeTelegram, bot_settings: Settings
) -> None:
    ann = fake.user(1001, "Ann")
    ratings = await rated_feedback(fake, ann)
    [daily] = await say(fake, ann, "/daily", 1)
    [topics] = await say(fake, ann, "/topics", 1)
    answer_id = callback_data.parse(ratings["Good"])
    assert isinstance(answer_id, callback_data.RateAnswer)

    [ask] = await say(fake, ann, "/deletedata", 1)
    await press_and_wait_edit(
        fake, ann, ask.message_id, dict(ask.buttons())["Delete everything"], lambda t: "Done" in t
    )
    assert footprint(bot_settings, ann)["user"] == 0
    sent = len(fake.messages(ann.id))

    old = [
        (daily.message_id, dict(daily.buttons())["07:00"]),
        (topics.message_id, topics.buttons()[0][1]),
        (topics.message_id, dict(topics.buttons())["All topics"]),
        (daily.message_id, callback_data.SkipPrompt(1).encode()),
        (daily.message_id, callback_data.SnoozePrompt(1).encode()),
        (daily.message_id, ratings["Easy"]),
        (daily.message_id, callback_data.PractiseAgain(answer_id.answer_id).encode()),
        (daily.message_id, callback_data.RestartInterview(1, None).encode()),
        (daily.message_id, callback_data.RestartInterview(1, "agile").encode()),
    ]
    for message_id, data in old:
        assert EXPIRED in (await press(fake, ann, message_id, data) or ""), data
    await settled(fake)
    # Nothing re-created, nothing scheduled, nothing sent, the old messages untouched.
    assert footprint(bot_settings, ann) == dict.fromkeys(footprint(bot_settings, ann), 0)
    assert rows(bot_settings, "SELECT count(*) AS n FROM practice_schedule")[0].n == 0
    assert len(fake.messages(ann.id)) == sent
    assert not current(fake, ann, daily.message_id).edited
    assert not current(fake, ann, topics.message_id).edited

    # A command typed afterwards still registers the user anew.
    [greeting] = await say(fake, ann, "/start", 1)
    assert greeting.plain_text.startswith("Hello, Ann!")


async def test_double_tap_on_delete_everything_keeps_done(fake: FakeTelegram, bot_settings: Settings) -> None:
    ann = fake.user(1001, "Ann")
    await rated_feedback(fake, ann)
    [ask] = await say(fake, ann, "/deletedata", 1)
    confirm = dict(ask.buttons())["Delete everything"]
    first = fake.press_button(ann, ask.message_id, confirm)
    second = fake.press_button(ann, ask.message_id, confirm)
    await fake.wait_for(lambda: None not in (fake.callback_answer(first), fake.callback_answer(second)))
    await settled(fake)
    notices = [fake.callback_answer(q) for q in (first, second)]
    assert [n.text if n else "" for n in notices] == [None, "There was nothing stored about you."]
    done = current(fake, ann, ask.message_id)
    assert "everything I stored about you is deleted" in done.plain_text and done.buttons() == []
    assert footprint(bot_settings, ann)["user"] == 0


@pytest.mark.parametrize(("first", "then"), [("Good", "Easy"), ("Easy", "Good")])
async def test_quick_second_rating_keeps_the_first(
    fake: FakeTelegram, bot_settings: Settings, first: str, then: str
) -> None:
    ann = fake.user(1001, "Ann")
    ratings = await rated_feedback(fake, ann)
    [feedback] = [m for m in fake.messages(ann.id) if m.buttons()[:1] and m.buttons()[0][0] == "Again"]
    taps = [fake.press_button(ann, feedback.message_id, ratings[label]) for label in (first, then)]
    await fake.wait_for(lambda: all(fake.callback_answer(q) is not None for q in taps))
    await settled(fake)
    shown = [a.text or "" for q in taps if (a := fake.callback_answer(q))]
    # Both notices name the rating that was saved and scheduled: the first tap's.
    assert all(text.startswith(f"Saved: {first} ") for text in shown), shown
    value = {"Good": 3, "Easy": 4}[first]
    assert [r.rating for r in rows(bot_settings, "SELECT rating FROM answer")] == [value]
    [card] = rows(bot_settings, "SELECT last_rating, review_count FROM card")
    assert (card.last_rating, card.review_count) == (value, 1)
    assert len(rows(bot_settings, "SELECT id FROM review_log")) == 1


async def test_pressing_an_old_button_never_asks_for_an_edit_that_changes_nothing(fake: FakeTelegram) -> None:
    ann = fake.user(1001, "Ann")
    ratings = await rated_feedback(fake, ann)
    [feedback] = [m for m in fake.messages(ann.id) if m.buttons()[:1] and m.buttons()[0][0] == "Again"]
    await press(fake, ann, feedback.message_id, ratings["Good"])
    await fake.wait_for(
        lambda: [b for b, _ in current(fake, ann, feedback.message_id).buttons()] == ["Try again"]
    )
    # The rated message, pressed again (an old client view): its rating buttons are already gone.
    assert (await press(fake, ann, feedback.message_id, ratings["Easy"]) or "").startswith("Saved: Good")
    await settled(fake)
    edits = fake.calls_to("editMessageReplyMarkup")
    assert len(edits) == 1 and edits[0].response_ok, fake.describe_recent_calls()
