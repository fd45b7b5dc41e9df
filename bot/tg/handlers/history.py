"""/history: the user's answers, paged in one message, and every attempt at a question."""

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.core.interview import Identity
from bot.core.practice import Busy
from bot.core.progress import HistoryPage
from bot.core.services import Services
from bot.render import render
from bot.tg import callback_data
from bot.tg.handlers.common import Context, answer_query, edit_or_ignore, identity, reply
from bot.tg.handlers.practice import prompt_keyboard

PAGE_SIZE = 10


def history_keyboard(page: HistoryPage) -> InlineKeyboardMarkup | None:
    if not page.items and not page.topic:
        return None
    # An empty topic page keeps its "All topics" button: the topic menu edited this message, and
    # without it the user would be stranded on "You haven't answered any ... questions yet".
    numbers = [
        InlineKeyboardButton(str(i), callback_data=callback_data.open_answer(item.answer_id))
        for i, item in enumerate(page.items, start=1)
    ]
    rows = [numbers[i : i + 5] for i in range(0, len(numbers), 5)]
    nav = []
    if page.has_prev:
        nav.append(
            InlineKeyboardButton(
                "‹ Prev", callback_data=callback_data.history_page(page.page - 1, page.topic)
            )
        )
    if page.has_next:
        nav.append(
            InlineKeyboardButton(
                "Next ›", callback_data=callback_data.history_page(page.page + 1, page.topic)
            )
        )
    rows.append(nav)
    if page.topic:
        rows.append([InlineKeyboardButton("All topics", callback_data=callback_data.history_page(1, None))])
    else:
        rows.append([InlineKeyboardButton("Filter by topic", callback_data=callback_data.HISTORY_TOPICS)])
    return InlineKeyboardMarkup([row for row in rows if row])


class HistoryHandlers:
    def __init__(self, services: Services) -> None:
        self.progress = services.progress
        self.practice = services.practice
        self.interviews = services.interviews

    def _render(self, page: HistoryPage) -> str:
        return render("history", page=page, topics=self.interviews.topics(), buttons=True)

    async def history(self, update: Update, context: Context) -> None:
        who = identity(update)
        if who is None:
            return
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
        self, update: Update, context: Context, who: Identity, action: callback_data.Action
    ) -> None:
        query = update.callback_query
        assert query is not None
        match action:
            case callback_data.HistoryPage(page=number, topic=topic):
                await answer_query(query)
                page = await self.progress.history_page(who, number, topic, PAGE_SIZE)
                # Edits the same message; a double press ("not modified") or an old message is fine.
                await edit_or_ignore(query, self._render(page), history_keyboard(page))
            case callback_data.HistoryTopics():
                await answer_query(query)
                buttons = [
                    InlineKeyboardButton(name, callback_data=callback_data.history_page(1, slug))
                    for slug, name in self.interviews.topics()
                ]
                rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
                rows.append(
                    [InlineKeyboardButton("‹ Back", callback_data=callback_data.history_page(1, None))]
                )
                await edit_or_ignore(query, render("history_topics"), InlineKeyboardMarkup(rows))
            case callback_data.OpenAnswer(answer_id=answer_id):
                history = await self.progress.attempts(who, answer_id)
                if history is None:  # not this user's answer, or deleted since
                    await answer_query(query, "stale_button")
                    return
                await answer_query(query)
                again = InlineKeyboardMarkup(
                    [
                        [
                            InlineKeyboardButton(
                                "Practise again", callback_data=callback_data.practise_again(answer_id)
                            )
                        ]
                    ]
                )
                await reply(update, context, "attempts", again, history=history)
            case callback_data.PractiseAgain(answer_id=answer_id):
                history = await self.progress.attempts(who, answer_id)
                if history is None:
                    await answer_query(query, "stale_button")
                    return
                outcome = await self.practice.practise_now(who, history.question.id)
                if outcome is None or isinstance(outcome, Busy):
                    await answer_query(query, "busy" if isinstance(outcome, Busy) else "stale_button")
                    return
                await answer_query(query)
                await reply(
                    update, context, "daily_prompt", prompt_keyboard(outcome.prompt.session_id), daily=outcome
                )
