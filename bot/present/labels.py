"""The short texts that are not whole messages: button labels, the command list, chart labels,
the reason a typed time or date was refused, the placeholder for a question no longer in the bank.

Whole messages are templates (bot/present/templates); what lives here is the words a front end
puts on a button, in a menu, on a chart or in one line of a message. One home per kind, so a
wording change (or, one day, a translation) touches one file.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal, assert_never

from bot.core.rating import Rating
from bot.core.schedule_time import ScheduleInputError, ScheduleProblem

FrontEnd = Literal["telegram", "terminal"]

# --- commands --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    description: str
    front_ends: tuple[FrontEnd, ...] = ("telegram",)
    # Where the terminal does less than Telegram, it says so in its own words.
    terminal_description: str | None = None


# The order is the order of the Telegram menu and of /help.
_COMMANDS: Final[tuple[Command, ...]] = (
    Command(
        "interview",
        "Start a mock interview (add a topic to focus: /interview agile)",
        ("telegram", "terminal"),
    ),
    Command("cancel", "Stop the running interview; answers so far are kept", ("telegram", "terminal")),
    Command("review", "Practise every question due for review", ("telegram", "terminal")),
    Command(
        "daily",
        "A practice question every day at your time: /daily 07:30 Europe/Berlin",
        ("telegram", "terminal"),
        terminal_description="Your daily-practice setting (daily questions arrive in Telegram only)",
    ),
    Command("topics", "Choose topics for new practice questions", ("telegram", "terminal")),
    Command(
        "level",
        "Your role level, for the questions you get: /level coordinator, pm or senior",
        ("telegram", "terminal"),
    ),
    Command(
        "jobad",
        "Practise for a job ad: /jobad and paste the ad (/jobad off to stop)",
        ("telegram", "terminal"),
    ),
    Command(
        "interviewdate",
        "Count down to your real interview: /interviewdate YYYY-MM-DD",
        ("telegram", "terminal"),
    ),
    Command("settings", "Your preferences: follow-up questions on or off", ("telegram", "terminal")),
    Command(
        "history",
        "Your answers, page by page (add a topic: /history agile)",
        ("telegram", "terminal"),
    ),
    Command(
        "stats",
        "Your progress: streaks, coverage by topic, a chart",
        ("telegram", "terminal"),
        terminal_description="Your progress: streaks, coverage by topic, a chart saved as a PNG file",
    ),
    Command(
        "export",
        "Your whole history as a file: /export, /export html, /export csv",
        ("telegram", "terminal"),
        terminal_description="Your whole history saved as a file here: /export, /export html, /export csv",
    ),
    Command("deletedata", "Delete everything the bot stores about you", ("telegram", "terminal")),
    Command(
        "privacy", "What the bot stores and what, if anything, leaves this server", ("telegram", "terminal")
    ),
    Command("help", "What I can do", ("telegram", "terminal")),
    Command("start", "Introduction"),
    Command(
        "deeper",
        "A deeper review of your last answer by the language model the operator set up",
        ("terminal",),
    ),
    Command("quit", "Leave the chat (your answers are saved; Ctrl-D works too)", ("terminal",)),
)


def commands_for(front_end: FrontEnd) -> tuple[tuple[str, str], ...]:
    """(name, description) pairs for one front end's menu and /help, in menu order."""
    return tuple(
        (
            c.name,
            (c.terminal_description or c.description) if front_end == "terminal" else c.description,
        )
        for c in _COMMANDS
        if front_end in c.front_ends
    )


TELEGRAM_COMMANDS: Final = commands_for("telegram")
TERMINAL_COMMANDS: Final = commands_for("terminal")

# --- ratings ---------------------------------------------------------------------------------------

RATING_LABELS: Final[dict[Rating, str]] = {
    Rating.AGAIN: "Again",
    Rating.HARD: "Hard",
    Rating.GOOD: "Good",
    Rating.EASY: "Easy",
}


def rating_label(rating: Rating | int) -> str:
    """The label of a rating; a value outside the scale (an old row) shows as its number."""
    try:
        return RATING_LABELS[Rating(rating)]
    except ValueError:
        return str(rating)


# --- buttons ---------------------------------------------------------------------------------------

CONTINUE: Final = "Continue"
DEEPER_REVIEW: Final = "Deeper review"
START_NEW: Final = "Start a new one"
SKIP: Final = "Skip"
SNOOZE: Final = "Snooze 1h"
DAILY_OFF: Final = "Turn off"
ALL_TOPICS: Final = "All topics"
FILTER_BY_TOPIC: Final = "Filter by topic"
PREVIOUS_PAGE: Final = "‹ Prev"
NEXT_PAGE: Final = "Next ›"
BACK: Final = "‹ Back"
PRACTISE_AGAIN: Final = "Practise again"
DELETE_EVERYTHING: Final = "Delete everything"
CANCEL: Final = "Cancel"
LEVEL_LABELS: Final[dict[str, str]] = {
    "coordinator": "Coordinator",
    "project_manager": "Project manager",
    "senior": "Senior PM",
}
LEVEL_SKIP: Final = "Skip"
TOPIC_SELECTED: Final = "✅"
TOPIC_UNSELECTED: Final = "▫️"
TRY_AGAIN: Final = "Try again"
FOLLOW_UPS_ON: Final = "Follow-up questions: on"
FOLLOW_UPS_OFF: Final = "Follow-up questions: off"

# --- why a time, time zone, quiet-hours range or interview date was refused ------------------------

TIME_EXAMPLE: Final = "07:30"
ZONE_EXAMPLE: Final = "Europe/Berlin"
QUIET_EXAMPLE: Final = "22:00-07:00"


def _or_list(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def schedule_problem(error: ScheduleInputError) -> str:
    """One line that says what was wrong and names the expected format (schedule_error's first line)."""
    given = f"'{error.given}'"
    match error.problem:
        case ScheduleProblem.TIME_MISSING:
            return f"Please give a time as HH:MM in 24-hour format, e.g. {TIME_EXAMPLE}."
        case ScheduleProblem.NOT_A_TIME:
            return f"{given} is not a time: use HH:MM in 24-hour format, e.g. {TIME_EXAMPLE}."
        case ScheduleProblem.HOUR_OUT_OF_RANGE:
            return f"{given} is not a valid time: hours go from 00 to 23 (HH:MM, e.g. {TIME_EXAMPLE})."
        case ScheduleProblem.MINUTE_OUT_OF_RANGE:
            return f"{given} is not a valid time: minutes go from 00 to 59 (HH:MM, e.g. {TIME_EXAMPLE})."
        case ScheduleProblem.ZONE_MISSING:
            return f"Please give a timezone as an IANA name, e.g. {ZONE_EXAMPLE}."
        case ScheduleProblem.UNKNOWN_ZONE if error.suggestions:
            return f"Unknown timezone {given}. Did you mean {_or_list(error.suggestions)}?"
        case ScheduleProblem.UNKNOWN_ZONE:
            return f"Unknown timezone {given}. Use an IANA name such as {ZONE_EXAMPLE} or America/New_York."
        case ScheduleProblem.QUIET_MISSING:
            return f"Please give quiet hours as HH:MM-HH:MM, e.g. {QUIET_EXAMPLE}."
        case ScheduleProblem.NOT_A_RANGE:
            return (
                f"{given} is not a range of hours: use HH:MM-HH:MM in 24-hour format, e.g. {QUIET_EXAMPLE}."
            )
        case ScheduleProblem.QUIET_BEFORE_DAILY:
            return f"Set a daily time first, e.g. /daily {TIME_EXAMPLE}, then choose quiet hours."
        case ScheduleProblem.NOT_A_DATE:
            return f"{given} is not a date: use YYYY-MM-DD, e.g. {error.example_date}."
        case ScheduleProblem.DATE_PASSED:
            return "That date has passed. Send the date of your next interview."
        case ScheduleProblem.DATE_TOO_FAR:
            return "That is more than two years away; pick a date within two years."
        case _:
            assert_never(error.problem)


# --- why a talking point the answer mentioned did not count (feedback, /history, exports) -----------

POINT_NOT_COUNTED: Final[dict[str, str]] = {
    "listed": "listed, not explained",
    "negated": "you said you wouldn't",
}

# --- a stored answer to a question whose pack was removed since ------------------------------------

REMOVED_TOPIC: Final = "Unknown topic"
REMOVED_QUESTION: Final = "(question {id} is no longer in the question bank)"


def removed_question(question_id: str) -> str:
    return REMOVED_QUESTION.format(id=question_id)


# --- what to call a message the bot cannot assess, by the attribute Telegram fills in ---------------

MEDIA_NAMES: Final[tuple[tuple[str, str], ...]] = (
    ("sticker", "a sticker"),
    ("photo", "a photo"),
    ("voice", "a voice message"),
    ("video_note", "a video message"),
    ("video", "a video"),
    ("audio", "an audio file"),
    ("animation", "a GIF"),
    ("document", "a file"),
    ("location", "a location"),
    ("contact", "a contact"),
    ("poll", "a poll"),
)
OTHER_MEDIA: Final = "that message"

# --- the /stats chart ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChartLabels:
    coverage_heading: str = "Talking points covered"
    topics_heading: str = "By topic, weakest first"
    covered_column: str = "covered"
    answers_column: str = "answers"
    daily_legend: str = "Daily"
    rolling_legend: str = "{days}-day average"
    other_topics: str = "Other topics ({count})"
    one_answer: str = "1 answer"
    answers: str = "{count:,} answers"
    overall: str = " · {percent:.0f}% of talking points"
    no_answers: str = "No answers yet"
    no_answers_hint: str = "Answer a question and your progress\nwill show up here."

    def count(self, n: int) -> str:
        return self.one_answer if n == 1 else self.answers.format(count=n)


CHART: Final = ChartLabels()


def chart_title(display_name: str) -> str:
    return f"{display_name or 'Your'} interview practice"


# --- the terminal's own lines (the rest of what it says comes from the templates) -------------------

TERMINAL_INTRO: Final = (
    "(In this terminal: Enter sends, Alt-Enter or Esc Enter starts a new line, and a pasted block is"
    " one message. Ctrl-C clears the line; /quit, Ctrl-D or Ctrl-C twice leaves.)"
)
TERMINAL_INTRO_PIPE: Final = (
    "(Reading from a pipe: a message is the lines up to a blank line; a command is one line.)"
)
TERMINAL_LINE_CLEARED: Final = "(Line cleared. Press Ctrl-C again, or Ctrl-D, to leave.)"
TERMINAL_RESUMING: Final = "\nYou have an interview in progress — here's where you left off:"
TERMINAL_BYE: Final = "\nBye! Your answers are saved."
TERMINAL_PROMPT: Final = "you> "
# Buttons become numbered choices; the hint closes the line that lists them.
TERMINAL_CHOOSE: Final = "type a number"
TERMINAL_HISTORY_OPEN: Final = "type a number to open that answer with every attempt"
TERMINAL_HISTORY_NEXT: Final = "next"
TERMINAL_HISTORY_PREV: Final = "prev"
TERMINAL_HISTORY_BACK: Final = "back"
TERMINAL_HISTORY_TOPIC: Final = "topic"
TERMINAL_HISTORY_ALL: Final = "all"
TERMINAL_BACK_TO_LIST: Final = "to the list"
TERMINAL_SAVED: Final = "Saved to {path}"
TERMINAL_CHART_SAVED: Final = "Chart saved to {path}"
TERMINAL_NOT_WRITTEN: Final = "I couldn't write {path}: {reason}"


def terminal_choices(options: Sequence[tuple[str, str]], hint: str = TERMINAL_CHOOSE) -> str:
    """Buttons as one line of numbered choices ("1 Again · 2 Hard · 3 Good · 4 Easy — type a
    number"), or one choice per line when there are many."""
    if len(options) > 5:
        return "\n".join(f"  {key}  {label}" for key, label in options) + f"\n  ({hint})"
    return "  " + " · ".join(f"{key} {label}" for key, label in options) + f" — {hint}"
