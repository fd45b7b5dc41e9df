"""Daily practice: the user's settings, which question to push, /review, skip and snooze.

Plain async Python over plain data, like the interview. A pushed question is a one-question
session of kind "daily", so the user answers it by simply replying and the interview's
answer path (feedback, rating, FSRS) handles it unchanged.
"""

import random
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import SchedulerSettings
from bot.core.clock import Clock
from bot.core.interview import AlreadyRunning, Identity, InterviewService, QuestionPrompt, Started
from bot.core.rating import Rating
from bot.core.reviews import user_zone
from bot.core.schedule_time import (
    QuietHours,
    ScheduleInputError,
    days_until,
    local_date,
    next_prompt_at,
    parse_daily_time,
    parse_quiet_hours,
    parse_timezone,
)
from questions.schema import Question
from questions.topics import TOPICS
from storage.db import Database
from storage.records import CardRecord, PracticeProfile, ScheduleRecord
from storage.states import DeliveryKind, DeliveryStatus, PickReason, SessionKind, SessionStatus
from storage.uow import UnitOfWork

REVIEW_SESSION_LIMIT = 20
SNOOZE = timedelta(hours=1)
# On the last days before the interview, practice favours the weakest answers.
FINAL_STRETCH_DAYS = 3


@dataclass(frozen=True, slots=True)
class DailySetting:
    enabled: bool
    local_time: time | None
    timezone: str
    quiet: QuietHours
    next_at: datetime | None
    interview_date: date | None
    days_left: int | None


@dataclass(frozen=True, slots=True)
class Pick:
    question: Question
    reason: PickReason
    last_rating: Rating | None = None
    days_ago: int | None = None


@dataclass(frozen=True, slots=True)
class DailyPrompt:
    """Everything a pushed practice question says around the question itself."""

    prompt: QuestionPrompt
    pick: Pick
    due_count: int
    days_left: int | None
    unpractised_topics: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Busy:
    """The user is in a mock interview or review; a pushed question would cut across it."""


@dataclass(frozen=True, slots=True)
class NothingDue:
    next_due: datetime | None


@dataclass(frozen=True, slots=True)
class TopicChoice:
    slug: str
    name: str
    selected: bool


@dataclass(frozen=True, slots=True)
class InterviewDate:
    day: date | None
    days_left: int | None


def quiet_hours(schedule: ScheduleRecord | None) -> QuietHours:
    """The user's quiet hours; the default (22:00-07:00) until they set a daily time."""
    if schedule is None:
        return QuietHours()
    return QuietHours(schedule.quiet_start, schedule.quiet_end)


def choose(
    questions: Collection[Question],
    *,
    due: list[CardRecord],
    weakest: list[CardRecord],
    answered: Collection[str],
    topics: Collection[str] | None,
    reviews_left_today: int,
    days_left: int | None,
    exclude: Collection[str],
    now: datetime,
    rng: random.Random,
    by_id: dict[str, Question],
) -> Pick | None:
    """A question due for review first (most overdue), else a new one from the chosen topics,
    else the weakest; in the final days before the interview, the weakest come first.
    """

    def from_card(card: CardRecord, reason: PickReason) -> Pick:
        days = max(0, (now - card.last_review_at).days)
        return Pick(by_id[card.question_id], reason, Rating(card.last_rating), days)

    due_picks = [
        from_card(c, PickReason.REVIEW)
        for c in due
        if c.question_id in by_id and c.question_id not in exclude
    ]
    weak_picks = [
        from_card(c, PickReason.WEAKEST)
        for c in weakest
        if c.question_id in by_id and c.question_id not in exclude
    ]
    allowed = [q for q in questions if (topics is None or q.topic in topics) and q.id not in exclude]
    fresh = [q for q in allowed if q.id not in answered]
    if days_left is not None and 0 <= days_left <= FINAL_STRETCH_DAYS and weak_picks:
        return weak_picks[0]
    if due_picks and reviews_left_today > 0:
        return due_picks[0]
    if fresh:
        # Topics not practised yet come first: breadth before the interview.
        practised = {by_id[qid].topic for qid in answered if qid in by_id}
        untouched = [q for q in fresh if q.topic not in practised]
        return Pick(rng.choice(untouched or fresh), PickReason.NEW)
    if weak_picks:
        return weak_picks[0]
    return Pick(rng.choice(allowed), PickReason.NEW) if allowed else None


class PracticeService:
    def __init__(
        self,
        db: Database,
        interviews: InterviewService,
        clock: Clock,
        settings: SchedulerSettings,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.interviews = interviews
        self.bank = interviews.bank
        self.clock = clock
        self.settings = settings
        self.rng = rng or random.Random()
        self._by_id = dict(self.bank.by_id)

    # -- settings ------------------------------------------------------------------------

    def zone(self, profile: PracticeProfile | None) -> ZoneInfo:
        return user_zone(profile.timezone if profile else None, self.settings.default_timezone)

    async def _profile(self, uow: UnitOfWork, who: Identity) -> PracticeProfile:
        await uow.users.upsert(who.external_id, who.chat_id, who.display_name, self.clock())
        profile = await uow.users.profile(who.external_id)
        assert profile is not None
        return profile

    def _setting(self, profile: PracticeProfile, schedule: ScheduleRecord | None) -> DailySetting:
        tz = self.zone(profile)
        quiet = quiet_hours(schedule)
        days_left = days_until(profile.interview_date, self.clock(), tz) if profile.interview_date else None
        return DailySetting(
            enabled=bool(schedule and schedule.enabled),
            local_time=schedule.local_time if schedule else None,
            timezone=tz.key,
            quiet=quiet,
            next_at=schedule.next_due_at if schedule and schedule.enabled else None,
            interview_date=profile.interview_date,
            days_left=days_left,
        )

    async def zone_for(self, who: Identity) -> ZoneInfo:
        """The user's time zone, read-only (the configured default for an unknown user)."""
        async with self.db.unit() as uow:
            profile = await uow.users.profile(who.external_id)
        return self.zone(profile)

    async def daily(self, who: Identity) -> DailySetting:
        async with self.db.unit() as uow:
            profile = await self._profile(uow, who)
            schedule = await uow.schedules.get(profile.user_id)
        return self._setting(profile, schedule)

    async def set_daily(self, who: Identity, time_text: str, zone_text: str | None = None) -> DailySetting:
        """Turn the daily prompt on at a local time; raises ScheduleInputError for bad input."""
        local = parse_daily_time(time_text)
        zone = parse_timezone(zone_text) if zone_text else None
        now = self.clock()
        async with self.db.unit() as uow:
            profile = await self._profile(uow, who)
            if zone is not None:
                await uow.users.set_timezone(profile.user_id, zone.key)
                profile = PracticeProfile(
                    profile.user_id,
                    profile.chat_id,
                    profile.is_active,
                    zone.key,
                    profile.topics,
                    profile.interview_date,
                )
            tz = self.zone(profile)
            schedules = uow.schedules
            current = await schedules.get(profile.user_id)
            quiet = quiet_hours(current)
            await schedules.save(
                profile.user_id,
                enabled=True,
                local_time=local,
                quiet_start=quiet.start,
                quiet_end=quiet.end,
                next_due_at=next_prompt_at(local, tz, now),
                now=now,
            )
            schedule = await schedules.get(profile.user_id)
        return self._setting(profile, schedule)

    async def daily_off(self, who: Identity) -> DailySetting:
        now = self.clock()
        async with self.db.unit() as uow:
            profile = await self._profile(uow, who)
            schedules = uow.schedules
            current = await schedules.get(profile.user_id)
            if current is not None:
                await schedules.save(
                    profile.user_id,
                    enabled=False,
                    local_time=current.local_time,
                    quiet_start=current.quiet_start,
                    quiet_end=current.quiet_end,
                    next_due_at=None,
                    now=now,
                )
            await uow.deliveries.cancel_pending(profile.user_id, (DeliveryKind.DAILY, DeliveryKind.SNOOZE))
            schedule = await schedules.get(profile.user_id)
        return self._setting(profile, schedule)

    async def set_quiet_hours(self, who: Identity, text: str) -> DailySetting:
        quiet = parse_quiet_hours(text)
        now = self.clock()
        async with self.db.unit() as uow:
            profile = await self._profile(uow, who)
            schedules = uow.schedules
            current = await schedules.get(profile.user_id)
            if current is None:
                raise ScheduleInputError(
                    "Set a daily time first, e.g. /daily 07:30, then choose quiet hours."
                )
            await schedules.save(
                profile.user_id,
                enabled=current.enabled,
                local_time=current.local_time,
                quiet_start=quiet.start,
                quiet_end=quiet.end,
                next_due_at=current.next_due_at,
                now=now,
            )
            schedule = await schedules.get(profile.user_id)
        return self._setting(profile, schedule)

    async def topics(self, who: Identity) -> list[TopicChoice]:
        async with self.db.unit() as uow:
            profile = await self._profile(uow, who)
        return self._topic_choices(profile.topics)

    def _topic_choices(self, chosen: tuple[str, ...] | None) -> list[TopicChoice]:
        return [TopicChoice(s, TOPICS[s], chosen is None or s in chosen) for s in self.bank.topics()]

    async def toggle_topic(self, who: Identity, slug: str | None) -> list[TopicChoice] | None:
        """Flip one topic (None: back to all topics); None if the topic does not exist."""
        if slug is not None and slug not in self.bank.topics():
            return None
        async with self.db.unit() as uow:
            profile = await self._profile(uow, who)
            every = self.bank.topics()
            if slug is None:
                chosen: tuple[str, ...] | None = None
            else:
                current = set(profile.topics if profile.topics is not None else every)
                current.symmetric_difference_update({slug})
                # Nothing selected would mean no questions: treat it as all topics again.
                chosen = (
                    tuple(t for t in every if t in current) if current and len(current) < len(every) else None
                )
            await uow.users.set_topics(profile.user_id, chosen)
        return self._topic_choices(chosen)

    async def set_interview_date(self, who: Identity, text: str | None) -> InterviewDate:
        """Set (YYYY-MM-DD) or clear (None) the real interview's date; raises ScheduleInputError."""
        day: date | None = None
        now = self.clock()
        async with self.db.unit() as uow:
            profile = await self._profile(uow, who)
            tz = self.zone(profile)
            if text is not None:
                try:
                    day = date.fromisoformat(text.strip())
                except ValueError:
                    example = local_date(now, tz) + timedelta(days=14)
                    raise ScheduleInputError(
                        f"'{text.strip()[:20]}' is not a date: use YYYY-MM-DD, e.g. {example}."
                    ) from None
                left = days_until(day, now, tz)
                if left < 0:
                    raise ScheduleInputError("That date has passed. Send the date of your next interview.")
                if left > 730:
                    raise ScheduleInputError(
                        "That is more than two years away; pick a date within two years."
                    )
            await uow.users.set_interview_date(profile.user_id, day)
        return InterviewDate(day, days_until(day, now, tz) if day else None)

    # -- choosing and pushing questions ------------------------------------------------

    async def prepare(
        self,
        uow: UnitOfWork,
        profile: PracticeProfile,
        now: datetime,
        *,
        question_id: str | None = None,
        exclude: Collection[str] = (),
    ) -> DailyPrompt | Busy | None:
        """Open a one-question practice session for the user and say why the question was picked.

        Busy when a mock interview or review is running; None when there is nothing to ask.
        """
        sessions = uow.sessions
        running = await sessions.active_for_user(profile.user_id)
        if running is not None and running.kind != SessionKind.DAILY:
            return Busy()
        tz = self.zone(profile)
        cards = uow.cards
        day_start = datetime.combine(local_date(now, tz), time(0, 0), tz)
        pushed = await uow.deliveries.reviews_pushed_since(profile.user_id, day_start)
        days_left = days_until(profile.interview_date, now, tz) if profile.interview_date else None
        answered = await uow.answers.answered_question_ids(profile.user_id)
        pick: Pick | None
        if question_id is not None and question_id in self._by_id:
            card = await cards.get(profile.user_id, question_id)
            pick = (
                Pick(
                    self._by_id[question_id],
                    PickReason.REVIEW,
                    Rating(card.last_rating),
                    (now - card.last_review_at).days,
                )
                if card
                else Pick(self._by_id[question_id], PickReason.NEW)
            )
        else:
            pick = choose(
                self.bank.questions,
                due=await cards.due(profile.user_id, now, 10),
                weakest=await cards.weakest(profile.user_id, 10),
                answered=answered,
                topics=profile.topics,
                reviews_left_today=self.settings.max_reviews_per_day - pushed,
                days_left=days_left,
                exclude=exclude,
                now=now,
                rng=self.rng,
                by_id=self._by_id,
            )
        if pick is None:
            return None
        if running is not None:  # yesterday's unanswered prompt gives way to today's
            await sessions.close(running.id, SessionStatus.REPLACED, now)
        session = await sessions.create(
            profile.user_id, pick.question.topic, [pick.question.id], now, kind=SessionKind.DAILY
        )
        assert session is not None
        practised = {self._by_id[q].topic for q in answered if q in self._by_id}
        unpractised = (
            tuple(TOPICS[t] for t in self.bank.topics() if t not in practised)
            if days_left is not None
            else ()
        )
        return DailyPrompt(
            prompt=QuestionPrompt(session.id, 1, 1, pick.question, SessionKind.DAILY),
            pick=pick,
            due_count=await cards.count_due(profile.user_id, now),
            days_left=days_left,
            unpractised_topics=unpractised,
        )

    async def skip(self, who: Identity, session_id: int) -> DailyPrompt | Busy | None:
        """Swap the pushed question for another; None if that prompt is no longer open."""
        now = self.clock()
        async with self.db.unit() as uow:
            profile = await uow.users.profile(who.external_id)
            if profile is None:
                return None
            session = await uow.sessions.owned(session_id, profile.user_id)
            if session is None or session.status != SessionStatus.ACTIVE or session.kind != SessionKind.DAILY:
                return None
            await uow.sessions.close(session.id, SessionStatus.SKIPPED, now)
            return await self.prepare(uow, profile, now, exclude=session.question_ids)

    async def practise_now(self, who: Identity, question_id: str) -> DailyPrompt | Busy | None:
        """Ask one question right away (from /history's "Practise again")."""
        now = self.clock()
        async with self.db.unit() as uow:
            profile = await self._profile(uow, who)
            return await self.prepare(uow, profile, now, question_id=question_id)

    async def snooze(self, who: Identity, session_id: int) -> datetime | None:
        """Ask the pushed question again in an hour (after quiet hours); None if no longer open."""
        now = self.clock()
        async with self.db.unit() as uow:
            profile = await uow.users.profile(who.external_id)
            if profile is None:
                return None
            sessions = uow.sessions
            session = await sessions.owned(session_id, profile.user_id)
            if session is None or session.status != SessionStatus.ACTIVE or session.kind != SessionKind.DAILY:
                return None
            await sessions.close(session.id, SessionStatus.SNOOZED, now)
            schedule = await uow.schedules.get(profile.user_id)
            tz = self.zone(profile)
            due = quiet_hours(schedule).defer(now + SNOOZE, tz)
            await uow.deliveries.add(
                profile.user_id,
                DeliveryKind.SNOOZE,
                local_date(due, tz),
                due,
                DeliveryStatus.PENDING,
                session.question_ids[0],
            )
        return due

    async def start_review(self, who: Identity) -> Started | AlreadyRunning | NothingDue:
        """Practise every question due now, one after another, like a short interview."""
        now = self.clock()
        async with self.db.unit() as uow:
            profile = await self._profile(uow, who)
            sessions = uow.sessions
            running = await sessions.active_for_user(profile.user_id)
            if running is not None and running.kind != SessionKind.DAILY:
                prompt = self.interviews.prompt_for(running)
                return AlreadyRunning(running.id, prompt, None)
            cards = uow.cards
            due = [
                c
                for c in await cards.due(profile.user_id, now, REVIEW_SESSION_LIMIT)
                if c.question_id in self._by_id
            ]
            if not due:
                return NothingDue(await cards.next_due(profile.user_id))
            if running is not None:
                await sessions.close(running.id, SessionStatus.REPLACED, now)
            session = await sessions.create(
                profile.user_id, None, [c.question_id for c in due], now, kind=SessionKind.REVIEW
            )
            assert session is not None
        prompt = self.interviews.prompt_for(session)
        assert prompt is not None
        return Started(prompt, None)
