"""The fake's webhook side: setWebhook's settings, and posting updates to the bot like Telegram.

While a webhook is set, Telegram posts each update (JSON, with the X-Telegram-Bot-Api-Secret-Token
header when a secret was given) and forgets it only once the bot answers 200; it retries
otherwise, and getUpdates fails with 409 Conflict.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass, field

import aiohttp

from tests.fake_telegram.limits import ApiError
from tests.fake_telegram.records import JSONDict

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ERR_WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
_SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,256}")


@dataclass(slots=True)
class WebhookSettings:
    """What the bot told setWebhook."""

    url: str
    secret_token: str | None
    allowed_updates: list[str] | None
    max_connections: int | None


@dataclass(slots=True)
class WebhookDelivery:
    """One POST to the bot's webhook: the update id and the bot's HTTP status (0: no answer)."""

    update_id: int
    status: int
    secret: str | None


@dataclass(slots=True)
class WebhookState:
    settings: WebhookSettings | None = None
    deliveries: list[WebhookDelivery] = field(default_factory=list)
    last_error: str = ""
    task: asyncio.Task[None] | None = None

    def configure(self, p: JSONDict) -> WebhookSettings | None:
        """setWebhook's parameters; an empty url removes the webhook, as on Telegram."""
        url = p.get("url")
        if not isinstance(url, str) or not url:
            return None
        if not url.startswith(("https://", "http://")):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        secret = p.get("secret_token")
        if secret is not None and (not isinstance(secret, str) or not _SECRET_SHAPE.fullmatch(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        allowed = p.get("allowed_updates")
        max_connections = p.get("max_connections")
        return WebhookSettings(
            url,
            secret or None,
            [str(a) for a in allowed] if isinstance(allowed, list) else None,
            int(max_connections) if isinstance(max_connections, int | str) and str(max_connections) else None,
        )

    def info(self, pending: int) -> JSONDict:
        s = self.settings
        info: JSONDict = {
            "url": s.url if s else "",
            "has_custom_certificate": False,
            "pending_update_count": pending,
        }
        if s is not None:
            if s.allowed_updates is not None:
                info["allowed_updates"] = s.allowed_updates
            if s.max_connections is not None:
                info["max_connections"] = s.max_connections
            if self.last_error:
                info["last_error_message"] = self.last_error
        return info

    async def cancel(self) -> None:
        task, self.task = self.task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def post_update(url: str, update: JSONDict, secret: str | None, timeout: float = 10.0) -> int:  # noqa: ASYNC109
    """POST one update as Telegram does; returns the HTTP status (0 if the bot did not answer)."""
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session,
            session.post(url, json=update, headers=headers) as response,
        ):
            await response.read()
            return response.status
    except (aiohttp.ClientError, TimeoutError, OSError):
        return 0
