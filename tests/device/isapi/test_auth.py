"""Authentication as a real device does it: Digest, Basic refusal, the lock, stale nonces, sessions."""

from __future__ import annotations

import httpx
import pytest

from camvault.device.isapi.auth import UNAUTHORIZED_HTML, basic_header
from camvault.protocols import digest, xml
from camvault.protocols.isapi.session_login import session_password_proof
from camvault.protocols.isapi.status import decode_status
from tests.device.conftest import Rig, RigFactory
from tests.device.model.conftest import STRONG


async def test_the_401_looks_like_the_capture(rig: Rig) -> None:
    async with rig.client() as client:
        response = await client.get("/ISAPI/System/deviceInfo")
    assert response.status_code == 401
    assert response.content == UNAUTHORIZED_HTML
    challenge = digest.parse_challenge(response.headers["www-authenticate"])
    assert challenge.realm == rig.model.identity.realm and challenge.realm.startswith("IP Camera(")
    assert challenge.qop == ("auth",) and not challenge.stale
    assert response.headers["www-authenticate"].startswith('Digest qop="auth", realm="IP Camera(')
    assert rig.model.lock_status("10.0.0.1").attempts_left == 5, (
        "a request without credentials is not an attempt"
    )


async def test_basic_is_refused_with_a_digest_challenge_on_modern_firmware(rig: Rig) -> None:
    async with rig.client() as client:
        response = await client.get(
            "/ISAPI/System/deviceInfo", headers={"Authorization": basic_header("admin", STRONG)}
        )
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Digest ")
    assert "basic" not in response.headers.get_list("www-authenticate")[-1].lower()
    assert rig.model.lock_status("10.0.0.1").attempts_left == 5, "a refused scheme is not a guess"


async def test_basic_works_on_firmware_before_5_5(make_rig: RigFactory) -> None:
    rig = make_rig(firmware="V5.4.5 build 170124")
    async with rig.client() as client:
        good = await client.get(
            "/ISAPI/System/deviceInfo", headers={"Authorization": basic_header("admin", STRONG)}
        )
        bad = await client.get(
            "/ISAPI/System/deviceInfo", headers={"Authorization": basic_header("admin", "nope")}
        )
    assert good.status_code == 200
    assert bad.status_code == 401
    assert rig.model.lock_status("10.0.0.1").attempts_left == 4
    assert "hikvision.com" in good.text, "V5.4 answers in the older namespace"


async def test_the_lock_engages_per_source_and_reports_its_fields(rig: Rig) -> None:
    for attempt in range(5):
        # A fresh client each time: httpx's DigestAuth re-sends a cached challenge and then retries with the
        # new one, which would be two guesses per request.
        async with rig.client(peer="10.0.0.1", auth=httpx.DigestAuth("admin", "wrong")) as guesser:
            response = await guesser.get("/ISAPI/System/deviceInfo")
        assert response.status_code == 401
        status = decode_status(response.content)
        assert status.retry_times == 4 - attempt
    assert status.lock_status is not None and status.lock_status.value == "locked"
    assert status.res_lock_time == 1800
    async with rig.client(peer="10.0.0.1", auth=httpx.DigestAuth("admin", STRONG)) as owner:
        refused = await owner.get("/ISAPI/Security/userCheck")
        assert refused.status_code == 401, "even the right password is refused while locked"
        root = xml.parse(refused.content)
        assert xml.text(root, "lockStatus") in ("locked", "lock")
        assert xml.integer(root, "unlockTime") == 1800
    rig.clock.advance(900)
    async with rig.client(peer="10.0.0.1", auth=httpx.DigestAuth("admin", STRONG)) as owner:
        again = await owner.get("/ISAPI/Security/userCheck")
        assert xml.integer(xml.parse(again.content), "unlockTime") == 1800, "each try restarts the lock time"
    async with rig.client(peer="10.0.0.2", auth=httpx.DigestAuth("admin", STRONG)) as elsewhere:
        assert (await elsewhere.get("/ISAPI/Security/userCheck")).status_code == 200


async def test_user_check_success_and_failure_shapes(rig: Rig) -> None:
    async with rig.client(auth=httpx.DigestAuth("admin", STRONG)) as client:
        ok = await client.get("/ISAPI/Security/userCheck?timeStamp=1700000000000")
    root = xml.require_root(xml.parse(ok.content), "userCheck")
    assert xml.integer(root, "statusValue") == 200
    assert xml.boolean(root, "isDefaultPassword") is False
    async with rig.client(auth=httpx.DigestAuth("admin", "wrong")) as client:
        bad = await client.get("/ISAPI/Security/userCheck")
    assert bad.status_code == 401, "scanners treat HTTP 200 as valid credentials, so a failure must be 401"
    assert xml.integer(xml.parse(bad.content), "retryLoginTime") == 4


async def test_expired_nonce_gets_stale_and_costs_no_attempt(rig: Rig) -> None:
    async with rig.client() as client:
        first = await client.get("/ISAPI/Security/userCheck")
        challenge = digest.parse_challenge(first.headers["www-authenticate"])
        rig.clock.advance(400)
        header = digest.build_authorization(
            challenge, "GET", "/ISAPI/Security/userCheck", "admin", STRONG, cnonce="0a4f113b", nc=1
        )
        response = await client.get("/ISAPI/Security/userCheck", headers={"Authorization": header})
        assert response.status_code == 401
        assert digest.parse_challenge(response.headers["www-authenticate"]).stale
        assert rig.model.lock_status("10.0.0.1").attempts_left == 5
        fresh = digest.parse_challenge(response.headers["www-authenticate"])
        header = digest.build_authorization(
            fresh, "GET", "/ISAPI/Security/userCheck", "admin", STRONG, cnonce="1b", nc=1
        )
        assert (
            await client.get("/ISAPI/Security/userCheck", headers={"Authorization": header})
        ).status_code == 200
        replay = await client.get("/ISAPI/Security/userCheck", headers={"Authorization": header})
        assert replay.status_code == 401, "a replayed (nonce, nc) pair is refused"
        assert digest.parse_challenge(replay.headers["www-authenticate"]).stale


async def session_login(client: httpx.AsyncClient, rig: Rig, password: str) -> httpx.Response:
    caps = await client.get("/ISAPI/Security/sessionLogin/capabilities?username=admin&random=12345678")
    root = xml.parse(caps.content)
    proof = session_password_proof(
        "admin",
        password,
        salt=xml.text(root, "salt"),
        challenge=xml.text(root, "challenge"),
        iterations=xml.integer(root, "iterations"),
        irreversible=xml.boolean(root, "isIrreversible"),
    )
    body = (
        f"<SessionLogin><userName>admin</userName><password>{proof}</password>"
        f"<sessionID>{xml.text(root, 'sessionID')}</sessionID></SessionLogin>"
    )
    return await client.post("/ISAPI/Security/sessionLogin?timeStamp=1", content=body)


async def test_session_login_cookie_heartbeat_and_logout(rig: Rig) -> None:
    async with rig.client() as client:
        wrong = await session_login(client, rig, "Not-The-Passw0rd")
        assert wrong.status_code == 401
        assert xml.integer(xml.parse(wrong.content), "retryLoginTime") == 4
        response = await session_login(client, rig, STRONG)
        assert response.status_code == 200
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("WebSession=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert rig.model.lock_status("10.0.0.1").attempts_left == 5, "success resets the count"
        assert (await client.get("/ISAPI/System/deviceInfo")).status_code == 200, "the cookie authenticates"
        assert (await client.put("/ISAPI/Security/sessionHeartbeat")).status_code == 200
        rig.clock.advance(301)
        assert (await client.get("/ISAPI/System/deviceInfo")).status_code == 401, "idle sessions expire"
        await session_login(client, rig, STRONG)
        assert (await client.put("/ISAPI/Security/sessionLogout")).status_code == 200
        assert (await client.get("/ISAPI/System/deviceInfo")).status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "Digest",
        "Digest username=",
        'Digest username="admin", realm="x"',
        "Bearer abc",
        "Basic !!!",
        "x" * 5000,
    ],
)
async def test_garbage_credentials_get_a_challenge(rig: Rig, header: str) -> None:
    async with rig.client() as client:
        response = await client.get("/ISAPI/System/deviceInfo", headers={"Authorization": header})
    assert response.status_code == 401
    assert "www-authenticate" in response.headers
