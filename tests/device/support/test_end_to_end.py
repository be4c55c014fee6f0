"""End to end, on real sockets: a lab manufactured with the vendor's factory material, the real support
service, and locked-out owners getting back in over ISAPI and over SADP; and the lab's throwaway vendor.
"""

from __future__ import annotations

import asyncio
import base64
import sqlite3
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from camvault.clock import SystemClock
from camvault.device.discovery.sadp import EXCHANGE_SECONDS
from camvault.device.lab.lab import FACTORY_PASSPHRASE_ENV, VENDOR_DIR
from camvault.device.lab.runner import RunningLab
from camvault.device.model import ChannelProtocol, DetectResult, UserLevel
from camvault.device.model.vendor_trust import open_throwaway_vendor
from camvault.protocols import sadp
from camvault.protocols.isapi import field_crypto
from camvault.protocols.isapi.activation import (
    ActivationClientKey,
    sadp_encrypt_password,
    sadp_exchange_public_key,
)
from camvault.protocols.sadp import ActionResponse, Result, SadpCommand
from camvault.support.keys import load_vendor_keys
from camvault.support.service import SupportService
from camvault.support.store import SupportStore
from tests.device.discovery.conftest import free_udp_port, udp_exchange
from tests.device.isapi.recovery_client import recovery_key
from tests.device.lab.conftest import LabFactory, make_lab, url  # noqa: F401 - the fixture
from tests.device.support.conftest import FACTORY_PASSPHRASE, NEW_ADMIN, Vendor, open_vendor
from tests.device.support.test_isapi import CODE, REQUEST, code_body

LOBBY = "Lobby#Cam-2024"
YARD = "Yard#Cam-2024"
RECORDER = "Record3r-Pass!"
GUARD = "Night-Shift-21"
FLEET: list[dict[str, Any]] = [
    {
        "label": "lobby",
        "admin_password": LOBBY,
        "users": [{"name": "guard", "level": "Viewer", "password": GUARD}],
    },
    # the camera the NVR records; its lock is off so that the NVR's retries cannot lock the NVR out of it
    {"label": "yard", "admin_password": YARD, "lock": {"enabled": False}},
    {"label": "recorder", "kind": "nvr", "admin_password": RECORDER, "channels": ["yard"]},
]


@pytest.fixture
def real_vendor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Vendor]:
    """The vendor on the real clock (the lab's devices run on it), its CA key exported with a passphrase."""
    monkeypatch.setenv(FACTORY_PASSPHRASE_ENV, FACTORY_PASSPHRASE)
    with open_vendor(tmp_path / "vendor", SystemClock()) as made:
        yield made


async def lock_out(client: httpx.AsyncClient, address: str, password: str) -> None:
    """The owner guesses wrong until the device's illegal-login lock trips."""
    for attempt in range(5):
        response = await client.get(
            address + "/ISAPI/Security/userCheck", auth=httpx.DigestAuth("admin", f"guess-{attempt}")
        )
        assert response.status_code == 401
    right = await client.get(address + "/ISAPI/Security/userCheck", auth=httpx.DigestAuth("admin", password))
    assert right.status_code != 200  # locked: even the right password is refused now


async def reset_over_isapi(base: str, typed: str) -> httpx.Response:
    """The owner enters the code as the Forgot-password page does: challenge, then sealed fields."""
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        key = await recovery_key(client)
        iv = field_crypto.new_iv()
        return await client.put(f"{CODE}?security=1&iv={iv}", content=code_body(typed=typed, key=key, iv=iv))


async def test_a_locked_out_owner_gets_back_in_and_keeps_everything(
    make_lab: LabFactory,  # noqa: F811
    real_vendor: Vendor,
    tmp_path: Path,
) -> None:
    state = tmp_path / "lab"
    running: RunningLab = await make_lab(FLEET, state=state, vendor_keys=str(real_vendor.factory_dir))
    lobby = running.lab.device("lobby")
    base = url(running, "lobby")
    before = {
        key: value
        for key, value in lobby.model.to_snapshot().items()
        if key in ("settings", "channels", "onvif")
    }
    async with httpx.AsyncClient(timeout=10) as client:
        await lock_out(client, base, LOBBY)

        exported = await client.post(base + REQUEST)  # the owner, from the Forgot-password page
        assert exported.status_code == 200
        case = real_vendor.service.receive_request(exported.content, actor="alice")
        assert case.status == "verified" and case.serial == lobby.model.identity.serial
        real_vendor.service.record_ownership(case.id, operator="alice", note="invoice 2020-114, label photo")
        real_vendor.service.approve(case.id, operator="bob")
        issued = real_vendor.service.issue_code(case.id, operator="bob")

        response = await reset_over_isapi(base, issued.typed)
        assert response.status_code == 200, response.text

        users = await client.get(base + "/ISAPI/Security/users", auth=httpx.DigestAuth("admin", NEW_ADMIN))
        assert users.status_code == 200
        assert b"<userName>guard</userName>" in users.content
        guard = await client.get(base + "/ISAPI/Security/userCheck", auth=httpx.DigestAuth("guard", GUARD))
        assert guard.status_code == 200
        old = await client.get(base + "/ISAPI/Security/userCheck", auth=httpx.DigestAuth("admin", LOBBY))
        assert old.status_code == 401
    after = lobby.model.to_snapshot()
    assert {key: after[key] for key in before} == before
    assert lobby.model.account("guard") is not None and lobby.model.account("guard").level is UserLevel.VIEWER  # type: ignore[union-attr]
    history = [entry.action for entry in real_vendor.service.show_case(case.id).history]
    assert history == [
        "request_received",
        "request_verified",
        "ownership_verified",
        "case_approved",
        "code_issued",
    ]
    assert real_vendor.service.verify_audit().ok

    # The lab restarts: keys, password and used code survive; nothing secret is in the state files in clear.
    certificate = lobby.model.vendor_support.trust.public_record()["certificate"]  # type: ignore[union-attr]
    device_key = lobby.model.vendor_support.trust.private_record()["device_key"]  # type: ignore[union-attr]
    await running.stop()
    for path in state.iterdir():
        if path.is_file():
            data = path.read_bytes()
            for secret in (NEW_ADMIN, issued.typed, issued.typed.replace("-", ""), device_key):
                assert secret.encode() not in data, path.name
    with sqlite3.connect(state / "lab.sqlite") as database:
        identity = database.execute("SELECT identity FROM device WHERE label = 'lobby'").fetchone()[0]
    assert "BEGIN CERTIFICATE" in identity  # the public half is readable beside the identity
    again: RunningLab = await make_lab(FLEET, state=state)
    model = again.lab.device("lobby").model
    assert model.vendor_support.trust is not None
    assert model.vendor_support.trust.public_record()["certificate"] == certificate
    assert model.vendor_support.used_code_ids == (issued.code_id,)
    assert model.user(1).password.matches(NEW_ADMIN)
    assert model.vendor_support.pending is None  # a restart is a reboot


async def test_an_nvr_with_sync_ipc_password_records_again_with_the_new_password(
    make_lab: LabFactory,  # noqa: F811
    real_vendor: Vendor,
) -> None:
    running: RunningLab = await make_lab(FLEET, vendor_keys=str(real_vendor.factory_dir))
    recorder, yard = running.lab.device("recorder").model, running.lab.device("yard").model
    await wait_for(lambda: recorder.channels[1].status.online)
    base = url(running, "recorder")
    async with httpx.AsyncClient(timeout=10) as client:
        await lock_out(client, base, RECORDER)
        issued = real_vendor.issue((await client.post(base + REQUEST)).content, sync_ipc_password=True)
        assert (await reset_over_isapi(base, issued.typed)).status_code == 200
        login = await client.get(
            base + "/ISAPI/Security/userCheck", auth=httpx.DigestAuth("admin", NEW_ADMIN)
        )
        assert login.status_code == 200
    channel = recorder.channels[1]
    assert channel.password.matches(NEW_ADMIN) and channel.protocol is ChannelProtocol.HIKVISION
    # The NVR now logs in to the camera with the new password; the installer gives the camera the same one.
    await wait_for(lambda: channel.status.detect_result is DetectResult.BAD_CREDENTIALS)
    yard.modify_user(yard.user(1), 1, password=NEW_ADMIN)
    await wait_for(lambda: channel.status.online)


async def test_over_sadp_with_real_datagrams(make_lab: LabFactory, real_vendor: Vendor) -> None:  # noqa: F811
    running: RunningLab = await make_lab(
        FLEET, vendor_keys=str(real_vendor.factory_dir), sadp_port=free_udp_port()
    )
    assert running.lab.discovery is not None and running.lab.discovery.sadp is not None
    port = running.lab.discovery.sadp.port
    assert port is not None
    lobby = running.lab.device("lobby").model
    mac = lobby.identity.mac

    async def send(types: str, **fields: str) -> ActionResponse:
        command = SadpCommand(uuid=sadp.new_uuid(), types=types, mac=mac, fields=fields)
        replies = await udp_exchange(command.encode(), port, wait=3.0, count=1)
        assert len(replies) == 1
        decoded = sadp.decode(replies[0][0])
        assert isinstance(decoded, ActionResponse) and decoded.result is Result.SUCCESS, decoded
        return decoded

    exported = await send("getencryptstring")
    assert exported.code is not None
    request_file = zlib.decompress(base64.b64decode(exported.code))
    issued = real_vendor.issue(request_file)
    client_key = ActivationClientKey.generate()
    exchanged = await send("exchangecode", Code=sadp_exchange_public_key(client_key))
    assert exchanged.code is not None
    random_text = client_key.decrypt_sadp_code(exchanged.code)
    assert EXCHANGE_SECONDS > 10
    await send(
        "reset",
        Code=sadp_encrypt_password(random_text, issued.typed.replace("-", "")),
        Password=sadp_encrypt_password(random_text, NEW_ADMIN),
    )
    async with httpx.AsyncClient(timeout=10) as client:
        login = await client.get(
            url(running, "lobby", "/ISAPI/Security/userCheck"), auth=httpx.DigestAuth("admin", NEW_ADMIN)
        )
    assert login.status_code == 200


async def test_with_no_vendor_keys_the_lab_makes_a_throwaway_vendor_support_can_use(
    make_lab: LabFactory,  # noqa: F811
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    state = tmp_path / "lab"
    running: RunningLab = await make_lab(FLEET[:1], state=state)
    directory = state / VENDOR_DIR
    assert running.manifest()["vendor_keys"] == {"directory": str(directory), "throwaway": True}
    assert "throwaway vendor" in caplog.text and str(directory) in caplog.text
    store = SupportStore.open(tmp_path / "support.sqlite")
    try:
        service = SupportService(store, load_vendor_keys(directory, None), clock=SystemClock())
        vendor = Vendor(directory, directory, SystemClock(), store, service)
        base = url(running, "lobby")
        async with httpx.AsyncClient(timeout=10) as client:
            issued = vendor.issue((await client.post(base + REQUEST)).content)
            assert (await reset_over_isapi(base, issued.typed)).status_code == 200
    finally:
        store.close()
    # the same throwaway vendor after the lab is rebuilt from scratch
    assert open_throwaway_vendor(directory, now=SystemClock().now()).directory == directory


async def test_the_reset_button_keeps_the_keys(make_lab: LabFactory, real_vendor: Vendor) -> None:  # noqa: F811
    running: RunningLab = await make_lab(FLEET[:1], vendor_keys=str(real_vendor.factory_dir))
    model = running.lab.device("lobby").model
    certificate = model.vendor_support.trust.public_record()["certificate"]  # type: ignore[union-attr]
    await running.lab.press_reset("lobby", 12)
    assert not model.activated
    model.activate("Fresh-Start-99!")
    assert model.vendor_support.trust is not None
    assert model.vendor_support.trust.public_record()["certificate"] == certificate


async def wait_for(condition: Any, seconds: float = 15.0) -> None:
    """Wait, bounded, until ``condition()`` holds."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the condition did not hold in time")


async def test_a_lab_of_other_vendors_cameras_makes_no_vendor(make_lab: LabFactory, tmp_path: Path) -> None:  # noqa: F811
    running: RunningLab = await make_lab([{"label": "gen", "kind": "onvif-camera"}], state=tmp_path / "lab")
    assert running.lab.device("gen").model.vendor_support.trust is None
    assert "vendor_keys" not in running.manifest()
    assert not (tmp_path / "lab" / VENDOR_DIR).exists()
