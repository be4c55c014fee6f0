"""An httpx transport that hands requests straight to a device front end, without a socket.

Unit tests drive a front end through ``httpx.AsyncClient(transport=InProcessTransport(handler))``: the
request goes through the same parsing, routing and rendering as on the real server, only the bytes on the
wire are skipped. Socket-level behaviour (keep-alive, faults, limits) is tested against
:class:`~camvault.device.http.server.HttpServer` itself.
"""

from __future__ import annotations

import httpx

from camvault.device.http.messages import Headers, Request
from camvault.device.http.server import Handler

__all__ = ["InProcessTransport"]


class InProcessTransport(httpx.AsyncBaseTransport):
    """Serve httpx requests from a front-end handler.

    Args:
        handler: the front end.
        peer: the client address the device sees (the illegal-login lock counts by it).
        local: the device address the request "arrived" on.
    """

    def __init__(
        self, handler: Handler, *, peer: str = "127.0.0.1", local: tuple[str, int] = ("127.0.0.1", 80)
    ) -> None:
        self.handler = handler
        self.peer = peer
        self.local = local

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Translate, handle, translate back."""
        body = await request.aread()
        device_request = Request(
            method=request.method,
            target=request.url.raw_path.decode("ascii"),
            headers=Headers(request.headers.multi_items()),
            body=body,
            peer=self.peer,
            scheme=request.url.scheme,
            local=self.local,
        )
        response = await self.handler(device_request)
        headers = [*response.headers, ("Content-Length", str(len(response.body)))]
        return httpx.Response(response.status, headers=headers, content=response.body, request=request)
