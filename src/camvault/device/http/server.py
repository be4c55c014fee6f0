"""A small, fast HTTP/1.1 server for emulated devices: asyncio + httptools, one per listening socket.

Real device web servers are small embedded servers (``Server: App-webs/``); this one is likewise minimal:
keep-alive, pipelined requests answered in order, bounded header and body sizes, an idle timeout, a cap on
connections, and optional TLS. It knows nothing about devices: it turns bytes into
:class:`~camvault.device.http.messages.Request`, awaits a handler, and writes the
:class:`~camvault.device.http.messages.Response`.

The lab's fault injection lives here because faults are transport events: a :data:`FaultHook` is asked about
each request and may delay it, answer 5xx, drop the connection, hang, or run the handler and then drop the
connection without replying ("applied the change but the reply was lost").
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from typing import cast

import httptools

from camvault.device.http.messages import Headers, Request, Response

__all__ = ["Fault", "FaultHook", "Handler", "HttpServer", "ServerLimits"]

Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Fault:
    """What the lab wants done to one request.

    Attributes:
        delay: seconds to wait before handling.
        status: answer this 5xx status instead of handling.
        drop: close the connection without handling or answering.
        hang: never answer (the connection stays open until the client gives up or the idle timeout).
        lose_reply: handle the request (its effects happen), then close without answering.
    """

    delay: float = 0.0
    status: int | None = None
    drop: bool = False
    hang: bool = False
    lose_reply: bool = False


FaultHook = Callable[[Request], Fault | None]


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """Bounds that keep a hostile client from exhausting the lab."""

    max_header_count: int = 64
    max_header_bytes: int = 16 * 1024
    max_body_bytes: int = 8 * 1024 * 1024
    max_connections: int = 128
    idle_timeout: float = 60.0
    max_pipelined: int = 16


_REASONS = {status.value: status.phrase for status in HTTPStatus}


class HttpServer:
    """Serve one handler on one address.

    Args:
        handler: the device front end.
        host: address to bind (a loopback address in the lab).
        port: port to bind; 0 picks a free one (read :attr:`port` after :meth:`start`).
        server_header: the ``Server`` header value, ``App-webs/`` for Hikvision.
        tls: a server-side SSL context to serve HTTPS instead of HTTP.
        limits: resource bounds.
        faults: the lab's fault hook.
        date_header: produces the ``Date`` header (a device stamps its own clock's time).
    """

    def __init__(
        self,
        handler: Handler,
        *,
        host: str,
        port: int,
        server_header: str = "App-webs/",
        tls: ssl.SSLContext | None = None,
        limits: ServerLimits | None = None,
        faults: FaultHook | None = None,
        date_header: Callable[[], str] | None = None,
    ) -> None:
        self.handler = handler
        self.host = host
        self._port = port
        self.server_header = server_header
        self.tls = tls
        self.limits = limits or ServerLimits()
        self.faults = faults
        self.date_header = date_header or (lambda: formatdate(usegmt=True))
        self._server: asyncio.Server | None = None
        self._connections: set[_Connection] = set()

    @property
    def port(self) -> int:
        """The bound port."""
        return self._port

    @property
    def scheme(self) -> str:
        """``https`` when serving TLS, else ``http``."""
        return "https" if self.tls else "http"

    @property
    def listening(self) -> bool:
        """Whether the socket is open."""
        return self._server is not None

    async def start(self) -> None:
        """Bind and start accepting connections."""
        if self._server is not None:
            return
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _Connection(self),
            host=self.host,
            port=self._port,
            ssl=self.tls,
            reuse_address=True,
            backlog=256,
        )
        self._port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and close every open connection (a device powering off)."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for connection in list(self._connections):
            connection.abort()
        if server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), timeout=5)

    def _render(self, response: Response, keep_alive: bool, head_only: bool) -> bytes:
        reason = _REASONS.get(response.status, "Unknown")
        lines = [f"HTTP/1.1 {response.status} {reason}"]
        names = {name.lower() for name, _ in response.headers}
        if "date" not in names:
            lines.append(f"Date: {self.date_header()}")
        if "server" not in names:
            lines.append(f"Server: {self.server_header}")
        lines.extend(f"{name}: {value}" for name, value in response.headers)
        lines.append(f"Content-Length: {len(response.body)}")
        lines.append("Connection: keep-alive" if keep_alive else "Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        return head if head_only else head + response.body


class _Connection(asyncio.Protocol):
    """One client connection: parse requests, answer them in order."""

    def __init__(self, server: HttpServer) -> None:
        self.server = server
        self.limits = server.limits
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.peer = "0.0.0.0"  # noqa: S104 - placeholder until connection_made
        self.local: tuple[str, int] = (server.host, server.port)
        self.queue: deque[tuple[Request, bool]] = deque()
        self.worker: asyncio.Task[None] | None = None
        self.idle_timer: asyncio.TimerHandle | None = None
        self.closing = False
        self.hung = False
        self._reset_message()

    # -- asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not subclasses of asyncio.Transport, but have its interface.
        self.transport = cast(asyncio.Transport, transport)
        transport = self.transport
        if len(self.server._connections) >= self.limits.max_connections:
            transport.abort()
            return
        self.server._connections.add(self)
        peer = transport.get_extra_info("peername")
        local = transport.get_extra_info("sockname")
        if peer:
            self.peer = peer[0]
        if local:
            self.local = (local[0], local[1])
        self._arm_idle_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        self.server._connections.discard(self)
        if self.idle_timer:
            self.idle_timer.cancel()
        if self.worker and not self.worker.done():
            self.worker.cancel()

    def data_received(self, data: bytes) -> None:
        if self.closing or self.hung:
            return
        self._arm_idle_timer()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            cause = exc.__context__
            self._fail(cause.status if isinstance(cause, _TooLarge) else 400)

    # -- httptools callbacks

    def _reset_message(self) -> None:
        self.url = b""
        self.headers: list[tuple[str, str]] = []
        self.header_bytes = 0
        self.body = bytearray()

    def on_message_begin(self) -> None:
        self._reset_message()

    def on_url(self, url: bytes) -> None:
        self.url += url
        if len(self.url) > self.limits.max_header_bytes:
            raise _TooLarge(414)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.header_bytes += len(name) + len(value)
        if (
            len(self.headers) >= self.limits.max_header_count
            or self.header_bytes > self.limits.max_header_bytes
        ):
            raise _TooLarge(431)
        self.headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_body(self, body: bytes) -> None:
        if len(self.body) + len(body) > self.limits.max_body_bytes:
            raise _TooLarge(413)
        self.body += body

    def on_message_complete(self) -> None:
        method = self.parser.get_method().decode("ascii", "replace").upper()
        request = Request(
            method=method,
            target=self.url.decode("latin-1"),
            headers=Headers(self.headers),
            body=bytes(self.body),
            peer=self.peer,
            scheme=self.server.scheme,
            local=self.local,
        )
        keep_alive = self.parser.should_keep_alive()
        self.queue.append((request, keep_alive))
        if len(self.queue) >= self.limits.max_pipelined and self.transport:
            self.transport.pause_reading()
        if self.worker is None or self.worker.done():
            self.worker = asyncio.get_running_loop().create_task(self._drain())

    # -- answering

    async def _drain(self) -> None:
        while self.queue and not self.closing:
            request, keep_alive = self.queue.popleft()
            if self.transport and len(self.queue) < self.limits.max_pipelined:
                self.transport.resume_reading()
            await self._answer(request, keep_alive)

    async def _answer(self, request: Request, keep_alive: bool) -> None:
        fault = self.server.faults(request) if self.server.faults else None
        if fault is not None:
            if fault.delay > 0:
                await asyncio.sleep(fault.delay)
            if fault.drop:
                self.abort()
                return
            if fault.hang:
                self.hung = True
                self.queue.clear()
                return
            if fault.status is not None:
                response = Response(
                    fault.status, [("Content-Type", "text/html")], b"<html><body>Server Error</body></html>"
                )
                self._write(response, keep_alive, request.method == "HEAD")
                return
        try:
            response = await self.server.handler(request)
        except asyncio.CancelledError:
            raise
        except Exception:  # a front-end bug must not kill the lab
            response = Response(500, [("Content-Type", "text/plain")], b"internal error")
        if fault is not None and fault.lose_reply:
            self.abort()
            return
        self._write(response, keep_alive and not response.close, request.method == "HEAD")

    def _write(self, response: Response, keep_alive: bool, head_only: bool) -> None:
        if self.transport is None or self.closing:
            return
        self.transport.write(self.server._render(response, keep_alive, head_only))
        if not keep_alive:
            self.closing = True
            self.transport.close()

    def _fail(self, status: int) -> None:
        self._write(
            Response(status, [("Content-Type", "text/plain")], _REASONS.get(status, "Error").encode()),
            False,
            False,
        )

    def _arm_idle_timer(self) -> None:
        if self.idle_timer:
            self.idle_timer.cancel()
        loop = asyncio.get_running_loop()
        self.idle_timer = loop.call_later(self.limits.idle_timeout, self.abort)

    def abort(self) -> None:
        """Close the connection at once."""
        self.closing = True
        if self.transport is not None:
            self.transport.abort()


class _TooLarge(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status
