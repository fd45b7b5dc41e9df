"""The command line as a person meets it: real `python -m bot` processes, exit codes, one-line errors.

Every process runs in its own tmp_path with a controlled environment, so neither the developer's
config.toml nor their TELEGRAM_BOT_TOKEN can leak in. Start-up costs about a second per process
(pydantic and SQLAlchemy imports), so only what needs a real process gets one; `--help` runs in-process.
"""

import importlib.metadata
import json
import os
import re
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from bot.__main__ import main
from questions.loader import builtin_bank_files, load_bank
from storage.migrate import MIGRATIONS_DIR
from tests import db_rows

# Variables the bot reads; each test sets only the ones it means to.
CONTROLLED_ENV = ("INTERVIEW_BOT_CONFIG", "TELEGRAM_BOT_TOKEN", "DATABASE_URL")
PROBLEM_LINE = re.compile(r"(?P<path>.+?):(?P<line>\d+): (?P<message>.+)")


def bot(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot ARGS` in `cwd` with stdin at EOF, so a chat that wrongly starts ends at once."""
    full_env = {key: value for key, value in os.environ.items() if key not in CONTROLLED_ENV}
    full_env["PYTHONIOENCODING"] = "utf-8"
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=full_env,
        input="",
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def assert_config_error(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """Exit 2, nothing on stdout, exactly one stderr line holding every fragment; returns that line."""
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("interview-bot: ")
    for fragment in fragments:
        assert fragment in line
    return line


# --- run ------------------------------------------------------------------------------------


def test_run_without_a_token_explains_where_to_get_one(tmp_path: Path) -> None:
    result = bot(tmp_path, "run")
    assert_config_error(result, "@BotFather", "TELEGRAM_BOT_TOKEN")
    # The token is checked before anything touches the disk.
    assert not (tmp_path / "data").exists()


# --- configuration problems -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "args", "fragments"),
    [
        pytest.param(
            "[interview]\nquestions_per_sesion = 5\n",
            (),
            ("config.toml", "[interview] questions_per_sesion", "unknown key"),
            id="unknown-key",
        ),
        pytest.param(
            '[interview]\nquestions_per_session = "five"\n',
            (),
            ("config.toml", "[interview] questions_per_session", "expected an integer", '"five"'),
            id="wrong-type",
        ),
        pytest.param(
            "[interview]\nquestions_per_session = 5\n[logging\n",
            (),
            ("config.toml", "line 3", "invalid TOML"),
            id="malformed-toml",
        ),
        pytest.param(
            None, ("--config", "missing.toml"), ("missing.toml", "file not found"), id="missing-file"
        ),
    ],
)
def test_config_problems_are_one_line_and_exit_2(
    tmp_path: Path, config: str | None, args: tuple[str, ...], fragments: tuple[str, ...]
) -> None:
    if config is not None:
        (tmp_path / "config.toml").write_text(config, encoding="utf-8")
    result = bot(tmp_path, "db", "upgrade", *args)
    assert_config_error(result, *fragments)
    assert not (tmp_path / "data").exists(), "a bad config must stop before the database is created"


@pytest.mark.parametrize(
    "command", [("db", "upgrade"), ("chat", "--user", "ann")], ids=["db-upgrade", "chat"]
)
def test_bad_database_url_is_one_line_and_exit_2(tmp_path: Path, command: tuple[str, ...]) -> None:
    (tmp_path / "config.toml").write_text('[database]\nurl = "nosuchdriver://x"\n', encoding="utf-8")
    result = bot(tmp_path, *command)
    assert_config_error(result, "[database] url", "nosuchdriver")


def test_database_that_cannot_be_opened_is_one_line(tmp_path: Path) -> None:
    # The database path is a directory: SQLite cannot open it.
    (tmp_path / "bot.db").mkdir()
    result = bot(tmp_path, "db", "upgrade", env={"DATABASE_URL": sqlite_url(tmp_path / "bot.db")})
    assert_config_error(result, "[database] url", "unable to open database file")


# --- questions validate ---------------------------------------------------------------------


def test_validate_accepts_the_builtin_bank(tmp_path: Path) -> None:
    result = bot(tmp_path, "questions", "validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    count, paths = len(load_bank()), len(builtin_bank_files())
    assert result.stdout == f"OK: {count} questions in {paths} path(s).\n"


BROKEN_PACK = """\
# A user pack: one good question, then one with three mistakes.

[[question]]
id = "pack-good"
topic = "cloud"
kind = "technical"
difficulty = 2
text = "How would you size a landing zone?"
follow_ups = ["Who owns it?"]
model_answer = ["Start from the workloads."]

[[question.talking_points]]
label = "Workload inventory"
match = ["inventory", "workloads"]

[[question]]
id = "pack-broken"
topic = "astrology"
kind = "technical"
difficulty = 2
text = "   "
follow_ups = ["Why?"]
model_answer = ["Because."]

[[question.talking_points]]
label = "Point"
match = [
    "fine",
    "",
]
"""

UNPARSEABLE_PACK = """\
# The closing quote is missing.
[[question]]
id = "never-closed
topic = "cloud"
"""


def line_of(text: str, needle: str) -> int:
    """1-based number of the only line containing `needle`."""
    found = [number for number, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(found) == 1, f"{needle!r} must occur on exactly one line"
    return found[0]


def test_validate_reports_every_problem_as_path_line_message(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "broken.toml").write_text(BROKEN_PACK, encoding="utf-8")
    (pack / "unparseable.toml").write_text(UNPARSEABLE_PACK, encoding="utf-8")

    result = bot(tmp_path, "questions", "validate", "pack")

    assert "Traceback" not in result.stderr
    assert result.returncode == 1
    assert result.stderr == "4 problem(s) found.\n"
    problems = []
    for line in result.stdout.splitlines():
        match = PROBLEM_LINE.fullmatch(line)
        assert match is not None, f"not path:line: message: {line!r}"
        problems.append((match["path"], int(match["line"]), match["message"]))
    broken, unparseable = str(Path("pack", "broken.toml")), str(Path("pack", "unparseable.toml"))
    expected = [
        (broken, line_of(BROKEN_PACK, '"astrology"'), "unknown topic 'astrology'"),
        (broken, line_of(BROKEN_PACK, 'text = "   "'), "text: must not be empty"),
        (broken, line_of(BROKEN_PACK, '    "",'), "talking point 1: match phrase 2: must not be empty"),
        (unparseable, line_of(UNPARSEABLE_PACK, '"never-closed'), "invalid TOML"),
    ]
    assert [(path, line) for path, line, _ in problems] == [(path, line) for path, line, _ in expected]
    for (_, _, message), (_, _, fragment) in zip(problems, expected, strict=True):
        assert fragment in message
    assert all("pack-good" not in message for _, _, message in problems)


# --- db upgrade -----------------------------------------------------------------------------


def test_db_upgrade_creates_the_tables_and_is_idempotent(tmp_path: Path, empty_db_url: str) -> None:
    env = {"DATABASE_URL": empty_db_url}  # on SQLite, in folders that do not exist yet
    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    assert head is not None

    first = bot(tmp_path, "db", "upgrade", env=env)
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    assert first.stdout.startswith("Database is up to date: ")
    assert make_url(empty_db_url).render_as_string(hide_password=True) in first.stdout
    with db_rows.sync_engine(empty_db_url) as engine:
        assert {"user", "interview_session", "answer", "alembic_version"} <= set(
            inspect(engine).get_table_names()
        )
    assert db_rows.rows(empty_db_url, "SELECT version_num FROM alembic_version") == [(head,)]
    db_rows.execute(
        empty_db_url,
        'INSERT INTO "user" (external_id, display_name, is_active, created_at) '
        "VALUES ('chat:kept', 'kept', true, '2026-03-02 09:00:00')",
    )

    second = bot(tmp_path, "db", "upgrade", env=env)
    assert second.returncode == 0, second.stderr
    assert db_rows.rows(empty_db_url, "SELECT version_num FROM alembic_version") == [(head,)]
    assert db_rows.rows(empty_db_url, 'SELECT external_id FROM "user"') == [("chat:kept",)]


# --- --help ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "mentions"),
    [
        pytest.param((), ("run", "chat", "questions", "db"), id="interview-bot"),
        pytest.param(("run",), ("--config",), id="run"),
        pytest.param(("chat",), ("--config", "--user"), id="chat"),
        pytest.param(("questions",), ("validate",), id="questions"),
        pytest.param(("questions", "validate"), ("paths", "--config"), id="questions-validate"),
        pytest.param(("db",), ("upgrade",), id="db"),
        pytest.param(("db", "upgrade"), ("--config",), id="db-upgrade"),
        pytest.param(("db", "backup"), ("path", "--config"), id="db-backup"),
    ],
)
def test_help_works_for_every_command(
    argv: tuple[str, ...], mentions: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    # In-process: argparse alone decides this, and a subprocess per page would cost seconds.
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(" ".join(["usage: interview-bot", *argv]))
    for word in mentions:
        assert word in out


# --- --version, db backup, broken pipes -----------------------------------------------------


def test_version_names_the_installed_release(tmp_path: Path) -> None:
    result = bot(tmp_path, "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"interview-bot {importlib.metadata.version('interview-bot')}"


def test_db_backup_copies_a_live_sqlite_database_and_never_overwrites(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    env = {"DATABASE_URL": sqlite_url(db)}
    assert bot(tmp_path, "db", "upgrade", env=env).returncode == 0
    writer = sqlite3.connect(db)
    writer.execute("PRAGMA journal_mode=WAL")
    with writer:
        writer.execute(
            'INSERT INTO "user" (external_id, display_name, is_active, created_at) '
            "VALUES ('chat:kept', 'kept', 1, '2026-03-02 09:00:00')"
        )
    try:
        # The bot's connection stays open, its last write still in the WAL: the copy has it.
        result = bot(tmp_path, "db", "backup", "copy.db", env=env)
    finally:
        writer.close()
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Backed up {db} to copy.db (")
    with closing(sqlite3.connect(tmp_path / "copy.db")) as copy:
        assert copy.execute('SELECT external_id FROM "user"').fetchall() == [("chat:kept",)]
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    again = bot(tmp_path, "db", "backup", "copy.db", env=env)
    assert_config_error(again, "copy.db exists already")
    missing = bot(tmp_path, "db", "backup", "x.db", env={"DATABASE_URL": sqlite_url(tmp_path / "none.db")})
    assert_config_error(missing, "no database file at")


def test_db_backup_on_postgresql_prints_the_pg_dump_command_without_the_password(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://bot:s3cret-pass@db.example:5432/interview"
    result = bot(tmp_path, "db", "backup", "dump.pgc", env={"DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert (
        "pg_dump --format=custom --file dump.pgc 'postgresql://bot@db.example:5432/interview'"
        in result.stdout
    )
    assert "s3cret" not in result.stdout + result.stderr


def test_a_reader_that_stops_early_ends_the_output_without_a_traceback(tmp_path: Path) -> None:
    requests = "".join(
        json.dumps({"question_id": "agile-experience", "answer": f"We ran Scrum, answer {n}."}) + "\n"
        for n in range(2000)
    )
    shell = f"{sys.executable} -m bot questions try --jsonl | head -n 1"
    result = subprocess.run(
        ["bash", "-c", shell], cwd=tmp_path, input=requests, capture_output=True, text=True, timeout=120
    )
    assert len(result.stdout.splitlines()) == 1
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr, result.stderr
