"""/start and /help."""

from telegram import Update

from bot.core.interview import Identity
from bot.core.services import Services
from bot.present.labels import TELEGRAM_COMMANDS
from bot.tg.handlers.common import Context, reply, with_identity


class StartHandlers:
    def __init__(self, services: Services) -> None:
        self.services = services

    @with_identity
    async def start(self, update: Update, context: Context, who: Identity) -> None:
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
        await reply(
            update, context, "help", commands=TELEGRAM_COMMANDS, topics=self.services.interviews.topics()
        )
