"""/settings: the user's preferences as buttons (follow-up questions on or off)."""

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.core.interview import Identity, UnknownUser
from bot.core.services import Services
from bot.present import labels
from bot.present.render import render
from bot.tg import callback_data as cd
from bot.tg.handlers.common import Context, answer_query, edit_or_ignore, reply, with_identity


def settings_keyboard(follow_ups: bool) -> InlineKeyboardMarkup:
    """One button per setting, labelled with its state; pressing it flips it."""
    label = labels.FOLLOW_UPS_ON if follow_ups else labels.FOLLOW_UPS_OFF
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=cd.SetFollowUps(not follow_ups).encode())]]
    )


class SettingsHandlers:
    def __init__(self, services: Services) -> None:
        self.interviews = services.interviews

    @with_identity
    async def settings(self, update: Update, context: Context, who: Identity) -> None:
        follow_ups = await self.interviews.follow_ups(who)
        await reply(update, context, "settings", settings_keyboard(follow_ups), follow_ups=follow_ups)

    async def press(self, update: Update, context: Context, who: Identity, action: cd.SetFollowUps) -> None:
        query = update.callback_query
        assert query is not None
        # The button carries the state it sets, so a double press sets the same state twice.
        changed = await self.interviews.set_follow_ups(who, action.enabled)
        if isinstance(changed, UnknownUser):
            await answer_query(query, "stale_button")
            return
        await answer_query(query)
        await edit_or_ignore(query, render("settings", follow_ups=changed), settings_keyboard(changed))
