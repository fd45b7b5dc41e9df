"""ORM tables. Queries live in repositories.py; this module only declares."""

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    text,
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
    topic: Mapped[str | None] = mapped_column(String(32))
    question_ids: Mapped[list[Any]]
    # 0-based index into question_ids of the question waiting for an answer.
    position: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="active")
    started_at: Mapped[datetime]
    asked_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class Answer(Base):
    __tablename__ = "answer"
    __table_args__ = (
        Index("ix_answer_user_answered", "user_id", "answered_at"),
        Index("ix_answer_user_question", "user_id", "question_id"),
        Index("ix_answer_user_message", "user_id", "source_message_id"),
        # A redelivered update can never record a second answer to the same question.
        Index("uq_answer_session_position", "session_id", "position", unique=True),
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
