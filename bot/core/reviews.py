"""Turning a self-rating into the question's next review (FSRS), inside the caller's unit of work."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.core.rating import Rating
from bot.core.srs import CardState, SpacedRepetition
from storage.uow import UnitOfWork


def user_zone(name: str | None, default: str) -> ZoneInfo:
    """The user's time zone, falling back to the configured default if unset or no longer known."""
    for candidate in (name, default):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (KeyError, ValueError):
                continue
    return ZoneInfo("UTC")


def interview_cap(interview_date: date | None, tz: ZoneInfo, now: datetime) -> datetime | None:
    """No review is scheduled after the user's real interview: the start of that day, locally."""
    if interview_date is None:
        return None
    cap = datetime.combine(interview_date, time(0, 0), tz)
    return cap if cap > now else None


async def record_review(
    uow: UnitOfWork,
    srs: SpacedRepetition,
    *,
    user_id: int,
    question_id: str,
    answer_id: int | None,
    rating: Rating,
    now: datetime,
    not_after: datetime | None,
) -> datetime:
    """Review the card, store it and the review log; returns when the question is due next."""
    existing = await uow.cards.get(user_id, question_id)
    state = CardState.from_json(existing.state_json) if existing else None
    outcome = srs.review(state, rating, now, not_after=not_after)
    await uow.cards.save(user_id, question_id, outcome.card.to_json(), outcome.due, int(rating), now)
    await uow.review_logs.add(user_id, question_id, answer_id, int(rating), now, outcome.log_json)
    return outcome.due
