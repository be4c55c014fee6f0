"""Vendor-support reset from the Forgot-password page in real Chromium, with the real support service."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from camvault.device.model import UserLevel
from camvault.device.model.vendor_trust import manufacture
from camvault.protocols import resetcode
from tests.browser.conftest import SCREENSHOTS, ServedDevice
from tests.device.isapi.recovery_client import Device
from tests.device.model.conftest import STRONG
from tests.device.support.conftest import NEW_ADMIN, START, Vendor, vendor  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser


@pytest.fixture
def supported_device(vendor: Vendor) -> Iterator[ServedDevice]:  # noqa: F811
    device = Device()
    device.clock.set_wall(START)  # the device's clock agrees with support's
    model = device.model
    model.add_user(model.user(1), name="guard", password="Night-Shift-21", level=UserLevel.VIEWER)
    model.vendor_support.trust = manufacture(vendor.material(), model.identity)
    served = ServedDevice(device)
    yield served
    served.stop()


def test_a_locked_out_owner_resets_with_a_support_code(
    page: Page,
    supported_device: ServedDevice,
    vendor: Vendor,  # noqa: F811
    tmp_path: Path,
) -> None:
    served = supported_device
    model = served.device.model
    served.run(lambda: [model.attempt_login("admin", "127.0.0.1", lambda account: False) for _ in range(5)])
    assert served.run(lambda: model.lock_status("127.0.0.1").locked)

    page.goto(served.url + "/doc/page/pwdReset.asp")
    page.click("a[data-method=support-code]")
    expect(page.locator("#method-support-code")).to_contain_text(model.identity.serial)
    with page.expect_download() as download_info:
        page.click("#support-export-submit")
    download = download_info.value
    assert download.suggested_filename == f"ResetRequest_{model.identity.serial}.txt"
    request_file = tmp_path / download.suggested_filename
    download.save_as(request_file)
    expect(page.locator("#support-export-message")).to_contain_text("The reset request is exported")

    issued = vendor.issue(request_file.read_bytes())  # support: verify, ownership, approve, issue

    typo = ("1" if issued.typed[3] != "1" else "2").join((issued.typed[:3], issued.typed[4:]))
    page.fill("#support-code", typo)
    page.fill("#support-password", NEW_ADMIN)
    page.fill("#support-confirm", NEW_ADMIN)
    page.click("#support-code-submit")
    expect(page.locator("#support-code-message")).to_contain_text("The code has a typo")

    page.fill("#support-code", issued.typed)
    page.fill("#support-password", NEW_ADMIN)
    page.fill("#support-confirm", NEW_ADMIN)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#method-support-code").screenshot(path=str(SCREENSHOTS / "support-reset.png"))
    page.click("#support-code-submit")
    expect(page.locator("#support-code-message")).to_have_text(
        "The new admin password is set. Log in with it."
    )
    page.wait_for_url("**/login.asp")

    page.fill("#login-username", "admin")
    page.fill("#login-password", NEW_ADMIN)
    page.click("#login-submit")
    page.wait_for_url("**/users.asp")
    expect(page.locator("body")).to_contain_text("guard")  # the other user is still there
    assert served.run(lambda: model.user(1).password.matches(NEW_ADMIN))


def test_the_code_file_and_a_code_for_an_older_request(
    page: Page,
    supported_device: ServedDevice,
    vendor: Vendor,  # noqa: F811
    tmp_path: Path,
) -> None:
    served = supported_device
    model = served.device.model
    page.goto(served.url + "/doc/page/pwdReset.asp")
    with page.expect_download() as first:
        page.click("#support-export-submit")
    old = vendor.issue(Path(first.value.path()).read_bytes())
    with page.expect_download() as second:
        page.click("#support-export-submit")  # a new export: the first request's code stops working
    new = vendor.issue(Path(second.value.path()).read_bytes())

    old_file = tmp_path / "old-code.txt"
    old_file.write_bytes(old.file)
    page.set_input_files("#support-code-file", str(old_file))
    page.fill("#support-password", NEW_ADMIN)
    page.fill("#support-confirm", NEW_ADMIN)
    page.click("#support-code-submit")
    expect(page.locator("#support-code-message")).to_contain_text(
        "does not answer this device's latest request"
    )
    expect(page.locator("#support-code-message")).to_contain_text("4 attempts left")
    assert served.run(lambda: model.user(1).password.matches(STRONG))

    new_file = tmp_path / "new-code.txt"
    new_file.write_bytes(new.file)
    page.set_input_files("#support-code-file", str(new_file))
    page.fill("#support-password", NEW_ADMIN)
    page.fill("#support-confirm", NEW_ADMIN)
    page.click("#support-code-submit")
    expect(page.locator("#support-code-message")).to_have_text(
        "The new admin password is set. Log in with it."
    )
    assert served.run(lambda: model.user(1).password.matches(NEW_ADMIN))
    assert resetcode.decode_code_file(new.file).code_id in served.run(
        lambda: model.vendor_support.used_code_ids
    )
