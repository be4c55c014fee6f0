from __future__ import annotations

import copy
import json
from random import Random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from camvault.clock import ManualClock
from camvault.device.model import DeviceModel, ResetMode, UserLevel, configuration
from camvault.device.model import recovery as rec
from camvault.errors import DeviceRefusal
from tests.device.model.conftest import STRONG, build

ANSWERS = {2: "Margaret Hamilton", 7: "Rex", 9: "Elm Street"}
NEW = "N3w-Owner-Pass!"
IP = "10.0.0.7"
PLANTED = "Zanzibar-Planted-Answer-4471"


def configured(camera: DeviceModel, answers: dict[int, str] | None = None) -> DeviceModel:
    verdict = rec.configure_questions(
        camera, camera.user(1), answers or ANSWERS, password=STRONG, source="10.0.0.1"
    )
    assert verdict.accepted
    return camera


def fingerprint(model: DeviceModel) -> str:
    state = model.to_snapshot()
    state.pop("saved_at")
    return json.dumps(state, sort_keys=True)


# ------------------------------------------------------------------ security questions


def test_questions_table_has_enough_distinct_questions() -> None:
    assert len(rec.QUESTIONS) >= rec.QUESTION_COUNT
    assert len(set(rec.QUESTIONS.values())) == len(rec.QUESTIONS)


def test_configured_questions_are_stored_as_a_hash_only(camera: DeviceModel) -> None:
    configured(camera, {1: PLANTED, 2: "b", 3: "c"})
    assert camera.recovery.questions_configured
    assert camera.recovery.question_ids == (1, 2, 3)
    dumped = json.dumps(camera.to_snapshot())
    assert PLANTED not in dumped and PLANTED.casefold() not in dumped
    assert "$argon2id$" in dumped
    assert PLANTED not in repr(camera.recovery)


@pytest.mark.parametrize(
    "answers",
    [
        {1: "a", 2: "b"},
        {1: "a", 2: "b", 3: "c", 4: "d"},
        {1: "a", 2: "b", 99: "c"},
        {1: "a", 2: "b", 3: ""},
        {1: "a", 2: "b", 3: "   "},
        {1: "a", 2: "b", 3: "x" * 129},
        {1: "a", 2: "b", 3: "bell\x07"},
    ],
    ids=["two", "four", "unknown-id", "empty", "blank", "too-long", "control-char"],
)
def test_bad_question_sets_are_refused_and_change_nothing(
    camera: DeviceModel, answers: dict[int, str]
) -> None:
    configured(camera)
    before = fingerprint(camera)
    with pytest.raises(DeviceRefusal) as refused:
        rec.configure_questions(camera, camera.user(1), answers, password=STRONG, source=IP)
    assert refused.value.reason == "badParameters"
    assert fingerprint(camera) == before
    assert camera.lock_status(IP).attempts_left == 5, "a malformed answer is not a guess"


def test_answers_of_128_characters_are_accepted(camera: DeviceModel) -> None:
    long_answers = {1: "x" * 128, 2: "y", 3: "z"}
    configured(camera, long_answers)
    assert camera.recovery.answers_match(long_answers)


def test_setting_questions_needs_the_admin_account_and_its_password(camera: DeviceModel) -> None:
    admin = camera.user(1)
    other = camera.add_user(admin, name="deputy", password="Dep-uty-2024!", level=UserLevel.ADMINISTRATOR)
    with pytest.raises(DeviceRefusal) as refused:
        rec.configure_questions(camera, other, ANSWERS, password="Dep-uty-2024!", source=IP)
    assert refused.value.reason == "lowPrivilege"
    with pytest.raises(DeviceRefusal) as missing:
        rec.configure_questions(camera, admin, ANSWERS, password=None, source=IP)
    assert missing.value.reason == "badParameters"

    verdict = rec.configure_questions(camera, admin, ANSWERS, password="Wrong-Pass-123", source=IP)
    assert not verdict.accepted
    assert verdict.lock.attempts_left == 4, "a wrong admin password counts against the lock"
    assert not camera.recovery.questions_configured


@pytest.mark.parametrize("typed", ["  margaret hamilton ", "MARGARET HAMILTON", "ｍａｒｇａｒｅｔ Hamilton"])
def test_answers_are_normalised(camera: DeviceModel, typed: str) -> None:
    configured(camera)
    answers = {**ANSWERS, 2: typed}
    assert rec.certify_answers(camera, answers, source=IP).accepted


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    # Letters whose upper case folds back to them (not e.g. Turkish dotless i, which folds to itself).
    answer=st.text(st.characters(codec="utf-8", categories=["L", "N"]), min_size=1, max_size=20).filter(
        lambda text: text.upper().casefold() == text.casefold()
    ),
    pad=st.sampled_from(["", " ", "\t "]),
)
def test_case_and_padding_never_matter(answer: str, pad: str) -> None:
    state = rec.RecoveryState(Random(1))
    state.set_questions({1: answer, 2: "b", 3: "c"})
    assert state.answers_match({1: pad + answer.upper() + pad, 2: "B", 3: " c"})
    assert not state.answers_match({1: answer + "x", 2: "b", 3: "c"})


def test_one_wrong_answer_fails_the_whole_set(camera: DeviceModel) -> None:
    configured(camera)
    verdict = rec.certify_answers(camera, {**ANSWERS, 9: "Oak Street"}, source=IP)
    assert not verdict.accepted
    assert verdict.lock.attempts_left == 4


def test_answering_other_questions_is_refused_without_counting(camera: DeviceModel) -> None:
    configured(camera)
    with pytest.raises(DeviceRefusal) as refused:
        rec.certify_answers(camera, {1: "a", 2: "b", 3: "c"}, source=IP)
    assert refused.value.reason == "badParameters"
    assert camera.lock_status(IP).attempts_left == 5


def test_no_questions_configured(camera: DeviceModel) -> None:
    with pytest.raises(DeviceRefusal) as refused:
        rec.certify_answers(camera, ANSWERS, source=IP)
    assert refused.value.reason == "invalidOperation"


def test_wrong_answers_trip_the_login_lock_and_the_lock_stops_recovery(
    camera: DeviceModel, clock: ManualClock
) -> None:
    configured(camera)
    wrong = {**ANSWERS, 7: "Fido"}
    for expected_left in (4, 3, 2, 1):
        assert rec.certify_answers(camera, wrong, source=IP).lock.attempts_left == expected_left
    fifth = rec.certify_answers(camera, wrong, source=IP)
    assert fifth.lock.locked
    assert camera.lock_status(IP).locked, "recovery failures lock logins from that address too"

    clock.advance(1000)
    while_locked = rec.reset_with_answers(camera, ANSWERS, NEW, source=IP)
    assert not while_locked.accepted and while_locked.lock.locked
    assert while_locked.lock.remaining_seconds == 1800, "an attempt while locked restarts the lock"
    assert camera.user(1).password.matches(STRONG)
    assert not camera.lock_status("10.0.0.8").locked, "the lock is per source address"


def test_reset_with_answers_sets_the_password_and_ends_sessions(camera: DeviceModel) -> None:
    configured(camera)
    challenge = camera.begin_session_login("admin")
    camera.sessions.open(
        challenge.session_id, user_id=1, username="admin", source=IP, login_time=camera.now(), now=0
    )
    camera.lock.record_failure("10.9.9.9", camera.monotonic())
    verdict = rec.reset_with_answers(camera, ANSWERS, NEW, source=IP)
    assert verdict.accepted
    assert camera.user(1).password.matches(NEW)
    assert camera.sessions.live(camera.monotonic()) == []
    assert camera.lock_status("10.9.9.9").attempts_left == 5
    assert camera.recovery.questions_configured, "the notes invalidate only the GUID file"


@pytest.mark.parametrize(("password", "reason"), [("12345678", "riskPassword"), ("short", "badParameters")])
def test_a_refused_new_password_costs_no_attempt(camera: DeviceModel, password: str, reason: str) -> None:
    configured(camera)
    before = fingerprint(camera)
    with pytest.raises(DeviceRefusal) as refused:
        rec.reset_with_answers(camera, {**ANSWERS, 2: "wrong"}, password, source=IP)
    assert refused.value.reason == reason
    assert camera.lock_status(IP).attempts_left == 5
    assert fingerprint(camera) == before


def test_many_sources_together_suspend_recovery(camera: DeviceModel, clock: ManualClock) -> None:
    configured(camera)
    wrong = {**ANSWERS, 7: "Fido"}
    for index in range(rec.MAX_RECOVERY_FAILURES):
        rec.certify_answers(camera, wrong, source=f"10.1.{index}.1")
    verdict = rec.reset_with_answers(camera, ANSWERS, NEW, source="10.2.0.1")
    assert verdict.suspended and not verdict.accepted
    assert camera.user(1).password.matches(STRONG)
    clock.advance(camera.settings.lock.lock_seconds + 1)
    assert rec.reset_with_answers(camera, ANSWERS, NEW, source="10.2.0.1").accepted


def test_suspension_applies_even_with_the_lock_disabled_and_ends_at_reboot(camera: DeviceModel) -> None:
    configured(camera)
    camera.set_lock_settings(enabled=False, max_attempts=None, lock_seconds=None)
    wrong = {**ANSWERS, 7: "Fido"}
    for _ in range(rec.MAX_RECOVERY_FAILURES):
        assert not rec.certify_answers(camera, wrong, source=IP).lock.locked
    assert rec.certify_answers(camera, ANSWERS, source=IP).suspended
    camera.power_off()
    camera.finish_boot()
    assert rec.certify_answers(camera, ANSWERS, source=IP).accepted


def test_unsupported_and_inactive_devices() -> None:
    legacy = build(firmware="V5.2.5 build 141201")
    assert not rec.recovery_supported(legacy.firmware)
    assert rec.RecoveryMethod.LEGACY_SECURITY_CODE in rec.available_methods(legacy.firmware)
    with pytest.raises(DeviceRefusal) as refused:
        rec.certify_answers(legacy, ANSWERS, source=IP)
    assert refused.value.reason == "notSupport"
    fresh = build()
    with pytest.raises(DeviceRefusal) as inactive:
        rec.reset_with_answers(fresh, ANSWERS, NEW, source=IP)
    assert inactive.value.reason == "notActivated"
    assert rec.available_methods(fresh.firmware)[:2] == (
        rec.RecoveryMethod.SECURITY_QUESTIONS,
        rec.RecoveryMethod.GUID_FILE,
    )


# ------------------------------------------------------------------ GUID file


def exported(camera: DeviceModel, password: str = STRONG) -> rec.GuidFile:
    verdict, guid = rec.export_guid_file(camera, camera.user(1), password=password, source="10.0.0.1")
    assert verdict.accepted and guid is not None
    return guid


def test_guid_file_shape_and_storage(camera: DeviceModel) -> None:
    guid = exported(camera)
    serial, secret = rec.parse_guid_file(guid.content)
    assert serial == camera.identity.serial
    assert len(secret) == 32
    assert guid.filename == f"GUID_{camera.identity.serial}.xml"
    assert secret.hex() not in json.dumps(camera.to_snapshot())
    assert secret.hex() not in repr(guid) and secret.hex() not in repr(camera.recovery)


def test_guid_export_needs_the_admin_password(camera: DeviceModel) -> None:
    verdict, guid = rec.export_guid_file(camera, camera.user(1), password="Not-It-123", source=IP)
    assert not verdict.accepted and guid is None
    assert verdict.lock.attempts_left == 4
    assert not camera.recovery.guid_valid


def test_reset_with_guid_file_spends_the_file(camera: DeviceModel) -> None:
    guid = exported(camera)
    assert rec.reset_with_guid_file(camera, guid.content, NEW, source=IP).accepted
    assert camera.user(1).password.matches(NEW)
    again = rec.reset_with_guid_file(camera, guid.content, "An0ther-Pass!", source=IP)
    assert not again.accepted, "a new password makes the old GUID file invalid"
    assert camera.user(1).password.matches(NEW)


def test_a_new_export_invalidates_the_previous_file(camera: DeviceModel) -> None:
    first = exported(camera)
    second = exported(camera)
    assert not rec.reset_with_guid_file(camera, first.content, NEW, source=IP).accepted
    assert rec.reset_with_guid_file(camera, second.content, NEW, source=IP).accepted


def test_admin_password_change_invalidates_but_other_users_do_not(camera: DeviceModel) -> None:
    admin = camera.user(1)
    viewer = camera.add_user(admin, name="guard", password="Gu4rd-Post!", level=UserLevel.VIEWER)
    guid = exported(camera)
    camera.modify_user(admin, viewer.id, password="Gu4rd-Post2!")
    assert camera.recovery.guid_valid
    camera.modify_user(admin, 1, password="Chang3d-Owner!")
    assert not camera.recovery.guid_valid
    assert not rec.reset_with_guid_file(camera, guid.content, NEW, source=IP).accepted


def test_a_configuration_import_that_changes_the_admin_password_voids_the_file(camera: DeviceModel) -> None:
    backup = configuration.export_configuration(camera, "file-key")
    guid = exported(camera)
    camera.modify_user(camera.user(1), 1, password="Chang3d-Owner!")
    guid_after_change = exported(camera, "Chang3d-Owner!")
    configuration.import_configuration(camera, backup, "file-key")
    assert camera.user(1).password.matches(STRONG)
    assert not rec.reset_with_guid_file(camera, guid_after_change.content, NEW, source=IP).accepted
    assert not rec.reset_with_guid_file(camera, guid.content, NEW, source=IP).accepted


def test_wrong_guid_counts_and_foreign_or_broken_files_do_not(camera: DeviceModel) -> None:
    exported(camera)
    foreign = rec.RecoveryState(Random(3)).issue_guid_file("DS-OTHER-SERIAL", STRONG, camera.now())
    with pytest.raises(DeviceRefusal) as refused:
        rec.reset_with_guid_file(camera, foreign.content, NEW, source=IP)
    assert refused.value.reason == "badDevType"
    forged = rec.RecoveryState(Random(4)).issue_guid_file(camera.identity.serial, STRONG, camera.now())
    verdict = rec.reset_with_guid_file(camera, forged.content, NEW, source=IP)
    assert not verdict.accepted and verdict.lock.attempts_left == 4
    assert camera.user(1).password.matches(STRONG)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not xml at all",
        b"<GUIDFile><serialNumber>x</serialNumber></GUIDFile>",
        b"<GUIDFile><serialNumber>x</serialNumber><GUID>zz</GUID></GUIDFile>",
        b"<Other><serialNumber>x</serialNumber><GUID>" + b"a" * 64 + b"</GUID></Other>",
        b'<!DOCTYPE x [<!ENTITY a "aaaa">]><GUIDFile><GUID>&a;</GUID></GUIDFile>',
        b"<GUIDFile>" + b" " * rec.GUID_FILE_MAX_BYTES + b"</GUIDFile>",
        b"<GUIDFile><serialNumber>x</serialNumber><GUID>" + b"a" * 64,
    ],
    ids=["empty", "text", "no-guid", "bad-hex", "wrong-root", "entities", "oversized", "truncated"],
)
def test_broken_guid_files_are_refused_and_change_nothing(camera: DeviceModel, content: bytes) -> None:
    exported(camera)
    before = fingerprint(camera)
    with pytest.raises(DeviceRefusal) as refused:
        rec.reset_with_guid_file(camera, content, NEW, source=IP)
    assert refused.value.reason == "fileFormatError"
    assert fingerprint(camera) == before
    assert camera.lock_status(IP).attempts_left == 5


# ------------------------------------------------------------------ resets, persistence, challenges


def test_basic_reset_keeps_questions_and_guid_full_reset_clears_them(camera: DeviceModel) -> None:
    configured(camera)
    guid = exported(camera)
    camera.factory_reset(ResetMode.BASIC)
    assert camera.recovery.questions_configured and camera.recovery.guid_valid
    camera.factory_reset(ResetMode.FULL)
    assert not camera.recovery.questions_configured and not camera.recovery.guid_valid
    camera.activate(STRONG)
    assert not rec.reset_with_guid_file(camera, guid.content, NEW, source=IP).accepted


def test_snapshot_round_trip(camera: DeviceModel) -> None:
    configured(camera)
    guid = exported(camera)
    restored = build()
    restored.restore_snapshot(copy.deepcopy(camera.to_snapshot()))
    assert restored.recovery.question_ids == camera.recovery.question_ids
    assert restored.recovery.answers_match(ANSWERS)
    assert rec.reset_with_guid_file(restored, guid.content, NEW, source=IP).accepted


def test_old_snapshots_without_recovery_load(camera: DeviceModel) -> None:
    configured(camera)
    snapshot = camera.to_snapshot()
    del snapshot["recovery"]
    restored = build()
    restored.restore_snapshot(snapshot)
    assert not restored.recovery.questions_configured and not restored.recovery.guid_valid


def test_inconsistent_snapshot_is_refused(camera: DeviceModel) -> None:
    snapshot = camera.to_snapshot()
    snapshot["recovery"] = {"questions": [1, 2, 3], "answers_hash": None}
    with pytest.raises(ValueError, match="recovery snapshot"):
        build().restore_snapshot(snapshot)


def test_transport_challenges_are_single_use_per_source_and_expire(camera: DeviceModel) -> None:
    state = camera.recovery
    first = state.begin_challenge(IP, 0.0)
    assert len(first) == 32 and int(first, 16) >= 0
    assert state.take_challenge("10.0.0.8", 0.0) is None
    assert state.take_challenge(IP, 1.0) == first
    assert state.take_challenge(IP, 1.0) is None
    state.begin_challenge(IP, 0.0)
    assert state.take_challenge(IP, rec.CHALLENGE_SECONDS + 1) is None
    for index in range(rec.MAX_PENDING_CHALLENGES + 5):
        state.begin_challenge(f"10.3.0.{index}", 0.0)
    assert state.take_challenge("10.3.0.0", 0.0) is None, "the oldest pending challenges are dropped"
    assert state.take_challenge(f"10.3.0.{rec.MAX_PENDING_CHALLENGES + 4}", 0.0) is not None


def test_confirm_password(camera: DeviceModel) -> None:
    admin = camera.user(1)
    assert rec.confirm_password(camera, admin, STRONG, source=IP).accepted
    wrong = rec.confirm_password(camera, admin, "Nope-Nope-1", source=IP)
    assert not wrong.accepted and wrong.lock.attempts_left == 4
    with pytest.raises(DeviceRefusal):
        rec.confirm_password(camera, admin, "", source=IP)
