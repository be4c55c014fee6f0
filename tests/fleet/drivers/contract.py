"""The driver contract suite, written once and run against every driver and every backend (NAPALM style).

A test module subclasses :class:`DriverContract` and provides a ``backend`` fixture returning a
:class:`Backend`: a driver wired to something that answers like a device (a lab on real sockets, recorded real
replies, a behavioural ONVIF fake), the credential that works there, what each read method must return, and
two counters that let the suite check lockout safety from both ends: requests seen at the transport, and
failed logins the *device* counted.

``expected`` maps a method name to its JSON form (dataclasses as dicts, enums as their values), or to
``{"raises": "<exception name>"}``; a method the backend does not list is skipped for it. ``ignore`` maps a
method name to fields that change on their own (an NVR channel's live status) and are not compared.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import httpx
import pytest

from camvault import errors
from camvault.errors import AttemptBudgetExhausted
from camvault.fleet.drivers import Credential, DeviceDriver, driver_for

WRONG = "Wrong#Guess-0"


@dataclass
class Backend:
    """A driver and the device it talks to, as the contract suite sees them.

    Attributes:
        name: shown in skip messages.
        driver: the driver under test.
        credential: a credential that works on the device.
        expected: method name → expected JSON value or ``{"raises": name}``.
        requests: every request the transport saw so far.
        device_failures: failed logins the device has counted so far.
        ignore: method name → fields not compared.
        activation_password: set for a factory-fresh device: the password the suite activates it with
            (the lockout tests, which need an active device, skip it).
    """

    name: str
    driver: DeviceDriver
    credential: Credential
    expected: dict[str, Any]
    requests: Callable[[], list[httpx.Request]]
    device_failures: Callable[[], int]
    ignore: dict[str, list[str]] = field(default_factory=dict)
    activation_password: str | None = None


def _needs_active(backend: Backend) -> None:
    if backend.activation_password is not None:
        pytest.skip(f"{backend.name} is not activated: there is no login to guess at")


def as_json(value: Any) -> Any:
    """A driver result in the JSON form ``expected.json`` uses."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {item.name: as_json(getattr(value, item.name)) for item in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [as_json(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    return value


def _without(value: Any, fields: list[str]) -> Any:
    if isinstance(value, list):
        return [_without(item, fields) for item in value]
    if isinstance(value, dict):
        return {key: item for key, item in value.items() if key not in fields}
    return value


async def expect(backend: Backend, method: str, call: Callable[[], Awaitable[Any]]) -> Any:
    """Run ``call`` and compare its result with what the backend expects of ``method``."""
    if method not in backend.expected:
        pytest.skip(f"{backend.name} records no expectation for {method}")
    expected = backend.expected[method]
    if isinstance(expected, dict) and set(expected) == {"raises"}:
        with pytest.raises(getattr(errors, expected["raises"])):
            await call()
        return None
    result = await call()
    ignored = backend.ignore.get(method, [])
    assert _without(as_json(result), ignored) == _without(expected, ignored)
    return result


def _wrong(index: int) -> Credential:
    return Credential("admin", f"{WRONG}{index}")


class DriverContract:
    """Tests every driver must pass on every backend (see the module docstring)."""

    # ------------------------------------------------------------------ the shape of the driver

    def test_the_driver_is_registered_under_its_vendor(self, backend: Backend) -> None:
        driver = type(backend.driver)
        assert driver_for(driver.vendor) is driver

    def test_public_methods_keep_the_contract_signatures(self, backend: Backend) -> None:
        driver = type(backend.driver)
        for name, member in inspect.getmembers(DeviceDriver, inspect.iscoroutinefunction):
            if name.startswith("_"):
                continue
            assert inspect.signature(getattr(driver, name)) == inspect.signature(member), name

    # ------------------------------------------------------------------ reading

    async def test_probe_sees_the_device_without_credentials(self, backend: Backend) -> None:
        before = len(backend.requests())
        probe = await backend.driver.probe()
        expected = dict(backend.expected.get("probe") or pytest.skip(f"{backend.name} records no probe"))
        actual = as_json(probe)
        if expected.get("device_time") == "present":
            assert probe.device_time is not None and probe.device_time.tzinfo is not None
            expected["device_time"] = actual["device_time"]
        assert actual == expected
        sent = backend.requests()[before:]
        assert sent and all("authorization" not in request.headers for request in sent)
        assert backend.device_failures() == 0

    async def test_check_login_accepts_the_working_credential(self, backend: Backend) -> None:
        await expect(backend, "check_login", lambda: backend.driver.check_login(backend.credential))

    async def test_facts(self, backend: Backend) -> None:
        await expect(backend, "facts", lambda: backend.driver.facts(backend.credential))

    async def test_accounts(self, backend: Backend) -> None:
        await expect(backend, "accounts", lambda: backend.driver.accounts(backend.credential))

    async def test_lock_policy_is_read_and_taught_to_the_budget(self, backend: Backend) -> None:
        policy = await expect(backend, "lock_policy", lambda: backend.driver.lock_policy(backend.credential))
        if policy is not None and policy.enabled:
            assert backend.driver.budget.state(backend.driver.name).threshold == policy.max_attempts

    async def test_channels(self, backend: Backend) -> None:
        await expect(backend, "channels", lambda: backend.driver.channels(backend.credential))

    # ------------------------------------------------------------------ lockout safety, from both ends

    async def test_a_wrong_password_is_a_value_and_costs_one_device_attempt(self, backend: Backend) -> None:
        _needs_active(backend)
        result = await backend.driver.check_login(_wrong(1))
        assert result.ok is False
        assert backend.device_failures() == 1

    async def test_a_rejected_password_is_never_sent_again(self, backend: Backend) -> None:
        _needs_active(backend)
        first = await backend.driver.check_login(_wrong(1))
        sent = len(backend.requests())
        again = await backend.driver.check_login(_wrong(1))
        assert first.ok is False and again.ok is False
        assert len(backend.requests()) == sent, "a rejected password went out again"
        assert backend.device_failures() == 1

    async def test_nothing_is_sent_once_the_budget_says_no(self, backend: Backend) -> None:
        _needs_active(backend)
        refused = 0
        for index in range(1, 12):
            sent = len(backend.requests())
            try:
                result = await backend.driver.check_login(_wrong(index))
            except AttemptBudgetExhausted:
                refused += 1
                assert len(backend.requests()) == sent, "a refused attempt reached the device"
                continue
            assert result.ok is False and not result.locked
        assert refused > 0
        budget = backend.driver.budget
        threshold = budget.state(backend.driver.name).threshold or 5
        assert backend.device_failures() <= threshold - budget.reserve, "the reserve was spent"

    async def test_credentials_never_travel_in_clear(self, backend: Backend) -> None:
        _needs_active(backend)
        await backend.driver.check_login(backend.credential)
        await backend.driver.check_login(_wrong(1))
        password = backend.credential.password.encode()
        for request in backend.requests():
            authorization = request.headers.get("authorization", "")
            assert not authorization.lower().startswith("basic"), "Basic credentials were sent"
            assert password not in authorization.encode()
            assert password not in request.content, "a password travelled in clear in a body"
            assert password not in str(request.url).encode()

    # ------------------------------------------------------------------ a factory-fresh device

    async def test_an_inactive_device_is_activated_then_logs_in(self, backend: Backend) -> None:
        password = backend.activation_password
        if password is None:
            pytest.skip(f"{backend.name} is already active")
        before = len(backend.requests())
        await backend.driver.activate(password)
        assert all("authorization" not in request.headers for request in backend.requests()[before:])
        assert (await backend.driver.probe()).activated is True
        assert (await backend.driver.check_login(Credential("admin", password))).ok
        with pytest.raises(errors.DeviceRefused, match="already activated"):
            await backend.driver.activate(password)
