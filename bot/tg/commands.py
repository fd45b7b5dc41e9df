"""The command menu: registered with setMyCommands and listed by /help."""

from typing import Final

COMMANDS: Final[tuple[tuple[str, str], ...]] = (
    ("interview", "Start a mock interview (add a topic to focus: /interview agile)"),
    ("cancel", "Stop the running interview; answers so far are kept"),
    ("history", "Your 10 most recent answers"),
    ("help", "What I can do"),
    ("start", "Introduction"),
)
