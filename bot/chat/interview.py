"""/interview, /review, /cancel, answers and self-ratings in the terminal: the same core calls
and templates as bot/tg/handlers/interview.py, with the buttons as numbered choices."""

from typing import Final, assert_never

from bot.chat.screen import Choice, Screen
from bot.core.deeper import (
    Reviewed,
    ReviewFailed,
    ReviewInProgress,
    ReviewLimitReached,
    ReviewNotAvailable,
    ReviewNotFound,
)
from bot.core.interview import (
    AlreadyRunning,
    Answered,
    EmptyAnswer,
    FollowUpAnswered,
    Identity,
    InterviewSummary,
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

# The choices under a feedback are the four ratings and Try again (5); a follow-up's Skip is next.
SKIP_AFTER_FEEDBACK: Final = str(len(labels.RATING_LABELS) + 2)


class InterviewChat:
    def __init__(self, services: Services, who: Identity, screen: Screen) -> None:
        self.services = services
        self.interviews = services.interviews
        self.who = who
        self.screen = screen
        # The answer /deeper reviews: the last one given in this chat.
        self.last_answer_id: int | None = None

    def ask(self, prompt: QuestionPrompt, *, after: int = 0) -> None:
        """Show what waits. A follow-up gets Skip (its Telegram button) as a choice of its own,
        numbered after the `after` choices still open under the feedback above it, which stay
        open (the ratings and Try again under a Telegram feedback stay while its follow-up waits)."""
        self.screen.say("question", prompt=prompt)
        if prompt.probe is not None:
            self.screen.offer([self._skip(prompt.session_id, key=str(after + 1))], keep=after > 0)

    def _skip(self, session_id: int, key: str) -> Choice:
        async def skip() -> None:
            skipped = await self.interviews.skip_probe(self.who, session_id)
            if skipped is None:
                self.screen.say("stale_button")
            else:
                self.then(skipped.next, skipped.summary, "interview")

        return Choice(key, labels.SKIP, skip, also=(labels.SKIP,))

    def then(
        self,
        nxt: QuestionPrompt | None,
        summary: InterviewSummary | None,
        kind: str,
        answer_id: int | None = None,
    ) -> None:
        """After a feedback on `answer_id` (its ratings and Try again go under it): what the
        session waits for now, or the summary once it ended (with the choices after it, so that
        they stand last on the screen)."""
        choices = self.feedback_choices(answer_id, nxt) if answer_id is not None else []
        if nxt is None:
            if summary is not None and kind != "daily":
                self.screen.say("summary", summary=summary)
            if choices:
                self.screen.offer(choices)
            return
        if choices:
            self.screen.offer(choices)
        self.ask(nxt, after=len(choices))

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
        # As on Telegram: a mock interview asks follow-ups if the user has them on (/settings).
        outcome = await self.interviews.answer(self.who, text, follow_ups=True)
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
                self.last_answer_id = result.answer_id
                self.screen.say_html(feedback_message(result))
                self.then(result.next, result.summary, result.kind, result.answer_id)
            case FollowUpAnswered() as result:
                self.last_answer_id = result.answer_id
                self.screen.say("follow_up_feedback", result=result)
                self.then(result.next, result.summary, result.kind, result.answer_id)
            case _:
                # A new outcome of the core is a mypy error here, not a message left unanswered.
                assert_never(outcome)

    def feedback_choices(self, answer_id: int, waiting: QuestionPrompt | None = None) -> list[Choice]:
        """Under a feedback: the self-ratings and Try again, as the Telegram buttons. A rating
        leaves a `waiting` follow-up waiting, and its Skip stays offered, as its button stays."""

        def rate(rating: Rating) -> Choice:
            async def action() -> None:
                rated = await self.interviews.rate(self.who, answer_id, rating)
                if rated is None:
                    self.screen.say("stale_button")
                    return
                self.screen.say("rated", rated=rated)
                if waiting is not None and waiting.probe is not None:
                    self.screen.offer([self._skip(waiting.session_id, key=SKIP_AFTER_FEEDBACK)])

            label = labels.RATING_LABELS[rating]
            return Choice(str(int(rating)), label, action, also=(label,))

        async def try_again() -> None:
            prompt = await self.interviews.retry(self.who, answer_id)
            if prompt is None:
                self.screen.say("stale_button")
            else:
                self.ask(prompt)

        again = Choice("5", labels.TRY_AGAIN, try_again, also=(labels.TRY_AGAIN,))
        return [*(rate(rating) for rating in labels.RATING_LABELS), again]

    async def deeper(self) -> None:
        """/deeper: the language model's review of the last answer (the person at the terminal
        runs the bot, so no allowlist applies; the daily cap does)."""
        deeper = self.services.deeper
        if not deeper.available_to(self.who, operator=True):
            self.screen.say("deeper_unavailable")
            return
        if self.last_answer_id is None:
            self.screen.say("deeper_nothing")
            return
        self.screen.say("deeper_working")
        match await deeper.review(self.who, self.last_answer_id, operator=True):
            case Reviewed(question=question, review=review):
                self.screen.say("deeper_review", question=question, review=review)
            case ReviewFailed(failure=failure):
                self.screen.say("deeper_failed", failure=failure)
            case ReviewLimitReached(limit=limit):
                self.screen.say("deeper_limit", limit=limit)
            case ReviewNotAvailable() | ReviewNotFound() | ReviewInProgress():
                self.screen.say("deeper_unavailable")
