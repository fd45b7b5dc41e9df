"""Sending: split long HTML, retry passing network faults, never raise to handlers."""

import asyncio
import logging

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.present.render import split_message

log = logging.getLogger(__name__)

_ATTEMPTS = 3


async def send_html(
    bot: Bot, chat_id: int, html: str, keyboard: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Send one logical message (in several parts if long); the keyboard goes on the last part.

    Returns the last message sent, or None when Telegram refused it for good.
    """
    parts = split_message(html)
    sent: Message | None = None
    for i, part in enumerate(parts):
        markup = keyboard if i == len(parts) - 1 else None
        sent = await _with_retries(bot, chat_id, part, markup)
        if sent is None:
            return None
    return sent


async def _with_retries(
    bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None
) -> Message | None:
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            return await bot.send_message(chat_id, text, reply_markup=markup)
        except Forbidden as exc:
            log.info("chat %s refuses messages: %s", chat_id, exc.message)
            return None
        except BadRequest as exc:  # a subclass of NetworkError: never worth retrying
            log.error("Telegram rejected a message to chat %s: %s", chat_id, exc.message)
            return None
        except RetryAfter as exc:  # the rate limiter already retried; wait once more
            delay = exc.retry_after if isinstance(exc.retry_after, int) else exc.retry_after.total_seconds()
            log.warning("flood control for chat %s: waiting %ss", chat_id, delay)
            await asyncio.sleep(float(delay))
        except (TimedOut, NetworkError) as exc:
            log.warning("sending to chat %s failed (attempt %d/%d): %s", chat_id, attempt, _ATTEMPTS, exc)
            await asyncio.sleep(0.5 * attempt)
    log.error("giving up on a message to chat %s after %d attempts", chat_id, _ATTEMPTS)
    return None
