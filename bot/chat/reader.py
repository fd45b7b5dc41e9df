"""What the user types into the terminal chat: one message at a time, or None to leave.

Two readers, picked by what standard input is:

- A real terminal gets prompt_toolkit: line editing, history (kept in memory only: a history
  file would be a second copy of every answer), arrow keys that move the cursor instead of
  landing in the answer, and bracketed paste, so a pasted block of several lines is one message.
  Enter sends; Alt-Enter (Esc Enter) inserts a newline. Ctrl-C clears the line; a second Ctrl-C
  in a row, or Ctrl-D on an empty line, leaves. The terminal is in raw mode while it reads, so
  the kernel's 4,095-byte limit on a cooked line never cuts an answer.
- A pipe or a file: a message is the lines up to a blank line (or the end of input), except
  that a line a caller marks as standing alone (a command, a choice's number) is a message by
  itself. Escape sequences (arrow keys recorded in a file) are dropped.
"""

import asyncio
import contextlib
import re
import threading
from collections.abc import Callable
from typing import Protocol, TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

from bot.present import labels

# "Does this first line stand alone?" A command or a choice's key does; an answer does not.
StandsAlone = Callable[[str], bool]

# CSI and SS3 sequences (arrows, Home, F-keys) and bare escapes, as a terminal would send them.
_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|O.|[@-Z\\-_]?)")


class Reader(Protocol):
    async def read(self, prompt: str, stands_alone: StandsAlone) -> str | None:
        """The next message (possibly several lines); None when the user leaves."""


class _Leave(Exception):
    """The second Ctrl-C in a row."""


class TerminalReader:
    """prompt_toolkit on a real terminal."""

    def __init__(self, stdout: TextIO) -> None:
        self.stdout = stdout
        # True right after a Ctrl-C cleared the line; any edit since disarms it.
        self._armed = False
        self.session: PromptSession[str] = PromptSession(
            multiline=True,
            key_bindings=self._bindings(),
            prompt_continuation=lambda width, line, wrap: " " * width,
            enable_history_search=False,
        )
        self.session.default_buffer.on_text_changed += self._disarm

    def _disarm(self, _buffer: object) -> None:
        self._armed = False

    def _bindings(self) -> KeyBindings:
        bindings = KeyBindings()

        # Added after prompt_toolkit's defaults, so these win for the same keys.
        @bindings.add("enter")
        def _send(event: KeyPressEvent) -> None:
            event.current_buffer.validate_and_handle()

        @bindings.add("escape", "enter")
        def _newline(event: KeyPressEvent) -> None:
            event.current_buffer.insert_text("\n")

        @bindings.add("c-c")
        def _interrupt(event: KeyPressEvent) -> None:
            second = self._armed and not event.current_buffer.text
            event.app.exit(exception=_Leave() if second else KeyboardInterrupt())

        return bindings

    async def read(self, prompt: str, stands_alone: StandsAlone) -> str | None:
        self.stdout.write("\n")
        self.stdout.flush()
        while True:
            try:
                text = await self.session.prompt_async(prompt)
            except (_Leave, EOFError):
                return None
            except KeyboardInterrupt:
                self._armed = True
                self.stdout.write(labels.TERMINAL_LINE_CLEARED + "\n")
                self.stdout.flush()
                continue
            self._armed = False
            return text


class PipeReader:
    """A pipe or a file: blank lines separate messages."""

    def __init__(self, stdin: TextIO, stdout: TextIO) -> None:
        self.stdin = stdin
        self.stdout = stdout

    async def _line(self) -> str | None:
        line = await _readline(self.stdin)
        return None if line == "" else _ESCAPES.sub("", line.rstrip("\r\n"))

    async def read(self, prompt: str, stands_alone: StandsAlone) -> str | None:
        self.stdout.write("\n" + prompt)
        self.stdout.flush()
        lines: list[str] = []
        while (line := await self._line()) is not None:
            if not line.strip():
                if lines:
                    break
                continue  # blank lines between messages
            if not lines and stands_alone(line):
                return line
            lines.append(line)
        return "\n".join(lines) if lines else None


async def _readline(stream: TextIO) -> str:
    """stream.readline() in a daemon thread. Not asyncio.to_thread: at Ctrl-C, asyncio.run waits
    for its executor's threads, and one blocked reading a pipe that stays open never returns."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()

    def settle(line: str | None, error: BaseException | None) -> None:
        if future.done():  # cancelled meanwhile
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(line or "")

    def work() -> None:
        line, error = None, None
        try:
            line = stream.readline()
        except Exception as exc:  # handed to the awaiting coroutine
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits
            loop.call_soon_threadsafe(settle, line, error)

    threading.Thread(target=work, name="chat-stdin", daemon=True).start()
    return await future


def open_reader(stdin: TextIO, stdout: TextIO) -> Reader:
    """prompt_toolkit when both ends are a terminal, else the blank-line rule."""
    if _isatty(stdin) and _isatty(stdout):
        return TerminalReader(stdout)
    return PipeReader(stdin, stdout)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or exotic stream
        return False
