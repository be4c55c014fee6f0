"""An address-and-port scan the owner asks for: where multicast discovery does not reach.

Only the ranges and ports the user names are scanned, within a hard bound (:data:`MAX_ADDRESSES`); each
address and port gets one TCP connection attempt with a short timeout, and what answers is identified
without credentials: a Hikvision device answers ``GET /SDK/activateStatus`` (and says ``Server: App-webs``), an
ONVIF device answers an unauthenticated ``GetSystemDateAndTime`` at ``/onvif/device_service``. Nothing that
needs a password is ever sent.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from camvault.errors import CamvaultError, ConfigurationError
from camvault.fleet.drivers import AttemptBudget, Endpoint
from camvault.fleet.drivers.hikvision import HikvisionDriver
from camvault.fleet.drivers.onvif import OnvifDriver

__all__ = ["MAX_ADDRESSES", "ScanHit", "parse_targets", "scan"]

MAX_ADDRESSES = 4096
CONNECT_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class ScanHit:
    """Something that answered like a camera or recorder."""

    host: str
    port: int
    vendor: str
    activated: bool | None


def parse_targets(ranges: Sequence[str]) -> list[str]:
    """Expand ``192.0.2.0/28``, ``192.0.2.7`` or ``192.0.2.10-192.0.2.20`` into addresses, within the bound.

    Raises:
        ConfigurationError: malformed, or more than :data:`MAX_ADDRESSES` addresses in all.
    """
    addresses: list[str] = []
    for text in ranges:
        try:
            if "-" in text:
                first, last = (ipaddress.ip_address(part.strip()) for part in text.split("-", 1))
                if first.version != last.version or int(last) < int(first):
                    raise ValueError(text)
                count = int(last) - int(first) + 1
                if len(addresses) + count > MAX_ADDRESSES:
                    raise ConfigurationError(f"at most {MAX_ADDRESSES} addresses per scan")
                addresses.extend(str(ipaddress.ip_address(int(first) + offset)) for offset in range(count))
            else:
                network = ipaddress.ip_network(text.strip(), strict=False)
                if len(addresses) + network.num_addresses > MAX_ADDRESSES:
                    raise ConfigurationError(f"at most {MAX_ADDRESSES} addresses per scan")
                hosts = list(network.hosts()) if network.num_addresses > 2 else list(network)
                addresses.extend(str(host) for host in hosts)
        except ValueError:
            raise ConfigurationError(f"not an address, a network or a range: {text[:60]!r}") from None
    return list(dict.fromkeys(addresses))


async def _open(host: str, port: int) -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout=CONNECT_SECONDS)
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True


async def scan(addresses: Sequence[str], ports: Sequence[int], *, concurrency: int = 128) -> list[ScanHit]:
    """Find what answers like a Hikvision or ONVIF device on the given addresses and ports."""
    if any(not 1 <= port <= 65535 for port in ports):
        raise ConfigurationError("ports must be within 1-65535")
    slots = asyncio.Semaphore(concurrency)
    budget = AttemptBudget()  # never spent: nothing here sends a credential
    async with httpx.AsyncClient(timeout=httpx.Timeout(3.0, connect=CONNECT_SECONDS)) as client:

        async def one(host: str, port: int) -> ScanHit | None:
            async with slots:
                if not await _open(host, port):
                    return None
                for driver_class in (HikvisionDriver, OnvifDriver):
                    driver = driver_class(Endpoint(host, port), client=client, budget=budget)
                    try:
                        probe = await driver.probe()
                    except CamvaultError:
                        continue
                    if probe.reachable and probe.vendor:
                        return ScanHit(host, port, driver_class.vendor, probe.activated)
                return None

        found = await asyncio.gather(*(one(host, port) for host in addresses for port in ports))
    return [hit for hit in found if hit is not None]
