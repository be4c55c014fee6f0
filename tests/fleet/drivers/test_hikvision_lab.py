"""The Hikvision driver's write operations against emulated devices on real sockets.

Activation of an inactive device, password changes on every firmware generation (V5.4.5 with Basic still
on, V5.6 with ``security=1``, V5.7 that always asks for ``loginPassword``), users, configuration backup and
restore, NVR channels, reboot, and the faults a real network produces (lost replies, hangs, 5xx).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest

from camvault.device.lab.faults import FaultPlan
from camvault.device.lab.runner import RunningLab
from camvault.errors import (
    DeviceError,
    DeviceNotActivated,
    DeviceRefused,
    DeviceTimeout,
    DeviceUnreachable,
)
from camvault.fleet.drivers import AttemptBudget, Credential, Level
from camvault.fleet.drivers.hikvision import HikvisionDriver

from .conftest import CountingTransport, LabFactory, endpoint_of

PASSWORD = "Lobby#Cam-2024"
RIGHT = Credential("admin", PASSWORD)
NEW = "Fresh#Start-2025"

Counting = tuple[httpx.AsyncClient, CountingTransport]
FIRMWARES = {"v5.4.5": "V5.4.5 build 170124", "v5.6": "V5.6.2 build 190701", "v5.7": "V5.7.3 build 220112"}


def driver_for_device(
    running: RunningLab, label: str, client: httpx.AsyncClient, budget: AttemptBudget
) -> HikvisionDriver:
    return HikvisionDriver(endpoint_of(running.lab.device(label)), client=client, budget=budget, name=label)


async def wait_until_reachable(driver: HikvisionDriver, limit: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + limit
    while True:
        try:
            await driver.probe()
            return
        except DeviceUnreachable:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.05)


# ---------------------------------------------------------------------- activation


async def test_activation_of_an_inactive_device(
    lab: LabFactory, counting: Counting, budget: AttemptBudget
) -> None:
    running = await lab([{"label": "fresh", "activated": False}])
    client, transport = counting
    driver = driver_for_device(running, "fresh", client, budget)
    probe = await driver.probe()
    assert probe.activated is False and probe.vendor == "hikvision"
    with pytest.raises(DeviceNotActivated):
        await driver.check_login(RIGHT)
    assert transport.credentialed == [], "an inactive device is never sent a password"
    with pytest.raises(DeviceRefused, match="riskPassword") as risky:
        await driver.activate("12345678")
    assert "12345678" not in str(risky.value)
    await driver.activate(NEW)
    assert (await driver.probe()).activated is True
    result = await driver.check_login(Credential("admin", NEW))
    assert result.ok and result.is_default_password is False
    with pytest.raises(DeviceError, match="already activated"):
        await driver.activate("Another#Pass-2025")
    model = running.lab.device("fresh").model
    admin = model.account("admin")
    assert admin is not None and admin.password.matches(NEW)


async def test_the_activation_request_carries_no_password_in_clear(
    lab: LabFactory, counting: Counting, budget: AttemptBudget
) -> None:
    running = await lab([{"label": "fresh", "activated": False}])
    client, transport = counting
    await driver_for_device(running, "fresh", client, budget).activate(NEW)
    assert all(NEW.encode() not in request.content for request in transport.requests)
    assert [request.url.path for request in transport.requests if request.method != "GET"] == [
        "/ISAPI/Security/challenge",
        "/ISAPI/System/activate",
    ]


# ---------------------------------------------------------------------- passwords and users


@pytest.mark.parametrize("firmware", sorted(FIRMWARES))
async def test_the_admin_changes_its_own_password(
    firmware: str, lab: LabFactory, counting: Counting, budget: AttemptBudget
) -> None:
    running = await lab([{"label": "cam", "firmware": FIRMWARES[firmware], "admin_password": PASSWORD}])
    client, transport = counting
    driver = driver_for_device(running, "cam", client, budget)
    await driver.set_password(RIGHT, "admin", NEW)
    admin = running.lab.device("cam").model.account("admin")
    assert admin is not None and admin.password.matches(NEW)
    change = next(request for request in transport.requests if request.method == "PUT")
    if firmware == "v5.4.5":
        # Basic-era firmware advertises no securityVersion: the change goes in plaintext (inside Digest).
        assert change.url.params.get("security") is None
        assert NEW.encode() in change.content
    else:
        assert change.url.params.get("security") == "1", "SecurityCap advertises security=1 from V5.5"
        assert NEW.encode() not in change.content and PASSWORD.encode() not in change.content
    assert (await driver.check_login(Credential("admin", NEW))).ok
    assert not (await driver.check_login(RIGHT)).ok


@pytest.mark.parametrize("firmware", sorted(FIRMWARES))
async def test_users_are_created_changed_and_deleted(
    firmware: str, lab: LabFactory, counting: Counting, budget: AttemptBudget
) -> None:
    running = await lab([{"label": "cam", "firmware": FIRMWARES[firmware], "admin_password": PASSWORD}])
    client, _ = counting
    driver = driver_for_device(running, "cam", client, budget)
    await driver.create_user(RIGHT, "operator1", "Operat0r#Pass", Level.OPERATOR)
    accounts = {account.username: account for account in await driver.accounts(RIGHT)}
    assert accounts["operator1"].level is Level.OPERATOR and accounts["operator1"].id != "1"
    await driver.set_password(RIGHT, "operator1", "Operat0r#Pass-2")
    assert (await driver.check_login(Credential("operator1", "Operat0r#Pass-2"))).ok
    await driver.delete_user(RIGHT, "operator1")
    assert [account.username for account in await driver.accounts(RIGHT)] == ["admin"]


async def test_refusals_name_the_device_s_reason_never_the_password(
    lab: LabFactory, counting: Counting, budget: AttemptBudget
) -> None:
    running = await lab([{"label": "cam", "admin_password": PASSWORD}])
    client, transport = counting
    driver = driver_for_device(running, "cam", client, budget)
    with pytest.raises(DeviceRefused, match="riskPassword") as risky:
        await driver.set_password(RIGHT, "admin", "abcdefgh")
    assert "abcdefgh" not in str(risky.value)
    with pytest.raises(DeviceRefused, match="no user named 'ghost'"):
        await driver.set_password(RIGHT, "ghost", NEW)
    await driver.create_user(RIGHT, "viewer1", "View3r#Pass-24", Level.VIEWER)
    with pytest.raises(DeviceRefused, match="badParameters"):
        await driver.create_user(RIGHT, "viewer1", "View3r#Pass-24", Level.VIEWER)
    sent = len(transport.requests)
    with pytest.raises(DeviceRefused, match="built-in administrator"):
        await driver.delete_user(RIGHT, "admin")
    assert [request.method for request in transport.requests[sent:]] == ["GET"], "only the lookup was sent"


async def test_a_viewer_may_change_only_its_own_password(
    lab: LabFactory, counting: Counting, budget: AttemptBudget
) -> None:
    running = await lab(
        [
            {
                "label": "cam",
                "admin_password": PASSWORD,
                "users": [{"name": "guard", "level": "Viewer", "password": "Watch#Pass-2024"}],
            }
        ]
    )
    client, _ = counting
    driver = driver_for_device(running, "cam", client, budget)
    guard = Credential("guard", "Watch#Pass-2024")
    assert [account.username for account in await driver.accounts(guard)] == ["guard"]
    await driver.set_password(guard, "guard", "Watch#Pass-2025")
    assert (await driver.check_login(Credential("guard", "Watch#Pass-2025"))).ok
    with pytest.raises(DeviceRefused, match="lowPrivilege"):
        await driver.create_user(
            Credential("guard", "Watch#Pass-2025"), "intruder", "Intrud3r#Pass", Level.ADMINISTRATOR
        )


async def test_a_lost_reply_leaves_the_outcome_to_a_login_check(
    lab: LabFactory, counting: Counting, budget: AttemptBudget
) -> None:
    running = await lab([{"label": "cam", "admin_password": PASSWORD}])
    client, _ = counting
    driver = driver_for_device(running, "cam", client, budget)
    await driver.accounts(RIGHT)
    running.lab.set_faults(
        "cam", FaultPlan(lost_reply_rate=1.0, methods=("PUT",), paths=("/ISAPI/Security/users",), remaining=1)
    )
    with pytest.raises(DeviceUnreachable):
        await driver.set_password(RIGHT, "admin", NEW)
    assert (await driver.check_login(Credential("admin", NEW))).ok, (
        "the change was applied; the reply was lost"
    )


# ---------------------------------------------------------------------- clock, configuration, reboot


async def test_device_time_with_and_without_credentials(
    lab: LabFactory, counting: Counting, budget: AttemptBudget
) -> None:
    running = await lab([{"label": "cam", "admin_password": PASSWORD, "clock_skew_seconds": -3600}])
    client, _ = counting
    driver = driver_for_device(running, "cam", client, budget)
    device_now = running.lab.device("cam").model.now()
    public = await driver.device_time()
    private = await driver.device_time(RIGHT)
    assert abs(public - device_now) < timedelta(seconds=3)
    assert abs(private - device_now) < timedelta(seconds=3)
    assert private.tzinfo is not None


async def test_configuration_backup_and_restore(
    lab: LabFactory, counting: Counting, budget: AttemptBudget
) -> None:
    running = await lab([{"label": "cam", "admin_password": PASSWORD}])
    client, transport = counting
    driver = driver_for_device(running, "cam", client, budget)
    key = "Backup#Key-2024"
    data = await driver.backup_config(RIGHT, key)
    assert len(data) > 64 and key.encode() not in data
    export = next(
        request for request in transport.requests if request.url.path == "/ISAPI/System/configurationData"
    )
    assert key not in str(export.url) and export.url.params["security"] == "1"
    with pytest.raises(DeviceRefused, match="importErrorData"):
        await driver.restore_config(RIGHT, data, "Another#Key-2024")
    sent = len(transport.requests)
    with pytest.raises(DeviceRefused, match="1 to 32 characters"):
        await driver.backup_config(RIGHT, "k" * 33)
    assert len(transport.requests) == sent, "a key the device would refuse is not sent"
    await driver.restore_config(RIGHT, data, key)
    await asyncio.sleep(0.1)
    await wait_until_reachable(driver)
    assert (await driver.check_login(RIGHT)).ok


async def test_reboot_then_the_device_answers_again(
    lab: LabFactory, counting: Counting, budget: AttemptBudget
) -> None:
    running = await lab([{"label": "cam", "admin_password": PASSWORD}])
    client, _ = counting
    driver = driver_for_device(running, "cam", client, budget)
    await driver.reboot(RIGHT)
    await asyncio.sleep(0.1)
    with pytest.raises(DeviceUnreachable):
        await driver.facts(RIGHT)
    await wait_until_reachable(driver)
    assert (await driver.check_login(RIGHT)).ok
    assert budget.state("cam").rejected == frozenset(), (
        "a reboot never turns a right password into a rejected one"
    )


# ---------------------------------------------------------------------- NVR channels


async def test_nvr_channels_and_their_credentials(
    lab: LabFactory, counting: Counting, budget: AttemptBudget
) -> None:
    running = await lab(
        [
            {"label": "cam", "admin_password": "Garage#Cam-2024"},
            {"label": "nvr", "kind": "nvr", "admin_password": PASSWORD, "channels": ["cam"]},
        ]
    )
    client, transport = counting
    camera = driver_for_device(running, "cam", client, budget)
    nvr = driver_for_device(running, "nvr", client, budget)
    assert await camera.channels(Credential("admin", "Garage#Cam-2024")) == []
    (channel,) = await nvr.channels(RIGHT)
    cam = running.lab.device("cam")
    assert (channel.id, channel.address, channel.port, channel.username) == (
        1,
        cam.address,
        cam.http_port,
        "admin",
    )
    assert channel.protocol == "HIKVISION" and channel.online is not None
    await nvr.set_channel_credential(RIGHT, 1, "admin", "Garage#Cam-2025")
    stored = running.lab.device("nvr").model.channels[1]
    assert stored.password.matches("Garage#Cam-2025") and stored.address == cam.address
    with pytest.raises(DeviceRefused, match="channel 9"):
        await nvr.set_channel_credential(RIGHT, 9, "admin", "Garage#Cam-2025")
    assert all(b"Garage#Cam-2024" not in request.content for request in transport.requests)


# ---------------------------------------------------------------------- transport faults


async def test_faults_on_the_wire_are_clear_device_errors(lab: LabFactory, budget: AttemptBudget) -> None:
    running = await lab([{"label": "cam", "admin_password": PASSWORD}])
    async with httpx.AsyncClient(timeout=0.5) as client:
        driver = driver_for_device(running, "cam", client, budget)
        running.lab.set_faults("cam", FaultPlan(error_rate=1.0, error_status=503, remaining=1))
        with pytest.raises(DeviceError, match="HTTP 503") as failed:
            await driver.facts(RIGHT)
        assert type(failed.value) is DeviceError
        running.lab.set_faults("cam", FaultPlan(hang_rate=1.0, remaining=1))
        with pytest.raises(DeviceTimeout):
            await driver.facts(RIGHT)
        running.lab.set_faults("cam", FaultPlan(drop_rate=1.0, remaining=1))
        with pytest.raises(DeviceUnreachable):
            await driver.probe()
        running.lab.set_faults("cam", None)
        assert (await driver.check_login(RIGHT)).ok
    await running.stop()
    async with httpx.AsyncClient(timeout=0.5) as client:
        with pytest.raises(DeviceUnreachable):
            await driver_for_device(running, "cam", client, AttemptBudget()).probe()
