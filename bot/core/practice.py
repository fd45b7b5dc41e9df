"""Daily practice as the front ends and the sweep see it: one service over the user's
settings (bot/core/daily_settings.py) and the questions pushed to them (bot/core/prompting.py).
"""

import random
from collections.abc import Collection
from datetime import datetime

from bot.config import SchedulerSettings
from bot.core.clock import Clock
from bot.core.daily_settings import (
    DailySetting,
    DailySettingsService,
    InterviewDate,
    TopicChoice,
    quiet_hours,
)
from bot.core.interview import AlreadyRunning, Identity, InterviewService, Started
from bot.core.prompting import (
    FINAL_STRETCH_DAYS,
    REVIEW_SESSION_LIMIT,
    SNOOZE,
    Busy,
    DailyPrompt,
    NothingDue,
    Pick,
    PromptingService,
    choose,
)
from storage.db import Database
from storage.records import PracticeProfile
from storage.uow import UnitOfWork

__all__ = [
    "FINAL_STRETCH_DAYS",
    "REVIEW_SESSION_LIMIT",
    "SNOOZE",
    "Busy",
    "DailyPrompt",
    "DailySetting",
    "InterviewDate",
    "NothingDue",
    "Pick",
    "PracticeService",
    "TopicChoice",
    "choose",
    "quiet_hours",
]


class PracticeService(DailySettingsService):
    """The settings' methods are inherited; the prompting ones are handed to PromptingService."""

    def __init__(
        self,
        db: Database,
        interviews: InterviewService,
        clock: Clock,
        settings: SchedulerSettings,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(db, interviews.bank, clock, settings)
        self.interviews = interviews
        self.prompting = PromptingService(db, interviews, clock, settings, self, rng)

    async def prepare(
        self,
        uow: UnitOfWork,
        profile: PracticeProfile,
        now: datetime,
        *,
        question_id: str | None = None,
        exclude: Collection[str] = (),
    ) -> DailyPrompt | Busy | None:
        return await self.prompting.prepare(uow, profile, now, question_id=question_id, exclude=exclude)

    async def skip(self, who: Identity, session_id: int) -> DailyPrompt | Busy | None:
        return await self.prompting.skip(who, session_id)

    async def practise_now(self, who: Identity, question_id: str) -> DailyPrompt | Busy | None:
        return await self.prompting.practise_now(who, question_id)

    async def snooze(self, who: Identity, session_id: int) -> datetime | None:
        return await self.prompting.snooze(who, session_id)

    async def start_review(self, who: Identity) -> Started | AlreadyRunning | NothingDue:
        return await self.prompting.start_review(who)
