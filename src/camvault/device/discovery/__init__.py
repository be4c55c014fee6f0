"""Discovery for a whole lab: one SADP and one WS-Discovery responder answering for every device.

:class:`DiscoveryResponders` is what the lab holds: it starts both responders (a port of 0 in the settings
disables one), announces a device when it boots (SADP ``<Hello>``, WS-Discovery Hello) and when it leaves
(WS-Discovery Bye), and stops them. See :mod:`~camvault.device.discovery.sadp`,
:mod:`~camvault.device.discovery.wsd` and, for sockets, interfaces and multicast,
:mod:`~camvault.device.discovery.network`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from random import Random

from camvault.device.discovery.base import Discoverable, Responder
from camvault.device.discovery.sadp import DEFAULT_COMMANDS, SadpResponder, device_record
from camvault.device.discovery.wsd import WsdResponder, target_record
from camvault.device.model import PowerState

__all__ = [
    "DEFAULT_COMMANDS",
    "Discoverable",
    "DiscoveryResponders",
    "Responder",
    "SadpResponder",
    "WsdResponder",
    "device_record",
    "target_record",
]

log = logging.getLogger(__name__)


class DiscoveryResponders:
    """The lab's two discovery responders.

    Args:
        devices: returns the lab's devices.
        sadp_port: SADP's UDP port (0: no SADP responder).
        wsd_port: WS-Discovery's UDP port (0: no WS-Discovery responder).
        interfaces: further local interface addresses to answer on (a LAN or test-namespace interface).
        max_delay: the reply jitter bound of both responders.
        rng: randomness for the jitter.
    """

    def __init__(
        self,
        devices: Callable[[], Collection[Discoverable]],
        *,
        sadp_port: int,
        wsd_port: int,
        interfaces: Sequence[str] = (),
        max_delay: float = 0.5,
        rng: Random | None = None,
    ) -> None:
        self.sadp = (
            SadpResponder(devices, port=sadp_port, interfaces=interfaces, max_delay=max_delay, rng=rng)
            if sadp_port
            else None
        )
        self.wsd = (
            WsdResponder(devices, port=wsd_port, interfaces=interfaces, max_delay=max_delay, rng=rng)
            if wsd_port
            else None
        )

    def __repr__(self) -> str:
        return f"DiscoveryResponders(sadp={self.sadp!r}, wsd={self.wsd!r})"

    async def start(self) -> None:
        """Start the enabled responders (one that cannot bind is logged and left off)."""
        for responder in (self.sadp, self.wsd):
            if responder is not None and not await responder.start():
                log.warning("%s discovery is not available in this lab", responder.protocol)

    def stop(self, devices: Collection[Discoverable] = ()) -> None:
        """Say Bye for ``devices`` (those still on), then stop answering."""
        for device in devices:
            if device.model.power is PowerState.ON:
                self.device_leaving(device)
        for responder in (self.sadp, self.wsd):
            if responder is not None:
                responder.stop()

    def device_booted(self, device: Discoverable) -> None:
        """A device finished booting: announce it."""
        if self.sadp is not None:
            self.sadp.device_booted(device)
        if self.wsd is not None:
            self.wsd.device_booted(device)

    def device_leaving(self, device: Discoverable) -> None:
        """A device is about to go down: say Bye."""
        if self.wsd is not None:
            self.wsd.device_leaving(device)
