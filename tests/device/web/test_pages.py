from __future__ import annotations

import importlib.resources
import re

import pytest

from camvault.device.model import UserLevel
from camvault.device.model import recovery as rec
from tests.device.isapi.recovery_client import ANSWERS, Device
from tests.device.model.conftest import STRONG
from tests.device.web.conftest import Browser, logged_in

PAGES = ["users.asp", "security.asp", "maintenance.asp"]


async def test_the_landing_page_leads_to_login_and_an_inactive_device_shows_activation() -> None:
    fresh = Device(activate=False)
    async with fresh.client() as client:
        landing = await client.get("/")
        login = await client.get("/doc/page/login.asp?_1700000000000")
        reset = await client.get("/doc/page/pwdReset.asp")
        protected = await client.get("/doc/page/users.asp")
    assert "/doc/page/login.asp?_" in landing.text
    assert login.status_code == 200 and 'id="activate-form"' in login.text
    assert 'data-page="activate"' in login.text
    assert reset.status_code == 302 and reset.headers["location"] == "/doc/page/login.asp"
    assert protected.status_code == 302


async def test_login_page_of_an_active_device(browser: Browser) -> None:
    login = await browser.open("login.asp")
    activate = await browser.client.get("/doc/page/activate.asp")
    assert 'id="login-form"' in login.text and 'href="/doc/page/pwdReset.asp"' in login.text
    assert activate.status_code == 302 and activate.headers["location"] == "/doc/page/login.asp"


@pytest.mark.parametrize("page", PAGES)
async def test_pages_need_a_live_session(device: Device, browser: Browser, page: str) -> None:
    assert (await browser.client.get(f"/doc/page/{page}")).status_code == 302
    await logged_in(browser)
    assert (await browser.client.get(f"/doc/page/{page}")).status_code == 200
    device.clock.advance(device.model.sessions.settings.idle_timeout + 1)
    expired = await browser.client.get(f"/doc/page/{page}")
    assert expired.status_code == 302 and expired.headers["location"] == "/doc/page/login.asp"


async def test_a_logged_in_visitor_skips_the_login_form(browser: Browser) -> None:
    await logged_in(browser)
    response = await browser.client.get("/doc/page/login.asp")
    assert response.status_code == 302 and response.headers["location"] == "/doc/page/users.asp"


@pytest.mark.parametrize("page", ["login.asp", "pwdReset.asp"])
async def test_pages_carry_strict_security_headers(browser: Browser, page: str) -> None:
    response = await browser.open(page)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert not re.search(r"<script>(?!</script>)", response.text), "no inline script under the CSP"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


async def test_static_files_and_unknown_paths(browser: Browser) -> None:
    client = browser.client
    script = await client.get("/doc/script/cvcrypto.js")
    css = await client.get("/doc/css/device.css")
    assert script.status_code == 200 and script.headers["content-type"].startswith("application/javascript")
    assert "CvCrypto" in script.text
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    for path in [
        "/doc/page/nothing.asp",
        "/doc/script/../../frontend.py",
        "/doc/script/%2e%2e/%2e%2e/pages.py",
        "/doc/templates/base.html",
        "/doc/",
    ]:
        assert (await client.get(path)).status_code == 404, path
    assert (await client.post("/doc/page/login.asp")).status_code == 405


def test_static_files_ship_inside_the_package() -> None:
    root = importlib.resources.files("camvault.device.web")
    for name in ("static/script/cvcrypto.js", "static/script/cvpages.js", "static/css/device.css"):
        assert root.joinpath(name).is_file(), name
    assert root.joinpath("templates/base.html").is_file()


async def test_every_user_controlled_value_is_escaped(device: Device, browser: Browser) -> None:
    hostile = "<script>alert(1)</script>\"'&"
    device.model.rename(hostile)
    device.model.add_user(
        device.model.user(1), name="o.brien-2", password="Vi3wer-Pass!", level=UserLevel.VIEWER
    )
    await logged_in(browser)
    pages = [await browser.client.get(f"/doc/page/{page}") for page in PAGES]
    pages.append(await browser.client.get("/doc/page/pwdReset.asp"))
    for response in pages:
        assert response.status_code == 200
        assert hostile not in response.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&#39;&amp;" in response.text


async def test_admin_sees_every_user_and_the_add_form(device: Device, browser: Browser) -> None:
    model = device.model
    model.add_user(model.user(1), name="guard", password="Gu4rd-Post!", level=UserLevel.VIEWER)
    await logged_in(browser)
    page = (await browser.client.get("/doc/page/users.asp")).text
    assert 'data-user-name="admin"' in page and 'data-user-name="guard"' in page
    assert 'id="add-user-form"' in page and "delete-user" in page


async def test_a_viewer_sees_only_itself_and_no_administration(device: Device, browser: Browser) -> None:
    model = device.model
    model.add_user(model.user(1), name="guard", password="Gu4rd-Post!", level=UserLevel.VIEWER)
    await logged_in(browser, "guard", "Gu4rd-Post!")
    users = (await browser.client.get("/doc/page/users.asp")).text
    security = await browser.client.get("/doc/page/security.asp")
    assert 'data-user-name="guard"' in users and 'data-user-name="admin"' not in users
    assert 'id="add-user-form"' not in users and "delete-user" not in users
    assert 'href="/doc/page/security.asp"' not in users
    assert security.status_code == 403 and "needs an Administrator" in security.text


async def test_an_administrator_level_user_cannot_set_the_admins_recovery(
    device: Device, browser: Browser
) -> None:
    model = device.model
    model.add_user(model.user(1), name="deputy", password="Dep-uty-2024!", level=UserLevel.ADMINISTRATOR)
    await logged_in(browser, "deputy", "Dep-uty-2024!")
    page = (await browser.client.get("/doc/page/security.asp")).text
    assert 'id="lock-form"' in page
    assert 'id="questions-form"' not in page and "Only the <strong>admin</strong> account" in page


async def test_security_page_shows_sessions_without_their_ids(device: Device, browser: Browser) -> None:
    await logged_in(browser)
    page = (await browser.client.get("/doc/page/security.asp")).text
    session_id = browser.session_id
    assert session_id and session_id not in page
    assert "10.0.0.5" in page and "(this session)" in page
    assert 'value="5"' in page and 'value="1800"' in page


async def test_no_secret_reaches_any_page(device: Device, browser: Browser) -> None:
    planted_answer = "Zanzibar-Planted-4471"
    rec.configure_questions(
        device.model, device.model.user(1), {1: planted_answer, 2: "b", 3: "c"}, password=STRONG, source="x"
    )
    await logged_in(browser)
    sources = [(await browser.client.get(f"/doc/page/{page}")).text for page in [*PAGES, "pwdReset.asp"]]
    combined = "\n".join(sources)
    for secret in (STRONG, planted_answer, planted_answer.casefold(), browser.session_id or "missing"):
        assert secret not in combined


async def test_reset_page_lists_methods_and_the_configured_questions(
    device: Device, browser: Browser
) -> None:
    empty = (await browser.open("pwdReset.asp")).text
    assert "No security questions are set" in empty
    rec.configure_questions(device.model, device.model.user(1), ANSWERS, password=STRONG, source="x")
    page = (await browser.open("pwdReset.asp")).text
    for qid in ANSWERS:
        assert rec.QUESTIONS[qid].replace("'", "&#39;") in page
    assert 'id="guid-reset-form"' in page and 'id="support-code-form"' in page
    assert 'id="method-reset-button"' in page


async def test_reset_page_on_legacy_firmware_offers_only_support_and_the_button() -> None:
    legacy = Device(firmware="V5.2.5 build 141201")
    async with legacy.client() as client:
        page = (await client.get("/doc/page/pwdReset.asp")).text
    assert 'id="answers-form"' not in page and 'id="guid-reset-form"' not in page
    assert 'data-method="legacy-security-code"' in page and 'id="method-reset-button"' in page
