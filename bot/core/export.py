"""What /export puts in a document: every answer of a user, with ids turned into texts.

The core selects the data; the documents (Markdown, HTML, CSV, zip) are drawn by
bot/present/export.py.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.clock import Clock
from bot.core.deeper import stored_review
from bot.core.feedback import Feedback
from bot.core.feedback.stored import from_stored
from bot.core.interview import Identity
from bot.core.rating import Rating
from bot.core.review_model import DeeperReview
from questions.loader import QuestionBank
from storage.db import Database


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


async def load_export_rows(db: Database, bank: QuestionBank, external_id: str) -> list[ExportRow]:
    """Every answer of the user with that external id, oldest first ([] for an unknown user)."""
    async with db.unit() as uow:
        result = await uow.history.everything(external_id)
    rows: list[ExportRow] = []
    for r in result:
        question = bank.by_id.get(r.question_id)
        topic: str | None
        text: str | None
        if question is None:
            topic, text = None, None
            covered: tuple[str, ...] = ()
            missed: tuple[str, ...] = ()
        else:
            topic, text = question.topic_name, question.text
            labels = [tp.label for tp in question.talking_points]
            # Indexes beyond the question's current points (it was edited since) are dropped.
            hit = {i for i in r.covered if isinstance(i, int) and 0 <= i < len(labels)}
            covered = tuple(label for i, label in enumerate(labels) if i in hit)
            missed = tuple(label for i, label in enumerate(labels) if i not in hit)
        rows.append(
            ExportRow(
                answered_at=r.answered_at,
                question_id=r.question_id,
                topic=topic,
                question=text,
                answer=r.text,
                covered=covered,
                missed=missed,
                rating=_rating(r.rating),
                word_count=r.word_count,
                seconds_taken=r.seconds_taken,
                feedback=from_stored(r.analysis),
                voice_seconds=r.voice_seconds,
                deeper_review=stored_review(r.deeper_review),
            )
        )
    return rows


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

    async def rows(self, who: Identity) -> ExportData | NothingToExport:
        """Every answer of `who`, oldest first; the zone is read only when there is something."""
        rows = await load_export_rows(self.db, self.bank, who.external_id)
        if not rows:
            return NothingToExport()
        return ExportData(rows, who.display_name, self.clock(), await self.zone_for(who))
