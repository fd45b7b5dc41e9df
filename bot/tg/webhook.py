"""Receiving updates by webhook: `interview-bot run --webhook` and `interview-bot webhook delete`.

PTB's own webhook server (Updater.start_webhook, tornado, the `webhooks` extra) does the work:
it answers 403 to any request without the right X-Telegram-Bot-Api-Secret-Token header before
reading the body, so such an update is never processed; it calls setWebhook with the secret and
the allowed updates before it listens; and Updater.stop() closes it, so bot/tg/run.py stops a
webhook bot exactly as it stops a polling one (within 10 s of SIGTERM, exit 2 after a 401).

Telegram counts an update delivered once it gets our 200, which the server sends once the
update is queued: the queue (bot/tg/inbox.py, InboxQueue) records it in the inbox first, so an
update is never lost in a crash by webhook either.

The webhook is left in place when the bot stops: other processes behind the same proxy may
still be serving it, and Telegram keeps updates for a while until one answers again.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import Bot
from telegram.ext import Updater

from bot.config import Settings
from bot.tg.inbox import InboxQueue

log = logging.getLogger(__name__)

# Telegram's default; each connection waits for our 200, which comes once an update is recorded.
MAX_CONNECTIONS = 40


@dataclass(frozen=True, slots=True)
class Webhook:
    """Where the webhook server listens, and what Telegram is told to post to."""

    listen: str
    port: int
    url_path: str
    url: str
    secret: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> "Webhook":
        """Raises ConfigError when public_url or secret_token is missing."""
        url, secret = settings.require_webhook()
        hook = settings.webhook
        return cls(hook.listen, hook.port, hook.url_path, url, secret)

    def __repr__(self) -> str:  # the secret never reaches a log line or a traceback
        return f"Webhook({self.listen}:{self.port}{self.url_path} -> {self.url})"


async def start_webhook(updater: Updater, allowed_updates: Sequence[str], hook: Webhook) -> None:
    """setWebhook(url, secret, allowed updates), then listen. Raises OSError if the port is taken."""
    if isinstance(updater.update_queue, InboxQueue):
        updater.update_queue.record_first()
    await updater.start_webhook(
        listen=hook.listen,
        port=hook.port,
        url_path=hook.url_path,
        webhook_url=hook.url,
        allowed_updates=list(allowed_updates),
        secret_token=hook.secret,
        max_connections=MAX_CONNECTIONS,
        # Updates queued at Telegram while no process answered are still worth handling.
        drop_pending_updates=False,
    )
    log.info("receiving updates by webhook on %s:%d%s", hook.listen, hook.port, hook.url_path)


async def delete_webhook(bot: Bot) -> str:
    """deleteWebhook; returns the URL that was set ("" if none). Pending updates are kept."""
    async with bot:
        info = await bot.get_webhook_info()
        await bot.delete_webhook(drop_pending_updates=False)
    return info.url
