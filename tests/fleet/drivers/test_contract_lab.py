"""The contract suite against emulated devices on real loopback sockets.

Hikvision backends: a current camera (V5.6.2, ``isapi.org`` namespace), old firmware that still accepts
Basic (V5.4.5, ``hikvision.com`` namespace), a V5.7 camera that demands ``loginPassword`` on every user
change, an NVR recording one camera, and a factory-fresh camera that the suite activates. The ONVIF driver
runs against the lab's generic ONVIF camera once the emulator's ONVIF device service is in the tree. Expected values come from the emulated device's own state.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import httpx
import pytest

from camvault.device.lab.lab import LabDevice
from camvault.device.model import Kind
from camvault.fleet.drivers import AttemptBudget, Credential
from camvault.fleet.drivers.hikvision import HikvisionDriver
from camvault.fleet.drivers.onvif import OnvifDriver

from .conftest import CountingTransport, LabFactory, attempts_left, endpoint_of
from .contract import Backend, DriverContract

PASSWORD = "Lobby#Cam-2024"
NVR_PASSWORD = "Record3r-Pass!"

HIKVISION_DEVICES = {
    "camera-v5.6": [{"label": "dut", "admin_password": PASSWORD}],
    "camera-v5.4.5-basic": [{"label": "dut", "firmware": "V5.4.5 build 170124", "admin_password": PASSWORD}],
    "camera-v5.7": [{"label": "dut", "firmware": "V5.7.3 build 220112", "admin_password": PASSWORD}],
    "nvr": [
        {"label": "cam", "admin_password": "Garage#Cam-2024"},
        {"label": "dut", "kind": "nvr", "admin_password": PASSWORD, "channels": ["cam"]},
    ],
    "inactive-camera": [{"label": "dut", "activated": False}],
}
ACTIVATION_PASSWORD = "Fresh#Start-2025"
NOT_ACTIVATED = {"raises": "DeviceNotActivated"}


def expected_of(device: LabDevice) -> dict[str, Any]:
    """What the driver must report, read from the emulated device's state."""
    model = device.model
    identity = model.identity
    admin = model.account("admin")
    assert admin is not None
    channels = [
        {
            "id": channel.id,
            "name": channel.name,
            "address": channel.address,
            "port": channel.port,
            "username": channel.username,
            "protocol": channel.protocol.value,
        }
        for channel in sorted(model.channels.values(), key=lambda channel: channel.id)
    ]
    return {
        "probe": {
            "reachable": True,
            "vendor": "hikvision",
            "activated": True,
            "realm": identity.realm,
            "basic_offered": model.firmware.accepts_basic_auth,
            "device_time": "present",
        },
        "check_login": {
            "ok": True,
            "is_default_password": admin.is_default_password,
            "is_risk_password": admin.is_risk_password,
            "attempts_left": None,
            "locked": False,
            "unlock_in_seconds": None,
        },
        "facts": {
            "vendor": "hikvision",
            "model": identity.model,
            "serial": identity.serial,
            "mac": identity.mac,
            "firmware_version": str(model.firmware.version),
            "firmware_build": model.firmware.build_text,
            "kind": "nvr" if identity.kind is Kind.NVR else "camera",
            "name": model.settings.device_name,
            "device_id": identity.device_uuid,
        },
        "accounts": [
            {
                "id": str(account.id),
                "username": account.name,
                "level": account.level.value.lower(),
                "enabled": True,
            }
            for account in model.users()
        ],
        "lock_policy": {
            "enabled": model.settings.lock.enabled,
            "max_attempts": model.settings.lock.max_attempts,
            "lock_seconds": model.settings.lock.lock_seconds,
        },
        "channels": channels,
    }


def inactive_expected() -> dict[str, Any]:
    """A factory-fresh device: no realm (it challenges nobody), every credentialed call refused."""
    probe = {
        "reachable": True,
        "vendor": "hikvision",
        "activated": False,
        "realm": None,
        "basic_offered": None,
    }
    reads = ("check_login", "facts", "accounts", "lock_policy", "channels")
    return {"probe": {**probe, "device_time": "present"}, **dict.fromkeys(reads, NOT_ACTIVATED)}


class TestHikvisionOnTheLab(DriverContract):
    @pytest.fixture(params=sorted(HIKVISION_DEVICES))
    async def backend(
        self,
        request: pytest.FixtureRequest,
        lab: LabFactory,
        counting: tuple[httpx.AsyncClient, CountingTransport],
        budget: AttemptBudget,
    ) -> Backend:
        running = await lab(HIKVISION_DEVICES[request.param])
        device = running.lab.device("dut")
        client, transport = counting
        driver = HikvisionDriver(
            endpoint_of(device), client=client, budget=budget, name=f"lab:{request.param}"
        )
        maximum = device.model.settings.lock.max_attempts
        active = device.model.activated
        return Backend(
            name=request.param,
            driver=driver,
            credential=Credential("admin", PASSWORD),
            expected=expected_of(device) if active else inactive_expected(),
            requests=lambda: transport.requests,
            device_failures=lambda: maximum - attempts_left(device),
            ignore={"channels": ["online", "status"]},
            activation_password=None if active else ACTIVATION_PASSWORD,
        )


ONVIF_SERVICE_PRESENT = importlib.util.find_spec("camvault.device.onvif") is not None


@pytest.mark.skipif(
    not ONVIF_SERVICE_PRESENT,
    reason="the emulator's ONVIF device service (src/camvault/device/onvif/) is not in the tree yet; "
    "the ONVIF driver runs the contract against a behavioural fake in test_contract_onvif.py",
)
class TestOnvifOnTheLab(DriverContract):
    @pytest.fixture
    async def backend(
        self, lab: LabFactory, counting: tuple[httpx.AsyncClient, CountingTransport], budget: AttemptBudget
    ) -> Backend:
        running = await lab([{"label": "dut", "kind": "onvif-camera", "admin_password": PASSWORD}])
        device = running.lab.device("dut")
        client, transport = counting
        identity = device.model.identity
        return Backend(
            name="onvif-camera",
            driver=OnvifDriver(endpoint_of(device), client=client, budget=budget, name="lab:onvif"),
            credential=Credential("admin", PASSWORD),
            expected={
                "probe": {
                    "reachable": True,
                    "vendor": "onvif",
                    "activated": None,
                    "realm": None,
                    "basic_offered": None,
                    "device_time": "present",
                },
                "check_login": {
                    "ok": True,
                    "is_default_password": None,
                    "is_risk_password": None,
                    "attempts_left": None,
                    "locked": False,
                    "unlock_in_seconds": None,
                },
                "lock_policy": {"raises": "UnsupportedOperation"},
                "channels": {"raises": "UnsupportedOperation"},
                "accounts": [
                    {
                        "id": account.name,
                        "username": account.name,
                        "level": account.level.value.lower(),
                        "enabled": True,
                    }
                    for account in device.model.users()
                ],
                "facts": {
                    "vendor": identity.vendor.lower(),
                    "model": identity.model,
                    "serial": identity.serial,
                    "mac": identity.mac,
                    "firmware_version": str(device.model.firmware),
                    "firmware_build": None,
                    "kind": "unknown",
                    "name": None,
                    "device_id": None,
                },
            },
            requests=lambda: transport.requests,
            device_failures=lambda: device.model.settings.lock.max_attempts - attempts_left(device),
        )
