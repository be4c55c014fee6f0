"""The Hikvision driver against bad, hostile and unusual ISAPI replies (``httpx.MockTransport``).

The fake device checks Digest for real (challenge on 401, verified answers) and then serves whatever body a
test gives for a route, so every reply the driver can meet on a broken or hostile network is covered:
truncated XML, entity expansion, HTML where XML belongs, wrong types, missing fields, 5xx, ``notActivated``,
``userCheck`` refusals in a 200, and plaintext password changes on firmware without ``security=1``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from camvault.errors import (
    AuthenticationFailed,
    DeviceError,
    DeviceLocked,
    DeviceNotActivated,
    DeviceProtocolError,
    DeviceRefused,
    UnsupportedOperation,
)
from camvault.fleet.drivers import AttemptBudget, Credential, Endpoint
from camvault.fleet.drivers.hikvision import HikvisionDriver
from camvault.protocols import digest
from camvault.protocols.isapi.documents import User, decode

REALM = "IP Camera(12345)"
RIGHT = Credential("admin", "Right#Pass-2024")

DEVICE_INFO = b"""<?xml version="1.0" encoding="UTF-8"?>
<DeviceInfo version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">
<deviceName>Gate</deviceName><model>DS-2CD2043G0-I</model><serialNumber>DS-2CD2043G0-I20200101AAWR000000001</serialNumber>
<macAddress>BC-AD-28-00-00-01</macAddress><firmwareVersion>V5.6.3</firmwareVersion>
<firmwareReleasedDate>build 200101</firmwareReleasedDate><deviceType>IPDome</deviceType>
</DeviceInfo>"""
USERS = b"""<UserList><User><id>1</id><userName>admin</userName><userLevel>Administrator</userLevel></User>
<User><id>3</id><userName>old</userName></User></UserList>"""
OK = b"<ResponseStatus><requestURL>/x</requestURL><statusCode>1</statusCode><statusString>OK</statusString><subStatusCode>ok</subStatusCode></ResponseStatus>"
BILLION_LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]><DeviceInfo>&lol3;</DeviceInfo>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><DeviceInfo>&x;</DeviceInfo>"""


def status(code: int, sub: str, **extra: int | str) -> bytes:
    fields = "".join(f"<{name}>{value}</{name}>" for name, value in extra.items())
    return (
        f"<ResponseStatus><requestURL>/x</requestURL><statusCode>{code}</statusCode>"
        f"<subStatusCode>{sub}</subStatusCode>{fields}</ResponseStatus>"
    ).encode()


@dataclass
class IsapiFake:
    """Digest verified for real, then ``routes[(method, path)] = (status, body)``."""

    routes: dict[tuple[str, str], tuple[int, bytes]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    failure_body: bytes = b""

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        header = request.headers.get("authorization")
        key = (request.method, request.url.path)
        if key == ("GET", "/SDK/activateStatus"):
            return httpx.Response(404)
        if header is None:
            challenge = digest.format_challenge(REALM, "4d5755784d7a41344d546b36", stale=False)
            return httpx.Response(401, headers=[("WWW-Authenticate", challenge)])
        credentials = digest.parse_authorization(header)
        assert isinstance(credentials, digest.DigestAuthorization)
        if not digest.verify(
            credentials, method=request.method, ha1=digest.ha1("admin", REALM, RIGHT.password)
        ):
            challenge = digest.format_challenge(REALM, "4d5755784d7a41344d546b36", stale=False)
            return httpx.Response(401, headers=[("WWW-Authenticate", challenge)], content=self.failure_body)
        code, body = self.routes.get(key, (404, b"<html>not found</html>"))
        return httpx.Response(code, content=body, headers=[("Content-Type", "application/xml")])


@pytest.fixture
async def fake() -> AsyncIterator[tuple[IsapiFake, HikvisionDriver]]:
    device = IsapiFake()
    async with httpx.AsyncClient(transport=httpx.MockTransport(device.handle)) as client:
        yield (
            device,
            HikvisionDriver(Endpoint("192.0.2.64"), client=client, budget=AttemptBudget(), name="cam"),
        )


Fake = tuple[IsapiFake, HikvisionDriver]


async def test_a_well_formed_device_info_is_read_namespace_agnostically(fake: Fake) -> None:
    device, driver = fake
    device.routes[("GET", "/ISAPI/System/deviceInfo")] = (200, DEVICE_INFO)
    facts = await driver.facts(RIGHT)
    assert (facts.model, facts.mac, facts.kind, facts.firmware_build) == (
        "DS-2CD2043G0-I",
        "bc:ad:28:00:00:01",
        "camera",
        "build 200101",
    )


@pytest.mark.parametrize(
    ("code", "body", "error", "message"),
    [
        (200, DEVICE_INFO[:150], DeviceProtocolError, "not well-formed"),
        (200, BILLION_LAUGHS, DeviceProtocolError, "forbidden construct"),
        (200, EXTERNAL_ENTITY, DeviceProtocolError, "forbidden construct"),
        (200, b"<!DOCTYPE html><html><body>Login</body></html>", DeviceProtocolError, "device information"),
        (200, b"<html><body>Login</body></html>", DeviceProtocolError, "expected <DeviceInfo>"),
        (200, b"", DeviceProtocolError, "empty"),
        (200, b"<DeviceInfo>" + b"<x>" * 64 + b"</x>" * 64 + b"</DeviceInfo>", DeviceProtocolError, "deeper"),
        (
            200,
            b"<DeviceInfo>" + b" " * (300 * 1024) + b"</DeviceInfo>",
            DeviceProtocolError,
            "exceeds the limit",
        ),
        (
            200,
            DEVICE_INFO.replace(b"<serialNumber>", b"<serial>").replace(b"</serialNumber>", b"</serial>"),
            DeviceProtocolError,
            "serialNumber",
        ),
        (500, b"<html>Internal Server Error</html>", DeviceError, "HTTP 500"),
        (503, status(2, "deviceBusy"), DeviceError, "deviceBusy"),
        (403, status(4, "notActivated"), DeviceNotActivated, "not activated"),
        (403, status(4, "notSupport"), UnsupportedOperation, "does not support"),
        (403, status(4, "lowPrivilege"), DeviceRefused, "lowPrivilege"),
        (200, status(3, "deviceError"), DeviceError, "deviceError"),
    ],
)
async def test_bad_replies_are_clear_device_errors(
    fake: Fake, code: int, body: bytes, error: type[DeviceError], message: str
) -> None:
    device, driver = fake
    device.routes[("GET", "/ISAPI/System/deviceInfo")] = (code, body)
    with pytest.raises(error, match=message) as raised:
        await driver.facts(RIGHT)
    assert type(raised.value) is error, "a refusal and a failure of unknown effect are told apart"
    assert raised.value.device == "cam"
    assert driver.budget.state("cam").rejected == frozenset(), "a bad reply is never a wrong password"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<UserList><User><id>abc</id><userName>x</userName></User></UserList>", "not an integer"),
        (b"<UserList><User><id>2</id></User></UserList>", "userName"),
        (
            b"<UserList><User><id>2</id><userName>x</userName><userLevel>God</userLevel></User></UserList>",
            "unknown value",
        ),
        (b"<UserList><User><userName>x</userName></User></UserList>", "has no id"),
        (b"<Users/>", "expected <UserList>"),
    ],
)
async def test_user_lists_of_the_wrong_shape(fake: Fake, body: bytes, message: str) -> None:
    device, driver = fake
    device.routes[("GET", "/ISAPI/Security/users")] = (200, body)
    with pytest.raises(DeviceProtocolError, match=message):
        await driver.accounts(RIGHT)


async def test_a_user_without_level_is_read_by_its_id(fake: Fake) -> None:
    device, driver = fake
    device.routes[("GET", "/ISAPI/Security/users")] = (200, USERS)
    accounts = await driver.accounts(RIGHT)
    assert [(account.id, account.level.value) for account in accounts] == [
        ("1", "administrator"),
        ("3", "viewer"),
    ]


async def test_without_security_1_the_password_change_is_plaintext_with_login_password(fake: Fake) -> None:
    device, driver = fake
    device.routes[("GET", "/ISAPI/Security/users")] = (200, USERS)
    device.routes[("GET", "/ISAPI/Security/capabilities")] = (
        200,
        b"<SecurityCap><isSupportUserCheck>true</isSupportUserCheck></SecurityCap>",
    )
    device.routes[("PUT", "/ISAPI/Security/users/3")] = (200, OK)
    await driver.set_password(RIGHT, "old", "N3w#Password-24")
    sent = device.requests[-1]
    assert sent.url.path == "/ISAPI/Security/users/3" and not sent.url.query
    document = decode(sent.content, User)
    assert (document.id, document.user_name, document.password, document.login_password) == (
        3,
        "old",
        "N3w#Password-24",
        RIGHT.password,
    )


async def test_without_security_1_no_secret_is_put_in_a_url(fake: Fake) -> None:
    device, driver = fake
    device.routes[("GET", "/ISAPI/Security/users")] = (200, USERS)
    device.routes[("DELETE", "/ISAPI/Security/users/3")] = (200, OK)
    await driver.delete_user(RIGHT, "old")
    assert not device.requests[-1].url.query, "no loginPassword in the query without field encryption"
    sent = len(device.requests)
    with pytest.raises(UnsupportedOperation, match="clear text in the URL"):
        await driver.backup_config(RIGHT, "Backup#Key-1")
    assert len(device.requests) == sent


async def test_a_refused_write_names_the_sub_status(fake: Fake) -> None:
    device, driver = fake
    device.routes[("GET", "/ISAPI/Security/users")] = (200, USERS)
    device.routes[("PUT", "/ISAPI/Security/users/3")] = (400, status(4, "riskPassword"))
    with pytest.raises(DeviceRefused, match=r"refused the new password \(riskPassword\)"):
        await driver.set_password(RIGHT, "old", "password")
    device.routes[("PUT", "/ISAPI/Security/users/3")] = (200, b"not xml at all")
    with pytest.raises(DeviceProtocolError, match="not a ResponseStatus"):
        await driver.set_password(RIGHT, "old", "N3w#Password-24")
    device.routes[("PUT", "/ISAPI/Security/users/3")] = (200, status(7, "rebootRequired"))
    await driver.set_password(RIGHT, "old", "N3w#Password-24")


async def test_a_200_user_check_that_says_401_is_a_refusal(fake: Fake) -> None:
    device, driver = fake
    refusal = b"<userCheck><statusValue>401</statusValue><retryLoginTime>3</retryLoginTime></userCheck>"
    device.routes[("GET", "/ISAPI/Security/userCheck")] = (200, refusal)
    result = await driver.check_login(RIGHT)
    assert (result.ok, result.attempts_left) == (False, 3)
    assert driver.budget.state("cam").failures == 1


@pytest.mark.parametrize(
    "failure_body",
    [
        b"",
        b"<html>401</html>",
        BILLION_LAUGHS,
        b"<ResponseStatus><requestURL>/x</requestURL><statusCode>4</statusCode><retryTimes>x</retryTimes></ResponseStatus>",
        b'{"statusCode": 4, "requestURL": "/x", "retryTimes": 2, "lockStatus": "unlock"}',
    ],
)
async def test_any_401_body_is_one_counted_refusal(fake: Fake, failure_body: bytes) -> None:
    device, driver = fake
    device.failure_body = failure_body
    result = await driver.check_login(Credential("admin", "Wrong#Guess-01"))
    assert result.ok is False and not result.locked
    assert driver.budget.state("cam").failures == 1


async def test_a_locked_user_check_reply_is_understood_in_both_spellings(fake: Fake) -> None:
    device, driver = fake
    device.failure_body = b"<userCheck><statusValue>401</statusValue><lockStatus>lock</lockStatus><unlockTime>1200</unlockTime></userCheck>"
    result = await driver.check_login(Credential("admin", "Wrong#Guess-01"))
    assert (result.locked, result.unlock_in_seconds) == (True, 1200)
    with pytest.raises(DeviceLocked):
        await driver.facts(RIGHT)


async def test_a_wrong_password_on_a_read_is_an_authentication_failure(fake: Fake) -> None:
    device, driver = fake
    device.failure_body = status(4, "badAuthorization", lockStatus="unlock", retryTimes=2, resLockTime=0)
    with pytest.raises(AuthenticationFailed) as refused:
        await driver.accounts(Credential("admin", "Wrong#Guess-02"))
    assert refused.value.attempts_left == 2


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.binary(max_size=400)
    | st.builds(lambda text: DEVICE_INFO[:60] + text.encode(), st.text(max_size=300))
)
async def test_fuzzed_bodies_only_ever_raise_driver_errors(body: bytes) -> None:
    device = IsapiFake()
    for path in ("/ISAPI/System/deviceInfo", "/ISAPI/Security/userCheck", "/ISAPI/Security/users"):
        device.routes[("GET", path)] = (200, body)
    async with httpx.AsyncClient(transport=httpx.MockTransport(device.handle)) as client:
        driver = HikvisionDriver(Endpoint("192.0.2.64"), client=client, budget=AttemptBudget())
        for call in (driver.facts, driver.check_login, driver.accounts):
            with contextlib.suppress(DeviceError):  # anything else (a codec or httpx error) fails the test
                await call(RIGHT)
