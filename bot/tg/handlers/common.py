"""What every handler needs: who is talking, and a way to answer them."""

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.core.interview import Identity
from bot.present.render import render, to_plain
from bot.tg.send import send_html

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
_Handlers = TypeVar("_Handlers")


def identity(update: Update) -> Identity | None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return None
    return Identity(f"tg:{user.id}", chat.id, user.full_name[:128])


def with_identity(
    handler: Callable[[_Handlers, Update, Context, Identity], Coroutine[Any, Any, None]],
) -> Callable[[_Handlers, Update, Context], Coroutine[Any, Any, None]]:
    """A handler method that needs to know who is talking: updates without a user and a chat
    (channel posts, inline queries) are dropped before it runs."""

    @functools.wraps(handler)
    async def wrapper(self: _Handlers, update: Update, context: Context) -> None:
        who = identity(update)
        if who is not None:
            await handler(self, update, context, who)

    return wrapper


async def reply(
    update: Update,
    context: Context,
    template: str,
    keyboard: InlineKeyboardMarkup | None = None,
    /,
    **ctx: object,
) -> Message | None:
    return await reply_html(update, context, render(template, **ctx), keyboard)


async def reply_html(
    update: Update, context: Context, html: str, keyboard: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Send HTML rendered already (split if long; the keyboard stays on the last part)."""
    chat = update.effective_chat
    if chat is None:
        return None
    return await send_html(context.bot, chat.id, html, keyboard)


async def answer_query(query: CallbackQuery, template: str | None = None, /, **ctx: object) -> None:
    """Stop the button's spinner, with a short notice; a late or failed answer is only logged."""
    try:
        await query.answer(to_plain(render(template, **ctx)) if template else None)
    except TelegramError as exc:
        log.info("could not answer a button press: %s", exc)


async def drop_keyboard(query: CallbackQuery) -> None:
    """Remove the buttons under the pressed message (pressed twice or too old: already gone)."""
    message = query.message
    # The update carries the message as Telegram holds it now: without buttons, an edit would
    # change nothing and be refused ("message is not modified").
    if not isinstance(message, Message) or message.reply_markup is None:
        return
    try:
        await query.edit_message_reply_markup(None)
    except TelegramError as exc:  # a double press raced us, or the message is too old: done
        log.debug("could not remove keyboard: %s", exc)


async def edit_keyboard(query: CallbackQuery, keyboard: InlineKeyboardMarkup) -> None:
    """Replace the buttons under the pressed message (a double press or an old message: done)."""
    try:
        await query.edit_message_reply_markup(keyboard)
    except TelegramError as exc:
        log.debug("could not edit keyboard: %s", exc)


async def edit_or_ignore(query: CallbackQuery, html: str, keyboard: InlineKeyboardMarkup | None) -> None:
    """Edit the pressed message in place; "not modified" and old messages count as done.

    The pressed message in the update is a snapshot from the press: a double press carries the
    same snapshot twice, so comparing against it could skip an edit that is needed."""
    try:
        await query.edit_message_text(html, reply_markup=keyboard)
    except TelegramError as exc:
        log.debug("could not edit message: %s", exc)
