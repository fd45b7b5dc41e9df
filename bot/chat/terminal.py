"""The terminal front end: everything the Telegram bot does, through the same core and templates.

One message at a time from a reader (bot/chat/reader.py: prompt_toolkit on a real terminal,
the blank-line rule on a pipe). Buttons become numbered choices under their message (screen.py);
a line that picks one runs it, anything else is a normal message. Each feature lives in its own
module beside this one and makes the same core calls as its Telegram handler.
"""

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TextIO

from bot.chat.interview import InterviewChat
from bot.chat.practice import PracticeChat
from bot.chat.profile import ProfileChat
from bot.chat.progress import ProgressChat
from bot.chat.reader import PipeReader, Reader, open_reader
from bot.chat.screen import Screen
from bot.chat.settings import SettingsChat
from bot.core.interview import Identity
from bot.core.services import Services
from bot.present import labels

_QUIT = frozenset({"quit", "exit", "q"})


class TerminalChat:
    def __init__(
        self,
        services: Services,
        who: Identity,
        stdin: TextIO,
        stdout: TextIO,
        *,
        reader: Reader | None = None,
        folder: Path | None = None,
    ) -> None:
        self.services = services
        self.who = who
        self.reader = reader or open_reader(stdin, stdout)
        self.screen = Screen(stdout)
        self.interview = InterviewChat(services, who, self.screen)
        self.progress = ProgressChat(services, who, self.screen, folder or Path.cwd())
        self.practice = PracticeChat(services, who, self.screen)
        self.profile = ProfileChat(services, who, self.screen, self.interview)
        self.settings = SettingsChat(services, who, self.screen)
        # Every command by name: the argument (the rest of the line) goes to the feature.
        self.commands: dict[str, Callable[[str], Awaitable[None]]] = {
            "interview": self.profile.interview_command,  # asks a new user's level first
            "cancel": lambda _: self.interview.cancel(),
            "review": lambda _: self.interview.review(),
            "history": lambda arg: self.progress.history(arg or None),
            "stats": lambda _: self.progress.stats(),
            "export": self.progress.export,
            "deletedata": lambda _: self.progress.delete_data(),
            "daily": lambda _: self.practice.daily(),
            "topics": lambda _: self.practice.topics(),
            "interviewdate": self.practice.interview_date,
            "deeper": lambda _: self.interview.deeper(),
            "level": self.profile.level,
            "settings": lambda _: self.settings.settings(),
            "jobad": self.profile.jobad,
            "privacy": lambda _: self.privacy(),
            "help": lambda _: self.help(),
            "start": lambda _: self.help(),
        }

    async def help(self) -> None:
        self.screen.say("help", commands=labels.TERMINAL_COMMANDS, topics=self.services.interviews.topics())
        self.screen.note(self._keys())

    async def privacy(self) -> None:
        configured = self.services.settings
        self.screen.say("privacy", speech=configured.speech.configured, llm=configured.llm.configured)

    def _keys(self) -> str:
        """How to send, edit and leave, for this kind of input."""
        return labels.TERMINAL_INTRO_PIPE if isinstance(self.reader, PipeReader) else labels.TERMINAL_INTRO

    def _command(self, line: str) -> tuple[str, str] | None:
        """(name, argument) when the line is one of our commands (or a way to quit)."""
        text = line.strip()
        if not text.startswith("/"):
            return None
        name, *rest = text[1:].split(None, 1) or [""]
        name = name.lower()
        arg = rest[0].strip() if rest else ""
        return (name, arg) if name in self.commands or name in _QUIT else None

    def _stands_alone(self, line: str) -> bool:
        return self._command(line) is not None or self.screen.choice_for(line) is not None

    async def run(self) -> int:
        new = await self.services.interviews.register(self.who)
        per_session = self.services.settings.interview.questions_per_session
        self.screen.say("start", new=new, name=self.who.display_name, per_session=per_session)
        self.screen.note(self._keys())
        pending = await self.services.interviews.resume(self.who)
        if pending is not None:
            self.screen.note(labels.TERMINAL_RESUMING)
            self.interview.ask(pending)
        while (text := await self.reader.read(labels.TERMINAL_PROMPT, self._stands_alone)) is not None:
            if not await self.handle(text):
                break
        self.screen.note(labels.TERMINAL_BYE)
        return 0

    async def handle(self, text: str) -> bool:
        """One message from the user; False means leave."""
        if not text.strip():  # Enter on an empty line: nothing sent, the choices stay
            return True
        choice = self.screen.take(text)
        if choice is not None:
            await choice.action()
            return True
        command = self._command(text)
        if command is None:
            stripped = text.strip()
            if stripped.startswith("/"):
                # Not a command of ours: the answer while a question waits (answers may start
                # with a path, "/etc/hosts was..."), an unknown command otherwise, as on Telegram.
                await self.interview.answer(text, unknown_command=stripped.split()[0][:64])
            else:
                await self.interview.answer(text)
            return True
        name, arg = command
        if name in _QUIT:
            return False
        await self.commands[name](arg)
        return True
