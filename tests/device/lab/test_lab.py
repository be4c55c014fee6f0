"""The lab on real sockets: addresses, persistence, the physical world, and the NVR agent."""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path

import httpx
import pytest

from camvault.device.lab.faults import FaultPlan
from camvault.protocols import xml
from camvault.protocols.isapi.documents import InputProxyChannelStatusList, decode

from .conftest import LabFactory, free_fixed_port, get, url

CAM_PASSWORD = "Lobby#Cam-2024"
NVR_PASSWORD = "Record3r-Pass!"


def cameras_and_nvr() -> list[dict[str, object]]:
    return [
        {"label": "cam", "admin_password": CAM_PASSWORD, "memory_card": True},
        {"label": "cam2", "admin_password": "Garage#Cam-2024"},
        {"label": "nvr", "kind": "nvr", "admin_password": NVR_PASSWORD, "channels": ["cam", "cam2"]},
        {"label": "fresh", "activated": False},
    ]


async def wait_for(predicate, limit: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + limit
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_devices_answer_on_their_own_ports_and_the_manifest_lists_them(
    make_lab: LabFactory, tmp_path: Path
) -> None:
    running = await make_lab(cameras_and_nvr())
    ports = {device.http_port for device in running.lab.devices.values()}
    assert len(ports) == 4
    response = await get(running, "cam", "/ISAPI/System/deviceInfo", CAM_PASSWORD)
    assert response.status_code == 200
    assert response.headers["server"] == "App-webs/"
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    serials = {device["serial"] for device in manifest["devices"]}
    assert xml.text(xml.parse(response.content), "serialNumber") in serials
    assert CAM_PASSWORD not in (tmp_path / "manifest.json").read_text(), "credentials are kept apart"
    records = tmp_path / "manifest.credentials.json"
    assert stat.S_IMODE(records.stat().st_mode) == 0o600
    assert CAM_PASSWORD in records.read_text()
    for state_file in (tmp_path / "lab").iterdir():
        if state_file.is_file():
            assert CAM_PASSWORD.encode() not in state_file.read_bytes(), f"{state_file.name} leaks a password"


async def test_nvr_records_its_cameras_and_a_stale_password_locks_only_the_nvr(make_lab: LabFactory) -> None:
    running = await make_lab(
        cameras_and_nvr(), addressing="addresses", address_prefix="127.42", http_port=free_fixed_port()
    )
    nvr = running.lab.device("nvr").model
    await wait_for(lambda: all(channel.status.online for channel in nvr.channels.values()))
    statuses = decode(
        (await get(running, "nvr", "/ISAPI/ContentMgmt/InputProxy/channels/status", NVR_PASSWORD)).content,
        InputProxyChannelStatusList,
    )
    assert [status.online for status in statuses.statuses] == [True, True]
    # The owner changes the camera's password directly; the NVR still holds the old one.
    camera = running.lab.device("cam")
    async with httpx.AsyncClient(auth=httpx.DigestAuth("admin", CAM_PASSWORD)) as client:
        changed = await client.put(
            url(running, "cam", "/ISAPI/Security/users/1"),
            content=b"<User><id>1</id><userName>admin</userName><password>Changed#Pass-24</password></User>",
        )
    assert changed.status_code == 200
    await wait_for(lambda: camera.model.lock_status(running.lab.device("nvr").address).locked, limit=8)
    assert not nvr.channels[1].status.online
    assert nvr.channels[2].status.online, "the other camera is unaffected"
    owner = await get(running, "cam", "/ISAPI/Security/userCheck", "Changed#Pass-24")
    assert owner.status_code == 200, "the owner, from another address, is not locked"


async def test_state_survives_a_restart(make_lab: LabFactory, tmp_path: Path) -> None:
    running = await make_lab(cameras_and_nvr())
    serial = running.lab.device("cam").model.identity.serial
    recorded = running.lab.installer_records()
    async with httpx.AsyncClient(auth=httpx.DigestAuth("admin", CAM_PASSWORD)) as client:
        await client.post(
            url(running, "cam", "/ISAPI/Security/users"),
            content=b"<User><userName>keeper</userName><password>Keep-Me-2024x</password></User>",
        )
    await running.stop()
    again = await make_lab([{"label": "ignored"}], state=tmp_path / "lab")
    assert set(again.lab.devices) == {"cam", "cam2", "nvr", "fresh"}, (
        "the stored lab wins over a new scenario"
    )
    camera = again.lab.device("cam").model
    assert camera.identity.serial == serial
    assert camera.account("keeper") is not None
    assert (await get(again, "cam", "/ISAPI/Security/users", CAM_PASSWORD)).status_code == 200
    assert again.lab.device("nvr").model.channels[1].address == again.lab.device("cam").address
    assert again.lab.installer_records() == recorded, "what the installer recorded survives, sealed"


async def test_reset_button_power_cycle_and_clock(make_lab: LabFactory) -> None:
    running = await make_lab(cameras_and_nvr())
    lab = running.lab
    assert "nothing happens" in await lab.press_reset("cam", 3)
    assert lab.device("cam").model.activated
    result = await lab.press_reset("cam", 12)
    assert "inactive" in result
    async with httpx.AsyncClient() as client:
        status = await client.get(url(running, "cam", "/SDK/activateStatus"))
    assert xml.boolean(xml.parse(status.content), "Activated") is False
    cycle = asyncio.create_task(lab.power_cycle("cam2", off_seconds=0.3))
    await asyncio.sleep(0.1)
    with pytest.raises(httpx.ConnectError):
        await get(running, "cam2", "/SDK/activateStatus", "x")
    await cycle
    assert (await get(running, "cam2", "/ISAPI/Security/userCheck", "Garage#Cam-2024")).status_code == 200
    device_time = lab.set_clock("cam2", skew_seconds=7200)
    response = await get(running, "cam2", "/ISAPI/System/time", "Garage#Cam-2024")
    assert str(device_time.year) in response.headers["date"]
    delta = device_time - lab.clock.now()
    assert 7190 < delta.total_seconds() < 7210


async def test_injected_faults(make_lab: LabFactory) -> None:
    running = await make_lab(cameras_and_nvr())
    running.lab.set_faults("cam", FaultPlan(error_rate=1.0, paths=("/ISAPI/System",)))
    assert (await get(running, "cam", "/ISAPI/System/deviceInfo", CAM_PASSWORD)).status_code == 503
    assert (await get(running, "cam", "/ISAPI/Security/userCheck", CAM_PASSWORD)).status_code == 200, (
        "filtered by path"
    )
    running.lab.set_faults("cam", FaultPlan(lost_reply_rate=1.0, methods=("PUT",)))
    async with httpx.AsyncClient(auth=httpx.DigestAuth("admin", CAM_PASSWORD)) as client:
        await client.get(
            url(running, "cam", "/ISAPI/Security/userCheck")
        )  # so the PUT goes out with credentials
        with pytest.raises(httpx.RemoteProtocolError):
            await client.put(
                url(running, "cam", "/ISAPI/System/deviceInfo"),
                content=b"<DeviceInfo><deviceName>Applied</deviceName></DeviceInfo>",
            )
    assert running.lab.device("cam").model.settings.device_name == "Applied", (
        "the change happened, the reply was lost"
    )
    running.lab.set_faults("cam", None)
    assert (await get(running, "cam", "/ISAPI/System/deviceInfo", CAM_PASSWORD)).status_code == 200


async def test_control_api_needs_its_token(make_lab: LabFactory) -> None:
    running = await make_lab(cameras_and_nvr())
    async with httpx.AsyncClient(base_url=running.control.url) as client:
        assert (await client.get("/v1/lab")).status_code == 401
        headers = {"Authorization": f"Bearer {running.control.token}"}
        assert len((await client.get("/v1/lab", headers=headers)).json()["devices"]) == 4
        pressed = await client.post("/v1/devices/cam/reset-button", headers=headers, json={"seconds": 1})
        assert "nothing happens" in pressed.json()["result"]
        bad = await client.put("/v1/devices/cam/faults", headers=headers, json={"error_rate": 7})
        assert bad.status_code == 400
        unknown = await client.get("/v1/devices/nope", headers=headers)
        assert unknown.status_code == 400
