"""`[health] port`: `/healthz` (JSON) and `/metrics` (Prometheus text) over plain HTTP.

A few lines of asyncio.start_server rather than a web framework: two read-only GET routes,
one request per connection, answered from memory (plus one `SELECT 1`). The run loop
(bot/tg/run.py) starts it before the bot and stops it first on the way out.

/healthz answers 200 when the bot is running, the database answers a `SELECT 1` within
`DATABASE_TIMEOUT` seconds and polling has not been failing for longer than
`[health] max_polling_outage_seconds`; else 503, with the reasons in "problems".
"""

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from http import HTTPStatus

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot import redact
from bot.config import HealthSettings
from bot.metrics import VITALS

log = logging.getLogger(__name__)

DATABASE_TIMEOUT = 2.0
_READ_TIMEOUT = 5.0
_MAX_HEADER_LINES = 100

DatabaseCheck = Callable[[], Awaitable[None]]


def sql_check(engine: object) -> DatabaseCheck:
    """A `SELECT 1` on an SQLAlchemy AsyncEngine (imported here: only `run` needs SQLAlchemy)."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import AsyncEngine

    assert isinstance(engine, AsyncEngine)

    async def check() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    return check


def _age(then: float | None, now: float) -> float | None:
    return None if then is None else round(now - then, 3)


class HealthServer:
    def __init__(self, settings: HealthSettings, check_database: DatabaseCheck, mode: str) -> None:
        self._settings = settings
        self._check_database = check_database
        self.mode = mode
        self._server: asyncio.Server | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        return f"http://{self._settings.listen}:{self.port}"

    async def start(self) -> None:
        """Listen on `[health] listen`:`port` (0: a free port, see `url`). Raises OSError."""
        self._server = await asyncio.start_server(
            self._serve, self._settings.listen, self._settings.port, reuse_address=True
        )
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await server.wait_closed()

    async def health(self) -> tuple[int, dict[str, object]]:
        now = time.monotonic()
        problems: list[str] = []
        try:
            async with asyncio.timeout(DATABASE_TIMEOUT):
                await self._check_database()
            database = "ok"
        except TimeoutError:
            database = f"no answer within {DATABASE_TIMEOUT:.0f}s"
        except Exception as exc:
            lines = str(exc).strip().splitlines()
            database = redact.mask(lines[0] if lines else type(exc).__name__)
        if database != "ok":
            problems.append(f"database: {database}")
        if VITALS.started is None:
            problems.append("starting")
        failing = _age(VITALS.polling_failing_since, now)
        if failing is not None and failing > self._settings.max_polling_outage_seconds:
            problems.append(f"getting updates has failed for {failing:.0f}s")
        body: dict[str, object] = {
            "status": "ok" if not problems else "unhealthy",
            "problems": problems,
            "mode": self.mode,
            "database": database,
            "last_get_updates_seconds": _age(VITALS.last_poll, now),
            "last_update_seconds": _age(VITALS.last_update, now),
            "last_sweep_seconds": _age(VITALS.last_sweep, now),
            "polling_failing_seconds": failing,
            "uptime_seconds": _age(VITALS.started, now),
        }
        return (HTTPStatus.OK if not problems else HTTPStatus.SERVICE_UNAVAILABLE), body

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(_READ_TIMEOUT):
                method, path = await _read_request(reader)
            status, content_type, body = await self._answer(method, path)
            head = (
                f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
                f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                "Cache-Control: no-store\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode("ascii") + (body if method != "HEAD" else b""))
            await writer.drain()
        except (TimeoutError, ValueError, ConnectionError, asyncio.IncompleteReadError):
            pass  # a client that sends garbage or goes away gets nothing more
        except Exception:
            log.exception("health endpoint failed")
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _answer(self, method: str, path: str) -> tuple[int, str, bytes]:
        if path not in ("/healthz", "/metrics"):
            return HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"not found: try /healthz or /metrics\n"
        if method not in ("GET", "HEAD"):
            return HTTPStatus.METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", b"only GET\n"
        if path == "/metrics":
            return HTTPStatus.OK, CONTENT_TYPE_LATEST, generate_latest()
        status, body = await self.health()
        return status, "application/json", json.dumps(body).encode() + b"\n"


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, str]:
    """The method and path of one HTTP/1.x request; its headers are read and ignored."""
    parts = (await reader.readline()).decode("latin-1").split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise ValueError("not an HTTP request")
    for _ in range(_MAX_HEADER_LINES):
        if (await reader.readline()).strip() == b"":
            break
    else:
        raise ValueError("too many header lines")
    return parts[0].upper(), parts[1].split("?", 1)[0]
