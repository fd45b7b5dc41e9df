"""A bare python-telegram-bot echo bot: the baseline `bench/answer_cpu.py` compares against.

One MessageHandler that replies with the same text, built with the same ApplicationBuilder
settings the interview bot uses for the connection (token, base_url, base_file_url) and run with
``run_polling``, nothing else: no rate limiter, no defaults, no database, no logging set-up.

    TELEGRAM_BOT_TOKEN=123:... python bench/echo_bot.py --base-url http://127.0.0.1:PORT/bot \\
        --base-file-url http://127.0.0.1:PORT/file/bot

The token comes from ``--token`` or the TELEGRAM_BOT_TOKEN environment variable. With
``--replies 2`` it sends, after the echo, a second message shaped like the interview bot's
feedback (673 characters of HTML, bold and italics, a row of four buttons): a bare bot that answers as
the interview bot does, two messages per update, with none of its work in between.
"""

import argparse
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

TOKEN_ENV_VAR = "TELEGRAM_BOT_TOKEN"


SECOND = (
    "<b>Feedback on question 2 of 5</b>\n\n"
    + "".join(f"✅ <b>Point {n}</b>: <i>a talking point you covered, quoted back</i>\n" for n in range(8))
    + "\n<b>STAR</b>: situation, task, action and result are all there.\n"
    + "Suggested rating: <b>Good</b>. How did it go?"
)
RATINGS = ("Again", "Hard", "Good", "Easy")
SECOND_KEYBOARD = InlineKeyboardMarkup(
    [[InlineKeyboardButton(label, callback_data=f"r:1:{n}") for n, label in enumerate(RATINGS)]]
)


def echo_handler(replies: int) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
    async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message is not None and message.text is not None:
            await message.reply_text(message.text)
            if replies == 2:
                await message.reply_text(SECOND, parse_mode=ParseMode.HTML, reply_markup=SECOND_KEYBOARD)

    return echo


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A bare PTB echo bot (benchmark baseline).")
    parser.add_argument("--token", default=os.environ.get(TOKEN_ENV_VAR), help=f"default: ${TOKEN_ENV_VAR}")
    parser.add_argument("--base-url", default="https://api.telegram.org/bot")
    parser.add_argument("--base-file-url", default="https://api.telegram.org/file/bot")
    parser.add_argument("--replies", type=int, choices=(1, 2), default=1, help="messages per update")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error(f"a token is needed: --token or {TOKEN_ENV_VAR}")
    app = (
        ApplicationBuilder()
        .token(args.token)
        .base_url(args.base_url)
        .base_file_url(args.base_file_url)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo_handler(args.replies)))
    app.run_polling()
    return 0


if __name__ == "__main__":
    sys.exit(main())
