"""The bundle both front ends share: database, question bank, clock, settings."""

import os
import random
from dataclasses import dataclass, field

from bot.config import Settings
from bot.core.clock import Clock, system_clock
from bot.core.daily_settings import DailySettingsService
from bot.core.deeper import DeeperReviews
from bot.core.export import ExportService
from bot.core.feedback import FeedbackMatcher
from bot.core.inbox import Inbox
from bot.core.interview import InterviewService
from bot.core.jobad import JobAdService
from bot.core.levels import LevelService
from bot.core.progress import ProgressService
from bot.core.prompting import PromptingService
from bot.core.review_model import ReviewModel
from bot.core.speech import SpeechClient
from bot.core.srs import SpacedRepetition
from bot.core.sweep import PromptSweep
from bot.core.voice import VoiceAnswers
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
    voice: VoiceAnswers = field(init=False)
    deeper: DeeperReviews = field(init=False)

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
        speech, llm = self.settings.speech, self.settings.llm
        # The endpoints' clients pool connections for the bot's lifetime; closed in close().
        self.voice = VoiceAnswers(
            self.db,
            self.interviews,
            speech,
            SpeechClient(speech, _api_key(speech.api_key_env)) if speech.configured else None,
        )
        self.deeper = DeeperReviews(
            self.db,
            self.interviews,
            llm,
            ReviewModel(llm, _api_key(llm.api_key_env)) if llm.configured else None,
            self.clock,
            allowed_external_ids=frozenset(f"tg:{uid}" for uid in llm.allow_user_ids),
        )

    @classmethod
    def open(
        cls, settings: Settings, clock: Clock = system_clock, rng: random.Random | None = None
    ) -> "Services":
        """Load the bank (raises questions.loader.BankError) and open the database."""
        bank = load_bank(settings.questions.paths)
        return cls(settings, Database(settings.database.url), bank, clock, rng or random.Random())

    async def close(self) -> None:
        await self.voice.aclose()
        await self.deeper.aclose()
        await self.db.dispose()


def _api_key(env_var: str | None) -> str | None:
    """The key from the environment variable the config names; never from the file itself."""
    return (os.environ.get(env_var) or None) if env_var else None


def api_keys(settings: Settings) -> list[str]:
    """The endpoint keys in use, for the logs' redaction filter."""
    names = (settings.speech.api_key_env, settings.llm.api_key_env)
    return [key for name in names if (key := _api_key(name))]
