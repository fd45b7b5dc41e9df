"""Every inline button lands here: payloads are parsed strictly, then each feature re-checks
that what the button names belongs to the user who pressed it."""

from typing import assert_never

from telegram import Update

from bot.core.interview import Identity
from bot.tg import callback_data as cd
from bot.tg.handlers.common import Context, answer_query, with_identity
from bot.tg.handlers.data import DataHandlers
from bot.tg.handlers.history import HistoryHandlers
from bot.tg.handlers.interview import InterviewHandlers
from bot.tg.handlers.practice import PracticeHandlers
from bot.tg.handlers.profile import ProfileHandlers
from bot.tg.handlers.settings import SettingsHandlers
from bot.tg.handlers.voice import VoiceHandlers


class ButtonHandlers:
    def __init__(
        self,
        interview: InterviewHandlers,
        practice: PracticeHandlers,
        history: HistoryHandlers,
        data: DataHandlers,
        profile: ProfileHandlers,
        voice: VoiceHandlers,
        settings: SettingsHandlers,
    ) -> None:
        self.interview = interview
        self.practice = practice
        self.history = history
        self.data = data
        self.profile = profile
        self.voice = voice
        self.settings = settings

    @with_identity
    async def press(self, update: Update, context: Context, who: Identity) -> None:
        query = update.callback_query
        if query is None:
            return
        action = cd.parse(query.data)
        # Every action by name, and assert_never last: a button added to cd.Action but not
        # routed here is a mypy error, not a press that lands in the wrong feature.
        match action:
            case None:
                await answer_query(query, "stale_button")
            case (
                cd.RateAnswer()
                | cd.ContinueInterview()
                | cd.RestartInterview()
                | cd.SkipFollowUp()
                | cd.TryAgain()
            ):
                await self.interview.press(update, context, who, action)
            case cd.SkipPrompt() | cd.SnoozePrompt() | cd.SetDailyTime() | cd.ToggleTopic():
                await self.practice.press(update, context, who, action)
            case cd.HistoryPage() | cd.HistoryTopics() | cd.OpenAnswer() | cd.PractiseAgain():
                await self.history.press(update, context, who, action)
            case cd.DeleteData():
                await self.data.press(update, context, who, action)
            case cd.SetLevel():
                await self.profile.press(update, context, who, action)
            case cd.AskDeeperReview():
                await self.voice.press(update, context, who, action)
            case cd.SetFollowUps():
                await self.settings.press(update, context, who, action)
            case _:
                assert_never(action)
