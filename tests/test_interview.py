"""The interview domain on a real SQLite file, with a fake clock."""

import asyncio
import random
from datetime import timedelta

import pytest

from bot.config import Settings
from bot.core.feedback import Feedback, FeedbackMatcher, tone
from bot.core.feedback.stored import from_stored
from bot.core.interview import (
    MAX_ANSWER_CHARS,
    AlreadyRunning,
    Answered,
    EmptyAnswer,
    Identity,
    InterviewService,
    NotAsked,
    NotSaved,
    Started,
    TooLong,
    UnknownTopic,
)
from bot.core.progress import HistoryItem
from bot.core.rating import Rating
from bot.core.services import Services
from bot.present.render import render
from questions.loader import QuestionBank
from questions.schema import Question
from storage.db import Database
from storage.records import NewAnswer
from storage.uow import Conflict
from tests import db_rows
from tests.conftest import FakeClock

ANN = Identity("tg:1001", 1001, "Ann")
BOB = Identity("tg:1002", 1002, "Bob")


async def history(services: Services, who: Identity) -> list[HistoryItem]:
    """The user's answers, newest first, as /history shows them."""
    return list((await services.progress.history_page(who, 1, None, 50)).items)


def strong_answer(bank: QuestionBank, question_id: str) -> str:
    """An answer that uses one phrase from every talking point."""
    question = bank.by_id[question_id]
    return "In my last role I " + ", and ".join(tp.match[0] for tp in question.talking_points) + "."


async def test_full_interview_asks_five_and_summarises(services: Services, clock: FakeClock) -> None:
    started = await services.interviews.start(ANN)
    assert isinstance(started, Started)
    prompt = started.prompt
    assert (prompt.number, prompt.total) == (1, 5)
    seen = []
    for number in range(1, 6):
        seen.append(prompt.question.id)
        clock.advance(seconds=42)
        result = await services.interviews.answer(ANN, f"answer {number} about risk and stakeholders")
        assert isinstance(result, Answered)
        assert result.number == number
        assert result.seconds_taken == 42
        if number < 5:
            assert result.next is not None and result.summary is None
            assert result.next.number == number + 1
            prompt = result.next
        else:
            assert result.next is None and result.summary is not None
            assert result.summary.answered == 5 and not result.summary.cancelled
    assert len(set(seen)) == 5
    # A full interview opens with a warm-up and ends with a closing question (both background);
    # the questions between are mixed across the other topics.
    asked = [services.bank.by_id[q] for q in seen]
    assert [q.stage for q in asked] == ["opener", None, None, None, "closer"]
    assert len({q.topic for q in asked[1:-1]} - {"background"}) == 3
    assert isinstance(await services.interviews.answer(ANN, "one more"), NotAsked)
    answered = await history(services, ANN)
    assert [e.question.id for e in answered] == list(reversed(seen))


async def test_answer_without_interview_is_not_taken(services: Services) -> None:
    assert isinstance(await services.interviews.answer(ANN, "hello"), NotAsked)
    await services.interviews.register(ANN)
    assert isinstance(await services.interviews.answer(ANN, "hello"), NotAsked)
    assert await history(services, ANN) == []


async def test_interview_survives_a_restart(
    settings: Settings, bank: QuestionBank, clock: FakeClock, services: Services
) -> None:
    started = await services.interviews.start(ANN)
    assert isinstance(started, Started)
    first = await services.interviews.answer(ANN, "first answer")
    assert isinstance(first, Answered) and first.next is not None
    await services.close()

    reopened = Services(settings, Database(settings.database.url), bank, clock, random.Random(1))
    try:
        second = await reopened.interviews.answer(ANN, "second answer")
        assert isinstance(second, Answered)
        assert second.number == 2
        assert second.question.id == first.next.question.id
    finally:
        await reopened.close()


async def test_feedback_finds_covered_points(services: Services, bank: QuestionBank) -> None:
    started = await services.interviews.start(ANN)
    assert isinstance(started, Started)
    question = started.prompt.question
    result = await services.interviews.answer(ANN, strong_answer(bank, question.id))
    assert isinstance(result, Answered)
    assert result.feedback.covered == tuple(range(len(question.talking_points)))
    assert result.feedback.missed_labels == []

    weak = FeedbackMatcher(bank.questions).assess(question, "I would do my best.")
    assert len(weak.covered) < len(question.talking_points)
    assert weak.word_count == 5


async def test_ratings_belong_to_their_owner(services: Services) -> None:
    await services.interviews.start(ANN)
    answered = await services.interviews.answer(ANN, "my answer")
    assert isinstance(answered, Answered)
    assert await services.interviews.rate(BOB, answered.answer_id, Rating.EASY) is None
    rated = await services.interviews.rate(ANN, answered.answer_id, Rating.HARD)
    assert rated is not None and rated.rating is Rating.HARD
    assert await services.interviews.rate(ANN, answered.answer_id + 999, Rating.GOOD) is None
    [entry] = await history(services, ANN)
    assert entry.rating is Rating.HARD


async def test_cancel_keeps_answers(services: Services) -> None:
    assert await services.interviews.cancel(ANN) is None
    await services.interviews.start(ANN)
    await services.interviews.answer(ANN, "kept answer")
    summary = await services.interviews.cancel(ANN)
    assert summary is not None and summary.cancelled and summary.answered == 1
    assert isinstance(await services.interviews.answer(ANN, "after cancel"), NotAsked)
    assert [e.excerpt for e in await history(services, ANN)] == ["kept answer"]


async def test_start_while_running_offers_continue_or_restart(services: Services) -> None:
    first = await services.interviews.start(ANN)
    assert isinstance(first, Started)
    again = await services.interviews.start(ANN, "agile")
    assert isinstance(again, AlreadyRunning)
    assert again.session_id == first.prompt.session_id and again.requested_topic == "agile"
    # A restart naming some other session (an old button) changes nothing.
    stale = await services.interviews.start(ANN, None, restart_session=first.prompt.session_id + 1)
    assert isinstance(stale, AlreadyRunning)
    restarted = await services.interviews.start(ANN, "agile", restart_session=first.prompt.session_id)
    assert isinstance(restarted, Started)
    assert restarted.prompt.session_id != first.prompt.session_id
    assert restarted.prompt.question.topic == "agile"
    resumed = await services.interviews.resume(ANN)
    assert resumed is not None and resumed.session_id == restarted.prompt.session_id


@pytest.mark.parametrize("arg", ["agile", "AGILE", "Agile and Scrum", "agi"])
async def test_topic_names_resolve(services: Services, arg: str) -> None:
    started = await services.interviews.start(ANN, arg)
    assert isinstance(started, Started)
    assert started.topic == "agile" and started.prompt.question.topic == "agile"


async def test_unknown_topic_lists_topics(services: Services) -> None:
    outcome = await services.interviews.start(ANN, "underwater basket weaving")
    assert isinstance(outcome, UnknownTopic)
    assert ("agile", "Agile and Scrum") in outcome.topics
    assert await services.interviews.resume(ANN) is None


async def test_too_long_answer_keeps_question_waiting(services: Services) -> None:
    await services.interviews.start(ANN)
    outcome = await services.interviews.answer(ANN, "x" * (MAX_ANSWER_CHARS + 1))
    assert isinstance(outcome, TooLong) and outcome.limit == MAX_ANSWER_CHARS
    assert isinstance(await services.interviews.answer(ANN, "a normal answer"), Answered)


async def test_edits_are_recognised_only_for_own_answers(services: Services) -> None:
    await services.interviews.start(ANN)
    await services.interviews.answer(ANN, "answer", message_id=42)
    await services.interviews.register(BOB)
    assert await services.interviews.edited(ANN, 42) is not None
    assert await services.interviews.edited(ANN, 43) is None
    assert await services.interviews.edited(BOB, 42) is None


async def test_users_never_see_each_other(services: Services) -> None:
    await services.interviews.start(ANN)
    await services.interviews.start(BOB)
    await services.interviews.answer(ANN, "ann's secret answer")
    await services.interviews.answer(BOB, "bob's answer")
    assert [e.excerpt for e in await history(services, ANN)] == ["ann's secret answer"]
    assert [e.excerpt for e in await history(services, BOB)] == ["bob's answer"]


async def test_many_users_answering_at_once_lose_nothing(services: Services) -> None:
    users = [Identity(f"tg:{5000 + i}", 5000 + i, f"U{i}") for i in range(25)]
    await asyncio.gather(*(services.interviews.start(u) for u in users))
    results = await asyncio.gather(
        *(services.interviews.answer(u, f"answer of {u.external_id}") for u in users)
    )
    assert all(isinstance(r, Answered) for r in results)
    for u in users:
        assert [e.excerpt for e in await history(services, u)] == [f"answer of {u.external_id}"]


async def test_a_second_answer_at_the_same_position_is_a_conflict(
    services: Services, clock: FakeClock
) -> None:
    """What reaches the core when another process stored the answer first: Conflict, and
    nothing of the refused unit of work stays (the answer path turns it into NotAsked).
    """
    started = await services.interviews.start(ANN)
    assert isinstance(started, Started)
    now = clock()
    async with services.db.unit() as uow:
        user = await uow.users.get(ANN.external_id)
        assert user is not None
        new = NewAnswer(
            user.id,
            started.prompt.session_id,
            0,
            started.prompt.question.id,
            "a",
            1,
            (),
            3,
            now,
            now,
            0,
            None,
        )
        await uow.answers.add(new)
    with pytest.raises(Conflict):
        async with services.db.unit() as uow:
            await uow.users.set_timezone(user.id, "Europe/Berlin")
            await uow.answers.add(new)
    assert (await services.daily_settings.daily(ANN)).timezone == "UTC"
    assert len(await history(services, ANN)) == 1


async def test_blank_and_control_characters(services: Services) -> None:
    await services.interviews.start(ANN)
    assert isinstance(await services.interviews.answer(ANN, " \x00\x07 \t\n"), EmptyAnswer)
    result = await services.interviews.answer(ANN, "risk\x00 register\x1b")
    assert isinstance(result, Answered) and result.number == 1
    [entry] = await history(services, ANN)
    assert entry.excerpt == "risk register"


async def test_rating_schedules_the_next_review_once(services: Services, clock: FakeClock) -> None:
    await services.interviews.start(ANN)
    answered = await services.interviews.answer(ANN, "my answer")
    assert isinstance(answered, Answered)
    rated = await services.interviews.rate(ANN, answered.answer_id, Rating.GOOD)
    assert rated is not None and rated.next_review_in == timedelta(days=2)
    clock.advance(hours=1)
    # The first tap wins: a later one changes nothing and reports the rating already saved.
    again = await services.interviews.rate(ANN, answered.answer_id, Rating.AGAIN)
    assert again is not None and again.rating is Rating.GOOD and again.next_review == rated.next_review
    [entry] = await history(services, ANN)
    assert entry.rating is Rating.GOOD


async def test_the_analysis_is_stored_with_the_answer(services: Services, bank: QuestionBank) -> None:
    started = await services.interviews.start(ANN)
    assert isinstance(started, Started)
    question = started.prompt.question
    result = await services.interviews.answer(ANN, strong_answer(bank, question.id))
    assert isinstance(result, Answered)
    async with services.db.unit() as uow:
        [record] = await uow.answers.for_session(started.prompt.session_id)
    assert record.analysis is not None and record.analysis["version"] == 1
    assert from_stored(record.analysis) == result.feedback
    assert record.covered == result.feedback.covered


class FailingMatcher(FeedbackMatcher):
    """The engine failing on some answer: the one path no real input reaches today."""

    def assess(self, question: Question, answer: str) -> Feedback:
        raise RuntimeError("engine bug")


async def test_an_answer_is_stored_even_if_the_analysis_fails(
    settings: Settings, bank: QuestionBank, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    db = Database(settings.database.url)
    interviews = InterviewService(db, bank, FailingMatcher(bank.questions), clock, 2, random.Random(1))
    try:
        started = await interviews.start(ANN)
        assert isinstance(started, Started)
        result = await interviews.answer(ANN, "I would agree the goals with the sponsor first.")
        assert isinstance(result, Answered)
        assert result.feedback.covered == () and result.feedback.points == ()
        assert result.feedback.total == len(started.prompt.question.talking_points)
        assert "feedback analysis failed" in caplog.text
        async with db.unit() as uow:
            [record] = await uow.answers.for_session(started.prompt.session_id)
        assert record.text == "I would agree the goals with the sponsor first."
        assert record.analysis is None and record.covered == ()
        # The old-style message still renders for it.
        assert "Worth adding" in render("feedback", result=result)
    finally:
        await db.dispose()


async def test_the_summary_tone_follows_the_result_and_names_a_focus(services: Services) -> None:
    started = await services.interviews.start(ANN)
    assert isinstance(started, Started)
    summary = None
    for _ in range(5):
        result = await services.interviews.answer(
            ANN, "Stakeholders, risks, budget, scope, schedule, quality."
        )
        assert isinstance(result, Answered)
        summary = result.summary
    assert summary is not None
    assert summary.tone == tone(summary.points_covered, summary.points_total)
    if summary.points_covered == 0:
        assert summary.tone == "none"
        assert "Nicely done" not in render("summary", summary=summary)
    assert summary.focus is not None
    assert summary.focus.code in ("explain_listed", "points", "length")
    assert "Work on next:" in render("summary", summary=summary)


@pytest.mark.parametrize(
    "invisible",
    ["\u200b\u200d", "\u202e\u2066 \u2069", "\ufeff\u2060", "\u3164 \u2800"],
    ids=["zero-width", "bidi", "bom-word-joiner", "fillers"],
)
async def test_format_and_blank_looking_characters_are_an_empty_answer(
    services: Services, invisible: str
) -> None:
    await services.interviews.start(ANN)
    assert isinstance(await services.interviews.answer(ANN, invisible), EmptyAnswer)
    # Inside a real answer they are kept as sent (a zero-width joiner builds emoji).
    result = await services.interviews.answer(ANN, f"risk{invisible}register")
    assert isinstance(result, Answered) and result.number == 1


async def test_a_refused_session_update_is_not_saved_and_rolls_the_answer_back(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    """A fault in the compare-and-set's UPDATE (not the expected lost race) is NotSaved, logged
    with the driver's message; the answer inserted before it is rolled back."""
    await services.interviews.start(ANN)
    url = services.db.url
    async with services.db.transaction() as conn:
        for sql in db_rows.refuse_sql(
            url, "refuse_advance", "interview_session", "UPDATE OF position", "advance refused by the test"
        ):
            await conn.exec_driver_sql(sql)
    with caplog.at_level("ERROR"):
        assert isinstance(await services.interviews.answer(ANN, "Quokka plan"), NotSaved)
    assert "advance refused by the test" in caplog.text and "Quokka" not in caplog.text
    assert await history(services, ANN) == []
    async with services.db.transaction() as conn:
        await conn.exec_driver_sql(db_rows.unrefuse_sql(url, "refuse_advance", "interview_session"))
    result = await services.interviews.answer(ANN, "Quokka plan")
    assert isinstance(result, Answered) and result.number == 1


async def test_a_text_starting_with_a_slash_is_an_answer_only_while_a_question_waits(
    services: Services,
) -> None:
    assert isinstance(await services.interviews.answer(ANN, "/etc held the configs"), NotAsked)
    await services.interviews.start(ANN)
    slash = await services.interviews.answer(ANN, "/etc held the configs")
    assert isinstance(slash, Answered) and slash.starts_with_slash and slash.number == 1
    plain = await services.interviews.answer(ANN, "The configs lived in /etc")
    assert isinstance(plain, Answered) and not plain.starts_with_slash
