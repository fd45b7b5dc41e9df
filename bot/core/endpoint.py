"""What the two OpenAI-compatible clients share: one pooled httpx client per service, and every
way a call can fail turned into a value the front ends word as one short notice.

The API key travels only in the Authorization header. Nothing here logs a request or response
body (they carry the user's answer) or a header (it carries the key): failures are logged by
kind and HTTP status alone.
"""

import logging
from dataclasses import dataclass
from typing import Any, Literal

import httpx

log = logging.getLogger(__name__)

FailureReason = Literal[
    "timeout", "unreachable", "rate_limited", "refused", "server_error", "malformed", "empty"
]


@dataclass(frozen=True, slots=True)
class ServiceFailure:
    """Why a transcription or a review did not come back; the offline feedback stands."""

    reason: FailureReason
    status: int | None = None
    # Seconds the service asked us to wait (a 429's Retry-After), when it said.
    retry_after: int | None = None


def retry_after_seconds(value: str | None) -> int | None:
    """Retry-After in seconds; the HTTP-date form is rare from these services and counts as unknown."""
    if value is None or not value.strip().isdigit():
        return None
    return min(int(value.strip()), 24 * 3600)


class Endpoint:
    """An OpenAI-compatible service at `base_url` (e.g. http://127.0.0.1:8080/v1)."""

    def __init__(
        self,
        name: str,
        base_url: str,
        api_key: str | None,
        timeout_seconds: float,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = name
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        # One client for the bot's lifetime: connections (and TLS sessions) are reused.
        self._client = httpx.AsyncClient(
            base_url=base_url + "/",
            headers=headers,
            timeout=httpx.Timeout(timeout_seconds, connect=min(10.0, timeout_seconds)),
            limits=httpx.Limits(max_connections=8, max_keepalive_connections=4),
            transport=transport,
            # The endpoint is the operator's; following redirects could send the key elsewhere.
            follow_redirects=False,
        )

    async def post(self, path: str, **kwargs: Any) -> httpx.Response | ServiceFailure:
        """POST and read the whole response; any failure below HTTP 2xx becomes a ServiceFailure."""
        try:
            response = await self._client.post(path, **kwargs)
        except httpx.TimeoutException:
            return self._failed(ServiceFailure("timeout"))
        except httpx.HTTPError as exc:
            # The exception's text names the URL at most; its type is enough to tell the cause.
            log.warning("%s: request failed: %s", self.name, type(exc).__name__)
            return ServiceFailure("unreachable")
        status = response.status_code
        if status == 429:
            wait = retry_after_seconds(response.headers.get("retry-after"))
            return self._failed(ServiceFailure("rate_limited", status, wait))
        if status >= 500:
            return self._failed(ServiceFailure("server_error", status))
        if status >= 300:
            return self._failed(ServiceFailure("refused", status))
        return response

    def _failed(self, failure: ServiceFailure) -> ServiceFailure:
        log.warning("%s: %s (HTTP %s)", self.name, failure.reason, failure.status or "-")
        return failure

    async def aclose(self) -> None:
        await self._client.aclose()
