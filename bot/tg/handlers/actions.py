"""A chat action ("typing…") kept up while something slow runs: Telegram shows one for about
five seconds, so it is sent again until the work is done."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from telegram import Bot
from telegram.constants import ChatAction
from telegram.error import TelegramError

log = logging.getLogger(__name__)

_REPEAT_SECONDS = 4.5


async def _keep_sending(bot: Bot, chat_id: int, action: ChatAction) -> None:
    while True:
        try:
            await bot.send_chat_action(chat_id, action)
        except TelegramError as exc:  # a nicety: the work goes on without it
            log.debug("could not send a chat action: %s", exc)
        await asyncio.sleep(_REPEAT_SECONDS)


@contextlib.asynccontextmanager
async def showing(bot: Bot, chat_id: int, action: ChatAction = ChatAction.TYPING) -> AsyncIterator[None]:
    task = asyncio.create_task(_keep_sending(bot, chat_id, action))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
