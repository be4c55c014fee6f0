"""The lab's NVR agent checks an ONVIF channel against the ONVIF service, as a real NVR would."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from camvault.device.model import ChannelProtocol, DetectResult
from camvault.device.model import onvif as accounts
from camvault.device.model.onvif import OnvifLevel, UserUpdate
from tests.device.lab.conftest import LabFactory, make_lab  # noqa: F401 - the fixture

NVR_PASSWORD = "Record3r-Pass!"


async def wait_for(predicate: Callable[[], bool], limit: float = 8.0) -> None:
    deadline = asyncio.get_running_loop().time() + limit
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_an_onvif_channel_goes_online_then_locks_the_camera_on_a_stale_password(
    make_lab: LabFactory,  # noqa: F811
) -> None:
    running = await make_lab(
        [
            {"label": "gen", "kind": "onvif-camera"},
            {"label": "nvr", "kind": "nvr", "admin_password": NVR_PASSWORD},
        ],
        sadp_port=0,
        wsd_port=0,
    )
    camera = running.lab.device("gen")
    nvr = running.lab.device("nvr")
    nvr.model.set_channel(
        1,
        address=camera.address,
        port=camera.http_port,
        username="admin",
        password="admin",
        protocol=ChannelProtocol.ONVIF,
    )
    nvr.channels_changed()
    channel = nvr.model.channels[1]
    await wait_for(lambda: channel.status.online)
    assert channel.status.detect_result is DetectResult.CONNECT

    accounts.set_users(camera.model, [UserUpdate("admin", OnvifLevel.ADMINISTRATOR, "Rotated-Elsewhere1")])
    nvr.channels_changed()
    await wait_for(lambda: channel.status.detect_result is DetectResult.LOCKED)
    assert not channel.status.online
    assert camera.model.lock_status(nvr.address).locked
