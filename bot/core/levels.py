"""The user's role level: what people call it, and where it is kept.

Which questions suit a level is a rule of picking (bot/core/picking.py: `fit`).
"""

from dataclasses import dataclass
from typing import Final

from bot.core.clock import Clock
from bot.core.interview import Identity, UnknownUser
from bot.core.picking import SKIPPED, stored_level
from questions.schema import Level
from storage.db import Database

# What people type after /level, normalised (casefolded, "_" and "-" as spaces).
_NAMES: Final[dict[str, Level]] = {
    "coordinator": "coordinator",
    "coord": "coordinator",
    "project coordinator": "coordinator",
    "it project coordinator": "coordinator",
    "pm": "project_manager",
    "project manager": "project_manager",
    "it project manager": "project_manager",
    "manager": "project_manager",
    "senior": "senior",
    "senior pm": "senior",
    "senior project manager": "senior",
    "senior it project manager": "senior",
}


def parse_level(text: str) -> Level | None:
    """The level a user typed ("PM", "project_manager", "Senior"), or None if it is none."""
    wanted = " ".join(text.casefold().replace("_", " ").replace("-", " ").split())
    return _NAMES.get(wanted)


@dataclass(frozen=True, slots=True)
class LevelSetting:
    level: Level | None
    # The user chose "Skip": no level, and not asked again.
    skipped: bool = False


class LevelService:
    """Read and set the user's level; say whether a first /interview should ask for it."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def current(self, who: Identity) -> LevelSetting:
        async with self.db.unit() as uow:
            user, _ = await uow.users.upsert(who.external_id, who.chat_id, who.display_name, self.clock())
            profile = await uow.users.profile_by_id(user.id)
        value = profile.level if profile else None
        return LevelSetting(stored_level(value), value == SKIPPED)

    async def ask_first(self, who: Identity) -> bool:
        """True when a /interview should first ask the user's level: they have neither chosen
        nor skipped it, and no interview is running. Registers a new user (the level buttons
        then find them)."""
        async with self.db.unit() as uow:
            user, _ = await uow.users.upsert(who.external_id, who.chat_id, who.display_name, self.clock())
            profile = await uow.users.profile_by_id(user.id)
            if profile is None or profile.level is not None:
                return False
            return await uow.sessions.active_for_user(user.id) is None

    async def choose(self, who: Identity, level: Level | None) -> LevelSetting:
        """Set the level (None: skipped) for a typed /level; registers a new user."""
        async with self.db.unit() as uow:
            user, _ = await uow.users.upsert(who.external_id, who.chat_id, who.display_name, self.clock())
            await uow.users.set_level(user.id, level or SKIPPED)
        return LevelSetting(level, level is None)

    async def press(
        self, who: Identity, level: Level | None, *, only_if_unset: bool = False
    ) -> LevelSetting | UnknownUser | None:
        """A level button: like `choose`, but a press by someone the bot no longer knows (an old
        button after /deletedata) changes nothing. With `only_if_unset` (the buttons asked before
        a first interview) a level chosen already stands, and the answer is None."""
        async with self.db.unit() as uow:
            profile = await uow.users.profile(who.external_id)
            if profile is None:
                return UnknownUser()
            if only_if_unset and profile.level is not None:
                return None
            await uow.users.set_level(profile.user_id, level or SKIPPED)
        return LevelSetting(level, level is None)
