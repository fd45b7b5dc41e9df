"""The periodic job: PTB's JobQueue only wakes the sweep; the schedule lives in the database."""

import logging

from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot.core.services import Services
from bot.core.sweep import Outgoing, SendResult
from bot.tg.handlers.practice import prompt_keyboard, render_daily_prompt

log = logging.getLogger(__name__)


async def sweep_prompts(context: ContextTypes.DEFAULT_TYPE) -> None:
    job = context.job
    assert job is not None and isinstance(job.data, Services)
    services = job.data

    async def send(outgoing: Outgoing) -> tuple[SendResult, int | None]:
        try:
            message = await context.bot.send_message(
                outgoing.chat_id,
                render_daily_prompt(outgoing.content),
                reply_markup=prompt_keyboard(outgoing.content.prompt.session_id),
            )
        except Forbidden:
            return SendResult.BLOCKED, None
        except BadRequest as exc:
            if "chat not found" in exc.message.lower():
                return SendResult.BLOCKED, None
            log.error("Telegram rejected a daily prompt to chat %s: %s", outgoing.chat_id, exc.message)
            return SendResult.FAILED, None
        except TelegramError as exc:  # network trouble, or flood control beyond the limiter's retries
            log.warning("daily prompt to chat %s not sent: %s", outgoing.chat_id, exc)
            return SendResult.FAILED, None
        return SendResult.SENT, message.message_id

    report = await services.sweep.tick(send)
    if (
        report.scheduled
        or report.sent
        or report.missed
        or report.blocked
        or report.failed
        or report.recovered
    ):
        log.info(
            "prompt sweep: %d scheduled, %d sent, %d missed, %d blocked, %d failed, %d deferred, "
            "%d recovered",
            report.scheduled,
            report.sent,
            report.missed,
            report.blocked,
            report.failed,
            report.deferred,
            report.recovered,
        )
