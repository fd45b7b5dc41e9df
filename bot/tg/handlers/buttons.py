"""Every inline button lands here: payloads are parsed strictly, then each feature re-checks
that what the button names belongs to the user who pressed it."""

from telegram import Update

from bot.tg import callback_data
from bot.tg.handlers.common import Context, answer_query, identity
from bot.tg.handlers.data import DataHandlers
from bot.tg.handlers.history import HistoryHandlers
from bot.tg.handlers.interview import InterviewHandlers
from bot.tg.handlers.practice import PracticeHandlers


class ButtonHandlers:
    def __init__(
        self,
        interview: InterviewHandlers,
        practice: PracticeHandlers,
        history: HistoryHandlers,
        data: DataHandlers,
    ) -> None:
        self.interview = interview
        self.practice = practice
        self.history = history
        self.data = data

    async def press(self, update: Update, context: Context) -> None:
        query, who = update.callback_query, identity(update)
        if query is None or who is None:
            return
        action = callback_data.parse(query.data)
        match action:
            case None:
                await answer_query(query, "stale_button")
            case (
                callback_data.RateAnswer()
                | callback_data.ContinueInterview()
                | callback_data.RestartInterview()
            ):
                await self.interview.press(update, context, who, action)
            case (
                callback_data.HistoryPage()
                | callback_data.HistoryTopics()
                | callback_data.OpenAnswer()
                | callback_data.PractiseAgain()
            ):
                await self.history.press(update, context, who, action)
            case callback_data.DeleteData():
                await self.data.press(update, context, who, action)
            case _:
                await self.practice.press(update, context, who, action)
