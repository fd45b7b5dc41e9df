"""/history: the user's answers, paged in one message, and every attempt at a question."""

from typing import assert_never

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.core.interview import Identity
from bot.core.progress import HistoryPage
from bot.core.prompting import Busy
from bot.core.services import Services
from bot.present import labels
from bot.present.render import render
from bot.tg import callback_data as cd
from bot.tg.handlers.common import Context, answer_query, edit_or_ignore, reply, with_identity
from bot.tg.handlers.practice import prompt_keyboard

PAGE_SIZE = 10


def history_keyboard(page: HistoryPage) -> InlineKeyboardMarkup | None:
    if not page.items and not page.topic:
        return None
    # An empty topic page keeps its "All topics" button: the topic menu edited this message, and
    # without it the user would be stranded on "You haven't answered any ... questions yet".
    numbers = [
        InlineKeyboardButton(str(i), callback_data=cd.OpenAnswer(item.answer_id).encode())
        for i, item in enumerate(page.items, start=1)
    ]
    rows = [numbers[i : i + 5] for i in range(0, len(numbers), 5)]
    nav = []
    if page.has_prev:
        previous = cd.HistoryPage(page.page - 1, page.topic)
        nav.append(InlineKeyboardButton(labels.PREVIOUS_PAGE, callback_data=previous.encode()))
    if page.has_next:
        following = cd.HistoryPage(page.page + 1, page.topic)
        nav.append(InlineKeyboardButton(labels.NEXT_PAGE, callback_data=following.encode()))
    rows.append(nav)
    if page.topic:
        rows.append([InlineKeyboardButton(labels.ALL_TOPICS, callback_data=cd.HistoryPage(1, None).encode())])
    else:
        rows.append([InlineKeyboardButton(labels.FILTER_BY_TOPIC, callback_data=cd.HistoryTopics().encode())])
    return InlineKeyboardMarkup([row for row in rows if row])


class HistoryHandlers:
    def __init__(self, services: Services) -> None:
        self.progress = services.progress
        self.daily_settings = services.daily_settings
        self.prompting = services.prompting
        self.interviews = services.interviews

    def _render(self, page: HistoryPage) -> str:
        return render("history", page=page, topics=self.interviews.topics(), buttons=True)

    @with_identity
    async def history(self, update: Update, context: Context, who: Identity) -> None:
        topic = " ".join(context.args or ()) or None
        page = await self.progress.history_page(who, 1, topic, PAGE_SIZE)
        await reply(
            update,
            context,
            "history",
            history_keyboard(page),
            page=page,
            topics=self.interviews.topics(),
            buttons=True,
        )

    async def press(
        self,
        update: Update,
        context: Context,
        who: Identity,
        action: cd.HistoryPage | cd.HistoryTopics | cd.OpenAnswer | cd.PractiseAgain,
    ) -> None:
        query = update.callback_query
        assert query is not None
        match action:
            case cd.HistoryPage(page=number, topic=topic):
                await answer_query(query)
                page = await self.progress.history_page(who, number, topic, PAGE_SIZE)
                # Edits the same message; a double press ("not modified") or an old message is fine.
                await edit_or_ignore(query, self._render(page), history_keyboard(page))
            case cd.HistoryTopics():
                await answer_query(query)
                buttons = [
                    InlineKeyboardButton(name, callback_data=cd.HistoryPage(1, slug).encode())
                    for slug, name in self.interviews.topics()
                ]
                rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
                rows.append(
                    [InlineKeyboardButton(labels.BACK, callback_data=cd.HistoryPage(1, None).encode())]
                )
                await edit_or_ignore(query, render("history_topics"), InlineKeyboardMarkup(rows))
            case cd.OpenAnswer(answer_id=answer_id):
                history = await self.progress.attempts(who, answer_id)
                if history is None:  # not this user's answer, or deleted since
                    await answer_query(query, "stale_button")
                    return
                await answer_query(query)
                again_data = cd.PractiseAgain(answer_id).encode()
                again = InlineKeyboardMarkup(
                    [[InlineKeyboardButton(labels.PRACTISE_AGAIN, callback_data=again_data)]]
                )
                await reply(update, context, "attempts", again, history=history)
            case cd.PractiseAgain(answer_id=answer_id):
                history = await self.progress.attempts(who, answer_id)
                if history is None:
                    await answer_query(query, "stale_button")
                    return
                outcome = await self.prompting.practise_now(who, history.question.id)
                if outcome is None or isinstance(outcome, Busy):
                    await answer_query(query, "busy" if isinstance(outcome, Busy) else "stale_button")
                    return
                await answer_query(query)
                await reply(
                    update, context, "daily_prompt", prompt_keyboard(outcome.prompt.session_id), daily=outcome
                )
            case _:
                assert_never(action)
