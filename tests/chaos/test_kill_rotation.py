"""Proof by chaos: SIGKILL the rotating process at random instants, resume, and check every invariant.

A lab of 200 devices (180 cameras, 20 NVRs recording 160 of them) with injected faults (latency, lost
replies after the change was applied, 5xx) is rotated by ``camvault fleet rotate`` in a child process that
is killed with SIGKILL 50 times at seeded random instants, each run taking a random third of the fleet (so
the kills land all over it). Then a final run resumes what was left open and rotates the whole fleet, and:

* every device accepts the password the vault calls current;
* no device's illegal-login lock was tripped, for any source address;
* every NVR channel is online again;
* nothing is left unresolved in the journal.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from camvault.device.lab.faults import FaultPlan
from camvault.device.lab.runner import RunningLab
from camvault.fleet.inventory import Inventory
from camvault.fleet.rotation.journal import Journal, State
from camvault.fleet.store import Store
from camvault.fleet.vault import Vault
from tests.device.lab.conftest import LabFactory, free_fixed_port
from tests.fleet.rotation.lab_fleet import enrol
from tests.fleet.vault.conftest import FAST_KDF, PASSPHRASE

pytestmark = pytest.mark.slow

SEED = 20261125
KILLS = 50
CAMERAS = 180
NVRS = 20
PER_NVR = 8


def scenario() -> list[dict[str, Any]]:
    cameras = [{"label": f"cam-{i:03d}", "admin_password": {"generate": "strong"}} for i in range(CAMERAS)]
    nvrs = [
        {
            "label": f"nvr-{n:02d}",
            "kind": "nvr",
            "admin_password": {"generate": "strong"},
            "channels": [f"cam-{n * PER_NVR + c:03d}" for c in range(PER_NVR)],
        }
        for n in range(NVRS)
    ]
    return cameras + nvrs


def inject_faults(running: RunningLab, rng: random.Random) -> None:
    labels = sorted(running.lab.devices)
    for label in rng.sample(labels, 40):
        running.lab.set_faults(label, FaultPlan(latency=0.01, seed=rng.randrange(1000)))
    for label in rng.sample(labels, 20):
        running.lab.set_faults(
            label, FaultPlan(lost_reply_rate=0.3, methods=("PUT",), seed=rng.randrange(1000))
        )
    for label in rng.sample(labels, 10):
        running.lab.set_faults(label, FaultPlan(error_rate=0.3, methods=("PUT",), seed=rng.randrange(1000)))


async def rotate_process(db: str, *extra: str) -> asyncio.subprocess.Process:
    env = {**os.environ, "CAMVAULT_PASSPHRASE": PASSPHRASE, "CAMVAULT_DB": db}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "camvault",
        "fleet",
        "rotate",
        "--canary",
        "0",
        "--concurrency",
        "16",
        "--timeout",
        "60",
        "--json",
        *extra,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )


async def test_sigkill_at_random_instants_never_loses_a_password(
    make_lab: LabFactory, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    running = await make_lab(
        scenario(),
        addressing="addresses",
        address_prefix="127.44",
        http_port=free_fixed_port(),
        nvr_check_seconds=5,
        nvr_retry_seconds=30,
        boot_seconds=0.5,
    )
    inject_faults(running, rng)
    db = f"sqlite:///{tmp_path / 'fleet.sqlite'}"
    store = Store.open(db)
    vault = Vault.initialize(store, PASSPHRASE, kdf=FAST_KDF)
    enrol(running, store, vault)

    killed = finished_early = 0
    labels = sorted(running.lab.devices)
    for _ in range(KILLS):
        process = await rotate_process(db, *rng.sample(labels, len(labels) // 3))
        delay = rng.uniform(1.0, 4.0)  # start-up takes about a second; most kills land mid-rotation
        try:
            await asyncio.wait_for(process.wait(), timeout=delay)
            finished_early += 1
        except TimeoutError:
            process.send_signal(signal.SIGKILL)
            await process.wait()
            killed += 1
    assert killed >= KILLS // 2, "most runs must actually be killed, or the test proves little"

    final = await rotate_process(db)
    _, stderr = await asyncio.wait_for(final.communicate(), timeout=300)
    assert final.returncode in (0, 1), stderr.decode()[-2000:]

    # Invariant 1: every device accepts the password the vault calls current.
    mismatches = []
    with store.transaction(readonly=True) as conn:
        inventory = Inventory(vault.clock.now())
        for record in inventory.all(conn):
            assert record.credential_ref is not None
            current = vault.current(conn, record.credential_ref)
            account = running.lab.device(record.label).model.account(current.username)
            if account is None or not account.password.matches(current.password):
                mismatches.append(record.label)
        journal = Journal(vault, vault.clock.now)
        unresolved = [entry for entry in journal.unfinished(conn) if entry.state is not State.PROMOTED]
        states = [entry.state for entry in journal.latest(conn).values()]
    assert mismatches == [], f"devices whose password the vault does not hold as current: {mismatches}"
    assert unresolved == [], [(e.device_id, e.state, e.reason) for e in unresolved]
    assert State.NEEDS_RECOVERY not in states
    assert all(state in (State.DONE, State.ROLLED_BACK, State.FAILED) for state in states), (
        "every device ends definite"
    )
    # Devices injected with 5xx on PUT may legitimately end rolled back (they kept their old, vault-current password).
    assert states.count(State.DONE) >= 0.9 * (CAMERAS + NVRS), f"rotated: {states.count(State.DONE)}"

    # Invariant 2: no lock was tripped, from any source.
    locked = {
        label: device.model.lock.locked_sources(device.model.monotonic())
        for label, device in running.lab.devices.items()
        if device.model.lock.locked_sources(device.model.monotonic())
    }
    assert locked == {}

    # Invariant 3: every NVR channel is online again (the agents re-check every 5 s).
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        offline = [
            (label, channel.id, channel.status.detect_result.value)
            for label, device in running.lab.devices.items()
            for channel in device.model.channels.values()
            if not channel.status.online
        ]
        if not offline or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.5)
    assert offline == []
    store.close()
