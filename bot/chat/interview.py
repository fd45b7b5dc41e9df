"""/interview, /review, /cancel, answers and self-ratings in the terminal: the same core calls
and templates as bot/tg/handlers/interview.py, with the buttons as numbered choices."""

from typing import assert_never

from bot.chat.screen import Choice, Screen
from bot.core.interview import (
    AlreadyRunning,
    Answered,
    EmptyAnswer,
    Identity,
    NotAsked,
    NotSaved,
    QuestionPrompt,
    Started,
    StartOutcome,
    TooLong,
    UnknownTopic,
    UnknownUser,
)
from bot.core.prompting import NothingDue
from bot.core.rating import Rating
from bot.core.services import Services
from bot.present import labels
from bot.present.feedback import feedback_message
from bot.present.filters import format_local


class InterviewChat:
    def __init__(self, services: Services, who: Identity, screen: Screen) -> None:
        self.services = services
        self.interviews = services.interviews
        self.who = who
        self.screen = screen

    def ask(self, prompt: QuestionPrompt) -> None:
        self.screen.say("question", prompt=prompt)

    async def start(self, topic: str) -> None:
        await self.started(await self.interviews.start(self.who, topic))

    async def started(self, outcome: StartOutcome) -> None:
        match outcome:
            case Started(prompt=prompt):
                self.ask(prompt)
            case AlreadyRunning(session_id=sid, prompt=prompt, requested_topic=topic):
                self.screen.say("already_running", prompt=prompt)
                self.offer_continue(sid, topic)
            case UnknownTopic(given=given, topics=topics):
                self.screen.say("unknown_topic", given=given, topics=topics)
            case _:
                assert_never(outcome)

    def offer_continue(self, session_id: int, topic: str | None) -> None:
        async def resume() -> None:
            prompt = await self.interviews.resume(self.who, session_id)
            self.ask(prompt) if prompt is not None else self.screen.say("resumed_nothing")

        async def restart() -> None:
            outcome = await self.interviews.restart(self.who, session_id, topic)
            if isinstance(outcome, UnknownUser):
                self.screen.say("stale_button")
            else:
                await self.started(outcome)

        self.screen.offer([Choice("1", labels.CONTINUE, resume), Choice("2", labels.START_NEW, restart)])

    async def review(self) -> None:
        outcome = await self.services.prompting.start_review(self.who)
        match outcome:
            case Started(prompt=prompt):
                self.ask(prompt)
            case AlreadyRunning(session_id=sid, prompt=prompt):
                self.screen.say("already_running", prompt=prompt)
                self.offer_continue(sid, None)
            case NothingDue(next_due=next_due):
                zone = await self.services.daily_settings.zone_for(self.who)
                next_local = format_local(next_due, zone) if next_due else ""
                self.screen.say("review_nothing", next_due=next_due, next_local=next_local)
            case _:
                assert_never(outcome)

    async def cancel(self) -> None:
        summary = await self.interviews.cancel(self.who)
        if summary is None:
            self.screen.say("cancelled_nothing")
        else:
            self.screen.say("summary", summary=summary)

    async def answer(self, text: str, unknown_command: str | None = None) -> None:
        """Take `text` as the answer to the waiting question. `unknown_command` is set when the
        text looked like a command: with no question waiting it gets the unknown-command reply."""
        outcome = await self.interviews.answer(self.who, text)
        match outcome:
            case NotAsked() if unknown_command is not None:
                self.screen.say("unknown_command", command=unknown_command)
            case NotAsked():
                self.screen.say("not_asked", topics=self.interviews.topics())
            case TooLong(length=length, limit=limit):
                self.screen.say("too_long", length=length, limit=limit)
            case EmptyAnswer():
                self.screen.say("empty_answer")
            case NotSaved():
                self.screen.say("not_saved")
            case Answered() as result:
                self.screen.say_html(feedback_message(result))
                self.offer_ratings(result.answer_id)
                if result.next is not None:
                    self.ask(result.next)
                elif result.summary is not None and result.kind != "daily":
                    self.screen.say("summary", summary=result.summary)
            case _:
                # A new outcome of the core is a mypy error here, not a message left unanswered.
                assert_never(outcome)

    def offer_ratings(self, answer_id: int) -> None:
        def rate(rating: Rating) -> Choice:
            async def action() -> None:
                rated = await self.interviews.rate(self.who, answer_id, rating)
                if rated is None:
                    self.screen.say("stale_button")
                else:
                    self.screen.say("rated", rated=rated)

            label = labels.RATING_LABELS[rating]
            return Choice(str(int(rating)), label, action, also=(label,))

        self.screen.offer([rate(rating) for rating in labels.RATING_LABELS])
