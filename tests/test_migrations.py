"""Migrations and models agree, and every migration can be undone and redone."""

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

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
