"""SIGKILL with updates fetched but not handled: after the restart each is handled, once.

Telegram counts an update delivered when the next getUpdates asks past it, which PTB does as
soon as a batch is queued. Here the bot is killed while every user's answer is stored but its
reply hangs, and while each user's next message waits behind it, already confirmed to
Telegram. Without the inbox those messages are gone; with it, the restarted bot handles them,
and the answers handled before the crash count once.
"""

import signal
from pathlib import Path

from bot.config import Settings
from tests.fake_telegram import FakeTelegram
from tests.follow_up_helpers import follow_ups_off
from tests.processes import start_bot
from tests.test_e2e_interview import answer_text, rows
from tests.test_run_exit import wait_exit

USERS = 6


async def test_updates_confirmed_but_not_handled_survive_a_sigkill(
    fake: FakeTelegram, bot_settings: Settings, tmp_path: Path
) -> None:
    people = [fake.user(7001 + n, f"User {n}") for n in range(USERS)]
    log = tmp_path / "bot.log"
    process = start_bot(bot_settings, log)
    try:
        await fake.wait_for(lambda: fake.waiting_polls >= 1 or process.poll() is not None, timeout=30)
        assert process.poll() is None, log.read_text()
        for person in people:
            await follow_ups_off(fake, person)  # the answer moves on to question 2 at once
            fake.send_text(person, "/interview")
        for person in people:
            await fake.wait_for_messages(person.id, 2, timeout=30)  # settings, question 1

        # Every reply from now on hangs: answers get stored, their feedback never goes out.
        fake.hold("sendMessage")
        for n, person in enumerate(people):
            fake.send_text(person, answer_text(n))
        await fake.wait_for(
            lambda: rows(bot_settings, "SELECT count(*) AS n FROM answer")[0].n == USERS, timeout=30
        )
        for person in people:
            fake.send_text(person, "/help")  # waits behind the user's hung answer
        # Fetched, and confirmed by the poll after them: Telegram will not send them again.
        await fake.wait_for(lambda: fake.pending_updates() == 0 and fake.waiting_polls >= 1, timeout=30)
        confirmed = fake.last_update_id
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    fake.drop_held()
    sent_before = {p.id: len(fake.messages(p.id)) for p in people}
    assert confirmed is not None

    restarted = start_bot(bot_settings, tmp_path / "restarted.log")
    try:
        for person in people:
            replies = await fake.wait_for_messages(person.id, sent_before[person.id] + 3, timeout=30)
            texts = [m.plain_text for m in replies[sent_before[person.id] :]]
            # The stored answer counts once; what waits now is asked; /help is answered.
            assert texts[0].startswith("I had already saved that answer"), texts
            assert texts[1].startswith("Question 2 of 5 · "), texts
            assert "/interview" in texts[2], texts
    finally:
        restarted.send_signal(signal.SIGTERM)
        await wait_exit(fake, restarted, tmp_path / "restarted.log")
    stored = rows(bot_settings, "SELECT user_id, position FROM answer ORDER BY user_id")
    assert [(r.position) for r in stored] == [0] * USERS
    assert rows(bot_settings, "SELECT count(*) AS n FROM inbox_update WHERE handled_at IS NULL")[0].n == 0
    assert rows(bot_settings, "SELECT count(*) AS n FROM inbox_update WHERE payload IS NOT NULL")[0].n == 0
