"""Button payloads: each button declared once, parsed strictly, never trusted.

A button is one frozen dataclass: its fields, the PATTERN its payload must match in full, how
it encodes (`encode`) and how a match becomes the button again (`decode`). `Action` lists them
all; `parse` loops over that list, and the dispatcher in handlers/buttons.py matches on it
exhaustively, so a new button is one class plus one line in `Action`.

Payloads are stateless and must keep parsing after a restart or an upgrade: a message sent
last month still carries its buttons. Never change an existing payload's shape; add a new one.

Every payload names only ids; handlers re-check ownership against the user who pressed, so
forged or forwarded buttons reveal nothing. Telegram caps callback data at 64 bytes; the
longest payload here is 49.
"""

import re
from dataclasses import dataclass
from typing import ClassVar, Final, get_args

from bot.core.rating import Rating

MAX_BYTES: Final = 64
# Ids are INTEGER columns: 64-bit on SQLite but 32-bit on PostgreSQL, where a larger forged id
# would fail the query instead of finding nothing. Payloads still allow 19 digits.
_MAX_ID = 2**31 - 1


def _id(digits: str) -> int | None:
    """A database id, or None past the range every database can store."""
    value = int(digits)
    return value if value <= _MAX_ID else None


def _slug(text: str, none: str) -> str | None:
    return None if text == none else text


@dataclass(frozen=True, slots=True)
class RateAnswer:
    PATTERN: ClassVar = re.compile(r"r:(\d{1,19}):([1-4])")
    answer_id: int
    rating: Rating

    def encode(self) -> str:
        return f"r:{self.answer_id}:{int(self.rating)}"

    @classmethod
    def decode(cls, m: re.Match[str]) -> "RateAnswer | None":
        answer_id = _id(m[1])
        return None if answer_id is None else cls(answer_id, Rating(int(m[2])))


@dataclass(frozen=True, slots=True)
class ContinueInterview:
    PATTERN: ClassVar = re.compile(r"iv:c:(\d{1,19})")
    session_id: int

    def encode(self) -> str:
        return f"iv:c:{self.session_id}"

    @classmethod
    def decode(cls, m: re.Match[str]) -> "ContinueInterview | None":
        session_id = _id(m[1])
        return None if session_id is None else cls(session_id)


@dataclass(frozen=True, slots=True)
class RestartInterview:
    PATTERN: ClassVar = re.compile(r"iv:n:(\d{1,19}):([a-z_]{1,24}|-)")
    session_id: int
    topic: str | None

    def encode(self) -> str:
        return f"iv:n:{self.session_id}:{self.topic or '-'}"

    @classmethod
    def decode(cls, m: re.Match[str]) -> "RestartInterview | None":
        session_id = _id(m[1])
        return None if session_id is None else cls(session_id, _slug(m[2], "-"))


@dataclass(frozen=True, slots=True)
class SkipPrompt:
    PATTERN: ClassVar = re.compile(r"dp:s:(\d{1,19})")
    session_id: int

    def encode(self) -> str:
        return f"dp:s:{self.session_id}"

    @classmethod
    def decode(cls, m: re.Match[str]) -> "SkipPrompt | None":
        session_id = _id(m[1])
        return None if session_id is None else cls(session_id)


@dataclass(frozen=True, slots=True)
class SnoozePrompt:
    PATTERN: ClassVar = re.compile(r"dp:z:(\d{1,19})")
    session_id: int

    def encode(self) -> str:
        return f"dp:z:{self.session_id}"

    @classmethod
    def decode(cls, m: re.Match[str]) -> "SnoozePrompt | None":
        session_id = _id(m[1])
        return None if session_id is None else cls(session_id)


@dataclass(frozen=True, slots=True)
class SetDailyTime:
    """A preset time ("HH:MM"), or None to turn the daily prompt off."""

    PATTERN: ClassVar = re.compile(r"dt:(?:([01]\d|2[0-3])([0-5]\d)|(off))")
    time: str | None

    def encode(self) -> str:
        return f"dt:{self.time.replace(':', '')}" if self.time else "dt:off"

    @classmethod
    def decode(cls, m: re.Match[str]) -> "SetDailyTime":
        return cls(None if m[3] else f"{m[1]}:{m[2]}")


@dataclass(frozen=True, slots=True)
class ToggleTopic:
    """One topic on or off, or None for all topics again."""

    PATTERN: ClassVar = re.compile(r"tp:([a-z_]{1,24}|\*)")
    topic: str | None

    def encode(self) -> str:
        return f"tp:{self.topic or '*'}"

    @classmethod
    def decode(cls, m: re.Match[str]) -> "ToggleTopic":
        return cls(_slug(m[1], "*"))


@dataclass(frozen=True, slots=True)
class HistoryPage:
    PATTERN: ClassVar = re.compile(r"h:(\d{1,6}):([a-z_]{1,24}|-)")
    page: int
    topic: str | None

    def encode(self) -> str:
        return f"h:{self.page}:{self.topic or '-'}"

    @classmethod
    def decode(cls, m: re.Match[str]) -> "HistoryPage":
        return cls(int(m[1]), _slug(m[2], "-"))


@dataclass(frozen=True, slots=True)
class HistoryTopics:
    """Show the topic filter buttons."""

    PATTERN: ClassVar = re.compile(r"h:topics")

    def encode(self) -> str:
        return "h:topics"

    @classmethod
    def decode(cls, m: re.Match[str]) -> "HistoryTopics":
        return cls()


@dataclass(frozen=True, slots=True)
class OpenAnswer:
    PATTERN: ClassVar = re.compile(r"ho:(\d{1,19})")
    answer_id: int

    def encode(self) -> str:
        return f"ho:{self.answer_id}"

    @classmethod
    def decode(cls, m: re.Match[str]) -> "OpenAnswer | None":
        answer_id = _id(m[1])
        return None if answer_id is None else cls(answer_id)


@dataclass(frozen=True, slots=True)
class PractiseAgain:
    PATTERN: ClassVar = re.compile(r"hp:(\d{1,19})")
    answer_id: int

    def encode(self) -> str:
        return f"hp:{self.answer_id}"

    @classmethod
    def decode(cls, m: re.Match[str]) -> "PractiseAgain | None":
        answer_id = _id(m[1])
        return None if answer_id is None else cls(answer_id)


@dataclass(frozen=True, slots=True)
class DeleteData:
    """Confirmed (with when it was asked, in unix seconds, so an old button expires) or cancelled."""

    PATTERN: ClassVar = re.compile(r"dd:(?:(y):(\d{1,12})|(n))")
    confirmed: bool
    asked_at: int = 0

    def encode(self) -> str:
        return f"dd:y:{self.asked_at}" if self.confirmed else "dd:n"

    @classmethod
    def decode(cls, m: re.Match[str]) -> "DeleteData":
        return cls(True, int(m[2])) if m[1] else cls(False)


@dataclass(frozen=True, slots=True)
class SetLevel:
    """A role level (None: "Skip"); `start` when asked before a first interview, which then
    starts on `topic` (None: a full interview)."""

    PATTERN: ClassVar = re.compile(r"lv:([cpsx]):([01]):([a-z_]{1,24}|-)")
    _CODES: ClassVar = {"c": "coordinator", "p": "project_manager", "s": "senior"}
    level: str | None
    start: bool = False
    topic: str | None = None

    def encode(self) -> str:
        code = next((c for c, name in self._CODES.items() if name == self.level), "x")
        return f"lv:{code}:{int(self.start)}:{self.topic or '-'}"

    @classmethod
    def decode(cls, m: re.Match[str]) -> "SetLevel":
        return cls(cls._CODES.get(m[1]), m[2] == "1", _slug(m[3], "-"))


@dataclass(frozen=True, slots=True)
class AskDeeperReview:
    """The "Deeper review" button under an answer's feedback."""

    PATTERN: ClassVar = re.compile(r"dr:(\d{1,19})")
    answer_id: int

    def encode(self) -> str:
        return f"dr:{self.answer_id}"

    @classmethod
    def decode(cls, m: re.Match[str]) -> "AskDeeperReview | None":
        answer_id = _id(m[1])
        return None if answer_id is None else cls(answer_id)


@dataclass(frozen=True, slots=True)
class SkipFollowUp:
    """Skip the follow-up waiting in that session."""

    PATTERN: ClassVar = re.compile(r"iv:k:(\d{1,19})")
    session_id: int

    def encode(self) -> str:
        return f"iv:k:{self.session_id}"

    @classmethod
    def decode(cls, m: re.Match[str]) -> "SkipFollowUp | None":
        session_id = _id(m[1])
        return None if session_id is None else cls(session_id)


@dataclass(frozen=True, slots=True)
class TryAgain:
    """Ask the question of that answer once more, at once."""

    PATTERN: ClassVar = re.compile(r"iv:t:(\d{1,19})")
    answer_id: int

    def encode(self) -> str:
        return f"iv:t:{self.answer_id}"

    @classmethod
    def decode(cls, m: re.Match[str]) -> "TryAgain | None":
        answer_id = _id(m[1])
        return None if answer_id is None else cls(answer_id)


@dataclass(frozen=True, slots=True)
class SetFollowUps:
    """/settings: follow-up questions on or off."""

    PATTERN: ClassVar = re.compile(r"st:fu:([01])")
    enabled: bool

    def encode(self) -> str:
        return f"st:fu:{int(self.enabled)}"

    @classmethod
    def decode(cls, m: re.Match[str]) -> "SetFollowUps":
        return cls(m[1] == "1")


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
    | SetLevel
    | AskDeeperReview
    | SkipFollowUp
    | TryAgain
    | SetFollowUps
)
# The registry `parse` loops over: every member of Action, in declaration order. The patterns
# exclude each other, so the order does not change what a payload means.
BUTTONS: Final[tuple[type[Action], ...]] = get_args(Action)


def parse(data: str | None) -> Action | None:
    """The action a button stands for, or None for anything malformed."""
    # Every payload is ASCII: this also keeps other scripts' digits ("ho:١٢٣") away from the
    # regexes' \d, and a lone surrogate away from str.encode (which would raise).
    if not data or not data.isascii() or len(data) > MAX_BYTES:
        return None
    for button in BUTTONS:
        if m := button.PATTERN.fullmatch(data):
            return button.decode(m)
    return None
