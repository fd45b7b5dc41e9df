"""Button payloads: every button fits Telegram's 64 bytes at its largest, and parsing is strict."""

import inspect
import typing

import pytest

from bot.core.rating import Rating
from bot.tg import callback_data as cd
from bot.tg.handlers.practice import PRESET_TIMES
from questions.topics import TOPICS

# The largest id a payload carries: PostgreSQL's INTEGER maximum (SQLite's is 2**63 - 1).
MAX_ID = 2**31 - 1
# The longest slug the parser accepts, and the longest topic of the bank.
SLUG_24 = "a_z" * 8
LONGEST_TOPIC = max(TOPICS, key=len)
# Unix seconds with all 12 digits the delete confirmation allows (the year 33658).
MAX_ASKED_AT = 10**12 - 1

ROUND_TRIPS: list[cd.Action] = [
    *[cd.RateAnswer(MAX_ID, r) for r in Rating],
    cd.RateAnswer(1, Rating.AGAIN),
    cd.ContinueInterview(MAX_ID),
    cd.RestartInterview(MAX_ID, SLUG_24),
    cd.RestartInterview(MAX_ID, None),
    cd.SkipPrompt(MAX_ID),
    cd.SnoozePrompt(MAX_ID),
    *[cd.SetDailyTime(t) for t in (*PRESET_TIMES, "00:00", "23:59")],
    cd.SetDailyTime(None),
    cd.ToggleTopic(SLUG_24),
    cd.ToggleTopic(None),
    cd.HistoryPage(999_999, SLUG_24),
    cd.HistoryPage(1, None),
    cd.HistoryTopics(),
    cd.OpenAnswer(MAX_ID),
    cd.PractiseAgain(MAX_ID),
    cd.DeleteData(True, MAX_ASKED_AT),
    cd.DeleteData(False),
    *[
        cd.SetLevel(level, start, SLUG_24)
        for level in ("coordinator", "project_manager", "senior", None)
        for start in (True, False)
    ],
    cd.SetLevel("senior", True, None),
    *[cd.SetLevel("coordinator", True, t) for t in TOPICS],
    cd.AskDeeperReview(MAX_ID),
    cd.AskDeeperReview(1),
    cd.SkipFollowUp(MAX_ID),
    cd.TryAgain(MAX_ID),
    cd.SetFollowUps(True),
    cd.SetFollowUps(False),
    # Every topic of the bank, in every payload that names one.
    *[cd.ToggleTopic(t) for t in TOPICS],
    *[cd.HistoryPage(1, t) for t in TOPICS],
    *[cd.RestartInterview(1, t) for t in TOPICS],
]


@pytest.mark.parametrize("action", ROUND_TRIPS, ids=[a.encode() for a in ROUND_TRIPS])
def test_largest_payloads_fit_and_round_trip(action: cd.Action) -> None:
    data = action.encode()
    assert 1 <= len(data.encode("utf-8")) <= cd.MAX_BYTES == 64
    assert cd.parse(data) == action
    # Exactly one registered button claims the payload: the patterns exclude each other.
    assert [b for b in cd.BUTTONS if b.PATTERN.fullmatch(data)] == [type(action)]


def test_every_button_is_registered_and_covered() -> None:
    declared = {
        cls
        for _, cls in inspect.getmembers(cd, inspect.isclass)
        if cls.__module__ == cd.__name__ and hasattr(cls, "PATTERN")
    }
    assert declared == set(typing.get_args(cd.Action)) == set(cd.BUTTONS)
    assert len(cd.BUTTONS) == len(set(cd.BUTTONS))
    assert set(cd.BUTTONS) == {type(action) for action in ROUND_TRIPS}


# Payloads as earlier versions wrote them, byte for byte: buttons already sent must keep working
# after an upgrade, so these strings may never change meaning.
SENT_BEFORE: list[tuple[str, cd.Action]] = [
    ("r:12:3", cd.RateAnswer(12, Rating.GOOD)),
    ("iv:c:7", cd.ContinueInterview(7)),
    ("iv:n:7:agile", cd.RestartInterview(7, "agile")),
    ("iv:n:7:-", cd.RestartInterview(7, None)),
    ("dp:s:9", cd.SkipPrompt(9)),
    ("dp:z:9", cd.SnoozePrompt(9)),
    ("dt:0730", cd.SetDailyTime("07:30")),
    ("dt:off", cd.SetDailyTime(None)),
    ("tp:risk", cd.ToggleTopic("risk")),
    ("tp:*", cd.ToggleTopic(None)),
    ("h:2:-", cd.HistoryPage(2, None)),
    ("h:1:agile", cd.HistoryPage(1, "agile")),
    ("h:topics", cd.HistoryTopics()),
    ("ho:42", cd.OpenAnswer(42)),
    ("hp:42", cd.PractiseAgain(42)),
    ("dd:y:1764000000", cd.DeleteData(True, 1_764_000_000)),
    ("dd:n", cd.DeleteData(False)),
    ("dr:42", cd.AskDeeperReview(42)),
]


@pytest.mark.parametrize(("data", "action"), SENT_BEFORE, ids=[d for d, _ in SENT_BEFORE])
def test_payloads_already_sent_keep_their_meaning(data: str, action: cd.Action) -> None:
    assert cd.parse(data) == action
    assert action.encode() == data


def test_the_longest_payload_is_well_under_the_limit() -> None:
    longest = max((a.encode() for a in ROUND_TRIPS), key=lambda d: len(d.encode()))
    assert longest == cd.RestartInterview(MAX_ID, SLUG_24).encode()
    assert len(longest.encode()) == 40
    assert len(cd.RateAnswer(MAX_ID, Rating.EASY).encode()) == 14
    assert len(LONGEST_TOPIC) == len("stakeholders") == len("requirements")


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "zzz",
        # one past the largest id, and a 20-digit id
        f"ho:{MAX_ID + 1}",
        f"hp:{MAX_ID + 1}",
        f"r:{MAX_ID + 1}:3",
        f"iv:c:{MAX_ID + 1}",
        f"iv:n:{MAX_ID + 1}:-",
        f"dp:s:{MAX_ID + 1}",
        f"dp:z:{MAX_ID + 1}",
        "ho:" + "9" * 20,
        "ho:",
        "ho:-1",
        "ho:1.5",
        "ho:1e3",
        "ho: 1",
        " ho:1",
        "ho:1 ",
        "ho:1\n",
        "HO:1",
        "ho:1:2",
        "hp:",
        "hp:x",
        "r:1",
        "r:1:0",
        "r:1:5",
        "r::3",
        "iv:c:",
        "iv:n:1",
        "iv:n:1:Agile",
        "dp:x:1",
        "dp:s:1:2",
        "dp:sz:1",
        "iv:c:agile",
        "h:topics:1",
        "dt:2400",
        "dt:0860",
        "dt:800",
        "dt:08:00",
        "dt:off:",
        "dt:",
        "tp:",
        "tp:Agile",
        "tp:agile-x",
        "tp:**",
        "tp:" + "a" * 25,
        "h:",
        "h:1",
        "h:1:",
        "h::-",
        "h:-1:-",
        "h:1000000:-",
        "h:1:" + "a" * 25,
        "h:1:agile;drop",
        "h:topics:",
        "h:topic",
        "dd:",
        "dd:y",
        "dd:y:",
        "dd:y:1234567890123",
        "dd:n:1",
        "dd:x",
        # overlong: Telegram would not deliver it; the parser refuses it before any regex
        "ho:" + "1" * 62,
        "h:1:-" + " " * 60,
        # non-ASCII: other scripts' digits, look-alike letters, invisible characters
        "ho:١٢٣",
        "ho:１２",
        "hp:٣",
        "r:٣:1",
        "h:١:-",
        "dd:y:١٢",
        "dt:0٨00",
        "iv:c:๑",
        "tp:agilé",
        "tp:аgile",  # Cyrillic а
        "h:1:-\u200b",
        "ho:1\x00",
        "я" * 40,
        "\ud800",
        "ho:\udc31",
    ],
)
def test_malformed_payloads_parse_to_none(data: str | None) -> None:
    assert cd.parse(data) is None


def test_leading_zeros_name_the_same_id() -> None:
    # Not produced by any encoder, but harmless: the handler re-checks ownership of the id anyway.
    assert cd.parse("ho:007") == cd.OpenAnswer(7)
    assert cd.parse("h:0:-") == cd.HistoryPage(0, None)  # clamped to page 1 by the history query
