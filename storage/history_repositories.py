"""Read-only queries for looking back over answers: history pages, attempts at one question,
stats, an export (AnswerRepository in repositories.py writes the answers).

Every per-user read goes through one of the answer table's indexes, never a full scan:
- ix_answer_user_answered is (user_id, answered_at, id, question_id, rating, points_total,
  covered): the user's answers in time order, carrying what history pages skip over and what
  /stats adds up, so neither reads a table row per answer (migration 0009);
- a history page picks its answer ids from that index alone (ORDER BY answered_at DESC, id DESC
  is the index order backwards: no sort; OFFSET steps over index entries) and then reads only
  those rows by primary key (a deferred join: on PostgreSQL a plain OFFSET would fetch every
  skipped row from the heap); pages in the older half are read from the other end
  (HistoryRepository.page);
- a topic is a set of question ids from the question bank (topics are not stored), so the
  topic filter is `question_id IN (...)`, tested on the index entries; the count is
  index-only on ix_answer_user_question;
- all attempts at one question use ix_answer_user_question (ordered by id, its own order);
- /stats reads one small row per answer from ix_answer_user_answered alone (the chart needs a
  point per answer; its local date comes from bisecting the day starts of the zone's offsets,
  not from per-row date arithmetic) and adds them up in the same pass (stat_series);
- an export reads the user's answers in pages: an outline without the texts, by keyset on
  ix_answer_user_answered ((answered_at, id) after the last page's end, no OFFSET), then the
  full rows a few at a time by primary key (HistoryRepository.export_outline, export_rows).
tests/test_progress.py checks the plans with EXPLAIN QUERY PLAN; bench/history_queries.py
times them with 10,000 answers for one user among 1,000,000, on SQLite and PostgreSQL.
"""

import math
from bisect import bisect_left
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import repeat
from typing import Any

from sqlalchemy import BigInteger, Select, String, Table, bindparam, cast, func, select, tuple_, type_coerce
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from storage.models import Answer, User
from storage.records import AnswerRecord, HistoryRow, OffsetSpan, StatRow, StatSeries
from storage.repositories import answer_record

_user: Table = User.__table__  # type: ignore[assignment]
_answer: Table = Answer.__table__  # type: ignore[assignment]


def _by_time(records: list[AnswerRecord]) -> list[AnswerRecord]:
    return sorted(records, key=lambda a: (a.answered_at, a.id))


EXCERPT_CHARS = 160


def _in_questions(question_ids: Collection[str]) -> ColumnElement[bool]:
    """question_id among those, the ids written into the SQL as literals (they come from the
    question bank, never from a user). On PostgreSQL a list of parameters, or one array
    parameter, is a worse plan once a prepared statement switches to its generic plan (after
    five runs): the array is compared element by element for each index entry instead of
    looked up in a hash built once, 7 ms instead of 1 for a 633-answer topic of a 10,000-answer
    user (bench/history_queries.py)."""
    ids: BindParameter[list[str]] = bindparam(
        "question_ids", sorted(question_ids), literal_execute=True, expanding=True
    )
    return _answer.c.question_id.in_(ids)


def page_query(
    user_id: int,
    offset: int,
    limit: int,
    question_ids: Collection[str] | None = None,
    *,
    oldest_first: bool = False,
) -> Select[Any]:
    """A slice of the user's answers, newest first (or oldest first); ids break ties.

    The slice's ids come from ix_answer_user_answered alone, then only those rows are read;
    the result is in no particular order (HistoryRepository.page sorts the few rows).
    """
    ids = select(_answer.c.id).where(_answer.c.user_id == user_id)
    if question_ids is not None:
        ids = ids.where(_in_questions(question_ids))
    order = (
        (_answer.c.answered_at, _answer.c.id)
        if oldest_first
        else (_answer.c.answered_at.desc(), _answer.c.id.desc())
    )
    chosen = ids.order_by(*order).offset(offset).limit(limit).subquery("chosen")
    return select(
        _answer.c.id,
        _answer.c.question_id,
        _answer.c.answered_at,
        _answer.c.covered,
        _answer.c.points_total,
        _answer.c.rating,
        func.substr(_answer.c.text, 1, EXCERPT_CHARS).label("excerpt"),
    ).join_from(chosen, _answer, _answer.c.id == chosen.c.id)


def count_query(user_id: int, question_ids: Collection[str] | None = None) -> Select[Any]:
    stmt = select(func.count()).select_from(_answer).where(_answer.c.user_id == user_id)
    if question_ids is not None:
        stmt = stmt.where(_in_questions(question_ids))
    return stmt


# Attempts are ordered by id in SQL, which is ix_answer_user_question's own order (the rowid is its
# hidden last column). Asking for answered_at there makes SQLite walk every answer of the user in
# ix_answer_user_answered order to avoid a sort; the repository sorts the few rows by time itself.
def attempts_query(user_id: int, question_id: str) -> Select[Any]:
    return (
        select(_answer)
        .where(_answer.c.user_id == user_id, _answer.c.question_id == question_id)
        .order_by(_answer.c.id)
    )


def attempts_by_answer_query(user_id: int, answer_id: int) -> Select[Any]:
    """Attempts at the question of `answer_id`, only if that answer is the user's own:
    for anyone else's id the subquery is NULL and nothing matches.
    """
    question_id = (
        select(_answer.c.question_id)
        .where(_answer.c.id == answer_id, _answer.c.user_id == user_id)
        .scalar_subquery()
    )
    return (
        select(_answer)
        .where(_answer.c.user_id == user_id, _answer.c.question_id == question_id)
        .order_by(_answer.c.id)
    )


def _covered_count(dialect: str) -> ColumnElement[Any]:
    # Counting the JSON array in the database spares decoding thousands of small lists in Python.
    length = func.jsonb_array_length if dialect == "postgresql" else func.json_array_length
    return length(_answer.c.covered)


def stat_rows_query(user_id: int, dialect: str = "sqlite") -> Select[Any]:
    """One compact row per answer, oldest first (the straightforward way to compute stats)."""
    return (
        select(
            _answer.c.answered_at,
            _answer.c.question_id,
            _covered_count(dialect).label("covered_count"),
            _answer.c.points_total,
            _answer.c.rating,
        )
        .where(_answer.c.user_id == user_id)
        .order_by(_answer.c.answered_at, _answer.c.id)
    )


def _time_key(dialect: str) -> ColumnElement[Any]:
    """What orders the answers in time and is cheap to read: SQLite's stored text as it is (no
    datetime built per row), PostgreSQL's whole seconds since 1970 (asyncpg fetched 10,000 rows
    in 11 ms of CPU with timestamps, 4 with these). Local days start on whole seconds, so
    `key >= start` compares exactly either way."""
    at = _answer.c.answered_at
    if dialect == "postgresql":
        return cast(func.floor(func.extract("epoch", at)), BigInteger)
    return type_coerce(at, String)


def stat_series_query(user_id: int, dialect: str = "sqlite") -> Select[Any]:
    """Per answer, oldest first: when (as _time_key), its question, points covered and asked,
    its rating."""
    return (
        select(
            _time_key(dialect).label("at"),
            _answer.c.question_id,
            _covered_count(dialect).label("covered_count"),
            _answer.c.points_total,
            _answer.c.rating,
        )
        .where(_answer.c.user_id == user_id)
        .order_by(_answer.c.answered_at, _answer.c.id)
    )


@dataclass(frozen=True, slots=True)
class OutlineRow:
    """One answer without its text: enough to order, group and total an export."""

    id: int
    answered_at: datetime
    question_id: str
    covered: tuple[int, ...]


def export_outline_query(user_id: int, after: tuple[datetime, int] | None, limit: int) -> Select[Any]:
    """A page of the user's answers oldest first, without texts, after (answered_at, id)."""
    stmt = select(_answer.c.id, _answer.c.answered_at, _answer.c.question_id, _answer.c.covered).where(
        _answer.c.user_id == user_id
    )
    if after is not None:
        # A row value: SQLite turns it into a range on ix_answer_user_answered (rowid last).
        stmt = stmt.where(tuple_(_answer.c.answered_at, _answer.c.id) > tuple_(*after))
    return stmt.order_by(_answer.c.answered_at, _answer.c.id).limit(limit)


def export_rows_query(user_id: int, answer_ids: Collection[int]) -> Select[Any]:
    """Those answers of the user (by primary key; anyone else's ids match nothing)."""
    return select(_answer).where(_answer.c.id.in_(sorted(answer_ids)), _answer.c.user_id == user_id)


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_DAY = 86400


def _day_starts(first: datetime, last: datetime, spans: Sequence[OffsetSpan]) -> list[tuple[int, date]]:
    """(epoch second, local date) where each local day of [first, last] begins, in time order;
    the first entry is the local day of `first`. A date may come twice: a zone that turns its
    clocks back across midnight re-enters the previous day for a while.

    Offsets are whole seconds, so every local midnight is a whole second in UTC and the local
    date of an instant t under offset o is floor((t + o) / 86400) days after 1970-01-01.
    """
    low = math.floor(first.timestamp())
    high = last.timestamp()
    starts: list[tuple[int, date]] = []
    begin = low
    for span in spans:
        end = int(span.until.timestamp()) if span.until is not None else math.inf
        if end <= begin:
            continue
        o = span.seconds
        day = (begin + o) // _DAY
        starts.append((begin, date.fromordinal(_EPOCH_ORDINAL + day)))
        midnight = (day + 1) * _DAY - o
        while midnight < end and midnight <= high:
            day += 1
            starts.append((midnight, date.fromordinal(_EPOCH_ORDINAL + day)))
            midnight += _DAY
        if end > high:
            break
        begin = int(end)
    return starts


def _stored_text(epoch_second: int) -> str:
    """A whole second as SQLite holds instants in a UtcDateTime column ('YYYY-MM-DD HH:MM:SS'
    then '.ffffff', naive UTC), so stored values compare with it as text in time order. Without
    the fraction it is a prefix of the same second's stored values, which sort after it, and a
    value stored without a fraction equals it."""
    return datetime.fromtimestamp(epoch_second, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _from_stored_text(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _from_epoch(epoch_second: int) -> datetime:
    return datetime.fromtimestamp(epoch_second, UTC)


async def query_plan(conn: AsyncConnection, stmt: Select[Any]) -> list[str]:
    """SQLite's EXPLAIN QUERY PLAN lines for a statement (tests and the benchmark read them)."""
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    rows = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
    return [str(r[-1]) for r in rows]


class HistoryRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def page(
        self,
        user_id: int,
        offset: int,
        limit: int,
        question_ids: Collection[str] | None = None,
        *,
        total: int | None = None,
    ) -> list[HistoryRow]:
        """`limit` answers newest first, skipping `offset`; only those questions if given.

        With `total` (the count of matching answers), a page in the older half is read from
        the oldest end and reversed: OFFSET steps over index entries one by one, and with a
        topic filter each step also reads the row, so walking from the nearer end halves the
        worst case and makes the last page as cheap as the first.
        """
        if question_ids is not None and not question_ids:
            return []
        if total is not None and offset > total // 2:
            limit = min(limit, total - offset)
            if limit <= 0:
                return []
            stmt = page_query(user_id, total - offset - limit, limit, question_ids, oldest_first=True)
        else:
            stmt = page_query(user_id, offset, limit, question_ids)
        rows = [
            HistoryRow(answer_id, question_id, at, tuple(covered), points_total, rating, excerpt or "")
            for answer_id, question_id, at, covered, points_total, rating, excerpt in await self.conn.execute(
                stmt
            )
        ]
        # The deferred join returns the page's rows in no particular order.
        rows.sort(key=lambda r: (r.answered_at, r.id), reverse=True)
        return rows

    async def count(self, user_id: int, question_ids: Collection[str] | None = None) -> int:
        if question_ids is not None and not question_ids:
            return 0
        return int((await self.conn.execute(count_query(user_id, question_ids))).scalar_one())

    async def everything(self, external_id: str) -> list[AnswerRecord]:
        """Every answer of that user, oldest first, for an export (one indexed read)."""
        rows = await self.conn.execute(
            select(_answer)
            .join(_user, _user.c.id == _answer.c.user_id)
            .where(_user.c.external_id == external_id)
            .order_by(_answer.c.answered_at, _answer.c.id)
        )
        return [answer_record(r) for r in rows]

    async def export_outline(
        self, user_id: int, after: tuple[datetime, int] | None, limit: int
    ) -> list[OutlineRow]:
        """Up to `limit` answers oldest first, after (answered_at, id) if given; no texts."""
        rows = await self.conn.execute(export_outline_query(user_id, after, limit))
        return [OutlineRow(answer_id, at, qid, tuple(covered)) for answer_id, at, qid, covered in rows]

    async def export_rows(self, user_id: int, answer_ids: Collection[int]) -> list[AnswerRecord]:
        """Those of the user's answers that still exist, in no particular order."""
        if not answer_ids:
            return []
        rows = await self.conn.execute(export_rows_query(user_id, answer_ids))
        return [answer_record(r) for r in rows]

    async def attempts(self, user_id: int, question_id: str) -> list[AnswerRecord]:
        """Every answer the user gave to one question, oldest first."""
        rows = await self.conn.execute(attempts_query(user_id, question_id))
        return _by_time([answer_record(r) for r in rows])

    async def attempts_by_answer(self, user_id: int, answer_id: int) -> list[AnswerRecord]:
        """Every answer the user gave to the question `answer_id` answered, oldest first;
        empty unless `answer_id` is the user's own (the ownership check is in the query).
        """
        rows = await self.conn.execute(attempts_by_answer_query(user_id, answer_id))
        return _by_time([answer_record(r) for r in rows])

    async def stat_rows(self, user_id: int) -> list[StatRow]:
        """One compact row per answer, oldest first."""
        rows = await self.conn.execute(stat_rows_query(user_id, self.conn.dialect.name))
        # Unpacking tuples, not reading attributes: this runs once per answer (10,000 for some users).
        return [StatRow(at, qid, int(n), total, rating) for at, qid, n, total, rating in rows]

    async def stat_series(
        self, user_id: int, offsets: Callable[[datetime, datetime], Sequence[OffsetSpan]]
    ) -> StatSeries:
        """The user's answers oldest first, as parallel columns, each with its local date.

        `offsets(first, last)` gives the time zone's offsets over the user's first to last answer
        (bot.core.zone_offsets). The rows come in time order, so each local day is a run of
        them: the day starts are found by bisection and the dates filled in by runs, with no
        date arithmetic per answer.
        """
        rows = await self._driver_rows(stat_series_query(user_id, self.conn.dialect.name))
        if not rows:
            return StatSeries([], (), (), (), ())
        keys, question_ids, covered, points_total, ratings = zip(*rows, strict=True)
        # The keys as _time_key reads them: SQLite's stored text, PostgreSQL's epoch seconds.
        as_key: Callable[[int], Any]
        if self.conn.dialect.name == "sqlite":
            as_key, first, last = _stored_text, _from_stored_text(keys[0]), _from_stored_text(keys[-1])
        else:
            as_key, first, last = int, _from_epoch(keys[0]), _from_epoch(keys[-1])
        starts = _day_starts(first, last, offsets(first, last))
        bounds = [bisect_left(keys, as_key(at)) for at, _ in starts[1:]] + [len(keys)]
        days: list[date] = []
        begin = 0
        for (_, day), end in zip(starts, bounds, strict=True):
            days.extend(repeat(day, end - begin))
            begin = end
        return StatSeries(days, question_ids, covered, points_total, ratings)

    async def _driver_rows(self, stmt: Select[Any]) -> Sequence[Sequence[Any]]:
        """The statement's rows straight from the driver (sqlite3 tuples, asyncpg Records), in
        this transaction, with no SQLAlchemy Row around each one: with them, /stats for 10,000
        answers on PostgreSQL took 45-70 ms of CPU in the benchmark's process instead of about
        19, mostly in the garbage collector. Only for columns that need no result processing."""
        compiled = stmt.compile(dialect=self.conn.dialect)
        params = compiled.construct_params()
        args = [params[name] for name in compiled.positiontup or ()]
        driver: Any = (await self.conn.get_raw_connection()).driver_connection
        if self.conn.dialect.name == "postgresql":
            return list(await driver.fetch(str(compiled), *args))
        cursor = await driver.execute(str(compiled), args)
        try:
            return list(await cursor.fetchall())
        finally:
            await cursor.close()
