from __future__ import annotations

import json

import httpx
import pytest

from camvault.device.http.inprocess import InProcessTransport
from camvault.protocols.isapi.activation import ActivationClientKey, encrypt_password
from camvault.protocols.isapi.documents import ChallengeResponse, decode
from tests.device.isapi.recovery_client import Device, status_of
from tests.device.model.conftest import STRONG
from tests.device.web.conftest import ORIGIN, Browser, logged_in

LOCK_OFF = b"<IllegalLoginLock><enabled>false</enabled></IllegalLoginLock>"


def fingerprint(device: Device) -> str:
    state = device.model.to_snapshot()
    state.pop("saved_at")
    return json.dumps(state, sort_keys=True)


def refused_as_csrf(response: httpx.Response) -> bool:
    status = status_of(response)
    return response.status_code == 403 and status.error_msg == "csrfTokenInvalid"


async def test_the_pages_token_lets_a_change_through(device: Device, browser: Browser) -> None:
    await logged_in(browser)
    response = await browser.call("PUT", "/ISAPI/Security/illegalLoginLock", LOCK_OFF)
    assert response.status_code == 200
    assert device.model.settings.lock.enabled is False


@pytest.mark.parametrize(
    "token",
    ["", "forged-token-value", "A" * 43],
    ids=["missing", "forged", "wrong-length-guess"],
)
async def test_missing_or_forged_tokens_change_nothing(device: Device, browser: Browser, token: str) -> None:
    await logged_in(browser)
    before = fingerprint(device)
    response = await browser.call("PUT", "/ISAPI/Security/illegalLoginLock", LOCK_OFF, token=token)
    assert refused_as_csrf(response)
    assert fingerprint(device) == before


async def test_a_token_does_not_move_to_another_session(device: Device, browser: Browser) -> None:
    await logged_in(browser)
    stolen = browser.token
    async with device.client(peer="10.0.0.6") as other_client:
        other = await logged_in(Browser(device, other_client))
        before = fingerprint(device)
        response = await other.call("PUT", "/ISAPI/Security/illegalLoginLock", LOCK_OFF, token=stolen)
    assert refused_as_csrf(response)
    assert fingerprint(device) == before


async def test_a_page_from_a_logged_out_session_is_refused(device: Device, browser: Browser) -> None:
    await logged_in(browser)
    assert (await browser.call("PUT", "/ISAPI/Security/sessionLogout")).status_code == 200
    before = fingerprint(device)
    response = await browser.call("PUT", "/ISAPI/Security/illegalLoginLock", LOCK_OFF)
    assert refused_as_csrf(response), "the session's token died with the session"
    assert fingerprint(device) == before


async def test_another_origin_is_refused_even_with_a_token(device: Device, browser: Browser) -> None:
    await logged_in(browser)
    before = fingerprint(device)
    for headers in (
        {"Origin": "http://evil.example", "X-CSRF-Token": browser.token},
        {"Origin": "https://192.0.2.10", "X-CSRF-Token": browser.token},
        {"Origin": "http://192.0.2.10:8080", "X-CSRF-Token": browser.token},
        {"Origin": "null", "X-CSRF-Token": browser.token},
        {"Origin": ORIGIN, "Sec-Fetch-Site": "cross-site", "X-CSRF-Token": browser.token},
    ):
        response = await browser.client.put(
            "/ISAPI/Security/illegalLoginLock", content=LOCK_OFF, headers=headers
        )
        assert refused_as_csrf(response), headers
    assert fingerprint(device) == before


async def test_scripts_without_browser_headers_are_unaffected(device: Device) -> None:
    async with device.client() as client:
        response = await client.put(
            "/ISAPI/Security/illegalLoginLock", content=LOCK_OFF, auth=httpx.DigestAuth("admin", STRONG)
        )
    assert response.status_code == 200


async def _activation_body(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> tuple[httpx.Response, bytes]:
    key = ActivationClientKey.generate()
    challenge = await client.post(
        "/ISAPI/Security/challenge",
        content=f"<PublicKey><key>{key.public_key_param()}</key></PublicKey>".encode(),
        headers=headers,
    )
    if challenge.status_code != 200:
        return challenge, b""
    random_text = key.decrypt_challenge(decode(challenge.content, ChallengeResponse).key)
    return (
        challenge,
        f"<ActivateInfo><password>{encrypt_password(random_text, STRONG)}</password></ActivateInfo>".encode(),
    )


async def test_a_hostile_page_cannot_activate_a_fresh_device() -> None:
    fresh = Device(activate=False)
    async with fresh.client() as client:
        challenge, _ = await _activation_body(client, {"Origin": "http://evil.example"})
        no_token, _ = await _activation_body(client, {"Origin": ORIGIN})
    assert refused_as_csrf(challenge) and refused_as_csrf(no_token)
    assert not fresh.model.activated


async def test_the_activation_page_token_activates() -> None:
    fresh = Device(activate=False)
    async with fresh.client() as client:
        browser = Browser(fresh, client)
        await browser.open("login.asp")
        challenge, body = await _activation_body(client, browser.headers())
        assert challenge.status_code == 200
        done = await browser.call("PUT", "/ISAPI/System/activate", body)
    assert done.status_code == 200 and fresh.model.activated


async def test_page_requests_get_no_browser_password_dialog(device: Device, browser: Browser) -> None:
    await browser.open("login.asp")
    from_page = await browser.client.get("/ISAPI/Security/users", headers=browser.headers())
    from_script = await browser.client.get("/ISAPI/Security/users")
    assert from_page.status_code == 401 and "www-authenticate" not in from_page.headers
    assert from_script.status_code == 401 and from_script.headers["www-authenticate"].startswith("Digest")


async def test_cookies_are_secure_over_https() -> None:
    device = Device()
    transport = InProcessTransport(device.frontend, peer="10.0.0.5", local=("192.0.2.10", 443))
    async with httpx.AsyncClient(transport=transport, base_url="https://192.0.2.10") as client:
        browser = Browser(device, client, origin="https://192.0.2.10")
        page = await browser.open("login.asp")
        login = await browser.login("admin", STRONG)
    assert "Secure" in page.headers["set-cookie"]
    assert login.status_code == 200
    session_cookie = login.headers["set-cookie"]
    assert (
        session_cookie.startswith("WebSession=")
        and "Secure" in session_cookie
        and "HttpOnly" in session_cookie
    )
