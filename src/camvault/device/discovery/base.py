"""What the SADP and WS-Discovery responders share: which devices a datagram reaches, and how replies leave.

A datagram reaches the devices a real network would deliver it to:

* sent to a device's own address: the devices at that address (in ``ports`` mode every device is on
  ``127.0.0.1``, so all of them; in ``addresses`` mode just one);
* sent to the multicast group, to a broadcast address, or to a served interface's own address (the lab
  seen from a LAN or a test namespace): every device.

Only devices that are powered on and booted answer. Each answer leaves from the answering device's address
when the probe came over loopback (where the devices live), else from the address of the interface the probe
came in on. Replies are delayed by a random time up to ``max_delay``: WS-Discovery's SOAP-over-UDP binding
asks for such a delay (``APP_MAX_DELAY``, 500 ms) so that many devices answering one multicast probe do not
flood the client at once; we apply it to SADP too [I: SADP's own timing is not documented], since a lab of a
thousand devices answering through one socket would otherwise overrun any client's receive buffer.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import ClassVar, Protocol

from camvault.device.discovery.network import (
    Arrival,
    Interface,
    Outgoing,
    UdpEndpoint,
    interface_for,
    open_endpoint,
)
from camvault.device.model import DeviceModel, PowerState

__all__ = ["Discoverable", "Responder"]

log = logging.getLogger(__name__)


class Discoverable(Protocol):
    """A device as discovery sees it (the lab's ``LabDevice`` is one)."""

    label: str
    model: DeviceModel
    address: str
    http_port: int


class Responder:
    """The shared half of a discovery responder; subclasses implement :meth:`on_datagram`.

    Args:
        devices: returns the lab's devices (called when needed, so the set may grow).
        port: the UDP port to answer on (0: any free port).
        interfaces: addresses of further local interfaces to answer on, besides the devices' own.
        max_delay: upper bound of the random delay before each reply, in seconds.
        rng: randomness for those delays.
    """

    protocol: ClassVar[str] = "discovery"
    group: ClassVar[str] = "239.255.255.250"

    def __init__(
        self,
        devices: Callable[[], Collection[Discoverable]],
        *,
        port: int,
        interfaces: Sequence[str] = (),
        max_delay: float = 0.5,
        rng: random.Random | None = None,
    ) -> None:
        self.devices = devices
        self.requested_port = port
        self.extra_interfaces = tuple(interfaces)
        self.max_delay = max_delay
        self.rng = rng or random.Random()
        self.endpoint: UdpEndpoint | None = None
        self.ignored = 0
        self._by_address: dict[str, list[Discoverable]] = {}
        self._timers: set[asyncio.TimerHandle] = set()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(port={self.port}, devices={len(self.devices())})"

    @property
    def port(self) -> int | None:
        """The bound port, ``None`` when not running."""
        return self.endpoint.port if self.endpoint is not None else None

    async def start(self) -> bool:
        """Bind and start answering; ``False`` (logged) when the responder cannot run here."""
        devices = self.devices()
        self._by_address = {}
        for device in devices:
            self._by_address.setdefault(device.address, []).append(device)
        served: dict[int, Interface] = {}
        for address in {*self._by_address, *self.extra_interfaces}:
            interface = interface_for(address)
            if interface is None:
                log.warning("%s: no local interface holds %s; not answering there", self.protocol, address)
                continue
            served[interface.index] = interface
        self.endpoint = open_endpoint(
            self.requested_port,
            self.group,
            served.values(),
            self._by_address,
            self.on_datagram,
            what=self.protocol,
        )
        return self.endpoint is not None

    def stop(self) -> None:
        """Stop answering; replies still waiting for their delay are dropped."""
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        if self.endpoint is not None:
            self.endpoint.close()
            self.endpoint = None

    def on_datagram(self, arrival: Arrival) -> None:
        """Handle one accepted datagram (protocol specific)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ helpers for subclasses

    def reached(self, arrival: Arrival) -> list[Discoverable]:
        """The powered-on devices this datagram reaches (see the module docstring)."""
        devices: Iterable[Discoverable] = self._by_address.get(arrival.destination) or self.devices()
        return [device for device in devices if device.model.power is PowerState.ON]

    def reply(self, device: Discoverable, arrival: Arrival, data: bytes, *, delay: bool = True) -> None:
        """Send ``data`` from ``device`` back to the datagram's sender, after the random delay."""
        source = device.address if arrival.interface.loopback else arrival.interface.address
        self._schedule(Outgoing(data, arrival.source, source), delay=delay)

    def announce(self, data: bytes) -> None:
        """Multicast ``data`` on every interface where the group was joined (none on plain loopback)."""
        if self.endpoint is None:
            return
        for interface in self.endpoint.multicast_interfaces:
            self.endpoint.send(Outgoing(data, (self.group, self.endpoint.port), interface.address, interface))

    def _schedule(self, outgoing: Outgoing, *, delay: bool) -> None:
        endpoint = self.endpoint
        if endpoint is None:
            return
        wait = self.rng.uniform(0.0, self.max_delay) if delay and self.max_delay > 0 else 0.0
        if wait <= 0:
            endpoint.send(outgoing)
            return
        loop = asyncio.get_running_loop()

        def fire() -> None:
            self._timers.discard(handle)
            if self.endpoint is not None:
                self.endpoint.send(outgoing)

        handle = loop.call_later(wait, fire)
        self._timers.add(handle)
