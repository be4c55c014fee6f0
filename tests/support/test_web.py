from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from camvault.protocols import resetcode
from camvault.support.web import MAX_BODY_BYTES, OperatorAuth, create_app
from tests.support.conftest import START, Vendor

TOKENS = {"alice": "alice-token-0123456789abcdef", "bob": "bob-token-0123456789abcdef"}
ALICE = {"Authorization": f"Bearer {TOKENS['alice']}"}
BOB = {"Authorization": f"Bearer {TOKENS['bob']}"}


@pytest.fixture
async def client(vendor: Vendor) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(vendor.service, operator_tokens=TOKENS, clock=vendor.clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def sign_in(client: httpx.AsyncClient, operator: str = "alice") -> str:
    response = await client.post("/login", data={"operator": operator, "token": TOKENS[operator]})
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    page = await client.get("/")
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


# ----------------------------------------------------------------------------------------------- JSON API


async def test_api_requires_a_valid_token(client: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": "Basic YTpi"}):
        response = await client.get("/api/cases", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["error"]["type"] == "HTTPException"


async def test_api_whole_path(client: httpx.AsyncClient, vendor: Vendor) -> None:
    device = vendor.manufacture()
    response = await client.post("/api/cases", content=device.export(START), headers=ALICE)
    assert response.status_code == 201
    case = response.json()
    assert (case["status"], case["serial"], case["skew_seconds"]) == ("verified", device.serial, 0)
    case_id = case["id"]
    response = await client.post(f"/api/cases/{case_id}/ownership", json={"note": "invoice"}, headers=ALICE)
    assert response.json()["ownership"]["operator"] == "alice"
    assert (await client.post(f"/api/cases/{case_id}/approve", headers=BOB)).json()["status"] == "approved"
    response = await client.post(f"/api/cases/{case_id}/issue", json={"sync_ipc_password": True}, headers=BOB)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    issued = response.json()
    device.import_code(issued["code"], START)
    shown = (await client.get(f"/api/cases/{case_id}", headers=ALICE)).json()
    assert shown["status"] == "issued"
    assert shown["issued"]["fingerprint"] == issued["fingerprint"]
    assert issued["code"] not in str(shown)
    assert [entry["action"] for entry in shown["history"]][-1] == "code_issued"
    listed = (await client.get("/api/cases?status=issued", headers=ALICE)).json()["cases"]
    assert [c["id"] for c in listed] == [case_id]
    audit = (await client.get("/api/audit", headers=ALICE)).json()
    assert audit["ok"]
    assert audit["head_seq"] == 5


async def test_api_the_code_file_works(client: httpx.AsyncClient, vendor: Vendor) -> None:
    device = vendor.manufacture()
    case_id = (await client.post("/api/cases", content=device.export(START), headers=ALICE)).json()["id"]
    await client.post(f"/api/cases/{case_id}/ownership", json={"note": "n"}, headers=ALICE)
    await client.post(f"/api/cases/{case_id}/approve", headers=ALICE)
    issued = (await client.post(f"/api/cases/{case_id}/issue", headers=ALICE)).json()
    assert not issued["sync_ipc_password"]
    assert device.import_code(issued["file"].encode(), START).code_id == issued["code_id"]


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (b"", 400, "MalformedMessage"),
        (b"garbage", 400, "MalformedMessage"),
        (
            b"-----BEGIN CAMVAULT RESET REQUEST-----\n{}\n-----END CAMVAULT RESET REQUEST-----",
            400,
            "InvalidContent",
        ),
        (b"x" * (MAX_BODY_BYTES + 1), 413, "MessageTooLarge"),
        (b"x" * (resetcode.MAX_REQUEST_FILE_BYTES + 1), 413, "MessageTooLarge"),
    ],
)
async def test_api_bad_request_files(client: httpx.AsyncClient, body: bytes, status: int, error: str) -> None:
    response = await client.post("/api/cases", content=body, headers=ALICE)
    assert response.status_code == status
    assert response.json()["error"]["type"] == error


async def test_api_conflicts_and_missing_cases(client: httpx.AsyncClient, vendor: Vendor) -> None:
    response = await client.get("/api/cases/999", headers=ALICE)
    assert response.status_code == 404
    assert response.json()["error"]["reason"] == "unknown_case"
    case_id = (
        await client.post("/api/cases", content=vendor.manufacture().export(START), headers=ALICE)
    ).json()["id"]
    response = await client.post(f"/api/cases/{case_id}/approve", headers=ALICE)
    assert response.status_code == 409
    assert response.json()["error"]["reason"] == "ownership_not_verified"
    for body in (b"not json", b"[1]", b'{"note": 5}'):
        response = await client.post(f"/api/cases/{case_id}/ownership", content=body, headers=ALICE)
        assert response.status_code == 400
        assert response.json()["error"]["reason"] == "invalid_input"
    response = await client.post(
        f"/api/cases/{case_id}/issue", json={"sync_ipc_password": "yes"}, headers=ALICE
    )
    assert response.status_code == 400
    assert (await client.get("/api/cases?status=nonsense", headers=ALICE)).status_code == 400


async def test_api_stolen_and_refuse(client: httpx.AsyncClient, vendor: Vendor) -> None:
    device = vendor.manufacture()
    response = await client.post("/api/stolen", json={"serial": device.serial, "note": "police"}, headers=BOB)
    assert response.status_code == 201
    case = (await client.post("/api/cases", content=device.export(START), headers=ALICE)).json()
    assert (case["status"], case["refusal_reason"]) == ("refused", "reported_stolen")
    other = (
        await client.post("/api/cases", content=vendor.manufacture().export(START), headers=ALICE)
    ).json()
    refused = (
        await client.post(f"/api/cases/{other['id']}/refuse", json={"reason": "no proof"}, headers=BOB)
    ).json()
    assert (refused["status"], refused["refusal_message"]) == ("refused", "no proof")


# --------------------------------------------------------------------------------------------- HTML pages


async def test_pages_need_a_session(client: httpx.AsyncClient) -> None:
    for path in ("/", "/cases/1", "/audit"):
        response = await client.get(path)
        assert response.status_code == 303
        assert response.headers["location"] == "/login"
    response = await client.post("/login", data={"operator": "alice", "token": TOKENS["bob"]})
    assert response.status_code == 401
    assert "Wrong operator name or token" in response.text


async def test_pages_whole_path(client: httpx.AsyncClient, vendor: Vendor) -> None:
    csrf = await sign_in(client)
    device = vendor.manufacture()
    vendor.clock.advance(90)
    files = {"request": ("request.txt", device.export(START), "text/plain")}
    response = await client.post("/cases", data={"csrf": csrf}, files=files)
    assert response.status_code == 303
    case_path = response.headers["location"]
    page = await client.get(case_path)
    assert device.serial in page.text
    assert "0 h 01 min 30 s behind" in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    await client.post(f"{case_path}/ownership", data={"csrf": csrf, "note": "called the installer"})
    await client.post(f"{case_path}/approve", data={"csrf": csrf})
    page = await client.post(f"{case_path}/issue", data={"csrf": csrf, "sync_ipc_password": "1"})
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    typed = re.search(r'<p class="code">([0-9A-Z-]+)</p>', page.text)
    assert typed
    file_b64 = re.search(r"base64,([A-Za-z0-9+/=]+)", page.text)
    assert file_b64
    assert device.import_code(typed.group(1), START).sync_ipc_password
    assert base64.b64decode(file_b64.group(1)).startswith(b"-----BEGIN CAMVAULT RESET CODE-----")
    case_page = await client.get(case_path)
    assert "issued" in case_page.text
    assert typed.group(1) not in case_page.text
    assert "Intact" in (await client.get("/audit")).text


async def test_forms_without_the_csrf_token_are_refused(client: httpx.AsyncClient, vendor: Vendor) -> None:
    await sign_in(client)
    case_id = vendor.service.receive_request(vendor.manufacture().export(START), actor="alice").id
    for data in ({}, {"csrf": "forged"}):
        response = await client.post(f"/cases/{case_id}/ownership", data={**data, "note": "x"})
        assert response.status_code == 403
    assert vendor.service.show_case(case_id).case.ownership_operator is None


async def test_every_user_value_is_escaped(client: httpx.AsyncClient, vendor: Vendor) -> None:
    csrf = await sign_in(client)
    hostile = "<script>alert(1)</script>"
    forged = (
        vendor.manufacture()
        .export(START)
        .replace(b'"model": "DS-2CD2385G1-I"', f'"model": "{hostile}"'.encode())
    )
    case = vendor.service.receive_request(forged, actor="alice")  # refused (bad signature), still shown
    assert case.refusal_reason == "bad_signature"
    genuine = vendor.service.receive_request(vendor.manufacture().export(START), actor="alice")
    await client.post(
        f"/cases/{genuine.id}/ownership", data={"csrf": csrf, "note": '<img src=x onerror="x()">'}
    )
    pages = [(await client.get(path)).text for path in ("/", f"/cases/{case.id}", f"/cases/{genuine.id}")]
    for text in pages:
        assert "<script>alert" not in text
        assert "<img src=x" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[1]
    assert "&lt;img src=x onerror=" in pages[2]


async def test_oversized_upload_page(client: httpx.AsyncClient) -> None:
    csrf = await sign_in(client)
    files = {"request": ("big.txt", b"x" * (MAX_BODY_BYTES + 10), "text/plain")}
    response = await client.post("/cases", data={"csrf": csrf}, files=files)
    assert response.status_code == 413
    assert "Too large" in response.text


async def test_sessions_expire_and_sign_out(client: httpx.AsyncClient, vendor: Vendor) -> None:
    csrf = await sign_in(client)
    assert (await client.get("/")).status_code == 200
    vendor.clock.advance(9 * 3600)
    assert (await client.get("/")).status_code == 303
    csrf = await sign_in(client)
    response = await client.post("/logout", data={"csrf": csrf})
    assert response.status_code == 303
    assert (await client.get("/")).status_code == 303


async def test_unknown_case_page_is_404(client: httpx.AsyncClient) -> None:
    await sign_in(client)
    response = await client.get("/cases/12345")
    assert response.status_code == 404
    assert "case 12345 does not exist" in response.text


def test_operator_tokens_must_be_strong_and_stay_hidden() -> None:
    with pytest.raises(ValueError):
        OperatorAuth({"alice": "short"})
    with pytest.raises(ValueError):
        OperatorAuth({})
    auth = OperatorAuth(TOKENS)
    assert TOKENS["alice"] not in repr(auth)
    assert auth.operator_for(TOKENS["bob"]) == "bob"
    assert auth.operator_for("bob") is None


async def test_a_session_gets_past_the_day_limit(client: httpx.AsyncClient, vendor: Vendor) -> None:
    """Sessions use the injected clock's monotonic time, so moving wall time alone does not expire them."""
    await sign_in(client)
    vendor.clock.set_wall(START + timedelta(days=30))
    assert (await client.get("/")).status_code == 200
