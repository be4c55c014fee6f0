"""Finding devices on the network: SADP (Hikvision) and WS-Discovery (ONVIF) clients.

* :func:`discover_sadp` and :func:`discover_wsd` probe (unicast targets, and multicast or broadcast when
  asked), listen for a bounded time and return :class:`DiscoveredDevice` records de-duplicated by MAC and
  serial number. By default they probe ``127.0.0.1`` only: searching a LAN is an explicit choice
  (:class:`Probing`).
* :func:`activate_over_sadp` gives an inactive Hikvision device its admin password without a browser.

This package speaks only the wire protocols (:mod:`camvault.protocols`); it knows nothing of the emulator.
"""

from camvault.fleet.discovery.records import DiscoveredDevice, DiscoveryProtocol, Findings, canonical_mac
from camvault.fleet.discovery.sadp import SadpActivation, activate_over_sadp, discover_sadp
from camvault.fleet.discovery.transport import MAX_TIMEOUT, Probing
from camvault.fleet.discovery.wsd import discover_wsd

__all__ = [
    "MAX_TIMEOUT",
    "DiscoveredDevice",
    "DiscoveryProtocol",
    "Findings",
    "Probing",
    "SadpActivation",
    "activate_over_sadp",
    "canonical_mac",
    "discover_sadp",
    "discover_wsd",
]
