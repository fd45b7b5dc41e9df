"""The user's daily-practice settings: the prompt's time and time zone, quiet hours, the
topics practice questions come from, and the date of the real interview.

Plain async Python over plain data, like the interview; bot/core/prompting.py uses the
time zone and quiet hours decided here when it pushes a question.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from bot.config import SchedulerSettings
from bot.core.clock import Clock
from bot.core.interview import Identity, UnknownUser
from bot.core.reviews import user_zone
from bot.core.schedule_time import (
    QuietHours,
    ScheduleInputError,
    ScheduleProblem,
    days_until,
    local_date,
    next_prompt_at,
    parse_daily_time,
    parse_quiet_hours,
    parse_timezone,
)
from questions.loader import QuestionBank
from questions.topics import TOPICS
from storage.db import Database
from storage.records import PracticeProfile, ScheduleRecord
from storage.states import DeliveryKind
from storage.uow import UnitOfWork


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
class TopicChoice:
    slug: str
    name: str
    selected: bool


@dataclass(frozen=True, slots=True)
class InterviewDate:
    day: date | None
    days_left: int | None
    # A date to show the format with (example_date): never a past one.
    example_date: date | None = None


EXAMPLE_AHEAD: Final = timedelta(days=14)


def example_date(now: datetime, tz: ZoneInfo) -> date:
    """A date to show the expected format with, EXAMPLE_AHEAD from the user's today."""
    return local_date(now, tz) + EXAMPLE_AHEAD


def interview_date_at(day: date | None, now: datetime, tz: ZoneInfo) -> InterviewDate:
    """`day` as the user sees it at `now` in `tz`: the days left, and an example date."""
    return InterviewDate(day, days_until(day, now, tz) if day else None, example_date(now, tz))


def quiet_hours(schedule: ScheduleRecord | None) -> QuietHours:
    """The user's quiet hours; the default (22:00-07:00) until they set a daily time."""
    if schedule is None:
        return QuietHours()
    return QuietHours(schedule.quiet_start, schedule.quiet_end)


class DailySettingsService:
    def __init__(self, db: Database, bank: QuestionBank, clock: Clock, settings: SchedulerSettings) -> None:
        self.db = db
        self.bank = bank
        self.clock = clock
        self.settings = settings

    def zone(self, profile: PracticeProfile | None) -> ZoneInfo:
        return user_zone(profile.timezone if profile else None, self.settings.default_timezone)

    async def registered_profile(self, uow: UnitOfWork, who: Identity) -> PracticeProfile:
        """The user's profile, registering them first if they are new."""
        await uow.users.upsert(who.external_id, who.chat_id, who.display_name, self.clock())
        profile = await uow.users.profile(who.external_id)
        assert profile is not None
        return profile

    async def _profile(self, uow: UnitOfWork, who: Identity, register: bool) -> PracticeProfile | None:
        if register:
            return await self.registered_profile(uow, who)
        return await uow.users.profile(who.external_id)

    def _setting(self, profile: PracticeProfile, schedule: ScheduleRecord | None) -> DailySetting:
        tz = self.zone(profile)
        quiet = quiet_hours(schedule)
        days_left = interview_date_at(profile.interview_date, self.clock(), tz).days_left
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
            profile = await self.registered_profile(uow, who)
            schedule = await uow.schedules.get(profile.user_id)
        return self._setting(profile, schedule)

    async def set_daily(self, who: Identity, time_text: str, zone_text: str | None = None) -> DailySetting:
        """Turn the daily prompt on at a local time; raises ScheduleInputError for bad input."""
        setting = await self._set_daily(who, time_text, zone_text, register=True)
        assert isinstance(setting, DailySetting)
        return setting

    async def press_daily(self, who: Identity, time_text: str | None) -> DailySetting | UnknownUser:
        """A daily-time button (None: the Off button); never registers a user again."""
        if time_text is None:
            return await self._daily_off(who, register=False)
        return await self._set_daily(who, time_text, None, register=False)

    async def _set_daily(
        self, who: Identity, time_text: str, zone_text: str | None, *, register: bool
    ) -> DailySetting | UnknownUser:
        local = parse_daily_time(time_text)
        zone = parse_timezone(zone_text) if zone_text else None
        now = self.clock()
        async with self.db.unit() as uow:
            profile = await self._profile(uow, who, register)
            if profile is None:
                return UnknownUser()
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
            next_due = next_prompt_at(local, tz, now)
            if await uow.deliveries.holds_day(profile.user_id, local_date(next_due, tz)):
                # That day's prompt went out already (one a day): the next is the day after's.
                next_due = next_prompt_at(local, tz, next_due)
            await schedules.save(
                profile.user_id,
                enabled=True,
                local_time=local,
                quiet_start=quiet.start,
                quiet_end=quiet.end,
                next_due_at=next_due,
                now=now,
            )
            schedule = await schedules.get(profile.user_id)
        return self._setting(profile, schedule)

    async def daily_off(self, who: Identity) -> DailySetting:
        setting = await self._daily_off(who, register=True)
        assert isinstance(setting, DailySetting)
        return setting

    async def _daily_off(self, who: Identity, *, register: bool) -> DailySetting | UnknownUser:
        now = self.clock()
        async with self.db.unit() as uow:
            profile = await self._profile(uow, who, register)
            if profile is None:
                return UnknownUser()
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
            profile = await self.registered_profile(uow, who)
            schedules = uow.schedules
            current = await schedules.get(profile.user_id)
            if current is None:
                raise ScheduleInputError(ScheduleProblem.QUIET_BEFORE_DAILY)
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
            profile = await self.registered_profile(uow, who)
        return self._topic_choices(profile.topics)

    def _topic_choices(self, chosen: tuple[str, ...] | None) -> list[TopicChoice]:
        return [TopicChoice(s, TOPICS[s], chosen is None or s in chosen) for s in self.bank.topics()]

    async def toggle_topic(self, who: Identity, slug: str | None) -> list[TopicChoice] | UnknownUser | None:
        """Flip one topic (None: back to all topics) from a button; None if the topic does not
        exist, UnknownUser (nothing registered) if the user does not."""
        if slug is not None and slug not in self.bank.topics():
            return None
        async with self.db.unit() as uow:
            profile = await uow.users.profile(who.external_id)
            if profile is None:
                return UnknownUser()
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
            await uow.users.set_topics(profile.user_id, chosen or None)
        return self._topic_choices(chosen)

    async def interview_date(self, who: Identity) -> InterviewDate:
        """The real interview's date as set, with an example date for asking it (registers a new
        user, like /daily)."""
        async with self.db.unit() as uow:
            profile = await self.registered_profile(uow, who)
        return interview_date_at(profile.interview_date, self.clock(), self.zone(profile))

    async def set_interview_date(self, who: Identity, text: str | None) -> InterviewDate:
        """Set (YYYY-MM-DD) or clear (None) the real interview's date; raises ScheduleInputError."""
        day: date | None = None
        now = self.clock()
        async with self.db.unit() as uow:
            profile = await self.registered_profile(uow, who)
            tz = self.zone(profile)
            if text is not None:
                example = example_date(now, tz)
                try:
                    day = date.fromisoformat(text.strip())
                except ValueError:
                    raise ScheduleInputError(
                        ScheduleProblem.NOT_A_DATE, given=text.strip()[:20], example_date=example
                    ) from None
                left = days_until(day, now, tz)
                if left < 0:
                    raise ScheduleInputError(ScheduleProblem.DATE_PASSED, example_date=example)
                if left > 730:
                    raise ScheduleInputError(ScheduleProblem.DATE_TOO_FAR, example_date=example)
            await uow.users.set_interview_date(profile.user_id, day)
        return interview_date_at(day, now, tz)
