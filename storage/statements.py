"""Statements that SQLite and PostgreSQL spell each in their own dialect, built once per backend."""

from typing import Any

from sqlalchemy import ColumnElement, Table
from sqlalchemy.dialects import postgresql, sqlite

BACKENDS: dict[str, Any] = {"sqlite": sqlite, "postgresql": postgresql}


def insert_or_skip(table: Table, index_elements: list[str], *returning: ColumnElement[Any]) -> dict[str, Any]:
    """INSERT ... ON CONFLICT (index_elements) DO NOTHING RETURNING ..., by backend name: the rows
    returned are the ones inserted, a row the unique index already holds is skipped."""
    return {
        name: module.insert(table).on_conflict_do_nothing(index_elements=index_elements).returning(*returning)
        for name, module in BACKENDS.items()
    }
