"""The terminal chat end to end: `python -m bot chat` fed through stdin, checked on stdout and in SQLite.

Questions are picked at random, so the tests read which questions were asked from stdout and
check the database against that, rather than expecting particular questions.
"""

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.present.labels import TERMINAL_COMMANDS, TERMINAL_INTRO_PIPE
from questions.loader import QuestionBank, load_bank

CONTROLLED_ENV = ("INTERVIEW_BOT_CONFIG", "TELEGRAM_BOT_TOKEN", "DATABASE_URL")
QUESTION = re.compile(r"^Question (\d+) of (\d+) · .+\n\n(.+)$", re.MULTILINE)
FEEDBACK = re.compile(
    r"^Feedback on question (\d+) of 5 — (\d+) of (\d+) talking points covered", re.MULTILINE
)
SUMMARY = re.compile(
    r"^Interview complete — 5 of 5 questions answered, (\d+) of (\d+) talking points covered", re.MULTILINE
)
RATINGS_LINE = "1 Again · 2 Hard · 3 Good · 4 Easy · 5 Try again — type a number"
# Odd but valid text: an emoji ZWJ sequence, RTL mark and override, zero-width joiner and space,
# combining accents, markup that must stay text, and an entity that must not be decoded.
ODD_ANSWER = (
    "Ответ 👩\u200d💻 \u200fשלום\u200f \u202eRTL\u202c a\u200db\u200bc e\u0301 "
    '<script>alert("x")</script> <b>bold?</b> &amp; 🏳️\u200d🌈'
)


@dataclass(frozen=True)
class Chat:
    code: int
    out: str
    err: str


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "chat.db"


def write_config(folder: Path, *, ask_level: bool = False) -> None:
    """config.toml in the folder a chat starts from: unless `ask_level`, a first /interview
    starts at once instead of asking the user's level (the tests of that question turn it on)."""
    (folder / "config.toml").write_text(
        f"[interview]\nask_level = {str(ask_level).lower()}\n", encoding="utf-8"
    )


def follow_ups_stored(db: Path, user: str) -> bool:
    """The user's follow-up setting as stored: on for someone not stored yet, as for a new user."""
    if not db.exists():  # sqlite3.connect would create it
        return True
    external_id = "chat:" + " ".join(user.split())[:64]  # as `chat --user` names them
    with closing(sqlite3.connect(db)) as conn:
        try:
            row = conn.execute(
                'SELECT follow_ups FROM "user" WHERE external_id = ?', (external_id,)
            ).fetchone()
        except sqlite3.OperationalError:  # not migrated yet
            return True
    return row is None or bool(row[0])


def chat(
    tmp_path: Path,
    db: Path,
    user: str,
    lines: Sequence[str] = (),
    *,
    stdin: bytes | None = None,
    io_encoding: str = "utf-8",
    follow_ups: bool = False,
    ask_level: bool = False,
) -> Chat:
    """One `chat --user USER` session through a pipe, then stdin closes. Each line is written
    with a newline: a command or a choice's number is one line, an answer ends at a blank line.

    Follow-up questions and the level question are what a few tests are about and would only
    get in the way of the others: unless `follow_ups`, the session starts by turning them off
    in /settings (when they are on: its one choice flips them), and unless `ask_level`, the
    config file turns the level question off."""
    write_config(tmp_path, ask_level=ask_level)
    first = b"/settings\n1\n" if follow_ups_stored(db, user) != follow_ups else b""
    env = {key: value for key, value in os.environ.items() if key not in CONTROLLED_ENV}
    # Fixed, so the test does not depend on the locale of the machine running it.
    env["PYTHONIOENCODING"] = io_encoding
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{db}"
    typed = stdin if stdin is not None else "".join(f"{line}\n" for line in lines).encode()
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--user", user],
        cwd=tmp_path,
        env=env,
        input=first + typed,
        capture_output=True,
        timeout=60,
        check=False,
    )
    return Chat(result.returncode, result.stdout.decode("utf-8"), result.stderr.decode("utf-8", "replace"))


def assert_clean_exit(result: Chat) -> None:
    assert result.err == "", result.err
    assert result.code == 0
    assert result.out.rstrip().endswith("Bye! Your answers are saved.")


def asked(out: str) -> list[tuple[int, str]]:
    """(number, question text) for every question prompt shown, in order."""
    return [(int(number), text) for number, total, text in QUESTION.findall(out) if total == "5"]


ANSWER_COLUMNS = (
    "a.session_id, a.position, a.question_id, a.text, a.rating, a.rated_at, a.covered, a.points_total"
)


def answers_of(db: Path, external_id: str, columns: str = ANSWER_COLUMNS) -> list[sqlite3.Row]:
    """The user's answers (these columns of `answer a`), oldest first."""
    with closing(sqlite3.connect(db)) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute(
            f'SELECT {columns} FROM answer a JOIN "user" u ON u.id = a.user_id'
            " WHERE u.external_id = ? ORDER BY a.id",
            (external_id,),
        ).fetchall()


def session_of(db: Path, external_id: str) -> tuple[str, int]:
    """(status, position) of the user's only interview."""
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute(
            'SELECT s.status, s.position FROM interview_session s JOIN "user" u ON u.id = s.user_id'
            " WHERE u.external_id = ?",
            (external_id,),
        ).fetchall()
    assert len(rows) == 1
    status, position = rows[0]
    return str(status), int(position)


@pytest.fixture(scope="module")
def bank() -> QuestionBank:
    return load_bank()


# --- A whole interview ----------------------------------------------------------------------

ANSWERS = [
    f"Answer {n}: I agreed scope and priorities with the stakeholders, kept a risk register, tracked "
    "the budget against the forecast, ran sprint planning and retrospectives, and measured lead time."
    for n in ("one", "two", "three", "four", "five")
]
# What is typed after each feedback, and what must be stored (nothing typed: no rating).
RATINGS = [("1", 1), ("good", 3), (None, None), ("Hard", 2), ("4", 4)]


def test_full_mock_interview_is_asked_rated_stored_and_listed(
    tmp_path: Path, db: Path, bank: QuestionBank
) -> None:
    lines = ["/interview"]
    for answer, (typed, _) in zip(ANSWERS, RATINGS, strict=True):
        lines += [answer, ""] + ([typed] if typed is not None else [])
    lines.append("/history")

    result = chat(tmp_path, db, "ann", [*lines, "/quit"])

    assert_clean_exit(result)
    out = result.out
    assert "Hello, ann!" in out
    questions = asked(out)
    assert [number for number, _ in questions] == [1, 2, 3, 4, 5]
    positions = [out.index(f"Question {n} of 5") for n in range(1, 6)]
    assert positions == sorted(positions)
    feedback = [(int(n), int(covered), int(total)) for n, covered, total in FEEDBACK.findall(out)]
    assert [n for n, _, _ in feedback] == [1, 2, 3, 4, 5]
    assert out.count("Saved: ") == 4
    summary = SUMMARY.search(out)
    assert summary is not None
    assert positions[-1] < summary.start() < out.index("Your answers — ")
    assert (int(summary[1]), int(summary[2])) == (
        sum(covered for _, covered, _ in feedback),
        sum(total for _, _, total in feedback),
    )

    # /history lists all five, newest first, with the ratings given.
    history = out[out.index("Your answers — 5 answers") :]
    marks = [history.index(answer.split(":")[0] + ":") for answer in ANSWERS]
    assert marks == sorted(marks, reverse=True)
    for label in ("points · Again", "points · Good", "points · Hard", "points · Easy"):
        assert label in history

    rows = answers_of(db, "chat:ann")
    assert [row["position"] for row in rows] == [0, 1, 2, 3, 4]
    assert len({row["session_id"] for row in rows}) == 1
    assert [row["text"] for row in rows] == ANSWERS
    assert [row["rating"] for row in rows] == [stored for _, stored in RATINGS]
    assert [row["rated_at"] is not None for row in rows] == [stored is not None for _, stored in RATINGS]
    # Each answer is stored against the question that was shown, with the feedback that was shown.
    assert [bank.by_id[row["question_id"]].text for row in rows] == [text for _, text in questions]
    assert [(len(json.loads(row["covered"])), row["points_total"]) for row in rows] == [
        (covered, total) for _, covered, total in feedback
    ]
    assert session_of(db, "chat:ann") == ("finished", 5)


# --- Coming back, and other users -----------------------------------------------------------


def test_second_run_resumes_the_pending_question_and_users_stay_apart(tmp_path: Path, db: Path) -> None:
    first = chat(tmp_path, db, "bea", ["/interview", "Bea's first answer about stakeholders.", "", "2"])
    assert_clean_exit(first)
    first_questions = asked(first.out)
    assert [number for number, _ in first_questions] == [1, 2]
    pending = first_questions[1][1]

    second = chat(
        tmp_path,
        db,
        "bea",
        ["/interview", "1", "Bea's second answer about budgets.", "", "/history", "/quit"],
    )
    assert_clean_exit(second)
    out = second.out
    assert "Welcome back, bea!" in out
    left_off = out.index("where you left off")
    assert asked(out[left_off:])[0] == (2, pending)
    # /interview while one is running offers to continue; "1" shows the same question again.
    running = out.index("You're in the middle of an interview (question 2 of 5)")
    assert asked(out[running:])[0] == (2, pending)
    assert "Feedback on question 2 of 5" in out
    history = out[out.index("Your answers — 2 answers") :]
    assert history.index("Bea's second answer") < history.index("Bea's first answer")
    assert [(row["position"], row["rating"]) for row in answers_of(db, "chat:bea")] == [(0, 2), (1, None)]

    other = chat(tmp_path, db, "cal", ["/history"])
    assert_clean_exit(other)
    assert "Hello, cal!" in other.out
    assert "where you left off" not in other.out
    assert "You haven't answered any questions yet." in other.out
    assert "Bea's" not in other.out
    assert answers_of(db, "chat:cal") == []


# --- Bad input ------------------------------------------------------------------------------


def test_bad_input_gets_a_reply_and_never_crashes(tmp_path: Path, db: Path) -> None:
    user = "Zoë 🙂\u200f"
    lines = [
        "/frobnicate now",
        "",
        "Hello? Is anyone there?",
        "",
        "/interview",
        "x" * 13_000,
        "",
        ODD_ANSWER,
        "",
        "again",  # a rating's name picks it too
        "/history",
        # stdin ends here, in the middle of the interview.
    ]

    result = chat(tmp_path, db, user, lines)

    assert_clean_exit(result)
    out = result.out
    assert "I don't know the command /frobnicate." in out
    not_asked = out.index("There's no question waiting for an answer right now.")
    assert not_asked < out.index("Question 1 of 5")
    too_long = out.index("That answer is 13000 characters long — more than the 12000")
    # The question stays pending: the next message is the answer to question 1.
    first_feedback = out.index("Feedback on question 1 of 5")
    assert too_long < first_feedback
    assert "Question 2 of 5" not in out[:first_feedback]
    ratings = out.index(RATINGS_LINE)
    assert first_feedback < ratings < out.index("Question 2 of 5") < out.index("Saved: Again")
    # Shown as typed: markup is not stripped and the entity is not decoded.
    history = out[out.index("Your answers — 1 answer") :]
    assert '<script>alert("x")</script> <b>bold?</b> &amp;' in history

    rows = answers_of(db, f"chat:{user}")
    assert [(row["position"], row["text"], row["rating"]) for row in rows] == [(0, ODD_ANSWER, 1)]
    assert session_of(db, f"chat:{user}") == ("active", 1)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8:surrogateescape"], ids=["strict", "surrogateescape"])
def test_bytes_that_are_not_utf8_do_not_crash(tmp_path: Path, db: Path, encoding: str) -> None:
    # Latin-1 "café" piped from an old file: what a Windows or legacy terminal may send.
    stdin = b"/interview\ncaf\xe9 \xff\xfe answer\n\n/quit\n"
    result = chat(tmp_path, db, "dee", stdin=stdin, io_encoding=encoding)
    assert_clean_exit(result)
    assert "Feedback on question 1 of 5" in result.out


def test_quit_while_the_ratings_are_offered_leaves_at_once(tmp_path: Path, db: Path) -> None:
    result = chat(tmp_path, db, "quinn", ["/interview", "my answer about risk registers", "", "/quit"])
    assert_clean_exit(result)
    assert "Feedback on question 1 of 5" in result.out
    assert RATINGS_LINE in result.out
    [row] = answers_of(db, "chat:quinn")
    assert row["rating"] is None and row["text"] == "my answer about risk registers"


# --- Commands -------------------------------------------------------------------------------


def test_help_lists_the_terminals_commands_and_each_one_works(tmp_path: Path, db: Path) -> None:
    commands = [name for name, _ in TERMINAL_COMMANDS]
    # Every listed command but /quit, which ends the session (assert_clean_exit checks it did).
    result = chat(
        tmp_path, db, "hal", ["/help", *(f"/{name}" for name in commands if name != "quit"), "/quit"]
    )

    assert_clean_exit(result)
    help_text = result.out[result.out.index("/interview") :]
    for name, description in TERMINAL_COMMANDS:
        assert f"/{name} — {description}" in help_text
    assert "/start —" not in help_text  # Telegram-only commands are not offered here
    assert TERMINAL_INTRO_PIPE in help_text  # how messages are read here
    assert "I don't know the command" not in result.out


def test_ctrl_c_leaves_at_once_while_waiting_for_input_on_a_pipe(tmp_path: Path, db: Path) -> None:
    """SIGINT while the chat waits on a pipe that stays open (a terminal without prompt_toolkit,
    e.g. with its output redirected): it says goodbye and exits with 0 instead of hanging."""
    env = {key: value for key, value in os.environ.items() if key not in CONTROLLED_ENV}
    env |= {"PYTHONIOENCODING": "utf-8", "DATABASE_URL": f"sqlite+aiosqlite:///{db}"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "chat", "--user", "ivy"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None and proc.stdin is not None
        printed = b""
        while b"you> " not in printed:  # the prompt: it is reading now
            chunk = os.read(proc.stdout.fileno(), 4096)
            assert chunk, printed.decode()
            printed += chunk
        proc.send_signal(signal.SIGINT)
        # stdin stays open: end of input must not be what ends the chat. The bound is for a hang.
        assert proc.wait(timeout=60) == 0
        out, err = printed + proc.stdout.read(), proc.stderr.read() if proc.stderr else b""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
    assert err == b""
    assert out.decode().rstrip().endswith("Bye! Your answers are saved.")
