"""The bundle both front ends share: database, question bank, clock, settings."""

import random
from dataclasses import dataclass, field

from bot.config import Settings
from bot.core.clock import Clock, system_clock
from bot.core.daily_settings import DailySettingsService
from bot.core.export import ExportService
from bot.core.feedback import FeedbackMatcher
from bot.core.inbox import Inbox
from bot.core.interview import InterviewService
from bot.core.jobad import JobAdService
from bot.core.levels import LevelService
from bot.core.progress import ProgressService
from bot.core.prompting import PromptingService
from bot.core.srs import SpacedRepetition
from bot.core.sweep import PromptSweep
from questions.loader import QuestionBank, load_bank
from storage.db import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    bank: QuestionBank
    clock: Clock = system_clock
    rng: random.Random = field(default_factory=random.Random)
    srs: SpacedRepetition = field(default_factory=SpacedRepetition)
    interviews: InterviewService = field(init=False)
    daily_settings: DailySettingsService = field(init=False)
    prompting: PromptingService = field(init=False)
    progress: ProgressService = field(init=False)
    sweep: PromptSweep = field(init=False)
    levels: LevelService = field(init=False)
    jobads: JobAdService = field(init=False)

    def __post_init__(self) -> None:
        matcher = FeedbackMatcher.shared(self.bank.questions)
        self.interviews = InterviewService(
            self.db,
            self.bank,
            matcher,
            self.clock,
            self.settings.interview.questions_per_session,
            self.rng,
            srs=self.srs,
            default_timezone=self.settings.scheduler.default_timezone,
        )
        self.daily_settings = DailySettingsService(self.db, self.bank, self.clock, self.settings.scheduler)
        self.prompting = PromptingService(
            self.db, self.interviews, self.clock, self.settings.scheduler, self.daily_settings, self.rng
        )
        self.sweep = PromptSweep(self.db, self.prompting, self.clock)
        self.progress = ProgressService(
            self.db, self.interviews, self.clock, self.settings.scheduler.default_timezone
        )
        self.levels = LevelService(self.db, self.clock)
        self.jobads = JobAdService(self.db, self.clock)
        self.exports = ExportService(self.db, self.bank, self.daily_settings.zone_for, self.clock)
        self.inbox = Inbox(self.db, self.clock)

    @classmethod
    def open(
        cls, settings: Settings, clock: Clock = system_clock, rng: random.Random | None = None
    ) -> "Services":
        """Load the bank (raises questions.loader.BankError) and open the database."""
        bank = load_bank(settings.questions.paths)
        return cls(settings, Database(settings.database.url), bank, clock, rng or random.Random())

    async def close(self) -> None:
        await self.inbox.close()
        await self.db.dispose()
