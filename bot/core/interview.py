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
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Final

from bot import metrics
from bot.core.clock import Clock
from bot.core.feedback import Feedback, FeedbackMatcher, Focus, PointResult, next_focus, tone
from bot.core.feedback.stored import from_stored, to_stored
from bot.core.feedback.suggest import Tone
from bot.core.picking import pick_questions, resolve_topic, stored_level
from bot.core.probes import Probe, choose_probe
from bot.core.rating import Rating
from bot.core.reviews import interview_cap, record_review, user_zone
from bot.core.srs import SpacedRepetition
from questions.loader import QuestionBank
from questions.schema import Question
from questions.topics import TOPICS
from storage.db import Database
from storage.records import AnswerRecord, NewAnswer, SessionRecord
from storage.states import SessionKind, SessionStatus
from storage.uow import Conflict, StorageError, UnitOfWork

log = logging.getLogger(__name__)

# Telegram caps messages at 4096 characters; the terminal has no cap, so we set one.
MAX_ANSWER_CHARS = 12_000
# A message this soon after the previous part of an answer continues it (see `continues`).
PART_WINDOW: Final = timedelta(seconds=20)
# Sessions whose latest answer a quick further message may continue: running, or ended by that answer.
_CONTINUABLE: Final = frozenset({SessionStatus.ACTIVE, SessionStatus.FINISHED})
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
    # A follow-up on the answer just given to `question` (asked instead of the next question).
    probe: Probe | None = None
    # Try again: `question` asked once more; the pending question comes after it.
    retry: bool = False


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
    """Text arrived while no question was waiting for an answer.

    `repeated`: this very message was stored as an answer already (an update handled again
    after a crash). `answered_already`: one was waiting, but another update (of this user,
    perhaps handled by another process) answered it first; the next question is on its way.
    """

    repeated: bool = False
    answered_already: bool = False


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
    # A new attempt after Try again.
    retry: bool = False
    # More than 1: the answer arrived in several messages, joined and assessed again.
    parts: int = 1


@dataclass(frozen=True, slots=True)
class FollowUpAnswered:
    """The answer to a follow-up: assessed against the same talking points, counted with the
    answer it follows up."""

    answer_id: int
    question: Question
    number: int
    total: int
    probe: Probe
    feedback: Feedback  # the follow-up answer on its own
    before: tuple[int, ...]  # points the main answer covered
    covered: tuple[int, ...]  # points both answers covered together
    next: QuestionPrompt | None
    summary: InterviewSummary | None
    kind: SessionKind = SessionKind.INTERVIEW
    parts: int = 1

    @property
    def points_total(self) -> int:
        return self.feedback.total

    @property
    def added_labels(self) -> list[str]:
        return [
            label
            for i, label in enumerate(self.feedback.labels)
            if i in self.covered and i not in self.before
        ]

    @property
    def still_missed(self) -> list[PointResult]:
        """Points neither answer covered, with their hints where the analysis has them."""
        if self.feedback.points:
            return [p for i, p in enumerate(self.feedback.points) if i not in self.covered]
        return [
            PointResult(label, "missed")
            for i, label in enumerate(self.feedback.labels)
            if i not in self.covered
        ]


@dataclass(frozen=True, slots=True)
class Skipped:
    """The follow-up was skipped: the interview moves on."""

    next: QuestionPrompt | None
    summary: InterviewSummary | None


def continues(
    sent_at: datetime, previous_part_at: datetime, next_sent_at: datetime, replied_at: datetime
) -> bool:
    """Does a message dated `sent_at` continue the previous answer rather than answer what waits now?

    - `previous_part_at`: the Telegram date of that answer's latest part;
    - `next_sent_at`: when the step now waiting (the next question, a follow-up, or the summary
      after the last question) was sent: the session's asked_at;
    - `replied_at`: when the bot processed that latest part.

    The rule:
    1. A message dated before the waiting step was sent continues the answer: it was written
       before the user could see what comes next, however late it arrives (a backlog of
       messages sent while the bot was down is one answer).
    2. Otherwise it continues the answer only when all of these hold: the waiting step was sent
       in reply to that latest part (not asked again since by Continue, /interview or Try
       again: then the user is answering it on purpose); the message is dated within
       PART_WINDOW of the previous part; and within PART_WINDOW of the moment the waiting step
       was sent. Nobody reads a new question and writes an answer to it in that time, while
       people do send one answer as two or three quick messages.
    3. Anything else answers the waiting step. Once a message has been taken as its answer,
       the previous answer is closed for good: later messages only ever continue the latest
       answer.

    Telegram dates are whole seconds and the bot's clock is not Telegram's; both only move the
    line by about a second.
    """
    if sent_at < next_sent_at:
        return True
    return (
        next_sent_at <= replied_at
        and sent_at - previous_part_at <= PART_WINDOW
        and sent_at - next_sent_at <= PART_WINDOW
    )


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
AnswerOutcome = Answered | FollowUpAnswered | NotAsked | TooLong | EmptyAnswer | NotSaved


def _number(answer: AnswerRecord, session: SessionRecord) -> int:
    """The question's number in its session (an attempt after Try again has no position)."""
    if answer.position is not None:
        return answer.position + 1
    ids = session.question_ids
    return ids.index(answer.question_id) + 1 if answer.question_id in ids else 1


def _own_covered(answer: AnswerRecord) -> tuple[int, ...]:
    """The points the main answer covered by itself (`covered` also counts its follow-up)."""
    own = from_stored(answer.analysis)
    if own is not None:
        return own.covered
    return tuple(i for i in answer.covered if i not in (answer.probe_covered or ()))


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
        """What the session waits for: a question re-asked by Try again, a follow-up, or the
        pending question."""
        total = len(session.question_ids)
        if session.retry_question_id is not None and session.status == SessionStatus.ACTIVE:
            again = session.retry_question_id
            ids = session.question_ids
            number = ids.index(again) + 1 if again in ids else session.position + 1
            return QuestionPrompt(session.id, number, total, self.question(again), session.kind, retry=True)
        qid = session.pending_question_id
        if qid is None:
            return None
        probe = Probe.parse(session.probe) if session.probe_answer_id is not None else None
        return QuestionPrompt(
            session.id, session.position + 1, total, self.question(qid), session.kind, probe
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
            profile = await uow.users.profile_by_id(user.id)
            ids = pick_questions(
                self.bank,
                self.questions_per_session,
                topic,
                answered,
                self.rng,
                level=stored_level(profile.level) if profile else None,
                weights=profile.topic_weights if profile else None,
            )
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

    async def retry(self, who: Identity, answer_id: int) -> QuestionPrompt | None:
        """Try again: ask the question of `answer_id` once more, at once.

        In a running session it comes before what the session waits for, which is asked again
        after the new attempt; with none running, a one-question practice session asks it.
        None when the answer is not this user's (forged, foreign, deleted) or its question left
        the bank.
        """
        now = self.clock()
        async with self.db.unit() as uow:
            answer = await uow.answers.owned(answer_id, who.external_id)
            if answer is None or not self.question(answer.question_id).text:
                return None
            _, running = await uow.sessions.active_for(who.external_id)
            if running is None:
                session = await uow.sessions.create(
                    answer.user_id, None, [answer.question_id], now, kind=SessionKind.DAILY
                )
                if session is None:
                    return None
                return self.prompt_for(session)
            if not await uow.sessions.set_retry(running.id, answer.question_id, now):
                return None
        return self.prompt_for(replace(running, retry_question_id=answer.question_id, asked_at=now))

    async def skip_probe(self, who: Identity, session_id: int) -> Skipped | None:
        """Skip the waiting follow-up; None if that session has none waiting (an old button)."""
        now = self.clock()
        try:
            async with self.db.unit() as uow:
                _, running = await uow.sessions.active_for(who.external_id)
                if running is None or running.id != session_id or running.probe_answer_id is None:
                    return None
                if not await uow.sessions.take_probe(running.id, running.probe_answer_id):
                    return None
                # A question re-asked by Try again still comes first (prompt_for).
                nxt, summary = await self._advance(uow, running, now)
        except _AlreadyAnswered:
            return None
        return Skipped(nxt, summary)

    async def follow_ups(self, who: Identity) -> bool:
        """Whether this user's mock interviews ask follow-ups (on for someone new)."""
        async with self.db.unit() as uow:
            user, _ = await uow.users.upsert(who.external_id, who.chat_id, who.display_name, self.clock())
            return await uow.users.follow_ups(user.id)

    async def set_follow_ups(self, who: Identity, enabled: bool) -> bool | UnknownUser:
        """Turn follow-ups on or off; UnknownUser for a button pressed after /deletedata."""
        async with self.db.unit() as uow:
            user = await uow.users.get(who.external_id)
            if user is None:
                return UnknownUser()
            # A follow-up already waiting stays either way: it was asked, and Skip moves on.
            await uow.users.set_follow_ups(user.id, enabled)
        return enabled

    async def answer(
        self,
        who: Identity,
        text: str,
        message_id: int | None = None,
        *,
        voice: tuple[str, int] | None = None,
        pending: tuple[int, int] | None = None,
        sent_at: datetime | None = None,
        follow_ups: bool = False,
    ) -> AnswerOutcome:
        """Record `text` as the answer to what the session waits for: one short transaction.

        What waits is, in this order: a question re-asked by Try again (a new attempt, stored
        as another answer to it), a follow-up (stored with the answer it follows up), or the
        pending question. With `sent_at` (the message's date, where the front end knows it) a
        message may instead continue the previous answer (see `continues`). `follow_ups`: the
        front end asks follow-ups (mock interviews only, and only if the user has them on).

        A text that starts like a command is an answer too while a question waits; with none
        waiting it is NotAsked, which a front end may word as an unknown command. `voice` (file
        id, seconds) marks `text` as the transcript of a spoken answer; `pending` (session id,
        position) is the question it was given for: if another one waits by now, NotAsked.
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
                if user_id is None:
                    return NotAsked()
                if pending is not None and (session is None or pending != (session.id, session.position)):
                    return NotAsked()
                if message_id is not None or sent_at is not None:
                    joined = await self._continue(uow, user_id, session, text, message_id, sent_at, now)
                    if joined is not None:
                        return joined
                if session is None:
                    return NotAsked()
                if session.retry_question_id is not None:
                    return await self._retry_answer(uow, user_id, session, text, message_id, sent_at, now)
                if session.probe_answer_id is not None:
                    return await self._probe_answer(uow, session, text, message_id, sent_at, now)
                if session.pending_question_id is None:
                    return NotAsked()
                return await self._main_answer(
                    uow, user_id, session, text, message_id, sent_at, now, follow_ups=follow_ups, voice=voice
                )
        except (Conflict, _AlreadyAnswered):
            # Another process (or a redelivered update) answered this question first.
            return NotAsked(answered_already=True)
        except StorageError:
            # Never disguised as "no question waiting": the question still waits. The error
            # carries the driver's message, not the answer's text.
            log.exception("could not store an answer; its question stays waiting")
            return NotSaved()

    async def _store(
        self,
        uow: UnitOfWork,
        user_id: int,
        session: SessionRecord,
        position: int | None,
        question: Question,
        text: str,
        message_id: int | None,
        sent_at: datetime | None,
        now: datetime,
        voice: tuple[str, int] | None = None,
    ) -> tuple[int, Feedback, int]:
        """Assess `text` and store it as an answer; (answer id, feedback, seconds taken)."""
        # Synchronous and a few ms: nothing is awaited while the transaction is open.
        feedback, analysis = self._assess(question, text)
        seconds = max(0, int((now - session.asked_at).total_seconds()))
        answer_id = await uow.answers.add(
            NewAnswer(
                user_id=user_id,
                session_id=session.id,
                position=position,
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
                voice_file_id=voice[0] if voice else None,
                voice_seconds=voice[1] if voice else None,
                last_part_at=sent_at,
            )
        )
        return answer_id, feedback, seconds

    async def _main_answer(
        self,
        uow: UnitOfWork,
        user_id: int,
        session: SessionRecord,
        text: str,
        message_id: int | None,
        sent_at: datetime | None,
        now: datetime,
        *,
        follow_ups: bool,
        voice: tuple[str, int] | None = None,
    ) -> Answered:
        assert session.pending_question_id is not None
        question = self.question(session.pending_question_id)
        answer_id, feedback, seconds = await self._store(
            uow, user_id, session, session.position, question, text, message_id, sent_at, now, voice
        )
        metrics.answer_stored()
        probe = None
        if follow_ups and session.kind == SessionKind.INTERVIEW and await uow.users.follow_ups(user_id):
            probe = choose_probe(question, feedback)
        total = len(session.question_ids)
        summary = nxt = None
        if probe is not None:
            # The session stays at this question until the follow-up is answered or skipped.
            await uow.answers.set_probe(answer_id, probe.stored())
            if not await uow.sessions.set_probe(session, answer_id, probe.stored(), now):
                raise _AlreadyAnswered
            nxt = QuestionPrompt(session.id, session.position + 1, total, question, session.kind, probe)
        else:
            nxt, summary = await self._advance(uow, session, now)
        return Answered(
            answer_id,
            question,
            session.position + 1,
            total,
            feedback,
            seconds,
            nxt,
            summary,
            session.kind,
            text.startswith("/"),
        )

    async def _advance(
        self, uow: UnitOfWork, session: SessionRecord, now: datetime
    ) -> tuple[QuestionPrompt | None, InterviewSummary | None]:
        """Move past the pending question: the next prompt, or the summary after the last one."""
        if not await uow.sessions.advance(session, now):
            raise _AlreadyAnswered
        if session.position + 1 >= len(session.question_ids):
            return None, self._summary(await uow.answers.for_session(session.id), session, False)
        moved = replace(
            session, position=session.position + 1, asked_at=now, probe_answer_id=None, probe=None
        )
        return self.prompt_for(moved), None

    async def _probe_answer(
        self,
        uow: UnitOfWork,
        session: SessionRecord,
        text: str,
        message_id: int | None,
        sent_at: datetime | None,
        now: datetime,
    ) -> FollowUpAnswered:
        assert session.probe_answer_id is not None
        answer = await uow.answers.by_id(session.probe_answer_id)
        probe = Probe.parse(session.probe)
        if not await uow.sessions.take_probe(session.id, session.probe_answer_id):
            raise _AlreadyAnswered
        if answer is None or probe is None:  # deleted or unreadable: nothing to add it to
            raise _AlreadyAnswered
        question = self.question(answer.question_id)
        feedback, before, covered = await self._store_probe_answer(
            uow, answer, question, text, now, message_id, sent_at
        )
        nxt, summary = await self._advance(uow, session, now)
        return FollowUpAnswered(
            answer.id,
            question,
            session.position + 1,
            len(session.question_ids),
            probe,
            feedback,
            before,
            covered,
            nxt,
            summary,
            session.kind,
        )

    async def _store_probe_answer(
        self,
        uow: UnitOfWork,
        answer: AnswerRecord,
        question: Question,
        text: str,
        at: datetime,
        message_id: int | None,
        sent_at: datetime | None,
        *,
        parts: int | None = None,
    ) -> tuple[Feedback, tuple[int, ...], tuple[int, ...]]:
        """Assess the follow-up's answer and store it with `answer`; (its feedback, what the
        answer alone covered, what both cover)."""
        feedback, analysis = self._assess(question, text)
        before = _own_covered(answer)
        covered = tuple(sorted(set(before) | set(feedback.covered)))
        await uow.answers.record_probe_answer(
            answer.id,
            text=text,
            probe_covered=feedback.covered,
            covered=covered,
            analysis=analysis,
            at=at,
            message_id=message_id,
            part_at=sent_at,
            parts=parts,
        )
        return feedback, before, covered

    async def _retry_answer(
        self,
        uow: UnitOfWork,
        user_id: int,
        session: SessionRecord,
        text: str,
        message_id: int | None,
        sent_at: datetime | None,
        now: datetime,
    ) -> Answered:
        assert session.retry_question_id is not None
        prompt = self.prompt_for(session)
        assert prompt is not None
        question = prompt.question
        # Another attempt at the question: in the session but at no position, so the summary
        # and the unique (session, position) index count the interview's own answers only.
        answer_id, feedback, seconds = await self._store(
            uow, user_id, session, None, question, text, message_id, sent_at, now
        )
        if not await uow.sessions.set_retry(session.id, None, now):
            raise _AlreadyAnswered
        # Then the interview goes on where it was: the pending question (or follow-up) again.
        nxt = self.prompt_for(replace(session, retry_question_id=None, asked_at=now))
        return Answered(
            answer_id,
            question,
            prompt.number,
            prompt.total,
            feedback,
            seconds,
            nxt,
            None,
            session.kind,
            text.startswith("/"),
            retry=True,
        )

    async def _continue(
        self,
        uow: UnitOfWork,
        user_id: int,
        session: SessionRecord | None,
        text: str,
        message_id: int | None,
        sent_at: datetime | None,
        now: datetime,
    ) -> AnswerOutcome | None:
        """The message as one more part of the latest answer, or None when it is not one. Only a
        running session's latest answer, or the one that finished its session, is continued.

        Also drops a message already stored (a redelivered update): message ids only grow in a
        chat, so an id at or below the latest part's is old.
        """
        target = session if session is not None else await uow.sessions.latest_for_user(user_id)
        if target is None:
            return None
        latest = await uow.answers.latest_in_session(target.id)
        if latest is None:
            return None
        if (
            message_id is not None
            and latest.last_message_id is not None
            and message_id <= latest.last_message_id
        ):
            return NotAsked(repeated=True)
        if target.status not in _CONTINUABLE:
            # Stopped on purpose (/cancel, Skip, Snooze) or given way to another session: what
            # the user sends after that is not more of the answer they left.
            return None
        if sent_at is None or latest.last_part_at is None:
            return None
        replied_at = max(latest.answered_at, latest.probe_answered_at or latest.answered_at)
        if not continues(sent_at, latest.last_part_at, target.asked_at, replied_at):
            return None
        question = self.question(latest.question_id)
        probe = Probe.parse(latest.probe)
        if latest.probe_answer is not None and probe is not None:
            joined = f"{latest.probe_answer}\n{text}"
            if len(joined) > MAX_ANSWER_CHARS:
                return TooLong(len(joined), MAX_ANSWER_CHARS)
            feedback, before, covered = await self._store_probe_answer(
                uow,
                latest,
                question,
                joined,
                latest.probe_answered_at or now,
                message_id,
                sent_at,
                parts=latest.parts + 1,
            )
            return FollowUpAnswered(
                latest.id,
                question,
                _number(latest, target),
                len(target.question_ids),
                probe,
                feedback,
                before,
                covered,
                *self._after_part(target, await uow.answers.for_session(target.id)),
                target.kind,
                latest.parts + 1,
            )
        joined = f"{latest.text}\n{text}"
        if len(joined) > MAX_ANSWER_CHARS:
            return TooLong(len(joined), MAX_ANSWER_CHARS)
        feedback, analysis = self._assess(question, joined)
        await uow.answers.continue_answer(
            latest.id,
            text=joined,
            word_count=feedback.word_count,
            covered=feedback.covered,
            analysis=analysis,
            parts=latest.parts + 1,
            message_id=message_id,
            part_at=sent_at,
        )
        if target.probe_answer_id == latest.id:
            # The follow-up was chosen for the first part: choose again for the whole answer.
            new_probe = choose_probe(question, feedback)
            if new_probe is None:
                if not await uow.sessions.take_probe(target.id, latest.id):
                    raise _AlreadyAnswered
                await uow.answers.set_probe(latest.id, None)
                nxt, summary = await self._advance(uow, target, now)
                target = replace(target, probe_answer_id=None, probe=None)
            else:
                await uow.answers.set_probe(latest.id, new_probe.stored())
                if not await uow.sessions.set_probe(target, latest.id, new_probe.stored(), target.asked_at):
                    raise _AlreadyAnswered
                target = replace(target, probe=new_probe.stored())
                nxt, summary = self.prompt_for(target), None
        else:
            nxt, summary = self._after_part(target, await uow.answers.for_session(target.id))
        number = _number(latest, target)
        return Answered(
            latest.id,
            question,
            number,
            len(target.question_ids),
            feedback,
            latest.seconds_taken,
            nxt,
            summary,
            target.kind,
            joined.startswith("/"),
            retry=latest.position is None,
            parts=latest.parts + 1,
        )

    def _after_part(
        self, session: SessionRecord, answers: list[AnswerRecord]
    ) -> tuple[QuestionPrompt | None, InterviewSummary | None]:
        """After a joined part: what waits is shown again, or the corrected summary if it ended."""
        if session.status == SessionStatus.ACTIVE:
            return self.prompt_for(session), None
        if session.status == SessionStatus.FINISHED and session.kind != SessionKind.DAILY:
            return None, self._summary(answers, session, False)
        return None, None

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
        # Attempts after Try again have no position: the summary counts the interview's own answers.
        answers = [a for a in answers if a.position is not None]
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
