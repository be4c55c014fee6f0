"""The device HTTP server on real loopback sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from camvault.device.http import Fault, HttpServer, Request, Response, ServerLimits
from camvault.device.http.inprocess import InProcessTransport


class Recorder:
    """A handler that remembers what it saw."""

    def __init__(self) -> None:
        self.seen: list[Request] = []

    async def __call__(self, request: Request) -> Response:
        self.seen.append(request)
        body = f"{request.method} {request.path} {request.query} {len(request.body)} {request.peer}".encode()
        return Response(200, [("Content-Type", "text/plain")], body)


@pytest.fixture
async def served() -> AsyncIterator[tuple[HttpServer, Recorder]]:
    recorder = Recorder()
    server = HttpServer(
        recorder, host="127.0.0.1", port=0, limits=ServerLimits(max_body_bytes=1000, idle_timeout=5)
    )
    await server.start()
    yield server, recorder
    await server.stop()


async def raw_exchange(port: int, payload: bytes, *, read_until_close: bool = True) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(payload)
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), timeout=5) if read_until_close else await reader.read(65536)
    writer.close()
    return data


async def test_keep_alive_and_headers(served: tuple[HttpServer, Recorder]) -> None:
    server, recorder = served
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
        first = await client.get("/ISAPI/System/deviceInfo?a=1&a=2")
        second = await client.put("/x", content=b"12345")
    assert first.status_code == 200
    assert first.headers["server"] == "App-webs/"
    assert first.text == "GET /ISAPI/System/deviceInfo {'a': '1'} 0 127.0.0.1"
    assert second.text.startswith("PUT /x {} 5")
    assert len(recorder.seen) == 2


async def test_pipelined_requests_are_answered_in_order(served: tuple[HttpServer, Recorder]) -> None:
    server, _ = served
    payload = b"".join(f"GET /n{i} HTTP/1.1\r\nHost: x\r\n\r\n".encode() for i in range(5))
    payload += b"GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    data = await raw_exchange(server.port, payload)
    bodies = [part.split(b" ")[1] for part in data.split(b"\r\n\r\n")[1::1] if part.startswith(b"GET")]
    assert bodies == [b"/n0", b"/n1", b"/n2", b"/n3", b"/n4", b"/last"]


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (b"NOT HTTP AT ALL\r\n\r\n", b"400"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + b"x" * 5000, b"413"),
        (b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(100)) + b"\r\n", b"431"),
        (b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n", b"414"),
    ],
)
async def test_bad_requests_get_a_status_and_a_closed_connection(
    served: tuple[HttpServer, Recorder], payload: bytes, status: bytes
) -> None:
    server, recorder = served
    data = await raw_exchange(server.port, payload)
    assert data.startswith(b"HTTP/1.1 " + status)
    assert b"Connection: close" in data
    assert recorder.seen == []


async def test_faults_drop_error_hang_and_lost_reply() -> None:
    recorder = Recorder()
    plan: dict[str, Fault] = {
        "/drop": Fault(drop=True),
        "/error": Fault(status=503),
        "/hang": Fault(hang=True),
        "/lost": Fault(lose_reply=True),
        "/slow": Fault(delay=0.05),
    }
    server = HttpServer(recorder, host="127.0.0.1", port=0, faults=lambda request: plan.get(request.path))
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}", timeout=1.0) as client:
            with pytest.raises(httpx.RemoteProtocolError):
                await client.get("/drop")
            assert (await client.get("/error")).status_code == 503
            with pytest.raises(httpx.ReadTimeout):
                await client.get("/hang", timeout=0.3)
            with pytest.raises(httpx.RemoteProtocolError):
                await client.put("/lost", content=b"change")
            assert (await client.get("/slow")).status_code == 200
    finally:
        await server.stop()
    handled = [request.path for request in recorder.seen]
    assert handled == ["/lost", "/slow"], "a lost reply still applies the change; drop, error and hang do not"


async def test_connection_cap_and_stop() -> None:
    server = HttpServer(Recorder(), host="127.0.0.1", port=0, limits=ServerLimits(max_connections=2))
    await server.start()
    opened = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(2)]
    await asyncio.sleep(0.05)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    assert await asyncio.wait_for(reader.read(), timeout=2) == b"", "the third connection is refused"
    await server.stop()
    for opened_reader, _ in opened:
        assert await asyncio.wait_for(opened_reader.read(), timeout=2) == b""
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", server.port)
    writer.close()


async def test_a_handler_bug_is_a_500_not_a_dead_server() -> None:
    async def broken(request: Request) -> Response:
        raise RuntimeError("boom")

    server = HttpServer(broken, host="127.0.0.1", port=0)
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
            assert (await client.get("/")).status_code == 500
            assert (await client.get("/")).status_code == 500
    finally:
        await server.stop()


async def test_in_process_transport_matches_the_server() -> None:
    recorder = Recorder()
    async with httpx.AsyncClient(
        transport=InProcessTransport(recorder, peer="127.9.9.9"), base_url="http://dev"
    ) as client:
        response = await client.post("/a/b?x=%20y", content=b"abc")
    assert response.text == "POST /a/b {'x': ' y'} 3 127.9.9.9"
