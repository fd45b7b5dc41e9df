"""Queries for users, interview sessions and answers, one class per table.

Every repository (here, in practice_repositories.py and history_repositories.py) takes the
open connection of a unit of work (storage/uow.py: one transaction, opened by the caller)
and returns plain records. They use SQLAlchemy Core statements: the answer path runs on
every message, and Core skips the ORM's unit-of-work cost.
"""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, Table, bindparam, delete, func, insert, null, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.errors import Conflict, StorageError
from storage.models import Answer, InterviewSession, User
from storage.records import AnswerRecord, NewAnswer, PracticeProfile, SessionRecord, UserRecord
from storage.statements import insert_or_skip
from storage.states import SessionKind, SessionStatus

# Table objects (not FromClause) so insert()/update() type-check.
_user: Table = User.__table__  # type: ignore[assignment]
_session: Table = InterviewSession.__table__  # type: ignore[assignment]
_answer: Table = Answer.__table__  # type: ignore[assignment]


def _user_record(row: Row[Any]) -> UserRecord:
    return UserRecord(row.id, row.external_id, row.chat_id, row.display_name, row.is_active)


def user_profile(row: Row[Any]) -> PracticeProfile:
    """A user row (all columns) as the practice rules see it."""
    return PracticeProfile(
        user_id=row.id,
        chat_id=row.chat_id,
        is_active=row.is_active,
        timezone=row.timezone,
        topics=tuple(row.topics) if row.topics is not None else None,
        interview_date=row.interview_date,
        level=row.level,
        topic_weights=dict(row.topic_weights) if row.topic_weights is not None else None,
    )


def _session_record(row: Row[Any]) -> SessionRecord:
    return SessionRecord(
        id=row.id,
        user_id=row.user_id,
        topic=row.topic,
        question_ids=tuple(row.question_ids),
        position=row.position,
        status=SessionStatus(row.status),
        kind=SessionKind(row.kind),
        started_at=row.started_at,
        asked_at=row.asked_at,
        probe_answer_id=row.probe_answer_id,
        probe=row.probe,
        retry_question_id=row.retry_question_id,
    )


def _storage_error(error: DBAPIError) -> StorageError:
    """The driver's own message only: SQLAlchemy's wording includes the statement's
    parameters, which here are the user's answer and must not reach the logs."""
    return StorageError(f"{type(error.orig).__name__}: {error.orig}")


def answer_record(row: Row[Any]) -> AnswerRecord:
    """An answer row (all columns) as a plain record."""
    return AnswerRecord(
        id=row.id,
        user_id=row.user_id,
        session_id=row.session_id,
        position=row.position,
        question_id=row.question_id,
        text=row.text,
        word_count=row.word_count,
        covered=tuple(row.covered),
        points_total=row.points_total,
        answered_at=row.answered_at,
        seconds_taken=row.seconds_taken,
        rating=row.rating,
        analysis=row.analysis,
        voice_seconds=row.voice_seconds,
        deeper_review=row.deeper_review,
        probe=row.probe,
        probe_answer=row.probe_answer,
        probe_covered=tuple(row.probe_covered) if row.probe_covered is not None else None,
        probe_analysis=row.probe_analysis,
        probe_answered_at=row.probe_answered_at,
        parts=row.parts,
        last_message_id=row.last_message_id,
        last_part_at=row.last_part_at,
    )


# The answer path's statements, built once: executing a prebuilt statement with a parameter
# dict skips rebuilding the statement and its cache key on every message.
_ACTIVE_FOR = (
    select(_user.c.id.label("uid"), _session)
    .select_from(
        _user.outerjoin(
            _session, (_session.c.user_id == _user.c.id) & (_session.c.status == SessionStatus.ACTIVE)
        )
    )
    .where(_user.c.external_id == bindparam("external_id"))
)
_FOLLOW_UPS = select(_user.c.follow_ups).where(_user.c.id == bindparam("b_user_id"))
# The session still waits at the position the caller read (compare and set).
_AT_POSITION = (
    _session.c.id == bindparam("b_id"),
    _session.c.position == bindparam("b_position"),
    _session.c.status == SessionStatus.ACTIVE,
)
_SET_SESSION_PROBE = (
    update(_session)
    .where(*_AT_POSITION)
    .values(probe_answer_id=bindparam("b_answer_id"), probe=bindparam("b_probe"), asked_at=bindparam("b_now"))
)
_TAKE_PROBE = (
    update(_session)
    .where(_session.c.id == bindparam("b_id"), _session.c.probe_answer_id == bindparam("b_answer_id"))
    .values(probe_answer_id=None, probe=None)
)
_SET_ANSWER_PROBE = (
    update(_answer).where(_answer.c.id == bindparam("b_id")).values(probe=bindparam("b_probe"))
)
_LATEST_IN_SESSION = (
    select(_answer)
    .where(_answer.c.session_id == bindparam("b_session_id"))
    .order_by(_answer.c.id.desc())
    .limit(1)
)
# A second answer at the same position (a redelivered update, another process first) is
# expected: ON CONFLICT on uq_answer_session_position returns no row instead of raising, so
# any IntegrityError left (a CHECK, a foreign key, a trigger) is a real fault.
_ADD_ANSWER = insert_or_skip(_answer, ["session_id", "position"], _answer.c.id)
_ADVANCE = (
    update(_session)
    .where(*_AT_POSITION)
    .values(
        position=bindparam("b_next_position"),
        asked_at=bindparam("b_now"),
        status=bindparam("b_status"),
        finished_at=bindparam("b_finished_at"),
    )
)


class UserRepository:
    """The user table: identity, the practice profile (time zone, topics, interview date), deletion."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def get(self, external_id: str) -> UserRecord | None:
        row = (await self.conn.execute(select(_user).where(_user.c.external_id == external_id))).first()
        return _user_record(row) if row else None

    async def upsert(
        self, external_id: str, chat_id: int | None, display_name: str, now: datetime
    ) -> tuple[UserRecord, bool]:
        """Return the user, creating it if new; re-activates a user who had blocked the bot."""
        existing = await self.get(external_id)
        if existing is None:
            result = await self.conn.execute(
                insert(_user)
                .values(
                    external_id=external_id,
                    chat_id=chat_id,
                    display_name=display_name,
                    is_active=True,
                    created_at=now,
                )
                .returning(*_user.c)
            )
            return _user_record(result.one()), True
        if (existing.chat_id, existing.display_name, existing.is_active) != (chat_id, display_name, True):
            await self.conn.execute(
                update(_user)
                .where(_user.c.id == existing.id)
                .values(chat_id=chat_id, display_name=display_name, is_active=True)
            )
            existing = UserRecord(existing.id, external_id, chat_id, display_name, True)
        return existing, False

    async def profile(self, external_id: str) -> PracticeProfile | None:
        row = (await self.conn.execute(select(_user).where(_user.c.external_id == external_id))).first()
        return user_profile(row) if row else None

    async def profile_by_id(self, user_id: int) -> PracticeProfile | None:
        row = (await self.conn.execute(select(_user).where(_user.c.id == user_id))).first()
        return user_profile(row) if row else None

    async def profiles_by_ids(self, user_ids: Sequence[int]) -> dict[int, PracticeProfile]:
        """Many users' profiles in one statement (the sweep's batches)."""
        rows = await self.conn.execute(select(_user).where(_user.c.id.in_(list(user_ids))))
        return {r.id: user_profile(r) for r in rows}

    async def set_timezone(self, user_id: int, timezone: str) -> None:
        await self.conn.execute(update(_user).where(_user.c.id == user_id).values(timezone=timezone))

    async def set_topics(self, user_id: int, topics: Sequence[str] | None) -> None:
        """The topics new practice questions come from; None for all of them."""
        value = list(topics) if topics is not None else None
        await self.conn.execute(update(_user).where(_user.c.id == user_id).values(topics=value))

    async def set_interview_date(self, user_id: int, day: date | None) -> None:
        await self.conn.execute(update(_user).where(_user.c.id == user_id).values(interview_date=day))

    async def set_level(self, user_id: int, level: str | None) -> None:
        """The level questions are picked for ("any": the user skipped choosing)."""
        await self.conn.execute(update(_user).where(_user.c.id == user_id).values(level=level))

    async def set_topic_weights(self, user_id: int, weights: dict[str, int] | None) -> None:
        """Topic weights from a job ad; None when the user practises for no ad."""
        # SQL NULL, not the JSON value null: "no ad" reads the same in every tool.
        value = weights if weights is not None else null()
        await self.conn.execute(update(_user).where(_user.c.id == user_id).values(topic_weights=value))

    async def follow_ups(self, user_id: int) -> bool:
        """Whether mock interviews ask this user follow-up questions."""
        value = await self.conn.scalar(_FOLLOW_UPS, {"b_user_id": user_id})
        return bool(value) if value is not None else True

    async def set_follow_ups(self, user_id: int, enabled: bool) -> None:
        await self.conn.execute(update(_user).where(_user.c.id == user_id).values(follow_ups=enabled))

    async def deactivate(self, user_id: int) -> None:
        """The user blocked the bot: no more prompts until they send /start again."""
        await self.conn.execute(update(_user).where(_user.c.id == user_id).values(is_active=False))

    async def delete(self, external_id: str) -> bool:
        """Delete the user row; every other table follows through ON DELETE CASCADE.

        False when there was no such user. On SQLite this needs PRAGMA foreign_keys=ON,
        which storage/db.py sets on every connection.
        """
        result = await self.conn.execute(delete(_user).where(_user.c.external_id == external_id))
        return result.rowcount > 0


class SessionRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def active_for(self, external_id: str) -> tuple[int | None, SessionRecord | None]:
        """The user's id and running interview, in one query (the answer path's only read)."""
        stmt = _ACTIVE_FOR
        row = (await self.conn.execute(stmt, {"external_id": external_id})).first()
        if row is None:
            return None, None
        return row.uid, (_session_record(row) if row.id is not None else None)

    async def active_for_user(self, user_id: int) -> SessionRecord | None:
        row = (
            await self.conn.execute(
                select(_session).where(
                    _session.c.user_id == user_id, _session.c.status == SessionStatus.ACTIVE
                )
            )
        ).first()
        return _session_record(row) if row else None

    async def active_for_users(self, user_ids: Sequence[int]) -> dict[int, SessionRecord]:
        """The running session of each of many users (at most one each: a unique index)."""
        rows = await self.conn.execute(
            select(_session).where(
                _session.c.user_id.in_(list(user_ids)), _session.c.status == SessionStatus.ACTIVE
            )
        )
        return {r.user_id: _session_record(r) for r in rows}

    async def create_many(
        self, new: Sequence[tuple[int, str | None, Sequence[str]]], now: datetime, kind: SessionKind
    ) -> dict[int, SessionRecord] | None:
        """Start one session for each (user_id, topic, question_ids) in one INSERT; None (and
        nothing created) if any of those users already has one running."""
        rows = [
            dict(
                user_id=user_id,
                kind=kind,
                topic=topic,
                question_ids=list(question_ids),
                position=0,
                status=SessionStatus.ACTIVE,
                started_at=now,
                asked_at=now,
            )
            for user_id, topic, question_ids in new
        ]
        try:
            async with self.conn.begin_nested():
                result = await self.conn.execute(insert(_session).returning(*_session.c), rows)
                created = {r.user_id: _session_record(r) for r in result}
        except IntegrityError:
            return None
        return created

    async def owned(self, session_id: int, user_id: int) -> SessionRecord | None:
        row = (
            await self.conn.execute(
                select(_session).where(_session.c.id == session_id, _session.c.user_id == user_id)
            )
        ).first()
        return _session_record(row) if row else None

    async def create(
        self,
        user_id: int,
        topic: str | None,
        question_ids: Sequence[str],
        now: datetime,
        kind: SessionKind = SessionKind.INTERVIEW,
    ) -> SessionRecord | None:
        """Start an interview; None if the user already has one running."""
        created = await self.create_many([(user_id, topic, question_ids)], now, kind)
        return created[user_id] if created else None

    async def advance(self, session: SessionRecord, now: datetime) -> bool:
        """Move past the pending question; False if someone else already did."""
        next_position = session.position + 1
        finished = next_position >= len(session.question_ids)
        try:
            result = await self.conn.execute(
                _ADVANCE,
                {
                    "b_id": session.id,
                    "b_position": session.position,
                    "b_next_position": next_position,
                    "b_now": now,
                    "b_status": SessionStatus.FINISHED if finished else SessionStatus.ACTIVE,
                    "b_finished_at": now if finished else None,
                },
            )
        except DBAPIError as error:
            raise _storage_error(error) from error.orig
        return result.rowcount == 1

    async def close(self, session_id: int, status: str, now: datetime) -> bool:
        result = await self.conn.execute(
            update(_session)
            .where(_session.c.id == session_id, _session.c.status == SessionStatus.ACTIVE)
            .values(status=status, finished_at=now)
        )
        return result.rowcount == 1

    async def touch(self, session_id: int, now: datetime) -> None:
        """Restart the answer timer when a question is asked again."""
        await self.conn.execute(update(_session).where(_session.c.id == session_id).values(asked_at=now))

    # --- follow-ups and Try again (bot/core/interview.py keeps the rules) ---

    async def latest_for_user(self, user_id: int) -> SessionRecord | None:
        """The user's most recent session, running or not."""
        row = (
            await self.conn.execute(
                select(_session).where(_session.c.user_id == user_id).order_by(_session.c.id.desc()).limit(1)
            )
        ).first()
        return _session_record(row) if row else None

    async def set_probe(
        self, session: SessionRecord, answer_id: int, probe: str | None, now: datetime
    ) -> bool:
        """Ask (or, with None, withdraw) a follow-up on `answer_id` while the session still waits at
        the same position; False if it moved on meanwhile."""
        params = {
            "b_id": session.id,
            "b_position": session.position,
            "b_answer_id": answer_id if probe else None,
            "b_probe": probe,
            "b_now": now,
        }
        result = await self.conn.execute(_SET_SESSION_PROBE, params)
        return result.rowcount == 1

    async def take_probe(self, session_id: int, answer_id: int) -> bool:
        """Clear the waiting follow-up on `answer_id`; False if it was answered or skipped already."""
        result = await self.conn.execute(_TAKE_PROBE, {"b_id": session_id, "b_answer_id": answer_id})
        return result.rowcount == 1

    async def set_retry(self, session_id: int, question_id: str | None, now: datetime) -> bool:
        """Re-ask `question_id` before the pending question (None: that attempt was given)."""
        values: dict[str, Any] = {"retry_question_id": question_id}
        if question_id is not None:
            values["asked_at"] = now
        result = await self.conn.execute(
            update(_session)
            .where(_session.c.id == session_id, _session.c.status == SessionStatus.ACTIVE)
            .values(**values)
        )
        return result.rowcount == 1


class AnswerRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(self, new: NewAnswer) -> int:
        """Store an answer. Conflict: an answer at that session position is already stored
        (the expected duplicate); StorageError: the database refused it for any other reason.
        """
        try:
            result = await self.conn.execute(
                _ADD_ANSWER[self.conn.dialect.name],
                {
                    "user_id": new.user_id,
                    "session_id": new.session_id,
                    "position": new.position,
                    "question_id": new.question_id,
                    "text": new.text,
                    "word_count": new.word_count,
                    "covered": list(new.covered),
                    "points_total": new.points_total,
                    "asked_at": new.asked_at,
                    "answered_at": new.answered_at,
                    "seconds_taken": new.seconds_taken,
                    "source_message_id": new.source_message_id,
                    "analysis": new.analysis,
                    "voice_file_id": new.voice_file_id,
                    "voice_seconds": new.voice_seconds,
                    "last_message_id": new.source_message_id,
                    "last_part_at": new.last_part_at,
                },
            )
        except DBAPIError as error:
            raise _storage_error(error) from error.orig
        answer_id = result.scalar_one_or_none()
        if answer_id is None:
            raise Conflict("uq_answer_session_position")
        return int(answer_id)

    async def owned(self, answer_id: int, external_id: str) -> AnswerRecord | None:
        """The answer, only if it belongs to that user (buttons can be forged)."""
        row = (
            await self.conn.execute(
                select(_answer)
                .join(_user, _user.c.id == _answer.c.user_id)
                .where(_answer.c.id == answer_id, _user.c.external_id == external_id)
            )
        ).first()
        return answer_record(row) if row else None

    async def set_rating(self, answer_id: int, rating: int, now: datetime) -> None:
        await self.conn.execute(
            update(_answer).where(_answer.c.id == answer_id).values(rating=rating, rated_at=now)
        )

    async def set_deeper_review(self, answer_id: int, review: dict[str, Any], now: datetime) -> None:
        await self.conn.execute(
            update(_answer)
            .where(_answer.c.id == answer_id)
            .values(deeper_review=review, deeper_review_at=now)
        )

    async def deeper_reviews_since(self, user_id: int, since: datetime) -> int:
        """How many of the user's answers got a deeper review at or after `since`
        (ix_answer_user_deeper_review)."""
        count = await self.conn.scalar(
            select(func.count())
            .select_from(_answer)
            .where(_answer.c.user_id == user_id, _answer.c.deeper_review_at >= since)
        )
        return int(count or 0)

    async def for_session(self, session_id: int) -> list[AnswerRecord]:
        rows = await self.conn.execute(
            select(_answer).where(_answer.c.session_id == session_id).order_by(_answer.c.position)
        )
        return [answer_record(r) for r in rows]

    async def by_message(self, user_id: int, message_id: int) -> AnswerRecord | None:
        row = (
            await self.conn.execute(
                select(_answer).where(_answer.c.user_id == user_id, _answer.c.source_message_id == message_id)
            )
        ).first()
        return answer_record(row) if row else None

    async def by_id(self, answer_id: int) -> AnswerRecord | None:
        row = (await self.conn.execute(select(_answer).where(_answer.c.id == answer_id))).first()
        return answer_record(row) if row else None

    async def latest_in_session(self, session_id: int) -> AnswerRecord | None:
        row = (await self.conn.execute(_LATEST_IN_SESSION, {"b_session_id": session_id})).first()
        return answer_record(row) if row else None

    async def set_probe(self, answer_id: int, probe: str | None) -> None:
        """The follow-up asked after the answer (stored form)."""
        await self.conn.execute(_SET_ANSWER_PROBE, {"b_id": answer_id, "b_probe": probe})

    async def record_probe_answer(
        self,
        answer_id: int,
        *,
        text: str,
        probe_covered: Sequence[int],
        covered: Sequence[int],
        analysis: dict[str, Any] | None,
        at: datetime,
        message_id: int | None,
        part_at: datetime | None,
        parts: int | None = None,
    ) -> None:
        """Store the answer to the follow-up; `covered` becomes what both answers covered."""
        values: dict[str, Any] = {
            "probe_answer": text,
            "probe_covered": list(probe_covered),
            "probe_analysis": analysis,
            "probe_answered_at": at,
            "covered": list(covered),
            "last_message_id": message_id,
            "last_part_at": part_at,
        }
        if parts is not None:
            values["parts"] = parts
        try:
            await self.conn.execute(update(_answer).where(_answer.c.id == answer_id).values(**values))
        except DBAPIError as error:
            raise _storage_error(error) from error.orig

    async def continue_answer(
        self,
        answer_id: int,
        *,
        text: str,
        word_count: int,
        covered: Sequence[int],
        analysis: dict[str, Any] | None,
        parts: int,
        message_id: int | None,
        part_at: datetime | None,
    ) -> None:
        """One more message of the same answer: the joined text and its new assessment."""
        try:
            await self.conn.execute(
                update(_answer)
                .where(_answer.c.id == answer_id)
                .values(
                    text=text,
                    word_count=word_count,
                    covered=list(covered),
                    analysis=analysis,
                    parts=parts,
                    last_message_id=message_id,
                    last_part_at=part_at,
                )
            )
        except DBAPIError as error:
            raise _storage_error(error) from error.orig

    async def answered_question_ids_of(self, user_ids: Sequence[int]) -> dict[int, set[str]]:
        """answered_question_ids for many users in one statement (users with none are left out)."""
        rows = await self.conn.execute(
            select(_answer.c.user_id, _answer.c.question_id)
            .where(_answer.c.user_id.in_(list(user_ids)))
            .distinct()
        )
        found: dict[int, set[str]] = {}
        for user_id, question_id in rows:
            found.setdefault(user_id, set()).add(question_id)
        return found

    async def answered_question_ids(self, user_id: int) -> set[str]:
        rows = await self.conn.execute(
            select(_answer.c.question_id).where(_answer.c.user_id == user_id).distinct()
        )
        return {r[0] for r in rows}
