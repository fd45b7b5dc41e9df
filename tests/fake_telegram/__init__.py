"""A fake Telegram Bot API server for end-to-end tests and benchmarks.

The real python-telegram-bot ``Application`` talks to it over HTTP on 127.0.0.1 (port 0, so tests
never fight over a port)::

    async with FakeTelegram() as fake:
        app = (
            ApplicationBuilder()
            .token(fake.token)
            .base_url(fake.base_url)
            .base_file_url(fake.base_file_url)
            .build()
        )
        ...  # start the app and its polling
        ann = fake.user(42, "Ann")
        fake.send_command(ann, "/start")
        [reply] = await fake.wait_for_messages(ann.id, 1)

It keeps state the way Telegram does (per-chat message ids, the bot's messages with their edits,
commands, callback queries, uploaded files), serves real long polling, answers with Telegram's own
error texts (the HTML ones are those of tdlib's ``parse_html``), and can inject failures
(``fail_next``, ``block``, ``flood`` for a 429 window on one chat, ``revoke_token`` for 401s)
or hold answers back (``hold``, to stop a bot in the middle of sending).
Tests wait on recorded calls (``wait_for``), never on fixed sleeps.

One deliberate difference: Telegram keeps a ``&`` that starts no known entity (``&foo;``, ``Q&A``)
as a literal, while this fake rejects it (``strict_html_entities``), because such text is almost
always a template that forgot to escape its input.
"""

from tests.fake_telegram.records import Call, CallbackAnswer, FakeUser, SentMessage, UploadedFile
from tests.fake_telegram.server import FakeTelegram
from tests.fake_telegram.telegram_html import HtmlParseError, parse_html

__all__ = [
    "Call",
    "CallbackAnswer",
    "FakeTelegram",
    "FakeUser",
    "HtmlParseError",
    "SentMessage",
    "UploadedFile",
    "parse_html",
]
