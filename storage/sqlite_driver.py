"""SQLite through aiosqlite, one thread hand-off per statement instead of four.

SQLAlchemy's aiosqlite adapter makes every statement four trips to aiosqlite's worker thread
(create a cursor, execute, fetch all rows, close), each a queue put, a wake-up of that thread
and a wake-up of the event loop. Here the cursor's whole life runs in one trip: the worker
creates the driver cursor, executes, fetches and closes, and hands back the rows with the
description, row count and last row id. Nothing else changes: the same aiosqlite connection,
thread, errors and SQL. Server-side cursors (streamed exports) keep SQLAlchemy's own cursor.

A transaction's `BEGIN IMMEDIATE` (storage/db.py) rides with its first statement, in the same
trip; a transaction that ran no statement never began, so its COMMIT or ROLLBACK is skipped.

`create_async_engine(url, module=one_hop_dbapi())` is SQLAlchemy's documented way to hand a
dialect its DBAPI module. It relies on aiosqlite's `Connection._execute(fn, *args)` (queue a
function on the connection's thread; SQLAlchemy's adapter uses the same queue); the tests in
tests/test_sqlite_driver.py fail if that ever changes.
"""

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT

_Description = tuple[tuple[Any, ...], ...] | None
_Outcome = tuple[_Description, list[Any], int, int | None]


BEGIN = "BEGIN IMMEDIATE"


def _run(
    connection: sqlite3.Connection, operation: str, parameters: Any, many: bool, begin: bool
) -> _Outcome:
    """In aiosqlite's thread: the statement (after BEGIN, if its transaction has not begun
    yet), its rows and what the cursor tells about it."""
    if begin:
        connection.execute(BEGIN)
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class _OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statement runs in one trip to aiosqlite's thread."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # No driver cursor up front (that alone was a trip): _run makes one per statement.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: _Description = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    def close(self) -> None:
        self._rows.clear()

    async def _async_soft_close(self) -> None:
        """The driver cursor is closed already; its rows and description stay here."""

    def setinputsizes(self, *inputsizes: Any) -> None:
        """SQLite takes no input sizes."""

    def nextset(self) -> None:
        raise NotImplementedError("SQLite has one result set per statement")

    async def _trip(self, operation: Any, parameters: Any, many: bool) -> None:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        adapted: OneHopConnection = self._adapt_connection  # type: ignore[assignment]
        async with adapted._execute_mutex:
            # Cleared before the trip: once queued, the BEGIN runs even if this await is cancelled.
            begin, adapted.begin_pending = adapted.begin_pending, False
            outcome: _Outcome = await connection._execute(  # type: ignore[no-untyped-call]
                _run, connection._conn, operation, parameters, many, begin
            )
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        await self._trip(operation, parameters, False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Sequence[Any]) -> None:
        await self._trip(operation, seq_of_parameters, True)


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("begin_pending",)
    _cursor_cls = _OneHopCursor  # type: ignore[assignment]  # a subclass; mypy reads the base as exact

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.begin_pending = False  # set by storage/db.py's begin event; sent with the next statement

    def cursor(self, server_side: bool = False) -> Any:
        if server_side and self.begin_pending:
            # A streamed statement runs on aiosqlite's own cursor: begin first, in a trip of its own.
            self.begin_pending = False
            self._cursor_cls(self).execute(BEGIN)
        return super().cursor(server_side)

    def _began(self) -> bool:
        """Whether the transaction reached SQLite (a statement ran); forgets a pending BEGIN."""
        pending, self.begin_pending = self.begin_pending, False
        return not pending

    def commit(self) -> None:
        if self._began():
            super().commit()

    def rollback(self) -> None:
        if self._began():
            super().rollback()


class _OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)


def one_hop_dbapi() -> AsyncAdapt_aiosqlite_dbapi:
    """The DBAPI module to give `create_async_engine(..., module=...)` for an aiosqlite URL."""
    return _OneHopDBAPI(aiosqlite, sqlite3)
