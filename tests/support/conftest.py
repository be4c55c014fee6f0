"""A vendor with real keys on disk, a lab that manufactures devices with them, and the service."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from camvault.clock import ManualClock
from camvault.protocols import resetcode
from camvault.support.keys import PublicKeyring, init_keys, load_device_ca_key, load_vendor_keys
from camvault.support.policy import PolicyConfig
from camvault.support.service import SupportService
from camvault.support.store import SupportStore

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PASSPHRASE = "planted-passphrase-Zq7!"


@dataclass
class Device:
    """Just enough of a device to export requests and check codes the way the real one will."""

    serial: str
    model: str
    mac: str
    key: Ed25519PrivateKey
    certificate: object
    trusted: dict[int, Ed25519PublicKey]
    pending: bytes | None = None
    used: set[int] = field(default_factory=set)

    def export(self, now: datetime) -> bytes:
        request = resetcode.build_reset_request(
            self.key,
            self.certificate,  # type: ignore[arg-type]
            model=self.model,
            serial=self.serial,
            mac=self.mac,
            firmware="V5.6.2build 190701",
            now=now,
        )
        self.pending = request.nonce
        return resetcode.encode_request_file(request)

    def import_code(self, code: str | bytes, now: datetime) -> resetcode.AcceptedCode:
        accepted = resetcode.verify_reset_code(
            code,
            trusted_reset_keys=self.trusted,
            serial=self.serial,
            pending_nonce=self.pending,
            used_code_ids=self.used,
            now=now,
        )
        self.used.add(accepted.code_id)
        self.pending = None
        return accepted

    def reboot(self) -> None:
        self.pending = None


@dataclass
class Vendor:
    key_dir: Path
    clock: ManualClock
    store: SupportStore
    service: SupportService
    serials: Iterator[int] = field(default_factory=lambda: count(1))

    def keyring(self) -> PublicKeyring:
        return self.service.keyring

    def manufacture(self, serial: str | None = None, *, trust: PublicKeyring | None = None) -> Device:
        number = next(self.serials)
        serial = serial or f"DS-2CD2385G1-I20200414AAWRE{number:08d}"
        ca_key = load_device_ca_key(self.key_dir, PASSPHRASE)
        device_key = Ed25519PrivateKey.generate()
        keyring = trust or self.keyring()
        certificate = resetcode.issue_device_certificate(
            ca_key,
            keyring.device_ca,
            device_key.public_key(),
            serial=serial,
            model="DS-2CD2385G1-I",
            mac=f"58-50-ed-1f-{number // 256:02x}-{number % 256:02x}",
            not_before=START - timedelta(days=1),
            not_after=START + timedelta(days=3650),
        )
        bundle = resetcode.decode_trust_bundle(resetcode.encode_trust_bundle(keyring.device_trust()))
        return Device(
            serial=serial,
            model="DS-2CD2385G1-I",
            mac=f"58:50:ed:1f:{number // 256:02x}:{number % 256:02x}",
            key=device_key,
            certificate=certificate,
            trusted=bundle.as_mapping(),
        )

    def reopen(
        self,
        *,
        policy: PolicyConfig | None = None,
        two_person_rule: bool = False,
        new_code_id: Callable[[], int] | None = None,
    ) -> SupportService:
        extra = {} if new_code_id is None else {"new_code_id": new_code_id}
        self.service = SupportService(
            self.store,
            load_vendor_keys(self.key_dir, PASSPHRASE),
            clock=self.clock,
            policy=policy,
            two_person_rule=two_person_rule,
            **extra,  # type: ignore[arg-type]
        )
        return self.service


@pytest.fixture
def vendor(tmp_path: Path) -> Iterator[Vendor]:
    clock = ManualClock(START)
    key_dir = tmp_path / "keys"
    init_keys(key_dir, passphrase=PASSPHRASE, now=START - timedelta(days=2))
    store = SupportStore.open(tmp_path / "support.sqlite")
    service = SupportService(store, load_vendor_keys(key_dir, PASSPHRASE), clock=clock)
    yield Vendor(key_dir=key_dir, clock=clock, store=store, service=service)
    store.close()
