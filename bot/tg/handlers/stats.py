"""/stats and /export: progress numbers with a chart, and the whole history as a file."""

import asyncio
import contextlib
import importlib
import logging
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InputFile, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError

from bot.core.export import NothingToExport
from bot.core.interview import Identity
from bot.core.services import Services
from bot.logs import chat_ref
from bot.present.export import DEFAULT_FORMAT, EXPORT_FORMATS, export_to_file
from bot.present.filters import format_local
from bot.present.labels import chart_title
from bot.present.render import render
from bot.tg.handlers.common import Context, reply, with_identity

log = logging.getLogger(__name__)


async def _charts_module() -> Any:
    """bot.present.charts, imported on first use in a worker thread: matplotlib adds about 40 MB
    to the process and takes a second or more to import, which /stats alone needs."""
    return await asyncio.to_thread(importlib.import_module, "bot.present.charts")


def _chat_id(who: Identity) -> int:
    assert who.chat_id is not None  # identity() always fills it in on Telegram
    return who.chat_id


class StatsHandlers:
    def __init__(self, services: Services) -> None:
        self.progress = services.progress
        self.exports = services.exports

    @with_identity
    async def stats(self, update: Update, context: Context, who: Identity) -> None:
        stats = await self.progress.stats(who)
        next_review = (
            format_local(stats.next_review_at, ZoneInfo(stats.timezone)) if stats.next_review_at else ""
        )
        await reply(update, context, "stats", stats=stats, next_review=next_review)
        if stats.answers == 0:
            return
        charts = await _charts_module()
        png: bytes = await charts.render_progress_chart_async(
            stats.series, title=chart_title(who.display_name)
        )
        try:
            await context.bot.send_photo(_chat_id(who), InputFile(png, filename="progress.png"))
        except TelegramError as exc:
            log.warning("could not send the stats chart to %s: %s", chat_ref(who.chat_id), exc)

    @with_identity
    async def export(self, update: Update, context: Context, who: Identity) -> None:
        fmt = (context.args[0].lower().lstrip(".") if context.args else DEFAULT_FORMAT).replace(
            "markdown", "md"
        )
        if fmt not in EXPORT_FORMATS:
            await reply(update, context, "export_unknown")
            return
        plan = await self.exports.plan(who)
        if isinstance(plan, NothingToExport):
            await reply(update, context, "export_empty")
            return
        with contextlib.suppress(TelegramError):  # only a courtesy
            await context.bot.send_chat_action(_chat_id(who), ChatAction.UPLOAD_DOCUMENT)
        # Drawn into a temporary file a chunk of rows at a time, off the event loop: memory stays
        # bounded for any history, and other users are answered meanwhile.
        document = await export_to_file(fmt, plan)
        if document is None:
            await reply(update, context, "export_too_big")
            return
        when = format_local(plan.generated_at, plan.tz)
        caption = render("export_caption", count=len(plan.entries), when=when)
        try:
            with await asyncio.to_thread(document.open) as handle:
                # read_file_handle=False: the upload streams from disk instead of reading it all.
                upload = InputFile(handle, filename=document.filename, read_file_handle=False)
                await context.bot.send_document(_chat_id(who), upload, caption=caption)
        except TelegramError as exc:
            log.warning("could not send an export to %s: %s", chat_ref(who.chat_id), exc)
            await reply(update, context, "error")
        finally:
            document.remove()
