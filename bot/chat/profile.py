"""/level and /jobad, and the level question asked before a user's first /interview, in the
terminal: the same core calls and templates as bot/tg/handlers/profile.py, with the buttons as
numbered choices."""

from typing import assert_never

from bot.chat.interview import InterviewChat
from bot.chat.screen import Action, Choice, Screen
from bot.core.interview import Identity, UnknownUser
from bot.core.jobad import JobAdCleared, JobAdNoTerms, JobAdSet, JobAdStatus, JobAdTooLong
from bot.core.levels import LevelSetting, parse_level
from bot.core.picking import resolve_topic
from bot.core.services import Services
from bot.present import labels
from questions.schema import Level

# How many of the terms found in a job ad the reply names before "and N more" (as on Telegram).
TERMS_SHOWN = 20


def level_name(setting: LevelSetting) -> str | None:
    return labels.LEVEL_LABELS[setting.level] if setting.level else None


class ProfileChat:
    def __init__(self, services: Services, who: Identity, screen: Screen, interview: InterviewChat) -> None:
        self.services = services
        self.who = who
        self.screen = screen
        self.interview = interview

    async def interview_command(self, topic_arg: str) -> None:
        """/interview: a user who has no level yet is asked for it first (once); the interview
        starts when they pick a level or Skip. Anything else goes to the interview as it was."""
        if self.services.settings.interview.ask_level and await self.services.levels.ask_first(self.who):
            topic = resolve_topic(self.services.bank, topic_arg) if topic_arg.strip() else None
            # An unknown topic is reported by the interview itself, before any level question.
            if topic is not None or not topic_arg.strip():
                self.screen.say("level_ask")
                self._offer_levels(start=True, topic=topic)
                return
        await self.interview.start(topic_arg)

    def _offer_levels(self, *, start: bool = False, topic: str | None = None) -> None:
        """The level buttons as choices; with `start` (the question before a first interview)
        Skip too, and a pick sets the level only if none is set yet and starts the interview."""

        def pick(level: Level | None) -> Action:
            async def action() -> None:
                outcome = await self.services.levels.press(self.who, level, only_if_unset=start)
                if isinstance(outcome, UnknownUser):
                    self.screen.say("stale_button")
                elif outcome is None:  # chosen already: the first choice stands
                    self.screen.say("level_chosen_already")
                else:
                    self.screen.say("level_set", level_name=level_name(outcome))
                    if start:
                        await self.interview.started(await self.services.interviews.start(self.who, topic))

            return action

        choices = [
            Choice(str(n), label, pick(parse_level(name)), also=(label,))
            for n, (name, label) in enumerate(labels.LEVEL_LABELS.items(), start=1)
        ]
        if start:
            choices.append(
                Choice(str(len(choices) + 1), labels.LEVEL_SKIP, pick(None), also=(labels.LEVEL_SKIP,))
            )
        self.screen.offer(choices)

    async def level(self, given: str) -> None:
        given = given.strip()
        if not given:
            setting = await self.services.levels.current(self.who)
            self.screen.say("level_status", level_name=level_name(setting))
            self._offer_levels()
            return
        chosen = parse_level(given)
        if chosen is None:
            self.screen.say("level_unknown", given=given[:64])
            self._offer_levels()
            return
        setting = await self.services.levels.choose(self.who, chosen)
        self.screen.say("level_set", level_name=level_name(setting))

    async def jobad(self, text: str) -> None:
        outcome = await self.services.jobads.handle(self.who, text)
        match outcome:
            case JobAdStatus(topics=topics):
                self.screen.say("jobad_status", topics=topics)
            case JobAdSet(terms=terms, topics=topics):
                self.screen.say("jobad_set", terms=terms, topics=topics, shown=TERMS_SHOWN)
            case JobAdNoTerms(kept=kept):
                self.screen.say("jobad_no_terms", kept=kept)
            case JobAdTooLong(length=length, limit=limit):
                self.screen.say("jobad_too_long", length=length, limit=limit)
            case JobAdCleared(had_one=had_one):
                self.screen.say("jobad_cleared", had_one=had_one)
            case _:
                assert_never(outcome)
