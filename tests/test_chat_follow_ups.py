"""The terminal chat's follow-up questions, /settings and the level question before a first
/interview, end to end through `python -m bot chat` on a pipe, checked on stdout and in SQLite.

Questions are picked at random; an answer that covers nothing (WEAK) always gets a follow-up
(bot.core.probes: under 75% of the talking points), so the tests need not know the question.
"""

import json
import sqlite3
from contextlib import closing
from pathlib import Path

from bot.core.interview import QuestionPrompt
from bot.core.probes import Probe
from bot.present.render import render, to_plain
from questions.loader import QuestionBank
from tests.test_chat import RATINGS_LINE, Chat, answers_of, assert_clean_exit, chat

WEAK = "No idea, sorry."
# A follow-up answered in two lines: one message, as a main answer.
FOLLOW_UP_LINES = ["I would ask the sponsor what success means to them.", "Then I would check the budget."]
SKIP_UNDER_FEEDBACK = "  6 Skip — type a number"
SKIP_ALONE = "  1 Skip — type a number"


def follow_up_rows(db: Path, user: str) -> list[sqlite3.Row]:
    """The user's answers with what their follow-ups stored, oldest first."""
    columns = (
        "a.question_id, a.text, a.covered, a.points_total, a.rating, a.probe, a.probe_answer, a.probe_covered"
    )
    return answers_of(db, f"chat:{user}", columns)


def session(db: Path, user: str) -> tuple[str, int, int | None]:
    """(status, position, waiting follow-up's answer id) of the user's latest interview."""
    with closing(sqlite3.connect(db)) as conn:
        status, position, probe_answer_id = conn.execute(
            "SELECT s.status, s.position, s.probe_answer_id FROM interview_session s"
            ' JOIN "user" u ON u.id = s.user_id WHERE u.external_id = ? ORDER BY s.id DESC LIMIT 1',
            (f"chat:{user}",),
        ).fetchone()
    return str(status), int(position), probe_answer_id


def stored_user(db: Path, user: str) -> tuple[bool, str | None]:
    """(follow_ups, level) as stored for the chat user."""
    with closing(sqlite3.connect(db)) as conn:
        follow_ups, level = conn.execute(
            'SELECT follow_ups, level FROM "user" WHERE external_id = ?', (f"chat:{user}",)
        ).fetchone()
    return bool(follow_ups), level


def shown_follow_up(bank: QuestionBank, row: sqlite3.Row, number: int) -> str:
    """The follow-up message for a stored answer, as the terminal prints it."""
    probe = Probe.parse(row["probe"])
    assert probe is not None, row["probe"]
    prompt = QuestionPrompt(0, number, 5, bank.by_id[row["question_id"]], probe=probe)
    return "\n" + to_plain(render("question", prompt=prompt)) + "\n"


def run(tmp_path: Path, user: str, lines: list[str], *, ask_level: bool = False) -> Chat:
    """A chat session starting with follow-ups on (as for a new user)."""
    result = chat(tmp_path, tmp_path / "chat.db", user, lines, follow_ups=True, ask_level=ask_level)
    assert_clean_exit(result)
    return result


def test_a_follow_up_is_asked_and_its_answer_of_several_lines_is_stored_with_the_answer(
    tmp_path: Path, bank: QuestionBank
) -> None:
    out = run(tmp_path, "fay", ["/interview", WEAK, "", *FOLLOW_UP_LINES, "", "/quit"]).out
    db = tmp_path / "chat.db"

    [row] = follow_up_rows(db, "fay")
    follow_up = shown_follow_up(bank, row, 1)
    # The feedback and its choices, then the follow-up with Skip, numbered after them.
    feedback = out.index("Feedback on question 1 of 5")
    assert feedback < out.index(RATINGS_LINE) < out.index(follow_up) < out.index(SKIP_UNDER_FEEDBACK)
    assert "Answer it in a message, or press Skip to move on." in follow_up
    # Its answer is assessed with the main answer, and the interview moves on.
    assessed = out.index("Feedback on your follow-up · question 1 of 5")
    assert out.index(SKIP_UNDER_FEEDBACK) < assessed < out.index(RATINGS_LINE, assessed)
    assert out.index(RATINGS_LINE, assessed) < out.index("Question 2 of 5")
    assert out.count("Follow-up · question") == 1

    assert (row["text"], row["probe_answer"]) == (WEAK, "\n".join(FOLLOW_UP_LINES))
    covered, own = json.loads(row["covered"]), json.loads(row["probe_covered"])
    assert set(own) <= set(covered)
    assert f"With your follow-up: {len(covered)} of {row['points_total']} points" in out[assessed:]
    assert session(db, "fay") == ("active", 1, None)
    assert stored_user(db, "fay") == (True, None)  # on by default, and no level question asked


def test_skip_moves_on_and_a_rating_leaves_the_follow_up_and_its_skip_waiting(tmp_path: Path) -> None:
    lines = ["/interview", WEAK, "", "3", "6", WEAK, "", "skip", "/quit"]
    out = run(tmp_path, "sam", lines).out
    db = tmp_path / "chat.db"

    # Rated while the follow-up waits: the rating is saved and Skip is offered again.
    rated = out.index("Saved: Good")
    assert out.index(SKIP_UNDER_FEEDBACK) < rated < out.index(SKIP_UNDER_FEEDBACK, rated)
    assert out.index(SKIP_UNDER_FEEDBACK, rated) < out.index("Question 2 of 5")
    # The second follow-up is skipped by name.
    second = out.index("Follow-up · question 2 of 5")
    assert second < out.index("Question 3 of 5")
    assert "Feedback on your follow-up" not in out

    rows = follow_up_rows(db, "sam")
    assert [(r["rating"], r["probe"] is not None, r["probe_answer"]) for r in rows] == [
        (3, True, None),
        (None, True, None),
    ]
    assert session(db, "sam") == ("active", 2, None)


def test_try_again_while_a_follow_up_waits_asks_the_follow_up_again_after(tmp_path: Path) -> None:
    again = "My second go: I would agree the scope and the budget with the sponsor."
    out = run(tmp_path, "tom", ["/interview", WEAK, "", "5", again, "", "6", "/quit"]).out

    retry = out.index("Try again: Question 1 of 5")
    retried = out.index("Feedback on your new attempt at question 1 of 5", retry)
    # After the new attempt the follow-up waits again, with its Skip under it.
    follow_up = out.index("Follow-up · question 1 of 5", retried)
    assert follow_up < out.index(SKIP_UNDER_FEEDBACK, follow_up) < out.index("Question 2 of 5")
    assert [r["text"] for r in follow_up_rows(tmp_path / "chat.db", "tom")] == [WEAK, again]
    assert session(tmp_path / "chat.db", "tom") == ("active", 1, None)


def test_settings_turn_follow_ups_off_and_on_again(tmp_path: Path) -> None:
    lines = ["/settings", "1", "/interview", WEAK, "", "/settings", "1", WEAK, "", "/quit"]
    out = run(tmp_path, "sid", lines).out
    db = tmp_path / "chat.db"

    # The setting as a choice labelled with its state; picking it flips it and shows it again.
    on = out.index("Follow-up questions: on\n")
    assert on < out.index("  1 Follow-up questions: on — type a number", on)
    off = out.index("Follow-up questions: off\n")
    assert on < off < out.index("  1 Follow-up questions: off — type a number", off)
    assert off < out.index("Mock interviews go straight on to the next question after the feedback.")
    # Off: the weak answer gets its feedback and the next question, no follow-up.
    first = out.index("Feedback on question 1 of 5")
    second = out.index("Question 2 of 5")
    assert off < first < second and "Follow-up ·" not in out[:second]
    # On again: the next weak answer is followed up.
    assert second < out.index("Follow-up questions: on\n", second) < out.index("Follow-up · question 2 of 5")
    assert stored_user(db, "sid") == (True, None)
    rows = follow_up_rows(db, "sid")
    assert [r["probe"] is not None for r in rows] == [False, True]
    status, position, waiting = session(db, "sid")
    assert (status, position) == ("active", 1) and waiting is not None


def test_settings_choice_is_stored_for_the_next_run(tmp_path: Path) -> None:
    run(tmp_path, "sue", ["/settings", "1", "/quit"])
    assert stored_user(tmp_path / "chat.db", "sue") == (False, None)
    out = chat(tmp_path, tmp_path / "chat.db", "sue", ["/interview", WEAK, "", "/quit"]).out
    assert "Settings" not in out  # stored off: the helper had nothing to turn off
    assert "Follow-up ·" not in out and "Question 2 of 5" in out


def test_the_level_question_is_asked_once_before_the_first_interview(tmp_path: Path) -> None:
    lines = ["/interview nosuchtopic", "/interview", "2", "/cancel", "/interview", "/quit"]
    out = run(tmp_path, "lee", lines, ask_level=True).out
    db = tmp_path / "chat.db"

    # An unknown topic is reported first, with no level question before it.
    unknown = out.index("I don't have a topic called “nosuchtopic”")
    asked = out.index("Before we start: which role are you preparing for?")
    assert unknown < asked
    assert out.count("Before we start") == 1
    choices = out.index("  1 Coordinator · 2 Project manager · 3 Senior PM · 4 Skip — type a number", asked)
    assert choices < out.index("Level set: Project manager") < out.index("Question 1 of 5")
    # The second /interview starts at once.
    cancelled = out.index("Interview stopped")
    assert out.index("Question 1 of 5", cancelled) > cancelled
    assert stored_user(db, "lee") == (True, "project_manager")


def test_skipping_the_level_question_starts_the_interview_on_its_topic_and_it_is_not_asked_again(
    tmp_path: Path,
) -> None:
    first = run(tmp_path, "kim", ["/interview agile", "skip", "/cancel"], ask_level=True).out
    assert first.index("Before we start") < first.index("No level: questions come from every level.")
    assert "Question 1 of 5 · Agile and Scrum" in first
    assert stored_user(tmp_path / "chat.db", "kim") == (True, "any")

    second = run(tmp_path, "kim", ["/interview", "/quit"], ask_level=True).out
    assert "Before we start" not in second and "Question 1 of 5" in second


def test_a_follow_up_waiting_when_the_chat_left_is_shown_again_and_answered(
    tmp_path: Path, bank: QuestionBank
) -> None:
    run(tmp_path, "ria", ["/interview", WEAK, ""])
    db = tmp_path / "chat.db"
    [row] = follow_up_rows(db, "ria")
    assert session(db, "ria")[2] is not None  # waiting

    out = run(tmp_path, "ria", [*FOLLOW_UP_LINES, "", "/quit"]).out
    left_off = out.index("where you left off")
    follow_up = out.index(shown_follow_up(bank, row, 1), left_off)
    # Nothing else is open now: Skip is the one choice.
    assert follow_up < out.index(SKIP_ALONE, follow_up) < out.index("Feedback on your follow-up")
    [row] = follow_up_rows(db, "ria")
    assert row["probe_answer"] == "\n".join(FOLLOW_UP_LINES)
    assert session(db, "ria") == ("active", 1, None)
