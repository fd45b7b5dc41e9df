"""The pure time rules behind daily prompts, quiet hours and the catch-up after downtime.

Expected instants were worked out by hand from the 2026 transitions:
Europe/Berlin   CET +01 -> CEST +02 on 2026-03-29 at 01:00 UTC (02:00 -> 03:00 local),
                CEST +02 -> CET +01 on 2026-10-25 at 01:00 UTC (03:00 -> 02:00 local);
America/New_York EST -05 -> EDT -04 on 2026-03-08 at 07:00 UTC (02:00 -> 03:00 local),
                EDT -04 -> EST -05 on 2026-11-01 at 06:00 UTC (02:00 -> 01:00 local).
So 02:30 does not exist on either spring-forward day, 02:30 happens twice in Berlin
on 2026-10-25, and in New York it is 01:30 that happens twice on 2026-11-01.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.schedule_time import (
    QuietHours,
    ScheduleInputError,
    ScheduleProblem,
    catch_up,
    days_until,
    local_date,
    next_prompt_at,
    parse_daily_time,
    parse_quiet_hours,
    parse_timezone,
)
from bot.present.filters import describe_delay, format_local

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
KIRITIMATI = ZoneInfo("Pacific/Kiritimati")  # UTC+14 all year
UTC_MINUS_12 = ZoneInfo("Etc/GMT+12")  # POSIX sign: Etc/GMT+12 is UTC-12
TOKYO = ZoneInfo("Asia/Tokyo")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# --- parse_daily_time ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7:30", time(7, 30)),
        ("07:30", time(7, 30)),
        ("19:05", time(19, 5)),
        ("0:00", time(0, 0)),
        ("23:59", time(23, 59)),
        ("  07:30 \n", time(7, 30)),
    ],
)
def test_parse_daily_time_accepts_24_hour_times(text: str, expected: time) -> None:
    assert parse_daily_time(text) == expected


def problem_of(error: ScheduleInputError) -> tuple[ScheduleProblem, str, tuple[str, ...]]:
    return error.problem, error.given, error.suggestions


# The words for each problem are checked in tests/test_render.py.
@pytest.mark.parametrize(
    ("text", "problem", "given"),
    [
        ("25:00", ScheduleProblem.HOUR_OUT_OF_RANGE, "25:00"),
        ("24:00", ScheduleProblem.HOUR_OUT_OF_RANGE, "24:00"),
        (" 7:60 ", ScheduleProblem.MINUTE_OUT_OF_RANGE, "7:60"),
        ("abc", ScheduleProblem.NOT_A_TIME, "abc"),
        ("7.30", ScheduleProblem.NOT_A_TIME, "7.30"),
        ("7:5", ScheduleProblem.NOT_A_TIME, "7:5"),
        ("07:30:00", ScheduleProblem.NOT_A_TIME, "07:30:00"),
        ("7:30pm", ScheduleProblem.NOT_A_TIME, "7:30pm"),
        ("123:00", ScheduleProblem.NOT_A_TIME, "123:00"),
        ("-1:30", ScheduleProblem.NOT_A_TIME, "-1:30"),
        # Arabic-Indic digits: int() would read them, the ASCII-only pattern does not.
        ("٠٧:٣٠", ScheduleProblem.NOT_A_TIME, "٠٧:٣٠"),
        # Quoted back on one line, shortened.
        ("07:30\nrm -rf", ScheduleProblem.NOT_A_TIME, "07:30 rm -rf"),
        ("9" * 60, ScheduleProblem.NOT_A_TIME, "9" * 39 + "…"),
        ("", ScheduleProblem.TIME_MISSING, ""),
        ("   ", ScheduleProblem.TIME_MISSING, ""),
    ],
)
def test_parse_daily_time_says_what_is_wrong(text: str, problem: ScheduleProblem, given: str) -> None:
    with pytest.raises(ScheduleInputError) as caught:
        parse_daily_time(text)
    assert problem_of(caught.value) == (problem, given, ())
    assert isinstance(caught.value, ValueError)


# --- parse_timezone -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("EUROPE/BERLIN", "Europe/Berlin"),
        ("UTC", "UTC"),
        ("utc", "UTC"),
        ("America/New York", "America/New_York"),
        ("america/new_york", "America/New_York"),
        ("  Pacific/Kiritimati ", "Pacific/Kiritimati"),
        ("etc/gmt+12", "Etc/GMT+12"),
    ],
)
def test_parse_timezone_is_case_insensitive_and_canonical(text: str, key: str) -> None:
    zone = parse_timezone(text)
    assert zone.key == key
    assert zone is ZoneInfo(key)  # the canonical, cached zone: it compares equal everywhere


UNKNOWN = ScheduleProblem.UNKNOWN_ZONE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Europe/Berln", (UNKNOWN, "Europe/Berln", ("Europe/Berlin",))),
        ("europe/berlinn", (UNKNOWN, "europe/berlinn", ("Europe/Berlin",))),
        ("Eurpoe/London", (UNKNOWN, "Eurpoe/London", ("Europe/London",))),
        ("US/Eastrn", (UNKNOWN, "US/Eastrn", ("US/Eastern",))),
        ("berlin", (UNKNOWN, "berlin", ("Europe/Berlin",))),
        ("new york", (UNKNOWN, "new york", ("America/New_York",))),
        ("Mars/Base", (UNKNOWN, "Mars/Base", ())),
        # Paths and host-specific names never reach the filesystem lookup.
        ("../etc/passwd", (UNKNOWN, "../etc/passwd", ())),
        ("/usr/share/zoneinfo/Europe/Berlin", (UNKNOWN, "/usr/share/zoneinfo/Europe/Berlin", ())),
        ("localtime", (UNKNOWN, "localtime", ())),
        ("x" * 60, (UNKNOWN, "x" * 39 + "…", ())),
        ("", (ScheduleProblem.ZONE_MISSING, "", ())),
        ("  ", (ScheduleProblem.ZONE_MISSING, "", ())),
    ],
)
def test_parse_timezone_rejects_unknown_names_helpfully(
    text: str, expected: tuple[ScheduleProblem, str, tuple[str, ...]]
) -> None:
    with pytest.raises(ScheduleInputError) as caught:
        parse_timezone(text)
    assert problem_of(caught.value) == expected


# --- next_prompt_at across daylight-saving changes -----------------------------------------------


@pytest.mark.parametrize(
    ("tz", "local_time", "after", "expected"),
    [
        # Berlin, spring forward: 02:30 does not exist on 03-29 and arrives at 03:00 CEST (01:00 UTC).
        (BERLIN, time(2, 30), utc(2026, 3, 27, 12), utc(2026, 3, 28, 1, 30)),
        (BERLIN, time(2, 30), utc(2026, 3, 28, 12), utc(2026, 3, 29, 1, 0)),
        (BERLIN, time(2, 30), utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 30)),
        (BERLIN, time(7, 30), utc(2026, 3, 28, 12), utc(2026, 3, 29, 5, 30)),
        # Berlin, fall back: 02:30 happens at 00:30 UTC (CEST) and 01:30 UTC (CET); only the first counts.
        (BERLIN, time(2, 30), utc(2026, 10, 24, 12), utc(2026, 10, 25, 0, 30)),
        (BERLIN, time(2, 30), utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)),
        (BERLIN, time(2, 30), utc(2026, 10, 25, 1, 15), utc(2026, 10, 26, 1, 30)),
        (BERLIN, time(7, 30), utc(2026, 10, 24, 12), utc(2026, 10, 25, 6, 30)),
        # New York, spring forward: 02:30 does not exist on 03-08 and arrives at 03:00 EDT (07:00 UTC).
        (NEW_YORK, time(2, 30), utc(2026, 3, 6, 12), utc(2026, 3, 7, 7, 30)),
        (NEW_YORK, time(2, 30), utc(2026, 3, 7, 12), utc(2026, 3, 8, 7, 0)),
        (NEW_YORK, time(2, 30), utc(2026, 3, 8, 7, 0), utc(2026, 3, 9, 6, 30)),
        # New York, fall back: 01:30 happens at 05:30 UTC (EDT) and 06:30 UTC (EST); 02:30 only once.
        (NEW_YORK, time(1, 30), utc(2026, 10, 31, 12), utc(2026, 11, 1, 5, 30)),
        (NEW_YORK, time(1, 30), utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)),
        (NEW_YORK, time(2, 30), utc(2026, 10, 31, 12), utc(2026, 11, 1, 7, 30)),
        (NEW_YORK, time(7, 30), utc(2026, 11, 1, 0, 0), utc(2026, 11, 1, 12, 30)),
    ],
)
def test_next_prompt_at_across_dst(
    tz: ZoneInfo, local_time: time, after: datetime, expected: datetime
) -> None:
    got = next_prompt_at(local_time, tz, after)
    assert got == expected
    assert got.tzinfo is UTC


@pytest.mark.parametrize(
    ("tz", "local_time", "day", "expected"),
    [
        (BERLIN, time(2, 30), date(2026, 3, 29), utc(2026, 3, 29, 1, 0)),
        (BERLIN, time(2, 30), date(2026, 10, 25), utc(2026, 10, 25, 0, 30)),
        (NEW_YORK, time(2, 30), date(2026, 3, 8), utc(2026, 3, 8, 7, 0)),
        (NEW_YORK, time(1, 30), date(2026, 11, 1), utc(2026, 11, 1, 5, 30)),
        (NEW_YORK, time(2, 30), date(2026, 11, 1), utc(2026, 11, 1, 7, 30)),
    ],
)
def test_a_dst_day_gets_its_prompt_exactly_once_whenever_the_sweep_asks(
    tz: ZoneInfo, local_time: time, day: date, expected: datetime
) -> None:
    # Ask from every 5 minutes over two days around the change, as restarts at any moment would.
    start = datetime.combine(day - timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    answers = {next_prompt_at(local_time, tz, start + timedelta(minutes=5 * i)) for i in range(2 * 24 * 12)}
    on_that_day = {a for a in answers if local_date(a, tz) == day}
    assert on_that_day == {expected}


# The spring-forward gap in each zone, where a prompt time in [02:00, 03:00) moves to 03:00.
GAP_DAYS = {"Europe/Berlin": date(2026, 3, 29), "America/New_York": date(2026, 3, 8)}


@pytest.mark.parametrize("tz", [BERLIN, NEW_YORK, KIRITIMATI, UTC_MINUS_12], ids=str)
@pytest.mark.parametrize(
    "local_time", [time(0, 0), time(1, 30), time(2, 0), time(2, 30), time(7, 30), time(23, 59)]
)
def test_400_days_give_one_prompt_per_local_date_at_the_wall_time(tz: ZoneInfo, local_time: time) -> None:
    after = datetime(2026, 1, 1, tzinfo=tz).astimezone(UTC)
    expected_day = date(2026, 1, 1)
    if local_time == time(0, 0):
        expected_day += timedelta(days=1)  # strictly after local midnight on 01-01
    gap_day = GAP_DAYS.get(tz.key)
    for _ in range(400):
        prompt = next_prompt_at(local_time, tz, after)
        assert prompt > after
        assert prompt.tzinfo is UTC
        local = prompt.astimezone(tz)
        assert local.date() == expected_day
        in_gap = expected_day == gap_day and time(2, 0) <= local_time < time(3, 0)
        assert local.time() == (time(3, 0) if in_gap else local_time)
        assert local.fold == 0
        after, expected_day = prompt, expected_day + timedelta(days=1)
    assert expected_day == date(2027, 2, 5) + timedelta(days=1 if local_time == time(0, 0) else 0)


def test_fall_back_prompts_use_the_summer_offset_of_the_first_occurrence() -> None:
    berlin = next_prompt_at(time(2, 30), BERLIN, utc(2026, 10, 24, 12)).astimezone(BERLIN)
    new_york = next_prompt_at(time(1, 30), NEW_YORK, utc(2026, 10, 31, 12)).astimezone(NEW_YORK)
    assert (berlin.utcoffset(), berlin.tzname()) == (timedelta(hours=2), "CEST")
    assert (new_york.utcoffset(), new_york.tzname()) == (timedelta(hours=-4), "EDT")


def test_a_date_the_zone_skipped_gets_no_prompt() -> None:
    # Samoa moved across the date line: 2011-12-29 (UTC-10) was followed by 2011-12-31 (UTC+14).
    apia = ZoneInfo("Pacific/Apia")
    prompts = [utc(2011, 12, 28, 12)]
    for _ in range(4):
        prompts.append(next_prompt_at(time(7, 30), apia, prompts[-1]))
    assert prompts[1:] == [
        utc(2011, 12, 28, 17, 30),
        utc(2011, 12, 29, 17, 30),
        utc(2011, 12, 30, 17, 30),
        utc(2011, 12, 31, 17, 30),
    ]
    assert [local_date(p, apia) for p in prompts[1:]] == [
        date(2011, 12, 28),
        date(2011, 12, 29),
        date(2011, 12, 31),
        date(2012, 1, 1),
    ]


# --- The far ends of the offsets: UTC+14 and UTC-12 ---------------------------------------------


def test_one_instant_is_three_dates_at_the_edges_of_the_world() -> None:
    at = utc(2026, 6, 1, 11)
    assert local_date(at, KIRITIMATI) == date(2026, 6, 2)  # 01:00 on the 2nd
    assert local_date(at, ZoneInfo("UTC")) == date(2026, 6, 1)
    assert local_date(at, UTC_MINUS_12) == date(2026, 5, 31)  # 23:00 on the 31st


@pytest.mark.parametrize(
    ("tz", "local_time", "expected"),
    [
        # Local 06-02 01:00: today's 07:30 is still ahead and falls on 06-01 in UTC.
        (KIRITIMATI, time(7, 30), utc(2026, 6, 1, 17, 30)),
        (KIRITIMATI, time(0, 30), utc(2026, 6, 2, 10, 30)),
        # Local 05-31 23:00: 07:30 is tomorrow (06-01) locally, 19:30 on 06-01 in UTC.
        (UTC_MINUS_12, time(7, 30), utc(2026, 6, 1, 19, 30)),
        (UTC_MINUS_12, time(23, 30), utc(2026, 6, 1, 11, 30)),
        (UTC_MINUS_12, time(20, 0), utc(2026, 6, 2, 8, 0)),
    ],
)
def test_next_prompt_at_far_from_utc(tz: ZoneInfo, local_time: time, expected: datetime) -> None:
    assert next_prompt_at(local_time, tz, utc(2026, 6, 1, 11)) == expected


@pytest.mark.parametrize(
    ("tz", "expected"),
    [(KIRITIMATI, 0), (ZoneInfo("UTC"), 1), (UTC_MINUS_12, 2)],
    ids=str,
)
def test_days_until_counts_from_the_users_own_date(tz: ZoneInfo, expected: int) -> None:
    assert days_until(date(2026, 6, 2), utc(2026, 6, 1, 11), tz) == expected


# --- Changing the time or the timezone ----------------------------------------------------------


@pytest.mark.parametrize(
    ("local_time", "zone", "expected"),
    [
        (time(9, 0), "Europe/Berlin", utc(2026, 6, 1, 7, 0)),  # still ahead today
        (time(7, 45), "Europe/Berlin", utc(2026, 6, 2, 5, 45)),  # passed at 08:00: tomorrow
        (time(8, 0), "Europe/Berlin", utc(2026, 6, 2, 6, 0)),  # due right now: strictly after, so tomorrow
        (time(7, 30), "America/New_York", utc(2026, 6, 1, 11, 30)),  # 02:00 there: today
        (time(7, 30), "Asia/Tokyo", utc(2026, 6, 1, 22, 30)),  # 15:00 there: tomorrow
    ],
)
def test_changing_time_or_zone_recomputes_from_now(local_time: time, zone: str, expected: datetime) -> None:
    # The user had 07:30 Europe/Berlin; it is now 08:00 in Berlin on 2026-06-01 and they change it.
    now = utc(2026, 6, 1, 6, 0)
    assert next_prompt_at(local_time, parse_timezone(zone), now) == expected


# --- Quiet hours --------------------------------------------------------------------------------


def test_quiet_hours_default_to_22_to_7() -> None:
    assert QuietHours() == QuietHours(time(22, 0), time(7, 0))
    assert str(QuietHours()) == "22:00-07:00"
    assert not QuietHours().off
    assert QuietHours(time(7, 0), time(7, 0)).off


NIGHT = QuietHours()
LUNCH = QuietHours(time(13, 0), time(14, 0))
NONE = QuietHours(time(0, 0), time(0, 0))


@pytest.mark.parametrize(
    ("quiet", "at", "expected"),
    [
        # Berlin in June is UTC+2: local = UTC + 2 hours.
        (NIGHT, utc(2026, 6, 1, 19, 59), False),  # 21:59
        (NIGHT, utc(2026, 6, 1, 20, 0), True),  # 22:00
        (NIGHT, utc(2026, 6, 1, 21, 30), True),  # 23:30
        (NIGHT, utc(2026, 6, 1, 22, 0), True),  # 00:00
        (NIGHT, utc(2026, 6, 2, 4, 59), True),  # 06:59
        (NIGHT, utc(2026, 6, 2, 5, 0), False),  # 07:00
        (NIGHT, utc(2026, 6, 2, 10, 0), False),  # 12:00
        (LUNCH, utc(2026, 6, 1, 10, 59), False),  # 12:59
        (LUNCH, utc(2026, 6, 1, 11, 0), True),  # 13:00
        (LUNCH, utc(2026, 6, 1, 11, 59), True),  # 13:59
        (LUNCH, utc(2026, 6, 1, 12, 0), False),  # 14:00
        (LUNCH, utc(2026, 6, 1, 21, 0), False),  # 23:00
        (NONE, utc(2026, 6, 1, 1, 0), False),  # 03:00
        (NONE, utc(2026, 6, 1, 22, 0), False),  # 00:00
    ],
)
def test_quiet_hours_contains(quiet: QuietHours, at: datetime, expected: bool) -> None:
    assert quiet.contains(at, BERLIN) is expected


@pytest.mark.parametrize(
    ("quiet", "tz", "at", "expected"),
    [
        (NIGHT, BERLIN, utc(2026, 6, 1, 21, 0), utc(2026, 6, 2, 5, 0)),  # 23:00 -> 07:00 next day
        (NIGHT, BERLIN, utc(2026, 6, 2, 1, 0), utc(2026, 6, 2, 5, 0)),  # 03:00 -> 07:00 same day
        (LUNCH, BERLIN, utc(2026, 6, 1, 11, 30), utc(2026, 6, 1, 12, 0)),  # 13:30 -> 14:00
        # Across the changes: the night is an hour shorter in spring and an hour longer in autumn.
        (NIGHT, BERLIN, utc(2026, 3, 28, 22, 0), utc(2026, 3, 29, 5, 0)),  # 23:00 CET -> 07:00 CEST
        (NIGHT, BERLIN, utc(2026, 10, 24, 21, 0), utc(2026, 10, 25, 6, 0)),  # 23:00 CEST -> 07:00 CET
        (NIGHT, NEW_YORK, utc(2026, 3, 8, 4, 0), utc(2026, 3, 8, 11, 0)),  # 23:00 EST -> 07:00 EDT
        (NIGHT, NEW_YORK, utc(2026, 11, 1, 3, 0), utc(2026, 11, 1, 12, 0)),  # 23:00 EDT -> 07:00 EST
        # An end that falls in the gap ends with the gap: 01:30 CET -> 03:00 CEST.
        (QuietHours(time(1, 0), time(2, 30)), BERLIN, utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 0)),
        # An end that happens twice: each pass through the repeated hour ends at its own 02:30.
        (QuietHours(time(0, 0), time(2, 30)), BERLIN, utc(2026, 10, 24, 23, 0), utc(2026, 10, 25, 0, 30)),
        (QuietHours(time(0, 0), time(2, 30)), BERLIN, utc(2026, 10, 25, 1, 10), utc(2026, 10, 25, 1, 30)),
    ],
)
def test_defer_moves_a_quiet_instant_to_the_end_of_quiet_hours(
    quiet: QuietHours, tz: ZoneInfo, at: datetime, expected: datetime
) -> None:
    assert quiet.contains(at, tz)
    deferred = quiet.defer(at, tz)
    assert deferred == expected
    assert deferred.tzinfo is UTC
    assert not quiet.contains(deferred, tz)


@pytest.mark.parametrize("quiet", [NIGHT, LUNCH, NONE])
def test_defer_leaves_an_instant_outside_quiet_hours_alone(quiet: QuietHours) -> None:
    at = datetime(2026, 6, 1, 9, 15, tzinfo=BERLIN)
    assert quiet.defer(at, BERLIN) is at


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("22:00-07:00", NIGHT),
        ("13:00 - 14:00", LUNCH),
        ("22:00–07:00", NIGHT),
        (" 0:00-0:00 ", NONE),
    ],
)
def test_parse_quiet_hours(text: str, expected: QuietHours) -> None:
    assert parse_quiet_hours(text) == expected


@pytest.mark.parametrize(
    ("text", "problem", "given"),
    [
        ("", ScheduleProblem.QUIET_MISSING, ""),
        (" \n ", ScheduleProblem.QUIET_MISSING, ""),
        ("22:00", ScheduleProblem.NOT_A_RANGE, "22:00"),
        # One problem for the whole range, not one about half of it.
        ("22:00-25:00", ScheduleProblem.NOT_A_RANGE, "22:00-25:00"),
        ("22-07", ScheduleProblem.NOT_A_RANGE, "22-07"),
        ("22:00-07:00-08:00", ScheduleProblem.NOT_A_RANGE, "22:00-07:00-08:00"),
        ("off", ScheduleProblem.NOT_A_RANGE, "off"),
    ],
)
def test_parse_quiet_hours_errors(text: str, problem: ScheduleProblem, given: str) -> None:
    with pytest.raises(ScheduleInputError) as caught:
        parse_quiet_hours(text)
    assert problem_of(caught.value) == (problem, given, ())


# --- The grace window after downtime -------------------------------------------------------------

DUE = utc(2026, 6, 1, 5, 30)
GRACE = timedelta(minutes=120)


@pytest.mark.parametrize(
    ("now", "grace", "expected"),
    [
        (DUE, GRACE, "send"),
        (DUE + timedelta(minutes=119), GRACE, "send"),
        (DUE + GRACE, GRACE, "send"),  # exactly grace late: still sent
        (DUE + GRACE + timedelta(seconds=1), GRACE, "missed"),
        (DUE + timedelta(days=3), GRACE, "missed"),
        (DUE, timedelta(0), "send"),
        (DUE + timedelta(seconds=1), timedelta(0), "missed"),
        # The same instants written in another zone decide the same way.
        (datetime(2026, 6, 1, 9, 30, tzinfo=BERLIN), GRACE, "send"),
        (datetime(2026, 6, 1, 9, 30, 1, tzinfo=BERLIN), GRACE, "missed"),
    ],
)
def test_catch_up_sends_within_grace_else_records_missed(
    now: datetime, grace: timedelta, expected: str
) -> None:
    assert catch_up(DUE, now, grace) == expected


@pytest.mark.parametrize(
    ("due_at", "now", "grace"),
    [
        (DUE, DUE - timedelta(seconds=1), GRACE),  # not due yet: the sweep should not have claimed it
        (DUE, DUE, -GRACE),
        (DUE.replace(tzinfo=None), DUE, GRACE),
        (DUE, DUE.replace(tzinfo=None), GRACE),
    ],
)
def test_catch_up_refuses_nonsense(due_at: datetime, now: datetime, grace: timedelta) -> None:
    with pytest.raises(ValueError):
        catch_up(due_at, now, grace)


# --- Interview countdown -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 6, 1, 10, 0), 9),
        (utc(2026, 6, 9, 21, 59), 1),  # 23:59 on the 9th in Berlin
        (utc(2026, 6, 9, 22, 0), 0),  # midnight: the day itself
        (utc(2026, 6, 10, 21, 59), 0),
        (utc(2026, 6, 10, 22, 0), -1),  # the day after
    ],
)
def test_days_until_interview(now: datetime, expected: int) -> None:
    assert days_until(date(2026, 6, 10), now, BERLIN) == expected


# --- Formatting ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "tz", "expected"),
    [
        (utc(2026, 3, 2, 6, 30), BERLIN, "Mon 2 Mar, 07:30"),
        (utc(2026, 3, 29, 1, 0), BERLIN, "Sun 29 Mar, 03:00"),
        (utc(2026, 10, 25, 0, 30), BERLIN, "Sun 25 Oct, 02:30"),
        (utc(2026, 11, 1, 5, 30), NEW_YORK, "Sun 1 Nov, 01:30"),
        (utc(2026, 12, 31, 12, 0), KIRITIMATI, "Fri 1 Jan, 02:00"),
        (utc(2026, 6, 1, 11, 0), UTC_MINUS_12, "Sun 31 May, 23:00"),
    ],
)
def test_format_local(at: datetime, tz: ZoneInfo, expected: str) -> None:
    assert format_local(at, tz) == expected


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(0), "in 1 minute"),
        (timedelta(seconds=89), "in 1 minute"),
        (timedelta(seconds=90), "in 2 minutes"),
        (timedelta(minutes=45), "in 45 minutes"),
        (timedelta(minutes=59, seconds=29), "in 59 minutes"),
        (timedelta(minutes=59, seconds=30), "in 1 hour"),
        (timedelta(hours=3), "in 3 hours"),
        (timedelta(hours=3, minutes=29), "in 3 hours"),
        (timedelta(hours=3, minutes=30), "in 4 hours"),
        (timedelta(hours=23, minutes=29, seconds=59), "in 23 hours"),
        (timedelta(hours=23, minutes=30), "in 1 day"),
        (timedelta(days=1), "in 1 day"),
        (timedelta(hours=35, minutes=59), "in 1 day"),
        (timedelta(hours=36), "in 2 days"),
        (timedelta(days=4), "in 4 days"),
        (timedelta(days=100), "in 100 days"),
    ],
)
def test_describe_delay(delta: timedelta, expected: str) -> None:
    assert describe_delay(delta) == expected


def test_describe_delay_refuses_the_past() -> None:
    with pytest.raises(ValueError):
        describe_delay(timedelta(seconds=-1))


# --- Naive datetimes are bugs, not input --------------------------------------------------------

NAIVE = datetime(2026, 6, 1, 8, 0)  # noqa: DTZ001 - the point of these tests


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_prompt_at(time(7, 30), BERLIN, NAIVE)
    with pytest.raises(ValueError, match="timezone-aware"):
        local_date(NAIVE, BERLIN)
    with pytest.raises(ValueError, match="timezone-aware"):
        NIGHT.contains(NAIVE, BERLIN)
    with pytest.raises(ValueError, match="timezone-aware"):
        format_local(NAIVE, BERLIN)
    with pytest.raises(ValueError, match="must be naive"):
        next_prompt_at(time(7, 30, tzinfo=UTC), BERLIN, utc(2026, 6, 1))
    with pytest.raises(ValueError, match="must be naive"):
        QuietHours(time(22, 0, tzinfo=UTC), time(7, 0))
