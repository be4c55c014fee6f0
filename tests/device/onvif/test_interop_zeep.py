"""onvif-zeep-async (Home Assistant's and Frigate's ONVIF client) against the emulated devices, on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
import zeep.exceptions
from onvif import ONVIFCamera
from onvif.util import is_auth_error

from camvault.clock import SystemClock
from camvault.device.frontend import DeviceFrontEnd
from camvault.device.host import NullHost
from camvault.device.http import HttpServer
from camvault.device.model import DeviceModel, Kind
from camvault.device.model import onvif as accounts
from camvault.device.model.onvif import OnvifLevel, UserUpdate
from tests.device.model.conftest import STRONG, build

HIK_USER, HIK_PASSWORD = "ha-onvif", "H0me-Assist4nt"

Camera = Callable[..., Awaitable[ONVIFCamera]]


def generic_model() -> DeviceModel:
    return build(Kind.ONVIF_CAMERA, "V2.3.1 build 230301", clock=SystemClock())  # type: ignore[arg-type]


def hikvision_model() -> DeviceModel:
    model = build(Kind.IPC, clock=SystemClock())  # type: ignore[arg-type]
    model.activate(STRONG)
    model.settings.onvif_enabled = True
    accounts.create_users(model, [UserUpdate(HIK_USER, OnvifLevel.ADMINISTRATOR, HIK_PASSWORD)])
    return model


class Served:
    """A device on a loopback socket, and the cameras (clients) opened on it."""

    def __init__(self, model: DeviceModel) -> None:
        self.model = model
        self.host = NullHost()
        self.server = HttpServer(DeviceFrontEnd(model, self.host), host="127.0.0.1", port=0)
        self.cameras: list[ONVIFCamera] = []

    async def camera(self, user: str, password: str, **options: Any) -> ONVIFCamera:
        camera = ONVIFCamera("127.0.0.1", self.server.port, user, password, no_cache=True, **options)
        self.cameras.append(camera)
        await camera.update_xaddrs()
        return camera


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[DeviceModel], Awaitable[Served]]]:
    started: list[Served] = []

    async def start(model: DeviceModel) -> Served:
        served = Served(model)
        await served.server.start()
        started.append(served)
        return served

    yield start
    for served in started:
        for camera in served.cameras:
            await camera.close()
        await served.server.stop()


async def test_device_information_and_home_assistant_setup_calls(serve: Any) -> None:
    served = await serve(hikvision_model())
    camera = await served.camera(HIK_USER, HIK_PASSWORD)
    device = await camera.create_devicemgmt_service()
    info = await device.GetDeviceInformation()
    assert info.Manufacturer == "HIKVISION" and info.SerialNumber == served.model.identity.serial
    interfaces = await device.GetNetworkInterfaces()
    assert interfaces[0].Info.HwAddress == served.model.identity.mac
    media = await camera.create_media_service()
    profiles = await media.GetProfiles()
    assert profiles[0].VideoEncoderConfiguration.Encoding == "H264"
    capabilities = await media.GetServiceCapabilities()
    assert capabilities.SnapshotUri is True


async def test_user_management_round_trip(serve: Any) -> None:
    served = await serve(generic_model())
    camera = await served.camera("admin", "admin")
    device = await camera.create_devicemgmt_service()
    await device.CreateUsers(
        {"User": [{"Username": "op1", "Password": "Pa55word!", "UserLevel": "Operator"}]}
    )
    users = {user.Username: user.UserLevel for user in await device.GetUsers()}
    assert users == {"admin": "Administrator", "op1": "Operator"}
    await device.SetUser({"User": [{"Username": "op1", "Password": "N3w-Secret", "UserLevel": "User"}]})
    operator = await served.camera("op1", "N3w-Secret")
    info = await (await operator.create_devicemgmt_service()).GetDeviceInformation()
    assert info.Model == served.model.identity.model
    await device.DeleteUsers({"Username": ["op1"]})
    assert [user.Username for user in await device.GetUsers()] == ["admin"]


async def test_admin_password_change_then_old_password_is_an_auth_error(serve: Any) -> None:
    served = await serve(generic_model())
    camera = await served.camera("admin", "admin")
    device = await camera.create_devicemgmt_service()
    await device.SetUser(
        {"User": [{"Username": "admin", "Password": "Rotated-2026!", "UserLevel": "Administrator"}]}
    )
    stale = await served.camera("admin", "admin")
    with pytest.raises(zeep.exceptions.Fault) as caught:
        await (await stale.create_devicemgmt_service()).GetDeviceInformation()
    assert is_auth_error(caught.value)
    fresh = await served.camera("admin", "Rotated-2026!")
    assert (await (await fresh.create_devicemgmt_service()).GetUsers())[0].Username == "admin"


async def test_fault_codes_reach_the_client(serve: Any) -> None:
    served = await serve(generic_model())
    device = await (await served.camera("admin", "admin")).create_devicemgmt_service()
    with pytest.raises(zeep.exceptions.Fault) as clash:
        await device.CreateUsers({"User": [{"Username": "admin", "Password": "x", "UserLevel": "User"}]})
    assert [code.localname for code in clash.value.subcodes] == ["OperationProhibited", "UsernameClash"]
    with pytest.raises(zeep.exceptions.Fault) as fixed:
        await device.DeleteUsers({"Username": ["admin"]})
    assert [code.localname for code in fixed.value.subcodes] == ["InvalidArgVal", "FixedUser"]


async def test_wrong_password_is_reported_as_an_auth_error_and_counted(serve: Any) -> None:
    served = await serve(hikvision_model())
    camera = await served.camera(HIK_USER, "not-the-password")
    device = await camera.create_devicemgmt_service()
    with pytest.raises(zeep.exceptions.Fault) as caught:
        await device.GetDeviceInformation()
    assert is_auth_error(caught.value)
    assert caught.value.message == "Sender not Authorized"
    status = served.model.lock_status("127.0.0.1")
    assert status.attempts_left == served.model.settings.lock.max_attempts - 1


async def test_skewed_device_clock_fails_until_adjust_time(serve: Any) -> None:
    model = hikvision_model()
    model.rtc.offset = timedelta(hours=1)
    served = await serve(model)
    plain = await served.camera(HIK_USER, HIK_PASSWORD)
    with pytest.raises(zeep.exceptions.Fault) as caught:
        await (await plain.create_devicemgmt_service()).GetDeviceInformation()
    assert is_auth_error(caught.value), "the real failure mode: a stale token looks like a wrong password"
    adjusted = await served.camera(HIK_USER, HIK_PASSWORD, adjust_time=True)
    info = await (await adjusted.create_devicemgmt_service()).GetDeviceInformation()
    assert info.Model == model.identity.model


async def test_hikvision_with_onvif_off_cannot_be_set_up(serve: Any) -> None:
    model = hikvision_model()
    model.settings.onvif_enabled = False
    served = await serve(model)
    camera = ONVIFCamera("127.0.0.1", served.server.port, HIK_USER, HIK_PASSWORD, no_cache=True)
    served.cameras.append(camera)
    device = await camera.create_devicemgmt_service()
    with pytest.raises(zeep.exceptions.Fault) as caught:
        await device.authless_GetSystemDateAndTime()
    assert is_auth_error(caught.value)
