"""Plain records the repositories return: no ORM state leaks past storage."""

from dataclasses import dataclass
from datetime import date, datetime


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
    status: str
    kind: str
    started_at: datetime
    asked_at: datetime

    @property
    def pending_question_id(self) -> str | None:
        if self.status != "active" or self.position >= len(self.question_ids):
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


@dataclass(frozen=True, slots=True)
class PracticeProfile:
    """What the daily-practice rules need to know about one user."""

    user_id: int
    chat_id: int | None
    is_active: bool
    timezone: str | None
    topics: tuple[str, ...] | None
    interview_date: date | None


@dataclass(frozen=True, slots=True)
class ScheduleRecord:
    user_id: int
    enabled: bool
    local_time: str
    quiet_start: str
    quiet_end: str
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
    kind: str
    local_date: date
    due_at: datetime
    status: str
    attempts: int
    question_id: str | None
