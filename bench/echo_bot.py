"""A bare python-telegram-bot echo bot: the baseline `bench/answer_cpu.py` compares against.

One MessageHandler that replies with the same text, built with the same ApplicationBuilder
settings the interview bot uses for the connection (token, base_url, base_file_url) and run with
``run_polling``, nothing else: no rate limiter, no defaults, no database, no logging set-up.

    TELEGRAM_BOT_TOKEN=123:... python bench/echo_bot.py --base-url http://127.0.0.1:PORT/bot \\
        --base-file-url http://127.0.0.1:PORT/file/bot

The token comes from ``--token`` or the TELEGRAM_BOT_TOKEN environment variable.
"""

import argparse
import os
import sys
from collections.abc import Sequence

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

TOKEN_ENV_VAR = "TELEGRAM_BOT_TOKEN"


async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.message
    if message is not None and message.text is not None:
        await message.reply_text(message.text)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A bare PTB echo bot (benchmark baseline).")
    parser.add_argument("--token", default=os.environ.get(TOKEN_ENV_VAR), help=f"default: ${TOKEN_ENV_VAR}")
    parser.add_argument("--base-url", default="https://api.telegram.org/bot")
    parser.add_argument("--base-file-url", default="https://api.telegram.org/file/bot")
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
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling()
    return 0


if __name__ == "__main__":
    sys.exit(main())
