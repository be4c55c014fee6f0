"""Labs with their discovery responders on free UDP ports, and a raw UDP client to talk to them."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from camvault.device.lab.runner import RunningLab
from tests.device.lab.conftest import LabFactory, make_lab  # noqa: F401 - the fixture

CAM_PASSWORD = "Lobby#Cam-2024"
NVR_PASSWORD = "Record3r-Pass!"
FLEET: list[dict[str, Any]] = [
    {"label": "cam", "admin_password": CAM_PASSWORD, "onvif": True},
    {"label": "quiet", "admin_password": "Garage#Cam-2024"},
    {"label": "fresh", "activated": False},
    {"label": "nvr", "kind": "nvr", "admin_password": NVR_PASSWORD},
    {"label": "gen", "kind": "onvif-camera"},
]

DiscoveryLab = Callable[..., Awaitable[RunningLab]]


def free_udp_port() -> int:
    """A UDP port free on every address right now (the lab binds it on 0.0.0.0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("0.0.0.0", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def discovery_lab(make_lab: LabFactory) -> DiscoveryLab:  # noqa: F811
    async def start(devices: list[dict[str, Any]] | None = None, **lab: Any) -> RunningLab:
        settings = {"sadp_port": free_udp_port(), "wsd_port": free_udp_port(), **lab}
        return await make_lab(devices if devices is not None else FLEET, **settings)

    return start


def ports(running: RunningLab) -> tuple[int, int]:
    discovery = running.lab.discovery
    assert discovery is not None and discovery.sadp is not None and discovery.wsd is not None
    assert discovery.sadp.port is not None and discovery.wsd.port is not None
    return discovery.sadp.port, discovery.wsd.port


async def udp_exchange(
    payload: bytes, port: int, *, target: str = "127.0.0.1", wait: float = 1.2, count: int | None = None
) -> list[tuple[bytes, str]]:
    """Send one datagram from an ephemeral loopback socket and collect replies for ``wait`` seconds."""
    loop = asyncio.get_running_loop()
    replies: list[tuple[bytes, str]] = []
    enough = asyncio.Event()

    class Collect(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
            replies.append((data, str(addr[0])))
            if count is not None and len(replies) >= count:
                enough.set()

    transport, _ = await loop.create_datagram_endpoint(Collect, local_addr=("127.0.0.1", 0))
    try:
        transport.sendto(payload, (target, port))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(enough.wait(), wait)
    finally:
        transport.close()
    return replies


def lab_state(running: RunningLab) -> dict[str, dict[str, Any]]:
    """Every device's persistent state, without the save time stamp (the lab clock is real)."""
    return {
        label: {key: value for key, value in device.model.to_snapshot().items() if key != "saved_at"}
        for label, device in running.lab.devices.items()
    }
