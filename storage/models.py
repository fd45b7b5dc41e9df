"""ORM tables; this module only declares. The queries live in the repository modules
(storage/*repositories.py), reached through the unit of work (storage/uow.py).
"""

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import UtcDateTime

# Stable constraint names so Alembic batch migrations on SQLite can find them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JsonType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        dict[str, Any]: JsonType,
        list[Any]: JsonType,
    }


class User(Base):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    # "tg:<telegram user id>" or "chat:<name>": one namespace per front end.
    external_id: Mapped[str] = mapped_column(String(80), unique=True)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    # IANA name; None means the configured default.
    timezone: Mapped[str | None] = mapped_column(String(64))
    # Topics new practice questions come from; None means all of them.
    topics: Mapped[list[Any] | None]
    # The role level questions are picked for ("coordinator", "project_manager", "senior"), "any"
    # when the user skipped the question, None when it was never asked.
    level: Mapped[str | None] = mapped_column(String(16))
    # Topic slug -> weight from the job ad the user practises for (the ad itself is not kept).
    topic_weights: Mapped[dict[str, Any] | None]
    # The user's real interview: reviews are never scheduled after it.
    interview_date: Mapped[date | None] = mapped_column(Date)
    # Whether a mock interview asks a follow-up after an answer that leaves something out.
    follow_ups: Mapped[bool] = mapped_column(default=True, server_default=true())


class InterviewSession(Base):
    __tablename__ = "interview_session"
    __table_args__ = (
        # At most one running interview per user, enforced by the database.
        Index(
            "uq_interview_session_active_user",
            "user_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # storage.states.SessionKind: interview, daily (one pushed prompt) or review
    kind: Mapped[str] = mapped_column(String(16), default="interview", server_default="interview")
    topic: Mapped[str | None] = mapped_column(String(32))
    question_ids: Mapped[list[Any]]
    # 0-based index into question_ids of the question waiting for an answer.
    position: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="active")  # storage.states.SessionStatus
    started_at: Mapped[datetime]
    asked_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    # A follow-up waiting for its answer: the answer it follows up, and the probe's stored form
    # (bot.core.probes). While it waits, position stays at that answer's question.
    probe_answer_id: Mapped[int | None]
    probe: Mapped[str | None] = mapped_column(Text)
    # Try again: this question is asked once more before the pending one.
    retry_question_id: Mapped[str | None] = mapped_column(String(64))


class Answer(Base):
    __tablename__ = "answer"
    __table_args__ = (
        # Beyond (user_id, answered_at): what history pages skip over and /stats aggregates, so
        # neither reads a table row per answer (migration 0009; id orders ties on PostgreSQL).
        Index(
            "ix_answer_user_answered",
            "user_id",
            "answered_at",
            "id",
            "question_id",
            "rating",
            "points_total",
            "covered",
        ),
        Index("ix_answer_user_question", "user_id", "question_id"),
        Index("ix_answer_user_message", "user_id", "source_message_id"),
        # A redelivered update can never record a second answer to the same question.
        Index("uq_answer_session_position", "session_id", "position", unique=True),
        # The per-user daily cap on deeper reviews counts a user's recent ones.
        Index("ix_answer_user_deeper_review", "user_id", "deeper_review_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("interview_session.id", ondelete="CASCADE"))
    position: Mapped[int | None]
    question_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    word_count: Mapped[int]
    # Indexes into the question's talking points that the answer covered.
    covered: Mapped[list[Any]]
    points_total: Mapped[int] = mapped_column(SmallInteger)
    asked_at: Mapped[datetime]
    answered_at: Mapped[datetime]
    seconds_taken: Mapped[int]
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    rated_at: Mapped[datetime | None]
    # The chat message that carried the answer, so an edit of it can be recognised.
    source_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # The feedback shown at answer time (bot.core.feedback.stored's versioned dict), so /history
    # and exports show the same words later; NULL for answers stored before it existed.
    analysis: Mapped[dict[str, Any] | None] = mapped_column(
        # none_as_null: a missing analysis is SQL NULL, like the rows from before the column.
        JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
    )
    # A spoken answer: the Telegram voice's file id and length; `text` holds its transcript.
    voice_file_id: Mapped[str | None] = mapped_column(String(255))
    voice_seconds: Mapped[int | None]
    # The language model's review (bot.core.review_model's validated dict) and when it came.
    deeper_review: Mapped[dict[str, Any] | None] = mapped_column(
        JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
    )
    deeper_review_at: Mapped[datetime | None]
    # The follow-up asked after this answer (bot.core.probes' stored form), the candidate's
    # answer to it, the points that answer covered and its analysis; `covered` counts both.
    probe: Mapped[str | None] = mapped_column(Text)
    probe_answer: Mapped[str | None] = mapped_column(Text)
    probe_covered: Mapped[list[Any] | None] = mapped_column(
        JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
    )
    probe_analysis: Mapped[dict[str, Any] | None] = mapped_column(
        JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
    )
    probe_answered_at: Mapped[datetime | None]
    # An answer sent as several messages: how many, and the latest one's id and Telegram date.
    parts: Mapped[int] = mapped_column(SmallInteger, default=1, server_default="1")
    last_message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_part_at: Mapped[datetime | None]


class PracticeSchedule(Base):
    """A user's daily prompt: the database, not the job queue, is the schedule."""

    __tablename__ = "practice_schedule"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    # "HH:MM" in the user's timezone; ScheduleRepository converts to and from datetime.time.
    local_time: Mapped[str] = mapped_column(String(5))
    quiet_start: Mapped[str] = mapped_column(String(5), default="22:00")
    quiet_end: Mapped[str] = mapped_column(String(5), default="07:00")
    # UTC instant of the next daily prompt; the sweep claims rows whose time has come.
    next_due_at: Mapped[datetime | None] = mapped_column(index=True)
    updated_at: Mapped[datetime]


class Card(Base):
    """The FSRS card of one question for one user."""

    __tablename__ = "card"
    __table_args__ = (
        Index("uq_card_user_question", "user_id", "question_id", unique=True),
        Index("ix_card_user_due", "user_id", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(64))
    state_json: Mapped[str] = mapped_column(Text)  # fsrs Card.to_json()
    due_at: Mapped[datetime]
    last_rating: Mapped[int] = mapped_column(SmallInteger)
    last_review_at: Mapped[datetime]
    review_count: Mapped[int] = mapped_column(default=1)


class ReviewLog(Base):
    """Every self-rating, so a schedule can be recomputed (e.g. with new FSRS parameters)."""

    __tablename__ = "review_log"
    __table_args__ = (
        Index("ix_review_log_user_reviewed", "user_id", "reviewed_at"),
        # Deleting answers sets this to NULL: without an index each deleted answer scans the table.
        Index("ix_review_log_answer", "answer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(64))
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("answer.id", ondelete="SET NULL"))
    rating: Mapped[int] = mapped_column(SmallInteger)
    reviewed_at: Mapped[datetime]
    log_json: Mapped[str] = mapped_column(Text)  # fsrs ReviewLog.to_json()


class Delivery(Base):
    """One message the bot sends unasked: a daily prompt or a snoozed one.

    The unique index on (user, local date) for daily prompts is what makes "one prompt a
    day" hold across crashes, restarts and several bot processes.
    """

    __tablename__ = "delivery"
    __table_args__ = (
        Index(
            "uq_delivery_daily_per_day",
            "user_id",
            "local_date",
            unique=True,
            sqlite_where=text("kind = 'daily'"),
            postgresql_where=text("kind = 'daily'"),
        ),
        Index("ix_delivery_status_due", "status", "due_at"),
        Index("ix_delivery_user_sent", "user_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # storage.states.DeliveryKind
    local_date: Mapped[date] = mapped_column(Date)
    due_at: Mapped[datetime]
    # storage.states.DeliveryStatus: pending -> sending -> sent | missed | blocked | failed
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    question_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(16))  # storage.states.PickReason
    message_id: Mapped[int | None] = mapped_column(BigInteger)


class InboxUpdate(Base):
    """An update as the front end received it, kept until it has been handled.

    Telegram counts an update as delivered once the next getUpdates asks past it, which can be
    before the bot has handled it. Recorded here first, an update survives a crash and is
    handled after the restart; once handled, its payload (which holds the user's text) is
    dropped and only the id stays a while, so a redelivered copy is recognised.
    """

    __tablename__ = "inbox_update"
    __table_args__ = (Index("ix_inbox_update_handled", "handled_at"),)

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime]
    handled_at: Mapped[datetime | None]
