"""Plain records the repositories return: no ORM state leaks past storage."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from storage.states import DeliveryKind, DeliveryStatus, SessionKind, SessionStatus


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: int
    external_id: str
    chat_id: int | None
    display_name: str
    is_active: bool


@dataclass(frozen=True, slots=True)
class SessionRecord:
    id: int
    user_id: int
    topic: str | None
    question_ids: tuple[str, ...]
    position: int
    status: SessionStatus
    kind: SessionKind
    started_at: datetime
    asked_at: datetime
    # A follow-up waiting for its answer (the answer it follows up, the probe's stored form).
    probe_answer_id: int | None = None
    probe: str | None = None
    # A question re-asked by Try again before the pending one.
    retry_question_id: str | None = None

    @property
    def pending_question_id(self) -> str | None:
        if self.status != SessionStatus.ACTIVE or self.position >= len(self.question_ids):
            return None
        return self.question_ids[self.position]


@dataclass(frozen=True, slots=True)
class NewAnswer:
    user_id: int
    session_id: int | None
    position: int | None
    question_id: str
    text: str
    word_count: int
    covered: tuple[int, ...]
    points_total: int
    asked_at: datetime
    answered_at: datetime
    seconds_taken: int
    source_message_id: int | None
    # The feedback as a JSON-ready dict (bot.core.feedback.stored); None when there is none.
    analysis: dict[str, Any] | None = None
    # A spoken answer (text is its transcript): the voice's Telegram file id and its seconds.
    voice_file_id: str | None = None
    voice_seconds: int | None = None
    # The Telegram date of the message (None where a front end has none).
    last_part_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    id: int
    user_id: int
    session_id: int | None
    position: int | None
    question_id: str
    text: str
    word_count: int
    covered: tuple[int, ...]
    points_total: int
    answered_at: datetime
    seconds_taken: int
    rating: int | None
    # None for answers stored before the analysis was kept (or when it failed).
    analysis: dict[str, Any] | None = None
    voice_seconds: int | None = None
    # The language model's review, when one was asked for (bot.core.review_model).
    deeper_review: dict[str, Any] | None = None
    # The follow-up asked after it (stored form), the answer to it and what that answer covered.
    probe: str | None = None
    probe_answer: str | None = None
    probe_covered: tuple[int, ...] | None = None
    probe_analysis: dict[str, Any] | None = None
    probe_answered_at: datetime | None = None
    # The messages the answer arrived in: how many, the latest one's id and Telegram date.
    parts: int = 1
    last_message_id: int | None = None
    last_part_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PracticeProfile:
    """What the daily-practice rules need to know about one user."""

    user_id: int
    chat_id: int | None
    is_active: bool
    timezone: str | None
    topics: tuple[str, ...] | None
    interview_date: date | None
    # Picking for the user's level and job ad: None when not set (see storage.models.User).
    level: str | None = None
    topic_weights: dict[str, int] | None = None


@dataclass(frozen=True, slots=True)
class ScheduleRecord:
    user_id: int
    enabled: bool
    local_time: time
    quiet_start: time
    quiet_end: time
    next_due_at: datetime | None


@dataclass(frozen=True, slots=True)
class CardRecord:
    question_id: str
    state_json: str
    due_at: datetime
    last_rating: int
    last_review_at: datetime
    review_count: int


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    id: int
    user_id: int
    kind: DeliveryKind
    local_date: date
    due_at: datetime
    status: DeliveryStatus
    attempts: int
    question_id: str | None


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One line of a history page: the answer's opening words, not its whole text."""

    id: int
    question_id: str
    answered_at: datetime
    covered: tuple[int, ...]
    points_total: int
    rating: int | None
    excerpt: str


@dataclass(frozen=True, slots=True)
class StatRow:
    """The compact per-answer facts stats need; the covered indexes are only counted."""

    answered_at: datetime
    question_id: str
    covered: int
    points_total: int
    rating: int | None


@dataclass(frozen=True, slots=True)
class OffsetSpan:
    """A time zone's UTC offset in seconds, from the previous span's end until `until`
    (exclusive; None: no end). A list of them, oldest first, covers a range of instants."""

    until: datetime | None
    seconds: int


@dataclass(frozen=True, slots=True)
class StatSeries:
    """A user's answers oldest first, as parallel columns (thousands of rows: no object each)."""

    # The local date of each answer in the user's time zone.
    days: list[date]
    question_ids: Sequence[str]
    # Points covered (the follow-up's included) and asked.
    covered: Sequence[int]
    points_total: Sequence[int]
    ratings: Sequence[int | None]


@dataclass(frozen=True, slots=True)
class ReviewsDue:
    due_now: int
    # The earliest review still to come (after now); None when nothing is scheduled later.
    next_at: datetime | None
