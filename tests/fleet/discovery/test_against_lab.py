"""The fleet's discovery clients against a running lab, over loopback only."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from camvault.fleet.discovery import Probing, activate_over_sadp, discover_sadp, discover_wsd
from camvault.fleet.discovery.sadp import export_request_over_sadp, reset_over_sadp
from camvault.protocols import resetcode
from camvault.protocols.sadp import Result
from tests.device.discovery.conftest import DiscoveryLab, discovery_lab, ports  # noqa: F401 - the fixture
from tests.device.lab.conftest import make_lab  # noqa: F401 - the fixture discovery_lab needs
from tests.fleet.vendor_desk import VendorDesk, forged_code

NEW_PASSWORD = "Fresh-Passw0rd!"


async def test_sadp_and_wsd_find_the_right_devices(discovery_lab: DiscoveryLab) -> None:  # noqa: F811
    running = await discovery_lab()
    sadp_port, wsd_port = ports(running)
    lab = running.lab
    found = await discover_sadp(Probing(timeout=3.0, repeat=2, until=4), port=sadp_port)
    by_serial = {device.serial: device for device in found}
    for label in ("cam", "quiet", "fresh", "nvr"):
        identity = lab.device(label).model.identity
        record = by_serial[identity.serial]
        assert record.mac == identity.mac and record.model == identity.model
        assert record.http_port == lab.device(label).http_port
    assert len(found) == 4, "one record per device although every probe was sent twice"
    assert by_serial[lab.device("fresh").model.identity.serial].activated is False
    onvif = await discover_wsd(Probing(timeout=3.0, until=2), port=wsd_port)
    assert sorted(device.mac or "" for device in onvif) == sorted(
        lab.device(label).model.identity.mac for label in ("cam", "gen")
    )
    gen = next(device for device in onvif if device.mac == lab.device("gen").model.identity.mac)
    assert gen.model == "AXC-2000" and gen.xaddrs[0].endswith(
        f":{lab.device('gen').http_port}/onvif/device_service"
    )


async def test_activation_over_the_lan(discovery_lab: DiscoveryLab, caplog: pytest.LogCaptureFixture) -> None:  # noqa: F811
    caplog.set_level(logging.DEBUG)
    running = await discovery_lab()
    sadp_port, _ = ports(running)
    fresh = running.lab.device("fresh")
    outcome = await activate_over_sadp("127.0.0.1", fresh.model.identity.mac, NEW_PASSWORD, port=sadp_port)
    assert outcome.ok and fresh.model.activated
    again = await activate_over_sadp("127.0.0.1", fresh.model.identity.mac, NEW_PASSWORD, port=sadp_port)
    assert again.result is Result.FAILURE, "an active device refuses a second activation"
    assert NEW_PASSWORD not in caplog.text and NEW_PASSWORD not in repr(outcome)
    [record] = [
        d
        for d in await discover_sadp(Probing(timeout=3.0, until=4), port=sadp_port)
        if d.mac == fresh.model.identity.mac
    ]
    assert record.activated is True


async def test_vendor_support_reset_over_the_lan(
    discovery_lab: DiscoveryLab,  # noqa: F811
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    running = await discovery_lab()
    sadp_port, _ = ports(running)
    model = running.lab.device("quiet").model
    mac = model.identity.mac
    request_file = await export_request_over_sadp("127.0.0.1", mac, port=sadp_port)
    assert model.vendor_support.pending is not None
    assert request_file == model.vendor_support.pending.file, "byte-identical to what the device signed"
    assert resetcode.decode_request_file(request_file).serial == model.identity.serial
    with VendorDesk(running, tmp_path / "support.sqlite") as desk:
        issued = desk.issue(request_file)

    refused = await reset_over_sadp("127.0.0.1", mac, forged_code(request_file), NEW_PASSWORD, port=sadp_port)
    assert (refused.result, refused.reason) == (Result.DENIED, "unknown_key")
    assert model.lock_status("127.0.0.1").attempts_left == 4, "a checked code counts like a wrong password"

    done = await reset_over_sadp("127.0.0.1", mac, issued.file, NEW_PASSWORD, port=sadp_port)
    assert done.ok and model.user(1).password.matches(NEW_PASSWORD)
    again = await reset_over_sadp("127.0.0.1", mac, issued.typed, "Another#Passw0rd", port=sadp_port)
    assert (again.result, again.reason) == (Result.FAILURE, "no_pending_request")
    for secret in (NEW_PASSWORD, issued.typed, issued.typed.replace("-", "")):
        assert secret not in caplog.text and secret not in repr(done) and secret not in repr(refused)
