"""Send a discovery probe over UDP and collect the answers for a bounded time.

One ephemeral socket sends the probe (to unicast addresses, the multicast group, the broadcast address) and
receives the replies, which devices address to the probe's source (SADP: every open-source client reads
replies on its sending socket, ``hikvision.md`` §13.1; WS-Discovery: ProbeMatches are unicast to the
prober, ``onvif.md`` §2). Listening always ends: at ``timeout`` seconds at the latest, earlier when a caller-
given number of devices has been seen. Multicast leaves with a TTL of 1 on the chosen interface only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["MAX_TIMEOUT", "Probing", "exchange"]

log = logging.getLogger(__name__)

MAX_TIMEOUT = 600.0
"""The longest a discovery may listen, whatever the caller asks."""
_RECEIVE_BUFFER = 8 * 1024 * 1024
_MAX_TARGETS = 65536


@dataclass(frozen=True, slots=True)
class Probing:
    """Where and how a probe goes.

    Attributes:
        targets: unicast addresses to probe (for networks where multicast does not pass). Defaults to
            loopback only, so that nothing leaves the machine unless asked.
        multicast: also send to the protocol's multicast group.
        broadcast: also send to 255.255.255.255 (SADP tools do both).
        interface: the local IPv4 address to send from and to send multicast on; ``None`` lets the system
            choose (for unicast) and binds every address.
        timeout: seconds to listen after sending, at most :data:`MAX_TIMEOUT`.
        repeat: how many times each probe is sent (UDP may lose one), 50 ms apart.
        until: stop listening once this many distinct devices were seen.
    """

    targets: Sequence[str] = ("127.0.0.1",)
    multicast: bool = False
    broadcast: bool = False
    interface: str | None = None
    timeout: float = 2.0
    repeat: int = 1
    until: int | None = None

    def __post_init__(self) -> None:
        if not 0 < self.timeout <= MAX_TIMEOUT:
            raise ValueError(f"timeout must be within (0, {MAX_TIMEOUT}] seconds")
        if not 1 <= self.repeat <= 10 or len(self.targets) > _MAX_TARGETS:
            raise ValueError("repeat must be 1-10 and there may be at most 65536 targets")


class _Listener(asyncio.DatagramProtocol):
    def __init__(self, on_datagram: Callable[[bytes, str], bool], done: asyncio.Event) -> None:
        self.on_datagram = on_datagram
        self.done = done

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        if self.done.is_set():
            return
        try:
            finished = self.on_datagram(data, str(addr[0]))
        except Exception:  # one bad reply must not end the discovery
            log.exception("a discovery reply could not be handled")
            return
        if finished:
            self.done.set()

    def error_received(self, exc: Exception) -> None:
        # ICMP "port unreachable" from a unicast target without a responder: nothing to do.
        log.debug("discovery socket error: %s", exc)


def _socket(probing: Probing) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setblocking(False)
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RECEIVE_BUFFER)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        if probing.broadcast:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        if probing.interface is not None:
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(probing.interface))
        sock.bind((probing.interface or "0.0.0.0", 0))  # noqa: S104 - replies come back to this socket
    except BaseException:
        sock.close()
        raise
    return sock


async def exchange(
    payload: bytes, port: int, group: str, probing: Probing, on_datagram: Callable[[bytes, str], bool]
) -> None:
    """Send ``payload`` as ``probing`` says and feed every reply to ``on_datagram`` until done.

    Args:
        payload: the probe.
        port: the protocol's UDP port on the devices.
        group: the protocol's multicast group.
        probing: destinations and timing.
        on_datagram: called with each reply and its source address; returns ``True`` to stop listening.

    Raises:
        OSError: the socket cannot be opened or bound (e.g. an ``interface`` that is not local).
    """
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    destinations = [(target, port) for target in probing.targets]
    if probing.multicast:
        destinations.append((group, port))
    if probing.broadcast:
        destinations.append(("255.255.255.255", port))
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _Listener(on_datagram, done), sock=_socket(probing)
    )
    try:
        deadline = loop.time() + probing.timeout
        for attempt in range(probing.repeat):
            for destination in destinations:
                try:
                    transport.sendto(payload, destination)
                except OSError as exc:
                    log.debug("could not probe %s: %s", destination[0], exc)
            if attempt + 1 < probing.repeat:
                await asyncio.sleep(0.05)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), timeout=max(0.0, deadline - loop.time()))
    finally:
        transport.close()
