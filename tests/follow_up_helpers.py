"""Helpers for end-to-end tests that meet follow-up questions (bot.core.probes)."""

from tests.fake_telegram import FakeTelegram, FakeUser


async def follow_ups_off(fake: FakeTelegram, user: FakeUser) -> None:
    """Turn follow-up questions off through /settings, as a user would (for tests of the plain
    question-after-question flow)."""
    before = len(fake.messages(user.id))
    fake.send_text(user, "/settings")
    await fake.wait_for_messages(user.id, before + 1)
    settings = fake.messages(user.id)[before]
    [(label, data)] = settings.buttons()
    if label == "Follow-up questions: off":
        return  # off already
    assert label == "Follow-up questions: on"
    query = fake.press_button(user, settings.message_id, data)
    await fake.wait_for(lambda: fake.callback_answer(query) is not None)
    await fake.wait_for(
        lambda: (
            next(m for m in fake.messages(user.id) if m.message_id == settings.message_id).buttons()
            == [("Follow-up questions: off", "st:fu:1")]
        )
    )
