"""Router DHCP lease files: where the vendor guides send owners to find a camera's address.

Two formats are read, strictly and within bounds:

* dnsmasq (``/var/lib/misc/dnsmasq.leases``, OpenWrt, Pi-hole): ``<expiry> <mac> <ip> <hostname|*> <client-id|*>``
  one lease per line;
* ISC dhcpd (``dhcpd.leases``): ``lease <ip> { ... hardware ethernet <mac>; client-hostname "<name>"; ... }``
  blocks, the last block for an address winning, as dhcpd itself appends.

Each lease is returned with the vendor its MAC prefix belongs to (:data:`CAMERA_OUIS`), so the importer can
offer the likely cameras first. Malformed input raises :class:`~camvault.errors.ConfigurationError` naming
the line, and nothing is imported.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from camvault.errors import ConfigurationError, InventoryError
from camvault.fleet.inventory.inventory import normalize_mac

__all__ = ["CAMERA_OUIS", "Lease", "camera_vendor", "parse_leases"]

MAX_LEASE_FILE_BYTES = 4 * 1024 * 1024
MAX_LEASES = 50000

CAMERA_OUIS: dict[str, str] = {
    # Hikvision (58:50:ed is the OUI of the real SADP capture in the research notes, §13.3)
    "58:50:ed": "hikvision",
    "44:19:b6": "hikvision",
    "c0:56:e3": "hikvision",
    "bc:ad:28": "hikvision",
    "4c:bd:8f": "hikvision",
    "54:c4:15": "hikvision",
    "28:57:be": "hikvision",
    "c4:2f:90": "hikvision",
    "a4:14:37": "hikvision",
    "18:68:cb": "hikvision",
    "e0:ca:3c": "hikvision",
    "8c:e7:48": "hikvision",
    # Dahua and its OEMs (ONVIF)
    "3c:ef:8c": "dahua",
    "90:02:a9": "dahua",
    "4c:11:bf": "dahua",
    "e0:50:8b": "dahua",
    # Axis
    "00:40:8c": "axis",
    "ac:cc:8e": "axis",
    "b8:a4:4f": "axis",
}
"""MAC prefixes (IEEE OUIs) of camera vendors; a hint for the importer, never proof."""

_ISC_LEASE = re.compile(r"lease\s+(?P<ip>[0-9a-fA-F.:]+)\s*\{(?P<body>[^{}]*)\}", re.S)
_ISC_MAC = re.compile(r"hardware\s+ethernet\s+(?P<mac>[0-9a-fA-F:]+)\s*;")
_ISC_HOST = re.compile(r'client-hostname\s+"(?P<name>[^"\n]{0,63})"\s*;')
_ISC_STATE = re.compile(r"binding\s+state\s+(?P<state>\w+)\s*;")


@dataclass(frozen=True, slots=True)
class Lease:
    """One address lease: who had which address."""

    address: str
    mac: str
    hostname: str | None
    vendor_hint: str | None

    @property
    def likely_camera(self) -> bool:
        """Whether the MAC prefix belongs to a camera vendor."""
        return self.vendor_hint is not None


def camera_vendor(mac: str) -> str | None:
    """The camera vendor a MAC prefix belongs to, if it is one we know."""
    normalized = normalize_mac(mac)
    return CAMERA_OUIS.get(normalized[:8]) if normalized else None


def parse_leases(data: bytes) -> list[Lease]:
    """Read a dnsmasq or ISC dhcpd lease file (the format is recognised from the content).

    Raises:
        ConfigurationError: too large, not text, or a malformed line or block.
    """
    if len(data) > MAX_LEASE_FILE_BYTES:
        raise ConfigurationError(f"the lease file is larger than {MAX_LEASE_FILE_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigurationError("the lease file is not UTF-8 text") from None
    leases = _isc(text) if re.search(r"^\s*lease\s", text, re.M) else _dnsmasq(text)
    if len(leases) > MAX_LEASES:
        raise ConfigurationError(f"the lease file has more than {MAX_LEASES} leases")
    return leases


def _lease(address: str, mac: str, hostname: str | None, where: str) -> Lease:
    try:
        parsed = ipaddress.ip_address(address)
        normalized = normalize_mac(mac)
    except (ValueError, InventoryError):
        raise ConfigurationError(f"{where}: not an IP address and MAC pair") from None
    if normalized is None:
        raise ConfigurationError(f"{where}: the MAC address is missing")
    name = hostname if hostname and hostname != "*" and hostname.isprintable() else None
    return Lease(str(parsed), normalized, name, CAMERA_OUIS.get(normalized[:8]))


def _dnsmasq(text: str) -> list[Lease]:
    latest: dict[str, Lease] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped.startswith("duid "):
            continue
        parts = stripped.split()
        if len(parts) < 4 or not parts[0].isdigit():
            raise ConfigurationError(
                f"line {number}: not a dnsmasq lease (expiry mac ip hostname [client-id])"
            )
        lease = _lease(parts[2], parts[1], parts[3], f"line {number}")
        latest[lease.address] = lease
    return list(latest.values())


def _isc(text: str) -> list[Lease]:
    latest: dict[str, Lease] = {}
    consumed = 0
    for match in _ISC_LEASE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        between = text[consumed : match.start()]
        if re.search(r"\blease\b", _strip_comments(between)):
            raise ConfigurationError(f"line {line}: a lease block is not closed")
        consumed = match.end()
        body = _strip_comments(match["body"])
        state = _ISC_STATE.search(body)
        if state is not None and state["state"] not in {"active", "static"}:
            continue
        mac = _ISC_MAC.search(body)
        if mac is None:
            continue  # an abandoned or declined lease without hardware
        host = _ISC_HOST.search(body)
        lease = _lease(match["ip"], mac["mac"], host["name"] if host else None, f"line {line}")
        latest[lease.address] = lease
    rest = _strip_comments(text[consumed:])
    if re.search(r"\blease\b", rest):
        raise ConfigurationError("the lease file ends inside a lease block")
    return list(latest.values())


def _strip_comments(text: str) -> str:
    return re.sub(r"#[^\n]*", "", text)
