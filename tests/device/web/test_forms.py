"""Bad input on every form, sent exactly as the page scripts send it: refused, and nothing changes.

The messages a person reads are the page script's (tested in Chromium, tests/browser); here the device's
side is checked: the refusal, and an unchanged model.
"""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

import pytest

from camvault.device.model import ResetMode, UserLevel
from camvault.protocols.isapi import field_crypto
from camvault.protocols.isapi.activation import ActivationClientKey, encrypt_password
from camvault.protocols.isapi.documents import ChallengeResponse, decode
from tests.device.isapi.recovery_client import Device, status_of
from tests.device.model.conftest import STRONG
from tests.device.web.conftest import Browser, logged_in

GOOD_NEW = "Vi3wer-Pass!"


def fingerprint(device: Device) -> str:
    state = device.model.to_snapshot()
    state.pop("saved_at")
    return json.dumps(state, sort_keys=True)


def sealed_user(device: Device, typed_admin: str, **fields: str) -> tuple[str, bytes]:
    """A ``<User>`` as the page builds it: secret fields under the key of the password typed."""
    key = device.login_key(typed_admin)
    iv = field_crypto.new_iv()
    parts = []
    for name, value in fields.items():
        secret = name in {"userName", "password", "loginPassword"}
        wire = field_crypto.encrypt_field(key, value, iv) if secret else value
        parts.append(f"<{name}>{escape(wire)}</{name}>")
    return iv, f"<User>{''.join(parts)}</User>".encode()


# ------------------------------------------------------------------ activation


@pytest.mark.parametrize(
    ("password", "sub_status"),
    [
        ("Ab1!", "badParameters"),
        ("Abcdefgh12345678!", "badParameters"),
        ("Pässwort-1234", "badParameters"),
        ("12345678", "riskPassword"),
        ("My-admin-2024", "riskPassword"),
    ],
    ids=["too-short", "too-long", "wrong-characters", "risky", "contains-user"],
)
async def test_activation_refuses_bad_passwords(password: str, sub_status: str) -> None:
    fresh = Device(activate=False)
    async with fresh.client() as client:
        browser = Browser(fresh, client)
        await browser.open("login.asp")
        key = ActivationClientKey.generate()
        challenge = await browser.call(
            "POST",
            "/ISAPI/Security/challenge",
            f"<PublicKey><key>{key.public_key_param()}</key></PublicKey>".encode(),
        )
        random_text = key.decrypt_challenge(decode(challenge.content, ChallengeResponse).key)
        body = f"<ActivateInfo><password>{encrypt_password(random_text, password)}</password></ActivateInfo>"
        response = await browser.call("PUT", "/ISAPI/System/activate", body.encode())
    assert status_of(response).sub_status_code == sub_status
    assert not fresh.model.activated


async def test_activation_replayed_with_a_spent_challenge_is_refused() -> None:
    fresh = Device(activate=False)
    async with fresh.client() as client:
        browser = Browser(fresh, client)
        await browser.open("login.asp")
        key = ActivationClientKey.generate()
        challenge = await browser.call(
            "POST",
            "/ISAPI/Security/challenge",
            f"<PublicKey><key>{key.public_key_param()}</key></PublicKey>".encode(),
        )
        random_text = key.decrypt_challenge(decode(challenge.content, ChallengeResponse).key)
        body = f"<ActivateInfo><password>{encrypt_password(random_text, STRONG)}</password></ActivateInfo>".encode()
        assert (await browser.call("PUT", "/ISAPI/System/activate", body)).status_code == 200
        fresh.model.factory_reset(ResetMode.FULL)
        await browser.open("login.asp")
        replay = await browser.call("PUT", "/ISAPI/System/activate", body)
    assert status_of(replay).sub_status_code == "invalidOperation"
    assert not fresh.model.activated


# ------------------------------------------------------------------ add user


@pytest.mark.parametrize(
    ("name", "password", "typed_admin", "sub_status"),
    [
        ("", GOOD_NEW, STRONG, "badParameters"),
        ("u" * 33, GOOD_NEW, STRONG, "badParameters"),
        ("two words", GOOD_NEW, STRONG, "badParameters"),
        ("<b>x</b>", GOOD_NEW, STRONG, "badParameters"),
        ("guard", "Short1!", STRONG, "badParameters"),
        ("guard", "Abcdefgh12345678!", STRONG, "badParameters"),
        ("guard", "Wächter-12345", STRONG, "badParameters"),
        ("guard", "abcdefgh", STRONG, "riskPassword"),
        ("guard", "My-guard-2024", STRONG, "riskPassword"),
        ("admin", GOOD_NEW, STRONG, "badParameters"),
        ("guard", GOOD_NEW, "Wrong-Admin-99", "incorrectUserNameOrPassword"),
    ],
    ids=[
        "empty-name",
        "long-name",
        "space",
        "markup",
        "short-password",
        "long-password",
        "non-ascii",
        "risky",
        "contains-name",
        "duplicate",
        "wrong-admin-password",
    ],
)
async def test_add_user_refusals_change_nothing(
    device: Device, browser: Browser, name: str, password: str, typed_admin: str, sub_status: str
) -> None:
    await logged_in(browser)
    before = fingerprint(device)
    iv, body = sealed_user(
        device, typed_admin, userName=name, password=password, loginPassword=typed_admin, userLevel="Viewer"
    )
    response = await browser.call("POST", f"/ISAPI/Security/users?security=1&iv={iv}", body)
    assert status_of(response).sub_status_code == sub_status
    assert fingerprint(device) == before


async def test_add_user_as_the_page_does(device: Device, browser: Browser) -> None:
    await logged_in(browser)
    iv, body = sealed_user(
        device, STRONG, userName="guard", password=GOOD_NEW, loginPassword=STRONG, userLevel="Operator"
    )
    response = await browser.call("POST", f"/ISAPI/Security/users?security=1&iv={iv}", body)
    assert response.status_code == 200
    account = device.model.account("guard")
    assert account is not None and account.level is UserLevel.OPERATOR and account.password.matches(GOOD_NEW)


# ------------------------------------------------------------------ change password


@pytest.mark.parametrize(
    ("typed_current", "new", "sub_status"),
    [
        ("Not-My-Pass-1", "An0ther-Pass!", "incorrectUserNameOrPassword"),
        (STRONG, "short", "badParameters"),
        (STRONG, "aaaaaaaaaaaaaaaaa", "badParameters"),
        (STRONG, "qwertyui", "riskPassword"),
    ],
    ids=["wrong-current", "too-short", "too-long", "risky"],
)
async def test_own_password_change_refusals(
    device: Device, browser: Browser, typed_current: str, new: str, sub_status: str
) -> None:
    await logged_in(browser)
    before = fingerprint(device)
    iv, body = sealed_user(
        device, typed_current, id="1", userName="admin", password=new, loginPassword=typed_current
    )
    response = await browser.call("PUT", f"/ISAPI/Security/users/1?security=1&iv={iv}", body)
    assert status_of(response).sub_status_code == sub_status
    assert fingerprint(device) == before


async def test_a_password_change_ends_the_users_other_sessions(device: Device, browser: Browser) -> None:
    await logged_in(browser)
    async with device.client(peer="10.0.0.6") as other_client:
        other = await logged_in(Browser(device, other_client))
        iv, body = sealed_user(
            device, STRONG, id="1", userName="admin", password="An0ther-Pass!", loginPassword=STRONG
        )
        changed = await browser.call("PUT", f"/ISAPI/Security/users/1?security=1&iv={iv}", body)
        assert changed.status_code == 200
        assert (await other.client.get("/doc/page/users.asp")).status_code == 302
    assert (await browser.client.get("/doc/page/users.asp")).status_code == 200, "the changing session stays"


async def test_expired_or_replayed_sessions_change_nothing(device: Device, browser: Browser) -> None:
    await logged_in(browser)
    iv, body = sealed_user(
        device, STRONG, id="1", userName="admin", password="An0ther-Pass!", loginPassword=STRONG
    )
    device.clock.advance(device.model.sessions.settings.idle_timeout + 1)
    before = fingerprint(device)
    expired = await browser.call("PUT", f"/ISAPI/Security/users/1?security=1&iv={iv}", body)
    assert expired.status_code == 403 and fingerprint(device) == before

    await logged_in(browser)
    old_cookie = browser.session_id
    old_token = browser.token
    await browser.call("PUT", "/ISAPI/Security/sessionLogout")
    browser.client.cookies.set("WebSession", old_cookie or "", domain="192.0.2.10")
    replayed = await browser.call("PUT", f"/ISAPI/Security/users/1?security=1&iv={iv}", body, token=old_token)
    assert replayed.status_code == 403 and fingerprint(device) == before
    assert device.model.user(1).password.matches(STRONG)


# ------------------------------------------------------------------ security settings


@pytest.mark.parametrize(
    ("body", "sub_status"),
    [
        (
            b"<IllegalLoginLock><maxIllegalLoginTimes>2</maxIllegalLoginTimes></IllegalLoginLock>",
            "badParameters",
        ),
        (
            b"<IllegalLoginLock><maxIllegalLoginTimes>21</maxIllegalLoginTimes></IllegalLoginLock>",
            "badParameters",
        ),
        (
            b"<IllegalLoginLock><maxIllegalLoginLockTime>59</maxIllegalLoginLockTime></IllegalLoginLock>",
            "badParameters",
        ),
        (
            b"<IllegalLoginLock><maxIllegalLoginTimes>abc</maxIllegalLoginTimes></IllegalLoginLock>",
            "badXmlContent",
        ),
        (b"<IllegalLoginLock><enabled>maybe</enabled></IllegalLoginLock>", "badXmlContent"),
        (b"", "badXmlFormat"),
    ],
    ids=["too-few", "too-many", "too-short-lock", "not-a-number", "not-a-boolean", "empty"],
)
async def test_lock_settings_refusals(device: Device, browser: Browser, body: bytes, sub_status: str) -> None:
    await logged_in(browser)
    before = fingerprint(device)
    response = await browser.call("PUT", "/ISAPI/Security/illegalLoginLock", body)
    assert status_of(response).sub_status_code == sub_status
    assert fingerprint(device) == before


# ------------------------------------------------------------------ maintenance


@pytest.mark.parametrize("secret", ["", "x" * 33], ids=["empty", "too-long"])
async def test_configuration_export_needs_a_sane_file_password(
    device: Device, browser: Browser, secret: str
) -> None:
    await logged_in(browser)
    key = device.login_key()
    iv = field_crypto.new_iv()
    sealed = field_crypto.encrypt_field(key, secret, iv) if secret else ""
    response = await browser.call(
        "GET", f"/ISAPI/System/configurationData?security=1&iv={iv}&secretkey={sealed}"
    )
    assert status_of(response).sub_status_code == "badParameters"


@pytest.mark.parametrize(("content", "sub_status"), [(b"junk", "fileFormatError"), (None, "importErrorData")])
async def test_configuration_import_refusals_change_nothing(
    device: Device, browser: Browser, content: bytes | None, sub_status: str
) -> None:
    await logged_in(browser)
    key = device.login_key()
    iv = field_crypto.new_iv()
    if content is None:
        export = await browser.call(
            "GET",
            f"/ISAPI/System/configurationData?security=1&iv={iv}&secretkey={field_crypto.encrypt_field(key, 'right', iv)}",
        )
        content = export.content
    before = fingerprint(device)
    wrong = field_crypto.encrypt_field(key, "wrong", iv)
    response = await browser.client.put(
        f"/ISAPI/System/configurationData?security=1&iv={iv}&secretkey={wrong}",
        content=content,
        headers={**browser.headers(), "Content-Type": "application/octet-stream"},
    )
    assert status_of(response).sub_status_code == sub_status
    assert fingerprint(device) == before
