"""The terminal chat on a real terminal: `python -m bot chat` in a pseudo-terminal, driven by
keystrokes (bracketed paste, Alt-Enter, arrow keys, Ctrl-C, Ctrl-D), checked on what it prints
and on the answers stored in its SQLite file.

Keystrokes are written only once prompt_toolkit is reading: each prompt switches on bracketed
paste (ESC [?2004h) after putting the terminal in raw mode, so that marker says "ready". No test
waits a fixed time; each wait has a generous bound only so that a hang fails instead of hanging.
"""

import fcntl
import os
import pty
import re
import select
import sqlite3
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest

from bot.core.interview import MAX_ANSWER_CHARS
from tests.test_chat import CONTROLLED_ENV, answers_of, assert_clean_exit, chat, write_config
from tests.test_chat_follow_ups import WEAK

BOUND = 60.0  # seconds: only a hang ever gets near this
READY = b"\x1b[?2004h"  # prompt_toolkit reading in raw mode
ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|[@-Z\\-_])|\r")
ENTER, ALT_ENTER, CTRL_C, CTRL_D, LEFT, UP = "\r", "\x1b\r", "\x03", "\x04", "\x1b[D", "\x1b[A"


def paste(text: str) -> str:
    return f"\x1b[200~{text}\x1b[201~"


class Terminal:
    """One `chat --user USER` session in a pseudo-terminal."""

    def __init__(self, tmp_path: Path, db: Path, user: str) -> None:
        master, slave = pty.openpty()
        # A terminal of a known size: 200 columns, so long lines do not wrap into escape codes.
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
        env = {key: value for key, value in os.environ.items() if key not in CONTROLLED_ENV}
        env |= {
            "DATABASE_URL": f"sqlite+aiosqlite:///{db}",
            "TERM": "xterm",
            "PYTHONIOENCODING": "utf-8",
            # Asking the terminal where the cursor is would wait for a reply nobody sends here.
            "PROMPT_TOOLKIT_NO_CPR": "1",
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "chat", "--user", user],
            stdin=slave,
            stdout=slave,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
            env=env,
            start_new_session=True,
        )
        os.close(slave)
        os.set_blocking(master, False)
        self.master = master
        self.raw = b""
        self.ready_seen = 0  # prompts already used for a keystroke

    def _pump(self, timeout: float, data: bytes = b"") -> bytes:
        """Read what the chat printed (and write `data` meanwhile); the data not yet written."""
        writable = [self.master] if data else []
        readable, can_write, _ = select.select([self.master], writable, [], timeout)
        if readable:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # the chat closed the terminal (EIO): it has exited
                chunk = b""
            if not chunk:
                raise EOFError
            self.raw += chunk
        if can_write:
            data = data[os.write(self.master, data[:4096]) :]
        return data

    @property
    def out(self) -> str:
        return ESCAPES.sub("", self.raw.decode("utf-8", "replace"))

    def expect(self, pattern: str, *, after: int = 0) -> re.Match[str]:
        """Wait until the plain output (from `after` on) matches `pattern`."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + BOUND
        while (found := regex.search(self.out, after)) is None and time.monotonic() < deadline:
            try:
                self._pump(1.0)
            except EOFError:
                break
            if self.proc.poll() is not None and not select.select([self.master], [], [], 0)[0]:
                break
        assert found is not None, f"{pattern!r} never came; the chat printed:\n{self.out[after:][-3000:]}"
        return found

    def type(self, keys: str) -> int:
        """Wait for the next prompt, then type `keys`; the output position where the reply starts."""
        deadline = time.monotonic() + BOUND
        while self.raw.count(READY) <= self.ready_seen:
            if time.monotonic() > deadline:
                pytest.fail(f"no prompt came; the chat printed:\n{self.out[-3000:]}")
            try:
                self._pump(1.0)
            except EOFError:
                pytest.fail(f"the chat exited before its prompt; it printed:\n{self.out[-3000:]}")
        self.ready_seen = self.raw.count(READY)
        start = len(self.out)
        data = keys.encode()
        while data:
            if time.monotonic() > deadline + BOUND:
                pytest.fail("the chat stopped reading its input")
            data = self._pump(1.0, data)
        return start

    def wait_exit(self) -> int:
        """The exit status, once the chat has left (bounded)."""
        code = self.proc.wait(timeout=BOUND)
        try:
            while True:
                self._pump(0.5)
                if not select.select([self.master], [], [], 0)[0]:
                    break
        except EOFError:
            pass
        return code

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=BOUND)
        if self.proc.stderr is not None:
            self.proc.stderr.close()
        os.close(self.master)

    def follow_ups_off(self) -> None:
        """/settings and its one choice, for tests whose subject is not follow-up questions."""
        at = self.type("/settings" + ENTER)
        self.expect(r"1 Follow-up questions: on — type a number", after=at)
        at = self.type("1" + ENTER)
        self.expect(r"Follow-up questions: off", after=at)

    @property
    def err(self) -> str:
        assert self.proc.stderr is not None
        return self.proc.stderr.read().decode("utf-8", "replace")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "chat.db"


@pytest.fixture
def open_terminal(tmp_path: Path, db: Path) -> Iterator[Callable[[], Terminal]]:
    """Starts the chat when called (after any seeding); it is stopped at the end of the test.
    A first /interview starts at once: the level question is the subject of other tests."""
    write_config(tmp_path)
    opened: list[Terminal] = []

    def start() -> Terminal:
        opened.append(Terminal(tmp_path, db, "tess"))
        return opened[-1]

    try:
        yield start
    finally:
        for term in opened:
            term.close()


@pytest.fixture
def terminal(open_terminal: Callable[[], Terminal]) -> Terminal:
    return open_terminal()


def texts(db: Path, user: str = "tess") -> list[str]:
    return [row["text"] for row in answers_of(db, f"chat:{user}")]


def test_a_pasted_answer_is_one_answer_and_editing_keys_stay_out_of_it(terminal: Terminal, db: Path) -> None:
    terminal.expect(r"Ctrl-C clears the line")
    terminal.follow_ups_off()
    at = terminal.type("/interview" + ENTER)
    terminal.expect(r"Question 1 of 5", after=at)

    three_lines = "I agreed the goals with the sponsor.\nI mapped the stakeholders.\nI ran a pilot first."
    at = terminal.type(paste(three_lines) + ENTER)
    terminal.expect(r"Feedback on question 1 of 5", after=at)
    terminal.expect(r"1 Again · 2 Hard · 3 Good · 4 Easy · 5 Try again — type a number", after=at)
    terminal.expect(r"Question 2 of 5", after=at)
    assert texts(db) == [three_lines]

    # Typed, with the cursor moved back: the arrow moves the cursor and is not stored.
    at = terminal.type("I track the budgt" + LEFT + "e" + ENTER)
    terminal.expect(r"Feedback on question 2 of 5", after=at)
    # Alt-Enter (Esc Enter) starts a new line; Enter sends both lines as one answer.
    at = terminal.type("First the risks." + ALT_ENTER + "Then the owners." + ENTER)
    terminal.expect(r"Feedback on question 3 of 5", after=at)
    # A number while the ratings are offered rates the last answer.
    at = terminal.type("3" + ENTER)
    terminal.expect(r"Saved: Good", after=at)
    assert texts(db) == [three_lines, "I track the budget", "First the risks.\nThen the owners."]
    assert [row["rating"] for row in answers_of(db, "chat:tess")] == [None, None, 3]

    terminal.type(CTRL_D)
    assert terminal.wait_exit() == 0
    terminal.expect(r"Bye! Your answers are saved\.")
    assert terminal.err == ""


def test_an_answer_over_the_limit_is_refused_with_the_limit_and_nothing_is_cut(
    terminal: Terminal, db: Path
) -> None:
    terminal.follow_ups_off()
    at = terminal.type("/interview" + ENTER)
    terminal.expect(r"Question 1 of 5", after=at)
    too_long = ("I would plan the migration in waves. " * 400)[: MAX_ANSWER_CHARS + 500]
    at = terminal.type(paste(too_long) + ENTER)
    terminal.expect(
        rf"That answer is {MAX_ANSWER_CHARS + 500} characters long — more than the {MAX_ANSWER_CHARS}",
        after=at,
    )
    terminal.expect(r"The question is still waiting\.", after=at)
    assert texts(db) == []
    # The longest answer taken is taken whole: past the 4,095 bytes a cooked terminal line holds.
    longest = ("We ran a pilot with one department first. " * 400)[:MAX_ANSWER_CHARS].strip()
    at = terminal.type(paste(longest) + ENTER)
    terminal.expect(r"Feedback on question 1 of 5", after=at)
    assert texts(db) == [longest]
    terminal.type("/quit" + ENTER)
    assert terminal.wait_exit() == 0


def test_ctrl_c_clears_the_line_and_twice_in_a_row_leaves(terminal: Terminal, db: Path) -> None:
    at = terminal.type("half an answer I no longer want" + CTRL_C)
    terminal.expect(r"Line cleared\. Press Ctrl-C again, or Ctrl-D, to leave\.", after=at)
    # The line was emptied: what is typed next is a command of its own.
    at = terminal.type("/history" + ENTER)
    terminal.expect(r"You haven't answered any questions yet\.", after=at)
    # Up recalls the line sent before.
    at = terminal.type(UP + ENTER)
    terminal.expect(r"You haven't answered any questions yet\.", after=at)
    # Typing between two Ctrl-Cs means they are not in a row: the second only clears again.
    at = terminal.type("more" + CTRL_C)
    terminal.expect(r"Line cleared", after=at)
    at = terminal.type("x" + CTRL_C)
    terminal.expect(r"Line cleared", after=at)
    terminal.type(CTRL_C)
    assert terminal.wait_exit() == 0
    terminal.expect(r"Bye! Your answers are saved\.")
    assert texts(db) == []
    assert terminal.err == ""


def seed(tmp_path: Path, db: Path, count: int) -> list[str]:
    """`count` answers given through the pipe chat, oldest first."""
    answers = [
        f"Answer number {n}: I agreed scope with the sponsor and kept a risk log." for n in range(count)
    ]
    lines: list[str] = []
    for n, answer in enumerate(answers):
        if n % 5 == 0:
            lines.append("/interview")
        lines += [answer, ""]
    lines.append("/cancel")  # no question left waiting
    assert_clean_exit(chat(tmp_path, db, "tess", lines))
    return answers


def test_history_pages_with_next_and_prev_and_a_number_opens_an_entry(
    tmp_path: Path, db: Path, open_terminal: Callable[[], Terminal]
) -> None:
    answers = seed(tmp_path, db, 11)
    terminal = open_terminal()
    at = terminal.type("/history" + ENTER)
    terminal.expect(r"Your answers — 11 answers, page 1 of 2", after=at)
    terminal.expect(r"type a number to open that answer with every attempt · next: Next ›", after=at)
    page_one = terminal.out[at:]
    assert answers[10].split(":")[0] in page_one and answers[0].split(":")[0] not in page_one

    at = terminal.type("next" + ENTER)
    terminal.expect(r"page 2 of 2", after=at)
    terminal.expect(r"prev: ‹ Prev", after=at)
    assert answers[0].split(":")[0] in terminal.out[at:]

    at = terminal.type("prev" + ENTER)
    terminal.expect(r"page 1 of 2", after=at)
    # 1 is the newest answer: its attempts, with the answer in full.
    at = terminal.type("1" + ENTER)
    terminal.expect(r"Attempt 1 · ", after=at)
    terminal.expect(re.escape(answers[10]), after=at)
    terminal.expect(r"1 Practise again · back to the list", after=at)
    at = terminal.type("back" + ENTER)
    terminal.expect(r"page 1 of 2", after=at)
    # Any other text is a normal message: no question waits, so the chat says so.
    at = terminal.type("next week maybe" + ENTER)
    terminal.expect(r"There's no question waiting", after=at)
    terminal.type("/quit" + ENTER)
    assert terminal.wait_exit() == 0
    assert len(texts(db)) == 11


def test_stats_export_and_deletedata_write_files_and_ask_first(
    tmp_path: Path, db: Path, open_terminal: Callable[[], Terminal]
) -> None:
    answers = seed(tmp_path, db, 2)
    terminal = open_terminal()

    at = terminal.type("/stats" + ENTER)
    terminal.expect(r"Answers: 2 over 1 day", after=at)
    chart = Path(terminal.expect(r"Chart saved to (\S+\.png)", after=at)[1])
    assert chart.parent == tmp_path.resolve()
    assert chart.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")

    at = terminal.type("/export csv" + ENTER)
    terminal.expect(r"Your interview practice: 2 answers, exported", after=at)
    exported = Path(terminal.expect(r"Saved to (\S+\.csv)", after=at)[1])
    content = exported.read_text(encoding="utf-8-sig")
    assert all(answer in content for answer in answers)
    # A second export never overwrites the first.
    at = terminal.type("/export csv" + ENTER)
    again = Path(terminal.expect(r"Saved to (\S+\.csv)", after=at)[1])
    assert again != exported and again.exists() and exported.exists()

    at = terminal.type("/deletedata" + ENTER)
    terminal.expect(r"Delete everything\?", after=at)
    terminal.expect(r"1 Delete everything · 2 Cancel — type a number", after=at)
    at = terminal.type("2" + ENTER)
    terminal.expect(r"Cancelled\. Nothing was deleted\.", after=at)
    assert texts(db) == answers
    at = terminal.type("1" + ENTER)  # the choices went with the cancel: not a confirmation
    terminal.expect(r"There's no question waiting", after=at)
    assert texts(db) == answers

    at = terminal.type("/deletedata" + ENTER)
    terminal.expect(r"Delete everything\?", after=at)
    at = terminal.type("1" + ENTER)
    terminal.expect(r"Done: everything I stored about you is deleted\.", after=at)
    assert texts(db) == []
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT count(*) FROM \"user\" WHERE external_id = 'chat:tess'").fetchone() == (
            0,
        )
    terminal.type("/quit" + ENTER)
    assert terminal.wait_exit() == 0
    assert terminal.err == ""


def probe_answers(db: Path, user: str = "tess") -> list[str | None]:
    with closing(sqlite3.connect(db)) as conn:
        return [
            row[0]
            for row in conn.execute(
                'SELECT a.probe_answer FROM answer a JOIN "user" u ON u.id = a.user_id'
                " WHERE u.external_id = ? ORDER BY a.id",
                (f"chat:{user}",),
            )
        ]


def test_a_follow_up_waiting_at_a_restart_is_asked_again_and_answered_or_skipped(
    tmp_path: Path, db: Path, open_terminal: Callable[[], Terminal]
) -> None:
    # Left with a follow-up waiting (reached through the pipe: how is not the subject here).
    assert_clean_exit(chat(tmp_path, db, "tess", ["/interview", WEAK, ""], follow_ups=True))
    terminal = open_terminal()
    terminal.expect(r"where you left off")
    shown = terminal.expect(r"Follow-up · question 1 of 5")
    terminal.expect(r"press Skip to move on\.\n  1 Skip — type a number", after=shown.start())
    # Answered in two lines (Alt-Enter): one answer to the follow-up, stored with the answer.
    at = terminal.type("I would ask the sponsor first." + ALT_ENTER + "Then the budget." + ENTER)
    terminal.expect(r"Feedback on your follow-up · question 1 of 5", after=at)
    terminal.expect(r"Question 2 of 5", after=at)
    assert probe_answers(db) == ["I would ask the sponsor first.\nThen the budget."]

    # Another follow-up, and the chat left while it waits.
    at = terminal.type(WEAK + ENTER)
    terminal.expect(r"Follow-up · question 2 of 5", after=at)
    terminal.expect(r"6 Skip — type a number", after=at)
    terminal.type(CTRL_D)
    assert terminal.wait_exit() == 0

    again = open_terminal()
    again.expect(r"Follow-up · question 2 of 5")
    at = again.type("1" + ENTER)  # Skip, the one choice now
    again.expect(r"Question 3 of 5", after=at)
    again.type("/quit" + ENTER)
    assert again.wait_exit() == 0
    assert probe_answers(db) == ["I would ask the sponsor first.\nThen the budget.", None]
    assert again.err == ""
