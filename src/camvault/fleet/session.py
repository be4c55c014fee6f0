"""A fleet session: the store, the unlocked vault, the attempt budget and the HTTP clients, together.

Commands open one session, hand drivers to the runner and close it. The session is where the seams meet:
drivers get an endpoint, a client and the budget (never the vault); tasks get credentials from the vault
through :meth:`FleetSession.credential` for the one operation that needs them.
"""

from __future__ import annotations

import functools
import importlib
import ssl
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from camvault.clock import Clock, SystemClock
from camvault.errors import InventoryError
from camvault.fleet.drivers import AttemptBudget, Credential, DeviceDriver, Endpoint, driver_for
from camvault.fleet.inventory import DeviceRecord, Inventory
from camvault.fleet.store import Store
from camvault.fleet.vault import Vault

__all__ = ["DEFAULT_TIMEOUT", "FleetSession", "endpoint_of"]

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_SHARDS = 64
DEVICES_PER_SHARD = 4
_DRIVER_MODULES = {"hikvision": "camvault.fleet.drivers.hikvision", "onvif": "camvault.fleet.drivers.onvif"}


@functools.cache
def _tls_context(verify: bool) -> ssl.SSLContext:
    """One TLS context per setting for every pool (building one reads the system CA store)."""
    if verify:
        return ssl.create_default_context()
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def endpoint_of(record: DeviceRecord) -> Endpoint:
    """Where an inventory device answers."""
    return Endpoint(record.host, record.port, record.scheme, record.verify_tls)


@dataclass
class FleetSession:
    """Everything a fleet command needs, opened once.

    Attributes:
        store: the fleet database.
        vault: the unlocked vault, or ``None`` for commands that need no credentials.
        budget: the attempt budget shared by every driver of this session.
        clock: the time source.
        concurrency: how many devices the session's users keep in flight (sizes the connection pools).
        request_hooks: httpx request event hooks given to every client (e.g. a request counter).
    """

    store: Store
    vault: Vault | None
    budget: AttemptBudget = field(default_factory=AttemptBudget)
    clock: Clock = field(default_factory=SystemClock)
    concurrency: int = 64
    request_hooks: list[Callable[[httpx.Request], Awaitable[None]]] = field(default_factory=list, repr=False)
    _clients: dict[tuple[bool, int], httpx.AsyncClient] = field(default_factory=dict, repr=False)

    def inventory(self) -> Inventory:
        """An inventory stamped with the session clock."""
        return Inventory(self.clock.now())

    @property
    def shards(self) -> int:
        """How many connection pools each TLS setting is split into (see :meth:`http`)."""
        return max(1, min(MAX_SHARDS, self.concurrency // DEVICES_PER_SHARD))

    def http(self, *, verify: bool, host: str = "") -> httpx.AsyncClient:
        """The client for ``host``: shared by the devices of its shard, one set verifying TLS, one not.

        Every device is its own host, so one pool for the whole fleet gains nothing from sharing and costs a
        lot: httpcore matches each queued request against every pooled connection, which grows with the
        square of the devices in flight. Pools of a few devices each keep that cost flat.
        """
        shard = zlib.crc32(host.encode()) % self.shards
        client = self._clients.get((verify, shard))
        if client is None:
            per_shard = max(2, -(-self.concurrency // self.shards))
            limits = httpx.Limits(max_connections=per_shard * 2, max_keepalive_connections=per_shard)
            client = httpx.AsyncClient(
                verify=_tls_context(verify),
                timeout=DEFAULT_TIMEOUT,
                limits=limits,
                follow_redirects=False,
                event_hooks={"request": list(self.request_hooks)},
            )
            self._clients[(verify, shard)] = client
        return client

    def driver(self, record: DeviceRecord) -> DeviceDriver:
        """The driver for an inventory device.

        Raises:
            InventoryError: its vendor is unknown or has no driver.
        """
        if record.vendor == "unknown":
            raise InventoryError(f"{record.label}: vendor unknown; set it with 'camvault fleet add --vendor'")
        module = _DRIVER_MODULES.get(record.vendor)
        if module is not None:
            importlib.import_module(module)
        driver_class = driver_for(record.vendor)
        return driver_class(
            endpoint_of(record),
            client=self.http(verify=record.verify_tls, host=record.host),
            budget=self.budget,
            name=record.label,
        )

    def credential(self, record: DeviceRecord) -> Credential | None:
        """The device's current credential from the vault, or ``None`` if none is stored."""
        if self.vault is None or record.credential_ref is None:
            return None
        with self.store.transaction(readonly=True) as conn:
            secret = self.vault.current(conn, record.credential_ref)
        return Credential(secret.username, secret.password)

    async def aclose(self) -> None:
        """Close the HTTP clients."""
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
