"""The states and kinds stored as short strings, as StrEnums so mypy checks every use.

The values are the stored strings (partial indexes match on 'active' and 'daily'), so
changing one needs a data migration; a StrEnum member compares equal to its string.
"""

from enum import StrEnum


class SessionKind(StrEnum):
    INTERVIEW = "interview"  # a mock interview
    DAILY = "daily"  # one pushed practice question
    REVIEW = "review"  # /review: every question due now


class SessionStatus(StrEnum):
    ACTIVE = "active"  # at most one per user (uq_interview_session_active_user)
    FINISHED = "finished"
    CANCELLED = "cancelled"
    REPLACED = "replaced"  # a daily prompt that gave way to a newer one or a review
    SKIPPED = "skipped"
    SNOOZED = "snoozed"


class DeliveryKind(StrEnum):
    DAILY = "daily"  # one per user and local day (uq_delivery_daily_per_day)
    SNOOZE = "snooze"


class DeliveryStatus(StrEnum):
    """pending -> sending -> sent | missed | blocked | failed"""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    MISSED = "missed"
    BLOCKED = "blocked"
    FAILED = "failed"


class PickReason(StrEnum):
    """Why a practice question was chosen; stored in delivery.reason."""

    REVIEW = "review"
    NEW = "new"
    WEAKEST = "weakest"
    AGAIN = "again"  # asked by name ("Practise again"), answered before but never rated
