"""The ONVIF device service in-process: operations, authentication, the access policy and the faults."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from camvault.device.model import Kind, ResetMode
from camvault.device.model import onvif as accounts
from camvault.device.model.onvif import CertificateType, OnvifLevel, UserUpdate
from camvault.device.onvif import TOKEN_WINDOW
from camvault.protocols.xml import Node
from tests.device.model.conftest import STRONG
from tests.device.onvif.conftest import ONVIF_PASSWORD, OnvifRig, make_onvif_rig, texts, user_node

PLANTED = "Plant3d-S3cret!x"


def lock_left(rig: OnvifRig, peer: str = "10.0.0.1") -> int:
    return rig.model.lock_status(peer).attempts_left


# ------------------------------------------------------------------ PRE_AUTH operations


async def test_system_date_and_time_is_the_device_clock_with_skew_and_needs_no_auth(rig: OnvifRig) -> None:
    rig.model.rtc.offset = timedelta(hours=1, minutes=2)
    reply = await rig.call("GetSystemDateAndTime", auth=False)
    assert reply.ok
    device_now = rig.model.now().astimezone(UTC)
    base = ("SystemDateAndTime", "UTCDateTime")
    assert texts(reply, *base, "Time", "Hour") == [str(device_now.hour)]
    assert texts(reply, *base, "Time", "Minute") == [str(device_now.minute)]
    assert texts(reply, *base, "Date", "Year") == [str(device_now.year)]
    assert texts(reply, "SystemDateAndTime", "DateTimeType") == ["Manual"]


async def test_pre_auth_operations_ignore_wrong_credentials_and_count_nothing(rig: OnvifRig) -> None:
    for operation in (
        "GetSystemDateAndTime",
        "GetServiceCapabilities",
        "GetHostname",
        "GetEndpointReference",
    ):
        reply = await rig.call(operation, password="wrong-password")
        assert reply.ok, operation
    assert lock_left(rig) == rig.model.settings.lock.max_attempts


async def test_get_services_addresses_follow_the_request(rig: OnvifRig) -> None:
    reply = await rig.call("GetServices", Node("tds:IncludeCapability", "true"), auth=False)
    assert reply.ok
    assert texts(reply, "Service", "XAddr") == [
        "http://192.0.2.10:80/onvif/device_service",
        "http://192.0.2.10:80/onvif/Media",
    ]
    assert texts(reply, "Service", "Namespace")[0] == "http://www.onvif.org/ver10/device/wsdl"


async def test_get_capabilities_all_and_no_such_service(rig: OnvifRig) -> None:
    reply = await rig.call("GetCapabilities", Node("tds:Category", "All"), auth=False)
    assert texts(reply, "Capabilities", "Device", "XAddr") == ["http://192.0.2.10:80/onvif/device_service"]
    assert texts(reply, "Capabilities", "Media", "XAddr") == ["http://192.0.2.10:80/onvif/Media"]
    missing = await rig.call("GetCapabilities", Node("tds:Category", "PTZ"), auth=False)
    assert missing.status == 500
    assert missing.subcodes() == ["ActionNotSupported", "NoSuchService"]


async def test_service_capabilities_report_user_limits() -> None:
    for kind, max_password in ((Kind.IPC, "16"), (Kind.ONVIF_CAMERA, "64")):
        rig = make_onvif_rig(kind)
        reply = await rig.call("GetServiceCapabilities", auth=False)
        assert reply.envelope is not None and reply.envelope.body is not None
        security = next(el for el in reply.envelope.body.iter() if el.tag.endswith("}Security"))
        assert security.get("MaxPasswordLength") == max_password
        assert security.get("MaxUserNameLength") == "32"
        assert security.get("MaxUsers") == str(accounts.limits(rig.model).max_users)
        assert security.get("SecurityPolicies") == "ModifyPassword"
        assert security.get("UsernameToken") == "true" and security.get("HttpDigest") == "true"


# ------------------------------------------------------------------ authenticated operations


async def test_device_information_and_network_interfaces(rig: OnvifRig) -> None:
    info = await rig.call("GetDeviceInformation")
    assert info.ok
    assert texts(info, "SerialNumber") == [rig.model.identity.serial]
    assert texts(info, "FirmwareVersion") == [str(rig.model.firmware)]
    expected_maker = "HIKVISION" if rig.model.identity.vendor == "Hikvision" else rig.model.identity.vendor
    assert texts(info, "Manufacturer") == [expected_maker]
    interfaces = await rig.call("GetNetworkInterfaces")
    assert texts(interfaces, "NetworkInterfaces", "Info", "HwAddress") == [rig.model.identity.mac]


async def test_get_users_never_returns_passwords(rig: OnvifRig) -> None:
    await rig.call("CreateUsers", user_node("viewer", "User", "Vi3wer-Pass!"))
    reply = await rig.call("GetUsers")
    assert reply.ok
    assert "viewer" in texts(reply, "User", "Username")
    assert texts(reply, "User", "Password") == []
    assert b"Vi3wer-Pass!" not in reply.body


async def test_create_set_delete_users_end_to_end(rig: OnvifRig) -> None:
    created = await rig.call("CreateUsers", user_node("op1", "Operator", "Pa55word!"))
    assert created.ok, created.body
    assert (await rig.call("GetDeviceInformation", username="op1", password="Pa55word!")).ok
    changed = await rig.call("SetUser", user_node("op1", "User", "N3w-Secret!"))
    assert changed.ok
    assert not (await rig.call("GetDeviceInformation", username="op1", password="Pa55word!")).ok
    assert (await rig.call("GetDeviceInformation", username="op1", password="N3w-Secret!")).ok
    deleted = await rig.call("DeleteUsers", Node("tds:Username", "op1"))
    assert deleted.ok
    assert "op1" not in texts(await rig.call("GetUsers"), "User", "Username")


async def test_create_users_faults_and_atomicity(rig: OnvifRig) -> None:
    before = texts(await rig.call("GetUsers"), "User", "Username")
    clash = await rig.call(
        "CreateUsers", user_node("fresh", "User", "Fr3sh-Passw0rd"), user_node(rig.username, "User", "x")
    )
    assert clash.subcodes() == ["OperationProhibited", "UsernameClash"]
    anonymous = await rig.call("CreateUsers", user_node("anon", "Anonymous", "Fr3sh-Passw0rd"))
    assert anonymous.subcodes() == ["OperationProhibited", "AnonymousNotAllowed"]
    no_password = await rig.call("CreateUsers", user_node("nopw", "User"))
    assert no_password.subcodes() == ["OperationProhibited", "PasswordTooWeak"]
    too_long = await rig.call("CreateUsers", user_node("x" * 40, "User", "Fr3sh-Passw0rd"))
    assert too_long.subcodes() == ["OperationProhibited", "UsernameTooLong"]
    long_password = await rig.call("CreateUsers", user_node("lp", "User", "Aa1!" * 17))
    assert long_password.subcodes() == ["OperationProhibited", "PasswordTooLong"]
    bad_level = await rig.call("CreateUsers", user_node("lvl", "Superuser", "Fr3sh-Passw0rd"))
    assert bad_level.subcodes() == ["InvalidArgVal"]
    assert texts(await rig.call("GetUsers"), "User", "Username") == before


async def test_too_many_users_is_a_receiver_fault(generic: OnvifRig) -> None:
    room = generic.model.identity.max_users - 1
    users = [user_node(f"u{n}", "User", "pw") for n in range(room + 1)]
    reply = await generic.call("CreateUsers", *users)
    assert reply.fault is not None and reply.fault.code.value == "Receiver"
    assert reply.subcodes() == ["Action", "TooManyUsers"]
    assert len(accounts.list_users(generic.model)) == 1


async def test_fixed_user_faults(generic: OnvifRig) -> None:
    delete = await generic.call("DeleteUsers", Node("tds:Username", "admin"))
    assert delete.subcodes() == ["InvalidArgVal", "FixedUser"]
    demote = await generic.call("SetUser", user_node("admin", "User", "whatever"))
    assert demote.subcodes() == ["InvalidArgVal", "FixedUser"]
    assert demote.fault is not None and demote.fault.reason == "Password or User level may not be changed"
    missing = await generic.call("DeleteUsers", Node("tds:Username", "ghost"))
    assert missing.subcodes() == ["InvalidArgVal", "UsernameMissing"]
    cleared = await generic.call("SetUser", user_node("admin", "Administrator"))
    assert cleared.subcodes() == ["OperationProhibited", "PasswordTooWeak"]


async def test_admin_changes_own_password_on_the_generic_camera(generic: OnvifRig) -> None:
    reply = await generic.call("SetUser", user_node("admin", "Administrator", "Brand-New-Pw"))
    assert reply.ok
    assert not (await generic.call("GetDeviceInformation")).ok
    assert (await generic.call("GetDeviceInformation", password="Brand-New-Pw")).ok
    account = generic.model.account("admin")
    assert account is not None and account.password.matches("Brand-New-Pw")


# ------------------------------------------------------------------ access policy


async def test_access_classes_per_level(hikvision: OnvifRig) -> None:
    accounts.create_users(
        hikvision.model,
        [
            UserUpdate("media", OnvifLevel.USER, "Med1a-User-Pw"),
            UserUpdate("oper", OnvifLevel.OPERATOR, "0perat0r-Pw!"),
        ],
    )
    as_user = {"username": "media", "password": "Med1a-User-Pw"}
    assert (await hikvision.call("GetDeviceInformation", **as_user)).ok
    assert (await hikvision.call("GetProfiles", namespace="trt", path="/onvif/Media", **as_user)).ok
    users = await hikvision.call("GetUsers", **as_user)
    assert users.status == 400 and users.subcodes() == ["NotAuthorized"]
    reboot = await hikvision.call("SystemReboot", username="oper", password="0perat0r-Pw!")
    assert reboot.subcodes() == ["NotAuthorized"]
    assert hikvision.host.reboots == 0
    assert lock_left(hikvision) == hikvision.model.settings.lock.max_attempts, (
        "right credentials are no guess"
    )


async def test_modify_password_lets_a_user_change_only_their_own_password(hikvision: OnvifRig) -> None:
    accounts.create_users(
        hikvision.model,
        [
            UserUpdate("media", OnvifLevel.USER, "Med1a-User-Pw"),
            UserUpdate("other", OnvifLevel.USER, "0ther-User-Pw"),
        ],
    )
    as_media = {"username": "media", "password": "Med1a-User-Pw"}
    other = await hikvision.call("SetUser", user_node("other", "User", "Hacked-Pass1!"), **as_media)
    assert other.subcodes() == ["NotAuthorized"]
    own = await hikvision.call("SetUser", user_node("media", "Administrator", "Med1a-N3w-Pw"), **as_media)
    assert own.ok
    media = accounts.find_user(hikvision.model, "media")
    assert media is not None and media.level is OnvifLevel.USER, "the level field is ignored for self-service"
    assert media.password.matches("Med1a-N3w-Pw")


# ------------------------------------------------------------------ authentication


async def test_wrong_password_is_400_not_authorized_and_counts(rig: OnvifRig) -> None:
    reply = await rig.call("GetDeviceInformation", password="wrong-password")
    assert reply.status == 400
    assert reply.fault is not None and reply.fault.reason == "Sender not Authorized"
    assert reply.fault.code.value == "Sender" and reply.subcodes() == ["NotAuthorized"]
    assert b'xmlns:ter="http://www.onvif.org/ver10/error"' in reply.body
    assert lock_left(rig) == rig.model.settings.lock.max_attempts - 1


async def test_the_lock_engages_and_refuses_the_right_password(rig: OnvifRig) -> None:
    for _ in range(rig.model.settings.lock.max_attempts):
        await rig.call("GetDeviceInformation", password="wrong-password")
    locked = await rig.call("GetDeviceInformation")
    assert locked.status == 400 and locked.subcodes() == ["NotAuthorized"]
    assert locked.fault is not None and locked.fault.reason.startswith("Sender not Authorized")
    assert "lock" in locked.fault.reason.lower()
    assert (await rig.call("GetDeviceInformation", peer="10.0.0.2")).ok, "the lock is per address"


async def test_stale_token_from_a_skewed_clock_is_refused(rig: OnvifRig) -> None:
    rig.model.rtc.offset = timedelta(hours=1)
    lab_time = rig.clock.now()
    stale = await rig.call("GetDeviceInformation", created=lab_time)
    assert stale.status == 400 and stale.subcodes() == ["NotAuthorized"]
    near = await rig.call(
        "GetDeviceInformation", created=rig.model.now() - TOKEN_WINDOW + timedelta(seconds=5)
    )
    assert near.ok
    assert (await rig.call("GetDeviceInformation", created=rig.model.now())).ok


async def test_replayed_nonce_is_refused(rig: OnvifRig) -> None:
    nonce = b"0123456789abcdef"
    created = rig.model.now()
    assert (await rig.call("GetDeviceInformation", nonce=nonce, created=created)).ok
    replay = await rig.call("GetDeviceInformation", nonce=nonce, created=created)
    assert replay.subcodes() == ["NotAuthorized"]


async def test_password_text_token_is_accepted(rig: OnvifRig) -> None:
    assert (await rig.call("GetDeviceInformation", digest=False)).ok
    assert not (await rig.call("GetDeviceInformation", digest=False, password="wrong-one")).ok


async def test_no_credentials_gets_a_digest_challenge_and_counts_nothing(rig: OnvifRig) -> None:
    reply = await rig.call("GetDeviceInformation", auth=False)
    assert reply.status == 401
    challenge = reply.headers.get("www-authenticate", "")
    assert challenge.startswith("Digest ") and rig.model.identity.realm in challenge
    assert lock_left(rig) == rig.model.settings.lock.max_attempts


async def test_http_digest_authenticates(generic: OnvifRig) -> None:
    ok = await generic.call("GetUsers", auth=False, http_auth=httpx.DigestAuth("admin", "admin"))
    assert ok.ok and texts(ok, "User", "Username") == ["admin"]
    wrong = await generic.call("GetUsers", auth=False, http_auth=httpx.DigestAuth("admin", "nope"))
    assert wrong.status == 401 and wrong.subcodes() == ["NotAuthorized"]
    assert lock_left(generic) == generic.model.settings.lock.max_attempts - 1


async def test_both_layers_must_pass_unless_ws_security_is_off(hikvision: OnvifRig) -> None:
    digest = httpx.DigestAuth("onvifadmin", ONVIF_PASSWORD)
    wrong_token = await hikvision.call("GetDeviceInformation", password="wrong-password", http_auth=digest)
    assert wrong_token.status == 400 and wrong_token.subcodes() == ["NotAuthorized"]
    hikvision.model.onvif.certificate_type = CertificateType.DIGEST
    ignored = await hikvision.call("GetDeviceInformation", password="wrong-password", http_auth=digest)
    assert ignored.ok, "a token is not looked at when only HTTP Digest is enabled"


async def test_basic_auth_is_never_accepted(generic: OnvifRig) -> None:
    reply = await generic.call("GetUsers", auth=False, http_auth=httpx.BasicAuth("admin", "admin"))
    assert reply.status == 401 and reply.headers["www-authenticate"].startswith("Digest ")


async def test_wsse_only_mode_answers_400_without_credentials(hikvision: OnvifRig) -> None:
    hikvision.model.onvif.certificate_type = CertificateType.WSSE
    reply = await hikvision.call("GetDeviceInformation", auth=False)
    assert reply.status == 400 and reply.subcodes() == ["NotAuthorized"]
    digest = await hikvision.call(
        "GetDeviceInformation", auth=False, http_auth=httpx.DigestAuth("onvifadmin", ONVIF_PASSWORD)
    )
    assert digest.status == 400, "HTTP Digest is ignored when only WS-Security is enabled"


async def test_digest_only_mode_answers_a_token_with_the_html_401(hikvision: OnvifRig) -> None:
    hikvision.model.onvif.certificate_type = CertificateType.DIGEST
    reply = await hikvision.call("GetDeviceInformation")
    assert reply.status == 401
    assert reply.headers["content-type"] == "text/html" and b"401 -- Unauthorized" in reply.body
    ok = await hikvision.call(
        "GetDeviceInformation", auth=False, http_auth=httpx.DigestAuth("onvifadmin", ONVIF_PASSWORD)
    )
    assert ok.ok


async def test_hikvision_web_admin_is_not_an_onvif_user(hikvision: OnvifRig) -> None:
    reply = await hikvision.call("GetDeviceInformation", username="admin", password=STRONG)
    assert reply.subcodes() == ["NotAuthorized"]


async def test_hikvision_with_onvif_off_refuses_everything() -> None:
    rig = make_onvif_rig(Kind.IPC)
    rig.model.settings.onvif_enabled = False
    for operation in ("GetSystemDateAndTime", "GetDeviceInformation"):
        reply = await rig.call(operation)
        assert reply.status == 400 and reply.subcodes() == ["NotAuthorized"]
    assert lock_left(rig) == rig.model.settings.lock.max_attempts


async def test_inactive_hikvision_refuses_onvif() -> None:
    rig = make_onvif_rig(Kind.IPC)
    rig.model.factory_reset(ResetMode.FULL)
    rig.model.settings.onvif_enabled = True
    assert (await rig.call("GetSystemDateAndTime", auth=False)).subcodes() == ["NotAuthorized"]


# ------------------------------------------------------------------ maintenance


async def test_system_reboot_schedules_a_reboot(rig: OnvifRig) -> None:
    reply = await rig.call("SystemReboot")
    assert reply.ok and texts(reply, "Message") == ["Rebooting"]
    assert rig.host.reboots == 1


async def test_factory_default_hard_and_soft_on_the_generic_camera() -> None:
    rig = make_onvif_rig(Kind.ONVIF_CAMERA, users=[UserUpdate("keep", OnvifLevel.USER, "pw")])
    soft = await rig.call("SetSystemFactoryDefault", Node("tds:FactoryDefault", "Soft"))
    assert soft.ok and accounts.find_user(rig.model, "keep") is not None
    await rig.call("SetUser", user_node("admin", "Administrator", "changed-pw"))
    hard = await rig.call(
        "SetSystemFactoryDefault", Node("tds:FactoryDefault", "Hard"), password="changed-pw"
    )
    assert hard.ok
    assert [user.name for user in accounts.list_users(rig.model)] == ["admin"]
    assert (await rig.call("GetDeviceInformation", password="admin")).ok
    assert rig.host.reboots == 2


async def test_factory_default_hard_on_hikvision_turns_onvif_off(hikvision: OnvifRig) -> None:
    assert (await hikvision.call("SetSystemFactoryDefault", Node("tds:FactoryDefault", "Hard"))).ok
    assert not hikvision.model.activated and not hikvision.model.settings.onvif_enabled
    assert (await hikvision.call("GetSystemDateAndTime", auth=False)).subcodes() == ["NotAuthorized"]


async def test_set_system_date_and_time_sets_the_device_clock(rig: OnvifRig) -> None:
    target = datetime(2027, 3, 4, 5, 6, 7, tzinfo=UTC)
    utc = Node(
        "tds:UTCDateTime",
        children=(
            Node("tt:Time", children=(Node("tt:Hour", 5), Node("tt:Minute", 6), Node("tt:Second", 7))),
            Node("tt:Date", children=(Node("tt:Year", 2027), Node("tt:Month", 3), Node("tt:Day", 4))),
        ),
    )
    reply = await rig.call(
        "SetSystemDateAndTime",
        Node("tds:DateTimeType", "Manual"),
        Node("tds:DaylightSavings", "false"),
        utc,
    )
    assert reply.ok
    assert abs(rig.model.now() - target) < timedelta(seconds=1)


async def test_media_profile_is_h264(rig: OnvifRig) -> None:
    profiles = await rig.call("GetProfiles", namespace="trt", path="/onvif/Media")
    assert texts(profiles, "Profiles", "VideoEncoderConfiguration", "Encoding") == ["H264"]
    uri = await rig.call(
        "GetStreamUri", Node("trt:ProfileToken", "Profile_1"), namespace="trt", path="/onvif/Media"
    )
    assert texts(uri, "MediaUri", "Uri") == ["rtsp://192.0.2.10:554/Streaming/Channels/101"]
    missing = await rig.call("GetProfile", Node("trt:ProfileToken", "nope"), namespace="trt")
    assert missing.subcodes() == ["InvalidArgVal", "NoProfile"]


# ------------------------------------------------------------------ secrets


async def test_planted_secret_never_leaves_the_device(
    rig: OnvifRig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    replies = [
        await rig.call("CreateUsers", user_node("planted", "User", PLANTED)),
        await rig.call("GetUsers"),
        await rig.call("GetDeviceInformation", username="planted", password="wrong-" + PLANTED[:8]),
        await rig.call("CreateUsers", user_node("planted", "User", PLANTED)),
    ]
    for reply in replies:
        assert PLANTED.encode() not in reply.body
    assert PLANTED not in caplog.text
    assert PLANTED not in repr(rig.frontend.onvif) + repr(rig.frontend.onvif.auth)
