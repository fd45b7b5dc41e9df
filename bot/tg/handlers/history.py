"""/history: the user's own most recent answers."""

from telegram import Update

from bot.core.services import Services
from bot.tg.handlers.common import Context, identity, reply

RECENT = 10


class HistoryHandlers:
    def __init__(self, services: Services) -> None:
        self.interviews = services.interviews

    async def recent(self, update: Update, context: Context) -> None:
        who = identity(update)
        if who is None:
            return
        entries = await self.interviews.history(who, RECENT)
        await reply(update, context, "history", entries=entries)
