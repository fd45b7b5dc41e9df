"""/deletedata: everything the bot stores about a user, gone after one confirmation."""

from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.core.interview import Identity
from bot.core.services import Services
from bot.present import labels
from bot.present.render import render
from bot.tg import callback_data as cd
from bot.tg.handlers.common import Context, answer_query, drop_keyboard, edit_or_ignore, reply, with_identity

# A confirmation button older than this is refused: an old message should not delete anything.
CONFIRM_WITHIN = timedelta(minutes=15)


class DataHandlers:
    def __init__(self, services: Services) -> None:
        self.services = services

    @with_identity
    async def delete_data(self, update: Update, context: Context, who: Identity) -> None:
        asked_at = int(self.services.clock().timestamp())
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        labels.DELETE_EVERYTHING, callback_data=cd.DeleteData(True, asked_at).encode()
                    ),
                    InlineKeyboardButton(labels.CANCEL, callback_data=cd.DeleteData(False).encode()),
                ]
            ]
        )
        await reply(update, context, "delete_confirm", keyboard)

    async def press(self, update: Update, context: Context, who: Identity, action: cd.DeleteData) -> None:
        query = update.callback_query
        assert query is not None
        if not action.confirmed:
            await answer_query(query)
            await edit_or_ignore(query, render("delete_cancelled"), None)
            return
        age = self.services.clock().timestamp() - action.asked_at
        if not 0 <= age <= CONFIRM_WITHIN.total_seconds():
            await answer_query(query, "stale_button")
            return
        # Only ever the presser's own data: the button names no user.
        deleted = await self.services.progress.delete_everything(who)
        if not deleted:
            # Nothing left: most likely the second of a double tap, whose first already edited
            # the message to "Done"; keep that, and say it only in the button's notice.
            await answer_query(query, "deleted", deleted=False)
            await drop_keyboard(query)
            return
        await answer_query(query)
        await edit_or_ignore(query, render("deleted", deleted=deleted), None)
