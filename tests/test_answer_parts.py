"""When a message continues the previous answer (bot.core.interview.continues): a table of cases."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.interview import PART_WINDOW, continues

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the previous part's Telegram date


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("sent", "next_sent", "replied", "expected"),
    [
        # Written before the next question was sent: the same answer, however late it arrives.
        (at(3), at(4), at(1), True),
        (at(600), at(900), at(1), True),
        # A quick second message, the next question sent in reply to the first part.
        (at(8), at(1), at(1), True),
        (at(PART_WINDOW.total_seconds()), at(1), at(1), True),
        # Past the window: an answer to what waits now.
        (at(PART_WINDOW.total_seconds() + 1), at(1), at(1), False),
        # Within the window of the previous part, but the waiting question was asked again since
        # (Continue, /interview, Try again): the user is answering it on purpose.
        (at(8), at(5), at(1), False),
        # Within the window of the previous part but long after the next question was sent:
        # impossible in practice, and then the question wins.
        (at(15), at(-30), at(-30), False),
    ],
    ids=["before-next", "backlog", "quick", "window-edge", "past-window", "asked-again", "late-question"],
)
def test_continues(sent: datetime, next_sent: datetime, replied: datetime, expected: bool) -> None:
    assert continues(sent, T0, next_sent, replied) is expected
