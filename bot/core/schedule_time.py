"""Pure time rules for daily prompts and reviews: no database, no Telegram.

Everything here takes the current instant as an argument and returns values, so
the sweep, the handlers and the tests all share one set of rules. Instants are
aware datetimes (returned in UTC, `datetime.UTC`); wall-clock values the user
chooses are naive `time`s read in the user's `ZoneInfo`.

Daylight-saving rules, decided once here:
- A wall time that does not exist on a spring-forward day (02:30 in Europe/Berlin
  on 2026-03-29) resolves to the first instant after the gap (03:00 local), so the
  prompt still arrives once that day, as early as the day allows.
- A wall time that happens twice on a fall-back day resolves to its first
  occurrence (fold=0) for the daily prompt, which therefore arrives once.
- A date on which the wall time cannot fall at all (Pacific/Apia skipped the whole
  of 2011-12-30) gets no prompt: a prompt must land on the local date it is for.

Comparing two aware datetimes that share one tzinfo object compares wall times and
ignores fold (PEP 495), so every comparison below is made in UTC.
"""

import difflib
import functools
import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# ASCII digits only: \d would also accept Arabic-Indic or full-width digits.
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})")
# An en dash or a hyphen between two times, spaces allowed around it.
_QUIET = re.compile(r"\s*([^\s\-–]+)\s*[-–]\s*([^\s\-–]+)\s*")
# Names the tz database ships that are not places a user lives in: "localtime" is
# whatever the host is set to, "posixrules" is a template, "Factory" means "unset".
_NOT_USER_ZONES = frozenset({"localtime", "posixrules", "Factory"})
_SHOWN_CHARS = 40
_SUGGESTIONS = 3
_SUGGEST_CUTOFF = 0.75


class ScheduleProblem(StrEnum):
    """What was wrong with a time, time zone, quiet-hours range or interview date a user typed."""

    TIME_MISSING = "time_missing"
    NOT_A_TIME = "not_a_time"
    HOUR_OUT_OF_RANGE = "hour_out_of_range"
    MINUTE_OUT_OF_RANGE = "minute_out_of_range"
    ZONE_MISSING = "zone_missing"
    UNKNOWN_ZONE = "unknown_zone"
    QUIET_MISSING = "quiet_missing"
    NOT_A_RANGE = "not_a_range"
    # Quiet hours belong to a daily schedule, which does not exist yet.
    QUIET_BEFORE_DAILY = "quiet_before_daily"
    NOT_A_DATE = "not_a_date"
    DATE_PASSED = "date_passed"
    DATE_TOO_FAR = "date_too_far"


class ScheduleInputError(ValueError):
    """A user typed a time, time zone, quiet-hours range or date we cannot use.

    A typed outcome, not a sentence: the front ends word it (bot/present/labels.py).
    `given` is the input as it may be quoted back (one line, shortened; "" when nothing
    was typed), `suggestions` the zones the user may have meant, `example_date` a date
    to show in the expected format.
    """

    def __init__(
        self,
        problem: ScheduleProblem,
        *,
        given: str = "",
        suggestions: tuple[str, ...] = (),
        example_date: date | None = None,
    ) -> None:
        super().__init__(f"{problem}: {given!r}")
        self.problem = problem
        self.given = given
        self.suggestions = suggestions
        self.example_date = example_date


def _shown(text: str) -> str:
    """The user's input, on one line and short enough to quote back."""
    one_line = " ".join(text.split())
    if len(one_line) > _SHOWN_CHARS:
        return one_line[: _SHOWN_CHARS - 1] + "…"
    return one_line


def _require_aware(at: datetime, name: str) -> None:
    # A naive datetime here would be read as the host's local time by astimezone(): a silent bug.
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {at!r}")


def _require_wall_time(value: time, name: str) -> None:
    if value.tzinfo is not None:
        raise ValueError(f"{name} is a wall-clock time and must be naive, got {value!r}")


# --- Parsing user input -------------------------------------------------------------------------


def parse_daily_time(text: str) -> time:
    """Read "7:30", "07:30" or "19:05" (24-hour H:MM or HH:MM) as a wall-clock time."""
    stripped = text.strip()
    if not stripped:
        raise ScheduleInputError(ScheduleProblem.TIME_MISSING)
    match = _TIME.fullmatch(stripped)
    if match is None:
        raise ScheduleInputError(ScheduleProblem.NOT_A_TIME, given=_shown(text))
    hour, minute = int(match[1]), int(match[2])
    if hour > 23:
        raise ScheduleInputError(ScheduleProblem.HOUR_OUT_OF_RANGE, given=stripped)
    if minute > 59:
        raise ScheduleInputError(ScheduleProblem.MINUTE_OUT_OF_RANGE, given=stripped)
    return time(hour, minute)


@functools.cache
def _zone_names() -> dict[str, str]:
    """Every IANA zone name the host knows, keyed by its lower-case form.

    available_timezones() walks the whole database on disk (about 0.15 s), so it runs
    once, on first use rather than at import. Only names found here are ever opened,
    which also keeps paths such as "../etc/passwd" away from ZoneInfo.
    """
    return {name.lower(): name for name in available_timezones() if name not in _NOT_USER_ZONES}


def _normalise_zone(name: str) -> str:
    # People write "America/New York" and "europe / berlin"; the database uses underscores.
    parts = [" ".join(part.split()).replace(" ", "_") for part in name.strip().split("/")]
    return "/".join(parts).lower()


def _suggest_zones(key: str) -> list[str]:
    names = _zone_names()
    region, _, city = key.rpartition("/")
    hits: list[str] = []
    if region:
        # Most typos are in the city; comparing whole names would also offer Europe/Dublin for Europe/Berln.
        cities = {n.rpartition("/")[2]: n for n in names if n.rpartition("/")[0] == region}
        hits = [cities[c] for c in difflib.get_close_matches(city, cities, _SUGGESTIONS, _SUGGEST_CUTOFF)]
        if not hits:
            hits = difflib.get_close_matches(key, names, _SUGGESTIONS, _SUGGEST_CUTOFF)
    else:
        # A bare city ("berlin", "new york"): offer the zones named after it, then near spellings.
        by_city: dict[str, list[str]] = {}
        for n in names:
            if "/" in n:
                by_city.setdefault(n.rpartition("/")[2], []).append(n)
        hits = sorted(by_city.get(key, []))
        if not hits:
            close = difflib.get_close_matches(key, by_city, _SUGGESTIONS, _SUGGEST_CUTOFF)
            hits = [n for c in close for n in sorted(by_city[c])]
        if not hits:
            hits = difflib.get_close_matches(key, names, _SUGGESTIONS, _SUGGEST_CUTOFF)
    return [names[h] for h in hits[:_SUGGESTIONS]]


def parse_timezone(name: str) -> ZoneInfo:
    """An IANA timezone by name, case-insensitively ("europe/berlin" gives Europe/Berlin; "UTC" works)."""
    if not name.strip():
        raise ScheduleInputError(ScheduleProblem.ZONE_MISSING)
    key = _normalise_zone(name)
    canonical = _zone_names().get(key)
    if canonical is not None:
        try:
            return ZoneInfo(canonical)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            # Listed but unreadable (a broken file on the host): treat as unknown rather than crash.
            pass
    raise ScheduleInputError(
        ScheduleProblem.UNKNOWN_ZONE, given=_shown(name), suggestions=tuple(_suggest_zones(key))
    )


# --- Wall clock to instants ---------------------------------------------------------------------


def _offset(at: datetime) -> timedelta:
    offset = at.utcoffset()
    assert offset is not None  # every datetime here carries a ZoneInfo or UTC
    return offset


def _gap_end(wall: datetime, tz: tzinfo) -> datetime:
    """The first instant after the DST gap that swallows the nonexistent wall time `wall`.

    In a gap, fold=1 reads the wall time with the offset after the transition (an
    instant before it) and fold=0 with the offset before (an instant after it); the
    transition lies between the two. tzdb transitions fall on whole seconds, so a
    binary search over seconds finds it exactly.
    """
    before = wall.replace(fold=1).astimezone(UTC)
    after = wall.replace(fold=0).astimezone(UTC)
    old_offset = _offset(before.astimezone(tz))
    lo, hi = math.floor(before.timestamp()), math.ceil(after.timestamp())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _offset(datetime.fromtimestamp(mid, UTC).astimezone(tz)) == old_offset:
            lo = mid
        else:
            hi = mid
    return datetime.fromtimestamp(hi, UTC)


def _occurrences(day: date, wall_time: time, tz: tzinfo) -> list[datetime]:
    """The UTC instants at which `tz`'s clock shows `wall_time` on `day`, earliest first.

    Two on a fall-back day, one on an ordinary day; in a spring-forward gap, the
    instant the gap ends, or none if that instant is already on a later date.
    """
    wall = datetime.combine(day, wall_time, tzinfo=tz)
    first = wall.replace(fold=0).astimezone(UTC)
    second = wall.replace(fold=1).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) != wall.replace(tzinfo=None):
        end = _gap_end(wall, tz)
        return [end] if end.astimezone(tz).date() == day else []
    return [first] if first == second else [first, second]


def next_prompt_at(local_time: time, tz: ZoneInfo, after: datetime) -> datetime:
    """The first instant strictly after `after` at which the daily prompt is due, in UTC.

    That is when the clock in `tz` shows `local_time`, once per local date: a
    nonexistent time moves to the end of the gap, a repeated one uses its first
    occurrence (see the module docstring). Feeding the result back in gives the
    next local date's prompt.
    """
    _require_wall_time(local_time, "local_time")
    _require_aware(after, "after")
    after_utc = after.astimezone(UTC)
    today = after_utc.astimezone(tz).date()
    # Today or tomorrow almost always; a few more days only if a zone skipped whole dates.
    for days in range(4):
        found = _occurrences(today + timedelta(days=days), local_time, tz)
        if found and found[0] > after_utc:
            return found[0]
    raise ValueError(f"{tz} shows {local_time} on none of the four days after {after_utc}")


def local_date(at: datetime, tz: ZoneInfo) -> date:
    """The user's calendar date at the instant `at`."""
    _require_aware(at, "at")
    return at.astimezone(tz).date()


# --- Quiet hours --------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuietHours:
    """Local hours during which nothing unasked is sent: [start, end), wrapping midnight if end < start.

    start == end means no quiet hours. The daily prompt at the user's chosen time ignores them.
    """

    start: time = time(22, 0)
    end: time = time(7, 0)

    def __post_init__(self) -> None:
        _require_wall_time(self.start, "start")
        _require_wall_time(self.end, "end")

    @property
    def off(self) -> bool:
        return self.start == self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def contains(self, at: datetime, tz: ZoneInfo) -> bool:
        """Whether the clock in `tz` shows a quiet time at the instant `at`."""
        _require_aware(at, "at")
        wall = at.astimezone(tz).time()
        if self.off:
            return False
        if self.start < self.end:
            return self.start <= wall < self.end
        return wall >= self.start or wall < self.end

    def defer(self, at: datetime, tz: ZoneInfo) -> datetime:
        """`at` itself if it is not quiet, else the UTC instant the quiet hours end locally.

        The end is the first instant after `at` when the clock shows `end`: the end of
        the gap if `end` does not exist that day, and on a fall-back day whichever
        occurrence comes first after `at` (quiet hours that repeat do end twice).
        """
        if not self.contains(at, tz):
            return at
        at_utc = at.astimezone(UTC)
        today = at_utc.astimezone(tz).date()
        for days in range(4):
            for instant in _occurrences(today + timedelta(days=days), self.end, tz):
                if instant > at_utc:
                    return instant
        raise ValueError(f"{tz} shows {self.end} on none of the four days after {at_utc}")


def parse_quiet_hours(text: str) -> QuietHours:
    """Read "22:00-07:00" (HH:MM-HH:MM; an en dash and spaces are fine; equal ends mean none)."""
    if not text.strip():
        raise ScheduleInputError(ScheduleProblem.QUIET_MISSING)
    match = _QUIET.fullmatch(text)
    if match is not None:
        try:
            return QuietHours(parse_daily_time(match[1]), parse_daily_time(match[2]))
        except ScheduleInputError:
            pass  # one message for the whole range reads better than one about half of it
    raise ScheduleInputError(ScheduleProblem.NOT_A_RANGE, given=_shown(text))


# --- Sweep decisions and countdowns -------------------------------------------------------------


def catch_up(due_at: datetime, now: datetime, grace: timedelta) -> Literal["send", "missed"]:
    """Whether a prompt that fell due at `due_at` is still worth sending at `now`.

    At most `grace` late (the boundary included) it is sent; later it is recorded as
    missed, so a long outage ends without a burst of stale prompts.
    """
    _require_aware(due_at, "due_at")
    _require_aware(now, "now")
    if grace < timedelta(0):
        raise ValueError(f"grace must not be negative, got {grace}")
    if now < due_at:
        raise ValueError(f"the prompt is not due yet: due_at {due_at} is after now {now}")
    return "send" if now - due_at <= grace else "missed"


def days_until(interview_date: date, now: datetime, tz: ZoneInfo) -> int:
    """Whole local days from today to the interview: 0 on the day itself, negative after it."""
    return (interview_date - local_date(now, tz)).days
