"""What discovery found: typed device records, and their de-duplication by MAC and serial number."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from camvault.protocols.sadp import DeviceRecord

__all__ = ["DiscoveredDevice", "DiscoveryProtocol", "Findings", "canonical_mac"]

_MAC_DIGITS = re.compile(r"[0-9a-f]{12}")


class DiscoveryProtocol(StrEnum):
    """How a device was found."""

    SADP = "sadp"
    WS_DISCOVERY = "ws-discovery"


def canonical_mac(text: str | None) -> str | None:
    """A MAC in the fleet's form, ``aa:bb:cc:dd:ee:ff``, from any common spelling; ``None`` if it is not one."""
    if not text:
        return None
    digits = re.sub(r"[\s:.\-]", "", text.strip().lower())
    if not _MAC_DIGITS.fullmatch(digits):
        return None
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


@dataclass(frozen=True, slots=True)
class DiscoveredDevice:
    """One device seen on the network. Nothing in it is secret: it is what the device tells anyone.

    Attributes:
        protocol: how it answered.
        address: its IPv4 address as it reports it (SADP ``IPv4Address``, the host of a WS-Discovery XAddr),
            or the reply's source when it reports none.
        source: the address the reply came from.
        mac: ``aa:bb:cc:dd:ee:ff`` (SADP's dashed MAC, or a WS-Discovery ``MAC`` scope), if known.
        serial: the serial number (SADP ``DeviceSN``), if known.
        model: the model (SADP ``DeviceDescription``, WS-Discovery ``hardware`` scope).
        firmware: the firmware version text as sent (``V5.6.2build 190701``).
        activated: whether it has been activated (SADP; ``None`` when not said).
        http_port: its web/ISAPI/ONVIF port.
        command_port: the Hikvision SDK port (SADP).
        name: the WS-Discovery ``name`` scope, percent-decoded.
        endpoint: the WS-Discovery endpoint reference (``urn:uuid:...``).
        xaddrs: the ONVIF device-service URLs.
        scopes: the WS-Discovery scopes.
        sadp: the complete SADP record (lock, reset abilities, salt...), when found by SADP.
    """

    protocol: DiscoveryProtocol
    address: str
    source: str
    mac: str | None = None
    serial: str | None = None
    model: str | None = None
    firmware: str | None = None
    activated: bool | None = None
    http_port: int | None = None
    command_port: int | None = None
    name: str | None = None
    endpoint: str | None = None
    xaddrs: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    sadp: DeviceRecord | None = None

    def identities(self) -> list[tuple[str, str]]:
        """The identities this record can be matched on: MAC, serial, endpoint, else the address."""
        found = [(kind, value) for kind, value in (("mac", self.mac), ("serial", self.serial)) if value]
        if self.endpoint:
            found.append(("endpoint", self.endpoint))
        return found or [("address", f"{self.address}:{self.http_port}")]

    def merged(self, other: DiscoveredDevice) -> DiscoveredDevice:
        """This record completed with what ``other`` knows (this record's values win)."""
        updates = {
            field.name: getattr(other, field.name)
            for field in dataclasses.fields(self)
            if getattr(self, field.name) in (None, ()) and getattr(other, field.name) not in (None, ())
        }
        return dataclasses.replace(self, **updates) if updates else self


class Findings:
    """Records collected during one discovery, de-duplicated by MAC, serial number and endpoint."""

    def __init__(self) -> None:
        self._records: list[DiscoveredDevice] = []
        self._index: dict[tuple[str, str], int] = {}

    def __len__(self) -> int:
        return len(self._records)

    def add(self, record: DiscoveredDevice) -> bool:
        """Add a record or merge it into the one it duplicates; ``True`` when it is a new device."""
        position = next((self._index[key] for key in record.identities() if key in self._index), None)
        if position is None:
            position = len(self._records)
            self._records.append(record)
            new = True
        else:
            self._records[position] = self._records[position].merged(record)
            new = False
        for key in self._records[position].identities():
            self._index.setdefault(key, position)
        return new

    def extend(self, records: Iterable[DiscoveredDevice]) -> None:
        """Add several records."""
        for record in records:
            self.add(record)

    def devices(self) -> list[DiscoveredDevice]:
        """The distinct devices, in the order first seen."""
        return list(self._records)
