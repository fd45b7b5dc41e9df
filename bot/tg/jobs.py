"""The periodic job: PTB's JobQueue only wakes the sweep; the schedule lives in the database."""

import asyncio
import logging
import time

from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot import metrics
from bot.core.services import Services
from bot.core.sweep import Outgoing, SendResult
from bot.tg.handlers.practice import prompt_keyboard, render_daily_prompt

log = logging.getLogger(__name__)


class SweepRunner:
    """The sweep job's callback; it knows the sweep under way, so a shutdown can wait for it
    a moment and then cancel it (what it had claimed is sent again after the lease)."""

    def __init__(self) -> None:
        self._running: set[asyncio.Task[object]] = set()
        self._stopping = False

    async def __call__(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        task = asyncio.current_task()
        if task is None or self._stopping:
            return
        self._running.add(task)
        try:
            await sweep_prompts(context)
        except asyncio.CancelledError:
            # Cancelled by stop(): the sweep is over, which is not an error of the job (PTB
            # runs it shielded, and APScheduler would log the cancellation with a traceback).
            if not self._stopping:
                raise
        finally:
            self._running.discard(task)

    async def stop(self, grace: float) -> None:
        self._stopping = True
        if not self._running:
            return
        _, pending = await asyncio.wait(set(self._running), timeout=grace)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if pending:
            log.warning(
                "shutting down: the prompt sweep was cancelled; prompts it had claimed are sent "
                "again after their lease"
            )


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
            log.error("Telegram rejected daily prompt delivery %s: %s", outgoing.delivery_id, exc.message)
            return SendResult.FAILED, None
        except TelegramError as exc:  # network trouble, or this chat's flood control: next tick
            log.warning("daily prompt delivery %s not sent: %s", outgoing.delivery_id, exc)
            return SendResult.FAILED, None
        return SendResult.SENT, message.message_id

    started = time.monotonic()
    report = await services.sweep.tick(send)
    metrics.sweep_done(time.monotonic() - started)
    metrics.prompts(report.sent, report.failed, report.blocked, report.missed)
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
