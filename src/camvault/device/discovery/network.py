"""One UDP socket that answers for many emulated devices: interfaces, multicast, per-device source addresses.

A lab has up to thousands of devices, each with its own address (``127.x.y.z`` in ``addresses`` mode, or all on
``127.0.0.1``). Real devices each own a socket; the lab uses **one socket per protocol** bound to the port on
``0.0.0.0`` with ``IP_PKTINFO``, which tells, for every datagram, the address it was sent to and the interface
it came in on, and lets each reply leave from the answering device's own address. To keep that wildcard
socket from serving more than the lab means to:

* a datagram is accepted only if it arrived on a *served* interface (the one holding the lab's addresses,
  loopback, plus any interface named in the lab settings), and was sent to a lab address, to a served
  interface's own address, to the discovery multicast group, or to a broadcast address;
* ``IP_MULTICAST_ALL`` is off, so only the groups this socket joined are delivered to it;
* the group is joined only on served interfaces that have the ``MULTICAST`` flag. Loopback usually lacks it:
  there the lab answers unicast only (and says so in its log), and sends no Hello or Bye;
* multicast leaves with a TTL of 1 (the local link only).

Replies are sent as soon as the socket takes them; a reply the kernel cannot take right now waits in a bounded
queue drained when the socket is writable. Nothing here raises out of the event loop: a send error drops that
datagram, a malformed datagram is the protocol's business.

Linux only (``IP_PKTINFO`` and ``IP_MULTICAST_ALL`` are Linux socket options; Python 3.11 does not name
them, so their values are spelled here). :func:`open_endpoint` returns ``None`` elsewhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import fcntl
import ipaddress
import logging
import socket
import struct
import sys
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

__all__ = [
    "MAX_QUEUED_REPLIES",
    "Arrival",
    "Interface",
    "Outgoing",
    "UdpEndpoint",
    "interface_for",
    "open_endpoint",
]

log = logging.getLogger(__name__)

IP_PKTINFO: Final = 8
IP_MULTICAST_ALL: Final = 49
_SIOCGIFFLAGS: Final = 0x8913
_SIOCGIFADDR: Final = 0x8915
_SIOCGIFNETMASK: Final = 0x891B
_IFF_LOOPBACK: Final = 0x8
_IFF_MULTICAST: Final = 0x1000
_PKTINFO: Final = struct.Struct("@i4s4s")
_MAX_DATAGRAM: Final = 65535
_READS_PER_WAKEUP: Final = 256
MAX_QUEUED_REPLIES: Final = 100_000
"""Replies waiting for room in the socket buffer; beyond that, replies are dropped (as a busy device would)."""


@dataclass(frozen=True, slots=True)
class Interface:
    """A local network interface the lab answers on.

    Attributes:
        index: the kernel's interface index.
        name: e.g. ``lo`` or ``veth0``.
        address: its IPv4 address (for loopback, ``127.0.0.1``).
        multicast: whether it has the ``MULTICAST`` flag.
        loopback: whether it is the loopback interface.
        netmask: its IPv4 netmask.
    """

    index: int
    name: str
    address: str
    multicast: bool
    loopback: bool
    netmask: str = "255.255.255.255"

    @property
    def broadcast(self) -> str:
        """The interface's subnet broadcast address."""
        return str(ipaddress.IPv4Network(f"{self.address}/{self.netmask}", strict=False).broadcast_address)


@dataclass(frozen=True, slots=True)
class Arrival:
    """One received datagram and where it came from and went to.

    Attributes:
        data: the payload.
        source: the sender's ``(address, port)``.
        destination: the address it was sent to (a device, the group, a broadcast address).
        interface: the served interface it arrived on.
    """

    data: bytes
    source: tuple[str, int]
    destination: str
    interface: Interface


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One datagram to send.

    Attributes:
        data: the payload.
        destination: ``(address, port)``.
        source: the address it must leave from (the answering device's, or the interface's).
        interface: for multicast, the interface to send it on.
    """

    data: bytes
    destination: tuple[str, int]
    source: str
    interface: Interface | None = None


def _ioctl_ifreq(sock: socket.socket, request: int, name: str) -> bytes:
    ifreq = struct.pack("256s", name.encode()[:15])
    return fcntl.ioctl(sock.fileno(), request, ifreq)


def _interfaces() -> list[Interface]:
    found: list[Interface] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for index, name in socket.if_nameindex():
            try:
                flags = struct.unpack_from("H", _ioctl_ifreq(probe, _SIOCGIFFLAGS, name), 16)[0]
                address = socket.inet_ntoa(_ioctl_ifreq(probe, _SIOCGIFADDR, name)[20:24])
                netmask = socket.inet_ntoa(_ioctl_ifreq(probe, _SIOCGIFNETMASK, name)[20:24])
            except OSError:
                continue  # no IPv4 address, or gone
            multicast, loopback = bool(flags & _IFF_MULTICAST), bool(flags & _IFF_LOOPBACK)
            found.append(Interface(index, name, address, multicast, loopback, netmask))
    return found


def interface_for(address: str) -> Interface | None:
    """The local interface holding ``address`` (every ``127.x`` address is on loopback), or ``None``."""
    try:
        parsed = ipaddress.IPv4Address(address)
    except ValueError:
        return None
    candidates = _interfaces()
    if parsed.is_loopback:
        return next((interface for interface in candidates if interface.loopback), None)
    return next((interface for interface in candidates if interface.address == address), None)


class UdpEndpoint:
    """The lab's socket for one discovery protocol.

    Args:
        sock: the bound, non-blocking socket with ``IP_PKTINFO`` on.
        interfaces: the served interfaces.
        accepted: the destination addresses to accept besides the group, broadcast and interface addresses.
        group: the multicast group of the protocol.
        on_datagram: called with each accepted datagram.
    """

    def __init__(
        self,
        sock: socket.socket,
        interfaces: Iterable[Interface],
        accepted: Iterable[str],
        group: str,
        on_datagram: Callable[[Arrival], None],
    ) -> None:
        self.sock = sock
        self.interfaces = {interface.index: interface for interface in interfaces}
        self.group = group
        own = {interface.address for interface in self.interfaces.values()}
        broadcasts = {interface.broadcast for interface in self.interfaces.values() if not interface.loopback}
        self.accepted = frozenset(accepted) | {group, "255.255.255.255"} | own | broadcasts
        self.on_datagram = on_datagram
        self.port: int = sock.getsockname()[1]
        self.dropped = 0
        self._queue: deque[Outgoing] = deque()
        self._loop = asyncio.get_running_loop()
        self._writing = False
        self._loop.add_reader(sock.fileno(), self._readable)

    def __repr__(self) -> str:
        return f"UdpEndpoint(port={self.port}, interfaces={[i.name for i in self.interfaces.values()]})"

    @property
    def multicast_interfaces(self) -> list[Interface]:
        """Served interfaces on which the group was joined."""
        return [interface for interface in self.interfaces.values() if interface.multicast]

    def close(self) -> None:
        """Stop reading and writing and close the socket."""
        with contextlib.suppress(ValueError, OSError):
            self._loop.remove_reader(self.sock.fileno())
            if self._writing:
                self._loop.remove_writer(self.sock.fileno())
        self._queue.clear()
        self.sock.close()

    # ------------------------------------------------------------------ receiving

    def _readable(self) -> None:
        for _ in range(_READS_PER_WAKEUP):
            try:
                data, ancillary, _flags, source = self.sock.recvmsg(
                    _MAX_DATAGRAM, socket.CMSG_SPACE(_PKTINFO.size)
                )
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            arrival = self._arrival(data, ancillary, source)
            if arrival is None:
                self.dropped += 1
                continue
            try:
                self.on_datagram(arrival)
            except Exception:  # a protocol bug must never take the lab's socket down
                log.exception("discovery handler failed on a datagram from %s", source[0])

    def _arrival(
        self, data: bytes, ancillary: list[tuple[int, int, bytes]], source: tuple[str, int]
    ) -> Arrival | None:
        for level, kind, payload in ancillary:
            if level == socket.IPPROTO_IP and kind == IP_PKTINFO and len(payload) >= _PKTINFO.size:
                index, _local, destination = _PKTINFO.unpack_from(payload)
                interface = self.interfaces.get(index)
                address = socket.inet_ntoa(destination)
                if interface is None or address not in self.accepted:
                    return None
                return Arrival(data, (source[0], source[1]), address, interface)
        return None

    # ------------------------------------------------------------------ sending

    def send(self, outgoing: Outgoing) -> None:
        """Send a datagram now, or queue it until the socket is writable."""
        if self._queue or not self._send_now(outgoing):
            if len(self._queue) >= MAX_QUEUED_REPLIES:
                self.dropped += 1
                return
            self._queue.append(outgoing)
            if not self._writing:
                self._writing = True
                self._loop.add_writer(self.sock.fileno(), self._writable)

    def _writable(self) -> None:
        while self._queue:
            if not self._send_now(self._queue[0]):
                return
            self._queue.popleft()
        self._writing = False
        self._loop.remove_writer(self.sock.fileno())

    def _send_now(self, outgoing: Outgoing) -> bool:
        """Try one send; ``False`` means "no room, try later", anything else is done (sent or dropped)."""
        index = outgoing.interface.index if outgoing.interface is not None else 0
        info = _PKTINFO.pack(index, socket.inet_aton(outgoing.source), bytes(4))
        try:
            if outgoing.interface is not None:
                self.sock.setsockopt(
                    socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(outgoing.interface.address)
                )
            self.sock.sendmsg(
                [outgoing.data], [(socket.IPPROTO_IP, IP_PKTINFO, info)], 0, outgoing.destination
            )
        except (BlockingIOError, InterruptedError):
            return False
        except OSError as exc:
            self.dropped += 1
            log.debug("dropped a discovery reply to %s: %s", outgoing.destination[0], exc.strerror)
        return True


def open_endpoint(
    port: int,
    group: str,
    interfaces: Iterable[Interface],
    accepted: Iterable[str],
    on_datagram: Callable[[Arrival], None],
    *,
    what: str,
) -> UdpEndpoint | None:
    """Bind the protocol's port, join the group where possible, and start reading.

    Args:
        port: the UDP port (37020 for SADP, 3702 for WS-Discovery; 0 for any free port).
        group: the multicast group.
        interfaces: the interfaces to serve.
        accepted: the lab's device addresses.
        on_datagram: the protocol handler.
        what: the protocol's name, for the log.

    Returns:
        The endpoint, or ``None`` when the platform lacks ``IP_PKTINFO`` or the port cannot be bound (both
        logged: a lab runs on without that responder).
    """
    if not sys.platform.startswith("linux"):
        log.warning("%s responder disabled: it needs Linux (IP_PKTINFO)", what)
        return None
    served = list(interfaces)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
        sock.setsockopt(socket.IPPROTO_IP, IP_MULTICAST_ALL, 0)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * 1024 * 1024)
        sock.bind(("0.0.0.0", port))  # noqa: S104 - filtered per datagram to the served interfaces (docstring)
    except OSError as exc:
        sock.close()
        log.warning("%s responder disabled: cannot bind UDP port %d (%s)", what, port, exc.strerror)
        return None
    joined: list[Interface] = []
    for interface in served:
        if not interface.multicast:
            log.info("%s: %s has no multicast; answering unicast and broadcast there", what, interface.name)
            continue
        membership = socket.inet_aton(group) + socket.inet_aton(interface.address)
        try:
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
            joined.append(interface)
        except OSError as exc:
            log.info(
                "%s: cannot join %s on %s (%s); unicast only there", what, group, interface.name, exc.strerror
            )
    final = [interface if interface in joined else _without_multicast(interface) for interface in served]
    endpoint = UdpEndpoint(sock, final, accepted, group, on_datagram)
    names = [interface.name for interface in joined]
    log.info("%s responder on UDP %d, multicast on %s", what, endpoint.port, names or "no interface")
    return endpoint


def _without_multicast(interface: Interface) -> Interface:
    return dataclasses.replace(interface, multicast=False)
