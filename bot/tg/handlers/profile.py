"""/level and /jobad, and the level question asked before a user's first interview."""

from typing import assert_never

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.core.interview import Identity, UnknownUser
from bot.core.jobad import (
    JobAdCleared,
    JobAdNoTerms,
    JobAdSet,
    JobAdStatus,
    JobAdTooLong,
)
from bot.core.levels import LevelSetting, parse_level
from bot.core.picking import resolve_topic
from bot.core.services import Services
from bot.present import labels
from bot.present.render import render
from bot.tg import callback_data as cd
from bot.tg.handlers.common import Context, answer_query, edit_or_ignore, reply, with_identity
from bot.tg.handlers.interview import InterviewHandlers

# How many of the terms found in a job ad the reply names before "and N more".
TERMS_SHOWN = 20


def level_keyboard(*, start: bool = False, topic: str | None = None) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(label, callback_data=cd.SetLevel(level, start, topic).encode())
        for level, label in labels.LEVEL_LABELS.items()
    ]
    rows = [buttons]
    if start:
        rows.append(
            [InlineKeyboardButton(labels.LEVEL_SKIP, callback_data=cd.SetLevel(None, True, topic).encode())]
        )
    return InlineKeyboardMarkup(rows)


def level_name(setting: LevelSetting) -> str | None:
    return labels.LEVEL_LABELS[setting.level] if setting.level else None


def command_text(message: Message | None) -> str:
    """What follows the command, line breaks kept (context.args would split a pasted ad into words)."""
    if message is None or not message.text:
        return ""
    parts = message.text.split(None, 1)  # "/jobad\n<ad>" too: the ad may start on the next line
    return parts[1] if len(parts) > 1 else ""


class ProfileHandlers:
    def __init__(self, services: Services, interview: InterviewHandlers) -> None:
        self.levels = services.levels
        self.jobads = services.jobads
        self.interviews = services.interviews
        self.bank = services.bank
        self.ask_level = services.settings.interview.ask_level
        self.interview = interview

    @with_identity
    async def interview_command(self, update: Update, context: Context, who: Identity) -> None:
        """/interview: a user who has no level yet is asked for it first (once); the interview
        starts when they tap a level or Skip. Anything else goes to the interview as it was."""
        topic_arg = " ".join(context.args or ())
        if self.ask_level and await self.levels.ask_first(who):
            topic = resolve_topic(self.bank, topic_arg) if topic_arg.strip() else None
            # An unknown topic is reported by the interview itself, before any level question.
            if topic is not None or not topic_arg.strip():
                await reply(update, context, "level_ask", level_keyboard(start=True, topic=topic))
                return
        await self.interview.start(update, context)

    @with_identity
    async def level(self, update: Update, context: Context, who: Identity) -> None:
        given = " ".join(context.args or ()).strip()
        if not given:
            setting = await self.levels.current(who)
            await reply(update, context, "level_status", level_keyboard(), level_name=level_name(setting))
            return
        chosen = parse_level(given)
        if chosen is None:
            await reply(update, context, "level_unknown", level_keyboard(), given=given[:64])
            return
        setting = await self.levels.choose(who, chosen)
        await reply(update, context, "level_set", level_name=level_name(setting))

    @with_identity
    async def jobad(self, update: Update, context: Context, who: Identity) -> None:
        outcome = await self.jobads.handle(who, command_text(update.effective_message))
        match outcome:
            case JobAdStatus(topics=topics):
                await reply(update, context, "jobad_status", topics=topics)
            case JobAdSet(terms=terms, topics=topics):
                await reply(update, context, "jobad_set", terms=terms, topics=topics, shown=TERMS_SHOWN)
            case JobAdNoTerms(kept=kept):
                await reply(update, context, "jobad_no_terms", kept=kept)
            case JobAdTooLong(length=length, limit=limit):
                await reply(update, context, "jobad_too_long", length=length, limit=limit)
            case JobAdCleared(had_one=had_one):
                await reply(update, context, "jobad_cleared", had_one=had_one)
            case _:
                assert_never(outcome)

    async def press(self, update: Update, context: Context, who: Identity, action: cd.SetLevel) -> None:
        """A level button: under /level it sets the level; under the first /interview's question
        it sets it once and starts the interview."""
        query = update.callback_query
        assert query is not None
        chosen = parse_level(action.level) if action.level else None
        if action.start and (query.message is None or query.message.chat.id != query.from_user.id):
            # The question before a first interview belongs to its own private chat.
            await answer_query(query, "stale_button")
            return
        outcome = await self.levels.press(who, chosen, only_if_unset=action.start)
        if isinstance(outcome, UnknownUser):
            await answer_query(query, "stale_button")
            return
        if outcome is None:  # a double tap, or an old question: the level chosen first stands
            await answer_query(query, "level_chosen_already")
            return
        await answer_query(query)
        await edit_or_ignore(query, render("level_set", level_name=level_name(outcome)), None)
        if action.start:
            started = await self.interviews.start(who, action.topic)
            await self.interview._started(update, context, started)
