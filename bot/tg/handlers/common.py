"""What every handler needs: who is talking, and a way to answer them."""

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import ContextTypes

from bot.core.interview import Identity
from bot.render import render
from bot.tg.send import send_html

Context = ContextTypes.DEFAULT_TYPE


def identity(update: Update) -> Identity | None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return None
    return Identity(f"tg:{user.id}", chat.id, user.full_name[:128])


async def reply(
    update: Update,
    context: Context,
    template: str,
    keyboard: InlineKeyboardMarkup | None = None,
    /,
    **ctx: object,
) -> Message | None:
    chat = update.effective_chat
    if chat is None:
        return None
    return await send_html(context.bot, chat.id, render(template, **ctx), keyboard)
