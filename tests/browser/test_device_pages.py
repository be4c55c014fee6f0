"""The device's pages in real Chromium: the flows an owner goes through, end to end over a real socket."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from camvault.device.model import UserLevel
from camvault.device.model import recovery as rec
from tests.browser.conftest import ServedDevice, screenshot
from tests.device.isapi.recovery_client import Device
from tests.device.model.conftest import STRONG

pytestmark = pytest.mark.browser

GUARD = "Gu4rd-Post!"
NEW_ADMIN = "N3w-Owner-Pass!"
ANSWERS = ("Margaret Hamilton", "Rex", "Elm Street")


def login(page: Page, served: ServedDevice, password: str, user: str = "admin") -> None:
    page.goto(served.url + "/doc/page/login.asp")
    page.fill("#login-username", user)
    page.fill("#login-password", password)
    page.click("#login-submit")


def logged_in(page: Page, served: ServedDevice, password: str = STRONG) -> None:
    login(page, served, password)
    page.wait_for_url("**/users.asp")


def logout(page: Page) -> None:
    page.click("#logout")
    page.wait_for_url("**/login.asp")
    expect(page.locator("#login-form")).to_be_visible()


def test_activate_log_in_manage_users_and_passwords(page: Page, fresh_device: ServedDevice) -> None:
    served = fresh_device
    page.goto(served.url + "/")
    page.wait_for_url(re.compile(r".*/doc/page/login\.asp\?_\d+$"))
    expect(page.locator("#activate-form")).to_be_visible()

    page.fill("#activate-password", "abcdefgh")
    expect(page.locator("[data-strength-label]")).to_contain_text("risky")
    page.fill("#activate-password", "abcd1234")
    expect(page.locator("[data-strength-label]")).to_have_text("Strength: weak")
    page.fill("#activate-password", STRONG)
    expect(page.locator("[data-strength-label]")).to_have_text("Strength: strong")
    expect(page.locator(".meter")).to_have_attribute("data-level", "3")
    page.fill("#activate-confirm", STRONG + "x")
    page.click("#activate-submit")
    expect(page.locator("#activate-message")).to_have_text("The passwords do not match.")
    assert not served.run(lambda: served.device.model.activated)
    screenshot(page, "activation")

    page.fill("#activate-confirm", STRONG)
    page.click("#activate-submit")
    expect(page.locator("#login-form")).to_be_visible()
    assert served.run(lambda: served.device.model.user(1).password.matches(STRONG))
    screenshot(page, "login")

    logged_in(page, served)
    page.fill("#add-username", "guard")
    page.select_option("#add-level", "Operator")
    page.fill("#add-password", GUARD)
    page.fill("#add-confirm", GUARD)
    page.fill("#add-admin-password", STRONG)
    page.click("#add-submit")
    expect(page.locator("#page-message")).to_have_text("Added the user guard.")
    expect(page.locator('tr[data-user-name="guard"]')).to_be_visible()
    guard = served.run(lambda: served.device.model.account("guard"))
    assert guard is not None and guard.level is UserLevel.OPERATOR
    screenshot(page, "users")

    row = page.locator('tr[data-user-name="guard"]')
    row.locator(".change-password").click()
    expect(page.locator("#current-caption")).to_have_text("Admin password (yours)")
    page.fill("#change-current", STRONG)
    page.fill("#change-password-input", "Gu4rd-Post-2!")
    page.fill("#change-confirm", "Gu4rd-Post-2!")
    page.click("#change-submit")
    expect(page.locator("#password-message")).to_have_text("The password of guard is changed.")
    assert served.run(lambda: served.device.model.account("guard").password.matches("Gu4rd-Post-2!"))  # type: ignore[union-attr]

    page.locator('tr[data-user-name="admin"] .change-password').click()
    expect(page.locator("#current-caption")).to_have_text("Your current password")
    page.fill("#change-current", STRONG)
    page.fill("#change-password-input", NEW_ADMIN)
    page.fill("#change-confirm", NEW_ADMIN)
    page.click("#change-submit")
    expect(page.locator("#password-message")).to_contain_text("Your password is changed")

    page.once("dialog", lambda dialog: dialog.accept())
    row.locator(".delete-user").click()
    expect(page.locator("#page-message")).to_have_text("Deleted the user guard.")
    assert served.run(lambda: served.device.model.account("guard")) is None

    logout(page)
    login(page, served, STRONG)
    expect(page.locator("#login-message")).to_have_text("Wrong user name or password. 4 attempts left.")
    login(page, served, NEW_ADMIN)
    page.wait_for_url("**/users.asp")


def test_the_lock_message_comes_from_the_device(page: Page, active_device: ServedDevice) -> None:
    served = active_device
    for left in (4, 3, 2, 1):
        login(page, served, "Wrong-Guess-1")
        expect(page.locator("#login-message")).to_have_text(
            f"Wrong user name or password. {left} attempt{'s' if left != 1 else ''} left."
        )
    login(page, served, "Wrong-Guess-1")
    expect(page.locator("#login-message")).to_have_text(
        "Locked after too many failed attempts. Try again in 30 minutes."
    )
    login(page, served, STRONG)
    expect(page.locator("#login-message")).to_have_text(
        "Locked after too many failed attempts. Try again in 30 minutes."
    )
    screenshot(page, "locked")
    assert served.run(lambda: served.device.model.lock_status("127.0.0.1").locked)


def test_a_default_password_gets_the_change_prompt(page: Page) -> None:
    served = ServedDevice(Device(firmware="V5.2.5 build 141201"))
    try:
        login(page, served, "12345")
        expect(page.locator("#risk-prompt")).to_be_visible()
        expect(page.locator("#risk-text")).to_contain_text("factory default password")
        page.click("#risk-change")
        page.wait_for_url("**/users.asp#change-own")
        expect(page.locator("#change-password")).to_be_visible()
        expect(page.locator("#change-target")).to_have_text("admin")
    finally:
        served.stop()


def test_set_questions_then_recover_with_them(page: Page, active_device: ServedDevice) -> None:
    served = active_device
    logged_in(page, served)
    page.click("text=Security")
    page.wait_for_url("**/security.asp")
    for slot, (question, answer) in enumerate(zip((2, 7, 9), ANSWERS, strict=True)):
        page.select_option(f"#question-{slot}", str(question))
        page.fill(f"#answer-{slot}", answer)
    page.fill("#questions-admin-password", "Wrong-Pass-123")
    page.click("#questions-submit")
    expect(page.locator("#questions-message")).to_have_text(
        "The admin password is wrong. 4 attempts left before the device locks this computer out."
    )
    page.fill("#questions-admin-password", STRONG)
    page.click("#questions-submit")
    expect(page.locator("#page-message")).to_have_text("The security questions are saved.")
    assert served.run(lambda: served.device.model.recovery.question_ids) == (2, 7, 9)
    screenshot(page, "security")
    logout(page)

    page.click("#forgot-password")
    page.wait_for_url("**/pwdReset.asp")
    expect(page.locator(".question-text").first).to_have_text(rec.QUESTIONS[2])
    screenshot(page, "pwdReset")
    page.fill("#reset-answer-0", "margaret hamilton")
    page.fill("#reset-answer-1", "Fido")
    page.fill("#reset-answer-2", "Elm Street")
    page.click("#answers-submit")
    expect(page.locator("#answers-message")).to_have_text(
        "The answers are not right. 4 attempts left before the device locks this computer out."
    )
    page.fill("#reset-answer-1", "  REX ")
    page.click("#answers-submit")
    expect(page.locator("#answers-password-form")).to_be_visible()
    page.fill("#answers-password", NEW_ADMIN)
    page.fill("#answers-confirm", "different-Pass1")
    page.click("#answers-password-submit")
    expect(page.locator("#answers-password-message")).to_have_text("The passwords do not match.")
    page.fill("#answers-confirm", NEW_ADMIN)
    page.click("#answers-password-submit")
    expect(page.locator("#answers-password-message")).to_have_text(
        "The new admin password is set. Log in with it."
    )
    page.wait_for_url("**/login.asp")
    assert served.run(lambda: served.device.model.user(1).password.matches(NEW_ADMIN))
    logged_in(page, served, NEW_ADMIN)


def test_export_a_guid_file_then_recover_with_it(
    page: Page, active_device: ServedDevice, tmp_path: Path
) -> None:
    served = active_device
    logged_in(page, served)
    page.goto(served.url + "/doc/page/security.asp")
    page.fill("#guid-admin-password", STRONG)
    with page.expect_download() as download_info:
        page.click("#guid-submit")
    download = download_info.value
    serial = served.device.model.identity.serial
    assert download.suggested_filename == f"GUID_{serial}.xml"
    guid_file = tmp_path / download.suggested_filename
    download.save_as(guid_file)
    assert rec.parse_guid_file(guid_file.read_bytes())[0] == serial
    expect(page.locator("#guid-message")).to_contain_text("The GUID file is exported")
    logout(page)

    page.goto(served.url + "/doc/page/pwdReset.asp")
    page.set_input_files("#guid-file", str(guid_file))
    page.fill("#guid-password", NEW_ADMIN)
    page.fill("#guid-confirm", NEW_ADMIN)
    page.click("#guid-reset-submit")
    expect(page.locator("#guid-reset-message")).to_have_text("The new admin password is set. Log in with it.")
    page.wait_for_url("**/login.asp")
    assert served.run(lambda: served.device.model.user(1).password.matches(NEW_ADMIN))

    page.goto(served.url + "/doc/page/pwdReset.asp")
    page.set_input_files("#guid-file", str(guid_file))
    page.fill("#guid-password", "An0ther-Choice!")
    page.fill("#guid-confirm", "An0ther-Choice!")
    page.click("#guid-reset-submit")
    expect(page.locator("#guid-reset-message")).to_contain_text("That GUID file is not valid any more")
    assert served.run(lambda: served.device.model.user(1).password.matches(NEW_ADMIN))


def test_default_erases_everything_and_shows_activation(page: Page, active_device: ServedDevice) -> None:
    served = active_device
    logged_in(page, served)
    page.click("text=Maintenance")
    page.wait_for_url("**/maintenance.asp")
    expect(page.locator("#info-serial")).to_have_text(served.device.model.identity.serial)
    screenshot(page, "maintenance")
    page.click("#default-submit")
    expect(page.locator("#default-message")).to_have_text("Tick the box to confirm what will be erased.")
    assert served.run(lambda: served.device.model.activated)
    page.check("#default-confirm")
    page.click("#default-submit")
    page.wait_for_url("**/login.asp")
    expect(page.locator("#activate-form")).to_be_visible()
    assert not served.run(lambda: served.device.model.activated)


def test_forms_explain_bad_input_and_change_nothing(page: Page, active_device: ServedDevice) -> None:
    served = active_device
    logged_in(page, served)

    def users() -> list[str]:
        return served.run(lambda: [account.name for account in served.device.model.users()])

    cases = [
        ("", GUARD, GUARD, STRONG, "Enter a user name."),
        ("u" * 33, GUARD, GUARD, STRONG, "User names have at most 32 characters."),
        ("two words", GUARD, GUARD, STRONG, "User names cannot contain spaces"),
        ("admin", GUARD, GUARD, STRONG, "A user with this name already exists."),
        ("guard", "", "", STRONG, "Enter a password."),
        ("guard", "Abcdefgh12345678!", "Abcdefgh12345678!", STRONG, "at most 16 characters"),
        ("guard", "Wächter-12345", "Wächter-12345", STRONG, "Use only letters, digits"),
        ("guard", GUARD, GUARD + "x", STRONG, "The passwords do not match."),
        ("guard", GUARD, GUARD, "", "Enter your admin password."),
        ("guard", GUARD, GUARD, "Wrong-Pass-123", "Your admin password is wrong"),
    ]
    page.evaluate("() => { document.querySelector('#add-username').maxLength = 100; }")
    for name, password, confirm, admin, message in cases:
        page.fill("#add-username", name)
        page.fill("#add-password", password)
        page.fill("#add-confirm", confirm)
        page.fill("#add-admin-password", admin)
        page.click("#add-submit")
        expect(page.locator("#add-message")).to_contain_text(message)
        assert users() == ["admin"], name

    before = served.run(lambda: served.device.model.settings.lock.max_attempts)
    page.goto(served.url + "/doc/page/security.asp")
    page.fill("#lock-attempts", "2")
    page.click("#lock-submit")
    expect(page.locator("#lock-message")).to_have_text("Attempts must be a whole number from 3 to 20.")
    assert served.run(lambda: served.device.model.settings.lock.max_attempts) == before

    served.run(lambda: served.device.clock.advance(served.device.model.sessions.settings.idle_timeout + 1))
    page.fill("#lock-attempts", "7")
    page.click("#lock-submit")
    expect(page.locator("#lock-message")).to_have_text("This page has expired. Reload it and try again.")
    assert served.run(lambda: served.device.model.settings.lock.max_attempts) == before


def test_export_and_import_the_configuration(page: Page, active_device: ServedDevice, tmp_path: Path) -> None:
    served = active_device
    logged_in(page, served)
    page.goto(served.url + "/doc/page/maintenance.asp")
    page.fill("#export-secret", "file-key-1")
    page.fill("#export-admin-password", "Wrong-Pass-123")
    page.click("#export-submit")
    expect(page.locator("#export-message")).to_contain_text("Your admin password is wrong. 4 attempts left")
    page.fill("#export-admin-password", STRONG)
    with page.expect_download() as download_info:
        page.click("#export-submit")
    backup = tmp_path / "backup.bin"
    download_info.value.save_as(backup)
    assert backup.read_bytes().startswith(b"CAMVAULT-CFG")

    served.run(lambda: served.device.model.rename("Renamed after the backup"))
    page.set_input_files("#import-file", str(backup))
    page.fill("#import-secret", "not-the-key")
    page.fill("#import-admin-password", STRONG)
    page.click("#import-submit")
    expect(page.locator("#import-message")).to_have_text(
        "The file does not open with this file password, or it is damaged."
    )
    assert served.run(lambda: served.device.model.settings.device_name) == "Renamed after the backup"
    page.fill("#import-secret", "file-key-1")
    page.click("#import-submit")
    page.wait_for_url("**/login.asp")
    assert served.run(lambda: served.device.model.settings.device_name) == "IP CAMERA"
