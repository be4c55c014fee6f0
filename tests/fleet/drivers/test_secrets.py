"""No secret in any log line, repr or exception message: planted passwords, grepped everywhere.

Every driver operation that handles a secret runs with every logger at DEBUG (httpx and httpcore included),
failures included; then the captured log, every exception message and every repr in reach are searched for
the planted values.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from camvault.clock import ManualClock
from camvault.errors import CamvaultError
from camvault.fleet.drivers import AttemptBudget, Credential, Endpoint, Level
from camvault.fleet.drivers.hikvision import HikvisionDriver
from camvault.fleet.drivers.onvif import OnvifDriver

from .conftest import CountingTransport, LabFactory, endpoint_of
from .fake_onvif import FakeOnvifDevice, OnvifUser

ADMIN = "Planted#Owner-77"
NEW = "Planted#New-7788"
WRONG = "Planted#Wrong-99"
WRONG2 = "Planted#Wrong-88"
KEY = "Planted#Key-5566"
USER = "Planted#User-123"
ACTIVATION = "Planted#Activ-42"
RISKY = "plantedrisky"
PLANTED = (ADMIN, NEW, WRONG, WRONG2, KEY, USER, ACTIVATION, RISKY)


class Evidence:
    """Everything a secret could leak into: results, exception messages, reprs."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    async def run(self, call: Callable[[], Awaitable[Any]]) -> Any:
        try:
            result = await call()
        except CamvaultError as exc:
            self.texts += [str(exc), repr(exc), repr(exc.args)]
            return None
        self.texts.append(repr(result))
        return result

    def check(self, caplog: pytest.LogCaptureFixture, *objects: object) -> None:
        haystack = "\n".join(
            [caplog.text, *self.texts, *(repr(item) for item in objects), *(str(item) for item in objects)]
        )
        for secret in PLANTED:
            assert secret not in haystack, f"a planted secret leaked ({PLANTED.index(secret)})"


async def test_no_hikvision_operation_leaks_a_secret(
    lab: LabFactory, counting: tuple[httpx.AsyncClient, CountingTransport], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    running = await lab([{"label": "cam", "admin_password": ADMIN}, {"label": "fresh", "activated": False}])
    client, transport = counting
    budget = AttemptBudget(clock=ManualClock())
    driver = HikvisionDriver(endpoint_of(running.lab.device("cam")), client=client, budget=budget, name="cam")
    fresh = HikvisionDriver(
        endpoint_of(running.lab.device("fresh")), client=client, budget=budget, name="fresh"
    )
    right, wrong = Credential("admin", ADMIN), Credential("admin", WRONG)
    evidence = Evidence()
    await evidence.run(driver.probe)
    await evidence.run(lambda: driver.check_login(wrong))
    await evidence.run(lambda: driver.facts(wrong))
    await evidence.run(lambda: driver.facts(Credential("admin", WRONG2)))
    await evidence.run(lambda: driver.check_login(right))
    await evidence.run(lambda: driver.create_user(right, "keeper", USER, Level.OPERATOR))
    await evidence.run(lambda: driver.set_password(right, "keeper", RISKY))
    await evidence.run(lambda: driver.backup_config(right, KEY))
    await evidence.run(lambda: driver.backup_config(right, KEY * 3))
    await evidence.run(lambda: driver.delete_user(right, "keeper"))
    await evidence.run(lambda: driver.set_password(right, "admin", NEW))
    await evidence.run(lambda: fresh.activate(RISKY))
    await evidence.run(lambda: fresh.activate(ACTIVATION))
    await evidence.run(lambda: fresh.activate(ACTIVATION))
    assert any("riskPassword" in text for text in evidence.texts), "the refusals did happen"
    assert any("rejected the password" in text for text in evidence.texts), "the device's own refusal too"
    assert caplog.records, "the loggers were on"
    evidence.check(caplog, driver, fresh, budget.state("cam"), right, wrong)
    for request in transport.requests:
        assert not any(secret in str(request.url) for secret in PLANTED), "a secret in a URL"


async def test_no_onvif_operation_leaks_a_secret(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    clock = ManualClock(datetime(2026, 3, 1, tzinfo=UTC))
    device = FakeOnvifDevice(clock, http_digest=True)
    device.users = {"admin": OnvifUser(ADMIN, "Administrator")}
    budget = AttemptBudget(clock=clock)
    async with httpx.AsyncClient(transport=device.transport()) as client:
        driver = OnvifDriver(Endpoint("192.0.2.30"), client=client, budget=budget, name="onvif")
        right, wrong = Credential("admin", ADMIN), Credential("admin", WRONG)
        evidence = Evidence()
        await evidence.run(driver.probe)
        await evidence.run(lambda: driver.check_login(wrong))
        await evidence.run(lambda: driver.accounts(Credential("admin", WRONG2)))
        await evidence.run(lambda: driver.create_user(right, "keeper", USER, Level.OPERATOR))
        await evidence.run(lambda: driver.set_password(right, "keeper", "short"))
        await evidence.run(lambda: driver.set_password(right, "admin", NEW))
    evidence.check(caplog, driver, budget.state("onvif"), right, wrong)
    assert all(ADMIN.encode() not in request.content for request in device.requests), "PasswordDigest only"
