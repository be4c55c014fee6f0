"""A real vendor (``camvault.support`` keys and service) and devices manufactured from its factory material.

The vendor's keys live in a tmp directory made by ``camvault.support.keys`` exactly as ``camvault support
keys init`` / ``export-factory`` make them; the devices get theirs through the device package's own factory
(:mod:`camvault.device.model.vendor_trust`), reading only the exported material, as the lab does. The two
sides meet only through those files, the request file and the code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from random import Random

import httpx
import pytest

from camvault.clock import Clock, ManualClock
from camvault.device.frontend import DeviceFrontEnd
from camvault.device.host import NullHost
from camvault.device.http.inprocess import InProcessTransport
from camvault.device.model import DeviceModel, Firmware, Kind, make_identity
from camvault.device.model.vendor_trust import FactoryMaterial, load_factory_material, manufacture
from camvault.support.keys import export_factory_material, init_keys, load_vendor_keys, rotate_keys
from camvault.support.service import IssuedCode, SupportService
from camvault.support.store import CaseStatus, SupportStore
from tests.device.model.conftest import LINES, STRONG

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
VENDOR_PASSPHRASE = "planted-vendor-passphrase-Kq2!"
FACTORY_PASSPHRASE = "planted-factory-passphrase-Vw9!"
NEW_ADMIN = "Planted-New-Pw7!"
"""The owner's new password: planted, and looked for where it must never appear."""


@dataclass
class Vendor:
    """The vendor: its key directory, its support service on a manual clock, and its factory export."""

    key_dir: Path
    factory_dir: Path
    clock: Clock
    store: SupportStore
    service: SupportService

    def material(self) -> FactoryMaterial:
        return load_factory_material(self.factory_dir, passphrase=FACTORY_PASSPHRASE)

    def issue(self, request_file: bytes, *, sync_ipc_password: bool = False) -> IssuedCode:
        """The honest path at support: receive, verify, record ownership, approve, issue."""
        case = self.service.receive_request(request_file, actor="alice")
        assert case.status == CaseStatus.VERIFIED, case.refusal_message
        self.service.record_ownership(case.id, operator="alice", note="invoice 2020-114 and label photo")
        self.service.approve(case.id, operator="bob")
        return self.service.issue_code(case.id, operator="bob", sync_ipc_password=sync_ipc_password)

    def rotate(self) -> None:
        rotate_keys(self.key_dir, passphrase=VENDOR_PASSPHRASE, now=self.clock.now())
        self.service = SupportService(
            self.store, load_vendor_keys(self.key_dir, VENDOR_PASSPHRASE), clock=self.clock
        )


@contextmanager
def open_vendor(directory: Path, clock: Clock) -> Iterator[Vendor]:
    """Keys made as ``camvault support keys init`` makes them, the factory export, and the service."""
    key_dir = directory / "vendor-keys"
    init_keys(key_dir, passphrase=VENDOR_PASSPHRASE, now=clock.now() - timedelta(days=30))
    factory_dir = directory / "factory"
    export_factory_material(
        key_dir, factory_dir, passphrase=VENDOR_PASSPHRASE, export_passphrase=FACTORY_PASSPHRASE
    )
    store = SupportStore.open(directory / "support.sqlite")
    try:
        service = SupportService(store, load_vendor_keys(key_dir, VENDOR_PASSPHRASE), clock=clock)
        yield Vendor(key_dir, factory_dir, clock, store, service)
    finally:
        store.close()


@pytest.fixture
def vendor(tmp_path: Path) -> Iterator[Vendor]:
    """A vendor on a manual clock that the devices built with :func:`made_device` share."""
    with open_vendor(tmp_path, ManualClock(START)) as made:
        yield made


def made_device(
    vendor: Vendor,
    *,
    kind: Kind = Kind.IPC,
    firmware: str | None = None,
    activate: bool = True,
    seed: int = 5,
) -> DeviceModel:
    """A device on the vendor's clock, given its keys by the factory material (``seed`` picks its serial)."""
    version, _, build_text = (
        firmware or ("V4.62.210 build 230412" if kind is Kind.NVR else "V5.6.2 build 190701")
    ).partition(" ")
    identity = make_identity(
        model="DS-7608NI-K2" if kind is Kind.NVR else "DS-2CD2385G1-I",
        kind=kind,
        firmware=Firmware.parse(version, build_text, LINES[kind]),
        manufactured=date(2020, 4, 14),
        rng=Random(seed),
    )
    assert isinstance(vendor.clock, ManualClock)
    model = DeviceModel(identity, clock=vendor.clock, rng=Random(9))
    if activate and not model.activated:
        model.activate(STRONG)
    model.vendor_support.trust = manufacture(vendor.material(), model.identity)
    return model


@pytest.fixture
def camera(vendor: Vendor) -> DeviceModel:
    return made_device(vendor)


@dataclass
class Served:
    """A device behind its whole HTTP front end, in process."""

    model: DeviceModel
    frontend: DeviceFrontEnd
    host: NullHost

    def client(self, peer: str = "10.0.0.5") -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=InProcessTransport(self.frontend, peer=peer), base_url="http://192.0.2.10"
        )


def serve(model: DeviceModel) -> Served:
    host = NullHost()
    return Served(model, DeviceFrontEnd(model, host), host)
