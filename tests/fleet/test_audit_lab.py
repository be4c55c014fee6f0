"""The audit on a lab with every problem an owner has: exactly the expected findings, and no lock tripped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from camvault.device.lab.runner import RunningLab
from camvault.fleet.audit import AuditReport, audit, default_catalogue
from camvault.fleet.collect import collect
from camvault.fleet.runner import Runner
from camvault.fleet.session import FleetSession
from camvault.fleet.store import Store
from camvault.fleet.vault import Vault
from tests.device.lab.conftest import LabFactory
from tests.fleet.rotation.lab_fleet import enrol
from tests.fleet.vault.conftest import FAST_KDF, PASSPHRASE

CURRENT = "V5.7.3 build 220112"
SCENARIO: list[dict[str, Any]] = [
    {"label": "good", "firmware": CURRENT, "admin_password": "Uniq#Strong-9x2Q"},
    {
        "label": "default",
        "model": "DS-2CD2032-I",
        "firmware": "V5.2.5 build 141201",
        "admin_password": {"generate": "default"},
    },
    {"label": "weak", "firmware": CURRENT, "admin_password": "camera1234"},
    {"label": "reused-a", "firmware": CURRENT, "admin_password": "Same#Pass-2024x"},
    {"label": "reused-b", "firmware": CURRENT, "admin_password": "Same#Pass-2024x"},
    {
        "label": "unknown",
        "firmware": CURRENT,
        "admin_password": "Nobody-Wrote-7!",
        "recorded_password": "unknown",
    },
    {"label": "inactive", "firmware": CURRENT, "activated": False},
    {"label": "skewed", "firmware": CURRENT, "admin_password": "Skew#Clock-2024", "clock_skew_seconds": 3600},
    {"label": "locked", "firmware": CURRENT, "admin_password": "Locked#Out-2024"},
    {
        "label": "old-vulnerable-2021",
        "model": "DS-2CD2385G1-I",
        "firmware": "V5.6.2 build 190701",
        "admin_password": "Cve#2021-36260x",
    },
    {
        "label": "old-vulnerable",
        "model": "DS-2CD2142FWD-I",
        "firmware": "V5.4.0 build 160401",
        "admin_password": "Old#Firm-2016x",
    },
]


@pytest.fixture
def fleet_store(tmp_path: Path) -> Store:
    return Store.open(f"sqlite:///{tmp_path / 'fleet.sqlite'}")


async def run_audit(running: RunningLab, store: Store) -> AuditReport:
    vault = Vault.initialize(store, PASSPHRASE, kdf=FAST_KDF)
    enrol(running, store, vault)
    session = FleetSession(store, vault)
    try:
        with store.transaction(readonly=True) as conn:
            devices = session.inventory().all(conn)
        observation = await collect(session, devices, runner=Runner(concurrency=8))
    finally:
        await session.aclose()
    return audit(observation, catalogue=default_catalogue(), now=session.clock.now())


async def test_the_audit_finds_exactly_what_is_wrong(make_lab: LabFactory, fleet_store: Store) -> None:
    running = await make_lab(SCENARIO)
    locked = running.lab.device("locked").model
    for _ in range(5):  # someone guessed at this one before the audit: locked for the auditor's address
        locked.attempt_login("admin", "127.0.0.1", lambda account: False)
    before = {
        label: device.model.lock.locked_sources(device.model.monotonic())
        for label, device in running.lab.devices.items()
    }
    report = await run_audit(running, fleet_store)
    codes = {device.label: sorted(f.code.value for f in device.findings) for device in report.devices}
    assert codes == {
        "good": ["no-https"],
        "default": ["basic-auth-offered", "default-password", "legacy-reset-code", "no-https"],
        "weak": ["common-password", "no-https", "short-password-nist", "weak-password"],
        "reused-a": ["no-https"],
        "reused-b": ["no-https"],
        "unknown": ["credentials-unknown", "no-https"],
        "inactive": ["inactive-device-exposed", "no-https"],
        "skewed": ["clock-skew", "no-https"],
        "locked": ["device-locked", "no-https"],
        "old-vulnerable": ["basic-auth-offered", "no-https", "short-password-nist", "vulnerable-firmware"],
        "old-vulnerable-2021": ["no-https", "vulnerable-firmware"],
    }
    reuse = [finding for finding in report.findings if finding.code.value == "reused-password"]
    assert len(reuse) == 1
    labels = {device.device_id: device.label for device in report.devices}
    assert sorted(labels[device] for device in reuse[0].devices) == ["reused-a", "reused-b"]
    cves = {cve for device in report.devices for f in device.findings for cve in f.cves}
    assert {"CVE-2017-7921", "CVE-2021-36260"} <= cves
    after = {
        label: device.model.lock.locked_sources(device.model.monotonic())
        for label, device in running.lab.devices.items()
    }
    assert after == before, "the audit locked nothing new"
    assert "Same#Pass-2024x" not in repr(report) and "camera1234" not in repr(report)
