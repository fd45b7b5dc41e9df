"""The fake OpenAI-compatible server; see the package docstring."""

from __future__ import annotations

import asyncio
import json
import socket
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal

from aiohttp import web

Endpoint = Literal["audio/transcriptions", "chat/completions"]

VALID_REVIEW: dict[str, Any] = {
    "covered": [{"point": "Business case", "quote": "agree the business case with the sponsor"}],
    "factual_errors": ["A pilot is not the same as a big-bang roll-out."],
    "top_improvement": "Say what you would measure in the pilot & why <it> matters.",
    "rewrite": "I would first agree the business case with the sponsor, then run a measured pilot.",
}


@dataclass
class RecordedCall:
    endpoint: str
    authorization: str | None
    # Form fields for a transcription (the file as bytes under "file"), the JSON body for a chat.
    body: dict[str, Any] = field(default_factory=dict)
    filename: str | None = None
    # The client's address and port: two calls over one kept-alive connection share it.
    peer: object = None


@dataclass
class _Failure:
    status: int
    retry_after: int | None


class FakeOpenAI:
    def __init__(self, api_key: str | None = None) -> None:
        self.api_key = api_key
        self.calls: list[RecordedCall] = []
        self.transcripts: deque[str] = deque()
        self.default_transcript = "I would agree the business case with the sponsor."
        self.reviews: deque[dict[str, Any] | str] = deque()
        self._failures: dict[str, deque[_Failure]] = {}
        self._malformed: dict[str, int] = {}
        self._held: set[str] = set()
        self._gate = asyncio.Event()
        self._call_event = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # ----------------------------------------------------------------------------------- lifecycle

    async def __aenter__(self) -> FakeOpenAI:
        app = web.Application(client_max_size=64 << 20)
        app.router.add_post("/v1/audio/transcriptions", self._transcriptions)
        app.router.add_post("/v1/chat/completions", self._chat)
        runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._port = int(sock.getsockname()[1])
        await web.SockSite(runner, sock).start()
        self._runner = runner
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        assert self._port is not None, "not started"
        return f"http://127.0.0.1:{self._port}/v1"

    # -------------------------------------------------------------------------------------- modes

    def fail_next(
        self, endpoint: Endpoint, status: int, *, retry_after: int | None = None, times: int = 1
    ) -> None:
        self._failures.setdefault(endpoint, deque()).extend(
            _Failure(status, retry_after) for _ in range(times)
        )

    def malformed_next(self, endpoint: Endpoint, times: int = 1) -> None:
        """Answer 200 with a body that is not the API's shape (not JSON for transcriptions; a chat
        completion whose content is not JSON for chat)."""
        self._malformed[endpoint] = self._malformed.get(endpoint, 0) + times

    def hold(self, endpoint: Endpoint) -> None:
        """Make every call to `endpoint` wait until `release` (a slow server)."""
        self._held.add(endpoint)
        self._gate.clear()

    def release(self) -> None:
        self._held.clear()
        self._gate.set()

    def calls_to(self, endpoint: Endpoint) -> list[RecordedCall]:
        return [c for c in self.calls if c.endpoint == endpoint]

    async def wait_for_calls(
        self,
        endpoint: Endpoint,
        count: int,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> list[RecordedCall]:
        await self._wait(lambda: len(self.calls_to(endpoint)) >= count, timeout)
        return self.calls_to(endpoint)

    async def _wait(self, predicate: Callable[[], bool], timeout: float) -> None:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while not predicate():
                self._call_event.clear()
                await self._call_event.wait()

    # ----------------------------------------------------------------------------------- handlers

    def _record(self, call: RecordedCall, request: web.Request) -> None:
        call.peer = request.transport.get_extra_info("peername") if request.transport else None
        self.calls.append(call)
        self._call_event.set()

    async def _common(self, request: web.Request, endpoint: str) -> web.Response | None:
        """Auth, injected failures and holds; None lets the endpoint answer."""
        if endpoint in self._held:
            await self._gate.wait()
        if self.api_key is not None and request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _error(401, "Incorrect API key provided.")
        failures = self._failures.get(endpoint)
        if failures:
            failure = failures.popleft()
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            return _error(failure.status, "injected failure", headers)
        return None

    def _take_malformed(self, endpoint: str) -> bool:
        if self._malformed.get(endpoint, 0) > 0:
            self._malformed[endpoint] -= 1
            return True
        return False

    async def _transcriptions(self, request: web.Request) -> web.Response:
        form = await request.post()
        upload = form.get("file")
        body: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
        filename = None
        if isinstance(upload, web.FileField):
            body["file"] = upload.file.read()
            filename = upload.filename
        self._record(
            RecordedCall("audio/transcriptions", request.headers.get("Authorization"), body, filename),
            request,
        )
        if (refused := await self._common(request, "audio/transcriptions")) is not None:
            return refused
        if "file" not in body or "model" not in body:
            return _error(400, "file and model are required")
        if self._take_malformed("audio/transcriptions"):
            return web.Response(text="<html>upstream proxy error</html>", content_type="text/html")
        text = self.transcripts.popleft() if self.transcripts else self.default_transcript
        return web.json_response({"text": text})

    async def _chat(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except json.JSONDecodeError:
            body = {}
        self._record(RecordedCall("chat/completions", request.headers.get("Authorization"), body), request)
        if (refused := await self._common(request, "chat/completions")) is not None:
            return refused
        if not isinstance(body.get("messages"), list) or "model" not in body:
            return _error(400, "model and messages are required")
        if self._take_malformed("chat/completions"):
            content = "Sure! Here is my review: the answer is good."
        else:
            reply = self.reviews.popleft() if self.reviews else VALID_REVIEW
            content = reply if isinstance(reply, str) else json.dumps(reply)
        return web.json_response(
            {
                "id": f"chatcmpl-{len(self.calls)}",
                "object": "chat.completion",
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
            }
        )


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(
        {"error": {"message": message, "type": "invalid_request_error", "code": status}},
        status=status,
        headers=headers,
    )
