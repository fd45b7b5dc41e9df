"""Button payloads: encoded here, parsed strictly, never trusted.

Every payload names only ids; handlers re-check ownership against the user who
pressed, so forged or forwarded buttons reveal nothing. Telegram caps callback
data at 64 bytes; the longest payload here is well under 40.
"""

import re
from dataclasses import dataclass

from bot.core.rating import Rating

_MAX_ID = 2**63 - 1
_RATE = re.compile(r"r:(\d{1,19}):([1-4])")
_CONTINUE = re.compile(r"iv:c:(\d{1,19})")
_RESTART = re.compile(r"iv:n:(\d{1,19}):([a-z_]{1,24}|-)")
_PROMPT = re.compile(r"dp:([sz]):(\d{1,19})")
_DAILY_TIME = re.compile(r"dt:(?:([01]\d|2[0-3])([0-5]\d)|(off))")
_TOPIC = re.compile(r"tp:([a-z_]{1,24}|\*)")
_HISTORY_PAGE = re.compile(r"h:(\d{1,6}):([a-z_]{1,24}|-)")
_HISTORY_TOPICS = re.compile(r"h:topics")
_OPEN_ANSWER = re.compile(r"ho:(\d{1,19})")
_PRACTISE_AGAIN = re.compile(r"hp:(\d{1,19})")
_DELETE = re.compile(r"dd:(?:(y):(\d{1,12})|(n))")


@dataclass(frozen=True, slots=True)
class RateAnswer:
    answer_id: int
    rating: Rating


@dataclass(frozen=True, slots=True)
class ContinueInterview:
    session_id: int


@dataclass(frozen=True, slots=True)
class RestartInterview:
    session_id: int
    topic: str | None


@dataclass(frozen=True, slots=True)
class SkipPrompt:
    session_id: int


@dataclass(frozen=True, slots=True)
class SnoozePrompt:
    session_id: int


@dataclass(frozen=True, slots=True)
class SetDailyTime:
    """A preset time ("HH:MM"), or None to turn the daily prompt off."""

    time: str | None


@dataclass(frozen=True, slots=True)
class ToggleTopic:
    """One topic on or off, or None for all topics again."""

    topic: str | None


@dataclass(frozen=True, slots=True)
class HistoryPage:
    page: int
    topic: str | None


@dataclass(frozen=True, slots=True)
class HistoryTopics:
    """Show the topic filter buttons."""


@dataclass(frozen=True, slots=True)
class OpenAnswer:
    answer_id: int


@dataclass(frozen=True, slots=True)
class PractiseAgain:
    answer_id: int


@dataclass(frozen=True, slots=True)
class DeleteData:
    """Confirmed (with when it was asked, so an old button expires) or cancelled."""

    confirmed: bool
    asked_at: int = 0


Action = (
    RateAnswer
    | ContinueInterview
    | RestartInterview
    | SkipPrompt
    | SnoozePrompt
    | SetDailyTime
    | ToggleTopic
    | HistoryPage
    | HistoryTopics
    | OpenAnswer
    | PractiseAgain
    | DeleteData
)


def rate(answer_id: int, rating: Rating) -> str:
    return f"r:{answer_id}:{int(rating)}"


def continue_interview(session_id: int) -> str:
    return f"iv:c:{session_id}"


def restart_interview(session_id: int, topic: str | None) -> str:
    return f"iv:n:{session_id}:{topic or '-'}"


def skip_prompt(session_id: int) -> str:
    return f"dp:s:{session_id}"


def snooze_prompt(session_id: int) -> str:
    return f"dp:z:{session_id}"


def daily_time(hhmm: str | None) -> str:
    return f"dt:{hhmm.replace(':', '')}" if hhmm else "dt:off"


def toggle_topic(topic: str | None) -> str:
    return f"tp:{topic or '*'}"


def history_page(page: int, topic: str | None) -> str:
    return f"h:{page}:{topic or '-'}"


HISTORY_TOPICS = "h:topics"


def open_answer(answer_id: int) -> str:
    return f"ho:{answer_id}"


def practise_again(answer_id: int) -> str:
    return f"hp:{answer_id}"


def delete_data(asked_at: int | None) -> str:
    """`asked_at` (unix seconds) confirms; None cancels."""
    return f"dd:y:{asked_at}" if asked_at is not None else "dd:n"


def parse(data: str | None) -> Action | None:
    """The action a button stands for, or None for anything malformed."""
    # Every payload is ASCII: this also keeps other scripts' digits ("ho:١٢٣") away from the
    # regexes' \d, and a lone surrogate away from str.encode (which would raise).
    if not data or not data.isascii() or len(data) > 64:
        return None
    if m := _RATE.fullmatch(data):
        answer_id = int(m.group(1))
        return RateAnswer(answer_id, Rating(int(m.group(2)))) if answer_id <= _MAX_ID else None
    if m := _CONTINUE.fullmatch(data):
        session_id = int(m.group(1))
        return ContinueInterview(session_id) if session_id <= _MAX_ID else None
    if m := _RESTART.fullmatch(data):
        session_id = int(m.group(1))
        topic = None if m.group(2) == "-" else m.group(2)
        return RestartInterview(session_id, topic) if session_id <= _MAX_ID else None
    if m := _PROMPT.fullmatch(data):
        session_id = int(m.group(2))
        if session_id > _MAX_ID:
            return None
        return SkipPrompt(session_id) if m.group(1) == "s" else SnoozePrompt(session_id)
    if m := _DAILY_TIME.fullmatch(data):
        return SetDailyTime(None if m.group(3) else f"{m.group(1)}:{m.group(2)}")
    if m := _TOPIC.fullmatch(data):
        return ToggleTopic(None if m.group(1) == "*" else m.group(1))
    if m := _HISTORY_PAGE.fullmatch(data):
        return HistoryPage(int(m.group(1)), None if m.group(2) == "-" else m.group(2))
    if _HISTORY_TOPICS.fullmatch(data):
        return HistoryTopics()
    if m := _OPEN_ANSWER.fullmatch(data):
        answer_id = int(m.group(1))
        return OpenAnswer(answer_id) if answer_id <= _MAX_ID else None
    if m := _PRACTISE_AGAIN.fullmatch(data):
        answer_id = int(m.group(1))
        return PractiseAgain(answer_id) if answer_id <= _MAX_ID else None
    if m := _DELETE.fullmatch(data):
        return DeleteData(True, int(m.group(2))) if m.group(1) else DeleteData(False)
    return None
