"""What /export puts in a document: every answer of a user, with ids turned into texts.

The core selects the data; the documents (Markdown, HTML, CSV, zip) are drawn by
bot/present/export.py.

A user may have tens of thousands of long answers, so nothing here holds them all at once:
`ExportService.plan` reads an outline (one small `ExportEntry` per answer, no texts) in keyset
pages, and `ExportPlan.fetch` gives the full rows of a few answers at a time, each read in its
own short transaction. A document is drawn from the outline, fetching rows as it goes.
`load_export_rows` and `ExportService.rows` still give everything in a list, for small histories
and tests.
"""

from collections.abc import Awaitable, Callable, Collection, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from bot.core.clock import Clock
from bot.core.deeper import stored_review
from bot.core.feedback import Feedback
from bot.core.feedback.stored import from_stored
from bot.core.interview import Identity
from bot.core.rating import Rating
from bot.core.review_model import DeeperReview
from questions.loader import QuestionBank
from questions.schema import Question
from storage.db import Database
from storage.history_repositories import OutlineRow
from storage.records import AnswerRecord

# Outline rows per keyset page (about 100 bytes each) and full rows per fetch (answers of up to
# MAX_ANSWER_CHARS plus their analysis): both bound what one read holds in memory.
OUTLINE_PAGE: Final = 2_000
FETCH_CHUNK: Final = 100


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One answer, with question ids and talking-point indexes already turned into texts.

    A stored answer may refer to a question from a pack that was removed since: its topic
    and question are None, and the presentation words them from the id.
    """

    answered_at: datetime  # aware, UTC
    question_id: str
    topic: str | None  # display name
    question: str | None
    answer: str
    covered: tuple[str, ...]  # talking-point labels
    missed: tuple[str, ...]
    rating: Rating | int | None  # an int only for a value outside today's scale
    word_count: int
    seconds_taken: int
    # The analysis shown when it was answered; None for answers stored before it was kept.
    feedback: Feedback | None = None
    # A spoken answer's length (`answer` is its transcript); None for typed answers.
    voice_seconds: int | None = None
    deeper_review: DeeperReview | None = None


def _rating(value: int | None) -> Rating | int | None:
    if value is None:
        return None
    try:
        return Rating(value)
    except ValueError:
        return value


def _points(question: Question | None, stored: Sequence[object]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(covered, missed) talking-point labels; none for a question gone from the bank."""
    if question is None:
        return (), ()
    labels = [tp.label for tp in question.talking_points]
    # Indexes beyond the question's current points (it was edited since) are dropped.
    hit = {i for i in stored if isinstance(i, int) and 0 <= i < len(labels)}
    covered = tuple(label for i, label in enumerate(labels) if i in hit)
    missed = tuple(label for i, label in enumerate(labels) if i not in hit)
    return covered, missed


def export_row(record: AnswerRecord, bank: QuestionBank) -> ExportRow:
    question = bank.by_id.get(record.question_id)
    covered, missed = _points(question, record.covered)
    return ExportRow(
        answered_at=record.answered_at,
        question_id=record.question_id,
        topic=None if question is None else question.topic_name,
        question=None if question is None else question.text,
        answer=record.text,
        covered=covered,
        missed=missed,
        rating=_rating(record.rating),
        word_count=record.word_count,
        seconds_taken=record.seconds_taken,
        feedback=from_stored(record.analysis),
        voice_seconds=record.voice_seconds,
        deeper_review=stored_review(record.deeper_review),
    )


@dataclass(frozen=True, slots=True)
class ExportEntry:
    """One answer in a document's outline: what grouping and totals need, without the text.

    `topic` and `question` are None for a question no longer in the bank, as in ExportRow;
    `covered` and `points` count talking points exactly as ExportRow's labels do.
    """

    answer_id: int
    question_id: str
    topic: str | None
    question: str | None
    covered: int
    points: int


def _entry(outline: OutlineRow, bank: QuestionBank) -> ExportEntry:
    question = bank.by_id.get(outline.question_id)
    covered, missed = _points(question, outline.covered)
    return ExportEntry(
        outline.id,
        outline.question_id,
        None if question is None else question.topic_name,
        None if question is None else question.text,
        len(covered),
        len(covered) + len(missed),
    )


# The full rows of some answers, by answer id; an answer deleted since the outline is absent.
RowFetcher = Callable[[Collection[int]], Coroutine[Any, Any, Mapping[int, ExportRow]]]


@dataclass(frozen=True, slots=True)
class ExportPlan:
    """An export without its texts: the outline (oldest first) and how to fetch the rows."""

    entries: list[ExportEntry]
    fetch: RowFetcher  # at most FETCH_CHUNK ids a call keeps one read small
    user_name: str
    generated_at: datetime  # aware, UTC
    tz: ZoneInfo  # the user's zone, for local times in the document


async def _outline(db: Database, bank: QuestionBank, user_id: int) -> list[ExportEntry]:
    entries: list[ExportEntry] = []
    after: tuple[datetime, int] | None = None
    while True:
        # One short transaction a page: a long export never holds the database.
        async with db.unit() as uow:
            page = await uow.history.export_outline(user_id, after, OUTLINE_PAGE)
        entries.extend(_entry(row, bank) for row in page)
        if len(page) < OUTLINE_PAGE:
            return entries
        after = (page[-1].answered_at, page[-1].id)


def _fetcher(db: Database, bank: QuestionBank, user_id: int) -> RowFetcher:
    async def fetch(answer_ids: Collection[int]) -> Mapping[int, ExportRow]:
        async with db.unit() as uow:
            records = await uow.history.export_rows(user_id, answer_ids)
        return {record.id: export_row(record, bank) for record in records}

    return fetch


async def _user_id(db: Database, external_id: str) -> int | None:
    async with db.unit() as uow:
        user = await uow.users.get(external_id)
    return None if user is None else user.id


async def fetch_all(entries: Sequence[ExportEntry], fetch: RowFetcher) -> list[ExportRow]:
    """Every row of an outline in its order, fetched FETCH_CHUNK at a time (small histories)."""
    rows: list[ExportRow] = []
    for start in range(0, len(entries), FETCH_CHUNK):
        ids = [entry.answer_id for entry in entries[start : start + FETCH_CHUNK]]
        found = await fetch(ids)
        rows.extend(found[i] for i in ids if i in found)
    return rows


async def load_export_rows(db: Database, bank: QuestionBank, external_id: str) -> list[ExportRow]:
    """Every answer of the user with that external id, oldest first ([] for an unknown user)."""
    user_id = await _user_id(db, external_id)
    if user_id is None:
        return []
    return await fetch_all(await _outline(db, bank, user_id), _fetcher(db, bank, user_id))


@dataclass(frozen=True, slots=True)
class ExportData:
    """Everything a document needs: the rows (oldest first), whose they are, when and where."""

    rows: list[ExportRow]
    user_name: str
    generated_at: datetime  # aware, UTC
    tz: ZoneInfo  # the user's zone, for local times in the document


@dataclass(frozen=True, slots=True)
class NothingToExport:
    """The user has no answers (or is unknown)."""


class ExportService:
    """/export's data for a front end: which rows, whose, when and in which zone; no rendering."""

    def __init__(
        self,
        db: Database,
        bank: QuestionBank,
        zone_for: Callable[[Identity], Awaitable[ZoneInfo]],
        clock: Clock,
    ) -> None:
        self.db = db
        self.bank = bank
        self.zone_for = zone_for
        self.clock = clock

    async def plan(self, who: Identity) -> ExportPlan | NothingToExport:
        """The outline of every answer of `who`, oldest first, and a fetcher for the rows."""
        user_id = await _user_id(self.db, who.external_id)
        if user_id is None:
            return NothingToExport()
        entries = await _outline(self.db, self.bank, user_id)
        if not entries:
            return NothingToExport()
        return ExportPlan(
            entries,
            _fetcher(self.db, self.bank, user_id),
            who.display_name,
            self.clock(),
            await self.zone_for(who),
        )

    async def rows(self, who: Identity) -> ExportData | NothingToExport:
        """Every answer of `who` in a list, oldest first (small histories; documents use plan)."""
        plan = await self.plan(who)
        if isinstance(plan, NothingToExport):
            return plan
        rows = await fetch_all(plan.entries, plan.fetch)
        return ExportData(rows, plan.user_name, plan.generated_at, plan.tz)
