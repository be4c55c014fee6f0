"""The ONVIF account model: both stores, Core's user semantics, the lock, persistence and reset."""

from __future__ import annotations

import pytest

from camvault.clock import ManualClock
from camvault.device.model import DeviceModel, Kind, ResetMode, UserLevel
from camvault.device.model import onvif as accounts
from camvault.device.model.onvif import CertificateType, OnvifLevel, OnvifState, Refusal, UserUpdate
from camvault.errors import DeviceRefusal
from tests.device.model.conftest import STRONG, build

PLANTED = "Plant3d-S3cret!x"


def hikvision() -> DeviceModel:
    model = build(Kind.IPC, clock=ManualClock())
    model.activate(STRONG)
    return model


def generic() -> DeviceModel:
    return build(Kind.ONVIF_CAMERA, "V2.3.1 build 230301", clock=ManualClock())


def refused(reason: Refusal, call: object, *args: object, **kwargs: object) -> None:
    with pytest.raises(DeviceRefusal) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    assert caught.value.reason == reason.value


def names(model: DeviceModel) -> list[str]:
    return [user.name for user in accounts.list_users(model)]


def test_hikvision_starts_with_no_onvif_users_apart_from_web_users() -> None:
    model = hikvision()
    assert accounts.list_users(model) == []
    assert model.account("admin") is not None
    accounts.create_users(model, [UserUpdate("cam", OnvifLevel.USER, "Med1a-User-Pw")])
    assert names(model) == ["cam"]
    assert model.account("cam") is None, "ONVIF users are not web users on Hikvision"


def test_generic_camera_onvif_users_are_its_accounts() -> None:
    model = generic()
    [admin] = accounts.list_users(model)
    assert (admin.name, admin.level, admin.fixed) == ("admin", OnvifLevel.ADMINISTRATOR, True)
    accounts.create_users(model, [UserUpdate("viewer", OnvifLevel.USER, "view")])
    account = model.account("viewer")
    assert account is not None and account.level is UserLevel.VIEWER
    assert account.password.matches("view")


def test_limits_differ_by_vendor() -> None:
    assert accounts.limits(hikvision()).max_users == 32
    assert accounts.limits(hikvision()).max_password_length == 16
    assert accounts.limits(generic()).max_password_length == 64
    assert accounts.limits(generic()).max_users == generic().identity.max_users


def test_create_users_is_all_or_nothing() -> None:
    model = hikvision()
    before = model.revision
    refused(
        Refusal.PASSWORD_TOO_WEAK,
        accounts.create_users,
        model,
        [UserUpdate("good", OnvifLevel.USER, "G00d-Passw0rd"), UserUpdate("bad", OnvifLevel.USER, "abc")],
    )
    assert names(model) == [] and model.revision == before


@pytest.mark.parametrize(
    ("update", "reason"),
    [
        (UserUpdate("", OnvifLevel.USER, "G00d-Passw0rd"), Refusal.USERNAME_TOO_SHORT),
        (UserUpdate("x" * 33, OnvifLevel.USER, "G00d-Passw0rd"), Refusal.USERNAME_TOO_LONG),
        (UserUpdate("a b", OnvifLevel.USER, "G00d-Passw0rd"), Refusal.INVALID_ARG_VAL),
        (UserUpdate("anon", OnvifLevel.ANONYMOUS, "G00d-Passw0rd"), Refusal.ANONYMOUS_NOT_ALLOWED),
        (UserUpdate("ext", OnvifLevel.EXTENDED, "G00d-Passw0rd"), Refusal.INVALID_ARG_VAL),
        (UserUpdate("nopw", OnvifLevel.USER, None), Refusal.PASSWORD_TOO_WEAK),
        (UserUpdate("long", OnvifLevel.USER, "Aa1!" * 5), Refusal.PASSWORD_TOO_LONG),
        (UserUpdate("risky", OnvifLevel.USER, "12345678"), Refusal.PASSWORD_TOO_WEAK),
    ],
)
def test_create_users_refusals_on_hikvision(update: UserUpdate, reason: Refusal) -> None:
    model = hikvision()
    refused(reason, accounts.create_users, model, [update])
    assert names(model) == []


def test_create_users_clash_with_existing_and_within_the_request() -> None:
    model = generic()
    refused(Refusal.USERNAME_CLASH, accounts.create_users, model, [UserUpdate("admin", OnvifLevel.USER, "x")])
    two = [UserUpdate("twin", OnvifLevel.USER, "a"), UserUpdate("twin", OnvifLevel.USER, "b")]
    refused(Refusal.USERNAME_CLASH, accounts.create_users, model, two)
    assert names(model) == ["admin"]


def test_too_many_users() -> None:
    model = generic()
    room = model.identity.max_users - 1
    accounts.create_users(model, [UserUpdate(f"u{n}", OnvifLevel.USER, "pw") for n in range(room)])
    refused(
        Refusal.TOO_MANY_USERS, accounts.create_users, model, [UserUpdate("one-more", OnvifLevel.USER, "pw")]
    )
    assert len(accounts.list_users(model)) == model.identity.max_users


def test_delete_users_is_all_or_nothing_and_keeps_fixed_users() -> None:
    model = generic()
    accounts.create_users(
        model, [UserUpdate("a", OnvifLevel.USER, "pw"), UserUpdate("b", OnvifLevel.USER, "pw")]
    )
    refused(Refusal.USERNAME_MISSING, accounts.delete_users, model, ["a", "ghost"])
    refused(Refusal.FIXED_USER, accounts.delete_users, model, ["b", "admin"])
    refused(Refusal.INVALID_ARG_VAL, accounts.delete_users, model, ["a", "a"])
    assert names(model) == ["admin", "a", "b"]
    accounts.delete_users(model, ["a", "b"])
    assert names(model) == ["admin"]


def test_set_users_changes_password_and_level_atomically() -> None:
    model = generic()
    accounts.create_users(model, [UserUpdate("op", OnvifLevel.OPERATOR, "old")])
    refused(
        Refusal.USERNAME_MISSING,
        accounts.set_users,
        model,
        [UserUpdate("op", OnvifLevel.USER, "new"), UserUpdate("ghost", OnvifLevel.USER, "x")],
    )
    op = accounts.find_user(model, "op")
    assert op is not None and op.level is OnvifLevel.OPERATOR and op.password.matches("old")
    accounts.set_users(model, [UserUpdate("op", OnvifLevel.USER, "new")])
    op = accounts.find_user(model, "op")
    assert op is not None and op.level is OnvifLevel.USER and op.password.matches("new")


def test_set_users_fixed_user_keeps_level_but_may_change_password() -> None:
    model = generic()
    refused(Refusal.FIXED_USER, accounts.set_users, model, [UserUpdate("admin", OnvifLevel.USER, "pw")])
    refused(
        Refusal.PASSWORD_TOO_WEAK, accounts.set_users, model, [UserUpdate("admin", OnvifLevel.ADMINISTRATOR)]
    )
    accounts.set_users(model, [UserUpdate("admin", OnvifLevel.ADMINISTRATOR, "new-admin-pw")])
    admin = model.account("admin")
    assert admin is not None and admin.password.matches("new-admin-pw")


def test_put_user_creates_renames_and_keeps_password() -> None:
    model = hikvision()
    accounts.put_user(model, 1, name="one", level=OnvifLevel.ADMINISTRATOR, password="F1rst-Passw0rd")
    accounts.put_user(model, 1, name="uno", level=OnvifLevel.OPERATOR, password=None)
    [user] = accounts.list_users(model)
    assert (user.id, user.name, user.level) == (1, "uno", OnvifLevel.OPERATOR)
    assert user.password.matches("F1rst-Passw0rd")
    refused(
        Refusal.PASSWORD_TOO_WEAK,
        accounts.put_user,
        model,
        2,
        name="two",
        level=OnvifLevel.USER,
        password=None,
    )
    refused(
        Refusal.INVALID_ARG_VAL, accounts.put_user, model, 33, name="x", level=OnvifLevel.USER, password="p"
    )
    refused(
        Refusal.USERNAME_CLASH,
        accounts.put_user,
        model,
        2,
        name="uno",
        level=OnvifLevel.USER,
        password="Sec0nd-Passw0rd",
    )


def test_attempt_login_counts_failures_in_the_device_lock() -> None:
    model = hikvision()
    accounts.create_users(model, [UserUpdate("cam", OnvifLevel.USER, "Med1a-User-Pw")])
    for _ in range(model.settings.lock.max_attempts - 1):
        login = accounts.attempt_login(model, "cam", "10.0.0.9", lambda user: False)
        assert not login.ok and not login.locked
    last = accounts.attempt_login(model, "nobody", "10.0.0.9", lambda user: True)
    assert last.locked
    right = accounts.attempt_login(model, "cam", "10.0.0.9", lambda user: True)
    assert not right.ok and right.locked, "the right credential is refused while locked"
    assert model.lock_status("10.0.0.9").locked, "the ISAPI side sees the same lock"
    other = accounts.attempt_login(model, "cam", "10.0.0.10", lambda user: True)
    assert other.ok and other.user is not None and other.user.name == "cam"


def test_attempt_login_on_a_generic_camera_goes_through_the_model() -> None:
    model = generic()
    login = accounts.attempt_login(model, "admin", "10.0.0.1", lambda user: user.password.matches("admin"))
    assert login.ok and login.user is not None and login.user.fixed
    failed = accounts.attempt_login(model, "admin", "10.0.0.1", lambda user: False)
    assert not failed.ok
    assert failed.lock.attempts_left == model.settings.lock.max_attempts - 1


def test_snapshot_round_trip_and_tolerates_old_snapshots() -> None:
    model = hikvision()
    accounts.create_users(model, [UserUpdate("cam", OnvifLevel.OPERATOR, PLANTED)])
    model.onvif.certificate_type = CertificateType.WSSE
    model.settings.onvif_enabled = True
    snapshot = model.to_snapshot()
    copy = build(Kind.IPC, clock=ManualClock())
    copy.restore_snapshot(snapshot)
    assert names(copy) == ["cam"] and copy.onvif.certificate_type is CertificateType.WSSE
    user = accounts.find_user(copy, "cam")
    assert user is not None and user.password.matches(PLANTED)
    older = dict(snapshot)
    del older["onvif"]
    copy.restore_snapshot(older)
    assert names(copy) == [] and copy.onvif.certificate_type is CertificateType.DIGEST_WSSE


@pytest.mark.parametrize("mode", list(ResetMode))
def test_every_factory_reset_clears_onvif_users_and_switch(mode: ResetMode) -> None:
    model = hikvision()
    model.settings.onvif_enabled = True
    model.onvif.certificate_type = CertificateType.DIGEST
    accounts.create_users(model, [UserUpdate("cam", OnvifLevel.USER, "Med1a-User-Pw")])
    model.factory_reset(mode)
    assert names(model) == []
    assert model.settings.onvif_enabled is False
    assert model.onvif.certificate_type is CertificateType.DIGEST_WSSE


def test_generic_camera_full_reset_restores_admin_admin() -> None:
    model = generic()
    accounts.set_users(model, [UserUpdate("admin", OnvifLevel.ADMINISTRATOR, "changed")])
    accounts.create_users(model, [UserUpdate("extra", OnvifLevel.USER, "pw")])
    model.factory_reset(ResetMode.FULL)
    [admin] = accounts.list_users(model)
    assert admin.password.matches("admin")


def test_secrets_never_show_in_reprs() -> None:
    model = hikvision()
    accounts.create_users(model, [UserUpdate("cam", OnvifLevel.USER, PLANTED)])
    shown = (
        repr(model.onvif) + repr(accounts.list_users(model)) + repr(UserUpdate("x", OnvifLevel.USER, PLANTED))
    )
    assert PLANTED not in shown
    assert PLANTED not in repr(OnvifState())
    with pytest.raises(DeviceRefusal) as caught:
        accounts.create_users(model, [UserUpdate("cam", OnvifLevel.USER, PLANTED)])
    assert PLANTED not in str(caught.value)
