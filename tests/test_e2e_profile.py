"""End to end: /level, the level question before a first interview, an interview's opener and
closer, and /jobad, through the real Application on the fake Bot API."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.tg import callback_data as cd
from bot.tg.app import BotApplication
from questions.loader import QuestionBank
from tests.conftest import FakeClock, running_bot, write_bot_settings
from tests.fake_telegram import FakeTelegram, FakeUser
from tests.follow_up_helpers import follow_ups_off
from tests.test_e2e_interview import answer_text, rows, say
from tests.test_e2e_progress import EXPIRED, current, press, press_and_wait_edit, settled

AD = """Senior IT Project Manager (ERP to cloud)
You will lead the migration of our ERP to AWS, working with Scrum teams and third-party vendors.
- Own the budget, forecasting and the business case
- Manage vendors, procurement and SLAs with our outsourcing partner
- Keep the RAID log and the risk register; report KPIs to the steering committee
- Plan UAT and the cutover; PMP or PRINCE2 preferred"""


@pytest.fixture
def asking_settings(tmp_path: Path, db_url: str, fake: FakeTelegram) -> Settings:
    return write_bot_settings(tmp_path, db_url, fake, ask_level=True)


@pytest.fixture
async def asking_bot(
    asking_settings: Settings, bank: QuestionBank, clock: FakeClock
) -> AsyncIterator[BotApplication]:
    async with running_bot(asking_settings, bank, clock) as app:
        yield app


def level_of(settings: Settings, user: FakeUser) -> str | None:
    [row] = rows(settings, 'SELECT level FROM "user" WHERE external_id = :e', e=f"tg:{user.id}")
    return row.level  # type: ignore[no-any-return]


@pytest.mark.usefixtures("asking_bot")
async def test_a_first_interview_asks_the_level_once_then_starts(
    fake: FakeTelegram, asking_settings: Settings, bank: QuestionBank
) -> None:
    ann = fake.user(1001, "Ann")
    [ask] = await say(fake, ann, "/interview", 1)
    assert "which role are you preparing for" in ask.plain_text
    buttons = dict(ask.buttons())
    assert list(buttons) == ["Coordinator", "Project manager", "Senior PM", "Skip"]
    assert all(len(data.encode()) <= 64 for data in buttons.values())
    assert level_of(asking_settings, ann) is None

    before = len(fake.messages(ann.id))
    await press_and_wait_edit(fake, ann, ask.message_id, buttons["Coordinator"], lambda t: "Level set" in t)
    [question] = (await fake.wait_for_messages(ann.id, before + 1))[before:]
    assert question.plain_text.startswith("Question 1 of 5 · Background and career")
    opener = next(q for q in bank.questions if q.text in question.plain_text)
    assert opener.stage == "opener" and "coordinator" in opener.levels
    assert level_of(asking_settings, ann) == "coordinator"
    assert current(fake, ann, ask.message_id).reply_markup is None

    # A double tap: the level chosen first stands, and no second interview starts.
    assert "already set" in (await press(fake, ann, ask.message_id, buttons["Senior PM"]) or "")
    await settled(fake)
    assert level_of(asking_settings, ann) == "coordinator"
    assert len(fake.messages(ann.id)) == before + 1

    # Asked once: the next /interview starts at once.
    await say(fake, ann, "/cancel", 1)
    [next_question] = await say(fake, ann, "/interview", 1)
    assert next_question.plain_text.startswith("Question 1 of 5")


@pytest.mark.usefixtures("asking_bot")
async def test_skip_and_a_topic_interview_after_the_level_question(
    fake: FakeTelegram, asking_settings: Settings
) -> None:
    bob = fake.user(1002, "Bob")
    [unknown] = await say(fake, bob, "/interview astrology", 1)
    assert "I don't have a topic" in unknown.plain_text
    [ask] = await say(fake, bob, "/interview agile", 1)
    skip = dict(ask.buttons())["Skip"]
    assert cd.parse(skip) == cd.SetLevel(None, True, "agile")
    before = len(fake.messages(bob.id))
    await press_and_wait_edit(fake, bob, ask.message_id, skip, lambda t: "No level" in t)
    [question] = (await fake.wait_for_messages(bob.id, before + 1))[before:]
    assert question.plain_text.startswith("Question 1 of 5 · Agile and Scrum")
    assert level_of(asking_settings, bob) == "any"


@pytest.mark.usefixtures("asking_bot")
async def test_stale_and_foreign_level_buttons_get_a_short_notice(
    fake: FakeTelegram, asking_settings: Settings
) -> None:
    ann, eve = fake.user(1001, "Ann"), fake.user(1003, "Eve")
    [ask] = await say(fake, ann, "/interview", 1)
    data = dict(ask.buttons())["Senior PM"]
    # Eve presses a button of Ann's chat: nothing changes for either.
    query = fake.press_button(eve, ask.message_id, data, chat_id=ann.id)
    await fake.wait_for(lambda: fake.callback_answer(query) is not None)
    notice = fake.callback_answer(query)
    assert notice is not None and EXPIRED in (notice.text or "")
    assert level_of(asking_settings, ann) is None
    assert not rows(asking_settings, "SELECT id FROM \"user\" WHERE external_id = 'tg:1003'")

    # After /deletedata the old buttons only expire.
    [confirm] = await say(fake, ann, "/deletedata", 1)
    await press_and_wait_edit(
        fake, ann, confirm.message_id, dict(confirm.buttons())["Delete everything"], lambda t: "Done" in t
    )
    for payload in (data, cd.SetLevel("coordinator").encode(), cd.SetLevel(None, True, None).encode()):
        assert EXPIRED in (await press(fake, ann, ask.message_id, payload) or "")
    await settled(fake)
    assert not rows(asking_settings, "SELECT id FROM \"user\" WHERE external_id = 'tg:1001'")


@pytest.mark.usefixtures("bot")
async def test_level_with_and_without_an_argument(fake: FakeTelegram, bot_settings: Settings) -> None:
    ann = fake.user(1001, "Ann")
    [status] = await say(fake, ann, "/level", 1)
    assert "No level set" in status.plain_text
    buttons = dict(status.buttons())
    assert list(buttons) == ["Coordinator", "Project manager", "Senior PM"]
    await press_and_wait_edit(fake, ann, status.message_id, buttons["Senior PM"], lambda t: "Senior PM" in t)
    assert level_of(bot_settings, ann) == "senior"

    for typed, stored, shown in [
        ("/level pm", "project_manager", "Project manager"),
        ("/level Project Manager", "project_manager", "Project manager"),
        ("/level project_manager", "project_manager", "Project manager"),
        ("/level COORDINATOR", "coordinator", "Coordinator"),
    ]:
        [reply] = await say(fake, ann, typed, 1)
        assert f"Level set: {shown}" in reply.plain_text, typed
        assert level_of(bot_settings, ann) == stored
    [refused] = await say(fake, ann, "/level <b>wizard</b>", 1)
    assert "I don't know the level “<b>wizard</b>”" in refused.plain_text
    assert len(refused.buttons()) == 3
    assert level_of(bot_settings, ann) == "coordinator"
    [status] = await say(fake, ann, "/level", 1)
    assert "Your level: Coordinator" in status.plain_text


@pytest.mark.usefixtures("bot")
async def test_a_full_interview_opens_with_a_warm_up_and_ends_with_a_closer(
    fake: FakeTelegram, bank: QuestionBank
) -> None:
    ann = fake.user(1001, "Ann")
    await follow_ups_off(fake, ann)  # the shape of the interview, without follow-up questions
    [question] = await say(fake, ann, "/interview", 1)
    texts = [question.plain_text]
    for n in range(1, 5):
        _, question = await say(fake, ann, answer_text(n), 2)
        texts.append(question.plain_text)
    asked = [next(q for q in bank.questions if q.text in text) for text in texts]
    assert asked[0].stage == "opener" and asked[-1].stage == "closer"
    assert all(q.stage is None for q in asked[1:-1])
    assert texts[-1].startswith("Question 5 of 5 · Background and career")
    _, summary = await say(fake, ann, answer_text(5), 2)
    assert summary.plain_text.startswith("Interview complete — 5 of 5")
    # A topic interview stays on its topic, without opener or closer.
    [focused] = await say(fake, ann, "/interview background", 1)
    assert next(q for q in bank.questions if q.text in focused.plain_text).stage is None


@pytest.mark.usefixtures("bot")
async def test_jobad_lists_terms_and_topics_and_turns_off(fake: FakeTelegram, bot_settings: Settings) -> None:
    ann = fake.user(1001, "Ann")
    [usage] = await say(fake, ann, "/jobad", 1)
    assert "No job ad set" in usage.plain_text and "/jobad" in usage.plain_text

    [found] = await say(fake, ann, f"/jobad {AD}", 1)
    text = found.plain_text
    assert text.startswith("Job ad read.")
    for term in ("Scrum", "AWS", "Vendor management", "SLAs", "RAID log", "UAT", "PMP"):
        assert term in text, term
    assert "lean toward:" in text and "and 1 more" not in text
    for topic in ("Vendors, procurement and contracts", "Budgeting and cost control"):
        assert topic in text, topic
    [row] = rows(bot_settings, 'SELECT topic_weights FROM "user"')
    assert "vendors" in row.topic_weights and "ERP" not in row.topic_weights

    [status] = await say(fake, ann, "/jobad", 1)
    assert "Practising for a job ad" in status.plain_text and "Vendors, procurement" in status.plain_text

    # The ad on the line after the command reads the same.
    [again] = await say(fake, ann, "/jobad\nScrum master wanted for a Kanban team", 1)
    assert "Agile and Scrum" in again.plain_text

    [odd] = await say(fake, ann, "/jobad 🚀🚀🚀 🙂", 1)
    assert "no IT project management terms" in odd.plain_text and "unchanged" in odd.plain_text

    [off] = await say(fake, ann, "/jobad off", 1)
    assert "Job ad cleared" in off.plain_text
    assert rows(bot_settings, 'SELECT topic_weights FROM "user"')[0].topic_weights is None
    [off_again] = await say(fake, ann, "/jobad OFF", 1)
    assert "No job ad was set" in off_again.plain_text
