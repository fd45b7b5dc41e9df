"""/start and /help."""

from telegram import Update

from bot.core.services import Services
from bot.tg.commands import COMMANDS
from bot.tg.handlers.common import Context, identity, reply


class StartHandlers:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def start(self, update: Update, context: Context) -> None:
        who = identity(update)
        if who is None:
            return
        new = await self.services.interviews.register(who)
        name = update.effective_user.first_name if update.effective_user else ""
        await reply(
            update,
            context,
            "start",
            new=new,
            name=name,
            per_session=self.services.settings.interview.questions_per_session,
        )

    async def help(self, update: Update, context: Context) -> None:
        await reply(update, context, "help", commands=COMMANDS, topics=self.services.interviews.topics())
