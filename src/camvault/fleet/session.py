"""A fleet session: the store, the unlocked vault, the attempt budget and the HTTP clients, together.

Commands open one session, hand drivers to the runner and close it. The session is where the seams meet:
drivers get an endpoint, a client and the budget (never the vault); tasks get credentials from the vault
through :meth:`FleetSession.credential` for the one operation that needs them.
"""

from __future__ import annotations

import importlib
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
_DRIVER_MODULES = {"hikvision": "camvault.fleet.drivers.hikvision", "onvif": "camvault.fleet.drivers.onvif"}


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
        concurrency: connection pool size of the HTTP clients.
    """

    store: Store
    vault: Vault | None
    budget: AttemptBudget = field(default_factory=AttemptBudget)
    clock: Clock = field(default_factory=SystemClock)
    concurrency: int = 64
    _clients: dict[bool, httpx.AsyncClient] = field(default_factory=dict, repr=False)

    def inventory(self) -> Inventory:
        """An inventory stamped with the session clock."""
        return Inventory(self.clock.now())

    def http(self, *, verify: bool) -> httpx.AsyncClient:
        """The shared client (one verifying TLS, one not, for devices the owner marked so)."""
        client = self._clients.get(verify)
        if client is None:
            limits = httpx.Limits(
                max_connections=self.concurrency * 2, max_keepalive_connections=self.concurrency
            )
            client = httpx.AsyncClient(
                verify=verify, timeout=DEFAULT_TIMEOUT, limits=limits, follow_redirects=False
            )
            self._clients[verify] = client
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
            client=self.http(verify=record.verify_tls),
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
