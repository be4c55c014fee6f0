"""Find ONVIF devices with WS-Discovery (``onvif.md`` §2).

:func:`discover_wsd` sends a Probe (by default for ``tds:Device``, the type ONVIF Core says every device
advertises) and turns each ProbeMatch relating to it into a
:class:`~camvault.fleet.discovery.records.DiscoveredDevice`, reading the scopes ONVIF defines: ``hardware``
(the model), ``name``, ``MAC``/``mac`` (case-insensitive, percent-decoded, as Home Assistant reads them), and
``SerialNumber`` when a device sends one. Anything else is ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from urllib.parse import unquote, urlsplit

from camvault.errors import ProtocolError
from camvault.fleet.discovery.records import DiscoveredDevice, DiscoveryProtocol, Findings, canonical_mac
from camvault.fleet.discovery.transport import Probing, exchange
from camvault.protocols import wsdiscovery as wsd
from camvault.protocols.soap import QName

__all__ = ["discover_wsd", "record_from_probe_match", "scope_value"]

log = logging.getLogger(__name__)
_ONVIF_SCOPE = "onvif://www.onvif.org/"


def scope_value(scopes: Sequence[str], category: str) -> str | None:
    """The last path segment of the first ``onvif://www.onvif.org/<category>/...`` scope, percent-decoded."""
    wanted = f"{_ONVIF_SCOPE}{category.lower()}/"
    for scope in scopes:
        if scope.lower().startswith(wanted):
            return unquote(scope.rstrip("/").rsplit("/", 1)[-1]) or None
    return None


def _host_and_port(xaddrs: Sequence[str]) -> tuple[str | None, int | None]:
    for xaddr in xaddrs:
        try:
            parts = urlsplit(xaddr)
            port = parts.port
        except ValueError:
            continue
        if parts.hostname:
            default = 443 if parts.scheme == "https" else 80
            return parts.hostname, port or default
    return None, None


def record_from_probe_match(match: wsd.ProbeMatch, source: str) -> DiscoveredDevice:
    """The fleet's record of one WS-Discovery ProbeMatch (or Hello/ResolveMatch record)."""
    host, port = _host_and_port(match.xaddrs)
    return DiscoveredDevice(
        protocol=DiscoveryProtocol.WS_DISCOVERY,
        address=host or source,
        source=source,
        mac=canonical_mac(scope_value(match.scopes, "mac")),
        serial=scope_value(match.scopes, "serialnumber"),
        model=scope_value(match.scopes, "hardware"),
        http_port=port,
        name=scope_value(match.scopes, "name"),
        endpoint=match.address,
        xaddrs=match.xaddrs,
        scopes=match.scopes,
    )


async def discover_wsd(
    probing: Probing | None = None,
    *,
    port: int = wsd.PORT,
    types: Sequence[QName] = (wsd.DEVICE_TYPE,),
    scopes: Sequence[str] = (),
) -> list[DiscoveredDevice]:
    """Probe and collect the ONVIF devices that answer, de-duplicated by MAC, serial and endpoint.

    Args:
        probing: destinations and timing; by default ``127.0.0.1`` only, for 2 seconds (devices wait up to
            500 ms before answering). Pass ``Probing(targets=(), multicast=True, interface=...)`` for a LAN.
        port: the devices' WS-Discovery port.
        types: the types every answer must have.
        scopes: scopes every answer must have (e.g. ``onvif://www.onvif.org/Profile/Streaming``).

    Returns:
        The devices, in the order first seen.

    Raises:
        OSError: the socket cannot be opened or bound.
    """
    chosen = probing or Probing()
    probe = wsd.Probe(message_id=wsd.new_message_id(), types=tuple(types), scopes=tuple(scopes))
    findings = Findings()

    def on_reply(data: bytes, source: str) -> bool:
        try:
            message = wsd.decode(data)
        except ProtocolError:
            log.debug("ignored a malformed WS-Discovery datagram from %s", source)
            return False
        if isinstance(message, wsd.ProbeMatches) and message.relates_to == probe.message_id:
            findings.extend(record_from_probe_match(match, source) for match in message.matches)
        return chosen.until is not None and len(findings) >= chosen.until

    await exchange(wsd.encode_probe(probe), port, wsd.MULTICAST_IPV4, chosen, on_reply)
    return findings.devices()
