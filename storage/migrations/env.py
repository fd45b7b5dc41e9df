"""Alembic environment: async engine, batch mode so SQLite can alter tables."""

import asyncio

from alembic import context
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from storage.models import Base

config = context.config
target_metadata = Base.metadata


# Any fixed 64-bit number: PostgreSQL's advisory locks are named by one.
_MIGRATION_LOCK = 7_301_552_914_771_845


def _run(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # Processes starting at once on a fresh database take turns; the later ones find the
        # schema at head and do nothing. Held until the connection closes. (SQLite: a file lock
        # in storage/migrate.py.)
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK})
        connection.commit()
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = create_async_engine(url, poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
