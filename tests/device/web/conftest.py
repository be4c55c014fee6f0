from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from camvault.protocols.isapi import session_login
from camvault.protocols.isapi.documents import SessionLoginCap, decode
from tests.device.isapi.recovery_client import Device
from tests.device.model.conftest import STRONG

ORIGIN = "http://192.0.2.10"
_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def page_token(html: str) -> str:
    found = _TOKEN.search(html)
    assert found, "every page carries a CSRF token"
    return found[1]


class Browser:
    """What the device's pages do, from Python: same requests, same headers, same cookies."""

    def __init__(self, device: Device, client: httpx.AsyncClient, origin: str = ORIGIN) -> None:
        self.device = device
        self.client = client
        self.origin = origin
        self.token = ""

    async def open(self, page: str) -> httpx.Response:
        response = await self.client.get(f"/doc/page/{page}")
        if response.status_code == 200:
            self.token = page_token(response.text)
        return response

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {
            "Origin": self.origin,
            "X-CSRF-Token": self.token if token is None else token,
            "If-Modified-Since": "0",
        }

    async def call(
        self, method: str, url: str, body: bytes | None = None, *, token: str | None = None
    ) -> httpx.Response:
        return await self.client.request(method, url, content=body, headers=self.headers(token))

    async def login(self, user: str, password: str) -> httpx.Response:
        caps = decode(
            (await self.client.get(f"/ISAPI/Security/sessionLogin/capabilities?username={user}")).content,
            SessionLoginCap,
        )
        proof = session_login.session_password_proof(
            user,
            password,
            salt=caps.salt or "",
            challenge=caps.challenge,
            iterations=caps.iterations,
            irreversible=True,
        )
        body = (
            f"<SessionLogin><userName>{user}</userName><password>{proof}</password>"
            f"<sessionID>{caps.session_id}</sessionID></SessionLogin>"
        ).encode()
        return await self.call("POST", "/ISAPI/Security/sessionLogin", body)

    @property
    def session_id(self) -> str | None:
        return self.client.cookies.get("WebSession")


@pytest.fixture
def device() -> Device:
    return Device()


@pytest.fixture
async def browser(device: Device) -> AsyncIterator[Browser]:
    async with device.client(peer="10.0.0.5") as client:
        yield Browser(device, client)


async def logged_in(browser: Browser, user: str = "admin", password: str | None = None) -> Browser:
    await browser.open("login.asp")
    response = await browser.login(user, password or STRONG)
    assert response.status_code == 200, response.text
    await browser.open("users.asp")
    return browser
