"""End to end: /history, opening attempts, /stats, /export and /deletedata through the fake Bot API.

Volume is seeded through the real core (``Services`` on the bot's own database file) before the
bot starts, with the FakeClock moved between answers so that answers fall on different days.
"""

import csv
import io
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from PIL import Image

from bot.config import Settings
from bot.core.interview import Answered, Identity, Started
from bot.core.prompting import DailyPrompt
from bot.core.rating import Rating
from bot.core.services import Services
from bot.core.srs import SpacedRepetition
from bot.present.export import CSV_HEADER
from bot.tg import callback_data
from bot.tg.app import BotApplication
from questions.loader import QuestionBank
from storage.db import Database
from tests.conftest import FakeClock, running_bot
from tests.fake_telegram import FakeTelegram, FakeUser, SentMessage
from tests.test_e2e_interview import rows, say

ERROR_TEXT = "Sorry, something went wrong"
EXPIRED = "That button has expired"
# Every table that holds something about a user (the user row itself is checked by external_id).
USER_TABLES = ("answer", "interview_session", "card", "review_log", "delivery", "practice_schedule")


# ---- helpers ------------------------------------------------------------------------------------


def footprint(settings: Settings, user: FakeUser) -> dict[str, int]:
    """How many rows each table holds for the user (0 everywhere once they are deleted)."""
    found = rows(settings, 'SELECT id FROM "user" WHERE external_id = :e', e=f"tg:{user.id}")
    counts = {"user": len(found)}
    for table in USER_TABLES:
        counts[table] = (
            rows(settings, f"SELECT count(*) AS n FROM {table} WHERE user_id = :u", u=found[0].id)[0].n
            if found
            else 0
        )
    return counts


def who(user: FakeUser) -> Identity:
    """The Identity the Telegram front end builds for this user."""
    return Identity(f"tg:{user.id}", user.id, user.first_name)


def current(fake: FakeTelegram, user: FakeUser, message_id: int) -> SentMessage:
    return next(m for m in fake.messages(user.id) if m.message_id == message_id)


async def press(fake: FakeTelegram, user: FakeUser, message_id: int, data: str) -> str | None:
    """Press a button and wait until the bot has answered the query; returns the notice shown."""
    query = fake.press_button(user, message_id, data)
    await fake.wait_for(lambda: fake.callback_answer(query) is not None)
    answer = fake.callback_answer(query)
    assert answer is not None
    return answer.text


async def press_and_wait_edit(
    fake: FakeTelegram, user: FakeUser, message_id: int, data: str, until: Callable[[str], bool]
) -> SentMessage:
    """Press a button on a message and wait until that same message reads as `until` wants."""
    assert await press(fake, user, message_id, data) is None
    await fake.wait_for(lambda: until(current(fake, user, message_id).plain_text))
    return current(fake, user, message_id)


async def settled(fake: FakeTelegram) -> None:
    """Wait until the bot has fetched every update and is idle in a long poll again."""
    await fake.wait_for(lambda: fake.pending_updates() == 0 and fake.waiting_polls >= 1)


def no_errors(fake: FakeTelegram, *users: FakeUser) -> None:
    for user in users:
        assert not [m for m in fake.messages(user.id) if ERROR_TEXT in m.plain_text]


def opens(message: SentMessage) -> list[tuple[str, int]]:
    """The numbered Open buttons of a history page as (label, answer id)."""
    found = []
    for label, data in message.buttons():
        action = callback_data.parse(data)
        if isinstance(action, callback_data.OpenAnswer):
            found.append((label, action.answer_id))
    return found


@asynccontextmanager
async def core(settings: Settings, bank: QuestionBank, clock: FakeClock) -> AsyncIterator[Services]:
    """The real core on the bot's database file, for seeding before the bot starts."""
    services = Services(
        settings,
        Database(settings.database.url),
        bank,
        clock,
        random.Random(11),
        SpacedRepetition(enable_fuzzing=False),
    )
    try:
        yield services
    finally:
        await services.close()


async def interview_answers(
    services: Services,
    clock: FakeClock,
    user: Identity,
    texts: list[str],
    *,
    topic: str | None = None,
    every: timedelta = timedelta(hours=6),
) -> list[Answered]:
    """Answer mock interviews (one after another) with `texts`, `every` apart; none left running."""
    answered: list[Answered] = []
    for answer in texts:
        if await services.interviews.resume(user) is None:
            started = await services.interviews.start(user, topic)
            assert isinstance(started, Started)
        clock.advance(seconds=every.total_seconds())
        outcome = await services.interviews.answer(user, answer)
        assert isinstance(outcome, Answered), outcome
        answered.append(outcome)
    await services.interviews.cancel(user)
    return answered


async def practise(services: Services, user: Identity, question_id: str, answer: str) -> Answered:
    """Answer one question the way "Practise again" asks it."""
    prompt = await services.prompting.practise_now(user, question_id)
    assert isinstance(prompt, DailyPrompt)
    outcome = await services.interviews.answer(user, answer)
    assert isinstance(outcome, Answered), outcome
    return outcome


# ---- /history paging ------------------------------------------------------------------------------


async def test_history_pages_edit_one_message(
    fake: FakeTelegram, bot_settings: Settings, bank: QuestionBank, clock: FakeClock
) -> None:
    ann = fake.user(1001, "Ann")
    async with core(bot_settings, bank, clock) as services:
        answered = await interview_answers(
            services, clock, who(ann), [f"Answer {n:02d} about stakeholders" for n in range(1, 24)]
        )
    ids = [a.answer_id for a in answered]

    async with running_bot(bot_settings, bank, clock):
        [page1] = await say(fake, ann, "/history", 1)
        assert "Your answers — 23 answers, page 1 of 3" in page1.plain_text
        shown = [n for n in range(23, 0, -1) if f"Answer {n:02d} " in page1.plain_text]
        assert shown == list(range(23, 13, -1))
        positions = [page1.plain_text.index(f"Answer {n:02d} ") for n in shown]
        assert positions == sorted(positions)  # newest first
        assert opens(page1) == [(str(i), ids[23 - i]) for i in range(1, 11)]
        assert ("Next ›", "h:2:-") in page1.buttons()
        assert "‹ Prev" not in dict(page1.buttons())
        assert ("Filter by topic", "h:topics") in page1.buttons()
        sent_before = len(fake.messages(ann.id))

        page2 = await press_and_wait_edit(fake, ann, page1.message_id, "h:2:-", lambda t: "page 2 of 3" in t)
        assert page2.message_id == page1.message_id and page2.edited
        assert [n for n in range(23, 0, -1) if f"Answer {n:02d} " in page2.plain_text] == list(
            range(13, 3, -1)
        )
        assert opens(page2) == [(str(i), ids[13 - i]) for i in range(1, 11)]
        assert dict(page2.buttons())["‹ Prev"] == "h:1:-" and dict(page2.buttons())["Next ›"] == "h:3:-"

        back = await press_and_wait_edit(fake, ann, page1.message_id, "h:1:-", lambda t: "page 1 of 3" in t)
        assert "Answer 23 " in back.plain_text and "Answer 13 " not in back.plain_text
        await press_and_wait_edit(fake, ann, page1.message_id, "h:2:-", lambda t: "page 2 of 3" in t)
        last = await press_and_wait_edit(fake, ann, page1.message_id, "h:3:-", lambda t: "page 3 of 3" in t)
        assert [n for n in range(23, 0, -1) if f"Answer {n:02d} " in last.plain_text] == [3, 2, 1]
        assert opens(last) == [("1", ids[2]), ("2", ids[1]), ("3", ids[0])]
        assert "Next ›" not in dict(last.buttons()) and dict(last.buttons())["‹ Prev"] == "h:2:-"
        assert len(fake.messages(ann.id)) == sent_before  # paging never sends a new message

        # Two quick presses of the same "Next ›": the second edit changes nothing ("not modified").
        await press_and_wait_edit(fake, ann, page1.message_id, "h:1:-", lambda t: "page 1 of 3" in t)
        edits = len(fake.calls_to("editMessageText"))
        first = fake.press_button(ann, page1.message_id, "h:2:-")
        second = fake.press_button(ann, page1.message_id, "h:2:-")
        await fake.wait_for(lambda: len(fake.calls_to("editMessageText")) == edits + 2)
        assert fake.callback_answer(first) is not None and fake.callback_answer(second) is not None
        assert "page 2 of 3" in current(fake, ann, page1.message_id).plain_text
        done, refused = fake.calls_to("editMessageText")[edits:]
        assert done.response_ok and not refused.response_ok
        assert "message is not modified" in (refused.description or "")

        # A stale page number lands on the last page; an old /history message still pages.
        [newer] = await say(fake, ann, "/history", 1)
        old = await press_and_wait_edit(fake, ann, page1.message_id, "h:9:-", lambda t: "page 3 of 3" in t)
        assert "Answer 01 " in old.plain_text
        assert "page 1 of 3" in current(fake, ann, newer.message_id).plain_text
        # A message Telegram no longer has (deleted, or never the bot's): the edit fails quietly.
        assert await press(fake, ann, 424_242, "h:2:-") is None
        await settled(fake)
        assert len(fake.messages(ann.id)) == sent_before + 1
        no_errors(fake, ann)


# ---- topic filter ---------------------------------------------------------------------------------


async def test_history_topic_filter(
    fake: FakeTelegram, bot_settings: Settings, bank: QuestionBank, clock: FakeClock
) -> None:
    ann = fake.user(1001, "Ann")
    async with core(bot_settings, bank, clock) as services:
        agile = await interview_answers(
            services, clock, who(ann), [f"agile answer {n}" for n in range(5)], topic="agile"
        )
        risk = await interview_answers(
            services, clock, who(ann), [f"risk answer {n}" for n in range(4)], topic="risk"
        )
    assert {a.question.topic for a in agile} == {"agile"} and {a.question.topic for a in risk} == {"risk"}

    async with running_bot(bot_settings, bank, clock):
        [page] = await say(fake, ann, "/history agile", 1)
        assert "Your answers · Agile and Scrum — 5 answers" in page.plain_text
        assert page.plain_text.count("agile answer") == 5 and "risk answer" not in page.plain_text
        assert page.plain_text.count("· Agile and Scrum ·") == 5
        assert [i for _, i in opens(page)] == [a.answer_id for a in reversed(agile)]
        assert ("All topics", "h:1:-") in page.buttons()

        # A topic's display name works too.
        [by_name] = await say(fake, ann, "/history Risk management", 1)
        assert "Your answers · Risk management — 4 answers" in by_name.plain_text
        assert "agile answer" not in by_name.plain_text

        [unknown] = await say(fake, ann, "/history basket weaving", 1)
        assert "I don't have a topic called “basket weaving”" in unknown.plain_text
        assert "agile, " in unknown.plain_text and "risk" in unknown.plain_text
        assert unknown.buttons() == []

        # The "Filter by topic" button lists every topic, and choosing one filters the same message.
        [everything] = await say(fake, ann, "/history", 1)
        assert "9 answers" in everything.plain_text
        menu = await press_and_wait_edit(
            fake, ann, everything.message_id, "h:topics", lambda t: "Show answers from one topic" in t
        )
        topics = dict(menu.buttons())
        assert topics["Risk management"] == "h:1:risk" and topics["‹ Back"] == "h:1:-"
        assert len(topics) == len(bank.topics()) + 1
        risk_page = await press_and_wait_edit(
            fake, ann, everything.message_id, "h:1:risk", lambda t: "Risk management — 4" in t
        )
        assert risk_page.plain_text.count("risk answer") == 4 and "agile answer" not in risk_page.plain_text
        assert [i for _, i in opens(risk_page)] == [a.answer_id for a in reversed(risk)]
        # A topic without answers says how to start one, and keeps a way back.
        empty = await press_and_wait_edit(
            fake, ann, everything.message_id, topics["Budgeting and cost control"], lambda t: "haven't" in t
        )
        assert "You haven't answered any Budgeting and cost control questions yet" in empty.plain_text
        assert "/interview budget" in empty.plain_text
        assert empty.buttons() == [("All topics", "h:1:-")]
        back = await press_and_wait_edit(
            fake, ann, everything.message_id, "h:1:-", lambda t: "9 answers" in t
        )
        assert back.message_id == everything.message_id
        no_errors(fake, ann)


# ---- every attempt at a question ------------------------------------------------------------------

QUESTION = "agile-experience"
FIRST = "We used Scrum and I ran a retrospective after every sprint."
SECOND = (
    "I worked in Scrum teams where the product owner kept the backlog ordered, and we shipped "
    "a release every month."
)
# Near Telegram's 4,096 characters, full of HTML's special characters.
LONG_UNIT = "Scrum & Kanban <teams> said \"a<b && c>d\" & 'x'; the product owner & I ran a retrospective. "
LONG = (LONG_UNIT * 60)[:3990].rstrip()


async def test_opening_a_question_shows_every_attempt(
    fake: FakeTelegram, bot_settings: Settings, bank: QuestionBank, clock: FakeClock
) -> None:
    ann = fake.user(1001, "Ann")
    assert bank.by_id[QUESTION].topic == "agile"
    async with core(bot_settings, bank, clock) as services:
        # Ann lives in Berlin: dates she sees are Berlin dates.
        await services.daily_settings.set_daily(who(ann), "21:00", "Europe/Berlin")
        await services.daily_settings.daily_off(who(ann))
        clock.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        first = await practise(services, who(ann), QUESTION, FIRST)
        assert await services.interviews.rate(who(ann), first.answer_id, Rating.GOOD) is not None
        clock.now = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
        other = await practise(services, who(ann), "risk-identify-and-manage", "I keep a risk register.")
        clock.now = datetime(2026, 3, 5, 23, 30, tzinfo=UTC)  # 6 March, 00:30 in Berlin
        second = await practise(services, who(ann), QUESTION, SECOND)
        clock.now = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
        third = await practise(services, who(ann), QUESTION, LONG)
    assert first.feedback.covered_labels == ["Frameworks used", "Events run"]
    assert second.feedback.covered_labels == [
        "Frameworks used",
        "Roles understood",
        "Backlog and priorities",
        "Concrete results",
    ]
    assert third.feedback.covered_labels == ["Frameworks used", "Events run", "Roles understood"]

    async with running_bot(bot_settings, bank, clock):
        [page] = await say(fake, ann, "/history", 1)
        assert [i for _, i in opens(page)] == [
            third.answer_id,
            second.answer_id,
            other.answer_id,
            first.answer_id,
        ]
        # The second attempt was on 6 March in Berlin (5 March in UTC).
        assert "06 Mar 2026 · Agile and Scrum · 4/6 points" in page.plain_text
        assert "02 Mar 2026 · Agile and Scrum · 2/6 points · Good" in page.plain_text

        before = len(fake.messages(ann.id))
        again = callback_data.PractiseAgain(second.answer_id).encode()
        assert opens(page)[1] == ("2", second.answer_id)
        assert (
            await press(fake, ann, page.message_id, callback_data.OpenAnswer(second.answer_id).encode())
            is None
        )
        await fake.wait_for(
            lambda: any(("Practise again", again) in m.buttons() for m in fake.messages(ann.id)[before:])
        )
        parts = fake.messages(ann.id)[before:]
        assert len(parts) >= 2  # one attempt alone nearly fills a message
        assert all(len(p.plain_text) <= 4096 for p in parts)
        assert [p.buttons() for p in parts[:-1]] == [[]] * (len(parts) - 1)
        assert parts[-1].buttons() == [("Practise again", again)]
        shown = "\n".join(p.plain_text for p in parts)

        assert shown.startswith(bank.by_id[QUESTION].text) and "3 attempts" in shown
        assert "Attempt 1 · 02 Mar 2026 · 2/6 points" in shown and "rated Good" in shown
        assert "Attempt 2 · 06 Mar 2026 · 4/6 points" in shown
        assert "Attempt 3 · 09 Mar 2026 · 3/6 points" in shown
        assert "risk register" not in shown  # only attempts at this question
        assert shown.index("Attempt 1") < shown.index("Attempt 2") < shown.index("Attempt 3")
        assert FIRST in shown and SECOND in shown
        # The long answer arrives whole and literal (splits fall on spaces, so compare the words).
        assert " ".join(LONG.split()) in " ".join(shown.split())
        assert "<teams> said \"a<b && c>d\" & 'x'" in shown
        assert "✅ Frameworks used, Events run\n" in shown
        assert "▫️ Missing: Roles understood, Backlog and priorities, Concrete results, Adapting" in shown

        attempt2 = shown[shown.index("Attempt 2") : shown.index("Attempt 3")]
        assert "➕ Newly covered: Roles understood, Backlog and priorities, Concrete results" in attempt2
        assert "➖ No longer covered: Events run" in attempt2
        assert f"Words: +{second.feedback.word_count - first.feedback.word_count}" in attempt2
        attempt3 = shown[shown.index("Attempt 3") :]
        assert "➕ Newly covered: Events run" in attempt3
        assert "➖ No longer covered: Backlog and priorities, Concrete results" in attempt3
        assert f"Words: +{third.feedback.word_count - second.feedback.word_count}" in attempt3
        assert "Attempt 1" in shown and "Newly covered" not in shown[: shown.index("Attempt 2")]

        # "Practise again" asks the question now; replying answers it.
        before = len(fake.messages(ann.id))
        assert await press(fake, ann, parts[-1].message_id, again) is None
        [prompt] = (await fake.wait_for_messages(ann.id, before + 1))[before:]
        assert prompt.plain_text.startswith("Daily practice · Agile and Scrum")
        assert bank.by_id[QUESTION].text in prompt.plain_text
        assert "Due for review: you rated it Good" in prompt.plain_text
        assert [label for label, _ in prompt.buttons()] == ["Skip", "Snooze 1h"]
        [feedback] = await say(fake, ann, "Scrum with a product owner and a retrospective.", 1)
        assert "3 of 6 talking points covered" in feedback.plain_text
        await settled(fake)
        assert not [m for m in fake.messages(ann.id) if "Interview complete" in m.plain_text]
        stored = rows(bot_settings, "SELECT text FROM answer WHERE question_id = :q ORDER BY id", q=QUESTION)
        assert [r.text for r in stored] == [
            FIRST,
            SECOND,
            LONG,
            "Scrum with a product owner and a retrospective.",
        ]
        no_errors(fake, ann)


# ---- /stats ---------------------------------------------------------------------------------------


async def test_stats_text_and_chart(
    fake: FakeTelegram, bot_settings: Settings, bank: QuestionBank, clock: FakeClock
) -> None:
    ann, eve = fake.user(1001, "Ann"), fake.user(6666, "Eve")
    start = clock.now  # Monday 2 March 2026, 09:00 UTC
    async with core(bot_settings, bank, clock) as services:
        day = timedelta(days=1)
        # Answers on 2, 3 and 4 March, none on the 5th, then 6 and 7 March ("today").
        agile = await interview_answers(
            services,
            clock,
            who(ann),
            ["Scrum", "Kanban and a retrospective"],
            topic="agile",
            every=timedelta(),
        )
        rated = await services.interviews.rate(who(ann), agile[0].answer_id, Rating.GOOD)
        assert rated is not None and rated.next_review == start + 2 * day  # due on 4 March
        for offset, answer in ((1, "Scrum backlog"), (2, "a product owner")):
            clock.now = start + offset * day
            agile += await interview_answers(
                services, clock, who(ann), [answer], topic="agile", every=timedelta()
            )
        risk = []
        for offset in (4, 5):
            clock.now = start + offset * day
            risk += await interview_answers(
                services, clock, who(ann), ["a risk register with owners"], topic="risk", every=timedelta()
            )
    assert clock.now == datetime(2026, 3, 7, 9, 0, tzinfo=UTC)

    def percent(answers: list[Answered]) -> int:
        return round(
            100 * sum(len(a.feedback.covered) for a in answers) / sum(a.feedback.total for a in answers)
        )

    async with running_bot(bot_settings, bank, clock):
        [stats] = await say(fake, ann, "/stats", 1)
        assert "Answers: 6 over 5 days" in stats.plain_text
        assert "Streak: 2 days · longest 3 days" in stats.plain_text
        assert "answer one today" not in stats.plain_text
        assert "Reviews due: 1 — /review" in stats.plain_text
        assert f"Agile and Scrum: {percent(agile)}% · 4 answers · 1 Good" in stats.plain_text
        assert f"Risk management: {percent(risk)}% · 2 answers\n" in stats.plain_text + "\n"
        await fake.wait_for(lambda: len(fake.files(ann.id)) == 1)
        [photo] = fake.files(ann.id)
        assert photo.kind == "photo" and photo.file_bytes is not None
        png = photo.file_bytes
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        assert 2_000 <= len(png) <= 500_000
        with Image.open(io.BytesIO(png)) as image:
            assert image.format == "PNG" and image.width == 1080 and 400 <= image.height <= 1280

        # No answers: it says so, and there is no picture.
        [empty] = await say(fake, eve, "/stats", 1)
        assert "No answers yet, so no stats" in empty.plain_text
        await settled(fake)
        assert fake.files(eve.id) == [] and len(fake.messages(eve.id)) == 1
        no_errors(fake, ann, eve)


# ---- /export --------------------------------------------------------------------------------------

EXPORTED = [
    "A plain answer about stakeholders and budgets",
    "<script>alert('x')</script> & other <b>risks</b>",
    'Commas, "quotes",\nand a second line 🚀',
    "=SUM(A1:A2) looks like a formula",
]


async def test_export_each_format(
    fake: FakeTelegram, bot_settings: Settings, bank: QuestionBank, clock: FakeClock
) -> None:
    ann, eve = fake.user(1001, "Ann"), fake.user(6666, "Eve")
    async with core(bot_settings, bank, clock) as services:
        answered = await interview_answers(services, clock, who(ann), EXPORTED)

    async def export(command: str) -> SentMessage:
        before = len(fake.files(ann.id))
        fake.send_text(ann, command)
        await fake.wait_for(lambda: len(fake.files(ann.id)) == before + 1)
        document = fake.files(ann.id)[-1]
        assert document.kind == "document" and document.file_bytes
        assert document.plain_text == "Your interview practice: 4 answers, exported Tue 3 Mar, 09:00."
        return document

    async with running_bot(bot_settings, bank, clock):
        md = await export("/export")
        assert md.filename == "interview-practice-2026-03-03.md"
        content = md.file_bytes.decode("utf-8") if md.file_bytes else ""
        assert EXPORTED[0] in content
        assert "\\<script\\>alert('x')\\</script\\> \\& other \\<b\\>risks\\</b\\>" in content
        assert all(a.question.text.split("?")[0].replace("_", "\\_") in content for a in answered)

        html = await export("/export html")
        assert html.filename == "interview-practice-2026-03-03.html"
        page = html.file_bytes.decode("utf-8") if html.file_bytes else ""
        assert page.lstrip().lower().startswith("<!doctype html>")
        assert EXPORTED[0] in page
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; other &lt;b&gt;risks&lt;/b&gt;" in page
        assert "<script" not in page.lower()

        table = await export("/export csv")
        assert table.filename == "interview-practice-2026-03-03.csv"
        raw = table.file_bytes or b""
        assert raw.startswith(b"\xef\xbb\xbf")
        parsed = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
        assert tuple(parsed[0]) == CSV_HEADER
        answers = [row[CSV_HEADER.index("answer")] for row in parsed[1:]]
        # A cell a spreadsheet would run as a formula is defused with a leading quote.
        assert answers == [*EXPORTED[:3], "'" + EXPORTED[3]]
        assert [row[CSV_HEADER.index("question")] for row in parsed[1:]] == [
            a.question.text for a in answered
        ]
        assert [int(row[CSV_HEADER.index("words")]) for row in parsed[1:]] == [
            a.feedback.word_count for a in answered
        ]

        markdown = await export("/export markdown")
        assert (
            markdown.filename == "interview-practice-2026-03-03.md" and markdown.file_bytes == md.file_bytes
        )

        files = len(fake.files(ann.id))
        [pdf] = await say(fake, ann, "/export pdf", 1)
        assert "I can export as /export (Markdown), /export html or /export csv" in pdf.plain_text
        [empty] = await say(fake, eve, "/export", 1)
        assert "There's nothing to export yet" in empty.plain_text
        await settled(fake)
        assert len(fake.files(ann.id)) == files and fake.files(eve.id) == []
        no_errors(fake, ann, eve)


# ---- /deletedata ----------------------------------------------------------------------------------


async def seed_everything(services: Services, clock: FakeClock, user: FakeUser, answer: str) -> None:
    """A row in every table: answers and sessions, a rated card with its log, a schedule, a delivery."""
    [first, _] = await interview_answers(services, clock, who(user), [answer, answer])
    assert await services.interviews.rate(who(user), first.answer_id, Rating.HARD) is not None
    await services.daily_settings.set_daily(who(user), "21:00")  # 21:00 UTC: never reached in these tests
    prompt = await services.prompting.practise_now(who(user), "risk-identify-and-manage")
    assert isinstance(prompt, DailyPrompt)
    assert await services.prompting.snooze(who(user), prompt.prompt.session_id) is not None


async def test_deletedata_cancel_expire_confirm(
    fake: FakeTelegram, bot_settings: Settings, bank: QuestionBank, clock: FakeClock
) -> None:
    ann, bob = fake.user(1001, "Ann"), fake.user(1002, "Bob")
    async with core(bot_settings, bank, clock) as services:
        await seed_everything(services, clock, ann, "Ann's answer about stakeholders")
        await seed_everything(services, clock, bob, "Bob's answer about budgets")
    ann_rows, bob_rows = footprint(bot_settings, ann), footprint(bot_settings, bob)
    assert all(ann_rows.values()) and all(bob_rows.values()), (ann_rows, bob_rows)

    async with running_bot(bot_settings, bank, clock):
        [ask] = await say(fake, ann, "/deletedata", 1)
        assert ask.plain_text.startswith("Delete everything?")
        asked_at = int(clock.now.timestamp())
        assert ask.buttons() == [("Delete everything", f"dd:y:{asked_at}"), ("Cancel", "dd:n")]

        cancelled = await press_and_wait_edit(fake, ann, ask.message_id, "dd:n", lambda t: "Cancelled" in t)
        assert cancelled.plain_text == "Cancelled. Nothing was deleted." and cancelled.buttons() == []
        assert footprint(bot_settings, ann) == ann_rows

        # A confirmation older than 15 minutes is refused, and the message stays as it was.
        [old] = await say(fake, ann, "/deletedata", 1)
        clock.advance(minutes=15, seconds=1)
        assert EXPIRED in (
            await press(fake, ann, old.message_id, dict(old.buttons())["Delete everything"]) or ""
        )
        await settled(fake)
        assert not current(fake, ann, old.message_id).edited
        assert footprint(bot_settings, ann) == ann_rows

        # A fresh one within the 15 minutes deletes every row of Ann's, and only Ann's.
        [ask] = await say(fake, ann, "/deletedata", 1)
        confirm = dict(ask.buttons())["Delete everything"]
        clock.advance(minutes=14)
        done = await press_and_wait_edit(fake, ann, ask.message_id, confirm, lambda t: "Done" in t)
        assert "everything I stored about you is deleted" in done.plain_text and done.buttons() == []
        assert footprint(bot_settings, ann) == dict.fromkeys(ann_rows, 0)
        assert footprint(bot_settings, bob) == bob_rows
        # The answers are gone from the database file, not just hidden.
        assert rows(bot_settings, "SELECT count(*) AS n FROM answer WHERE text LIKE 'Ann%'")[0].n == 0

        # Pressing it again (a double tap) finds nothing left to delete, says so in the notice
        # only, and the message keeps the first press's "Done".
        assert await press(fake, ann, ask.message_id, confirm) == "There was nothing stored about you."
        await settled(fake)
        assert current(fake, ann, ask.message_id).plain_text == done.plain_text

        [greeting] = await say(fake, ann, "/start", 1)
        assert greeting.plain_text.startswith("Hello, Ann!")  # a new user again
        [history] = await say(fake, ann, "/history", 1)
        assert "You haven't answered any questions yet" in history.plain_text
        [stats] = await say(fake, ann, "/stats", 1)
        assert "No answers yet" in stats.plain_text
        assert footprint(bot_settings, ann) == {**dict.fromkeys(ann_rows, 0), "user": 1}
        assert footprint(bot_settings, bob) == bob_rows
        no_errors(fake, ann)


# ---- forged buttons -------------------------------------------------------------------------------


async def test_forged_buttons_reveal_and_delete_nothing(
    fake: FakeTelegram, bot: BotApplication, bot_settings: Settings, clock: FakeClock
) -> None:
    ann, eve = fake.user(1001, "Ann"), fake.user(6666, "Eve")
    secret = "Ann's secret answer: stakeholders and a phased rollout"
    await say(fake, ann, "/interview agile", 1)
    feedback, _ = await say(fake, ann, secret, 2)
    [page] = await say(fake, ann, "/history", 1)
    [(_, ann_answer)] = opens(page)
    ann_rows = footprint(bot_settings, ann)
    ann_sent = len(fake.messages(ann.id))

    [greeting] = await say(fake, eve, "/start", 1)
    # Eve forges Ann's buttons in her own chat, on her own message and on one that does not exist.
    for message_id in (greeting.message_id, 777):
        for data in (
            callback_data.OpenAnswer(ann_answer).encode(),
            callback_data.PractiseAgain(ann_answer).encode(),
        ):
            assert EXPIRED in (await press(fake, eve, message_id, data) or "")
    assert EXPIRED in (await press(fake, eve, greeting.message_id, f"ho:{2**63 - 1}") or "")
    assert EXPIRED in (await press(fake, eve, greeting.message_id, "ho:" + "9" * 20) or "")
    await settled(fake)
    assert len(fake.messages(eve.id)) == 1
    assert rows(bot_settings, "SELECT count(*) AS n FROM interview_session")[0].n == 1  # Ann's only

    # History pages only ever show the presser's own (empty) history.
    mine = await press_and_wait_edit(fake, eve, greeting.message_id, "h:1:-", lambda t: "haven't" in t)
    assert "You haven't answered any questions yet" in mine.plain_text
    mine = await press_and_wait_edit(fake, eve, greeting.message_id, "h:3:agile", lambda t: "Agile" in t)
    assert "You haven't answered any Agile and Scrum questions yet" in mine.plain_text

    # A forged delete confirmation deletes the presser's own data, never Ann's.
    now = int(clock.now.timestamp())
    done = await press_and_wait_edit(fake, eve, greeting.message_id, f"dd:y:{now}", lambda t: "Done" in t)
    assert "everything I stored about you is deleted" in done.plain_text
    assert footprint(bot_settings, eve)["user"] == 0
    assert footprint(bot_settings, ann) == ann_rows
    assert rows(bot_settings, "SELECT text FROM answer")[0].text == secret

    await settled(fake)
    eve_saw = " ".join(m.text + m.plain_text for m in fake.messages(eve.id))
    assert "secret" not in eve_saw and "phased rollout" not in eve_saw
    assert feedback.plain_text.split("\n")[0] not in eve_saw
    assert len(fake.messages(ann.id)) == ann_sent  # nothing reached Ann's chat either
    no_errors(fake, ann, eve)
