"""Migrations and models agree, and every migration can be undone and redone."""

import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from storage.migrate import alembic_config, head_revision, upgrade
from storage.models import Base
from tests import db_rows


def schema_drift(url: str) -> list[object]:
    with db_rows.sync_engine(url) as engine, engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))


def test_migrations_match_models_and_round_trip(empty_db_url: str) -> None:
    config = alembic_config(empty_db_url)
    upgrade(empty_db_url)
    assert schema_drift(empty_db_url) == []
    command.downgrade(config, "base")
    assert schema_drift(empty_db_url) != []
    command.upgrade(config, "head")
    assert schema_drift(empty_db_url) == []


def test_0004_adds_a_nullable_analysis_that_old_answers_leave_null(empty_db_url: str) -> None:
    url = empty_db_url
    config = alembic_config(url)
    upgrade(url, "0003")
    db_rows.execute(
        url,
        'INSERT INTO "user" (id, external_id, display_name, is_active, created_at)'
        " VALUES (1, 'tg:1', 'Ann', true, '2026-03-02 09:00:00')",
        "INSERT INTO answer (user_id, question_id, text, word_count, covered, points_total,"
        " asked_at, answered_at, seconds_taken)"
        " VALUES (1, 'q', 'an old answer', 3, '[0]', 4, '2026-03-02 09:00:00',"
        " '2026-03-02 09:01:00', 60)",
    )
    command.upgrade(config, "head")
    assert db_rows.rows(url, "SELECT text, analysis FROM answer") == [("an old answer", None)]
    command.downgrade(config, "0003")
    with db_rows.sync_engine(url) as engine:
        columns = [column["name"] for column in inspect(engine).get_columns("answer")]
    assert "analysis" not in columns
    [(text, covered)] = db_rows.rows(url, "SELECT text, covered FROM answer")
    assert (text, db_rows.stored_json(covered)) == ("an old answer", [0])


def test_head_revision_read_from_the_files_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    assert head_revision() == ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def test_upgrade_of_a_current_sqlite_file_skips_alembic_and_an_older_one_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    url = f"sqlite+aiosqlite:///{path}"
    command.upgrade(alembic_config(url), "0007")
    # An older file is migrated; a current one is recognised without importing Alembic at all.
    code = (
        "import sys; from storage.migrate import upgrade; upgrade(sys.argv[1]); "
        "print('alembic' in sys.modules)"
    )
    runs = [
        subprocess.run([sys.executable, "-c", code, url], capture_output=True, text=True, timeout=120)
        for _ in range(2)
    ]
    assert [(r.returncode, r.stdout.strip()) for r in runs] == [(0, "True"), (0, "False")], runs[0].stderr
    assert schema_drift(url) == []


def start_at_once(url: str, processes: int = 4) -> list[tuple[int, str]]:
    """Migrate one fresh database from several processes started together, as bot processes
    starting at once do; each one's exit code and error output."""
    code = "import sys; from storage.migrate import upgrade; upgrade(sys.argv[1])"
    started = [
        subprocess.Popen([sys.executable, "-c", code, url], stderr=subprocess.PIPE, text=True)
        for _ in range(processes)
    ]
    return [(p.wait(timeout=120), (p.stderr.read() if p.stderr else "")[-500:]) for p in started]


def test_processes_starting_at_once_on_a_fresh_database_all_succeed(empty_db_url: str) -> None:
    assert start_at_once(empty_db_url) == [(0, "")] * 4
    assert schema_drift(empty_db_url) == []
    assert len(db_rows.rows(empty_db_url, "SELECT version_num FROM alembic_version")) == 1
