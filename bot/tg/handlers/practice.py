"""/daily, /topics, /review, /interviewdate and the buttons under a pushed question."""

from typing import assert_never
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.core.daily_settings import DailySetting, TopicChoice
from bot.core.interview import AlreadyRunning, Identity, Started, UnknownUser
from bot.core.prompting import Busy, DailyPrompt, NothingDue
from bot.core.schedule_time import ScheduleInputError
from bot.core.services import Services
from bot.present import labels
from bot.present.filters import format_local
from bot.present.render import render
from bot.tg import callback_data as cd
from bot.tg.handlers.common import Context, answer_query, drop_keyboard, edit_or_ignore, reply, with_identity
from bot.tg.handlers.interview import InterviewHandlers, continue_keyboard

PRESET_TIMES = ("07:00", "08:00", "12:30", "18:00", "21:00")


def prompt_keyboard(session_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(labels.SKIP, callback_data=cd.SkipPrompt(session_id).encode()),
                InlineKeyboardButton(labels.SNOOZE, callback_data=cd.SnoozePrompt(session_id).encode()),
            ]
        ]
    )


def daily_keyboard(setting: DailySetting) -> InlineKeyboardMarkup:
    times = [InlineKeyboardButton(t, callback_data=cd.SetDailyTime(t).encode()) for t in PRESET_TIMES]
    rows = [times]
    if setting.enabled:
        rows.append([InlineKeyboardButton(labels.DAILY_OFF, callback_data=cd.SetDailyTime(None).encode())])
    return InlineKeyboardMarkup(rows)


def topics_keyboard(choices: list[TopicChoice]) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(
            f"{labels.TOPIC_SELECTED if c.selected else labels.TOPIC_UNSELECTED} {c.name}",
            callback_data=cd.ToggleTopic(c.slug).encode(),
        )
        for c in choices
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([InlineKeyboardButton(labels.ALL_TOPICS, callback_data=cd.ToggleTopic(None).encode())])
    return InlineKeyboardMarkup(rows)


def render_daily_prompt(daily: DailyPrompt) -> str:
    return render("daily_prompt", daily=daily)


class PracticeHandlers:
    def __init__(self, services: Services, interview: InterviewHandlers) -> None:
        self.daily_settings = services.daily_settings
        self.prompting = services.prompting
        self.interview = interview

    async def _show_setting(
        self, update: Update, context: Context, setting: DailySetting, *, changed: bool = False
    ) -> None:
        next_local = format_local(setting.next_at, ZoneInfo(setting.timezone)) if setting.next_at else ""
        await reply(
            update,
            context,
            "daily_status",
            daily_keyboard(setting),
            setting=setting,
            changed=changed,
            next_local=next_local,
        )

    @with_identity
    async def daily(self, update: Update, context: Context, who: Identity) -> None:
        args = list(context.args or ())
        try:
            if not args:
                await self._show_setting(update, context, await self.daily_settings.daily(who))
            elif args[0].lower() == "off":
                await self._show_setting(
                    update, context, await self.daily_settings.daily_off(who), changed=True
                )
            elif args[0].lower() == "quiet":
                setting = await self.daily_settings.set_quiet_hours(who, " ".join(args[1:]))
                await self._show_setting(update, context, setting, changed=True)
            else:
                zone = " ".join(args[1:]) or None
                setting = await self.daily_settings.set_daily(who, args[0], zone)
                await self._show_setting(update, context, setting, changed=True)
        except ScheduleInputError as exc:
            await reply(update, context, "schedule_error", message=labels.schedule_problem(exc))

    @with_identity
    async def topics(self, update: Update, context: Context, who: Identity) -> None:
        choices = await self.daily_settings.topics(who)
        await reply(
            update, context, "topics", topics_keyboard(choices), all_selected=all(c.selected for c in choices)
        )

    @with_identity
    async def review(self, update: Update, context: Context, who: Identity) -> None:
        outcome = await self.prompting.start_review(who)
        match outcome:
            case Started(prompt=prompt):
                await self.interview.ask(update, context, prompt)
            case AlreadyRunning(session_id=sid, prompt=prompt):
                await reply(update, context, "already_running", continue_keyboard(sid, None), prompt=prompt)
            case NothingDue(next_due=next_due):
                zone = await self.daily_settings.zone_for(who)
                next_local = format_local(next_due, zone) if next_due else ""
                await reply(update, context, "review_nothing", next_due=next_due, next_local=next_local)

    @with_identity
    async def interview_date(self, update: Update, context: Context, who: Identity) -> None:
        args = list(context.args or ())
        try:
            if not args:
                result = await self.daily_settings.interview_date(who)
                await reply(update, context, "interview_date", result=result, cleared=False)
            elif args[0].lower() == "off":
                result = await self.daily_settings.set_interview_date(who, None)
                await reply(update, context, "interview_date", result=result, cleared=True)
            else:
                result = await self.daily_settings.set_interview_date(who, args[0])
                await reply(update, context, "interview_date", result=result, cleared=False)
        except ScheduleInputError as exc:
            await reply(
                update,
                context,
                "interview_date_error",
                message=labels.schedule_problem(exc),
                example_date=exc.example_date,
            )

    async def press(
        self,
        update: Update,
        context: Context,
        who: Identity,
        action: cd.SkipPrompt | cd.SnoozePrompt | cd.SetDailyTime | cd.ToggleTopic,
    ) -> None:
        query = update.callback_query
        assert query is not None
        match action:
            case cd.SkipPrompt(session_id=sid):
                outcome = await self.prompting.skip(who, sid)
                if isinstance(outcome, UnknownUser):
                    await answer_query(query, "stale_button")
                    return
                if outcome is None or isinstance(outcome, Busy):
                    await answer_query(query, "prompt_gone")
                    return
                await answer_query(query)
                await drop_keyboard(query)
                await reply(
                    update, context, "daily_prompt", prompt_keyboard(outcome.prompt.session_id), daily=outcome
                )
            case cd.SnoozePrompt(session_id=sid):
                due = await self.prompting.snooze(who, sid)
                if isinstance(due, UnknownUser):
                    await answer_query(query, "stale_button")
                    return
                if due is None:
                    await answer_query(query, "prompt_gone")
                    return
                at = format_local(due, await self.daily_settings.zone_for(who))
                await answer_query(query, "snoozed", at=at)
                await drop_keyboard(query)
                await reply(update, context, "snoozed", at=at)
            case cd.SetDailyTime(time=hhmm):
                setting = await self.daily_settings.press_daily(who, hhmm)
                if isinstance(setting, UnknownUser):
                    await answer_query(query, "stale_button")
                    return
                await answer_query(query)
                await drop_keyboard(query)
                await self._show_setting(update, context, setting, changed=True)
            case cd.ToggleTopic(topic=topic):
                choices = await self.daily_settings.toggle_topic(who, topic)
                if choices is None or isinstance(choices, UnknownUser):
                    await answer_query(query, "stale_button")
                    return
                await answer_query(query)
                text = render("topics", all_selected=all(c.selected for c in choices))
                await edit_or_ignore(query, text, topics_keyboard(choices))
            case _:
                assert_never(action)
