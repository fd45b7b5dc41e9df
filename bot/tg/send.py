"""Sending: split long HTML, retry passing network faults, never raise to handlers.

Flood control never makes a handler sleep: when Telegram holds a chat back for longer than the
pacer waits in place (bot/tg/pacing.py), the rest of the message is queued for that chat and
the handler returns; later messages to the chat queue behind it, so the order holds.
"""

import asyncio
import logging

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import ExtBot

from bot.logs import chat_ref
from bot.present.render import split_message
from bot.tg.pacing import ChatPacer, retry_seconds

log = logging.getLogger(__name__)

_ATTEMPTS = 3


def pacer_of(bot: Bot) -> ChatPacer | None:
    limiter = bot.rate_limiter if isinstance(bot, ExtBot) else None
    return limiter if isinstance(limiter, ChatPacer) else None


async def send_html(
    bot: Bot, chat_id: int, html: str, keyboard: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Send one logical message (in several parts if long); the keyboard goes on the last part.

    Returns the last message sent, or None when Telegram refused it for good or the message
    was queued to wait out flood control for this chat.
    """
    parts = split_message(html)
    pacer = pacer_of(bot)
    sent: Message | None = None
    for i, part in enumerate(parts):
        markup = keyboard if i == len(parts) - 1 else None
        if pacer is not None and pacer.queued(chat_id):
            _queue(pacer, bot, chat_id, part, markup)
            continue
        try:
            sent = await _with_retries(bot, chat_id, part, markup)
        except RetryAfter as exc:
            if pacer is None:  # another rate limiter (tests): nothing to queue on
                log.warning("message to %s not sent: %s", chat_ref(chat_id), exc)
                return None
            log.info("%s is held back %.0fs: message queued", chat_ref(chat_id), retry_seconds(exc))
            _queue(pacer, bot, chat_id, part, markup)
            sent = None
            continue
        if sent is None:
            return None
    return sent


def _queue(pacer: ChatPacer, bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None) -> None:
    async def send() -> None:
        await _with_retries(bot, chat_id, text, markup)  # RetryAfter: the pacer tries again later

    pacer.later(chat_id, send, "a reply")


async def _with_retries(
    bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None
) -> Message | None:
    """One part, tried up to three times on network faults; RetryAfter goes to the caller."""
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            return await bot.send_message(chat_id, text, reply_markup=markup)
        except Forbidden as exc:
            log.info("%s refuses messages: %s", chat_ref(chat_id), exc.message)
            return None
        except BadRequest as exc:  # a subclass of NetworkError: never worth retrying
            log.error("Telegram rejected a message to %s: %s", chat_ref(chat_id), exc.message)
            return None
        except RetryAfter:
            raise
        except (TimedOut, NetworkError) as exc:
            log.warning(
                "sending to %s failed (attempt %d/%d): %s", chat_ref(chat_id), attempt, _ATTEMPTS, exc
            )
            await asyncio.sleep(0.5 * attempt)
    log.error("giving up on a message to %s after %d attempts", chat_ref(chat_id), _ATTEMPTS)
    return None
