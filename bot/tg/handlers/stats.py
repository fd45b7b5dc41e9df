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

from bot.core.export import DEFAULT_FORMAT, EXPORT_FORMATS, build_export, load_export_rows
from bot.core.schedule_time import format_local
from bot.core.services import Services
from bot.render import render
from bot.tg.handlers.common import Context, identity, reply

log = logging.getLogger(__name__)


async def _charts_module() -> Any:
    """bot.core.charts, imported on first use in a worker thread: matplotlib adds about 40 MB
    to the process and takes a second or more to import, which /stats alone needs."""
    return await asyncio.to_thread(importlib.import_module, "bot.core.charts")


class StatsHandlers:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.progress = services.progress

    async def stats(self, update: Update, context: Context) -> None:
        who, chat = identity(update), update.effective_chat
        if who is None or chat is None:
            return
        stats = await self.progress.stats(who)
        next_review = (
            format_local(stats.next_review_at, ZoneInfo(stats.timezone)) if stats.next_review_at else ""
        )
        await reply(update, context, "stats", stats=stats, next_review=next_review)
        if stats.answers == 0:
            return
        charts = await _charts_module()
        title = f"{who.display_name or 'Your'} interview practice"
        png: bytes = await charts.render_progress_chart_async(stats.series, title=title)
        try:
            await context.bot.send_photo(chat.id, InputFile(png, filename="progress.png"))
        except TelegramError as exc:
            log.warning("could not send the stats chart to chat %s: %s", chat.id, exc)

    async def export(self, update: Update, context: Context) -> None:
        who, chat = identity(update), update.effective_chat
        if who is None or chat is None:
            return
        fmt = (context.args[0].lower().lstrip(".") if context.args else DEFAULT_FORMAT).replace(
            "markdown", "md"
        )
        if fmt not in EXPORT_FORMATS:
            await reply(update, context, "export_unknown")
            return
        rows = await load_export_rows(self.services.db, self.services.bank, who.external_id)
        if not rows:
            await reply(update, context, "export_empty")
            return
        stats_tz = await self.services.practice.zone_for(who)
        now = self.services.clock()
        with contextlib.suppress(TelegramError):  # only a courtesy
            await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_DOCUMENT)
        # Rendering thousands of answers takes a moment: keep the event loop free.
        exported = await asyncio.to_thread(
            build_export, fmt, rows, user_name=who.display_name, generated_at=now, tz=stats_tz
        )
        if exported is None:
            await reply(update, context, "export_too_big")
            return
        caption = render("export_caption", count=len(rows), when=format_local(now, stats_tz))
        try:
            await context.bot.send_document(
                chat.id, InputFile(exported.data, filename=exported.filename), caption=caption
            )
        except TelegramError as exc:
            log.warning("could not send an export to chat %s: %s", chat.id, exc)
            await reply(update, context, "error")
