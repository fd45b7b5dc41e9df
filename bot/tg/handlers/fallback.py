"""Replies for everything the other handlers don't take: never silence."""

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.present.labels import MEDIA_NAMES, OTHER_MEDIA
from bot.present.render import render
from bot.tg.handlers.common import Context, reply

log = logging.getLogger(__name__)


async def unknown_command(update: Update, context: Context) -> None:
    message = update.effective_message
    command = (message.text or "").split()[0][:64] if message else ""
    await reply(update, context, "unknown_command", command=command)


async def non_text(update: Update, context: Context) -> None:
    message = update.effective_message
    what = next((name for attr, name in MEDIA_NAMES if message and getattr(message, attr, None)), OTHER_MEDIA)
    await reply(update, context, "media", what=what)


async def on_error(update: object, context: Context) -> None:
    """Log, tell the user something went wrong, and keep the bot running."""
    log.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat and update.effective_chat.type == "private":
        try:
            await context.bot.send_message(update.effective_chat.id, render("error"))
        except TelegramError:
            log.warning("could not report the error to the user")
