"""Build a fleet (inventory + vault) from a running lab, as an owner would from the installer's records.

Also the fixtures the lab-backed fleet tests share: a SQLite store, a vault in it and an open session
(import them into a test module to use them), and checks against the devices themselves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from camvault.device.lab.runner import RunningLab
from camvault.fleet.inventory import DeviceRecord, Inventory
from camvault.fleet.session import FleetSession
from camvault.fleet.store import Store
from camvault.fleet.vault import Vault
from tests.fleet.vault.conftest import FAST_KDF, PASSPHRASE


@pytest.fixture
def fleet_store(tmp_path: Path) -> Store:
    return Store.open(f"sqlite:///{tmp_path / 'fleet.sqlite'}")


@pytest.fixture
def vault(fleet_store: Store) -> Vault:
    return Vault.initialize(fleet_store, PASSPHRASE, kdf=FAST_KDF)


@pytest.fixture
async def session(fleet_store: Store, vault: Vault) -> AsyncIterator[FleetSession]:
    opened = FleetSession(fleet_store, vault)
    yield opened
    await opened.aclose()


def device_password_is_vault_current(running: RunningLab, store: Store, vault: Vault, label: str) -> bool:
    with store.transaction(readonly=True) as conn:
        record = Inventory(vault.clock.now()).get(conn, label)
        assert record.credential_ref is not None
        secret = vault.current(conn, record.credential_ref)
    account = running.lab.device(label).model.account("admin")
    return account is not None and account.password.matches(secret.password)


def no_locks(running: RunningLab) -> bool:
    return all(
        not device.model.lock.locked_sources(device.model.monotonic())
        for device in running.lab.devices.values()
    )


def enrol(
    running: RunningLab, store: Store, vault: Vault, *, labels: list[str] | None = None
) -> dict[str, DeviceRecord]:
    """Put the lab's devices in the inventory and their recorded passwords in the vault."""
    records = {item["label"]: item for item in running.lab.installer_records()["devices"]}
    enrolled: dict[str, DeviceRecord] = {}
    with store.transaction() as conn:
        inventory = Inventory(vault.clock.now())
        for device in running.lab.manifest()["devices"]:
            if labels is not None and device["label"] not in labels:
                continue
            vendor = "onvif" if device["kind"] == "ONVIFCamera" else "hikvision"
            kind = {"NVR": "nvr", "IPCamera": "camera"}.get(device["kind"], "camera")
            record, _ = inventory.upsert(
                conn,
                DeviceRecord.new(
                    device["label"],
                    vendor,
                    device["address"],
                    port=device["http_port"],
                    kind=kind,
                    serial=device["serial"],
                    mac=device["mac"],
                    model=device["model"],
                ),
            )
            password = records[device["label"]]["password"]
            if password is not None:
                ref = f"cred:{record.id}"
                vault.put(conn, ref, password, username="admin")
                inventory.attach_credential(conn, record.id, ref, "admin")
            enrolled[device["label"]] = inventory.get(conn, record.id)
    return enrolled


async def guess_until_locked(client: httpx.AsyncClient, base_url: str, *, attempts: int = 5) -> None:
    """The owner guesses admin passwords (obviously fake ones) until the device's login lock trips."""
    for attempt in range(attempts):
        reply = await client.get(
            base_url + "/ISAPI/Security/userCheck", auth=httpx.DigestAuth("admin", f"Guess-{attempt}")
        )
        assert reply.status_code == 401
