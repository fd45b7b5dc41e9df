"""/settings in the terminal: the core calls and template of bot/tg/handlers/settings.py, with
its button (labelled with the setting's state; picking it flips it) as a numbered choice."""

from bot.chat.screen import Choice, Screen
from bot.core.interview import Identity, UnknownUser
from bot.core.services import Services
from bot.present import labels


class SettingsChat:
    def __init__(self, services: Services, who: Identity, screen: Screen) -> None:
        self.interviews = services.interviews
        self.who = who
        self.screen = screen

    async def settings(self) -> None:
        self._show(await self.interviews.follow_ups(self.who))

    def _show(self, follow_ups: bool) -> None:
        self.screen.say("settings", follow_ups=follow_ups)

        async def flip() -> None:
            # The choice carries the state it sets, as the Telegram button does.
            changed = await self.interviews.set_follow_ups(self.who, not follow_ups)
            if isinstance(changed, UnknownUser):  # /deletedata since
                self.screen.say("stale_button")
            else:
                self._show(changed)

        label = labels.FOLLOW_UPS_ON if follow_ups else labels.FOLLOW_UPS_OFF
        self.screen.offer([Choice("1", label, flip)])
