"""The device state machine, without any protocol."""

from __future__ import annotations

from datetime import timedelta

import pytest

from camvault.clock import ManualClock
from camvault.device.model import DeviceModel, Kind, LoginResult, ResetMode, UserLevel
from camvault.device.model.channels import DetectResult
from camvault.errors import DeviceRefusal
from tests.device.model.conftest import STRONG, build


def password_check(candidate: str):  # type: ignore[no-untyped-def]
    return lambda account: account.password.matches(candidate)


def reason(excinfo: pytest.ExceptionInfo[DeviceRefusal]) -> str:
    return excinfo.value.reason


# ---------------------------------------------------------------- identity and activation


def test_identity_has_the_real_shapes() -> None:
    device = build()
    serial = device.identity.serial
    assert serial.startswith("DS-2CD2385G1-I20200414AAWR")
    assert len(serial) == len("DS-2CD2385G1-I20200414AAWRE33842150")
    assert device.identity.realm == f"IP Camera({serial[-5:]})"
    assert len(device.identity.salt) == 64
    assert device.identity.mac.count(":") == 5


def test_factory_fresh_device_is_inactive_and_activates_once() -> None:
    device = build()
    assert not device.activated and device.accounts == {}
    with pytest.raises(DeviceRefusal) as info:
        device.require_activated()
    assert reason(info) == "notActivated"
    secret = device.begin_activation("127.0.0.5")
    assert device.activation_secret("127.0.0.5") == secret
    assert device.activation_secret("127.0.0.6") is None
    with pytest.raises(DeviceRefusal) as info:
        device.activate("12345678")
    assert reason(info) == "riskPassword"
    with pytest.raises(DeviceRefusal) as info:
        device.activate("Sh0rt!")
    assert reason(info) in {"riskPassword", "badParameters"}
    assert not device.activated, "a refused password changes nothing"
    device.activate(STRONG, source="127.0.0.5")
    assert device.activated and device.account("admin") is not None
    assert device.activation_secret("127.0.0.5") is None
    with pytest.raises(DeviceRefusal) as info:
        device.activate(STRONG)
    assert reason(info) == "hasActivated"
    with pytest.raises(DeviceRefusal):
        device.begin_activation("127.0.0.5")


def test_activation_challenge_expires(clock: ManualClock) -> None:
    device = build(clock=clock)
    device.begin_activation("127.0.0.5")
    clock.advance(121)
    assert device.activation_secret("127.0.0.5") is None


def test_legacy_firmware_ships_with_admin_12345() -> None:
    device = build(firmware="V5.2.5 build 141201")
    assert device.activated
    admin = device.account("admin")
    assert admin is not None and admin.password.matches("12345")
    assert admin.is_default_password and admin.is_risk_password
    assert device.firmware.accepts_basic_auth and device.firmware.legacy_security_code


def test_firmware_generations() -> None:
    assert build(firmware="V5.4.5 build 170124").firmware.accepts_basic_auth
    modern = build(firmware="V5.5.0 build 170725").firmware
    assert not modern.accepts_basic_auth and modern.requires_activation and not modern.legacy_security_code
    assert "hikvision.com" in modern.xml_namespace
    assert "isapi.org" in build(firmware="V5.6.2 build 190701").firmware.xml_namespace
    assert build(firmware="V5.7.3 build 220112").firmware.always_requires_login_password
    other = build(Kind.ONVIF_CAMERA, firmware="V2.3.1 build 230301")
    assert other.activated and other.account("admin") is not None
    assert other.account("admin").password.matches("admin")  # type: ignore[union-attr]


# ---------------------------------------------------------------- the illegal-login lock


def test_lock_counts_per_source_and_restarts_while_locked(camera: DeviceModel, clock: ManualClock) -> None:
    for attempt in range(4):
        outcome = camera.attempt_login("admin", "10.0.0.1", password_check("wrong"))
        assert outcome.result is LoginResult.BAD_CREDENTIALS
        assert outcome.lock.attempts_left == 4 - attempt
    outcome = camera.attempt_login("admin", "10.0.0.1", password_check("wrong"))
    assert outcome.result is LoginResult.LOCKED and outcome.lock.remaining_seconds == 1800
    clock.advance(600)
    outcome = camera.attempt_login("admin", "10.0.0.1", password_check(STRONG))
    assert outcome.result is LoginResult.LOCKED, "the right password is refused while locked"
    assert outcome.lock.remaining_seconds == 1800, "and the lock time starts again"
    assert camera.attempt_login("admin", "10.0.0.2", password_check(STRONG)).ok, (
        "another source is not locked"
    )
    clock.advance(1801)
    assert camera.attempt_login("admin", "10.0.0.1", password_check(STRONG)).ok


def test_success_resets_the_count_and_unknown_users_count(camera: DeviceModel) -> None:
    for _ in range(3):
        camera.attempt_login("nobody", "10.0.0.1", password_check(STRONG))
    assert camera.lock_status("10.0.0.1").attempts_left == 2
    assert camera.attempt_login("admin", "10.0.0.1", password_check(STRONG)).ok
    assert camera.lock_status("10.0.0.1").attempts_left == 5


def test_lock_settings(camera: DeviceModel) -> None:
    camera.set_lock_settings(enabled=False, max_attempts=None, lock_seconds=None)
    for _ in range(10):
        camera.attempt_login("admin", "10.0.0.1", password_check("wrong"))
    assert not camera.lock_status("10.0.0.1").locked
    camera.set_lock_settings(enabled=True, max_attempts=3, lock_seconds=60)
    for _ in range(3):
        camera.attempt_login("admin", "10.0.0.1", password_check("wrong"))
    assert camera.lock_status("10.0.0.1").remaining_seconds == 60
    for bad in ({"max_attempts": 2}, {"max_attempts": 21}, {"lock_seconds": 10}):
        with pytest.raises(DeviceRefusal):
            camera.set_lock_settings(enabled=None, **{"max_attempts": None, "lock_seconds": None, **bad})
    assert camera.settings.lock.max_attempts == 3


def test_power_cycle_clears_the_lock(camera: DeviceModel) -> None:
    for _ in range(5):
        camera.attempt_login("admin", "10.0.0.1", password_check("wrong"))
    camera.power_off()
    camera.begin_boot()
    camera.finish_boot()
    assert not camera.lock_status("10.0.0.1").locked


# ---------------------------------------------------------------- users


def admin(device: DeviceModel):  # type: ignore[no-untyped-def]
    account = device.account("admin")
    assert account is not None
    return account


def test_admin_manages_users(camera: DeviceModel) -> None:
    viewer = camera.add_user(admin(camera), name="viewer", password="View-Only-2024", level=UserLevel.VIEWER)
    assert viewer.id == 2 and [a.name for a in camera.users()] == ["admin", "viewer"]
    with pytest.raises(DeviceRefusal) as info:
        camera.add_user(admin(camera), name="viewer", password="Other-Pass-2024", level=UserLevel.VIEWER)
    assert reason(info) == "badParameters"
    with pytest.raises(DeviceRefusal) as info:
        camera.add_user(admin(camera), name="bob", password="bob12345bob", level=UserLevel.VIEWER)
    assert reason(info) == "riskPassword", "a password containing the user name is refused"
    camera.modify_user(admin(camera), 2, level=UserLevel.OPERATOR, enabled=False)
    assert camera.user(2).level is UserLevel.OPERATOR and not camera.user(2).enabled
    assert not camera.attempt_login("viewer", "10.0.0.9", password_check("View-Only-2024")).ok
    camera.delete_user(admin(camera), 2)
    assert camera.account("viewer") is None


def test_the_admin_account_is_fixed(camera: DeviceModel) -> None:
    for change in ({"name": "root"}, {"level": UserLevel.VIEWER}, {"enabled": False}):
        with pytest.raises(DeviceRefusal) as info:
            camera.modify_user(admin(camera), 1, **change)  # type: ignore[arg-type]
        assert reason(info) == "invalidOperation"
    with pytest.raises(DeviceRefusal) as info:
        camera.delete_user(admin(camera), 1)
    assert reason(info) == "invalidOperation"


def test_only_the_admin_manages_others(camera: DeviceModel) -> None:
    operator = camera.add_user(admin(camera), name="op", password="Operat0r-Pass", level=UserLevel.OPERATOR)
    with pytest.raises(DeviceRefusal) as info:
        camera.add_user(operator, name="x", password="Another-Pass-1", level=UserLevel.VIEWER)
    assert reason(info) == "lowPrivilege"
    with pytest.raises(DeviceRefusal) as info:
        camera.modify_user(operator, 1, password="Hijack-Admin-1!", login_password="Operat0r-Pass")
    assert reason(info) == "lowPrivilege"
    with pytest.raises(DeviceRefusal) as info:
        camera.modify_user(operator, operator.id, password="New-Operat0r-1")
    assert reason(info) == "badParameters", "changing your own password needs your current one"
    camera.modify_user(operator, operator.id, password="New-Operat0r-1", login_password="Operat0r-Pass")
    assert camera.user(operator.id).password.matches("New-Operat0r-1")


def test_login_password_rules(camera: DeviceModel) -> None:
    with pytest.raises(DeviceRefusal):
        camera.modify_user(admin(camera), 1, password="Next-Passw0rd!", login_password_required=True)
    with pytest.raises(DeviceRefusal):
        camera.modify_user(admin(camera), 1, password="Next-Passw0rd!", login_password="wrong")
    camera.modify_user(
        admin(camera), 1, password="Next-Passw0rd!", login_password=STRONG, login_password_required=True
    )
    assert admin(camera).password.matches("Next-Passw0rd!")


def test_user_limit(camera: DeviceModel) -> None:
    for index in range(camera.identity.max_users - 1):
        camera.add_user(
            admin(camera), name=f"user{index}", password=f"Pass-word-{index:03d}", level=UserLevel.VIEWER
        )
    with pytest.raises(DeviceRefusal) as info:
        camera.add_user(admin(camera), name="onemore", password="Pass-word-999", level=UserLevel.VIEWER)
    assert reason(info) == "invalidOperation"


@pytest.mark.parametrize("name", ["", "a" * 33, "with space", "<script>", "semi;colon"])
def test_bad_user_names(camera: DeviceModel, name: str) -> None:
    with pytest.raises(DeviceRefusal):
        camera.add_user(admin(camera), name=name, password="Fine-Passw0rd", level=UserLevel.VIEWER)
    assert len(camera.accounts) == 1


# ---------------------------------------------------------------- sessions


def test_session_login_and_password_change_ends_other_sessions(
    camera: DeviceModel, clock: ManualClock
) -> None:
    sessions = []
    for source in ("10.0.0.1", "10.0.0.2"):
        challenge = camera.begin_session_login("admin")
        outcome, session = camera.complete_session_login(
            challenge.session_id, "admin", source, lambda account, ch: account.password.matches(STRONG)
        )
        assert outcome.ok and session is not None
        sessions.append(session.session_id)
    replay, session = camera.complete_session_login(sessions[0], "admin", "10.0.0.1", lambda a, c: True)
    assert not replay.ok and session is None, "a challenge is good for one login only"
    camera.modify_user(admin(camera), 1, password="Changed-Passw0rd", keep_session=sessions[0])
    assert camera.session(sessions[0]) is not None
    assert camera.session(sessions[1]) is None
    clock.advance(301)
    assert camera.session(sessions[0]) is None, "idle sessions expire"


def test_expired_challenge_counts_as_a_failure(camera: DeviceModel, clock: ManualClock) -> None:
    challenge = camera.begin_session_login("admin")
    clock.advance(61)
    outcome, _ = camera.complete_session_login(challenge.session_id, "admin", "10.0.0.1", lambda a, c: True)
    assert not outcome.ok and outcome.lock.attempts_left == 4


# ---------------------------------------------------------------- maintenance


def test_basic_reset_keeps_users_full_reset_makes_it_inactive(camera: DeviceModel) -> None:
    camera.add_user(admin(camera), name="viewer", password="View-Only-2024", level=UserLevel.VIEWER)
    camera.rename("Front door")
    camera.set_lock_settings(enabled=False, max_attempts=None, lock_seconds=None)
    camera.factory_reset(ResetMode.BASIC)
    assert camera.activated and camera.account("viewer") is not None
    assert camera.settings.device_name == "IP CAMERA" and camera.settings.lock.enabled
    camera.factory_reset(ResetMode.FULL)
    assert not camera.activated and camera.accounts == {}


def test_reset_admin_password_clears_lock_and_sessions(camera: DeviceModel) -> None:
    for _ in range(5):
        camera.attempt_login("admin", "10.0.0.1", password_check("wrong"))
    challenge = camera.begin_session_login("admin")
    camera.complete_session_login(challenge.session_id, "admin", "10.0.0.3", lambda a, c: True)
    camera.reset_admin_password("Recovered-Pass1")
    assert not camera.lock_status("10.0.0.1").locked
    assert camera.sessions.live(camera.monotonic()) == []
    assert admin(camera).password.matches("Recovered-Pass1")


# ---------------------------------------------------------------- NVR channels and recordings


def test_nvr_channels_and_recording_follow_the_agent(clock: ManualClock) -> None:
    nvr = build(Kind.NVR, firmware="V4.62.210 build 230412", clock=clock)
    nvr.activate(STRONG)
    channel = nvr.set_channel(1, address="127.0.0.10", port=8080, username="admin", password="Camera-Pass-01")
    assert channel.name == "Camera 01"
    nvr.set_channel(1, address="127.0.0.10", port=8080, username="admin", password=None, name="Lobby")
    assert nvr.channels[1].password.matches("Camera-Pass-01"), "an omitted password keeps the stored one"
    with pytest.raises(DeviceRefusal):
        nvr.set_channel(2, address="127.0.0.11", port=8080, username="admin", password=None)
    with pytest.raises(DeviceRefusal):
        nvr.set_channel(99, address="127.0.0.11", port=8080, username="admin", password="x")
    start = nvr.now()
    nvr.report_channel_check(1, DetectResult.CONNECT)
    clock.advance(1500)
    nvr.report_channel_check(1, DetectResult.BAD_CREDENTIALS)
    assert not nvr.channels[1].status.online
    clock.advance(600)
    segments = nvr.search_recordings([101], start - timedelta(hours=1), nvr.now())
    assert segments, "it recorded while the channel was online"
    assert segments[0].start == start and segments[-1].end == start + timedelta(seconds=1500)
    assert all(segment.end - segment.start <= timedelta(minutes=10) for segment in segments)
    camera = build(clock=clock)
    with pytest.raises(DeviceRefusal) as info:
        camera.set_channel(1, address="x", port=1, username="a", password="b")
    assert reason(info) == "notSupport"


def test_snapshot_round_trip(clock: ManualClock) -> None:
    nvr = build(Kind.NVR, firmware="V4.62.210 build 230412", clock=clock)
    nvr.activate(STRONG)
    nvr.add_user(admin(nvr), name="viewer", password="View-Only-2024", level=UserLevel.VIEWER)
    nvr.set_channel(1, address="127.0.0.10", port=8080, username="admin", password="Camera-Pass-01")
    nvr.report_channel_check(1, DetectResult.CONNECT)
    nvr.set_time(nvr.now() + timedelta(hours=2))
    clock.advance(60)
    snapshot = nvr.to_snapshot()
    clone = DeviceModel(nvr.identity, clock=clock, rng=nvr.rng)
    clone.restore_snapshot(snapshot)
    again = clone.to_snapshot()
    volatile = {"saved_at", "recordings"}
    assert {k: v for k, v in again.items() if k not in volatile} == {
        k: v for k, v in snapshot.items() if k not in volatile
    }
    assert clone.account("viewer") is not None and clone.account("viewer").password.matches("View-Only-2024")  # type: ignore[union-attr]
    assert clone.channels[1].password.matches("Camera-Pass-01")
    assert abs((clone.now() - nvr.now()).total_seconds()) < 1, "the clock skew survives"
    assert clone.search_recordings([101], nvr.now() - timedelta(hours=5), nvr.now()), "recordings survive"
    assert not clone.recordings.is_recording(101), "recording stopped when the power went"
