"""The Forgot-password page's vendor-support section, in process (the browser flow is in tests/browser)."""

from __future__ import annotations

from camvault.device.model import DeviceModel
from tests.device.support.conftest import Vendor, made_device, serve


async def test_current_firmware_offers_export_and_code_entry(camera: DeviceModel) -> None:
    async with serve(camera).client() as client:
        page = (await client.get("/doc/page/pwdReset.asp")).text
    assert 'id="method-support-code"' in page and 'data-method="support-code"' in page
    assert 'id="support-export-form"' in page and 'id="support-code-form"' in page
    assert camera.identity.serial in page
    assert "48 hours" in page
    assert 'id="method-legacy-security-code"' not in page


async def test_legacy_firmware_explains_the_security_code_and_warns(vendor: Vendor) -> None:
    legacy = made_device(vendor, firmware="V5.2.5 build 141201")
    async with serve(legacy).client() as client:
        page = (await client.get("/doc/page/pwdReset.asp")).text
    assert 'data-method="legacy-security-code"' in page and 'id="method-legacy-security-code"' in page
    assert "<strong>12345</strong>" in page and 'id="legacy-code-warning"' in page
    assert 'id="support-code-form"' not in page and 'id="support-export-form"' not in page
