"""The terminal chat when the database refuses an answer: it says so, never "no question"."""

import sqlite3
from contextlib import closing
from pathlib import Path

from tests.test_chat import chat


def test_a_refused_save_says_so_and_nothing_is_stored(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    assert chat(tmp_path, db, "ann", ["/quit"]).code == 0  # creates and migrates the database
    with closing(sqlite3.connect(db)) as conn:
        conn.execute(
            "CREATE TRIGGER refuse_answer BEFORE INSERT ON answer "
            "BEGIN SELECT RAISE(ABORT, 'answer refused by the test'); END"
        )
        conn.commit()
    result = chat(tmp_path, db, "ann", ["/interview", "I map the stakeholders first.", "", "/quit"])
    assert result.code == 0
    assert "I couldn't save that; please send it again." in result.out
    assert "There's no question waiting" not in result.out
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT count(*) FROM answer").fetchone() == (0,)


def test_an_unknown_slash_word_is_the_answer_while_a_question_waits(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    result = chat(
        tmp_path,
        db,
        "ann",
        [
            "/nosuchcommand",
            "",
            "/interview",
            "/etc/ansible was our source of truth for every server.",
            "",
            "/quit",
        ],
    )
    assert result.code == 0
    assert "/nosuchcommand" in result.out  # nothing waited yet: the unknown-command reply
    assert "Taken as your answer: it starts with / but is not a command." in result.out
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT text FROM answer").fetchall() == [
            ("/etc/ansible was our source of truth for every server.",)
        ]


def test_a_piped_answer_runs_to_the_blank_line_and_recorded_arrow_keys_are_dropped(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    # As a terminal without line editing records it: arrow keys as escape sequences.
    lines = ["/interview", "I map the stakeholders\x1b[D\x1b[C first.", "/history is where I keep notes.", ""]
    result = chat(tmp_path, db, "ann", [*lines, "/quit"])
    assert result.code == 0
    assert "Feedback on question 1 of 5" in result.out
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT text FROM answer").fetchall() == [
            ("I map the stakeholders first.\n/history is where I keep notes.",)
        ]
