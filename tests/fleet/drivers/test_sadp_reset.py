"""The vendor-support reset over SADP as the recovery guide uses it: the budget's rules, the driver's errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from camvault.clock import ManualClock
from camvault.errors import AuthenticationFailed, DeviceRefused, DeviceTimeout, UnsupportedOperation
from camvault.fleet.drivers import AttemptBudget
from camvault.fleet.drivers.sadp_reset import SadpVendorReset
from tests.device.discovery.conftest import DiscoveryLab, discovery_lab, free_udp_port, ports  # noqa: F401
from tests.device.lab.conftest import make_lab  # noqa: F401 - the fixture discovery_lab needs
from tests.fleet.vendor_desk import VendorDesk, forged_code

NEW = "Fresh#Passw0rd-7"


async def test_a_denied_code_is_counted_and_never_resent_then_the_right_one_works(
    discovery_lab: DiscoveryLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    running = await discovery_lab()
    sadp_port, _ = ports(running)
    model = running.lab.device("quiet").model
    budget = AttemptBudget(clock=ManualClock())
    channel = SadpVendorReset("127.0.0.1", model.identity.mac, budget=budget, name="quiet", port=sadp_port)
    request_file = await channel.export_reset_request()
    with VendorDesk(running, tmp_path / "support.sqlite") as desk:
        issued = desk.issue(request_file)
    forged = forged_code(request_file)
    with pytest.raises(AuthenticationFailed, match="unknown_key"):
        await channel.reset_with_code(forged, NEW)
    assert budget.state("quiet").failures == 1
    with pytest.raises(AuthenticationFailed, match="already rejected"):
        await channel.reset_with_code(forged.lower(), NEW)
    assert model.lock_status("127.0.0.1").attempts_left == 4, "the resend never left"
    with pytest.raises(DeviceRefused, match="nothing was sent"):
        await channel.reset_with_code(issued.typed, "")

    await channel.reset_with_code(issued.typed, NEW)
    assert model.user(1).password.matches(NEW)
    assert budget.state("quiet").failures == 0
    with pytest.raises(DeviceRefused, match="no_pending_request"):
        await channel.reset_with_code(issued.typed, "Another#Pw-2025")


async def test_errors_name_the_device_and_an_old_firmware_has_no_vendor_reset(
    discovery_lab: DiscoveryLab,  # noqa: F811
) -> None:
    running = await discovery_lab(
        [{"label": "old", "firmware": "V5.2.5 build 141201", "admin_password": "Old#Camera-2016"}]
    )
    sadp_port, _ = ports(running)
    model = running.lab.device("old").model
    budget = AttemptBudget(clock=ManualClock())
    channel = SadpVendorReset("127.0.0.1", model.identity.mac, budget=budget, name="old", port=sadp_port)
    with pytest.raises(UnsupportedOperation, match=r"^old: "):
        await channel.export_reset_request()
    silent = SadpVendorReset(
        "127.0.0.1", model.identity.mac, budget=budget, name="old", port=free_udp_port(), answer_seconds=0.3
    )
    with pytest.raises(DeviceTimeout, match=r"^old: "):
        await silent.export_reset_request()
