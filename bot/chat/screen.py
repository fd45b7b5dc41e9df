"""What the terminal chat shows: messages from the templates as plain text, and the buttons
under the last one as numbered choices that the next line typed may pick."""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TextIO

from bot.present import labels
from bot.present.render import render, to_plain

Action = Callable[[], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Choice:
    key: str  # what the user types: "1", "next"
    label: str  # the button's label
    action: Action
    also: tuple[str, ...] = ()  # other words that pick it, e.g. the rating's name


class Screen:
    def __init__(self, stdout: TextIO) -> None:
        self.stdout = stdout
        # The buttons under the last message shown; the next line typed may pick one of them,
        # anything else is a normal message and takes them away (as newer messages would).
        self._choices: dict[str, Choice] = {}

    def say(self, template: str, /, **ctx: object) -> None:
        self.say_html(render(template, **ctx))

    def say_html(self, html: str) -> None:
        self.stdout.write("\n" + to_plain(html) + "\n")
        self.stdout.flush()

    def note(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def offer(
        self,
        choices: Sequence[Choice],
        hint: str = labels.TERMINAL_CHOOSE,
        *,
        listed: bool = True,
        keep: bool = False,
    ) -> None:
        """Show `choices` (unless the message listed them already) and let the next line pick one.
        With `keep`, the choices offered under an earlier message stay open too (as Telegram's
        buttons under the feedback stay while the follow-up under it waits)."""
        if not keep:
            self._choices = {}
        for choice in choices:
            for key in (choice.key, *choice.also):
                self._choices.setdefault(key.lower(), choice)
        if listed:
            self.note(labels.terminal_choices([(c.key, c.label) for c in choices], hint))
        else:
            self.note(f"  ({hint})")

    def choice_for(self, text: str) -> Choice | None:
        return self._choices.get(" ".join(text.split()).lower())

    def take(self, text: str) -> Choice | None:
        """The choice `text` picks, if any; either way the choices are gone after this line."""
        choice = self.choice_for(text)
        self._choices = {}
        return choice
