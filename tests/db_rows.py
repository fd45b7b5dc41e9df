"""Read and change the bot's database behind its back, as an operator or a fault would, on
whichever database the test runs (the bot's URL, with a synchronous driver)."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url

# PostgreSQL: a query that would wait on the bot's locks fails instead of freezing the test's loop.
PG_OPTIONS = "-c statement_timeout=10000 -c lock_timeout=5000"


def sync_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return parsed.set(drivername="sqlite").render_as_string(hide_password=False)


@contextmanager
def sync_engine(url: str) -> Iterator[Engine]:
    is_pg = make_url(url).get_backend_name() == "postgresql"
    engine = create_engine(sync_url(url), connect_args={"options": PG_OPTIONS} if is_pg else {})
    try:
        yield engine
    finally:
        engine.dispose()


def rows(url: str, sql: str, **params: Any) -> list[Any]:
    with sync_engine(url) as engine, engine.connect() as conn:
        return list(conn.execute(text(sql), params))


def execute(url: str, *statements: str) -> None:
    """Run statements in one transaction."""
    with sync_engine(url) as engine, engine.begin() as conn:
        for sql in statements:
            conn.execute(text(sql))


def refuse_sql(url: str, name: str, table: str, event: str, message: str) -> list[str]:
    """Statements adding trigger `name`, which refuses every `event` (e.g. "INSERT",
    "UPDATE OF position") on `table` with `message`: a real fault in the real database."""
    if make_url(url).get_backend_name() == "postgresql":
        # The test database's triggers are dropped before the next test (tests/db_postgres.py).
        return [
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{message}'; END $$",
            f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()",
        ]
    return [f"CREATE TRIGGER {name} BEFORE {event} ON {table} BEGIN SELECT RAISE(ABORT, '{message}'); END"]


def unrefuse_sql(url: str, name: str, table: str) -> str:
    if make_url(url).get_backend_name() == "postgresql":
        return f"DROP TRIGGER {name} ON {table}"
    return f"DROP TRIGGER {name}"


def every_row(url: str) -> str:
    """Every row of every table, as text: to show that something was never stored."""
    with sync_engine(url) as engine, engine.connect() as conn:
        return "\n".join(
            repr(row)
            for table in inspect(conn).get_table_names()
            for row in conn.execute(text(f'SELECT * FROM "{table}"'))
        )


def stored_json(value: Any) -> Any:
    """A JSON column read with plain SQL: text on SQLite, already decoded on PostgreSQL."""
    return json.loads(value) if isinstance(value, str) else value


def stored_utc(value: str | datetime) -> datetime:
    """A timestamp column read with plain SQL: SQLite keeps UTC as text without an offset,
    PostgreSQL gives an aware datetime."""
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)
