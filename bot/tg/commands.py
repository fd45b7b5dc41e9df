"""The command menu: registered with setMyCommands and listed by /help."""

from typing import Final

COMMANDS: Final[tuple[tuple[str, str], ...]] = (
    ("interview", "Start a mock interview (add a topic to focus: /interview agile)"),
    ("cancel", "Stop the running interview; answers so far are kept"),
    ("review", "Practise every question due for review"),
    ("daily", "A practice question every day at your time: /daily 07:30 Europe/Berlin"),
    ("topics", "Choose topics for new practice questions"),
    ("interviewdate", "Count down to your real interview: /interviewdate 2026-12-15"),
    ("history", "Your answers, page by page (add a topic: /history agile)"),
    ("stats", "Your progress: streaks, coverage by topic, a chart"),
    ("export", "Your whole history as a file: /export, /export html, /export csv"),
    ("deletedata", "Delete everything the bot stores about you"),
    ("help", "What I can do"),
    ("start", "Introduction"),
)
