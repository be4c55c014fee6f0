"""Fixtures for driving one emulated device in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import httpx
import pytest

from camvault.clock import ManualClock
from camvault.device.frontend import DeviceFrontEnd
from camvault.device.host import NullHost
from camvault.device.http.inprocess import InProcessTransport
from camvault.device.model import DeviceModel, Kind
from tests.device.model.conftest import STRONG, build


@dataclass
class Rig:
    """A device, its front end and the clock that drives it."""

    model: DeviceModel
    frontend: DeviceFrontEnd
    host: NullHost
    clock: ManualClock

    def client(self, peer: str = "10.0.0.1", auth: httpx.Auth | None = None) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=InProcessTransport(self.frontend, peer=peer, local=("192.0.2.10", 80)),
            base_url="http://device",
            auth=auth,
        )


RigFactory = Callable[..., Rig]


@pytest.fixture
def make_rig() -> RigFactory:
    def factory(
        kind: Kind = Kind.IPC, firmware: str = "V5.6.2 build 190701", *, activated: bool = True
    ) -> Rig:
        clock = ManualClock()
        model = build(kind, firmware, clock=clock)
        if activated and not model.activated:
            model.activate(STRONG)
        host = NullHost()
        return Rig(model, DeviceFrontEnd(model, host), host, clock)

    return factory


@pytest.fixture
def rig(make_rig: RigFactory) -> Rig:
    return make_rig()


@pytest.fixture
async def admin(rig: Rig) -> AsyncIterator[httpx.AsyncClient]:
    async with rig.client(auth=httpx.DigestAuth("admin", STRONG)) as client:
        yield client
