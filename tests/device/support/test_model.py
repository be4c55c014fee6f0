"""The device's half of vendor-support reset, on the model: export, import, every refusal, the legacy code."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from camvault.device.model import DeviceModel, Kind, ResetMode, UserLevel
from camvault.device.model import vendor_support as vs
from camvault.device.model.accounts import LEGACY_DEFAULT_PASSWORD
from camvault.device.model.channels import ChannelProtocol
from camvault.errors import DeviceRefusal
from camvault.protocols import resetcode
from tests.device.model.conftest import STRONG
from tests.device.support.conftest import NEW_ADMIN, Vendor, made_device

OWNER = "10.0.0.5"
STRANGER = "10.0.0.66"


def export(model: DeviceModel, source: str = OWNER) -> bytes:
    return vs.export_request(model, source=source).content


def reset(
    model: DeviceModel, code: str | bytes, password: str = NEW_ADMIN, source: str = OWNER
) -> vs.CodeVerdict:
    return vs.reset_with_code(model, code, password, source=source)


def fail_logins(model: DeviceModel, source: str, times: int) -> None:
    for _ in range(times):
        model.attempt_login("admin", source, lambda account: False)


def failures_of(model: DeviceModel, source: str) -> int:
    return model.settings.lock.max_attempts - model.lock_status(source).attempts_left


# ------------------------------------------------------------------ the honest path


def test_export_is_a_signed_request_naming_this_device(vendor: Vendor, camera: DeviceModel) -> None:
    exported = vs.export_request(camera, source=OWNER)
    request = resetcode.decode_request_file(exported.content)
    verified = resetcode.verify_reset_request(request, [vendor.material().ca_certificate], vendor.clock.now())
    identity = camera.identity
    assert (request.serial, request.model, request.mac) == (identity.serial, identity.model, identity.mac)
    assert request.firmware == str(camera.firmware)
    assert request.device_time == camera.now()
    assert request.expiry == camera.now() + timedelta(hours=48) == exported.expiry
    assert verified.identity.serial == identity.serial
    assert exported.filename == f"ResetRequest_{identity.serial}.txt"
    assert camera.vendor_support.pending is not None
    assert camera.vendor_support.pending.nonce == request.nonce
    assert camera.vendor_support.pending.file == exported.content
    assert [entry.kind for entry in camera.log.entries()] == [vs.LOG_REQUEST_EXPORTED]
    assert camera.log.entries()[0].source == OWNER


def test_the_code_resets_only_the_admin_password(vendor: Vendor, camera: DeviceModel) -> None:
    admin = camera.user(1)
    camera.add_user(admin, name="guard", password="Night-Shift-21", level=UserLevel.VIEWER)
    camera.rename("Lobby camera")
    camera.set_lock_settings(enabled=True, max_attempts=4, lock_seconds=900)
    challenge = camera.begin_session_login("guard")
    outcome, session = camera.complete_session_login(
        challenge.session_id, "guard", "10.0.0.9", lambda *_: True
    )
    assert outcome.ok and session is not None
    fail_logins(camera, OWNER, 4)
    assert camera.lock_status(OWNER).locked  # the owner guessed until the lock tripped
    before = camera.to_snapshot()

    issued = vendor.issue(export(camera))
    verdict = reset(camera, issued.typed)

    assert verdict.accepted and verdict.reason is None
    assert camera.user(1).password.matches(NEW_ADMIN)
    assert not camera.lock_status(OWNER).locked
    assert camera.session(challenge.session_id) is None  # every session ended
    after = camera.to_snapshot()
    for key in ("settings", "channels", "recovery", "activated", "firmware", "onvif"):
        assert after[key] == before[key], key
    assert [a for a in after["accounts"] if a["id"] != 1] == [a for a in before["accounts"] if a["id"] != 1]
    assert camera.vendor_support.pending is None
    assert camera.vendor_support.used_code_ids == (issued.code_id,)
    entry = camera.log.entries(vs.LOG_SUPPORT_RESET)[-1]
    assert str(issued.code_id) in entry.detail and entry.source == OWNER


def test_the_code_file_works_as_well_as_the_typed_code(vendor: Vendor, camera: DeviceModel) -> None:
    issued = vendor.issue(export(camera))
    assert reset(camera, issued.file).accepted
    assert camera.user(1).password.matches(NEW_ADMIN)


def test_typed_code_is_forgiving_about_case_and_separators(vendor: Vendor, camera: DeviceModel) -> None:
    issued = vendor.issue(export(camera))
    sloppy = " ".join(issued.typed.lower().split("-"))
    assert reset(camera, sloppy).accepted


def test_an_nvr_code_with_sync_sets_every_channel_password(vendor: Vendor) -> None:
    nvr = made_device(vendor, kind=Kind.NVR)
    for channel_id in (1, 2):
        nvr.set_channel(
            channel_id, address=f"192.0.2.{channel_id}", port=80, username="admin", password="Old-Cam-Pass1"
        )
    nvr.set_channel(
        3,
        address="192.0.2.3",
        port=80,
        username="onvifuser",
        password="Other-Pass-2",
        protocol=ChannelProtocol.ONVIF,
    )
    verdict = reset(nvr, vendor.issue(export(nvr), sync_ipc_password=True).typed)
    assert verdict.accepted and verdict.synced_channels == 3
    assert all(channel.password.matches(NEW_ADMIN) for channel in nvr.channels.values())
    assert [channel.username for channel in nvr.channels.values()] == ["admin", "admin", "onvifuser"]
    assert "3 IP channel passwords" in nvr.log.entries(vs.LOG_SUPPORT_RESET)[-1].detail


def test_without_the_sync_flag_the_channels_keep_their_passwords(vendor: Vendor) -> None:
    nvr = made_device(vendor, kind=Kind.NVR)
    nvr.set_channel(1, address="192.0.2.1", port=80, username="admin", password="Old-Cam-Pass1")
    verdict = reset(nvr, vendor.issue(export(nvr)).typed)
    assert verdict.accepted and verdict.synced_channels == 0
    assert nvr.channels[1].password.matches("Old-Cam-Pass1")


def test_a_camera_ignores_the_sync_flag(vendor: Vendor, camera: DeviceModel) -> None:
    verdict = reset(camera, vendor.issue(export(camera), sync_ipc_password=True).typed)
    assert verdict.accepted and verdict.synced_channels == 0


# ------------------------------------------------------------------ every refusal changes nothing but the lock


def assert_refused(
    model: DeviceModel, verdict: vs.CodeVerdict, reason: str, *, counted: bool, source: str = OWNER
) -> None:
    assert not verdict.accepted
    assert verdict.reason == reason
    assert verdict.checked is counted
    assert model.user(1).password.matches(STRONG)
    assert failures_of(model, source) == (1 if counted else 0)
    assert not model.log.entries(vs.LOG_SUPPORT_RESET)


def test_a_forged_code_from_an_untrusted_key(vendor: Vendor, camera: DeviceModel) -> None:
    request = resetcode.decode_request_file(export(camera))
    forged = resetcode.issue_reset_code(
        Ed25519PrivateKey.generate(),
        serial=request.serial,
        nonce=request.nonce,
        expiry=request.expiry,
        code_id=7,
    )
    assert_refused(camera, reset(camera, resetcode.encode_typed_code(forged)), "unknown_key", counted=True)


def test_a_forged_signature_under_a_trusted_key_id(vendor: Vendor, camera: DeviceModel) -> None:
    request = resetcode.decode_request_file(export(camera))
    genuine = resetcode.decode_code_file(vendor.issue(resetcode.encode_request_file(request)).file)
    forged = replace(genuine, signature=Ed25519PrivateKey.generate().sign(genuine.signed_bytes()))
    assert_refused(camera, reset(camera, resetcode.encode_typed_code(forged)), "bad_signature", counted=True)


def test_a_code_for_another_device(vendor: Vendor, camera: DeviceModel) -> None:
    other = made_device(vendor, seed=77)
    assert other.identity.serial != camera.identity.serial
    export(camera)
    issued = vendor.issue(export(other))
    assert_refused(camera, reset(camera, issued.typed), "bad_signature", counted=True)
    assert_refused(
        camera,
        reset(camera, issued.file, source="10.0.0.7"),
        "bad_signature",
        counted=True,
        source="10.0.0.7",
    )
    assert reset(other, issued.typed).accepted  # it was a good code, for the other device


def test_a_code_for_an_older_request_after_a_new_export(vendor: Vendor, camera: DeviceModel) -> None:
    issued = vendor.issue(export(camera))
    export(camera, source=STRANGER)  # anyone on the LAN can replace the pending request
    assert_refused(camera, reset(camera, issued.typed), "bad_signature", counted=True)


def test_a_reboot_between_export_and_import(vendor: Vendor, camera: DeviceModel) -> None:
    issued = vendor.issue(export(camera))
    camera.power_off()
    camera.begin_boot()
    camera.finish_boot()
    assert camera.vendor_support.pending is None
    assert_refused(camera, reset(camera, issued.typed), "no_pending_request", counted=False)


def test_no_export_at_all(vendor: Vendor, camera: DeviceModel) -> None:
    other = made_device(vendor, seed=77)
    issued = vendor.issue(export(other))
    assert_refused(camera, reset(camera, issued.typed), "no_pending_request", counted=False)


def test_a_replayed_code_id(vendor: Vendor, camera: DeviceModel) -> None:
    camera.vendor_support.random_bytes = lambda count: b"\x42" * count  # a device that repeats its nonce
    issued = vendor.issue(export(camera))
    assert reset(camera, issued.typed).accepted
    export(camera)  # the same nonce again: the old code's signature verifies, its id does not
    camera.lock.clear()
    verdict = reset(camera, issued.typed, password="Another-Pass-9")
    assert not verdict.accepted and verdict.reason == "replayed" and verdict.checked
    assert camera.user(1).password.matches(NEW_ADMIN)


def test_a_spent_code_does_not_work_twice(vendor: Vendor, camera: DeviceModel) -> None:
    issued = vendor.issue(export(camera))
    assert reset(camera, issued.typed).accepted
    verdict = reset(camera, issued.typed, password="Another-Pass-9")
    assert verdict.reason == "no_pending_request"
    assert camera.user(1).password.matches(NEW_ADMIN)


def test_an_expired_code(vendor: Vendor, camera: DeviceModel) -> None:
    issued = vendor.issue(export(camera))
    vendor.clock.advance(48 * 3600 + 60)  # the owner waited too long
    assert_refused(camera, reset(camera, issued.typed), "expired", counted=True)


def test_a_device_clock_moved_past_the_expiry(vendor: Vendor, camera: DeviceModel) -> None:
    issued = vendor.issue(export(camera))
    camera.set_time(camera.now() + timedelta(days=3))
    assert_refused(camera, reset(camera, issued.typed), "expired", counted=True)


def test_a_device_clock_moved_back_does_not_help_an_old_request(vendor: Vendor, camera: DeviceModel) -> None:
    issued = vendor.issue(export(camera))
    vendor.clock.advance(49 * 3600)
    camera.set_time(
        camera.now() - timedelta(days=2)
    )  # the code's expiry is signed; only the device clock moved
    assert reset(camera, issued.typed).accepted  # the documented residual: expiry is on the device's clock


def test_a_typo_is_a_checksum_error_that_costs_nothing(vendor: Vendor, camera: DeviceModel) -> None:
    typed = vendor.issue(export(camera)).typed
    position = 10
    wrong = "1" if typed[position] != "1" else "2"
    assert_refused(
        camera, reset(camera, typed[:position] + wrong + typed[position + 1 :]), "checksum", counted=False
    )


def _other_trusted_key(model: DeviceModel, key_id: int) -> int:
    assert model.vendor_support.trust is not None
    return next(key for key in model.vendor_support.trust.trusted_reset_keys() if key != key_id)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda code, model: replace(code, code_id=code.code_id ^ 1),
        lambda code, model: replace(code, sync_ipc_password=not code.sync_ipc_password),
        lambda code, model: replace(code, expiry=code.expiry + timedelta(days=365)),
        lambda code, model: replace(
            code, key_id=_other_trusted_key(model, code.key_id)
        ),  # the "next" key's id
    ],
    ids=["code_id", "sync_flag", "expiry", "key_id"],
)
def test_tampered_code_fields(vendor: Vendor, camera: DeviceModel, tamper: object) -> None:
    code = resetcode.decode_code_file(vendor.issue(export(camera)).file)
    tampered = tamper(code, camera)  # type: ignore[operator]
    assert_refused(camera, reset(camera, resetcode.encode_code_file(tampered)), "bad_signature", counted=True)
    assert_refused(
        camera,
        reset(camera, resetcode.encode_typed_code(tampered), source="10.0.0.8"),
        "bad_signature",
        counted=True,
        source="10.0.0.8",
    )


def test_the_device_checks_its_own_serial_and_nonce_not_the_files(
    vendor: Vendor, camera: DeviceModel
) -> None:
    """The file's serial and nonce are for people; the signature is checked over what the device knows."""
    code = resetcode.decode_code_file(vendor.issue(export(camera)).file)
    edited = replace(code, serial="DS-2CD2385G1-I20200414AAWRE00000001", nonce=bytes(16))
    assert reset(camera, resetcode.encode_code_file(edited)).accepted


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # truncated
        lambda data: data[:-40],  # lost its end line
        lambda data: data + b" " * resetcode.MAX_CODE_FILE_BYTES,  # oversized
        lambda data: b"\xff\xfe" + data,  # not UTF-8
        lambda data: data.replace(b'"code_id"', b'"code_id_"'),  # unknown field
        lambda data: data.replace(b'"format"', b'"format": "x", "format"'),  # duplicated field
        lambda data: b"",
    ],
)
def test_damaged_code_files_are_malformed_and_free(
    vendor: Vendor, camera: DeviceModel, damage: object
) -> None:
    data = vendor.issue(export(camera)).file
    assert_refused(camera, reset(camera, damage(data)), "malformed", counted=False)  # type: ignore[operator]


@pytest.mark.parametrize("typed", ["", "ABCDE", "Ü" * 125, "0" * 10_000, "?" * 125])
def test_garbage_typed_codes_are_malformed(vendor: Vendor, camera: DeviceModel, typed: str) -> None:
    export(camera)
    assert_refused(camera, reset(camera, typed), "malformed", counted=False)


def test_a_refused_new_password_costs_no_attempt_and_keeps_the_request(
    vendor: Vendor, camera: DeviceModel
) -> None:
    issued = vendor.issue(export(camera))
    with pytest.raises(DeviceRefusal) as refused:
        reset(camera, issued.typed, password="admin12345")
    assert refused.value.reason == "riskPassword"
    with pytest.raises(DeviceRefusal):
        reset(camera, issued.typed, password="short")
    assert failures_of(camera, OWNER) == 0
    assert reset(camera, issued.typed).accepted  # the same code still works with a good password


def test_failed_codes_trip_the_lock_and_keep_it_running(vendor: Vendor, camera: DeviceModel) -> None:
    issued = vendor.issue(export(camera))
    forged = resetcode.encode_typed_code(
        replace(resetcode.decode_code_file(issued.file), code_id=1, signature=bytes(64))
    )
    verdicts = [reset(camera, forged, source=STRANGER) for _ in range(camera.settings.lock.max_attempts)]
    assert [v.lock.attempts_left for v in verdicts] == [4, 3, 2, 1, 0]
    assert verdicts[-1].lock.locked
    vendor.clock.advance(1000)
    again = reset(camera, forged, source=STRANGER)
    assert (
        again.lock.locked and again.lock.remaining_seconds == camera.settings.lock.lock_seconds
    )  # restarted
    assert not camera.attempt_login("admin", STRANGER, lambda account: True).ok  # logins locked out too


def test_a_valid_code_works_from_a_locked_address_and_clears_the_lock(
    vendor: Vendor, camera: DeviceModel
) -> None:
    fail_logins(camera, OWNER, 5)
    fail_logins(camera, STRANGER, 5)
    assert camera.lock_status(OWNER).locked
    verdict = reset(camera, vendor.issue(export(camera)).typed)
    assert verdict.accepted
    assert camera.lock.locked_sources(camera.monotonic()) == []


def test_a_disabled_lock_counts_nothing(vendor: Vendor, camera: DeviceModel) -> None:
    camera.set_lock_settings(enabled=False, max_attempts=None, lock_seconds=None)
    export(camera)
    bogus = resetcode.encode_typed_code(
        resetcode.issue_reset_code(
            Ed25519PrivateKey.generate(),
            serial=camera.identity.serial,
            nonce=b"\0" * 16,
            expiry=camera.now() + timedelta(hours=1),
            code_id=1,
        )
    )
    for _ in range(10):
        assert reset(camera, bogus).reason == "unknown_key"
    assert not camera.lock_status(OWNER).locked


# ------------------------------------------------------------------ key rotation


def test_key_rotation_devices_trust_current_and_next(vendor: Vendor, camera: DeviceModel) -> None:
    current = vendor.service.keyring.by_role("current").key_id
    following = vendor.service.keyring.by_role("next").key_id
    assert set(camera.vendor_support.trust.trusted_reset_keys()) == {current, following}  # type: ignore[union-attr]
    vendor.rotate()  # next becomes current: the device made before the rotation still accepts its codes
    issued = vendor.issue(export(camera))
    assert issued.key_id == following
    assert reset(camera, issued.typed).accepted


def test_a_device_that_missed_two_rotations_needs_a_new_trust_bundle(
    vendor: Vendor, camera: DeviceModel
) -> None:
    vendor.rotate()
    vendor.rotate()
    issued = vendor.issue(export(camera))
    verdict = reset(camera, issued.typed)
    assert not verdict.accepted and verdict.reason == "unknown_key"


# ------------------------------------------------------------------ availability and life cycle


def test_devices_without_keys_or_on_old_firmware_offer_no_support_reset(vendor: Vendor) -> None:
    keyless = made_device(vendor)
    keyless.vendor_support.trust = None
    legacy = made_device(vendor, firmware="V5.2.5 build 141201")
    for model in (keyless, legacy):
        assert not vs.support_available(model)
        with pytest.raises(DeviceRefusal) as refused:
            vs.export_request(model, source=OWNER)
        assert refused.value.reason == "notSupport"
        with pytest.raises(DeviceRefusal):
            reset(model, "X" * 125)


def test_an_inactive_device_refuses(vendor: Vendor) -> None:
    fresh = made_device(vendor, activate=False)
    with pytest.raises(DeviceRefusal) as refused:
        vs.export_request(fresh, source=OWNER)
    assert refused.value.reason == "notActivated"


@pytest.mark.parametrize("mode", list(ResetMode))
def test_a_factory_reset_keeps_the_keys_and_forgets_the_request(
    vendor: Vendor, camera: DeviceModel, mode: ResetMode
) -> None:
    trust = camera.vendor_support.trust
    issued = vendor.issue(export(camera))
    camera.factory_reset(mode)
    assert camera.vendor_support.trust is trust
    assert camera.vendor_support.pending is None
    if camera.activated:
        assert reset(camera, issued.typed).reason == "no_pending_request"


def test_the_snapshot_keeps_used_codes_and_seals_the_key_only_with_the_state(
    vendor: Vendor, camera: DeviceModel
) -> None:
    issued = vendor.issue(export(camera))
    assert reset(camera, issued.typed).accepted
    snapshot = camera.to_snapshot()
    assert snapshot["vendor_support"]["used_code_ids"] == [issued.code_id]
    assert (
        snapshot["vendor_support"]["device_key"] == camera.vendor_support.trust.private_record()["device_key"]
    )  # type: ignore[union-attr]
    assert snapshot["log"][-1]["kind"] == vs.LOG_SUPPORT_RESET
    restored = made_device(vendor)
    restored.restore_snapshot(snapshot)
    assert restored.vendor_support.used_code_ids == (issued.code_id,)
    assert [entry.kind for entry in restored.log.entries()] == [entry.kind for entry in camera.log.entries()]


def test_used_code_ids_are_bounded(vendor: Vendor, camera: DeviceModel) -> None:
    for code_id in range(vs.MAX_USED_CODE_IDS + 10):
        camera.vendor_support.spend(code_id)
    assert len(camera.vendor_support.used_code_ids) == vs.MAX_USED_CODE_IDS
    assert camera.vendor_support.used_code_ids[-1] == vs.MAX_USED_CODE_IDS + 9


@pytest.mark.parametrize(
    "bad", [{"used_code_ids": ["1"]}, {"used_code_ids": [-1]}, {"used_code_ids": [2**32]}]
)
def test_malformed_snapshots_are_refused(vendor: Vendor, camera: DeviceModel, bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="used code ids"):
        camera.vendor_support.load_snapshot(bad)


# ------------------------------------------------------------------ the legacy security code (§14.2)


def test_legacy_code_golden_value_from_the_notes() -> None:
    assert vs.legacy_security_code("DS-ABC1234567-HIJKLMNOPQRS10987654321", date(2017, 1, 25)) == "SyrReQQe99"


def test_legacy_code_resets_admin_to_12345_on_v5_2(vendor: Vendor) -> None:
    old = made_device(vendor, firmware="V5.2.5 build 141201")
    admin = old.user(1)
    old.modify_user(admin, 1, password="Owner-Chosen-1")
    old.add_user(old.user(1), name="guard", password="Night-Shift-21", level=UserLevel.VIEWER)
    code = vs.legacy_security_code(old.identity.short_serial, vs.device_date(old))
    verdict = vs.reset_with_legacy_code(old, code, source=STRANGER)  # anyone on the LAN: that is the flaw
    assert verdict.accepted
    assert old.user(1).password.matches(LEGACY_DEFAULT_PASSWORD)
    assert old.user(1).is_default_password
    assert old.account("guard") is not None
    assert old.log.entries(vs.LOG_LEGACY_RESET)


def test_legacy_code_uses_the_device_date_in_its_time_zone(vendor: Vendor) -> None:
    old = made_device(vendor, firmware="V5.2.5 build 141201")
    old.set_time(old.now().replace(hour=23))
    old.settings.time_zone = "CST-8:00:00"  # UTC+8: already tomorrow on the device
    utc_code = vs.legacy_security_code(old.identity.short_serial, old.now().date())
    assert vs.device_date(old) == old.now().date() + timedelta(days=1)
    assert not vs.reset_with_legacy_code(old, utc_code, source=OWNER).accepted
    local_code = vs.legacy_security_code(old.identity.short_serial, vs.device_date(old))
    assert vs.reset_with_legacy_code(old, local_code, source=OWNER).accepted


def test_legacy_code_with_the_full_serial_or_another_date_is_wrong_and_counted(vendor: Vendor) -> None:
    old = made_device(vendor, firmware="V5.2.5 build 141201")
    old.modify_user(old.user(1), 1, password="Owner-Chosen-1")
    day = vs.device_date(old)
    for code in (
        vs.legacy_security_code(old.identity.serial, day),
        vs.legacy_security_code(old.identity.short_serial, day - timedelta(days=1)),
    ):
        verdict = vs.reset_with_legacy_code(old, code, source=OWNER)
        assert not verdict.accepted and verdict.reason == "bad_code" and verdict.checked
    assert failures_of(old, OWNER) == 2
    assert old.user(1).password.matches("Owner-Chosen-1")


def test_legacy_code_is_refused_while_locked(vendor: Vendor) -> None:
    old = made_device(vendor, firmware="V5.2.5 build 141201")
    fail_logins(old, OWNER, 5)
    code = vs.legacy_security_code(old.identity.short_serial, vs.device_date(old))
    verdict = vs.reset_with_legacy_code(old, code, source=OWNER)
    assert not verdict.accepted and verdict.reason == "locked"


@pytest.mark.parametrize(
    ("kind", "firmware"),
    [
        (Kind.IPC, "V5.3.0 build 150327"),
        (Kind.IPC, "V5.5.0 build 170725"),
        (Kind.IPC, "V5.5.6 build 180326"),
        (Kind.IPC, "V5.6.2 build 190701"),
        (Kind.IPC, "V5.7.15 build 230829"),
        (Kind.NVR, "V3.4.0 build 150101"),
        (Kind.NVR, "V4.62.210 build 230412"),
    ],
)
def test_legacy_code_is_off_on_every_current_firmware(vendor: Vendor, kind: Kind, firmware: str) -> None:
    model = made_device(vendor, kind=kind, firmware=firmware)
    assert not model.firmware.legacy_security_code
    code = vs.legacy_security_code(model.identity.short_serial, vs.device_date(model))
    with pytest.raises(DeviceRefusal) as refused:
        vs.reset_with_legacy_code(model, code, source=OWNER)
    assert refused.value.reason == "notSupport"
    assert model.user(1).password.matches(STRONG)


# ------------------------------------------------------------------ no secret anywhere it should not be


def test_no_code_password_or_key_in_reprs_logs_or_the_device_log(
    vendor: Vendor, camera: DeviceModel, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    exported = vs.export_request(camera, source=OWNER)
    issued = vendor.issue(exported.content)
    verdict = reset(camera, issued.typed)
    trust = camera.vendor_support.trust
    assert trust is not None
    key = trust.private_record()["device_key"]
    compact_code = issued.typed.replace("-", "")
    texts = [
        caplog.text,
        repr(camera.vendor_support),
        repr(trust),
        repr(exported),
        repr(verdict),
        repr(camera.log.entries()),
        str(camera.log.to_snapshot()),
    ]
    for text in texts:
        for secret in (NEW_ADMIN, issued.typed, compact_code, key, issued.file.decode()):
            assert secret not in text
