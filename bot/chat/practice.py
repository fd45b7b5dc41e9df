"""/daily, /topics and /interviewdate in the terminal: the core calls and templates of
bot/tg/handlers/practice.py. Daily questions are pushed as messages, which a terminal cannot
receive, so /daily here shows the setting and says so instead of changing it."""

from bot.chat.screen import Action, Choice, Screen
from bot.core.daily_settings import TopicChoice
from bot.core.interview import Identity, UnknownUser
from bot.core.schedule_time import ScheduleInputError
from bot.core.services import Services
from bot.present import labels


class PracticeChat:
    def __init__(self, services: Services, who: Identity, screen: Screen) -> None:
        self.daily_settings = services.daily_settings
        self.who = who
        self.screen = screen

    async def daily(self) -> None:
        self.screen.say("daily_terminal", setting=await self.daily_settings.daily(self.who))

    async def topics(self) -> None:
        self._show_topics(await self.daily_settings.topics(self.who))

    def _show_topics(self, choices: list[TopicChoice]) -> None:
        self.screen.say("topics", all_selected=all(c.selected for c in choices))

        def toggle(slug: str | None) -> Action:
            async def action() -> None:
                result = await self.daily_settings.toggle_topic(self.who, slug)
                if result is None or isinstance(result, UnknownUser):
                    self.screen.say("stale_button")
                else:
                    self._show_topics(result)

            return action

        options = [
            Choice(
                str(i),
                f"{labels.TOPIC_SELECTED if c.selected else labels.TOPIC_UNSELECTED} {c.name}",
                toggle(c.slug),
            )
            for i, c in enumerate(choices, start=1)
        ]
        options.append(Choice(str(len(options) + 1), labels.ALL_TOPICS, toggle(None)))
        self.screen.offer(options)

    async def interview_date(self, arg: str) -> None:
        try:
            if not arg:
                result = await self.daily_settings.interview_date(self.who)
                self.screen.say("interview_date", result=result, cleared=False)
            elif arg.lower() == "off":
                result = await self.daily_settings.set_interview_date(self.who, None)
                self.screen.say("interview_date", result=result, cleared=True)
            else:
                result = await self.daily_settings.set_interview_date(self.who, arg.split()[0])
                self.screen.say("interview_date", result=result, cleared=False)
        except ScheduleInputError as exc:
            self.screen.say(
                "interview_date_error", message=labels.schedule_problem(exc), example_date=exc.example_date
            )
