"""Properties: whatever arrives as a code, the device never resets without a valid one; records round-trip."""

from __future__ import annotations

from datetime import date
from xml.etree.ElementTree import Element, SubElement

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from camvault.device.model import DeviceModel
from camvault.device.model import vendor_support as vs
from camvault.device.model.vendor_trust import manufacture, restore_vendor_trust
from camvault.errors import InvalidContent
from camvault.protocols import resetcode
from camvault.protocols.isapi.documents.reset import PasswordResetCode
from camvault.support.keys import load_vendor_keys
from tests.device.model.conftest import STRONG
from tests.device.support.conftest import NEW_ADMIN, VENDOR_PASSPHRASE, Vendor

REASONS = {
    "malformed",
    "checksum",
    "no_pending_request",
    "unknown_key",
    "bad_signature",
    "replayed",
    "expired",
}
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ-"
FIXTURES = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FIXTURES
@given(
    code=st.one_of(
        st.text(max_size=300),
        st.text(alphabet=CROCKFORD, min_size=120, max_size=160),
        st.binary(max_size=resetcode.MAX_CODE_FILE_BYTES + 10),
    )
)
def test_no_input_but_a_valid_code_resets(vendor: Vendor, camera: DeviceModel, code: str | bytes) -> None:
    camera.lock.clear()
    if camera.vendor_support.pending is None:
        vs.export_request(camera, source="x")
    verdict = vs.reset_with_code(camera, code, NEW_ADMIN, source="10.0.0.5")
    assert not verdict.accepted and verdict.reason in REASONS
    assert camera.user(1).password.matches(STRONG)


@FIXTURES
@given(flips=st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=3))
def test_any_edit_of_a_genuine_code_file_is_refused(
    vendor: Vendor, camera: DeviceModel, flips: list[int]
) -> None:
    camera.lock.clear()
    camera.modify_user(camera.user(1), 1, password=STRONG)
    request = resetcode.decode_request_file(vs.export_request(camera, source="x").content)
    signing_key = load_vendor_keys(vendor.key_dir, VENDOR_PASSPHRASE).signing_key
    genuine = resetcode.issue_reset_code(
        signing_key, serial=request.serial, nonce=request.nonce, expiry=request.expiry, code_id=len(flips)
    )
    data = bytearray(resetcode.encode_code_file(genuine))
    for flip in flips:
        data[flip % len(data)] ^= 0x01
    verdict = vs.reset_with_code(camera, bytes(data), NEW_ADMIN, source="10.0.0.5")
    if verdict.accepted:
        # only an edit the device ignores (layout, or the informative serial and nonce) leaves it valid
        edited = resetcode.decode_code_file(bytes(data))
        assert (edited.key_id, edited.expiry, edited.code_id, edited.signature) == (
            genuine.key_id,
            genuine.expiry,
            genuine.code_id,
            genuine.signature,
        )
        assert edited.sync_ipc_password == genuine.sync_ipc_password
    else:
        assert verdict.reason in REASONS
        assert camera.user(1).password.matches(STRONG)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.binary(min_size=32, max_size=32))
def test_vendor_trust_records_round_trip(vendor: Vendor, camera: DeviceModel, seed: bytes) -> None:
    trust = manufacture(vendor.material(), camera.identity, random_bytes=lambda count: seed[:count])
    restored = restore_vendor_trust(trust.public_record(), trust.private_record(), serial="S")
    assert restored is not None
    assert restored.private_record() == trust.private_record()
    assert restored.public_record() == trust.public_record()


@settings(max_examples=200, deadline=None)
@given(
    serial=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", min_size=1, max_size=48),
    day=st.dates(min_value=date(1970, 1, 1), max_value=date(2099, 12, 31)),
)
def test_legacy_codes_use_the_documented_alphabet(serial: str, day: date) -> None:
    code = vs.legacy_security_code(serial, day)
    assert 1 <= len(code) <= 10
    assert set(code) <= set("QRSqrdeyz9")


@settings(max_examples=100, deadline=None)
@given(
    typed=st.one_of(st.none(), st.text(min_size=1, max_size=50).filter(str.strip)),
    password=st.text(max_size=50),
)
def test_the_code_document_reads_back_what_it_writes(typed: str | None, password: str) -> None:
    root = Element("PasswordResetCode")
    if typed is not None:
        SubElement(root, "resetCode").text = typed
    SubElement(root, "password").text = password
    if typed is None or not password.strip():
        with pytest.raises(InvalidContent):
            PasswordResetCode.from_element(root)
        return
    document = PasswordResetCode.from_element(root)
    assert document.reset_code == typed.strip() and document.reset_code_file is None
