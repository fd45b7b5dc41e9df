"""End to end: groups get one short note the first time the bot is there, then it leaves (issue 15,
point 3)."""

import pytest

from bot.config import Settings
from tests.fake_telegram import FakeTelegram
from tests.test_e2e_interview import rows, say
from tests.test_e2e_progress import settled

pytestmark = pytest.mark.usefixtures("bot")

NOTE = "I work in private chats only"


@pytest.mark.parametrize(("chat_type", "chat_id"), [("group", -100777), ("supergroup", -1_000_000_000_777)])
async def test_added_to_a_group_says_one_thing_and_leaves(
    fake: FakeTelegram, bot_settings: Settings, chat_type: str, chat_id: int
) -> None:
    ann, bob = fake.user(1001, "Ann"), fake.user(1002, "Bob")
    fake.add_bot_to_group(ann, chat_id, chat_type=chat_type)
    # The join and a burst of messages (join notices, commands, chatter) before the leave lands.
    for n in range(6):
        fake.send_text(
            bob if n % 2 else ann,
            "/interview" if n % 3 == 0 else f"hello {n}",
            chat_type=chat_type,
            chat_id=chat_id,
        )
    await fake.wait_for(lambda: chat_id in fake.left_chats)
    await settled(fake)
    [note] = fake.messages(chat_id)
    assert note.plain_text.startswith(NOTE) and note.buttons() == []
    # One send attempt in all, not one refused after the leave.
    assert len([c for c in fake.calls_to("sendMessage") if int(c.params["chat_id"]) == chat_id]) == 1
    assert {int(c.params["chat_id"]) for c in fake.calls_to("leaveChat")} == {chat_id}
    assert rows(bot_settings, 'SELECT count(*) AS n FROM "user"')[0].n == 0

    # Removed, the bot says nothing; the private chat works as ever.
    fake.add_bot_to_group(ann, chat_id, chat_type=chat_type, status="kicked")
    await settled(fake)
    assert len(fake.messages(chat_id)) == 1
    [greeting] = await say(fake, ann, "/start", 1)
    assert greeting.plain_text.startswith("Hello, Ann!")


async def test_first_message_in_a_group_without_a_join_update(fake: FakeTelegram) -> None:
    ann = fake.user(1001, "Ann")
    fake.send_text(ann, "/start", chat_type="group", chat_id=-100888)
    fake.send_text(ann, "anyone here?", chat_type="group", chat_id=-100888)
    await fake.wait_for(lambda: -100888 in fake.left_chats)
    await settled(fake)
    [note] = fake.messages(-100888)
    assert note.plain_text.startswith(NOTE)
    assert fake.messages(ann.id) == []
