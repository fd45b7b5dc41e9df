"""The feedback message, fitted to one Telegram message when it can be.

Both front ends send this text (the terminal as plain text), so they say the same words.
"""

from bot.core.interview import Answered
from bot.present.render import TELEGRAM_TEXT_LIMIT, render

# 3 shows everything; each step down drops the less important parts first: 2 drops the job
# terms and repeated words; 1 the model-answer outline and the STAR quotes, and shortens the
# evidence quotes; 0 the hints, the STAR note, the other signals and the follow-up. The points,
# STAR parts and flags, and the suggested rating always stay.
_DETAIL_LEVELS = (3, 2, 1, 0)


def feedback_message(result: Answered, limit: int = TELEGRAM_TEXT_LIMIT) -> str:
    """The most detailed rendering that fits `limit`; the least detailed otherwise (the sender
    then splits it, keeping the rating buttons on the last part)."""
    html = ""
    for detail in _DETAIL_LEVELS:
        html = render("feedback", result=result, detail=detail)
        if len(html) <= limit:
            break
    return html
