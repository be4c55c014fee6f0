"""Lockout safety, proven against emulated devices on real sockets, counted at both ends of the wire.

The device side counts failures per source address (the lab's illegal-login lock, research §8); the client
side counts requests at the transport. Each test states what a careful administrator expects: one wrong
password costs one attempt, a refused attempt is never sent, the lock is never tripped by the fleet tool,
a locked device is left alone, and a stale nonce costs nothing.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from camvault.clock import ManualClock
from camvault.device.lab.faults import FaultPlan
from camvault.errors import (
    AttemptBudgetExhausted,
    AuthenticationFailed,
    DeviceLocked,
    DeviceUnreachable,
)
from camvault.fleet.drivers import AttemptBudget, Credential
from camvault.fleet.drivers.hikvision import HikvisionDriver

from .conftest import PEER, CountingTransport, LabFactory, attempts_left, endpoint_of

PASSWORD = "Lobby#Cam-2024"
RIGHT = Credential("admin", PASSWORD)

Counting = tuple[httpx.AsyncClient, CountingTransport]


def wrong(index: int) -> Credential:
    return Credential("admin", f"Wrong#Guess-{index:02d}")


async def test_a_wrong_password_costs_exactly_one_device_attempt(
    lab: LabFactory, counting: Counting, budget: AttemptBudget
) -> None:
    running = await lab([{"label": "cam", "admin_password": PASSWORD}])
    device = running.lab.device("cam")
    client, transport = counting
    driver = HikvisionDriver(endpoint_of(device), client=client, budget=budget, name="cam")
    result = await driver.check_login(wrong(1))
    assert result.ok is False
    assert result.attempts_left == 4 == attempts_left(device), "the device's own count, reported back"
    assert len(transport.credentialed) == 1
    with pytest.raises(AuthenticationFailed) as refused:
        await driver.facts(wrong(2))
    assert refused.value.attempts_left == 3 == attempts_left(device)
    assert len(transport.credentialed) == 2, "one credentialed request per wrong password, never a retry"


async def test_the_threshold_the_device_reports_is_never_reached(
    lab: LabFactory, counting: Counting, budget: AttemptBudget
) -> None:
    running = await lab([{"label": "cam", "admin_password": PASSWORD, "lock": {"max_attempts": 3}}])
    device = running.lab.device("cam")
    client, transport = counting
    driver = HikvisionDriver(endpoint_of(device), client=client, budget=budget, name="cam")
    outcomes = []
    for index in range(10):
        sent = len(transport.requests)
        try:
            outcomes.append((await driver.check_login(wrong(index))).ok)
        except AttemptBudgetExhausted:
            assert len(transport.requests) == sent, "a refused attempt reached the device"
            outcomes.append(None)
    assert outcomes[0] is False and outcomes[1:] == [None] * 9, "the device said 2 left: the reserve stops us"
    assert attempts_left(device) == 2
    assert not device.model.lock_status(PEER).locked


async def test_the_learnt_threshold_keeps_the_reserve(
    lab: LabFactory, counting: Counting, budget: AttemptBudget
) -> None:
    running = await lab([{"label": "cam", "admin_password": PASSWORD, "lock": {"max_attempts": 4}}])
    device = running.lab.device("cam")
    client, _ = counting
    driver = HikvisionDriver(endpoint_of(device), client=client, budget=budget, name="cam")
    policy = await driver.lock_policy(RIGHT)
    assert policy.max_attempts == 4 and budget.state("cam").threshold == 4
    spent = 0
    for index in range(8):
        try:
            await driver.check_login(wrong(index))
            spent += 1
        except AttemptBudgetExhausted:
            pass
    assert spent == 4 - budget.reserve
    assert attempts_left(device) == budget.reserve
    assert not device.model.lock_status(PEER).locked


async def test_a_rejected_password_is_never_resent_by_any_method(
    lab: LabFactory, counting: Counting, budget: AttemptBudget
) -> None:
    running = await lab([{"label": "cam", "admin_password": PASSWORD}])
    device = running.lab.device("cam")
    client, transport = counting
    driver = HikvisionDriver(endpoint_of(device), client=client, budget=budget, name="cam")
    assert not (await driver.check_login(wrong(1))).ok
    sent = len(transport.requests)
    assert not (await driver.check_login(wrong(1))).ok
    for call in (driver.facts, driver.accounts, driver.lock_policy, driver.reboot):
        with pytest.raises(AuthenticationFailed, match="already rejected"):
            await call(wrong(1))
    assert len(transport.requests) == sent
    assert attempts_left(device) == 4


async def test_a_locked_device_is_reported_with_its_unlock_time_and_left_alone(
    lab: LabFactory, counting: Counting
) -> None:
    running = await lab([{"label": "cam", "admin_password": PASSWORD}])
    device = running.lab.device("cam")
    for _ in range(5):  # someone else at our address (an old NVR, a person) already tripped the lock
        device.model.attempt_login("admin", PEER, lambda account: False)
    assert device.model.lock_status(PEER).locked
    client, transport = counting
    clock = ManualClock()
    budget = AttemptBudget(clock=clock)
    driver = HikvisionDriver(endpoint_of(device), client=client, budget=budget, name="cam")
    result = await driver.check_login(RIGHT)
    assert result.ok is False and result.locked
    assert result.unlock_in_seconds is not None and 1700 <= result.unlock_in_seconds <= 1800
    sent = len(transport.requests)
    with pytest.raises(DeviceLocked) as locked:
        await driver.facts(RIGHT)
    assert locked.value.locked_until == clock.now() + timedelta(seconds=result.unlock_in_seconds)
    with pytest.raises(DeviceLocked):
        await driver.check_login(RIGHT)
    assert len(transport.requests) == sent, "no try while the lock runs"
    clock.advance(result.unlock_in_seconds + 1)
    assert budget.state("cam").rejected == frozenset(), "a refusal under lock says nothing about the password"


async def test_a_stale_nonce_costs_nothing(
    lab: LabFactory, counting: Counting, budget: AttemptBudget
) -> None:
    running = await lab([{"label": "cam", "admin_password": PASSWORD}])
    device = running.lab.device("cam")
    client, transport = counting
    driver = HikvisionDriver(endpoint_of(device), client=client, budget=budget, name="cam")
    assert (await driver.check_login(RIGHT)).ok
    # Rewind our nonce count: the device's replay guard refuses the reused nc with stale="TRUE", the way it
    # answers a correct response to an expired nonce. (Test-only access to the session's private state.)
    cached = driver._session._cached
    assert cached is not None
    cached.state.nonce_count = 0
    sent = len(transport.credentialed)
    assert (await driver.check_login(RIGHT)).ok
    assert len(transport.credentialed) == sent + 2, "the stale answer, then the retry under the new nonce"
    assert attempts_left(device) == device.model.settings.lock.max_attempts
    assert budget.state("cam").failures == 0


async def test_a_connection_lost_after_the_credential_left_counts_but_does_not_blacklist(
    lab: LabFactory, counting: Counting, budget: AttemptBudget
) -> None:
    running = await lab([{"label": "cam", "admin_password": PASSWORD}])
    device = running.lab.device("cam")
    client, _ = counting
    driver = HikvisionDriver(endpoint_of(device), client=client, budget=budget, name="cam")
    assert (await driver.check_login(RIGHT)).ok
    running.lab.set_faults("cam", FaultPlan(drop_rate=1.0))
    with pytest.raises(DeviceUnreachable):
        await driver.check_login(RIGHT)
    state = budget.state("cam")
    assert state.failures == 1 and state.rejected == frozenset()
    running.lab.set_faults("cam", None)
    assert (await driver.check_login(RIGHT)).ok
    assert budget.state("cam").failures == 0


async def test_every_credentialed_request_is_digest(
    lab: LabFactory, counting: Counting, budget: AttemptBudget
) -> None:
    running = await lab([{"label": "old", "firmware": "V5.4.5 build 170124", "admin_password": PASSWORD}])
    device = running.lab.device("old")
    client, transport = counting
    driver = HikvisionDriver(endpoint_of(device), client=client, budget=budget, name="old")
    probe = await driver.probe()
    assert probe.basic_offered is True, "old firmware offers Basic; the audit must know"
    await driver.facts(RIGHT)
    await driver.accounts(RIGHT)
    await driver.check_login(wrong(1))
    assert transport.credentialed
    assert all(request.headers["authorization"].startswith("Digest ") for request in transport.credentialed)


async def test_the_client_s_own_auth_is_never_used(lab: LabFactory, budget: AttemptBudget) -> None:
    running = await lab([{"label": "old", "firmware": "V5.4.5 build 170124", "admin_password": PASSWORD}])
    device = running.lab.device("old")
    transport = CountingTransport(httpx.AsyncHTTPTransport())
    async with httpx.AsyncClient(transport=transport, auth=httpx.BasicAuth("admin", PASSWORD)) as client:
        driver = HikvisionDriver(endpoint_of(device), client=client, budget=budget, name="old")
        await driver.probe()
        assert (await driver.check_login(RIGHT)).ok
    assert not any(
        request.headers.get("authorization", "").startswith("Basic") for request in transport.requests
    )
