"""/history, /stats, /export and /deletedata in the terminal: the core calls and templates of
bot/tg/handlers/history.py, stats.py and data.py. What Telegram sends as a photo or a document
is saved as a file in the chat's folder, and its path is printed."""

import asyncio
import importlib
import sys
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.chat.files import save_new
from bot.chat.screen import Action, Choice, Screen
from bot.core.export import NothingToExport
from bot.core.interview import Identity
from bot.core.progress import HistoryPage
from bot.core.prompting import Busy, DailyPrompt
from bot.core.services import Services
from bot.present import labels
from bot.present.export import DEFAULT_FORMAT, EXPORT_FORMATS, build_export
from bot.present.filters import format_local
from bot.present.labels import chart_title

PAGE_SIZE = 10
# As on Telegram: a confirmation left on screen longer than this deletes nothing.
CONFIRM_WITHIN = timedelta(minutes=15)


class ProgressChat:
    def __init__(self, services: Services, who: Identity, screen: Screen, folder: Path) -> None:
        self.services = services
        self.progress = services.progress
        self.who = who
        self.screen = screen
        self.folder = folder

    # --- /history ---------------------------------------------------------------------------

    async def history(self, topic: str | None, number: int = 1) -> None:
        page = await self.progress.history_page(self.who, number, topic, PAGE_SIZE)
        self.screen.say("history", page=page, topics=self.services.interviews.topics(), buttons=False)
        self._offer_page(page)

    def _offer_page(self, page: HistoryPage) -> None:
        """The page's buttons: a number per entry, next and prev, and the topic filter."""
        if not page.items and not page.topic:
            return
        choices = [
            Choice(str(i), "", self._opener(item.answer_id, page))
            for i, item in enumerate(page.items, start=1)
        ]
        if page.has_next:
            choices.append(Choice(labels.TERMINAL_HISTORY_NEXT, labels.NEXT_PAGE, self._turn(page, 1)))
        if page.has_prev:
            choices.append(Choice(labels.TERMINAL_HISTORY_PREV, labels.PREVIOUS_PAGE, self._turn(page, -1)))
        if page.topic:
            choices.append(Choice(labels.TERMINAL_HISTORY_ALL, labels.ALL_TOPICS, self._turn(page, None)))
        else:
            choices.append(Choice(labels.TERMINAL_HISTORY_TOPIC, labels.FILTER_BY_TOPIC, self._topic_menu))
        words = [f"{c.key}: {c.label}" for c in choices if not c.key.isdigit()]
        hint = [labels.TERMINAL_HISTORY_OPEN] if page.items else []
        self.screen.offer(choices, " · ".join([*hint, *words]), listed=False)

    async def _topic_menu(self) -> None:
        self.screen.say("history_topics")
        self.screen.offer(
            [
                Choice(str(i), name, self._filter(slug))
                for i, (slug, name) in enumerate(self.services.interviews.topics(), start=1)
            ]
        )

    def _filter(self, topic: str) -> Action:
        async def show() -> None:
            await self.history(topic)

        return show

    def _turn(self, page: HistoryPage, step: int | None) -> Action:
        """Turn `step` pages; None: page 1 of every topic."""

        async def turn() -> None:
            if step is None:
                await self.history(None)
            else:
                await self.history(page.topic, page.page + step)

        return turn

    def _opener(self, answer_id: int, page: HistoryPage) -> Action:
        async def open_answer() -> None:
            await self.attempts(answer_id, page)

        return open_answer

    async def attempts(self, answer_id: int, page: HistoryPage) -> None:
        history = await self.progress.attempts(self.who, answer_id)
        if history is None:  # deleted since
            self.screen.say("stale_button")
            return
        self.screen.say("attempts", history=history)
        question_id = history.question.id

        async def practise() -> None:
            outcome = await self.services.prompting.practise_now(self.who, question_id)
            if outcome is None or isinstance(outcome, Busy):
                self.screen.say("busy" if isinstance(outcome, Busy) else "stale_button")
            else:
                self.show_prompt(outcome)

        async def back() -> None:
            await self.history(page.topic, page.page)

        self.screen.offer(
            [
                Choice("1", labels.PRACTISE_AGAIN, practise),
                Choice(labels.TERMINAL_HISTORY_BACK, labels.TERMINAL_BACK_TO_LIST, back),
            ]
        )

    def show_prompt(self, daily: DailyPrompt) -> None:
        """A practice question asked now; Skip swaps it (Snooze would push it later: not here)."""
        self.screen.say("daily_prompt", daily=daily)
        session_id = daily.prompt.session_id

        async def skip() -> None:
            outcome = await self.services.prompting.skip(self.who, session_id)
            if outcome is None or isinstance(outcome, Busy):
                self.screen.say("prompt_gone")
            elif isinstance(outcome, DailyPrompt):
                self.show_prompt(outcome)
            else:
                self.screen.say("stale_button")

        self.screen.offer([Choice("1", labels.SKIP, skip)])

    # --- /stats -----------------------------------------------------------------------------

    async def stats(self) -> None:
        stats = await self.progress.stats(self.who)
        zone = ZoneInfo(stats.timezone)
        next_review = format_local(stats.next_review_at, zone) if stats.next_review_at else ""
        self.screen.say("stats", stats=stats, next_review=next_review)
        if stats.answers == 0:
            return
        # Imported on first use, off the event loop: matplotlib is heavy and only /stats needs it.
        charts = await asyncio.to_thread(importlib.import_module, "bot.present.charts")
        png: bytes = await charts.render_progress_chart_async(
            stats.series, title=chart_title(self.who.display_name)
        )
        day = self.services.clock().astimezone(zone)
        await self._save(f"progress-{day:%Y-%m-%d}.png", png, labels.TERMINAL_CHART_SAVED)

    async def _save(self, filename: str, data: bytes, line: str) -> None:
        try:
            path = await save_new(self.folder, filename, data)
        except OSError as exc:
            self.screen.note(labels.TERMINAL_NOT_WRITTEN.format(path=self.folder / filename, reason=exc))
            return
        self.screen.note(line.format(path=path))

    # --- /export ----------------------------------------------------------------------------

    async def export(self, arg: str) -> None:
        fmt = (arg.split()[0].lower().lstrip(".") if arg.strip() else DEFAULT_FORMAT).replace(
            "markdown", "md"
        )
        if fmt not in EXPORT_FORMATS:
            self.screen.say("export_unknown")
            return
        data = await self.services.exports.rows(self.who)
        if isinstance(data, NothingToExport):
            self.screen.say("export_empty")
            return
        # Rendering thousands of answers takes a moment: off the event loop. No upload limit here.
        exported = await asyncio.to_thread(
            build_export,
            fmt,
            data.rows,
            user_name=data.user_name,
            generated_at=data.generated_at,
            tz=data.tz,
            limit=sys.maxsize,
        )
        if exported is None:  # only with an upload limit
            self.screen.say("export_too_big")
            return
        self.screen.say("export_caption", count=len(data.rows), when=format_local(data.generated_at, data.tz))
        await self._save(exported.filename, exported.data, labels.TERMINAL_SAVED)

    # --- /deletedata ------------------------------------------------------------------------

    async def delete_data(self) -> None:
        self.screen.say("delete_confirm")
        asked_at = self.services.clock()

        async def confirm() -> None:
            if not timedelta(0) <= self.services.clock() - asked_at <= CONFIRM_WITHIN:
                self.screen.say("stale_button")
                return
            # Only ever this user's own data.
            deleted = await self.progress.delete_everything(self.who)
            self.screen.say("deleted", deleted=deleted)

        async def cancel() -> None:
            self.screen.say("delete_cancelled")

        self.screen.offer(
            [Choice("1", labels.DELETE_EVERYTHING, confirm), Choice("2", labels.CANCEL, cancel)]
        )
