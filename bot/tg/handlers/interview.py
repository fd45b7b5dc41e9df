"""/interview, answers, self-ratings and /cancel."""

import logging
from typing import assert_never

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError

from bot.core.interview import (
    AlreadyRunning,
    Answered,
    EmptyAnswer,
    FollowUpAnswered,
    Identity,
    InterviewSummary,
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
    identity,
    reply,
    reply_html,
    with_identity,
)

log = logging.getLogger(__name__)


def rating_keyboard(answer_id: int, *, deeper: bool = False, try_again: bool = False) -> InlineKeyboardMarkup:
    """Self-ratings; with `try_again`, a row that re-asks the question at once; with `deeper`,
    the "Deeper review" button below."""
    rows = [
        [
            InlineKeyboardButton(label, callback_data=cd.RateAnswer(answer_id, rating).encode())
            for rating, label in labels.RATING_LABELS.items()
        ]
    ]
    if try_again:
        rows.append([_try_again_button(answer_id)])
    if deeper:
        rows.append([_deeper_button(answer_id)])
    return InlineKeyboardMarkup(rows)


def after_rating_keyboard(answer_id: int, *, deeper: bool) -> InlineKeyboardMarkup:
    """Once rated, Try again (and the deeper review, where offered) stay under the feedback."""
    rows = [[_try_again_button(answer_id)]]
    if deeper:
        rows.append([_deeper_button(answer_id)])
    return InlineKeyboardMarkup(rows)


def _try_again_button(answer_id: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(labels.TRY_AGAIN, callback_data=cd.TryAgain(answer_id).encode())


def _deeper_button(answer_id: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(labels.DEEPER_REVIEW, callback_data=cd.AskDeeperReview(answer_id).encode())


async def keep_after_rating(query: CallbackQuery, keyboard: InlineKeyboardMarkup) -> None:
    """Once rated, the rating buttons go (rating again changes nothing); the rest stays."""
    message = query.message
    # The update carries the message as Telegram holds it now: a second tap finds the rating
    # buttons gone already, and an edit that changes nothing would be refused.
    if not isinstance(message, Message) or message.reply_markup in (None, keyboard):
        return
    try:
        await query.edit_message_reply_markup(keyboard)
    except TelegramError as exc:  # a double press raced us, or the message is too old: done
        log.debug("could not change keyboard: %s", exc)


def skip_keyboard(session_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(labels.SKIP, callback_data=cd.SkipFollowUp(session_id).encode())]]
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
        self.deeper = services.deeper

    async def ask(self, update: Update, context: Context, prompt: QuestionPrompt) -> None:
        keyboard = skip_keyboard(prompt.session_id) if prompt.probe is not None else None
        await reply(update, context, "question", keyboard, prompt=prompt)

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
        outcome = await self.interviews.answer(
            who, message.text, message.message_id, sent_at=message.date, follow_ups=True
        )
        if isinstance(outcome, NotAsked) and outcome.repeated:
            await self._saved_before(update, context, who)
        elif isinstance(outcome, NotAsked) and outcome.answered_already:
            await reply(update, context, "answered_already")
        elif isinstance(outcome, NotAsked):
            await reply(update, context, "not_asked", topics=self.interviews.topics())
        else:
            await self.answered(update, context, outcome)

    @with_identity
    async def unknown_command(self, update: Update, context: Context, who: Identity) -> None:
        """A "/word" that is none of the bot's commands: the answer while a question waits
        (answers may start with a path), an unknown command otherwise."""
        message = update.effective_message
        if message is None or message.text is None:
            return
        outcome = await self.interviews.answer(
            who, message.text, message.message_id, sent_at=message.date, follow_ups=True
        )
        if isinstance(outcome, NotAsked) and outcome.repeated:
            await self._saved_before(update, context, who)
        elif isinstance(outcome, NotAsked):
            await fallback.unknown_command(update, context)
        else:
            await self.answered(update, context, outcome)

    async def _saved_before(self, update: Update, context: Context, who: Identity) -> None:
        """An answer handled again after a crash (its reply may never have gone out): say it
        counts once, and ask what waits now."""
        await reply(update, context, "answer_saved_before")
        prompt = await self.interviews.resume(who)
        if prompt is not None:
            await self.ask(update, context, prompt)

    async def answered(
        self,
        update: Update,
        context: Context,
        outcome: Answered | FollowUpAnswered | TooLong | EmptyAnswer | NotSaved,
    ) -> None:
        match outcome:
            case TooLong(length=length, limit=limit):
                await reply(update, context, "too_long", length=length, limit=limit)
            case EmptyAnswer():
                await reply(update, context, "empty_answer")
            case NotSaved():
                await reply(update, context, "not_saved")
            case Answered() as result:
                who = identity(update)
                deeper = who is not None and self.deeper.available_to(who)
                keyboard = rating_keyboard(result.answer_id, deeper=deeper, try_again=True)
                await reply_html(update, context, feedback_message(result), keyboard)
                await self._then(update, context, result.next, result.summary, result.kind)
            case FollowUpAnswered() as result:
                keyboard = rating_keyboard(result.answer_id, try_again=True)
                await reply(update, context, "follow_up_feedback", keyboard, result=result)
                await self._then(update, context, result.next, result.summary, result.kind)
            case _:
                assert_never(outcome)

    async def _then(
        self,
        update: Update,
        context: Context,
        nxt: QuestionPrompt | None,
        summary: InterviewSummary | None,
        kind: str,
    ) -> None:
        """After a feedback: what the session waits for now, or the summary once it ended."""
        if nxt is not None:
            await self.ask(update, context, nxt)
        elif summary is not None and kind != "daily":
            await reply(update, context, "summary", summary=summary)

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
        action: cd.RateAnswer | cd.ContinueInterview | cd.RestartInterview | cd.SkipFollowUp | cd.TryAgain,
    ) -> None:
        """The interview's buttons: self-ratings, continue and restart, skip a follow-up, try again."""
        query = update.callback_query
        assert query is not None
        match action:
            case cd.RateAnswer(answer_id=answer_id, rating=rating):
                rated = await self.interviews.rate(who, answer_id, rating)
                if rated is None:
                    await answer_query(query, "stale_button")
                    return
                await answer_query(query, "rated", rated=rated)
                deeper = self.deeper.available_to(who)
                await keep_after_rating(query, after_rating_keyboard(answer_id, deeper=deeper))
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
            case cd.SkipFollowUp(session_id=sid):
                skipped = await self.interviews.skip_probe(who, sid)
                if skipped is None:  # answered, skipped or cancelled since, or not this user's
                    await answer_query(query, "stale_button")
                    return
                await answer_query(query)
                await drop_keyboard(query)
                await self._then(update, context, skipped.next, skipped.summary, "interview")
            case cd.TryAgain(answer_id=answer_id):
                prompt = await self.interviews.retry(who, answer_id)
                if prompt is None:
                    await answer_query(query, "stale_button")
                    return
                await answer_query(query)
                await self.ask(update, context, prompt)
            case _:
                assert_never(action)
