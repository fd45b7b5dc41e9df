"""An HTTP client for the Bot API that wraps another and sees every request pass.

PTB talks to Telegram through a `BaseRequest`; wrapping the real one lets the bot watch for a
refused token (bot/tg/run.py) and record updates before they are confirmed (bot/tg/inbox.py)
without touching how requests are made.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from telegram.request import BaseRequest, RequestData

Send = Callable[[], Awaitable[tuple[int, bytes]]]


class WrappedRequest(BaseRequest):
    def __init__(self, inner: BaseRequest) -> None:
        self._inner = inner

    @property
    def read_timeout(self) -> float | None:
        return self._inner.read_timeout

    async def initialize(self) -> None:
        await self._inner.initialize()

    async def shutdown(self) -> None:
        await self._inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        async def send() -> tuple[int, bytes]:
            return await self._inner.do_request(
                url,
                method,
                request_data,
                read_timeout=read_timeout,
                write_timeout=write_timeout,
                connect_timeout=connect_timeout,
                pool_timeout=pool_timeout,
            )

        return await self.call(url, send)

    async def call(self, url: str, send: Send) -> tuple[int, bytes]:
        """One request to `url`; `send()` makes it. Subclasses look before and after."""
        return await send()
