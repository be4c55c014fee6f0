"""Device information, time, reboot, factory reset and configuration files over ISAPI (§3, §10)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from camvault.device.model import Kind
from camvault.protocols import xml
from camvault.protocols.isapi.documents import NS_ISAPI_V20, DeviceInfo, Time, TimeMode, decode, encode
from camvault.protocols.isapi.status import decode_status
from tests.device.conftest import Rig, RigFactory
from tests.device.model.conftest import STRONG


async def test_device_info_matches_identity_and_can_be_renamed(rig: Rig, admin: httpx.AsyncClient) -> None:
    info = decode(
        (await admin.get("/ISAPI/System/deviceinfo")).content, DeviceInfo
    )  # paths are case-insensitive
    identity = rig.model.identity
    assert (info.model, info.serial_number, info.mac_address) == (
        identity.model,
        identity.serial,
        identity.mac,
    )
    assert info.firmware_version == "V5.6.2" and info.firmware_released_date == "build 190701"
    assert info.device_type == "IPCamera"
    renamed = await admin.put(
        "/ISAPI/System/deviceInfo",
        content=b"<DeviceInfo><deviceName>Lobby &amp; Door</deviceName></DeviceInfo>",
    )
    assert renamed.status_code == 200
    assert (
        decode((await admin.get("/ISAPI/System/deviceInfo")).content, DeviceInfo).device_name
        == "Lobby & Door"
    )


async def test_time_reads_and_sets_the_device_clock(rig: Rig, admin: httpx.AsyncClient) -> None:
    target = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    body = encode(
        Time(time_mode=TimeMode.MANUAL, local_time=target, time_zone="CST-0:00:00"), namespace=NS_ISAPI_V20
    )
    assert (await admin.put("/ISAPI/System/time", content=body)).status_code == 200
    shown = decode((await admin.get("/ISAPI/System/time")).content, Time)
    assert shown.local_time is not None and abs(shown.local_time - target) < timedelta(seconds=2)
    assert abs(rig.model.now() - target) < timedelta(seconds=2)
    bad = await admin.put(
        "/ISAPI/System/time",
        content=b"<Time><timeMode>manual</timeMode><localTime>yesterday</localTime></Time>",
    )
    assert decode_status(bad.content).sub_status_code == "badXmlContent"


async def test_reboot_and_factory_reset_answer_then_reboot(rig: Rig, admin: httpx.AsyncClient) -> None:
    assert (await admin.put("/ISAPI/System/reboot")).status_code == 200
    assert rig.host.reboots == 1
    bad_mode = await admin.put("/ISAPI/System/factoryReset?mode=everything")
    assert decode_status(bad_mode.content).sub_status_code == "badParameters"
    assert rig.host.reboots == 1
    await admin.put(
        "/ISAPI/System/deviceInfo", content=b"<DeviceInfo><deviceName>Renamed</deviceName></DeviceInfo>"
    )
    assert (await admin.put("/ISAPI/System/factoryReset?mode=basic")).status_code == 200
    assert rig.model.activated and rig.model.settings.device_name == "IP CAMERA"
    assert (await admin.put("/ISAPI/System/factoryReset?mode=full")).status_code == 200
    assert not rig.model.activated and rig.host.reboots == 3


async def test_viewers_cannot_reboot(rig: Rig, admin: httpx.AsyncClient) -> None:
    await admin.post(
        "/ISAPI/Security/users",
        content=b"<User><userName>view</userName><password>Watch-Only-2024</password><userLevel>Viewer</userLevel></User>",
    )
    async with rig.client(auth=httpx.DigestAuth("view", "Watch-Only-2024")) as viewer:
        refused = await viewer.put("/ISAPI/System/reboot")
    assert decode_status(refused.content).sub_status_code == "lowPrivilege"
    assert rig.host.reboots == 0


async def test_configuration_export_import_round_trip(make_rig: RigFactory) -> None:
    source = make_rig()
    async with source.client(auth=httpx.DigestAuth("admin", STRONG)) as client:
        await client.post(
            "/ISAPI/Security/users",
            content=b"<User><userName>keeper</userName><password>Keep-Me-2024x</password></User>",
        )
        await client.put(
            "/ISAPI/Security/illegalLoginLock",
            content=b"<IllegalLoginLock><maxIllegalLoginTimes>7</maxIllegalLoginTimes></IllegalLoginLock>",
        )
        assert (
            decode_status((await client.get("/ISAPI/System/configurationData")).content).sub_status_code
            == "badParameters"
        )
        exported = await client.get("/ISAPI/System/configurationData?secretkey=file-key-123")
    data = exported.content
    assert exported.status_code == 200 and exported.headers["content-type"] == "application/octet-stream"
    assert b"Keep-Me-2024x" not in data and STRONG.encode() not in data, "the file is encrypted"
    target = make_rig()
    async with target.client(auth=httpx.DigestAuth("admin", STRONG)) as client:
        await client.put(
            "/ISAPI/Security/users/1",
            content=b"<User><id>1</id><userName>admin</userName><password>Other-Owner-2024</password></User>",
        )
    async with target.client(auth=httpx.DigestAuth("admin", "Other-Owner-2024")) as client:
        wrong_key = await client.put("/ISAPI/System/configurationData?secretkey=not-the-key", content=data)
        assert decode_status(wrong_key.content).sub_status_code == "importErrorData"
        damaged = await client.put(
            "/ISAPI/System/configurationData?secretkey=file-key-123", content=data[:-5]
        )
        assert decode_status(damaged.content).sub_status_code in {"importErrorData", "fileFormatError"}
        assert target.model.account("keeper") is None, "a refused import changes nothing"
        imported = await client.put("/ISAPI/System/configurationData?secretkey=file-key-123", content=data)
        assert imported.status_code == 200
    assert target.host.reboots == 1
    assert target.model.account("keeper") is not None and target.model.settings.lock.max_attempts == 7
    assert target.model.account("admin").password.matches(STRONG)  # type: ignore[union-attr]
    nvr = make_rig(Kind.NVR, "V4.62.210 build 230412")
    async with nvr.client(auth=httpx.DigestAuth("admin", STRONG)) as client:
        other_model = await client.put("/ISAPI/System/configurationData?secretkey=file-key-123", content=data)
    assert decode_status(other_model.content).sub_status_code == "badDevType"


async def test_unknown_paths_and_status(admin: httpx.AsyncClient) -> None:
    missing = await admin.get("/ISAPI/Nothing/here")
    assert missing.status_code == 404 and decode_status(missing.content).sub_status_code == "notSupport"
    status = xml.parse((await admin.get("/ISAPI/System/status")).content)
    assert xml.integer(status, "deviceUpTime") >= 0
