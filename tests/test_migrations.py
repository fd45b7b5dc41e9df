"""Migrations and models agree, and every migration can be undone and redone."""

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from storage.migrate import alembic_config
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
