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


async def test_an_edit_during_a_check_is_checked_again_at_once_not_after_the_retry_delay(
    make_lab: LabFactory,  # noqa: F811
) -> None:
    """The stale result of a check that was in flight when the channel was edited must not stand for the
    retry delay (an hour here): the NVR checks the edited channel again straight away."""
    running = await make_lab(
        [
            {"label": "cam", "admin_password": "Lobby#Cam-2024"},
            {"label": "nvr", "kind": "nvr", "admin_password": NVR_PASSWORD, "channels": ["cam"]},
        ],
        sadp_port=0,
        wsd_port=0,
        nvr_check_seconds=0.05,
        nvr_retry_seconds=3600,
    )
    nvr = running.lab.device("nvr")
    agent = nvr.agent
    assert agent is not None
    in_flight = asyncio.Event()
    release = asyncio.Event()
    calls: list[int] = []

    async def gated_check(channel: object) -> DetectResult:
        calls.append(len(calls))
        if len(calls) == 1:
            in_flight.set()
            await release.wait()
            return DetectResult.BAD_CREDENTIALS  # what the old password got
        return DetectResult.CONNECT

    agent.check = gated_check  # type: ignore[method-assign]
    nvr.channels_changed()
    await asyncio.wait_for(in_flight.wait(), timeout=10)
    nvr.channels_changed(1)  # the owner's tool stores the new password now
    release.set()
    await wait_for(lambda: len(calls) >= 2, limit=10)
    channel = nvr.model.channels[1]
    await wait_for(lambda: channel.status.detect_result is DetectResult.CONNECT, limit=10)
