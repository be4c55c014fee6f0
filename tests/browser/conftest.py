"""Real Chromium against a device on a real loopback socket.

The device runs in its own thread with its own event loop (an :class:`HttpServer` on 127.0.0.1, port 0,
serving :class:`DeviceFrontEnd`), so that the tests can drive Chromium with Playwright's synchronous API.
Anything that touches the model from a test goes through :meth:`ServedDevice.run`, on the device's loop.
Debian's Chromium is used (never a downloaded one); without it these tests skip and say why.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from camvault.device.http import HttpServer
from tests.device.isapi.recovery_client import Device

T = TypeVar("T")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


class ServedDevice:
    """A device listening on 127.0.0.1 in a background thread."""

    def __init__(self, device: Device) -> None:
        self.device = device
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="device-loop", daemon=True)
        self.thread.start()
        self.server = HttpServer(device.frontend, host="127.0.0.1", port=0)
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(timeout=10)
        self.url = f"http://127.0.0.1:{self.server.port}"

    def run(self, action: Callable[[], T]) -> T:
        """Run ``action`` on the device's loop (the model is not shared across threads)."""

        async def call() -> T:
            return action()

        return asyncio.run_coroutine_threadsafe(call(), self.loop).result(timeout=10)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """One Chromium per test module.

    Playwright's synchronous API keeps an event loop marked as running on this thread while it is
    started; stopping it when the module ends keeps that loop from leaking into the async tests after it.
    """
    if not CHROMIUM.exists():
        pytest.skip(
            f"Chromium is not installed at {CHROMIUM} (Debian package 'chromium'; `make test` installs it)"
        )
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()
        playwright.stop()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context(viewport={"width": 1100, "height": 780}, accept_downloads=True)
    context.set_default_timeout(15000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield tab
    finally:
        context.close()
    assert not errors, f"script errors on the page: {errors}"


@pytest.fixture
def fresh_device() -> Iterator[ServedDevice]:
    served = ServedDevice(Device(activate=False))
    yield served
    served.stop()


@pytest.fixture
def active_device() -> Iterator[ServedDevice]:
    served = ServedDevice(Device())
    yield served
    served.stop()


def screenshot(tab: Page, name: str) -> Path:
    """Save a screenshot of the visible page under artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    tab.evaluate("() => window.scrollTo(0, 0)")
    tab.screenshot(path=str(path))
    return path
