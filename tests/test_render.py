"""Templates escape what users typed; long messages split without breaking HTML."""

import ast
import html
import re
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.core.feedback import FeedbackMatcher
from bot.core.interview import (
    Answered,
    Identity,
    InterviewSummary,
    QuestionPrompt,
    RemovedQuestion,
    SummaryItem,
)
from bot.core.rating import Rating
from bot.core.schedule_time import ScheduleInputError, ScheduleProblem
from bot.core.services import Services
from bot.present import labels
from bot.present.feedback import feedback_message
from bot.present.render import render, split_message, to_plain
from questions.loader import QuestionBank
from storage.records import NewAnswer
from tests.conftest import FakeClock

_TAG = re.compile(r"<(/?)([a-z-]+)[^>]*>")


def balanced(chunk: str) -> bool:
    stack: list[str] = []
    for closing, name in _TAG.findall(chunk):
        if closing:
            if not stack or stack.pop() != name:
                return False
        else:
            stack.append(name)
    return not stack


@pytest.mark.parametrize(
    "hostile", ["<script>alert(1)</script>", "a < b & c", "</b>", "&amp; &lt;", "x\u202ey"]
)
def test_user_text_is_escaped(hostile: str) -> None:
    out = render("unknown_command", command=hostile)
    assert html.escape(hostile, quote=False) in out
    assert "<script>" not in out
    assert balanced(out)
    assert hostile in to_plain(out)


def test_split_respects_limit_and_keeps_tags_balanced() -> None:
    lines = [f"<b>Line {i}</b> with &amp; entity and <i>italic {i}</i> words" for i in range(600)]
    text = "\n".join(lines)
    chunks = split_message(text, 1000)
    assert len(chunks) > 1
    for chunk in chunks:
        assert len(chunk) <= 1000
        assert balanced(chunk)
        assert not re.search(r"&[a-z]*$", chunk)  # no entity cut in half
    assert to_plain("\n".join(chunks)).split() == to_plain(text).split()


def test_split_cuts_a_single_huge_line_inside_a_tag() -> None:
    text = "<b>" + "word " * 3000 + "</b>"
    chunks = split_message(text, 4096)
    assert len(chunks) == 4
    assert all(len(c) <= 4096 and balanced(c) and c.startswith("<b>") for c in chunks)
    assert sum(c.count("word") for c in chunks) == 3000


def test_short_text_is_untouched() -> None:
    assert split_message("<b>hi</b>") == ["<b>hi</b>"]


# ---- one home for each kind of text -------------------------------------------------------------

TG = Path(__file__).resolve().parent.parent / "bot" / "tg"


def _has_words(node: ast.expr) -> bool:
    """A string literal with letters in it, alone or as a piece of an f-string."""
    parts = node.values if isinstance(node, ast.JoinedStr) else [node]
    return any(
        isinstance(p, ast.Constant) and isinstance(p.value, str) and re.search(r"[^\W\d_]", p.value)
        for p in parts
    )


def test_buttons_take_their_labels_from_the_labels_module() -> None:
    """A button whose label is a string literal in a handler would be a second home for labels."""
    literal: list[str] = []
    for path in sorted(TG.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", "")) == "InlineKeyboardButton"
                and node.args
                and _has_words(node.args[0])
            ):
                literal.append(f"{path.name}:{node.lineno}")
    assert literal == []


def test_one_command_list_serves_both_front_ends() -> None:
    telegram, terminal = dict(labels.TELEGRAM_COMMANDS), dict(labels.TERMINAL_COMMANDS)
    # Telegram only: /start (the terminal greets by itself).
    telegram_only = {"start"}
    assert list(terminal) == [name for name in telegram if name not in telegram_only] + ["deeper", "quit"]
    # Shared commands keep one description, except where the terminal does less or otherwise.
    assert {n for n in terminal.keys() & telegram.keys() if terminal[n] != telegram[n]} == {
        "daily",
        "stats",
        "export",
    }
    assert "quit" not in telegram
    # Telegram's limits for setMyCommands: 1-32 lowercase characters, descriptions up to 256.
    for name, description in labels.TELEGRAM_COMMANDS:
        assert re.fullmatch(r"[a-z0-9_]{1,32}", name) and 1 <= len(description) <= 256


def test_every_rating_has_a_label_and_an_old_value_shows_as_its_number() -> None:
    assert [labels.rating_label(r) for r in Rating] == ["Again", "Hard", "Good", "Easy"]
    assert labels.rating_label(9) == "9"
    rated = SimpleNamespace(rating=Rating.HARD, next_review_in=timedelta(hours=3))
    assert render("rated", rated=rated) == "Saved: Hard — next review in 3 hours"


# ---- a refused time, zone, range or date: the core names the problem, these are the words ----------


def refused(
    problem: ScheduleProblem,
    given: str = "",
    suggestions: tuple[str, ...] = (),
    example_date: date | None = None,
) -> ScheduleInputError:
    return ScheduleInputError(problem, given=given, suggestions=suggestions, example_date=example_date)


P = ScheduleProblem
NO_SUGGESTION = "Use an IANA name such as Europe/Berlin or America/New_York."
RANGE_HINT = "is not a range of hours: use HH:MM-HH:MM in 24-hour format, e.g. 22:00-07:00."
SCHEDULE_WORDS = [
    (refused(P.TIME_MISSING), "Please give a time as HH:MM in 24-hour format, e.g. 07:30."),
    (refused(P.NOT_A_TIME, "abc"), "'abc' is not a time: use HH:MM in 24-hour format, e.g. 07:30."),
    (
        refused(P.NOT_A_TIME, "07:30 rm -rf"),
        "'07:30 rm -rf' is not a time: use HH:MM in 24-hour format, e.g. 07:30.",
    ),
    (
        refused(P.HOUR_OUT_OF_RANGE, "25:00"),
        "'25:00' is not a valid time: hours go from 00 to 23 (HH:MM, e.g. 07:30).",
    ),
    (
        refused(P.MINUTE_OUT_OF_RANGE, "7:60"),
        "'7:60' is not a valid time: minutes go from 00 to 59 (HH:MM, e.g. 07:30).",
    ),
    (refused(P.ZONE_MISSING), "Please give a timezone as an IANA name, e.g. Europe/Berlin."),
    (
        refused(P.UNKNOWN_ZONE, "Europe/Berln", ("Europe/Berlin",)),
        "Unknown timezone 'Europe/Berln'. Did you mean Europe/Berlin?",
    ),
    (
        refused(P.UNKNOWN_ZONE, "us/pacfic", ("US/Pacific", "US/Pacific-New")),
        "Unknown timezone 'us/pacfic'. Did you mean US/Pacific or US/Pacific-New?",
    ),
    (
        refused(P.UNKNOWN_ZONE, "x", ("A/X", "B/X", "C/X")),
        "Unknown timezone 'x'. Did you mean A/X, B/X or C/X?",
    ),
    (refused(P.UNKNOWN_ZONE, "Mars/Base"), f"Unknown timezone 'Mars/Base'. {NO_SUGGESTION}"),
    (refused(P.UNKNOWN_ZONE, "x" * 39 + "…"), f"Unknown timezone '{'x' * 39}…'. {NO_SUGGESTION}"),
    (refused(P.QUIET_MISSING), "Please give quiet hours as HH:MM-HH:MM, e.g. 22:00-07:00."),
    (refused(P.NOT_A_RANGE, "22:00-25:00"), f"'22:00-25:00' {RANGE_HINT}"),
    (
        refused(P.QUIET_BEFORE_DAILY),
        "Set a daily time first, e.g. /daily 07:30, then choose quiet hours.",
    ),
    (
        refused(P.NOT_A_DATE, "20-03-2026", example_date=date(2026, 3, 16)),
        "'20-03-2026' is not a date: use YYYY-MM-DD, e.g. 2026-03-16.",
    ),
    (refused(P.DATE_PASSED), "That date has passed. Send the date of your next interview."),
    (refused(P.DATE_TOO_FAR), "That is more than two years away; pick a date within two years."),
]


@pytest.mark.parametrize(("error", "words"), SCHEDULE_WORDS, ids=[str(e.problem) for e, _ in SCHEDULE_WORDS])
def test_each_schedule_problem_has_its_words(error: ScheduleInputError, words: str) -> None:
    assert labels.schedule_problem(error) == words


def test_every_schedule_problem_is_worded() -> None:
    assert {error.problem for error, _ in SCHEDULE_WORDS} == set(ScheduleProblem)


def test_a_refused_input_renders_escaped_with_the_examples() -> None:
    out = render("schedule_error", message=labels.schedule_problem(refused(P.HOUR_OUT_OF_RANGE, "25:00")))
    assert out == (
        "&#39;25:00&#39; is not a valid time: hours go from 00 to 23 (HH:MM, e.g. 07:30).\n\n"
        "For example: <code>/daily 07:30 Europe/Berlin</code>, <code>/daily quiet 22:00-07:00</code>"
        " or <code>/daily off</code>."
    )
    hostile = render("schedule_error", message=labels.schedule_problem(refused(P.NOT_A_TIME, "<b>&")))
    assert hostile.startswith("&#39;&lt;b&gt;&amp;&#39; is not a time")


# ---- an answer to a question no longer in the bank ------------------------------------------------

GONE = "(question gone-question is no longer in the question bank)"
ANN = Identity("tg:3001", 3001, "Ann")


async def test_a_removed_question_is_named_by_its_id(services: Services, clock: FakeClock) -> None:
    gone = services.interviews.question("gone-question")
    assert isinstance(gone, RemovedQuestion) and gone.text == ""  # the core words nothing
    await services.daily_settings.daily(ANN)  # registers Ann
    async with services.db.unit() as uow:
        profile = await uow.users.profile(ANN.external_id)
        assert profile is not None
        answer_id = await uow.answers.add(
            NewAnswer(
                profile.user_id,
                None,
                None,
                "gone-question",
                "an old answer",
                3,
                (),
                2,
                clock.now,
                clock.advance(minutes=1),
                60,
                None,
            )
        )

    page = await services.progress.history_page(ANN, 1)
    listed = render("history", page=page, topics=services.interviews.topics(), buttons=True)
    assert f"<i>{GONE}</i>" in listed
    attempts = await services.progress.attempts(ANN, answer_id)
    assert attempts is not None
    assert render("attempts", history=attempts).startswith(f"<b>{GONE}</b>")
    # Where a running interview meets one (its pack removed mid-interview), the same words.
    assert GONE in render("question", prompt=QuestionPrompt(1, 1, 2, gone))
    summary = InterviewSummary((SummaryItem(gone, 0, 2, None),), 2, True)
    assert f"1. {GONE} — 0/2" in render("summary", summary=summary)


def test_feedback_drops_the_less_important_parts_first_to_fit(bank: QuestionBank) -> None:
    question = bank.by_id["agile-retrospectives-stale"]
    answer = (
        "Our retros had gone stale. Basically we changed the format to a starfish. "
        "We put actions on the board. Starfish, sailboat, timeline. We would never bother with owners."
    )
    result = Answered(
        1, question, 1, 5, FeedbackMatcher(bank.questions).assess(question, answer), 0, None, None
    )
    full = feedback_message(result)
    assert "What a strong answer covers" in full
    fitted = feedback_message(result, limit=len(full) - 1)
    assert len(fitted) < len(full)
    assert "What a strong answer covers" not in fitted  # the outline goes before the points
    for label in result.feedback.labels:
        assert label in fitted
    assert fitted.splitlines()[-1].startswith("Suggested: ")
    smallest = feedback_message(result, limit=10)  # nothing fits: the shortest, for the splitter
    assert len(smallest) < len(fitted) and smallest.splitlines()[-1].startswith("Suggested: ")


@pytest.mark.parametrize(
    ("covered", "total", "words"),
    [(0, 12, "No talking points came through"), (2, 12, "A start"), (11, 12, "Excellent")],
)
def test_the_summary_sounds_like_the_result(bank: QuestionBank, covered: int, total: int, words: str) -> None:
    q = bank.questions[0]
    summary = InterviewSummary((SummaryItem(q, covered, total, None),), 1, False)
    text = render("summary", summary=summary)
    assert words in text
    assert "Nicely done" not in text
