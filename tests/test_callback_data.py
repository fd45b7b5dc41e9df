"""Button payloads: every encoder fits Telegram's 64 bytes at its largest, and parsing is strict."""

import inspect
import typing

import pytest

from bot.core.rating import Rating
from bot.tg import callback_data as cd
from bot.tg.handlers.practice import PRESET_TIMES
from questions.topics import TOPICS

# The largest id a payload carries: SQLite's and PostgreSQL's BIGINT maximum, 19 digits.
MAX_ID = 2**63 - 1
# The longest slug the parser accepts, and the longest topic of the bank.
SLUG_24 = "a_z" * 8
LONGEST_TOPIC = max(TOPICS, key=len)
# Unix seconds with all 12 digits the delete confirmation allows (the year 33658).
MAX_ASKED_AT = 10**12 - 1

ROUND_TRIPS: list[tuple[str, str, cd.Action]] = [
    *[("rate", cd.rate(MAX_ID, r), cd.RateAnswer(MAX_ID, r)) for r in Rating],
    ("rate", cd.rate(1, Rating.AGAIN), cd.RateAnswer(1, Rating.AGAIN)),
    ("continue_interview", cd.continue_interview(MAX_ID), cd.ContinueInterview(MAX_ID)),
    ("restart_interview", cd.restart_interview(MAX_ID, SLUG_24), cd.RestartInterview(MAX_ID, SLUG_24)),
    ("restart_interview", cd.restart_interview(MAX_ID, None), cd.RestartInterview(MAX_ID, None)),
    ("skip_prompt", cd.skip_prompt(MAX_ID), cd.SkipPrompt(MAX_ID)),
    ("snooze_prompt", cd.snooze_prompt(MAX_ID), cd.SnoozePrompt(MAX_ID)),
    *[("daily_time", cd.daily_time(t), cd.SetDailyTime(t)) for t in (*PRESET_TIMES, "00:00", "23:59")],
    ("daily_time", cd.daily_time(None), cd.SetDailyTime(None)),
    ("toggle_topic", cd.toggle_topic(SLUG_24), cd.ToggleTopic(SLUG_24)),
    ("toggle_topic", cd.toggle_topic(None), cd.ToggleTopic(None)),
    ("history_page", cd.history_page(999_999, SLUG_24), cd.HistoryPage(999_999, SLUG_24)),
    ("history_page", cd.history_page(1, None), cd.HistoryPage(1, None)),
    ("HISTORY_TOPICS", cd.HISTORY_TOPICS, cd.HistoryTopics()),
    ("open_answer", cd.open_answer(MAX_ID), cd.OpenAnswer(MAX_ID)),
    ("practise_again", cd.practise_again(MAX_ID), cd.PractiseAgain(MAX_ID)),
    ("delete_data", cd.delete_data(MAX_ASKED_AT), cd.DeleteData(True, MAX_ASKED_AT)),
    ("delete_data", cd.delete_data(None), cd.DeleteData(False)),
    # Every topic of the bank, in every payload that names one.
    *[("toggle_topic", cd.toggle_topic(t), cd.ToggleTopic(t)) for t in TOPICS],
    *[("history_page", cd.history_page(1, t), cd.HistoryPage(1, t)) for t in TOPICS],
    *[("restart_interview", cd.restart_interview(1, t), cd.RestartInterview(1, t)) for t in TOPICS],
]


@pytest.mark.parametrize(("encoder", "data", "action"), ROUND_TRIPS, ids=[d for _, d, _ in ROUND_TRIPS])
def test_largest_payloads_fit_and_round_trip(encoder: str, data: str, action: cd.Action) -> None:
    assert 1 <= len(data.encode("utf-8")) <= 64
    assert cd.parse(data) == action


def test_every_encoder_and_action_is_covered() -> None:
    encoders = {
        name
        for name, fn in inspect.getmembers(cd, inspect.isfunction)
        if fn.__module__ == cd.__name__ and name != "parse" and not name.startswith("_")
    }
    assert encoders | {"HISTORY_TOPICS"} == {name for name, _, _ in ROUND_TRIPS}
    assert set(typing.get_args(cd.Action)) == {type(action) for _, _, action in ROUND_TRIPS}


def test_the_longest_payload_is_well_under_the_limit() -> None:
    longest = max((data for _, data, _ in ROUND_TRIPS), key=lambda d: len(d.encode()))
    assert longest == cd.restart_interview(MAX_ID, SLUG_24)
    assert len(longest.encode()) == 49
    assert len(cd.rate(MAX_ID, Rating.EASY)) == 23
    assert LONGEST_TOPIC == "stakeholders"


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
