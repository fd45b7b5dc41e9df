"""Looking back: history pages, every attempt at a question, stats and streaks, deleting it all.

Plain async Python over plain data, like the interview: front ends pass an Identity and
render the small values returned here. Dates a user sees are local dates in the user's
time zone (user.timezone, else the configured default); instants stay in UTC.

Streaks, decided once here:
- A streak is a run of consecutive local days with at least one answer.
- The current streak is the run that ends today or yesterday. A run whose last day is
  yesterday still counts as current until today ends (the user can still extend it
  today), so it is not reset at local midnight; `practised_today` tells the two apart.
- A run that ended the day before yesterday or earlier is broken: the current streak is 0.
- Days come from the instants in the user's time zone *now*: a user who moves zones sees
  their past answers on the dates of the new zone.
"""

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from itertools import pairwise
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from bot.core.clock import Clock
from bot.core.deeper import stored_review
from bot.core.feedback import Feedback
from bot.core.feedback.stored import from_stored
from bot.core.interview import Identity, InterviewService
from bot.core.picking import resolve_topic
from bot.core.probes import Probe
from bot.core.rating import Rating
from bot.core.review_model import DeeperReview
from bot.core.reviews import user_zone
from bot.core.schedule_time import local_date
from bot.core.zone_offsets import offset_spans
from questions.schema import Question
from questions.topics import TOPICS
from storage.db import Database
from storage.records import AnswerRecord, StatSeries

DEFAULT_PAGE_SIZE = 5
MAX_PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class HistoryItem:
    answer_id: int
    question: Question
    answered_at: datetime
    # answered_at's date in the user's time zone
    day: date
    covered: int
    total: int
    rating: Rating | None
    excerpt: str = ""


@dataclass(frozen=True, slots=True)
class HistoryPage:
    """One page of answers, newest first. Pages count from 1; `page` is always in 1..pages."""

    items: tuple[HistoryItem, ...]
    page: int
    pages: int
    total: int
    page_size: int
    # The topic slug the page is filtered by; None for all topics.
    topic: str | None
    # What was asked for when it named no topic of the bank (the page is then empty).
    unknown_topic: str | None = None

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def topic_name(self) -> str | None:
        return TOPICS[self.topic] if self.topic else None


@dataclass(frozen=True, slots=True)
class AttemptDiff:
    """What changed since the previous attempt at the same question."""

    newly_covered: tuple[str, ...]
    lost: tuple[str, ...]
    word_change: int

    @property
    def points_change(self) -> int:
        return len(self.newly_covered) - len(self.lost)


@dataclass(frozen=True, slots=True)
class Attempt:
    answer_id: int
    # 1 for the first attempt at the question
    number: int
    answered_at: datetime
    day: date
    text: str
    covered_labels: tuple[str, ...]
    missed_labels: tuple[str, ...]
    covered: int
    total: int
    rating: Rating | None
    word_count: int
    # None for the first attempt
    diff: AttemptDiff | None
    # The analysis shown when it was answered; None for answers stored before it was kept.
    feedback: Feedback | None = None
    # A spoken answer's length (its text is the transcript); None for typed answers.
    voice_seconds: int | None = None
    # The language model's review, when one was asked for.
    deeper_review: DeeperReview | None = None
    # The follow-up asked after it and the answer to it (None: none asked, or skipped).
    probe: Probe | None = None
    probe_answer: str | None = None


@dataclass(frozen=True, slots=True)
class QuestionHistory:
    question: Question
    # oldest first
    attempts: tuple[Attempt, ...]
    # The answer the user opened (one of the attempts).
    answer_id: int

    @property
    def latest(self) -> Attempt:
        return self.attempts[-1]


@dataclass(frozen=True, slots=True)
class TopicStats:
    topic: str
    name: str
    answers: int
    # distinct questions answered
    questions: int
    covered: int
    total: int
    # (rating, how many answers got it) for every rating, AGAIN first
    ratings: tuple[tuple[Rating, int], ...]
    unrated: int

    @property
    def percent(self) -> int:
        """Share of talking points covered over all the topic's answers."""
        return round(100 * self.covered / self.total) if self.total else 0


class ChartPoint(NamedTuple):
    """One answer on the coverage chart (bot/present/charts.py reads these four fields).

    A named tuple, not a dataclass: /stats builds one per answer (10,000 for some users), and a
    tuple is made about twice as fast as a frozen dataclass.
    """

    day: date
    topic: str
    covered: int
    total: int


_new_chart_point: Callable[[Iterable[Any]], ChartPoint] = partial(tuple.__new__, ChartPoint)


@dataclass(frozen=True, slots=True)
class Streaks:
    current: int
    longest: int
    last_day: date | None
    practised_today: bool


@dataclass(frozen=True, slots=True)
class Stats:
    answers: int
    days_practised: int
    current_streak: int
    longest_streak: int
    practised_today: bool
    last_practised: date | None
    today: date
    timezone: str
    # Topics with at least one answer, in the fixed TOPICS order.
    topics: tuple[TopicStats, ...]
    reviews_due: int
    # The earliest review still to come after now (None when none is scheduled).
    next_review_at: datetime | None
    # One point per answer to a question still in the bank, oldest first.
    series: tuple[ChartPoint, ...]


def streaks(days: Iterable[date], today: date) -> Streaks:
    """Current and longest runs of consecutive days (see the module docstring for the rules)."""
    ordered = sorted(set(days))
    if not ordered:
        return Streaks(0, 0, None, False)
    longest = run = 1
    for before, after in pairwise(ordered):
        run = run + 1 if after - before == timedelta(days=1) else 1
        longest = max(longest, run)
    last = ordered[-1]
    current = run if last >= today - timedelta(days=1) else 0
    return Streaks(current, longest, last, today in ordered)


def _labels(question: Question, indexes: Iterable[int]) -> tuple[str, ...]:
    # Indexes beyond the question's current talking points (the bank changed) are dropped.
    points = question.talking_points
    return tuple(points[i].label for i in sorted(set(indexes)) if 0 <= i < len(points))


def attempt_diff(question: Question, before: AnswerRecord, after: AnswerRecord) -> AttemptDiff:
    gained = set(after.covered) - set(before.covered)
    lost = set(before.covered) - set(after.covered)
    return AttemptDiff(
        _labels(question, gained), _labels(question, lost), after.word_count - before.word_count
    )


class ProgressService:
    def __init__(
        self, db: Database, interviews: InterviewService, clock: Clock, default_timezone: str
    ) -> None:
        self.db = db
        self.interviews = interviews
        self.bank = interviews.bank
        self.clock = clock
        self.default_timezone = default_timezone

    def _zone(self, name: str | None) -> ZoneInfo:
        return user_zone(name, self.default_timezone)

    def _topic(self, given: str) -> str | None:
        return given if given in self.bank.topics() else resolve_topic(self.bank, given)

    async def history_page(
        self, who: Identity, page: int, topic: str | None = None, page_size: int = DEFAULT_PAGE_SIZE
    ) -> HistoryPage:
        """A page of the user's answers, newest first, optionally of one topic.

        `page` counts from 1 and is clamped into range, so a stale "Next" button lands on the
        last page. `topic` is a slug (or anything /history accepts, e.g. "Agile").
        """
        page_size = min(max(page_size, 1), MAX_PAGE_SIZE)
        topic = topic.strip() if topic else None
        slug = self._topic(topic) if topic else None
        if topic and slug is None:
            return HistoryPage((), 1, 1, 0, page_size, None, unknown_topic=topic[:64])
        question_ids = [q.id for q in self.bank.by_topic(slug)] if slug else None
        async with self.db.unit() as uow:
            profile = await uow.users.profile(who.external_id)
            if profile is None:
                return HistoryPage((), 1, 1, 0, page_size, slug)
            history = uow.history
            total = await history.count(profile.user_id, question_ids)
            pages = max(1, math.ceil(total / page_size))
            page = min(max(page, 1), pages)
            rows = (
                await history.page(
                    profile.user_id, (page - 1) * page_size, page_size, question_ids, total=total
                )
                if total
                else []
            )
        tz = self._zone(profile.timezone)
        items = tuple(
            HistoryItem(
                r.id,
                self.interviews.question(r.question_id),
                r.answered_at,
                local_date(r.answered_at, tz),
                len(r.covered),
                r.points_total,
                Rating(r.rating) if r.rating else None,
                r.excerpt,
            )
            for r in rows
        )
        return HistoryPage(items, page, pages, total, page_size, slug)

    async def attempts(self, who: Identity, answer_id: int) -> QuestionHistory | None:
        """Every attempt at the question of `answer_id`, oldest first, with what changed each time.

        None unless that answer is the user's own: a forged or forwarded button reveals nothing.
        """
        async with self.db.unit() as uow:
            profile = await uow.users.profile(who.external_id)
            if profile is None:
                return None
            # The query checks ownership: a foreign answer id looks exactly like a missing one.
            opened = await uow.history.attempts_by_answer(profile.user_id, answer_id)
        if not any(a.id == answer_id for a in opened):
            return None
        question = self.interviews.question(opened[0].question_id)
        tz = self._zone(profile.timezone)
        attempts: list[Attempt] = []
        previous: AnswerRecord | None = None
        for number, record in enumerate(opened, start=1):
            attempts.append(
                Attempt(
                    answer_id=record.id,
                    number=number,
                    answered_at=record.answered_at,
                    day=local_date(record.answered_at, tz),
                    text=record.text,
                    covered_labels=_labels(question, record.covered),
                    missed_labels=_labels(
                        question, set(range(len(question.talking_points))) - set(record.covered)
                    ),
                    covered=len(record.covered),
                    total=record.points_total,
                    rating=Rating(record.rating) if record.rating else None,
                    word_count=record.word_count,
                    diff=attempt_diff(question, previous, record) if previous else None,
                    feedback=from_stored(record.analysis),
                    voice_seconds=record.voice_seconds,
                    deeper_review=stored_review(record.deeper_review),
                    probe=Probe.parse(record.probe),
                    probe_answer=record.probe_answer,
                )
            )
            previous = record
        return QuestionHistory(question, tuple(attempts), answer_id)

    async def stats(self, who: Identity) -> Stats:
        """Totals, streaks and the chart's points from one read of the user's answers.

        The chart needs a point per answer, so one small row per answer is read (from an index
        alone, storage.history_repositories.stat_series; its local date found from the zone's
        offsets, bot.core.zone_offsets) and everything else is added up from the same rows. A
        second pass in SQL (GROUP BY question and rating) cost SQLite 14-15 ms of CPU for 10,000
        answers, sorting them in a temporary B-tree; the same sums here cost about 5 ms.
        """
        now = self.clock()
        series: StatSeries | None = None
        due = None
        async with self.db.unit() as uow:
            profile = await uow.users.profile(who.external_id)
            tz = self._zone(profile.timezone if profile else None)
            if profile is not None:
                series = await uow.history.stat_series(profile.user_id, partial(offset_spans, tz))
                due = await uow.cards.reviews_due(profile.user_id, now)
        today = local_date(now, tz)
        days = set(series.days) if series else set()
        runs = streaks(days, today)
        return Stats(
            answers=len(series.days) if series else 0,
            days_practised=len(days),
            current_streak=runs.current,
            longest_streak=runs.longest,
            practised_today=runs.practised_today,
            last_practised=runs.last_day,
            today=today,
            timezone=tz.key,
            topics=self._topic_stats(series) if series else (),
            reviews_due=due.due_now if due else 0,
            next_review_at=due.next_at if due else None,
            series=self._chart_points(series) if series else (),
        )

    def _chart_points(self, series: StatSeries) -> tuple[ChartPoint, ...]:
        """One point per answer to a question still in the bank (the others have no topic)."""
        topic_of = {question_id: q.topic for question_id, q in self.bank.by_id.items()}
        topics = [topic_of.get(question_id) for question_id in series.question_ids]
        points: Iterable[tuple[Any, ...]] = zip(
            series.days, topics, series.covered, series.points_total, strict=True
        )
        if None in topics:
            points = (p for p in points if p[1] is not None)
        # Built by tuple.__new__ in map, not by calling ChartPoint per answer: half the time
        # for 10,000 answers (no Python frame per point).
        return tuple(map(_new_chart_point, points))

    def _topic_stats(self, series: StatSeries) -> tuple[TopicStats, ...]:
        # Answers to questions no longer in the bank have no topic: they count as answers
        # and practice days, but in no topic and not on the chart.
        # Per question first (a few hundred keys; the counting runs in C), then per topic.
        answers = Counter(zip(series.question_ids, series.ratings, strict=True))
        covered: dict[str, int] = {}
        asked: dict[str, int] = {}
        for question_id, c, t in zip(series.question_ids, series.covered, series.points_total, strict=True):
            covered[question_id] = covered.get(question_id, 0) + c
            asked[question_id] = asked.get(question_id, 0) + t
        by_topic: dict[str, list[tuple[str, int | None, int]]] = defaultdict(list)
        for (question_id, rating), n in answers.items():
            question = self.bank.by_id.get(question_id)
            if question is not None:
                by_topic[question.topic].append((question_id, rating, n))
        result = []
        for slug, name in TOPICS.items():
            tallied = by_topic.get(slug)
            if not tallied:
                continue
            counts = dict.fromkeys(Rating, 0)
            unrated = 0
            for _, rating, n in tallied:
                if rating is None:
                    unrated += n
                else:
                    counts[Rating(rating)] += n
            questions = {question_id for question_id, _, _ in tallied}
            result.append(
                TopicStats(
                    topic=slug,
                    name=name,
                    answers=sum(n for _, _, n in tallied),
                    questions=len(questions),
                    covered=sum(covered[q] for q in questions),
                    total=sum(asked[q] for q in questions),
                    ratings=tuple(counts.items()),
                    unrated=unrated,
                )
            )
        return tuple(result)

    async def delete_everything(self, who: Identity) -> bool:
        """Delete the user and everything stored about them; True when there was something to delete.

        A later /start registers them afresh, with nothing from before.
        """
        async with self.db.unit() as uow:
            deleted = await uow.users.delete(who.external_id)
        if deleted:
            await self.db.purge_deleted()
        return deleted
