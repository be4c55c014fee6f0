"""The ONVIF driver against constructed and quoted SOAP replies: the contract on a behavioural fake, the clock
offset, WS-Security over HTTP Digest, privilege refusals, faults, and the golden shapes of onvif.md §1.3/§1.8."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from camvault.clock import ManualClock
from camvault.errors import (
    AuthenticationFailed,
    DeviceError,
    DeviceProtocolError,
    DeviceRefused,
    UnsupportedOperation,
)
from camvault.fleet.drivers import AttemptBudget, Credential, Endpoint, Level
from camvault.fleet.drivers.onvif import FaultKind, OnvifDriver, classify_fault
from camvault.protocols import soap, wssecurity
from camvault.protocols.soap import Fault, FaultCode, QName

from .contract import Backend, DriverContract
from .fake_onvif import FakeOnvifDevice, OnvifUser

ADMIN = Credential("admin", "Admin#Onvif-2024")
OPERATOR = Credential("op", "Op3rator#Pass")


def fake_device(clock: ManualClock, **knobs: object) -> FakeOnvifDevice:
    device = FakeOnvifDevice(clock, **knobs)  # type: ignore[arg-type]
    device.users = {
        "admin": OnvifUser(ADMIN.password, "Administrator"),
        "op": OnvifUser(OPERATOR.password, "Operator"),
    }
    return device


class Rig:
    def __init__(self, device: FakeOnvifDevice, budget: AttemptBudget, client: httpx.AsyncClient) -> None:
        self.device = device
        self.budget = budget
        self.driver = OnvifDriver(Endpoint("192.0.2.30"), client=client, budget=budget, name="onvif-fake")


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    clock = ManualClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    device = fake_device(clock, skew=timedelta(hours=2, seconds=17))
    async with httpx.AsyncClient(transport=device.transport()) as client:
        yield Rig(device, AttemptBudget(clock=clock), client)


class TestOnvifOnABehaviouralFake(DriverContract):
    @pytest.fixture
    def backend(self, rig: Rig) -> Backend:
        return Backend(
            name="onvif-fake",
            driver=rig.driver,
            credential=ADMIN,
            expected={
                "probe": {
                    "reachable": True,
                    "vendor": "onvif",
                    "activated": None,
                    "realm": None,
                    "basic_offered": None,
                    "device_time": "present",
                },
                "check_login": {
                    "ok": True,
                    "is_default_password": None,
                    "is_risk_password": None,
                    "attempts_left": None,
                    "locked": False,
                    "unlock_in_seconds": None,
                },
                "facts": {
                    "vendor": "axicam",
                    "model": "AXC-2000",
                    "serial": "AXC-200020221001AAWRE00000001",
                    "mac": "02:84:77:62:f0:f3",
                    "firmware_version": "V2.3.1 build 230301",
                    "firmware_build": None,
                    "kind": "unknown",
                    "name": None,
                    "device_id": None,
                },
                "accounts": [
                    {"id": "admin", "username": "admin", "level": "administrator", "enabled": True},
                    {"id": "op", "username": "op", "level": "operator", "enabled": True},
                ],
                "lock_policy": {"raises": "UnsupportedOperation"},
                "channels": {"raises": "UnsupportedOperation"},
            },
            requests=lambda: rig.device.requests,
            device_failures=lambda: rig.device.failed_logins,
        )


# ---------------------------------------------------------------------- clock and WS-Security


async def test_tokens_are_signed_in_device_time_so_a_skewed_clock_costs_nothing(rig: Rig) -> None:
    assert rig.device.window < rig.device.skew, "the skew alone would make every token stale"
    assert (await rig.driver.check_login(ADMIN)).ok
    signed = wssecurity.parse_username_token(soap.parse_envelope(rig.device.requests[-1].content))
    assert signed is not None and signed.created is not None
    created = wssecurity.parse_created(signed.created)
    assert abs(created - rig.device.now()) <= timedelta(seconds=1)
    assert rig.device.stale_tokens == 0 and rig.device.failed_logins == 0
    first = rig.device.requests[0]
    assert soap.parse_envelope(first.content).body_name == QName(soap.DEVICE_NS, "GetSystemDateAndTime")
    assert wssecurity.parse_username_token(soap.parse_envelope(first.content)) is None, (
        "the clock is read first, unauthenticated"
    )


async def test_every_send_carries_a_fresh_nonce(rig: Rig) -> None:
    await rig.driver.facts(ADMIN)
    await rig.driver.accounts(ADMIN)
    nonces = []
    for request in rig.device.requests:
        token = wssecurity.parse_username_token(soap.parse_envelope(request.content))
        if token is not None:
            nonces.append(token.nonce)
    assert len(nonces) >= 3 and len(set(nonces)) == len(nonces)


async def test_device_time_is_read_without_credentials() -> None:
    clock = ManualClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    device = fake_device(clock, skew=timedelta(minutes=-7))
    async with httpx.AsyncClient(transport=device.transport()) as client:
        driver = OnvifDriver(Endpoint("192.0.2.30"), client=client, budget=AttemptBudget(clock=clock))
        assert await driver.device_time() == datetime(2026, 3, 1, 11, 53, tzinfo=UTC)
    assert all("Security" not in request.content.decode() for request in device.requests)


async def test_a_device_that_refuses_the_unauthenticated_clock_is_asked_with_credentials() -> None:
    clock = ManualClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    device = fake_device(clock, refuse_unauthenticated_time=True)
    async with httpx.AsyncClient(transport=device.transport()) as client:
        driver = OnvifDriver(Endpoint("192.0.2.30"), client=client, budget=AttemptBudget(clock=clock))
        with pytest.raises(DeviceProtocolError, match="without credentials"):
            await driver.device_time()
        assert await driver.device_time(ADMIN) == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
        assert (await driver.check_login(ADMIN)).ok, "signed in our own time when the offset cannot be read"
    assert device.failed_logins == 0
    tokens = [
        wssecurity.parse_username_token(soap.parse_envelope(request.content)) for request in device.requests
    ]
    assert sum(token is None for token in tokens) == 2, (
        "the clock is asked once without, then with credentials"
    )


async def test_soap_behind_http_digest_costs_one_attempt_per_wrong_password() -> None:
    clock = ManualClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    device = fake_device(clock, http_digest=True)
    budget = AttemptBudget(clock=clock)
    async with httpx.AsyncClient(transport=device.transport()) as client:
        driver = OnvifDriver(Endpoint("192.0.2.30"), client=client, budget=budget, name="digest-onvif")
        probe = await driver.probe()
        assert probe.realm == "ONVIF Fake" and probe.basic_offered is False
        assert (await driver.check_login(ADMIN)).ok
        assert device.failed_logins == 0
        assert not (await driver.check_login(Credential("admin", "Wrong#Guess-01"))).ok
        assert device.failed_logins == 1
        assert budget.state("digest-onvif").failures == 1
        assert all(
            request.headers.get("authorization", "Digest").startswith("Digest") for request in device.requests
        )


# ---------------------------------------------------------------------- privilege and user operations


async def test_an_operator_refused_a_user_list_is_not_a_wrong_password(rig: Rig) -> None:
    with pytest.raises(DeviceRefused, match="may not access the user list") as refused:
        await rig.driver.accounts(OPERATOR)
    assert not isinstance(refused.value, AuthenticationFailed)
    assert rig.budget.state("onvif-fake").failures == 0
    assert rig.device.failed_logins == 0
    assert (await rig.driver.check_login(OPERATOR)).ok, (
        "the operator's password is not remembered as rejected"
    )


async def test_a_wrong_password_on_a_privileged_operation_is_counted_once(rig: Rig) -> None:
    with pytest.raises(AuthenticationFailed):
        await rig.driver.accounts(Credential("admin", "Wrong#Guess-02"))
    assert rig.device.failed_logins == 1
    with pytest.raises(AuthenticationFailed, match="already rejected"):
        await rig.driver.accounts(Credential("admin", "Wrong#Guess-02"))
    assert rig.device.failed_logins == 1


async def test_set_password_keeps_the_user_level(rig: Rig) -> None:
    await rig.driver.set_password(ADMIN, "op", "N3w#Operator-Pw")
    assert rig.device.users["op"] == OnvifUser("N3w#Operator-Pw", "Operator")
    assert (await rig.driver.check_login(Credential("op", "N3w#Operator-Pw"))).ok


async def test_the_device_reason_for_refusing_a_password_is_surfaced(rig: Rig) -> None:
    with pytest.raises(DeviceRefused, match="PasswordTooWeak") as refused:
        await rig.driver.set_password(ADMIN, "op", "short")
    assert "short" not in str(refused.value)
    with pytest.raises(DeviceRefused, match="no user named"):
        await rig.driver.set_password(ADMIN, "ghost", "Ghost#Pass-2024")


async def test_create_and_delete_users(rig: Rig) -> None:
    await rig.driver.create_user(ADMIN, "viewer1", "View3r#Pass-24", Level.VIEWER)
    assert rig.device.users["viewer1"].level == "User"
    with pytest.raises(DeviceRefused, match="UsernameClash"):
        await rig.driver.create_user(ADMIN, "viewer1", "View3r#Pass-24", Level.VIEWER)
    await rig.driver.delete_user(ADMIN, "viewer1")
    assert "viewer1" not in rig.device.users
    with pytest.raises(DeviceRefused, match="UsernameMissing"):
        await rig.driver.delete_user(ADMIN, "viewer1")


async def test_the_built_in_admin_is_never_deleted(rig: Rig) -> None:
    sent = len(rig.device.requests)
    with pytest.raises(DeviceRefused, match="built-in administrator"):
        await rig.driver.delete_user(ADMIN, "admin")
    assert len(rig.device.requests) == sent


async def test_reboot(rig: Rig) -> None:
    await rig.driver.reboot(ADMIN)
    assert rig.device.rebooted


# ---------------------------------------------------------------------- golden replies (onvif.md §1.3, §1.8)

SYSTEM_DATE_AND_TIME = b"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://www.w3.org/2003/05/soap-envelope"
    xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema">
<soapenv:Body>
<tds:GetSystemDateAndTimeResponse>
  <tds:SystemDateAndTime>
    <tt:DateTimeType>NTP</tt:DateTimeType>
    <tt:DaylightSavings>false</tt:DaylightSavings>
    <tt:TimeZone><tt:TZ>CET-1CEST,M3.5.0/2,M10.5.0/3</tt:TZ></tt:TimeZone>
    <tt:UTCDateTime>
      <tt:Time><tt:Hour>7</tt:Hour><tt:Minute>50</tt:Minute><tt:Second>45</tt:Second></tt:Time>
      <tt:Date><tt:Year>2010</tt:Year><tt:Month>9</tt:Month><tt:Day>16</tt:Day></tt:Date>
    </tt:UTCDateTime>
  </tds:SystemDateAndTime>
</tds:GetSystemDateAndTimeResponse>
</soapenv:Body>
</soapenv:Envelope>"""

GET_USERS = b"""<soapenv:Envelope xmlns:soapenv="http://www.w3.org/2003/05/soap-envelope"
    xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema"><soapenv:Body>
<tds:GetUsersResponse>
  <tds:User><tt:Username>admin</tt:Username><tt:UserLevel>Administrator</tt:UserLevel></tds:User>
  <tds:User><tt:Username>viewer</tt:Username><tt:UserLevel>User</tt:UserLevel></tds:User>
</tds:GetUsersResponse>
</soapenv:Body></soapenv:Envelope>"""

CORE_FAULT = b"""<soapenv:Envelope xmlns:soapenv="http://www.w3.org/2003/05/soap-envelope"
                  xmlns:ter="http://www.onvif.org/ver10/error">
  <soapenv:Body>
    <soapenv:Fault>
      <soapenv:Code>
        <soapenv:Value>soapenv:Sender</soapenv:Value>
        <soapenv:Subcode>
          <soapenv:Value>ter:OperationProhibited</soapenv:Value>
          <soapenv:Subcode><soapenv:Value>ter:UsernameClash</soapenv:Value></soapenv:Subcode>
        </soapenv:Subcode>
      </soapenv:Code>
      <soapenv:Reason><soapenv:Text xml:lang="en">Username already exists</soapenv:Text></soapenv:Reason>
      <soapenv:Node>http://www.w3.org/2003/05/soap-envelope/node/ultimateReceiver</soapenv:Node>
      <soapenv:Role>http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver</soapenv:Role>
      <soapenv:Detail><soapenv:Text>...</soapenv:Text></soapenv:Detail>
    </soapenv:Fault>
  </soapenv:Body>
</soapenv:Envelope>"""

# A cheap camera's NotAuthorized fault that forgets to declare the ter: prefix (onvif.md §1.3, zeep #1205).
UNDECLARED_TER_FAULT = b"""<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><env:Fault>
<env:Code><env:Value>env:Sender</env:Value><env:Subcode><env:Value>ter:NotAuthorized</env:Value></env:Subcode></env:Code>
<env:Reason><env:Text xml:lang="en">Sender not Authorized</env:Text></env:Reason></env:Fault></env:Body></env:Envelope>"""


async def test_golden_system_date_and_time(rig: Rig) -> None:
    rig.device.canned["GetSystemDateAndTime"] = (200, SYSTEM_DATE_AND_TIME)
    assert await rig.driver.device_time() == datetime(2010, 9, 16, 7, 50, 45, tzinfo=UTC)


async def test_golden_user_list(rig: Rig) -> None:
    rig.device.canned["GetUsers"] = (200, GET_USERS)
    accounts = await rig.driver.accounts(ADMIN)
    assert [(a.username, a.level) for a in accounts] == [
        ("admin", Level.ADMINISTRATOR),
        ("viewer", Level.VIEWER),
    ]


async def test_golden_core_fault_is_a_refusal_naming_its_subcode(rig: Rig) -> None:
    rig.device.canned["CreateUsers"] = (500, CORE_FAULT)
    with pytest.raises(DeviceRefused, match=r"refused the new user \(UsernameClash\)"):
        await rig.driver.create_user(ADMIN, "admin2", "Admin2#Pass-24", Level.ADMINISTRATOR)
    assert rig.device.failed_logins == 0


async def test_a_not_authorized_fault_without_its_prefix_declared_is_still_a_wrong_password(rig: Rig) -> None:
    rig.device.canned["GetDeviceInformation"] = (400, UNDECLARED_TER_FAULT)
    result = await rig.driver.check_login(ADMIN)
    assert result.ok is False
    assert rig.budget.state("onvif-fake").failures == 1


# ---------------------------------------------------------------------- the fault classifier

ter = soap.ONVIF_ERROR_NS


@pytest.mark.parametrize(
    ("fault", "kind", "reason"),
    [
        (soap.NOT_AUTHORIZED, FaultKind.AUTHENTICATION, "NotAuthorized"),
        (
            Fault(FaultCode.SENDER, (QName(soap.WSSE_NS, "FailedAuthentication"),)),
            FaultKind.AUTHENTICATION,
            "NotAuthorized",
        ),
        (Fault(FaultCode.SENDER, (), "Sender not authorized"), FaultKind.AUTHENTICATION, "NotAuthorized"),
        (soap.ACTION_NOT_SUPPORTED, FaultKind.UNSUPPORTED, "ActionNotSupported"),
        (soap.NO_SUCH_SERVICE, FaultKind.UNSUPPORTED, "NoSuchService"),
        (soap.PASSWORD_TOO_WEAK, FaultKind.REFUSED, "PasswordTooWeak"),
        (soap.USERNAME_CLASH, FaultKind.REFUSED, "UsernameClash"),
        (soap.FIXED_USER, FaultKind.REFUSED, "FixedUser"),
        (soap.TOO_MANY_USERS, FaultKind.DEVICE_FAILURE, "TooManyUsers"),
        (soap.ACTION_FAILED, FaultKind.DEVICE_FAILURE, "Action"),
        (
            Fault(FaultCode.SENDER, (QName(ter, "OperationProhibited"),), "not authorized here"),
            FaultKind.REFUSED,
            "OperationProhibited",
        ),
        (soap.VERSION_MISMATCH, FaultKind.REFUSED, "VersionMismatch"),
    ],
)
def test_classify_fault(fault: Fault, kind: FaultKind, reason: str) -> None:
    assert classify_fault(fault).kind is kind
    assert classify_fault(fault).reason == reason


# ---------------------------------------------------------------------- bad replies

BILLION_LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>&lol2;</s:Body></s:Envelope>"""


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (200, BILLION_LAUGHS, DeviceProtocolError),
        (200, SYSTEM_DATE_AND_TIME[:200], DeviceProtocolError),
        (200, b"<html><body>It works!</body></html>", DeviceProtocolError),
        (200, GET_USERS, DeviceProtocolError),  # the wrong response element
        (
            200,
            SYSTEM_DATE_AND_TIME.replace(b"GetSystemDateAndTime", b"GetDeviceInformation").replace(
                b"<tds:SystemDateAndTime>", b"<tds:Model>x</tds:Model><tds:SystemDateAndTime>"
            ),
            DeviceProtocolError,
        ),
        (500, b"<html><body>Internal Server Error</body></html>", DeviceError),
        (500, soap.render_fault(soap.ACTION_NOT_SUPPORTED), UnsupportedOperation),
        (500, soap.render_fault(soap.ACTION_FAILED), DeviceError),
        (500, soap.render_fault(soap.INVALID_ARG_VAL), DeviceRefused),
        (415, b"", DeviceRefused),
    ],
)
async def test_bad_device_information_replies_are_clear_errors(
    rig: Rig, status: int, body: bytes, error: type[Exception]
) -> None:
    rig.device.canned["GetDeviceInformation"] = (status, body)
    with pytest.raises(error) as raised:
        await rig.driver.facts(ADMIN)
    assert type(raised.value) is error, "a refusal and a failure of unknown effect are told apart"


async def test_an_impossible_date_is_a_protocol_error(rig: Rig) -> None:
    rig.device.canned["GetSystemDateAndTime"] = (
        200,
        SYSTEM_DATE_AND_TIME.replace(b"<tt:Month>9<", b"<tt:Month>13<"),
    )
    with pytest.raises(DeviceProtocolError, match="device time"):
        await rig.driver.device_time()
    rig.device.canned["GetSystemDateAndTime"] = (
        200,
        SYSTEM_DATE_AND_TIME.replace(b"<tt:Day>16<", b"<tt:Day>31<"),
    )
    with pytest.raises(DeviceProtocolError):
        await rig.driver.device_time()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.binary(max_size=600)
    | st.text(max_size=400).map(lambda text: SYSTEM_DATE_AND_TIME[:120] + text.encode())
)
async def test_fuzzed_replies_never_escape_as_anything_but_driver_errors(body: bytes) -> None:
    clock = ManualClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    device = fake_device(clock)
    device.canned["GetSystemDateAndTime"] = (200, body)
    device.canned["GetDeviceInformation"] = (200, body)
    async with httpx.AsyncClient(transport=device.transport()) as client:
        driver = OnvifDriver(Endpoint("192.0.2.30"), client=client, budget=AttemptBudget(clock=clock))
        with contextlib.suppress(DeviceError):
            await driver.facts(ADMIN)
        probe = await driver.probe()
        assert probe.reachable
