"""Build a fleet (inventory + vault) from a running lab, as an owner would from the installer's records."""

from __future__ import annotations

from camvault.device.lab.runner import RunningLab
from camvault.fleet.inventory import DeviceRecord, Inventory
from camvault.fleet.store import Store
from camvault.fleet.vault import Vault


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
