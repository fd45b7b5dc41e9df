"""A TCP proxy on 127.0.0.1 that plays a server in trouble, for fault-injection tests.

Put it between a client and a server (`target` is the server's host and port; the client
connects to `port`) and switch it between three states:

- forwarding: bytes flow both ways, as if there were no proxy;
- stopped (`stop()`): as a stopped server: new connections are refused and open ones are cut;
- hung (`hang()`): as a frozen server or a network black hole: connections are accepted and
  kept open, but no byte goes through in either direction until `resume()`, which delivers
  what was held (the client may have given up on it by then).

Everything runs on the test's event loop; `close()` cancels and awaits every task it started.
"""

import asyncio
import contextlib
import socket
from types import TracebackType
from typing import Any

CHUNK = 64 * 1024


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.accepted = 0  # connections accepted since the start (in every state)
        self._server: asyncio.Server | None = None
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._holding = 0

    async def start(self) -> None:
        """Listen (on a free port the first time, on the same port after `stop()`)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = int(sock.getsockname()[1])
        self._server = await asyncio.start_server(self._serve, sock=sock)

    async def __aenter__(self) -> "TcpProxy":
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def open_connections(self) -> int:
        """Client connections open now (each has a matching one to the server)."""
        return len(self._writers) // 2

    @property
    def holding(self) -> int:
        """Connections whose client has sent bytes that the hang keeps from the server."""
        return self._holding

    async def stop(self) -> None:
        """Refuse new connections (connection refused) and cut every open one."""
        self._flowing.set()
        await self._stop_listening()
        await self._cut_all()

    def hang(self) -> None:
        """Accept connections but pass no byte either way until `resume()`."""
        self._flowing.clear()

    async def resume(self) -> None:
        """Forward again: after `hang()`, what was held goes through; after `stop()`, listen."""
        self._flowing.set()
        if self._server is None:
            await self.start()

    async def close(self) -> None:
        await self._stop_listening()
        await self._cut_all()

    async def _stop_listening(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            # Server.wait_closed() waits for every connection handler too (3.12+): not wanted here.
            await asyncio.sleep(0)

    async def _cut_all(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        # Relayed in a task of our own: asyncio's stream server would log the cancellation of
        # its handler task as an error when `stop()` cuts the connection.
        self.accepted += 1
        self._writers.add(client_writer)
        task = asyncio.create_task(self._relay(client_reader, client_writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        server_writer: asyncio.StreamWriter | None = None
        try:
            # A hung server still completes the TCP handshake (the kernel does): connect now,
            # hold the bytes in the pumps.
            server_reader, server_writer = await asyncio.open_connection(*self.target)
            self._writers.add(server_writer)
            await asyncio.gather(
                self._pump(client_reader, server_writer, upstream=True),
                self._pump(server_reader, client_writer, upstream=False),
            )
        except OSError:
            pass
        finally:
            for writer in (client_writer, server_writer):
                if writer is not None:
                    self._writers.discard(writer)
                    writer.transport.abort()

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, upstream: bool
    ) -> None:
        while True:
            data = await reader.read(CHUNK)
            if not data:
                # One side closed: close the other, so each sees what a direct connection would.
                with contextlib.suppress(OSError):
                    writer.write_eof()
                return
            if not self._flowing.is_set():
                held = upstream
                self._holding += held
                try:
                    await self._flowing.wait()
                finally:
                    self._holding -= held
            writer.write(data)
            await writer.drain()
