"""The mock interview: start, ask, record an answer with feedback, rate, finish.

Plain async Python over plain data: front ends pass an Identity and get back
small result values to render. The interview's state lives in the database
(interview_session.position is the pending question), so it survives restarts
and is shared by every bot process.
"""

import logging
import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot import metrics
from bot.core.clock import Clock
from bot.core.feedback import Feedback, FeedbackMatcher, Focus, next_focus, tone
from bot.core.feedback.stored import from_stored, to_stored
from bot.core.feedback.suggest import Tone
from bot.core.picking import pick_questions, resolve_topic
from bot.core.rating import Rating
from bot.core.reviews import interview_cap, record_review, user_zone
from bot.core.srs import SpacedRepetition
from questions.loader import QuestionBank
from questions.schema import Question
from questions.topics import TOPICS
from storage.db import Database
from storage.records import AnswerRecord, NewAnswer, SessionRecord
from storage.states import SessionKind, SessionStatus
from storage.uow import Conflict, StorageError

log = logging.getLogger(__name__)

# Telegram caps messages at 4096 characters; the terminal has no cap, so we set one.
MAX_ANSWER_CHARS = 12_000
# Control characters other than tab and newline: invisible, and NUL is refused by PostgreSQL.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Letters and symbols that render as nothing (Hangul fillers, the braille blank, the combining
# grapheme joiner): with format characters (Cf: zero-width, bidi controls) and whitespace they
# make an answer that looks empty.
_BLANK_LOOKING = frozenset("\u034f\u115f\u1160\u2800\u3164\uffa0")


def _looks_empty(text: str) -> bool:
    return all(ch.isspace() or ch in _BLANK_LOOKING or unicodedata.category(ch) == "Cf" for ch in text)


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is talking, as a front end knows them."""

    external_id: str
    chat_id: int | None
    display_name: str


@dataclass(frozen=True, slots=True)
class QuestionPrompt:
    session_id: int
    number: int
    total: int
    question: Question
    # front ends word the messages around it differently for each kind
    kind: SessionKind = SessionKind.INTERVIEW


@dataclass(frozen=True, slots=True)
class Started:
    prompt: QuestionPrompt
    topic: str | None


@dataclass(frozen=True, slots=True)
class AlreadyRunning:
    session_id: int
    prompt: QuestionPrompt | None
    requested_topic: str | None


@dataclass(frozen=True, slots=True)
class UnknownTopic:
    given: str
    topics: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class SummaryItem:
    question: Question
    covered: int
    total: int
    rating: int | None


@dataclass(frozen=True, slots=True)
class InterviewSummary:
    items: tuple[SummaryItem, ...]
    planned: int
    cancelled: bool
    kind: SessionKind = SessionKind.INTERVIEW
    # The one thing to work on next, over the answers' stored analyses (None: nothing stood out).
    focus: Focus | None = None

    @property
    def answered(self) -> int:
        return len(self.items)

    @property
    def points_covered(self) -> int:
        return sum(i.covered for i in self.items)

    @property
    def points_total(self) -> int:
        return sum(i.total for i in self.items)

    @property
    def percent(self) -> int:
        return round(100 * self.points_covered / self.points_total) if self.points_total else 0

    @property
    def tone(self) -> Tone:
        """How the closing words should sound: no praise at 0%."""
        return tone(self.points_covered, self.points_total)


@dataclass(frozen=True, slots=True)
class NotAsked:
    """Text arrived while no question was waiting for an answer."""


@dataclass(frozen=True, slots=True)
class TooLong:
    length: int
    limit: int


@dataclass(frozen=True, slots=True)
class EmptyAnswer:
    """Only blanks or invisible characters: the question stays waiting."""


@dataclass(frozen=True, slots=True)
class NotSaved:
    """The database refused the answer for an unexpected reason (logged): send it again."""


@dataclass(frozen=True, slots=True)
class Answered:
    answer_id: int
    question: Question
    number: int
    total: int
    feedback: Feedback
    seconds_taken: int
    next: QuestionPrompt | None
    summary: InterviewSummary | None
    kind: SessionKind = SessionKind.INTERVIEW
    # The text starts with "/" ("/etc was our source of truth"): front ends pass only texts that
    # name none of their commands, and the feedback says the text was taken as the answer.
    starts_with_slash: bool = False


@dataclass(frozen=True, slots=True)
class Rated:
    answer_id: int
    rating: Rating
    question: Question
    next_review: datetime
    next_review_in: timedelta


@dataclass(frozen=True, slots=True)
class EditedAnswer:
    """An edit of a message that was recorded as an answer: the stored answer stands."""

    question: Question


class _AlreadyAnswered(Exception):
    """The pending question moved on under us; roll back and report it."""


@dataclass(frozen=True, slots=True)
class UnknownUser:
    """A button pressed by someone the bot does not know (their data was deleted since): the
    press changes nothing and, unlike a typed command, does not register them again."""


StartOutcome = Started | AlreadyRunning | UnknownTopic
AnswerOutcome = Answered | NotAsked | TooLong | EmptyAnswer | NotSaved


class RemovedQuestion(Question):
    """Stands in for a question whose pack was removed after an answer to it was stored.

    Its text is empty (a bank question's never is): the presentation words the placeholder.
    """


class InterviewService:
    def __init__(
        self,
        db: Database,
        bank: QuestionBank,
        matcher: FeedbackMatcher,
        clock: Clock,
        questions_per_session: int,
        rng: random.Random | None = None,
        *,
        srs: SpacedRepetition | None = None,
        default_timezone: str = "UTC",
    ) -> None:
        self.db = db
        self.bank = bank
        self.matcher = matcher
        self.clock = clock
        self.questions_per_session = questions_per_session
        self.rng = rng or random.Random()
        self.srs = srs or SpacedRepetition()
        self.default_timezone = default_timezone

    def question(self, question_id: str) -> Question:
        found = self.bank.by_id.get(question_id)
        if found is not None:
            return found
        # A stored answer may refer to a question from a pack that was removed since.
        return RemovedQuestion.model_construct(
            id=question_id,
            topic="background",
            kind="background",
            difficulty=1,
            text="",
            talking_points=[],
            follow_ups=[],
            model_answer=[],
            levels=[],
            skills=[],
            star=None,
        )

    def topics(self) -> tuple[tuple[str, str], ...]:
        return tuple((slug, TOPICS[slug]) for slug in self.bank.topics())

    def prompt_for(self, session: SessionRecord) -> QuestionPrompt | None:
        qid = session.pending_question_id
        if qid is None:
            return None
        return QuestionPrompt(
            session.id, session.position + 1, len(session.question_ids), self.question(qid), session.kind
        )

    async def register(self, who: Identity) -> bool:
        """Create or refresh the user; True when they are new."""
        async with self.db.unit() as uow:
            _, created = await uow.users.upsert(who.external_id, who.chat_id, who.display_name, self.clock())
        return created

    async def start(
        self, who: Identity, topic_arg: str | None = None, *, restart_session: int | None = None
    ) -> StartOutcome:
        """Start an interview. With `restart_session`, that running interview is cancelled first;
        any other running interview is left alone and reported.
        """
        topic: str | None = None
        if topic_arg and topic_arg.strip():
            topic = resolve_topic(self.bank, topic_arg)
            if topic is None:
                return UnknownTopic(topic_arg.strip()[:64], self.topics())
        now = self.clock()
        async with self.db.unit() as uow:
            user, _ = await uow.users.upsert(who.external_id, who.chat_id, who.display_name, now)
            sessions = uow.sessions
            _, running = await sessions.active_for(who.external_id)
            if running is not None:
                if running.id != restart_session:
                    return AlreadyRunning(running.id, self.prompt_for(running), topic)
                await sessions.close(running.id, SessionStatus.CANCELLED, now)
            answered = await uow.answers.answered_question_ids(user.id)
            ids = pick_questions(self.bank, self.questions_per_session, topic, answered, self.rng)
            session = await sessions.create(user.id, topic, ids, now)
            if session is None:  # another process started one a moment ago
                _, running = await sessions.active_for(who.external_id)
                assert running is not None
                return AlreadyRunning(running.id, self.prompt_for(running), topic)
        prompt = self.prompt_for(session)
        assert prompt is not None
        return Started(prompt, topic)

    async def restart(
        self, who: Identity, session_id: int, topic_arg: str | None
    ) -> StartOutcome | UnknownUser:
        """The "Start a new one" button: `start` with that interview cancelled first, except that
        a press by someone the bot no longer knows (an old button after /deletedata) does nothing."""
        async with self.db.unit() as uow:
            known = await uow.users.get(who.external_id) is not None
        if not known:
            return UnknownUser()
        return await self.start(who, topic_arg, restart_session=session_id)

    async def resume(self, who: Identity, session_id: int | None = None) -> QuestionPrompt | None:
        """The pending question again (restarting its timer); None if nothing is running."""
        async with self.db.unit() as uow:
            sessions = uow.sessions
            _, running = await sessions.active_for(who.external_id)
            if running is None or (session_id is not None and running.id != session_id):
                return None
            await sessions.touch(running.id, self.clock())
        return self.prompt_for(running)

    async def answer(self, who: Identity, text: str, message_id: int | None = None) -> AnswerOutcome:
        """Record `text` as the answer to the pending question: one short transaction.

        A text that starts like a command is an answer too while a question waits; with none
        waiting it is NotAsked, which a front end may word as an unknown command.
        """
        if len(text) > MAX_ANSWER_CHARS:
            return TooLong(len(text), MAX_ANSWER_CHARS)
        text = _CONTROL.sub("", text)
        if _looks_empty(text):
            return EmptyAnswer()
        now = self.clock()
        try:
            async with self.db.unit() as uow:
                user_id, session = await uow.sessions.active_for(who.external_id)
                if user_id is None or session is None or session.pending_question_id is None:
                    return NotAsked()
                question = self.question(session.pending_question_id)
                # Synchronous and a few ms: nothing is awaited while the transaction is open.
                feedback, analysis = self._assess(question, text)
                seconds = max(0, int((now - session.asked_at).total_seconds()))
                answer_id = await uow.answers.add(
                    NewAnswer(
                        user_id=user_id,
                        session_id=session.id,
                        position=session.position,
                        question_id=question.id,
                        text=text,
                        word_count=feedback.word_count,
                        covered=feedback.covered,
                        points_total=feedback.total,
                        asked_at=session.asked_at,
                        answered_at=now,
                        seconds_taken=seconds,
                        source_message_id=message_id,
                        analysis=analysis,
                    )
                )
                if not await uow.sessions.advance(session, now):
                    raise _AlreadyAnswered
                summary = None
                if session.position + 1 >= len(session.question_ids):
                    summary = self._summary(await uow.answers.for_session(session.id), session, False)
        except (Conflict, _AlreadyAnswered):
            # Another process (or a redelivered update) answered this question first.
            return NotAsked()
        except StorageError:
            # Never disguised as "no question waiting": the question still waits. The error
            # carries the driver's message, not the answer's text.
            log.exception("could not store an answer; its question stays waiting")
            return NotSaved()
        metrics.answer_stored()
        nxt = None
        if summary is None:
            nxt = QuestionPrompt(
                session.id,
                session.position + 2,
                len(session.question_ids),
                self.question(session.question_ids[session.position + 1]),
                session.kind,
            )
        return Answered(
            answer_id,
            question,
            session.position + 1,
            len(session.question_ids),
            feedback,
            seconds,
            nxt,
            summary,
            session.kind,
            text.startswith("/"),
        )

    def _assess(self, question: Question, text: str) -> tuple[Feedback, dict[str, Any] | None]:
        """The analysis and its stored form. If the engine ever fails, the answer is still
        stored: with no points counted and no analysis, shown as answers were before it.
        """
        try:
            feedback = self.matcher.assess(question, text)
            return feedback, to_stored(feedback)
        except Exception:
            log.exception("feedback analysis failed for question %s", question.id)
            labels = tuple(tp.label for tp in question.talking_points)
            return Feedback(labels, (), len(text.split())), None

    def _summary(
        self, answers: list[AnswerRecord], session: SessionRecord, cancelled: bool
    ) -> InterviewSummary:
        items = tuple(
            SummaryItem(self.question(a.question_id), len(a.covered), a.points_total, a.rating)
            for a in answers
        )
        analyses = [fb for a in answers if (fb := from_stored(a.analysis)) is not None]
        return InterviewSummary(
            items, len(session.question_ids), cancelled, session.kind, next_focus(analyses)
        )

    async def rate(self, who: Identity, answer_id: int, rating: Rating) -> Rated | None:
        """Store a self-rating and schedule the question's next review.

        None when the answer is not this user's (a forged or foreign button, or data deleted
        since). The first tap wins: it is both the label shown and the review scheduled; a later
        tap (Good then Easy in quick succession) changes nothing and returns the saved rating.
        """
        now = self.clock()
        async with self.db.unit() as uow:
            answer = await uow.answers.owned(answer_id, who.external_id)
            if answer is None:
                return None
            if answer.rating is None:
                await uow.answers.set_rating(answer_id, int(rating), now)
                profile = await uow.users.profile_by_id(answer.user_id)
                tz = user_zone(profile.timezone if profile else None, self.default_timezone)
                due = await record_review(
                    uow,
                    self.srs,
                    user_id=answer.user_id,
                    question_id=answer.question_id,
                    answer_id=answer_id,
                    rating=rating,
                    now=now,
                    not_after=interview_cap(profile.interview_date if profile else None, tz, now),
                )
            else:
                rating = Rating(answer.rating)
                card = await uow.cards.get(answer.user_id, answer.question_id)
                due = card.due_at if card else now
        return Rated(answer_id, rating, self.question(answer.question_id), due, due - now)

    async def cancel(self, who: Identity) -> InterviewSummary | None:
        """Abandon the running interview; answers given so far stay stored."""
        async with self.db.unit() as uow:
            _, running = await uow.sessions.active_for(who.external_id)
            if running is None or not await uow.sessions.close(
                running.id, SessionStatus.CANCELLED, self.clock()
            ):
                return None
            answers = await uow.answers.for_session(running.id)
        return self._summary(answers, running, True)

    async def edited(self, who: Identity, message_id: int) -> EditedAnswer | None:
        """Was the edited message one we recorded as an answer?"""
        async with self.db.unit() as uow:
            user = await uow.users.get(who.external_id)
            answer = await uow.answers.by_message(user.id, message_id) if user else None
        return EditedAnswer(self.question(answer.question_id)) if answer else None
