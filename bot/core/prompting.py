"""Choosing and pushing practice questions: the sweep's daily prompt, /review, skip and snooze.

Plain async Python over plain data, like the interview. A pushed question is a one-question
session of kind "daily", so the user answers it by simply replying and the interview's
answer path (feedback, rating, FSRS) handles it unchanged.
"""

import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot.config import SchedulerSettings
from bot.core.clock import Clock
from bot.core.daily_settings import DailySettingsService, quiet_hours
from bot.core.interview import (
    AlreadyRunning,
    Identity,
    InterviewService,
    QuestionPrompt,
    Started,
    UnknownUser,
)
from bot.core.picking import fit, stored_level, weighted_choice
from bot.core.rating import Rating
from bot.core.schedule_time import days_until, local_date
from questions.schema import Level, Question
from questions.topics import TOPICS
from storage.db import Database
from storage.records import CardRecord, PracticeProfile
from storage.states import DeliveryKind, DeliveryStatus, PickReason, SessionKind, SessionStatus
from storage.uow import UnitOfWork

REVIEW_SESSION_LIMIT = 20
SNOOZE = timedelta(hours=1)
# On the last days before the interview, practice favours the weakest answers.
FINAL_STRETCH_DAYS = 3


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
class ToPrepare:
    """One user's prompt to open: a given question (a snooze) or one to choose, not from `exclude`."""

    profile: PracticeProfile
    question_id: str | None = None
    exclude: Collection[str] = ()


@dataclass(frozen=True, slots=True)
class Busy:
    """The user is in a mock interview or review; a pushed question would cut across it."""


@dataclass(frozen=True, slots=True)
class NothingDue:
    next_due: datetime | None


def eligible_questions(
    questions: Collection[Question], topics: Collection[str] | None, level: Level | None
) -> list[tuple[Question, int]]:
    """The questions new practice may pick for these topics and level, with their fit (0: the
    level's own), in bank order."""
    found: list[tuple[Question, int]] = []
    for q in questions:
        if (topics is None or q.topic in topics) and q.stage is None:
            f = fit(q, level)
            if f is not None:
                found.append((q, f))
    return found


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
    level: Level | None = None,
    weights: Mapping[str, int] | None = None,
    eligible: Sequence[tuple[Question, int]] | None = None,
) -> Pick | None:
    """A question due for review first (most overdue), else a new one from the chosen topics,
    else the weakest; in the final days before the interview, the weakest come first.

    New questions suit the user's `level` and lean toward a job ad's topic `weights`; an
    interview's openers and closers are never new practice on their own. `eligible` is
    eligible_questions(questions, topics, level), when the caller has it already.
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
    if eligible is None:
        eligible = eligible_questions(questions, topics, level)
    pairs = [(q, f) for q, f in eligible if q.id not in exclude] if exclude else eligible
    allowed = [q for q, _ in pairs]
    fresh_pairs = [(q, f) for q, f in pairs if q.id not in answered]
    # The level's own questions first, while there are fresh ones.
    fresh = [q for q, f in fresh_pairs if f == 0] or [q for q, _ in fresh_pairs]
    if days_left is not None and 0 <= days_left <= FINAL_STRETCH_DAYS and weak_picks:
        return weak_picks[0]
    if due_picks and reviews_left_today > 0:
        return due_picks[0]
    if fresh:
        # Topics not practised yet come first: breadth before the interview.
        practised = {by_id[qid].topic for qid in answered if qid in by_id}
        untouched = [q for q in fresh if q.topic not in practised]
        return Pick(weighted_choice(untouched or fresh, weights, rng), PickReason.NEW)
    if weak_picks:
        return weak_picks[0]
    return Pick(weighted_choice(allowed, weights, rng), PickReason.NEW) if allowed else None


class PromptingService:
    def __init__(
        self,
        db: Database,
        interviews: InterviewService,
        clock: Clock,
        settings: SchedulerSettings,
        daily_settings: DailySettingsService,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.interviews = interviews
        self.bank = interviews.bank
        self.clock = clock
        self.settings = settings
        self.daily_settings = daily_settings
        self.rng = rng or random.Random()
        self._by_id = dict(self.bank.by_id)
        # The sweep asks for thousands of users with the same few topic and level settings.
        self._eligible: dict[tuple[tuple[str, ...] | None, Level | None], list[tuple[Question, int]]] = {}

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
        [prepared] = await self.prepare_many(uow, [ToPrepare(profile, question_id, exclude)], now)
        return prepared

    async def prepare_many(
        self, uow: UnitOfWork, items: Sequence["ToPrepare"], now: datetime
    ) -> list[DailyPrompt | Busy | None]:
        """prepare() for several users (distinct ones) with a few statements in all, not a few
        each: the sweep opens thousands of prompts in the same minute."""
        if not items:
            return []
        user_ids = [item.profile.user_id for item in items]
        sessions, cards = uow.sessions, uow.cards
        running_of = await sessions.active_for_users(user_ids)
        zones = {item.profile.user_id: self.daily_settings.zone(item.profile) for item in items}
        day_starts = {uid: datetime.combine(local_date(now, tz), time(0, 0), tz) for uid, tz in zones.items()}
        pushed_of = await uow.deliveries.reviews_pushed_of(day_starts)
        answered_of = await uow.answers.answered_question_ids_of(user_ids)
        choosing = [item.profile.user_id for item in items if item.question_id not in self._by_id]
        due_of = await cards.due_of(choosing, now, 10) if choosing else {}
        weakest_of = await cards.weakest_of(choosing, 10) if choosing else {}
        results: list[DailyPrompt | Busy | None] = []
        picks: dict[int, tuple[Pick, int | None, set[str]]] = {}
        for item in items:
            profile = item.profile
            uid = profile.user_id
            running = running_of.get(uid)
            if running is not None and running.kind != SessionKind.DAILY:
                results.append(Busy())
                continue
            tz = zones[uid]
            days_left = days_until(profile.interview_date, now, tz) if profile.interview_date else None
            answered = answered_of.get(uid, set())
            pick: Pick | None
            if item.question_id is not None and item.question_id in self._by_id:
                question = self._by_id[item.question_id]
                card = await cards.get(uid, item.question_id)
                pick = (
                    Pick(
                        question,
                        PickReason.REVIEW,
                        Rating(card.last_rating),
                        (now - card.last_review_at).days,
                    )
                    if card
                    else Pick(question, PickReason.AGAIN if question.id in answered else PickReason.NEW)
                )
            else:
                pick = choose(
                    self.bank.questions,
                    due=due_of.get(uid, []),
                    weakest=weakest_of.get(uid, []),
                    answered=answered,
                    topics=profile.topics,
                    reviews_left_today=self.settings.max_reviews_per_day - pushed_of.get(uid, 0),
                    days_left=days_left,
                    exclude=item.exclude,
                    now=now,
                    rng=self.rng,
                    by_id=self._by_id,
                    level=stored_level(profile.level),
                    weights=profile.topic_weights,
                    eligible=self._eligible_for(profile.topics, stored_level(profile.level)),
                )
            results.append(None)
            if pick is None:
                continue
            if running is not None:  # yesterday's unanswered prompt gives way to today's
                await sessions.close(running.id, SessionStatus.REPLACED, now)
            picks[uid] = (pick, days_left, answered)
        if not picks:
            return results
        new = [(uid, pick.question.topic, [pick.question.id]) for uid, (pick, _, _) in picks.items()]
        created = await sessions.create_many(new, now, SessionKind.DAILY)
        if created is None:  # another process started one meanwhile: one by one, as before
            created = {}
            for uid, topic, question_ids in new:
                session = await sessions.create(uid, topic, question_ids, now, kind=SessionKind.DAILY)
                assert session is not None
                created[uid] = session
        due_counts = await cards.count_due_of(list(picks), now)
        for i, item in enumerate(items):
            uid = item.profile.user_id
            if uid not in picks:
                continue
            pick, days_left, answered = picks[uid]
            session = created[uid]
            practised = {self._by_id[q].topic for q in answered if q in self._by_id}
            unpractised = (
                tuple(TOPICS[t] for t in self.bank.topics() if t not in practised)
                if days_left is not None
                else ()
            )
            results[i] = DailyPrompt(
                prompt=QuestionPrompt(session.id, 1, 1, pick.question, SessionKind.DAILY),
                pick=pick,
                due_count=due_counts.get(uid, 0),
                days_left=days_left,
                unpractised_topics=unpractised,
            )
        return results

    def _eligible_for(
        self, topics: tuple[str, ...] | None, level: Level | None
    ) -> list[tuple[Question, int]]:
        key = (topics, level)
        found = self._eligible.get(key)
        if found is None:
            if len(self._eligible) > 1024:  # settings seen long ago
                self._eligible.clear()
            found = self._eligible[key] = eligible_questions(self.bank.questions, topics, level)
        return found

    async def skip(self, who: Identity, session_id: int) -> DailyPrompt | Busy | UnknownUser | None:
        """Swap the pushed question for another; None if that prompt is no longer open."""
        now = self.clock()
        async with self.db.unit() as uow:
            profile = await uow.users.profile(who.external_id)
            if profile is None:
                return UnknownUser()
            session = await uow.sessions.owned(session_id, profile.user_id)
            if session is None or session.status != SessionStatus.ACTIVE or session.kind != SessionKind.DAILY:
                return None
            await uow.sessions.close(session.id, SessionStatus.SKIPPED, now)
            return await self.prepare(uow, profile, now, exclude=session.question_ids)

    async def practise_now(self, who: Identity, question_id: str) -> DailyPrompt | Busy | None:
        """Ask one question right away (from /history's "Practise again")."""
        now = self.clock()
        async with self.db.unit() as uow:
            profile = await self.daily_settings.registered_profile(uow, who)
            return await self.prepare(uow, profile, now, question_id=question_id)

    async def snooze(self, who: Identity, session_id: int) -> datetime | UnknownUser | None:
        """Ask the pushed question again in an hour (after quiet hours); None if no longer open."""
        now = self.clock()
        async with self.db.unit() as uow:
            profile = await uow.users.profile(who.external_id)
            if profile is None:
                return UnknownUser()
            sessions = uow.sessions
            session = await sessions.owned(session_id, profile.user_id)
            if session is None or session.status != SessionStatus.ACTIVE or session.kind != SessionKind.DAILY:
                return None
            await sessions.close(session.id, SessionStatus.SNOOZED, now)
            schedule = await uow.schedules.get(profile.user_id)
            tz = self.daily_settings.zone(profile)
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
            profile = await self.daily_settings.registered_profile(uow, who)
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
