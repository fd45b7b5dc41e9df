"""The Telegram front end: one Application, every handler registered in one block."""

import logging
from typing import Any, TypeAlias

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot.core.services import Services
from bot.present.labels import TELEGRAM_COMMANDS as COMMANDS
from bot.tg.handlers import fallback
from bot.tg.handlers.buttons import ButtonHandlers
from bot.tg.handlers.data import DataHandlers
from bot.tg.handlers.history import HistoryHandlers
from bot.tg.handlers.interview import InterviewHandlers
from bot.tg.handlers.practice import PracticeHandlers
from bot.tg.handlers.profile import ProfileHandlers
from bot.tg.handlers.settings import SettingsHandlers
from bot.tg.handlers.start import GroupHandlers, StartHandlers
from bot.tg.handlers.stats import StatsHandlers
from bot.tg.handlers.voice import VoiceHandlers
from bot.tg.inbox import InboxQueue, InboxRequest, replay_pending
from bot.tg.jobs import SweepRunner
from bot.tg.pacing import ChatPacer
from bot.tg.updates import PerChatUpdates

log = logging.getLogger(__name__)

BotApplication: TypeAlias = Application[Any, Any, Any, Any, Any, Any]

# Handlers running at once (updates of one chat always run one at a time, in order).
MAX_RUNNING_UPDATES = 32

ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]


def build_application(
    services: Services,
    token: str,
    *,
    rate_limiter: BaseRateLimiter[Any] | None = None,
    requests: tuple[BaseRequest, BaseRequest] | None = None,
) -> BotApplication:
    """The bot's Application. For tests: `rate_limiter` replaces the default one (tests that send
    hundreds of messages without testing the pacing keep its retries but not its 30 messages a
    second), `requests` the HTTP clients PTB builds (for API calls, for getUpdates)."""
    settings = services.settings.telegram

    async def post_init(app: BotApplication) -> None:
        try:
            await app.bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS])
        except TelegramError as exc:  # the menu is a nicety; the bot works without it
            log.warning("could not register the command menu: %s", exc)
        # Before polling starts: what a crashed process received and never handled comes first.
        await replay_pending(app, services.inbox)

    async def post_shutdown(_app: BotApplication) -> None:
        await services.close()

    # PTB's own defaults (256 connections for API calls, 1 for getUpdates) unless given.
    api, polling = requests or (HTTPXRequest(connection_pool_size=256), HTTPXRequest(connection_pool_size=1))
    app = (
        ApplicationBuilder()
        .request(api)
        # Every batch of updates is recorded before it can be confirmed (bot/tg/inbox.py).
        .get_updates_request(InboxRequest(polling, services.inbox))
        # ... and by webhook, each update before Telegram gets its 200 (bot/tg/webhook.py).
        .update_queue(InboxQueue(services.inbox))
        .token(token)
        .base_url(settings.base_url)
        .base_file_url(settings.base_file_url)
        # Stays under Telegram's ~30 messages/s; a 429 holds back only the chat it names.
        .rate_limiter(rate_limiter if rate_limiter is not None else ChatPacer())
        .concurrent_updates(PerChatUpdates(MAX_RUNNING_UPDATES, on_handled=services.inbox.handled))
        .defaults(
            Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True))
        )
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    register_handlers(app, services)
    return app


def register_handlers(app: BotApplication, services: Services) -> None:
    start = StartHandlers(services)
    groups = GroupHandlers()
    interview = InterviewHandlers(services)
    practice = PracticeHandlers(services, interview)
    history = HistoryHandlers(services)
    stats = StatsHandlers(services)
    data = DataHandlers(services)
    profile = ProfileHandlers(services, interview)
    voice = VoiceHandlers(services, interview)
    settings = SettingsHandlers(services)
    buttons = ButtonHandlers(interview, practice, history, data, profile, voice, settings)
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE

    app.add_handlers(
        [
            # Edits first: CommandHandler would otherwise treat an edited "/interview" as new.
            MessageHandler(filters.UpdateType.EDITED_MESSAGE & filters.ChatType.PRIVATE, interview.edited),
            # Groups before everything else: one note, then the bot leaves (nothing else goes there).
            ChatMemberHandler(groups.seen, ChatMemberHandler.MY_CHAT_MEMBER),
            MessageHandler(filters.ChatType.GROUPS, groups.seen),
            CommandHandler("start", start.start, filters=private),
            CommandHandler("help", start.help, filters=private),
            # /interview goes through the profile: a new user is asked their level first.
            CommandHandler("interview", profile.interview_command, filters=private),
            CommandHandler("cancel", interview.cancel, filters=private),
            CommandHandler("history", history.history, filters=private),
            CommandHandler("stats", stats.stats, filters=private),
            CommandHandler("export", stats.export, filters=private),
            CommandHandler("deletedata", data.delete_data, filters=private),
            CommandHandler("privacy", voice.privacy, filters=private),
            CommandHandler("daily", practice.daily, filters=private),
            CommandHandler("topics", practice.topics, filters=private),
            CommandHandler("review", practice.review, filters=private),
            CommandHandler("interviewdate", practice.interview_date, filters=private),
            CommandHandler("level", profile.level, filters=private),
            CommandHandler("jobad", profile.jobad, filters=private),
            CommandHandler("settings", settings.settings, filters=private),
            # After every command: a "/word" left is an answer if a question waits (the core decides).
            MessageHandler(filters.COMMAND & private, interview.unknown_command),
            MessageHandler(filters.TEXT & private, interview.answer),
            # A voice message or audio file: the spoken answer (refused politely without [speech]).
            MessageHandler((filters.VOICE | filters.AUDIO) & private, voice.voice),
            MessageHandler(private, fallback.non_text),
            CallbackQueryHandler(buttons.press),
        ]
    )
    app.add_error_handler(fallback.on_error)

    assert app.job_queue is not None, "python-telegram-bot[job-queue] is required"
    if not services.settings.scheduler.enabled:  # another process sends the daily prompts
        log.info("daily prompts are off in this process ([scheduler] enabled = false)")
        return
    app.job_queue.run_repeating(
        SweepRunner(),  # a shutdown finds it by the job's name (bot/tg/run.py)
        interval=services.settings.scheduler.tick_seconds,
        first=1,
        data=services,
        name="prompt-sweep",
        # One sweep at a time; a late tick runs once rather than being skipped or stacked.
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )
