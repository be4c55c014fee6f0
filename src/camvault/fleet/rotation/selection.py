"""Which devices a rotation run takes: due by policy, failed last time, or not touchable at all."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection

from camvault.errors import SecretNotFound
from camvault.fleet.inventory import DeviceRecord
from camvault.fleet.rotation.journal import Journal, State, policies
from camvault.fleet.runner import Runner
from camvault.fleet.session import FleetSession
from camvault.fleet.vault import Vault

__all__ = ["due", "inactive", "needing_recovery", "password_age", "retry_failed"]


def password_age(conn: Connection, vault: Vault, record: DeviceRecord, now: datetime) -> timedelta | None:
    """How long the device's current password has been current, or ``None`` if none is stored."""
    if record.credential_ref is None:
        return None
    try:
        history = vault.history(conn, record.credential_ref)
    except SecretNotFound:
        return None
    current = next((info for info in history if info.state.value == "current"), None)
    return now - current.state_changed_at if current is not None else None


def due(conn: Connection, vault: Vault, records: Sequence[DeviceRecord], now: datetime) -> list[DeviceRecord]:
    """Devices whose password is older than their group's maximum age (groups without a policy: never due)."""
    limits = policies(conn)
    chosen = []
    for record in records:
        limit = limits.get(record.group_name, limits.get("*"))
        age = password_age(conn, vault, record, now)
        if limit is not None and age is not None and age >= timedelta(days=limit):
            chosen.append(record)
    return chosen


def retry_failed(conn: Connection, journal: Journal, records: Sequence[DeviceRecord]) -> list[DeviceRecord]:
    """The devices that failed in the last finished run."""
    failed = set(journal.last_failed_devices(conn))
    return [record for record in records if record.id in failed]


def needing_recovery(conn: Connection, journal: Journal) -> set[str]:
    """Devices whose last rotation ended with neither vault password working: rotate skips them."""
    return {device for device, entry in journal.latest(conn).items() if entry.state is State.NEEDS_RECOVERY}


async def inactive(
    session: FleetSession, records: Sequence[DeviceRecord], *, concurrency: int = 16
) -> list[DeviceRecord]:
    """The devices that say they are factory-fresh (one unauthenticated probe each; unreachable ones are left out)."""
    probes = await Runner(concurrency=concurrency, timeout=30).run(
        records, lambda r: session.driver(r).probe()
    )
    return [o.device for o in probes.outcomes if o.ok and o.value is not None and o.value.activated is False]
