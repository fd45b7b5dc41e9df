"""Values as words: dates, local times, delays, counts, ratings and question texts, for templates
and front ends.

The core hands out aware datetimes, durations and enums; how they read ("Mon 2 Mar, 07:30",
"in 3 hours", "Good") is decided here. Names are English whatever the host's locale.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.interview import RemovedQuestion
from bot.present.labels import rating_label, removed_question
from questions.schema import Question

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_local(at: datetime, tz: ZoneInfo) -> str:
    """The instant on the user's clock, like "Mon 2 Mar, 07:30" (English names, whatever the locale)."""
    # A naive datetime would be read as the host's local time by astimezone(): a silent bug.
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"at must be timezone-aware, got {at!r}")
    local = at.astimezone(tz)
    return f"{_WEEKDAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]}, {local:%H:%M}"


def _count(n: int, unit: str) -> str:
    return f"in {n} {unit}" if n == 1 else f"in {n} {unit}s"


def describe_delay(delta: timedelta) -> str:
    """A duration ahead, like "in 4 days", "in 3 hours", "in 1 minute".

    The largest unit that rounds (half up) to at least one is used, so 36 hours is
    "in 2 days", 23 h 30 min is "in 1 day" and anything under a minute is "in 1 minute".
    """
    if delta < timedelta(0):
        raise ValueError(f"describe_delay needs a duration ahead, got {delta}")
    minutes = (delta + timedelta(seconds=30)) // timedelta(minutes=1)
    if minutes < 60:
        return _count(max(minutes, 1), "minute")
    hours = (delta + timedelta(minutes=30)) // timedelta(hours=1)
    if hours < 24:
        return _count(hours, "hour")
    return _count((delta + timedelta(hours=12)) // timedelta(days=1), "day")


def format_date(value: date | datetime, fmt: str = "%d %b %Y") -> str:
    return value.strftime(fmt)


def shorten(value: str, width: int) -> str:
    value = " ".join(value.split())
    return value if len(value) <= width else value[: width - 1].rstrip() + "…"


def plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def question_text(question: Question) -> str:
    """The question as asked; one no longer in the bank is named by its id."""
    if isinstance(question, RemovedQuestion):
        return removed_question(question.id)
    return question.text


__all__ = [
    "describe_delay",
    "format_date",
    "format_local",
    "plural",
    "question_text",
    "rating_label",
    "shorten",
]
