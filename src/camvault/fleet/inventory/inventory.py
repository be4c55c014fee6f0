"""The device inventory: what the owner manages, keyed so that an address change is not a new device.

A :class:`DeviceRecord` holds identity (serial, MAC, model), where the device answers, which driver speaks to
it, and a *reference* to its credential in the vault, never a password (Nornir's ``Host`` kept passwords in
the inventory; we do not). Devices are matched by serial, then MAC, then address: a camera that moved to a
new DHCP lease is updated in place.

Every method takes a SQLAlchemy ``Connection`` inside the caller's transaction, like the vault, so that an
inventory change and a vault change commit together.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import Connection, Row, func, insert, or_, select, update

from camvault.errors import InventoryError
from camvault.fleet.store.schema import DEVICE_SOURCES, device

__all__ = ["DeviceRecord", "Inventory", "normalize_mac"]

_MAC = re.compile(
    r"^([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})$"
)
_LABEL = re.compile(r"^[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]{0,126}[^\s\x00-\x1f\x7f])?$")
VENDORS = ("hikvision", "onvif", "unknown")


def normalize_mac(mac: str | None) -> str | None:
    """``AA-BB-CC-DD-EE-FF`` / ``aabb.ccdd.eeff`` / ``aabbccddeeff`` to ``aa:bb:cc:dd:ee:ff``.

    Raises:
        InventoryError: not a MAC address.
    """
    if mac is None or not mac.strip():
        return None
    compact = mac.strip().lower().replace(".", "")
    match = _MAC.match(compact)
    if match is None:
        raise InventoryError("not a MAC address (expected six hex pairs)")
    return ":".join(match.groups())


@dataclass(frozen=True, slots=True)
class DeviceRecord:
    """One managed device.

    Attributes:
        id: stable id (a UUID) that journal and vault references use.
        label: the owner's name for it, unique.
        vendor: which driver speaks to it: ``hikvision``, ``onvif`` or ``unknown``.
        host: address.
        port: HTTP(S) port.
        scheme: ``http`` or ``https``.
        verify_tls: verify the certificate (per device, on by default).
        kind: ``camera``, ``nvr`` or ``unknown``.
        model, serial, mac, firmware: identity as last seen.
        username: the account camvault manages on it (``admin`` usually).
        credential_ref: the vault reference of that account's password, if known.
        group_name: policy group (rotation age, sites).
        source: how it entered the inventory.
        notes: free text (not secret).
    """

    id: str
    label: str
    vendor: str
    host: str
    port: int = 80
    scheme: str = "http"
    verify_tls: bool = True
    kind: str = "unknown"
    model: str | None = None
    serial: str | None = None
    mac: str | None = None
    firmware: str | None = None
    username: str | None = "admin"
    credential_ref: str | None = None
    group_name: str = "default"
    source: str = "manual"
    notes: str = ""
    added_at: datetime | None = field(default=None, compare=False)
    updated_at: datetime | None = field(default=None, compare=False)
    last_seen_at: datetime | None = field(default=None, compare=False)

    @property
    def name(self) -> str:
        """How the device is named in messages: its label."""
        return self.label

    @classmethod
    def new(cls, label: str, vendor: str, host: str, **fields: object) -> DeviceRecord:
        """A record with a fresh id."""
        return cls(str(uuid.uuid4()), label, vendor, host, **fields)  # type: ignore[arg-type]


def _check(record: DeviceRecord) -> DeviceRecord:
    if not _LABEL.match(record.label):
        raise InventoryError("a label is 1-128 printable characters, without leading or trailing spaces")
    if record.vendor not in VENDORS:
        raise InventoryError(f"vendor must be one of {', '.join(VENDORS)}")
    if record.scheme not in ("http", "https") or not 1 <= record.port <= 65535:
        raise InventoryError(f"{record.label}: scheme must be http or https and the port 1-65535")
    if not record.host or len(record.host) > 255 or any(ch.isspace() for ch in record.host):
        raise InventoryError(f"{record.label}: the host is empty or malformed")
    if record.source not in DEVICE_SOURCES:
        raise InventoryError(f"{record.label}: unknown source {record.source!r}")
    return replace(
        record, mac=normalize_mac(record.mac), serial=(record.serial or None) and record.serial.strip()
    )


def _record(row: Row[tuple[object, ...]]) -> DeviceRecord:
    values = row._mapping
    return DeviceRecord(**{name: values[name] for name in DeviceRecord.__dataclass_fields__})


class Inventory:
    """Queries and updates of the ``device`` table, on the caller's connection."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    # ------------------------------------------------------------------ reading

    def all(self, conn: Connection) -> list[DeviceRecord]:
        """Every device, by label."""
        return [_record(row) for row in conn.execute(select(device).order_by(device.c.label))]

    def get(self, conn: Connection, key: str) -> DeviceRecord:
        """A device by id, label, serial, MAC or host.

        Raises:
            InventoryError: no device, or the key matches several (say which to use).
        """
        candidates = [device.c.id == key, device.c.label == key, device.c.serial == key, device.c.host == key]
        try:
            mac = normalize_mac(key)
        except InventoryError:
            mac = None
        if mac:
            candidates.append(device.c.mac == mac)
        rows = list(conn.execute(select(device).where(or_(*candidates))))
        if not rows:
            raise InventoryError(f"no device matches {key!r}")
        if len(rows) > 1:
            labels = ", ".join(sorted(str(row.label) for row in rows))
            raise InventoryError(f"{key!r} matches several devices ({labels}); use a label")
        return _record(rows[0])

    def select(
        self, conn: Connection, selectors: Iterable[str] = (), *, group: str | None = None
    ) -> list[DeviceRecord]:
        """Devices matching any of the selectors (labels, serials, hosts, ids; ``*`` for all), optionally a group.

        Raises:
            InventoryError: a selector matches nothing.
        """
        keys = list(selectors)
        chosen = self.all(conn) if not keys or "*" in keys else [self.get(conn, key) for key in keys]
        unique = {record.id: record for record in chosen}
        return [record for record in unique.values() if group is None or record.group_name == group]

    def count(self, conn: Connection) -> int:
        """How many devices there are."""
        return int(conn.execute(select(func.count()).select_from(device)).scalar_one())

    # ------------------------------------------------------------------ writing

    def find_match(self, conn: Connection, record: DeviceRecord) -> DeviceRecord | None:
        """The stored device this record describes: same serial, else same MAC, else same address and port."""
        for column, value in ((device.c.serial, record.serial), (device.c.mac, normalize_mac(record.mac))):
            if value:
                row = conn.execute(select(device).where(column == value)).first()
                if row is not None:
                    return _record(row)
        if not record.serial and not record.mac:
            row = conn.execute(
                select(device).where(device.c.host == record.host, device.c.port == record.port)
            ).first()
            if row is not None:
                return _record(row)
        return None

    def upsert(self, conn: Connection, record: DeviceRecord) -> tuple[DeviceRecord, bool]:
        """Add a device, or update the one it matches (keeping its id, label and credential reference).

        Known values are never overwritten by unknown ones: a DHCP lease with only a MAC and an address
        updates the address of a device that already has a serial and a model.

        Returns:
            The stored record, and whether it was created.

        Raises:
            InventoryError: invalid values, or a label already taken by another device.
        """
        record = _check(record)
        existing = self.find_match(conn, record)
        if existing is None:
            taken = conn.execute(select(device.c.id).where(device.c.label == record.label)).first()
            if taken is not None:
                raise InventoryError(f"the label {record.label!r} is already used by another device")
            values = {name: getattr(record, name) for name in DeviceRecord.__dataclass_fields__}
            values.update(added_at=self.now, updated_at=self.now)
            conn.execute(insert(device).values(**values))
            return self.get(conn, record.id), True
        label = existing.label
        automatic = {existing.serial, f"{existing.host}:{existing.port}", existing.host}
        if (
            record.source in {"csv", "manual"}
            and existing.label in automatic
            and record.label not in automatic
        ):
            taken = conn.execute(select(device.c.id).where(device.c.label == record.label)).first()
            if taken is None:
                label = record.label  # the owner's name replaces the one discovery made up
        merged = replace(
            existing,
            label=label,
            host=record.host,
            port=record.port,
            scheme=record.scheme,
            vendor=record.vendor if record.vendor != "unknown" else existing.vendor,
            kind=record.kind if record.kind != "unknown" else existing.kind,
            model=record.model or existing.model,
            serial=record.serial or existing.serial,
            mac=record.mac or existing.mac,
            firmware=record.firmware or existing.firmware,
            username=existing.username or record.username,
            credential_ref=existing.credential_ref or record.credential_ref,
        )
        self._write(conn, merged)
        return self.get(conn, existing.id), False

    def update(self, conn: Connection, record: DeviceRecord) -> DeviceRecord:
        """Replace a stored device's fields (by id).

        Raises:
            InventoryError: invalid values or no such device.
        """
        record = _check(record)
        self._write(conn, record)
        return self.get(conn, record.id)

    def _write(self, conn: Connection, record: DeviceRecord) -> None:
        values = {
            name: getattr(record, name)
            for name in DeviceRecord.__dataclass_fields__
            if name not in {"id", "added_at", "updated_at"}
        }
        values["updated_at"] = self.now
        result = conn.execute(update(device).where(device.c.id == record.id).values(**values))
        if result.rowcount != 1:
            raise InventoryError(f"no device with id {record.id}")

    def observed(
        self,
        conn: Connection,
        device_id: str,
        *,
        model: str | None = None,
        serial: str | None = None,
        mac: str | None = None,
        firmware: str | None = None,
        kind: str | None = None,
    ) -> None:
        """Record what a device reported about itself (and that it was seen now)."""
        reported = {"model": model, "serial": serial, "firmware": firmware, "kind": kind}
        values: dict[str, object] = {"last_seen_at": self.now} | {k: v for k, v in reported.items() if v}
        if mac:
            values["mac"] = normalize_mac(mac)
        conn.execute(update(device).where(device.c.id == device_id).values(**values))

    def attach_credential(self, conn: Connection, device_id: str, ref: str, username: str) -> None:
        """Point a device at its credential in the vault."""
        conn.execute(
            update(device)
            .where(device.c.id == device_id)
            .values(credential_ref=ref, username=username, updated_at=self.now)
        )

    def remove(self, conn: Connection, device_id: str) -> None:
        """Forget a device (its vault history stays)."""
        conn.execute(device.delete().where(device.c.id == device_id))
