"""The collector: visit every device once and record what the audit needs, never tripping a lock.

For each device the collector probes it without credentials (reachable? activated? Basic offered? clock),
then, if the vault holds its credential and the attempt budget allows, checks that credential once (a
success costs nothing), and with a working one reads facts, accounts and the lock policy. It derives the
password's properties from the vault's copy (:func:`~camvault.fleet.audit.password_facts`) and the reuse key
from the vault's keyed fingerprints, so the audit sees facts, never passwords. What it cannot learn is
recorded as a reason, not an exception. As a side effect the inventory learns what devices said about
themselves (model, serial, MAC, firmware) and when they were last seen.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from collections.abc import Awaitable, Sequence
from dataclasses import replace
from datetime import UTC
from typing import TypeVar

from camvault.errors import (
    AttemptBudgetExhausted,
    CamvaultError,
    DeviceLocked,
    DeviceNotActivated,
    DeviceUnreachable,
    UnsupportedOperation,
    reason_of,
)
from camvault.fleet.audit import CredentialStatus, DeviceObservation, FleetObservation, password_facts
from camvault.fleet.drivers import DeviceDriver, DeviceFacts, DeviceKind, Probe
from camvault.fleet.inventory import DeviceRecord
from camvault.fleet.runner import Runner
from camvault.fleet.session import FleetSession

__all__ = ["HTTPS_PORT", "collect"]

T = TypeVar("T")

HTTPS_PORT = 443
TLS_PROBE_SECONDS = 2.0


async def collect(
    session: FleetSession, devices: Sequence[DeviceRecord], *, runner: Runner, https_port: int = HTTPS_PORT
) -> FleetObservation:
    """Observe ``devices`` (through ``runner``, so progress and limits apply)."""
    vault = session.vault
    fingerprints: dict[str, str] = {}
    if vault is not None:
        with session.store.transaction(readonly=True) as conn:
            fingerprints = vault.fingerprints(conn)

    async def observe(record: DeviceRecord) -> DeviceObservation:
        return await _observe(session, record, fingerprints, https_port)

    result = await runner.run(devices, observe)
    observations = []
    for outcome in result.outcomes:
        if outcome.value is not None:
            observations.append(outcome.value)
        else:
            record = outcome.device
            observations.append(
                DeviceObservation(
                    device_id=record.id,
                    label=record.label,
                    address=f"{record.host}:{record.port}",
                    vendor=record.vendor,
                    reachable=False,
                    probe=None,
                    facts=_facts_from_inventory(record),
                    credential=CredentialStatus.NOT_TRIED_UNREACHABLE,
                    errors=(outcome.reason or "not observed",),
                )
            )
    _remember(session, observations)
    return FleetObservation(tuple(observations), session.clock.now())


async def _observe(
    session: FleetSession, record: DeviceRecord, fingerprints: dict[str, str], https_port: int
) -> DeviceObservation:
    errors: list[str] = []
    driver = session.driver(record)
    address = f"{record.host}:{record.port}"
    try:
        probe: Probe | None = await driver.probe()
    except DeviceUnreachable as exc:
        return DeviceObservation(
            device_id=record.id,
            label=record.label,
            address=address,
            vendor=record.vendor,
            reachable=False,
            probe=None,
            facts=_facts_from_inventory(record),
            credential=CredentialStatus.NOT_TRIED_UNREACHABLE,
            errors=(exc.reason,),
        )
    assert probe is not None
    credential = session.credential(record)
    status = CredentialStatus.UNKNOWN
    login = facts = lock_policy = None
    accounts = None
    if credential is not None:
        try:
            login = await driver.check_login(credential)
            if login.ok:
                status = CredentialStatus.WORKS
            elif login.locked:
                # The device refused because its lock is engaged for us: the password was not judged.
                status = CredentialStatus.NOT_TRIED_LOCKED
                errors.append("the device's illegal-login lock is engaged for this address")
            else:
                status = CredentialStatus.REJECTED
        except DeviceLocked as exc:
            status = CredentialStatus.NOT_TRIED_LOCKED
            errors.append(exc.reason)
        except AttemptBudgetExhausted as exc:
            status = CredentialStatus.NOT_TRIED_BUDGET
            errors.append(exc.reason)
        except DeviceNotActivated:
            status = CredentialStatus.UNKNOWN
        except CamvaultError as exc:
            status = CredentialStatus.NOT_TRIED_UNREACHABLE
            errors.append(reason_of(exc))
    if status is CredentialStatus.WORKS and credential is not None:
        facts = await _safely(driver.facts(credential), errors)
        accounts_list = await _safely(driver.accounts(credential), errors)
        accounts = tuple(accounts_list) if accounts_list is not None else None
        lock_policy = await _safely(driver.lock_policy(credential), errors)
    password = None
    if credential is not None:
        password = password_facts(credential.password, credential.username, vendor=record.vendor)
        if record.credential_ref in fingerprints:
            password = replace(password, reuse_key=fingerprints[record.credential_ref])
    skew = await _clock_skew(session, driver, errors, probe)
    https = record.scheme == "https" or await _tls_answers(record.host, https_port)
    return DeviceObservation(
        device_id=record.id,
        label=record.label,
        address=address,
        vendor=record.vendor,
        reachable=probe.reachable,
        probe=probe,
        facts=facts or _facts_from_inventory(record),
        credential=status,
        login=login,
        password=password,
        lock_policy=lock_policy,
        accounts=accounts,
        basic_offered=probe.basic_offered,
        https_available=https,
        clock_skew_seconds=skew,
        activated=probe.activated,
        errors=tuple(errors),
    )


async def _safely(coroutine: Awaitable[T], errors: list[str]) -> T | None:
    """Await one read; record why it failed instead of failing the observation."""
    try:
        return await coroutine
    except UnsupportedOperation:
        return None
    except CamvaultError as exc:
        errors.append(reason_of(exc))
        return None


async def _clock_skew(
    session: FleetSession, driver: DeviceDriver, errors: list[str], probe: Probe
) -> float | None:
    device_time = probe.device_time
    if device_time is None:
        try:
            device_time = await driver.device_time()
        except CamvaultError as exc:
            errors.append(reason_of(exc))
            return None
    if device_time.tzinfo is None:
        device_time = device_time.replace(tzinfo=UTC)
    return (device_time - session.clock.now()).total_seconds()


@functools.cache
def _probe_context() -> ssl.SSLContext:
    """One client context for every TLS probe (building one reads the system CA store: ~20 ms)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def _tls_answers(host: str, port: int) -> bool:
    """Whether something completes a TLS handshake on ``host:port`` (certificate not checked: this only asks)."""
    context = _probe_context()
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=context), timeout=TLS_PROBE_SECONDS
        )
    except (OSError, TimeoutError, ssl.SSLError):
        return False
    writer.close()
    return True


def _facts_from_inventory(record: DeviceRecord) -> DeviceFacts | None:
    """What the inventory knows (from discovery) when the device could not be asked."""
    if not record.model and not record.firmware:
        return None
    version, _, build = (record.firmware or "").partition(" ")
    return DeviceFacts(
        vendor=record.vendor,
        model=record.model or "",
        serial=record.serial or "",
        mac=record.mac,
        firmware_version=version,
        firmware_build=build or None,
        kind=DeviceKind(record.kind) if record.kind in {k.value for k in DeviceKind} else DeviceKind.UNKNOWN,
    )


def _remember(session: FleetSession, observations: Sequence[DeviceObservation]) -> None:
    inventory = session.inventory()
    with session.store.transaction() as conn:
        for observation in observations:
            facts = observation.facts
            if not observation.reachable or facts is None:
                continue
            firmware = (
                f"{facts.firmware_version} {facts.firmware_build}".strip() if facts.firmware_version else None
            )
            inventory.observed(
                conn,
                observation.device_id,
                model=facts.model or None,
                serial=facts.serial or None,
                mac=facts.mac,
                firmware=firmware,
                kind=facts.kind.value if facts.kind is not DeviceKind.UNKNOWN else None,
            )
