"""The optional deeper review of one stored answer by a language model.

Who may ask ([llm] enabled_for / allow_user_ids), how often (max_reviews_per_day, counted over
the last 24 hours), and at most one call per answer at a time. A stored review is shown again
without asking the model. The model is called outside any transaction; the review is stored
afterwards in its own short one.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.config import LlmSettings
from bot.core.clock import Clock
from bot.core.endpoint import ServiceFailure
from bot.core.interview import Identity, InterviewService
from bot.core.review_model import DeeperReview, ReviewModel
from questions.schema import Question
from storage.db import Database


@dataclass(frozen=True, slots=True)
class Reviewed:
    answer_id: int
    question: Question
    review: DeeperReview
    # True when it was stored already (a second press): the model was not asked again.
    stored: bool = False


@dataclass(frozen=True, slots=True)
class Ready:
    """Checked: the model may be asked about this answer."""

    answer_id: int
    question: Question
    text: str
    spoken: bool


@dataclass(frozen=True, slots=True)
class ReviewNotAvailable:
    """No [llm] endpoint, or this user is not on the allowlist."""


@dataclass(frozen=True, slots=True)
class ReviewNotFound:
    """Not this user's answer (a forged or foreign button, or data deleted since)."""


@dataclass(frozen=True, slots=True)
class ReviewLimitReached:
    limit: int


@dataclass(frozen=True, slots=True)
class ReviewInProgress:
    """A review of this answer is being asked for already."""


@dataclass(frozen=True, slots=True)
class ReviewFailed:
    failure: ServiceFailure


ReviewOutcome = (
    Reviewed | ReviewNotAvailable | ReviewNotFound | ReviewLimitReached | ReviewInProgress | ReviewFailed
)


def stored_review(data: dict[str, Any] | None) -> DeeperReview | None:
    """A stored review for display; None when absent or (an older shape) no longer valid."""
    if data is None:
        return None
    try:
        return DeeperReview.model_validate(data)
    except ValueError:
        return None


class DeeperReviews:
    def __init__(
        self,
        db: Database,
        interviews: InterviewService,
        settings: LlmSettings,
        model: ReviewModel | None,
        clock: Clock,
        *,
        allowed_external_ids: frozenset[str] = frozenset(),
    ) -> None:
        self.db = db
        self.interviews = interviews
        self.settings = settings
        self.model = model
        self.clock = clock
        self.allowed_external_ids = allowed_external_ids
        self._running: set[int] = set()

    def available_to(self, who: Identity, *, operator: bool = False) -> bool:
        """Whether to offer the review at all; `operator`: the person running the bot (terminal)."""
        if self.model is None:
            return False
        return operator or self.settings.enabled_for == "all" or who.external_id in self.allowed_external_ids

    async def check(self, who: Identity, answer_id: int, *, operator: bool = False) -> ReviewOutcome | Ready:
        """Everything short of asking the model (a front end answers a button press with it)."""
        if not self.available_to(who, operator=operator):
            return ReviewNotAvailable()
        async with self.db.unit() as uow:
            answer = await uow.answers.owned(answer_id, who.external_id)
            if answer is None:
                return ReviewNotFound()
            question = self.interviews.question(answer.question_id)
            kept = stored_review(answer.deeper_review)
            if kept is not None:
                return Reviewed(answer_id, question, kept, stored=True)
            done = await uow.answers.deeper_reviews_since(answer.user_id, self.clock() - timedelta(days=1))
        if done >= self.settings.max_reviews_per_day:
            return ReviewLimitReached(self.settings.max_reviews_per_day)
        if answer_id in self._running:
            return ReviewInProgress()
        return Ready(answer_id, question, answer.text, answer.voice_seconds is not None)

    async def review(self, who: Identity, answer_id: int, *, operator: bool = False) -> ReviewOutcome:
        """Check, ask the model (the slow part: seconds), store and return the review."""
        ready = await self.check(who, answer_id, operator=operator)
        if not isinstance(ready, Ready):
            return ready
        return await self.ask(ready)

    async def ask(self, ready: Ready) -> ReviewOutcome:
        assert self.model is not None
        if ready.answer_id in self._running:
            return ReviewInProgress()
        self._running.add(ready.answer_id)
        try:
            result = await self.model.review(
                ready.question.text,
                [tp.label for tp in ready.question.talking_points],
                ready.text,
                spoken=ready.spoken,
            )
        finally:
            self._running.discard(ready.answer_id)
        if isinstance(result, ServiceFailure):
            return ReviewFailed(result)
        async with self.db.unit() as uow:
            await uow.answers.set_deeper_review(ready.answer_id, result.model_dump(), self.clock())
        return Reviewed(ready.answer_id, ready.question, result)

    async def aclose(self) -> None:
        if self.model is not None:
            await self.model.aclose()
