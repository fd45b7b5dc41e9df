"""/start, /help, and groups (one note, then the bot leaves)."""

import logging

from telegram import ChatMember, Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.core.interview import Identity
from bot.core.services import Services
from bot.present.labels import TELEGRAM_COMMANDS
from bot.tg.handlers.common import Context, reply, with_identity

log = logging.getLogger(__name__)


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


class GroupHandlers:
    """The bot works in private chats only (answers stay private): the first time it is added to
    a group or sees a message there it says so once, then leaves; nothing else is sent there."""

    def __init__(self) -> None:
        # Groups already told, for this process: a burst of messages before the leave lands
        # gets one note, not one each.
        self._told: set[int] = set()

    async def seen(self, update: Update, context: Context) -> None:
        chat = update.effective_chat
        if chat is None or chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
            return
        change = update.my_chat_member
        if change is not None and change.new_chat_member.status in (ChatMember.LEFT, ChatMember.BANNED):
            return  # removed from the group: nothing to say, nowhere to say it
        if chat.id not in self._told:
            self._told.add(chat.id)
            try:
                await reply(update, context, "group")
            except TelegramError as exc:  # e.g. not allowed to write there: leaving still matters
                log.info("could not send the group note: %s", exc)
        try:
            await context.bot.leave_chat(chat.id)
        except TelegramError as exc:
            log.info("could not leave a group: %s", exc)
