"""Driver test fixtures: labs on loopback sockets, clients whose transport counts every request.

The lab is the emulated device side (``camvault.device``); the drivers meet it only on the wire, as they
meet a real device. Every client here goes through :class:`CountingTransport`, so a test can prove that a
refused attempt sent nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from camvault.clock import ManualClock
from camvault.device.lab.lab import LabDevice
from camvault.device.lab.runner import RunningLab, start_lab
from camvault.device.lab.scenario import parse_scenario
from camvault.fleet.drivers import AttemptBudget, Endpoint

LAB_SETTINGS = {"seed": 5, "boot_seconds": 0.3, "nvr_check_seconds": 0.2, "nvr_retry_seconds": 0.2}
PEER = "127.0.0.1"
"""Where the lab sees the test's clients come from ('ports' addressing: every device on 127.0.0.1)."""


class CountingTransport(httpx.AsyncBaseTransport):
    """Forward to a real transport and remember every request (method, path, headers, body)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()

    @property
    def credentialed(self) -> list[httpx.Request]:
        """Requests that carried an ``Authorization`` header."""
        return [request for request in self.requests if "authorization" in request.headers]


LabFactory = Callable[..., Awaitable[RunningLab]]


@pytest.fixture
async def lab(tmp_path: Path) -> AsyncIterator[LabFactory]:
    """Start labs from a list of device tables (the scenario format); all stopped at the end."""
    started: list[RunningLab] = []

    async def factory(devices: list[dict[str, Any]]) -> RunningLab:
        scenario = parse_scenario({"lab": LAB_SETTINGS, "devices": devices})
        running = await start_lab(tmp_path / f"lab{len(started)}", scenario=scenario)
        started.append(running)
        return running

    yield factory
    for running in started:
        if running.lab.started:
            await running.stop()


@pytest.fixture
async def counting() -> AsyncIterator[tuple[httpx.AsyncClient, CountingTransport]]:
    """A client over real sockets whose transport counts requests."""
    transport = CountingTransport(httpx.AsyncHTTPTransport())
    async with httpx.AsyncClient(transport=transport, timeout=5.0) as client:
        yield client, transport


@pytest.fixture
def budget() -> AttemptBudget:
    """A fresh budget on a manual clock (locks expire only when a test says so)."""
    return AttemptBudget(clock=ManualClock())


def endpoint_of(device: LabDevice) -> Endpoint:
    """Where a lab device answers."""
    return Endpoint(device.address, device.http_port)


def attempts_left(device: LabDevice) -> int:
    """What the device's illegal-login lock would still allow from the test's address."""
    return device.model.lock_status(PEER).attempts_left
