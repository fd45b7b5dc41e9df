"""The terminal front end: the same interview as on Telegram, through the same core.

It reads one line per message, like a chat: Enter sends. Output is the same
templates as Telegram, turned into plain text.
"""

import asyncio
from typing import TextIO
from zoneinfo import ZoneInfo

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
    Identity,
    NotAsked,
    NotSaved,
    QuestionPrompt,
    Started,
    StartOutcome,
    TooLong,
    UnknownTopic,
)
from bot.core.prompting import NothingDue
from bot.core.rating import Rating
from bot.core.services import Services
from bot.present import labels
from bot.present.feedback import feedback_message
from bot.present.filters import format_local
from bot.present.render import render, to_plain

# What the user may type for a rating: its number or its label, in any case ("good").
_RATINGS = {str(int(r)): r for r in Rating} | {
    label.lower(): rating for rating, label in labels.RATING_LABELS.items()
}
_QUIT = ("/quit", "/exit", "/q")


class TerminalChat:
    def __init__(self, services: Services, who: Identity, stdin: TextIO, stdout: TextIO) -> None:
        self.services = services
        self.interviews = services.interviews
        self.who = who
        self.stdin = stdin
        self.stdout = stdout
        # The answer /deeper reviews: the last one given in this chat.
        self.last_answer_id: int | None = None

    def say(self, template: str, /, **ctx: object) -> None:
        self.stdout.write("\n" + to_plain(render(template, **ctx)) + "\n")
        self.stdout.flush()

    def say_html(self, html: str) -> None:
        self.stdout.write("\n" + to_plain(html) + "\n")
        self.stdout.flush()

    def note(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    async def read(self, prompt: str = "you> ") -> str | None:
        """One line from the user; None at end of input."""
        self.stdout.write("\n" + prompt)
        self.stdout.flush()
        line = await asyncio.to_thread(self.stdin.readline)
        return None if line == "" else line.rstrip("\r\n")

    async def run(self) -> int:
        new = await self.interviews.register(self.who)
        per_session = self.services.settings.interview.questions_per_session
        self.say("start", new=new, name=self.who.display_name, per_session=per_session)
        self.note(labels.TERMINAL_INTRO)
        pending = await self.interviews.resume(self.who)
        if pending is not None:
            self.note(labels.TERMINAL_RESUMING)
            self.say("question", prompt=pending)
        while (line := await self.read()) is not None:
            text = line.strip()
            if not text:
                continue
            if text.startswith("/"):
                if not await self.command(text):
                    break
            elif not await self.answer(line):
                break
        self.note(labels.TERMINAL_BYE)
        return 0

    async def command(self, text: str) -> bool:
        """Handle a /command; False means quit."""
        name, _, arg = text[1:].partition(" ")
        name = name.lower()
        if f"/{name}" in _QUIT:
            return False
        if name == "interview":
            await self.started(await self.interviews.start(self.who, arg))
        elif name == "cancel":
            summary = await self.interviews.cancel(self.who)
            self.say("cancelled_nothing") if summary is None else self.say("summary", summary=summary)
        elif name == "review":
            outcome = await self.services.prompting.start_review(self.who)
            if isinstance(outcome, NothingDue):
                when = format_local(outcome.next_due, ZoneInfo("UTC")) + " UTC" if outcome.next_due else ""
                self.say("review_nothing", next_due=outcome.next_due, next_local=when)
            else:
                await self.started(outcome)
        elif name == "history":
            page = await self.services.progress.history_page(self.who, 1, arg or None, 10)
            self.say("history", page=page, topics=self.interviews.topics(), buttons=False)
        elif name == "deeper":
            await self.deeper()
        elif name in ("help", "start"):
            self.say("help", commands=labels.TERMINAL_COMMANDS, topics=self.interviews.topics())
        else:
            # Not a command of ours: the answer while a question waits (answers may start with a
            # path, "/etc/hosts was..."), an unknown command otherwise, as on Telegram.
            return await self.answer(text, unknown_command=text.split()[0][:64])
        return True

    async def started(self, outcome: StartOutcome) -> None:
        match outcome:
            case Started(prompt=prompt):
                self.ask(prompt)
            case UnknownTopic(given=given, topics=topics):
                self.say("unknown_topic", given=given, topics=topics)
            case AlreadyRunning(session_id=sid, prompt=prompt, requested_topic=topic):
                self.say("already_running", prompt=prompt)
                choice = await self.read(labels.TERMINAL_CONTINUE_OR_NEW)
                if choice is not None and choice.strip().lower() in ("n", "new"):
                    await self.started(await self.interviews.start(self.who, topic, restart_session=sid))
                else:
                    resumed = await self.interviews.resume(self.who, sid)
                    self.ask(resumed) if resumed else self.say("resumed_nothing")

    def ask(self, prompt: QuestionPrompt) -> None:
        self.say("question", prompt=prompt)

    async def answer(self, text: str, unknown_command: str | None = None) -> bool:
        """Take `text` as an answer; False means quit. `unknown_command` is set when the text
        looked like a command: with no question waiting it gets the unknown-command reply."""
        outcome = await self.interviews.answer(self.who, text)
        match outcome:
            case NotAsked() if unknown_command is not None:
                self.say("unknown_command", command=unknown_command)
            case NotAsked():
                self.say("not_asked", topics=self.interviews.topics())
            case TooLong(length=length, limit=limit):
                self.say("too_long", length=length, limit=limit)
            case EmptyAnswer():
                self.say("empty_answer")
            case NotSaved():
                self.say("not_saved")
            case Answered() as result:
                self.last_answer_id = result.answer_id
                self.say_html(feedback_message(result))
                command = await self.rate(result.answer_id)
                if command is not None and command.lower().split()[0] in _QUIT:
                    return False
                if result.next is not None:
                    self.ask(result.next)
                elif result.summary is not None:
                    self.say("summary", summary=result.summary)
                if command is not None:
                    return await self.command(command)
        return True

    async def deeper(self) -> None:
        """/deeper: the language model's review of the last answer (the person at the terminal
        runs the bot, so no allowlist applies; the daily cap does)."""
        deeper = self.services.deeper
        if not deeper.available_to(self.who, operator=True):
            self.say("deeper_unavailable")
            return
        if self.last_answer_id is None:
            self.say("deeper_nothing")
            return
        self.note(to_plain(render("deeper_working")))
        match await deeper.review(self.who, self.last_answer_id, operator=True):
            case Reviewed(question=question, review=review):
                self.say("deeper_review", question=question, review=review)
            case ReviewFailed(failure=failure):
                self.say("deeper_failed", failure=failure)
            case ReviewLimitReached(limit=limit):
                self.say("deeper_limit", limit=limit)
            case ReviewNotAvailable() | ReviewNotFound() | ReviewInProgress():
                self.say("deeper_unavailable")

    async def rate(self, answer_id: int) -> str | None:
        """Ask for a self-rating; returns a /command typed instead of one (the rating is skipped)."""
        self.note(labels.TERMINAL_RATING_HINT)
        while (choice := await self.read("rating> ")) is not None:
            choice = choice.strip()
            if not choice:
                return None
            if choice.startswith("/"):
                return choice
            rating = _RATINGS.get(choice.lower())
            if rating is not None:
                rated = await self.interviews.rate(self.who, answer_id, rating)
                if rated is not None:
                    self.note(to_plain(render("rated", rated=rated)))
                return None
            self.note(labels.TERMINAL_RATING_AGAIN)
        return None
