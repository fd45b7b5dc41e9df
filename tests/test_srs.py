"""The FSRS wrapper against the real fsrs package: no mocks, fuzzing off unless a test says so."""

import json
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import fsrs
import pytest

from bot.core.rating import Rating
from bot.core.srs import CardState, ReviewOutcome, SpacedRepetition, as_utc, latest_due, to_fsrs_rating

AT = datetime(2025, 3, 3, 7, 30, tzinfo=UTC)  # a Monday morning practice
DAY = timedelta(days=1)


@pytest.fixture
def srs() -> SpacedRepetition:
    return SpacedRepetition(enable_fuzzing=False)


def good_reviews(srs: SpacedRepetition, count: int) -> ReviewOutcome:
    """A card rated Good `count` times (count >= 1), each time on its due date."""
    outcome = srs.review(None, Rating.GOOD, AT)
    for _ in range(count - 1):
        outcome = srs.review(outcome.card, Rating.GOOD, outcome.due)
    return outcome


def intervals_by_rating(srs: SpacedRepetition, state: CardState | None, at: datetime) -> list[timedelta]:
    return [srs.review(state, rating, at).interval for rating in Rating]


# --- ratings ---------------------------------------------------------------------------


def test_our_ratings_map_onto_fsrs_ratings_of_the_same_name() -> None:
    assert [(r.name, to_fsrs_rating(r).name.upper()) for r in Rating] == [
        ("AGAIN", "AGAIN"),
        ("HARD", "HARD"),
        ("GOOD", "GOOD"),
        ("EASY", "EASY"),
    ]
    assert [to_fsrs_rating(r) for r in Rating] == list(fsrs.Rating)


def test_first_review_intervals_follow_the_ratings(srs: SpacedRepetition) -> None:
    # Whole days from fsrs's initial stabilities (0.21, 1.29, 2.31, 8.30 days) rounded, at
    # least one: Again and Hard both come back tomorrow on a brand-new card.
    assert intervals_by_rating(srs, None, AT) == [DAY, DAY, 2 * DAY, 8 * DAY]


@pytest.mark.parametrize("previous_reviews", [1, 2, 3, 4])
def test_after_some_reviews_again_hard_good_easy_are_strictly_increasing(
    srs: SpacedRepetition, previous_reviews: int
) -> None:
    card = good_reviews(srs, previous_reviews)
    again, hard, good, easy = intervals_by_rating(srs, card.card, card.due)
    assert DAY <= again < hard < good < easy


# --- no minute-scale steps -------------------------------------------------------------


@pytest.mark.parametrize("rating", list(Rating))
def test_every_first_review_comes_back_in_whole_days(srs: SpacedRepetition, rating: Rating) -> None:
    outcome = srs.review(None, rating, AT)
    assert outcome.interval >= DAY
    assert outcome.interval % DAY == timedelta(0)
    assert json.loads(outcome.card.card_json)["state"] == fsrs.State.Review  # never "Learning"


def test_first_good_is_due_in_two_days(srs: SpacedRepetition) -> None:
    outcome = srs.review(None, Rating.GOOD, AT)
    assert outcome.due == AT + 2 * DAY
    assert outcome.interval == 2 * DAY
    assert outcome.card.last_review == AT


# --- growth and lapses -----------------------------------------------------------------


def test_good_reviews_on_their_due_dates_grow_the_interval(srs: SpacedRepetition) -> None:
    outcome = srs.review(None, Rating.GOOD, AT)
    intervals = [outcome.interval]
    for _ in range(5):
        outcome = srs.review(outcome.card, Rating.GOOD, outcome.due)
        intervals.append(outcome.interval)
    assert intervals == sorted(set(intervals))  # strictly increasing
    assert intervals[0] == 2 * DAY
    assert intervals[-1] > 365 * DAY


def test_again_shrinks_the_interval_and_the_stability(srs: SpacedRepetition) -> None:
    before = good_reviews(srs, 3)
    after = srs.review(before.card, Rating.AGAIN, before.due)
    assert after.interval < before.interval
    assert before.card.stability is not None and after.card.stability is not None
    assert after.card.stability < before.card.stability
    assert before.card.difficulty is not None and after.card.difficulty is not None
    assert after.card.difficulty > before.card.difficulty


# --- timezones -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "at",
    [
        AT.astimezone(ZoneInfo("Europe/Berlin")),
        AT.astimezone(ZoneInfo("UTC")),
        AT.astimezone(ZoneInfo("Pacific/Kiritimati")),  # UTC+14
        AT.astimezone(timezone(timedelta(hours=-12))),
    ],
    ids=["Europe/Berlin", "ZoneInfo-UTC", "UTC+14", "UTC-12"],
)
def test_any_aware_datetime_is_converted_to_utc(srs: SpacedRepetition, at: datetime) -> None:
    earlier = srs.review(None, Rating.GOOD, AT - 3 * DAY)
    outcome = srs.review(earlier.card, Rating.HARD, at)
    assert outcome == srs.review(earlier.card, Rating.HARD, AT)
    assert outcome.due.tzinfo is UTC
    assert outcome.card.last_review is not None and outcome.card.last_review.tzinfo is UTC
    assert fsrs.ReviewLog.from_json(outcome.log_json).review_datetime == AT
    assert srs.retrievability(earlier.card, at) == srs.retrievability(earlier.card, AT)


def test_fsrs_itself_refuses_zoneinfo_utc_which_is_why_we_convert() -> None:
    scheduler = fsrs.Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)
    card = fsrs.Card(card_id=1, due=AT)
    with pytest.raises(ValueError, match="timezone-aware and set to UTC"):
        scheduler.review_card(card, fsrs.Rating.Good, review_datetime=AT.astimezone(ZoneInfo("UTC")))
    assert as_utc(AT.astimezone(ZoneInfo("UTC"))).tzinfo is UTC


def test_naive_at_is_refused_with_our_message(srs: SpacedRepetition) -> None:
    naive = datetime(2025, 3, 3, 7, 30)  # noqa: DTZ001 - the point of the test
    with pytest.raises(
        ValueError, match=r"^at must be a timezone-aware datetime, got naive 2025-03-03T07:30"
    ):
        srs.review(None, Rating.GOOD, naive)
    with pytest.raises(ValueError, match=r"^at must be a timezone-aware datetime"):
        srs.new_card(naive)
    card = srs.review(None, Rating.GOOD, AT).card
    with pytest.raises(ValueError, match=r"^at must be a timezone-aware datetime"):
        srs.retrievability(card, naive)
    with pytest.raises(ValueError, match=r"^not_after must be a timezone-aware datetime"):
        srs.review(None, Rating.GOOD, AT, not_after=naive)


# --- the interview-date cap ------------------------------------------------------------


def test_easy_with_the_interview_in_three_days_is_due_by_then(srs: SpacedRepetition) -> None:
    interview = AT + 3 * DAY
    uncapped = srs.review(None, Rating.EASY, AT)
    capped = srs.review(None, Rating.EASY, AT, not_after=interview)
    assert uncapped.due == AT + 8 * DAY
    assert capped.due == interview
    assert capped.interval == 3 * DAY
    # Only the date moves: what fsrs learnt about the answer is unchanged.
    assert capped.card.stability == uncapped.card.stability
    assert capped.card.difficulty == uncapped.card.difficulty
    # The stored card carries the capped date, so a reload agrees with the indexed column.
    assert CardState.from_json(capped.card.to_json()).due == interview


def test_cap_leaves_a_sooner_review_alone(srs: SpacedRepetition) -> None:
    outcome = srs.review(None, Rating.GOOD, AT, not_after=AT + 10 * DAY)
    assert outcome.due == AT + 2 * DAY


def test_cap_accepts_the_interview_in_another_timezone(srs: SpacedRepetition) -> None:
    # Interview on Thursday 09:00 in Berlin (08:00 UTC): three whole days after Monday 07:30 UTC.
    interview = datetime(2025, 3, 6, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    outcome = srs.review(None, Rating.EASY, AT, not_after=interview)
    assert outcome.due == datetime(2025, 3, 6, 7, 30, tzinfo=UTC)
    assert outcome.due <= interview


@pytest.mark.parametrize(
    ("left", "latest"),
    [
        (3 * DAY, AT + 3 * DAY),
        (3 * DAY + timedelta(hours=20), AT + 3 * DAY),  # whole days: same time of day as practice
        (DAY, AT + DAY),
        (timedelta(hours=6), AT + timedelta(hours=6)),  # less than a day: at the interview itself
        (timedelta(0), AT + DAY),  # interview now or past: the shortest interval, one day
        (-2 * DAY, AT + DAY),
    ],
)
def test_latest_due(left: timedelta, latest: datetime) -> None:
    assert latest_due(AT, AT + left) == latest


def test_capped_due_is_never_after_the_interview_even_with_fuzzing() -> None:
    srs = SpacedRepetition(enable_fuzzing=True)
    card = srs.review(None, Rating.EASY, AT).card
    for days_left in range(1, 12):
        interview = AT + 30 * DAY + days_left * DAY
        for rating in Rating:
            outcome = srs.review(card, rating, AT + 30 * DAY, not_after=interview)
            assert AT + 30 * DAY < outcome.due <= interview


def test_fuzzing_spreads_an_eight_day_interval_over_whole_days() -> None:
    srs = SpacedRepetition(enable_fuzzing=True)
    days = {srs.review(None, Rating.EASY, AT).interval / DAY for _ in range(300)}
    # fsrs computes a range of 6..10 days for 8 but draws round(6 + random() * 5), so 11 can occur too.
    assert days <= {6, 7, 8, 9, 10, 11}
    assert len(days) > 1


# --- serialisation ---------------------------------------------------------------------


def test_new_card_is_due_at_once_and_has_no_memory_yet(srs: SpacedRepetition) -> None:
    card = srs.new_card(AT)
    assert (card.due, card.stability, card.difficulty, card.last_review) == (AT, None, None, None)
    assert json.loads(card.card_json)["card_id"] == int(AT.timestamp() * 1000)
    assert json.loads(srs.new_card(AT, card_id=42).card_json)["card_id"] == 42
    assert srs.review(card, Rating.GOOD, AT) == srs.review(None, Rating.GOOD, AT)


def test_card_state_json_round_trip_gives_the_same_future(srs: SpacedRepetition) -> None:
    states = [srs.new_card(AT), good_reviews(srs, 1).card, good_reviews(srs, 4).card]
    states.append(srs.review(states[-1], Rating.AGAIN, AT + 400 * DAY).card)
    for state in states:
        restored = CardState.from_json(state.to_json())
        assert restored == state
        assert restored.due.tzinfo is UTC
        later = state.due + DAY
        for rating in Rating:
            assert srs.review(restored, rating, later) == srs.review(state, rating, later)


@pytest.mark.parametrize("text", ["", "not json", "[]", "null", "{}", '{"card_id": 1}'])
def test_card_state_from_json_refuses_what_is_not_a_card(text: str) -> None:
    with pytest.raises(ValueError, match="not an fsrs card JSON"):
        CardState.from_json(text)


@pytest.mark.parametrize("rating", list(Rating))
def test_review_log_is_fsrs_review_log_json(srs: SpacedRepetition, rating: Rating) -> None:
    state = srs.new_card(AT, card_id=7)
    outcome = srs.review(state, rating, AT + timedelta(hours=1))
    log = fsrs.ReviewLog.from_json(outcome.log_json)
    assert log.rating == to_fsrs_rating(rating)
    assert int(log.rating) == int(rating)
    assert log.card_id == 7
    assert log.review_datetime == AT + timedelta(hours=1)
    assert log.review_duration is None


def test_review_logs_recompute_the_schedule(srs: SpacedRepetition) -> None:
    # What the stored logs are for: fsrs can replay them into the same card.
    state = srs.new_card(AT, card_id=9)
    logs = []
    at = AT
    for rating in (Rating.GOOD, Rating.HARD, Rating.AGAIN, Rating.GOOD, Rating.EASY):
        outcome = srs.review(state, rating, at)
        logs.append(fsrs.ReviewLog.from_json(outcome.log_json))
        state, at = outcome.card, outcome.due
    replayed = srs.scheduler.reschedule_card(state.to_card(), logs)
    assert CardState.from_card(replayed) == state


# --- retrievability --------------------------------------------------------------------


def test_retrievability_falls_with_time_and_is_lowest_for_the_weakest(srs: SpacedRepetition) -> None:
    assert srs.retrievability(srs.new_card(AT), AT) == 0.0
    strong = good_reviews(srs, 4)
    weak = srs.review(None, Rating.HARD, AT)
    assert srs.retrievability(strong.card, strong.card.last_review or AT) == 1.0
    at_due = srs.retrievability(strong.card, strong.due)
    assert at_due == pytest.approx(0.9, abs=0.01)  # the desired retention, reached on the due date
    assert srs.retrievability(strong.card, strong.due + 30 * DAY) < at_due
    ten_days = AT + 10 * DAY
    assert srs.retrievability(weak.card, ten_days) < srs.retrievability(strong.card, ten_days)
