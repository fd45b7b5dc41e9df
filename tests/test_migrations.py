"""Migrations and models agree, and every migration can be undone and redone."""

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import NullPool, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from storage.migrate import alembic_config, head_revision
from storage.models import Base


def schema_drift(path: Path) -> list[object]:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))
    finally:
        engine.dispose()


def test_migrations_match_models_and_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    config = alembic_config(f"sqlite+aiosqlite:///{path}")
    command.upgrade(config, "head")
    assert schema_drift(path) == []
    command.downgrade(config, "base")
    assert schema_drift(path) != []
    command.upgrade(config, "head")
    assert schema_drift(path) == []


def test_0004_adds_a_nullable_analysis_that_old_answers_leave_null(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    config = alembic_config(f"sqlite+aiosqlite:///{path}")
    command.upgrade(config, "0003")
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    'INSERT INTO "user" (id, external_id, display_name, is_active, created_at)'
                    " VALUES (1, 'tg:1', 'Ann', 1, '2026-03-02 09:00:00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO answer (user_id, question_id, text, word_count, covered, points_total,"
                    " asked_at, answered_at, seconds_taken)"
                    " VALUES (1, 'q', 'an old answer', 3, '[0]', 4, '2026-03-02 09:00:00',"
                    " '2026-03-02 09:01:00', 60)"
                )
            )
        command.upgrade(config, "head")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT text, analysis FROM answer")).one() == ("an old answer", None)
        command.downgrade(config, "0003")
        with engine.connect() as conn:
            columns = [row[1] for row in conn.execute(text("PRAGMA table_info(answer)"))]
            assert "analysis" not in columns
            assert conn.execute(text("SELECT text, covered FROM answer")).one() == ("an old answer", "[0]")
    finally:
        engine.dispose()


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
    assert schema_drift(path) == []


def start_at_once(url: str, processes: int = 4) -> list[tuple[int, str]]:
    """Migrate one fresh database from several processes started together, as bot processes
    starting at once do; each one's exit code and error output."""
    code = "import sys; from storage.migrate import upgrade; upgrade(sys.argv[1])"
    started = [
        subprocess.Popen([sys.executable, "-c", code, url], stderr=subprocess.PIPE, text=True)
        for _ in range(processes)
    ]
    return [(p.wait(timeout=120), (p.stderr.read() if p.stderr else "")[-500:]) for p in started]


def test_processes_starting_at_once_on_a_fresh_sqlite_file_all_succeed(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    assert start_at_once(f"sqlite+aiosqlite:///{path}") == [(0, "")] * 4
    assert schema_drift(path) == []


async def test_processes_starting_at_once_on_a_fresh_postgresql_database_all_succeed() -> None:
    raw = os.environ.get("TEST_DATABASE_URL", "")
    if not raw:
        pytest.skip("TEST_DATABASE_URL is not set (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test)")
    base = make_url(raw)
    name = f"migrate_test_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = base.set(database=name).render_as_string(hide_password=False)
        results = await asyncio.to_thread(start_at_once, url)
        assert results == [(0, "")] * 4
        fresh = create_async_engine(url, poolclass=NullPool)
        try:
            async with fresh.connect() as conn:
                versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
        finally:
            await fresh.dispose()
        assert len(versions) == 1
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
