"""/deletedata: everything the bot stores about a user, gone after one confirmation."""

from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.core.interview import Identity
from bot.core.services import Services
from bot.render import render
from bot.tg import callback_data
from bot.tg.handlers.common import Context, answer_query, edit_or_ignore, identity, reply

# A confirmation button older than this is refused: an old message should not delete anything.
CONFIRM_WITHIN = timedelta(minutes=15)


class DataHandlers:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def delete_data(self, update: Update, context: Context) -> None:
        if identity(update) is None:
            return
        asked_at = int(self.services.clock().timestamp())
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        "Delete everything", callback_data=callback_data.delete_data(asked_at)
                    ),
                    InlineKeyboardButton("Cancel", callback_data=callback_data.delete_data(None)),
                ]
            ]
        )
        await reply(update, context, "delete_confirm", keyboard)

    async def press(
        self, update: Update, context: Context, who: Identity, action: callback_data.Action
    ) -> None:
        query = update.callback_query
        assert query is not None
        match action:
            case callback_data.DeleteData(confirmed=False):
                await answer_query(query)
                await edit_or_ignore(query, render("delete_cancelled"), None)
            case callback_data.DeleteData(confirmed=True, asked_at=asked_at):
                age = self.services.clock().timestamp() - asked_at
                if not 0 <= age <= CONFIRM_WITHIN.total_seconds():
                    await answer_query(query, "stale_button")
                    return
                # Only ever the presser's own data: the button names no user.
                deleted = await self.services.progress.delete_everything(who)
                await answer_query(query)
                await edit_or_ignore(query, render("deleted", deleted=deleted), None)
