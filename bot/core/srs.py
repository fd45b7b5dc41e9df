"""Spaced-repetition reviews of answered questions, on the FSRS algorithm (the `fsrs` package).

A thin, typed wrapper: no database and no Telegram. A card's state travels as fsrs's own
JSON (the database stores that text plus `due` in an indexed column), and every call takes
the review time `at` explicitly, so the domain layer injects its clock and tests can run
months of schedule without sleeping.

Why the scheduler is set up the way it is:
- `learning_steps=()` and `relearning_steps=()`: fsrs by default brings a card back after 1
  and 10 minutes, which suits a flashcard app but not a chat question; without steps every
  interval is a whole number of days, at least one.
- fuzzing (a small random spread of intervals of 3+ days, so cards rated together do not
  all fall due on the same morning) is on in production and off in tests for determinism.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import fsrs

from bot.core.rating import Rating

DESIRED_RETENTION = 0.9
ONE_DAY = timedelta(days=1)


def to_fsrs_rating(rating: Rating) -> fsrs.Rating:
    """Our AGAIN..EASY (1..4) to fsrs's Again..Easy, which carry the same values by design.

    Mapped by value, so adding a rating to one side without the other fails loudly here;
    tests/test_srs.py checks that names and values agree.
    """
    return fsrs.Rating(int(rating))


def as_utc(moment: datetime, *, name: str = "at") -> datetime:
    """The same instant with tzinfo exactly `datetime.UTC` (is `timezone.utc`), as fsrs demands.

    fsrs rejects naive datetimes and also aware ones in `ZoneInfo("UTC")` (it compares the
    tzinfo object, not the offset), so every aware datetime is converted here. A naive one is
    refused: we cannot know which local time it meant.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class CardState:
    """One user's FSRS card for one question, as stored.

    `card_json` is the source of truth (fsrs's `Card.to_json()`); the other fields are read
    from it for convenience and for the database's indexed `due` column.
    """

    card_json: str
    due: datetime
    stability: float | None
    difficulty: float | None
    last_review: datetime | None

    @classmethod
    def from_card(cls, card: fsrs.Card) -> CardState:
        return cls(
            card_json=card.to_json(),
            due=as_utc(card.due, name="card due"),
            stability=card.stability,
            difficulty=card.difficulty,
            last_review=None if card.last_review is None else as_utc(card.last_review, name="last review"),
        )

    def to_card(self) -> fsrs.Card:
        return fsrs.Card.from_json(self.card_json)

    def to_json(self) -> str:
        return self.card_json

    @classmethod
    def from_json(cls, text: str) -> CardState:
        """Parse a stored card; ValueError for anything that is not an fsrs card's JSON."""
        try:
            card = fsrs.Card.from_json(text)
        except (KeyError, TypeError, ValueError) as error:  # JSONDecodeError is a ValueError
            raise ValueError(f"not an fsrs card JSON: {error!r}") from error
        return cls.from_card(card)


@dataclass(frozen=True, slots=True)
class ReviewOutcome:
    card: CardState
    log_json: str  # fsrs `ReviewLog.to_json()`: kept so the schedule can be recomputed
    due: datetime  # UTC; equal to card.due
    interval: timedelta  # due - at


def latest_due(at: datetime, not_after: datetime) -> datetime:
    """The latest due date allowed when the user's real interview is at `not_after`.

    - At least a whole day left: the interval is capped at the whole days left, so the
      review keeps the time of day the user practises at and still lands before the interview.
    - Less than a day left: due at `not_after` itself (never later, and still after `at`, so
      a "practise everything due now" loop cannot pick the same card again straight away).
    - The interview is now or past: nothing can be scheduled before it any more, so the
      cap becomes the shortest interval fsrs gives, one day. The domain layer should stop
      passing `not_after` once the interview is over if it wants normal spacing back.
    """
    left = not_after - at
    if left >= ONE_DAY:
        return at + timedelta(days=left.days)
    if left > timedelta(0):
        return not_after
    return at + ONE_DAY


class SpacedRepetition:
    """One fsrs Scheduler with the app's settings; stateless between calls."""

    def __init__(self, *, enable_fuzzing: bool = True, desired_retention: float = DESIRED_RETENTION) -> None:
        self.scheduler = fsrs.Scheduler(
            desired_retention=desired_retention,
            learning_steps=(),
            relearning_steps=(),
            enable_fuzzing=enable_fuzzing,
        )

    def new_card(self, at: datetime, *, card_id: int | None = None) -> CardState:
        """A never-reviewed card, due at `at`.

        `fsrs.Card()` left to itself reads the wall clock for `due` and for its id (and
        sleeps 1 ms to keep ids unique), so both are given: the id defaults to `at` in epoch
        milliseconds. The id only links review logs to their card inside fsrs.
        """
        at = as_utc(at)
        if card_id is None:
            card_id = int(at.timestamp() * 1000)
        return CardState.from_card(fsrs.Card(card_id=card_id, due=at))

    def review(
        self,
        state: CardState | None,
        rating: Rating,
        at: datetime,
        *,
        not_after: datetime | None = None,
    ) -> ReviewOutcome:
        """Review the card (a new one when `state` is None) at `at` with the user's rating.

        `not_after` is the user's real interview: the next due date is capped by
        `latest_due`. The cap only moves `due`; stability and difficulty stay fsrs's own, so
        the next (early) review is scored by fsrs from the actual elapsed time.
        """
        at = as_utc(at)
        limit = None if not_after is None else latest_due(at, as_utc(not_after, name="not_after"))
        card = self.new_card(at).to_card() if state is None else state.to_card()
        reviewed, log = self.scheduler.review_card(card, to_fsrs_rating(rating), review_datetime=at)
        if limit is not None and reviewed.due > limit:
            reviewed.due = limit
        new_state = CardState.from_card(reviewed)
        return ReviewOutcome(
            card=new_state,
            log_json=log.to_json(),
            due=new_state.due,
            interval=new_state.due - at,
        )

    def retrievability(self, state: CardState, at: datetime) -> float:
        """fsrs's predicted probability of recall at `at`: 0 for a never-reviewed card.

        fsrs counts elapsed time in whole days, so it stays 1.0 until a day has passed.
        Lower means weaker or more overdue.
        """
        return float(self.scheduler.get_card_retrievability(state.to_card(), current_datetime=as_utc(at)))
