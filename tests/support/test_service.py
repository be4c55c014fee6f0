from __future__ import annotations

import base64
import logging
from datetime import timedelta

import pytest

from camvault.errors import CaseNotFound, MalformedMessage, MessageTooLarge, RequestRejected, ResetCodeInvalid
from camvault.protocols import resetcode
from camvault.support.keys import init_keys, load_public_keyring, rotate_keys
from camvault.support.policy import PolicyConfig
from camvault.support.store import CaseStatus
from tests.support.conftest import PASSPHRASE, START, Vendor


def approved_case(vendor: Vendor, data: bytes) -> int:
    case = vendor.service.receive_request(data, actor="alice")
    assert case.status == CaseStatus.VERIFIED, case.refusal_message
    vendor.service.record_ownership(case.id, operator="alice", note="invoice #4411 and photo of the label")
    vendor.service.approve(case.id, operator="bob")
    return case.id


def test_the_whole_honest_path(vendor: Vendor) -> None:
    device = vendor.manufacture()
    data = device.export(START - timedelta(minutes=10))  # the device clock runs 10 minutes behind
    vendor.clock.advance(60)
    case = vendor.service.receive_request(data, actor="alice")
    assert case.status == CaseStatus.VERIFIED
    assert (case.serial, case.model) == (device.serial, device.model)
    assert case.skew == timedelta(minutes=-11)
    assert case.signature_verified
    case = vendor.service.record_ownership(case.id, operator="alice", note="invoice checked")
    assert (case.ownership_operator, case.ownership_note) == ("alice", "invoice checked")
    assert vendor.service.approve(case.id, operator="alice").status == CaseStatus.APPROVED
    issued = vendor.service.issue_code(case.id, operator="alice", sync_ipc_password=True)
    assert issued.expiry_on_device_clock == START - timedelta(minutes=10) + resetcode.DEFAULT_REQUEST_VALIDITY
    details = vendor.service.show_case(case.id)
    assert details.case.status == CaseStatus.ISSUED
    assert details.issued is not None
    assert details.issued.fingerprint == issued.fingerprint
    assert [entry.action for entry in details.history] == [
        "request_received",
        "request_verified",
        "ownership_verified",
        "case_approved",
        "code_issued",
    ]
    accepted = device.import_code(issued.typed, START + timedelta(hours=1))
    assert accepted.sync_ipc_password
    assert accepted.code_id == issued.code_id
    assert vendor.service.verify_audit().ok


def test_the_code_file_works_too_and_only_once(vendor: Vendor) -> None:
    device = vendor.manufacture()
    case_id = approved_case(vendor, device.export(START))
    issued = vendor.service.issue_code(case_id, operator="bob")
    pending = device.pending
    device.import_code(issued.file, START)
    device.pending = pending  # even a device that failed to forget its nonce refuses the replay
    with pytest.raises(ResetCodeInvalid) as caught:
        device.import_code(issued.typed, START)
    assert caught.value.reason == "replayed"


def test_a_reboot_before_import_voids_the_code(vendor: Vendor) -> None:
    device = vendor.manufacture()
    issued = vendor.service.issue_code(approved_case(vendor, device.export(START)), operator="bob")
    device.reboot()
    with pytest.raises(ResetCodeInvalid) as caught:
        device.import_code(issued.typed, START)
    assert caught.value.reason == "no_pending_request"


def test_a_newer_export_voids_the_code_for_the_older_request(vendor: Vendor) -> None:
    device = vendor.manufacture()
    issued = vendor.service.issue_code(approved_case(vendor, device.export(START)), operator="bob")
    device.export(START + timedelta(minutes=1))
    with pytest.raises(ResetCodeInvalid) as caught:
        device.import_code(issued.typed, START + timedelta(minutes=2))
    assert caught.value.reason == "bad_signature"


def test_a_code_for_one_device_does_not_open_another(vendor: Vendor) -> None:
    device, neighbour = vendor.manufacture(), vendor.manufacture()
    issued = vendor.service.issue_code(approved_case(vendor, device.export(START)), operator="bob")
    neighbour.export(START)
    neighbour.pending = device.pending  # even with the very same nonce
    with pytest.raises(ResetCodeInvalid) as caught:
        neighbour.import_code(issued.typed, START)
    assert caught.value.reason == "bad_signature"


def test_tampered_request_is_refused_as_bad_signature(vendor: Vendor) -> None:
    device = vendor.manufacture()
    data = device.export(START).replace(
        b'"firmware": "V5.6.2build 190701"', b'"firmware": "V5.6.3build 190701"'
    )
    case = vendor.service.receive_request(data, actor="alice")
    assert case.status == CaseStatus.REFUSED
    assert case.refusal_reason == "bad_signature"
    assert not case.signature_verified


def test_request_from_a_device_of_another_vendor_ca_is_refused(vendor: Vendor) -> None:
    other_dir = vendor.key_dir.parent / "other-vendor"
    init_keys(other_dir, passphrase=PASSPHRASE, now=START - timedelta(days=1))
    original = vendor.key_dir
    vendor.key_dir = other_dir
    stranger = vendor.manufacture(trust=load_public_keyring(other_dir))
    vendor.key_dir = original
    case = vendor.service.receive_request(stranger.export(START), actor="alice")
    assert case.refusal_reason == "bad_signature"
    assert "trusted device CA" in (case.refusal_message or "")


@pytest.mark.parametrize(
    ("data", "error"),
    [(b"", MalformedMessage), (b"x" * (resetcode.MAX_REQUEST_FILE_BYTES + 1), MessageTooLarge)],
)
def test_unreadable_files_make_no_case_but_are_audited(vendor: Vendor, data: bytes, error: type) -> None:
    with pytest.raises(error):
        vendor.service.receive_request(data, actor="alice")
    assert vendor.service.list_cases() == []
    entries = vendor.service.audit_entries()
    assert [e.action for e in entries] == ["request_unreadable"]
    assert entries[0].details["bytes"] == len(data)


def test_truncated_file_is_refused(vendor: Vendor) -> None:
    data = vendor.manufacture().export(START)
    with pytest.raises(MalformedMessage):
        vendor.service.receive_request(data[: len(data) // 2], actor="alice")


def test_stolen_serial_is_refused_on_receipt_and_at_issue(vendor: Vendor) -> None:
    thief_holds, owner_holds = vendor.manufacture(), vendor.manufacture()
    vendor.service.report_stolen(thief_holds.serial, operator="carol", note="police report 2026/118")
    case = vendor.service.receive_request(thief_holds.export(START), actor="alice")
    assert (case.status, case.refusal_reason) == (CaseStatus.REFUSED, "reported_stolen")
    case_id = approved_case(vendor, owner_holds.export(START))
    vendor.service.report_stolen(owner_holds.serial, operator="carol")
    with pytest.raises(RequestRejected) as caught:
        vendor.service.issue_code(case_id, operator="bob")
    assert caught.value.reason == "reported_stolen"
    assert vendor.service.show_case(case_id).case.status == CaseStatus.REFUSED
    assert vendor.service.show_case(case_id).issued is None


def test_replayed_request_file_is_refused(vendor: Vendor) -> None:
    data = vendor.manufacture().export(START)
    assert vendor.service.receive_request(data, actor="alice").status == CaseStatus.VERIFIED
    again = vendor.service.receive_request(data, actor="alice")
    assert again.refusal_reason == "duplicate_nonce"


def test_expired_request_is_refused_on_receipt_and_at_issue(vendor: Vendor) -> None:
    device = vendor.manufacture()
    late = device.export(START)
    vendor.clock.advance(49 * 3600)
    assert vendor.service.receive_request(late, actor="alice").refusal_reason == "expired"
    case_id = approved_case(vendor, device.export(vendor.clock.now()))
    vendor.clock.advance(48 * 3600)
    with pytest.raises(RequestRejected) as caught:
        vendor.service.issue_code(case_id, operator="bob")
    assert caught.value.reason == "expired"


def test_old_request_and_fast_clock(vendor: Vendor) -> None:
    vendor.reopen(policy=PolicyConfig(validity_window=timedelta(hours=12)))
    device = vendor.manufacture()
    vendor.clock.advance(13 * 3600)
    assert vendor.service.receive_request(device.export(START), actor="a").refusal_reason == "too_old"
    ahead = device.export(vendor.clock.now() + timedelta(days=2))
    assert vendor.service.receive_request(ahead, actor="a").refusal_reason == "clock_ahead"


def test_too_many_requests_for_one_serial(vendor: Vendor) -> None:
    vendor.reopen(policy=PolicyConfig(max_requests_per_day=2, max_requests_per_week=4))
    device = vendor.manufacture()
    outcomes = []
    for _ in range(3):
        outcomes.append(vendor.service.receive_request(device.export(vendor.clock.now()), actor="a").status)
        vendor.clock.advance(3600)
    assert outcomes == [
        CaseStatus.VERIFIED,
        CaseStatus.VERIFIED,
        CaseStatus.REFUSED,
    ]  # refused ones count too
    vendor.clock.advance(24 * 3600)
    assert vendor.service.receive_request(device.export(vendor.clock.now()), actor="a").status == "verified"
    vendor.clock.advance(24 * 3600)
    refused = vendor.service.receive_request(device.export(vendor.clock.now()), actor="a")
    assert refused.refusal_reason == "too_many_requests"
    assert "7 days" in (refused.refusal_message or "")


def test_forgeries_do_not_use_up_a_victims_limits(vendor: Vendor) -> None:
    vendor.reopen(policy=PolicyConfig(max_requests_per_day=1, max_requests_per_week=1))
    victim = vendor.manufacture()
    genuine = victim.export(START)
    forged = genuine.replace(b'"firmware": "V5.6.2build 190701"', b'"firmware": "V0.0.1build 000000"')
    for _ in range(3):
        assert vendor.service.receive_request(forged, actor="mallory").refusal_reason == "bad_signature"
    assert vendor.service.receive_request(genuine, actor="alice").status == CaseStatus.VERIFIED


def test_approval_needs_a_recorded_ownership_check(vendor: Vendor) -> None:
    case = vendor.service.receive_request(vendor.manufacture().export(START), actor="alice")
    with pytest.raises(RequestRejected) as caught:
        vendor.service.approve(case.id, operator="bob")
    assert caught.value.reason == "ownership_not_verified"


def test_two_person_rule(vendor: Vendor) -> None:
    vendor.reopen(two_person_rule=True)
    case = vendor.service.receive_request(vendor.manufacture().export(START), actor="alice")
    vendor.service.record_ownership(case.id, operator="alice", note="called the owner back")
    with pytest.raises(RequestRejected) as caught:
        vendor.service.approve(case.id, operator="alice")
    assert caught.value.reason == "two_person_rule"
    assert vendor.service.approve(case.id, operator="bob").status == CaseStatus.APPROVED


def test_wrong_status_transitions(vendor: Vendor) -> None:
    case = vendor.service.receive_request(vendor.manufacture().export(START), actor="alice")
    with pytest.raises(RequestRejected) as caught:
        vendor.service.issue_code(case.id, operator="bob")
    assert caught.value.reason == "wrong_status"
    vendor.service.refuse(case.id, operator="bob", reason="caller could not prove ownership")
    refused = vendor.service.show_case(case.id).case
    assert (refused.refusal_reason, refused.refusal_message) == (
        "operator",
        "caller could not prove ownership",
    )
    for action in (
        lambda: vendor.service.record_ownership(case.id, operator="a", note="n"),
        lambda: vendor.service.approve(case.id, operator="a"),
        lambda: vendor.service.refuse(case.id, operator="a", reason="again"),
    ):
        with pytest.raises(RequestRejected) as caught:
            action()
        assert caught.value.reason == "wrong_status"


def test_a_case_is_issued_once(vendor: Vendor) -> None:
    case_id = approved_case(vendor, vendor.manufacture().export(START))
    vendor.service.issue_code(case_id, operator="bob")
    with pytest.raises(RequestRejected) as caught:
        vendor.service.issue_code(case_id, operator="bob")
    assert caught.value.reason == "wrong_status"


def test_unknown_case_and_bad_input(vendor: Vendor) -> None:
    with pytest.raises(CaseNotFound) as caught:
        vendor.service.show_case(404)
    assert caught.value.reason == "unknown_case"
    case = vendor.service.receive_request(vendor.manufacture().export(START), actor="alice")
    for operator, note in (("", "note"), ("a" * 65, "note"), ("alice", ""), ("alice", "x" * 2001)):
        with pytest.raises(RequestRejected) as caught:
            vendor.service.record_ownership(case.id, operator=operator, note=note)
        assert caught.value.reason == "invalid_input"
    with pytest.raises(RequestRejected):
        vendor.service.report_stolen("not a serial!", operator="carol")


def test_code_ids_are_never_reused(vendor: Vendor) -> None:
    draws = iter([5, 5, 5, 6])
    vendor.reopen(new_code_id=lambda: next(draws))
    first = vendor.service.issue_code(approved_case(vendor, vendor.manufacture().export(START)), operator="b")
    second = vendor.service.issue_code(
        approved_case(vendor, vendor.manufacture().export(START)), operator="b"
    )
    assert (first.code_id, second.code_id) == (5, 6)


def test_rotation_keeps_field_devices_working_and_the_audit_verifiable(vendor: Vendor) -> None:
    field_device = vendor.manufacture()  # trusts {current, next} of today
    vendor.service.issue_code(approved_case(vendor, vendor.manufacture().export(START)), operator="bob")
    rotate_keys(vendor.key_dir, passphrase=PASSPHRASE, now=vendor.clock.now())
    vendor.reopen()
    issued = vendor.service.issue_code(approved_case(vendor, field_device.export(START)), operator="bob")
    assert issued.key_id == vendor.keyring().by_role("current").key_id
    field_device.import_code(issued.typed, START)
    report = vendor.service.verify_audit()
    assert report.ok, report.problem
    signers = {entry.key_id for entry in vendor.service.audit_entries()}
    assert len(signers) == 2  # entries from before and after the rotation


def test_audit_verify_names_a_row_edited_in_sqlite(vendor: Vendor) -> None:
    vendor.service.issue_code(approved_case(vendor, vendor.manufacture().export(START)), operator="bob")
    connection = vendor.store.connection
    connection.execute("DROP TRIGGER audit_entry_is_append_only_update")
    connection.execute("UPDATE audit_entry SET actor = 'nobody' WHERE action = 'case_approved'")
    report = vendor.service.verify_audit()
    assert not report.ok
    assert report.first_bad_seq == 4


def test_no_secret_in_logs_store_or_audit(vendor: Vendor, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    device = vendor.manufacture()
    case_id = approved_case(vendor, device.export(START))
    issued = vendor.service.issue_code(case_id, operator="bob")
    code = resetcode.decode_code_file(issued.file)
    compact = issued.typed.replace("-", "")
    signature_forms = [code.signature.hex(), base64.b64encode(code.signature).decode()]
    assert f"case {case_id}: code {issued.code_id}" in caplog.text
    for secret in [issued.typed, compact[:25], compact[-25:], *signature_forms, PASSPHRASE]:
        assert secret not in caplog.text
    database = (vendor.key_dir.parent / "support.sqlite").read_bytes()
    wal = vendor.key_dir.parent / "support.sqlite-wal"
    everything = database + (wal.read_bytes() if wal.exists() else b"")
    assert code.signature not in everything
    for secret in [compact[:25], *signature_forms]:
        assert secret.encode() not in everything
    assert "typed" not in repr(issued)
    assert compact[:25] not in repr(issued)
