"""/interview, answers, self-ratings and /cancel."""

from typing import assert_never

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.core.interview import (
    AlreadyRunning,
    Answered,
    EmptyAnswer,
    Identity,
    NotAsked,
    NotSaved,
    QuestionPrompt,
    Started,
    StartOutcome,
    TooLong,
    UnknownTopic,
    UnknownUser,
)
from bot.core.services import Services
from bot.present import labels
from bot.present.feedback import feedback_message
from bot.tg import callback_data as cd
from bot.tg.handlers import fallback
from bot.tg.handlers.common import (
    Context,
    answer_query,
    drop_keyboard,
    reply,
    reply_html,
    with_identity,
)


def rating_keyboard(answer_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(label, callback_data=cd.RateAnswer(answer_id, rating).encode())
                for rating, label in labels.RATING_LABELS.items()
            ]
        ]
    )


def continue_keyboard(session_id: int, topic: str | None) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    labels.CONTINUE, callback_data=cd.ContinueInterview(session_id).encode()
                ),
                InlineKeyboardButton(
                    labels.START_NEW, callback_data=cd.RestartInterview(session_id, topic).encode()
                ),
            ]
        ]
    )


class InterviewHandlers:
    def __init__(self, services: Services) -> None:
        self.interviews = services.interviews

    async def ask(self, update: Update, context: Context, prompt: QuestionPrompt) -> None:
        await reply(update, context, "question", prompt=prompt)

    @with_identity
    async def start(self, update: Update, context: Context, who: Identity) -> None:
        await self._started(update, context, await self.interviews.start(who, " ".join(context.args or ())))

    async def _started(self, update: Update, context: Context, outcome: StartOutcome) -> None:
        match outcome:
            case Started(prompt=prompt):
                await self.ask(update, context, prompt)
            case AlreadyRunning(session_id=sid, prompt=prompt, requested_topic=topic):
                await reply(update, context, "already_running", continue_keyboard(sid, topic), prompt=prompt)
            case UnknownTopic(given=given, topics=topics):
                await reply(update, context, "unknown_topic", given=given, topics=topics)

    @with_identity
    async def answer(self, update: Update, context: Context, who: Identity) -> None:
        message = update.effective_message
        if message is None or message.text is None:
            return
        outcome = await self.interviews.answer(who, message.text, message.message_id)
        if isinstance(outcome, NotAsked) and outcome.answered_already:
            await reply(update, context, "answered_already")
        elif isinstance(outcome, NotAsked):
            await reply(update, context, "not_asked", topics=self.interviews.topics())
        else:
            await self._answered(update, context, outcome)

    @with_identity
    async def unknown_command(self, update: Update, context: Context, who: Identity) -> None:
        """A "/word" that is none of the bot's commands: the answer while a question waits
        (answers may start with a path), an unknown command otherwise."""
        message = update.effective_message
        if message is None or message.text is None:
            return
        outcome = await self.interviews.answer(who, message.text, message.message_id)
        if isinstance(outcome, NotAsked):
            await fallback.unknown_command(update, context)
        else:
            await self._answered(update, context, outcome)

    async def _answered(
        self, update: Update, context: Context, outcome: Answered | TooLong | EmptyAnswer | NotSaved
    ) -> None:
        match outcome:
            case TooLong(length=length, limit=limit):
                await reply(update, context, "too_long", length=length, limit=limit)
            case EmptyAnswer():
                await reply(update, context, "empty_answer")
            case NotSaved():
                await reply(update, context, "not_saved")
            case Answered() as result:
                await reply_html(update, context, feedback_message(result), rating_keyboard(result.answer_id))
                if result.next is not None:
                    await self.ask(update, context, result.next)
                elif result.summary is not None and result.kind != "daily":
                    await reply(update, context, "summary", summary=result.summary)
            case _:
                assert_never(outcome)

    @with_identity
    async def cancel(self, update: Update, context: Context, who: Identity) -> None:
        summary = await self.interviews.cancel(who)
        if summary is None:
            await reply(update, context, "cancelled_nothing")
        else:
            await reply(update, context, "summary", summary=summary)

    @with_identity
    async def edited(self, update: Update, context: Context, who: Identity) -> None:
        message = update.edited_message
        if message is None:
            return
        edited = await self.interviews.edited(who, message.message_id)
        await reply(update, context, "edited_answer" if edited else "edited_other")

    async def press(
        self,
        update: Update,
        context: Context,
        who: Identity,
        action: cd.RateAnswer | cd.ContinueInterview | cd.RestartInterview,
    ) -> None:
        """The interview's buttons: self-ratings, continue and restart."""
        query = update.callback_query
        assert query is not None
        match action:
            case cd.RateAnswer(answer_id=answer_id, rating=rating):
                rated = await self.interviews.rate(who, answer_id, rating)
                if rated is None:
                    await answer_query(query, "stale_button")
                    return
                await answer_query(query, "rated", rated=rated)
                await drop_keyboard(query)
            case cd.ContinueInterview(session_id=sid):
                prompt = await self.interviews.resume(who, sid)
                await answer_query(query)
                await drop_keyboard(query)
                if prompt is None:
                    await reply(update, context, "resumed_nothing")
                else:
                    await self.ask(update, context, prompt)
            case cd.RestartInterview(session_id=sid, topic=topic):
                outcome = await self.interviews.restart(who, sid, topic)
                if isinstance(outcome, UnknownUser):
                    await answer_query(query, "stale_button")
                    return
                await answer_query(query)
                await drop_keyboard(query)
                await self._started(update, context, outcome)
            case _:
                assert_never(action)
