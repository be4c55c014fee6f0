"""Vault fixtures: a vault with the fast test KDF on each engine (see tests/fleet/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from camvault.clock import ManualClock
from camvault.fleet.store import Store
from camvault.fleet.vault import KdfParams, Vault

# Test-only: the cheapest Argon2id setting, passed explicitly; production code never defaults to it.
FAST_KDF = KdfParams(time_cost=1, memory_kib=8, parallelism=1)
PASSPHRASE = "correct horse battery staple"
PLANTED = "Planted-Pa55-XYZ"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def vault(store: Store, clock: ManualClock) -> Vault:
    return Vault.initialize(store, PASSPHRASE, kdf=FAST_KDF, clock=clock, actor="tester")


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'vault.sqlite'}")
    yield opened
    opened.close()


@pytest.fixture
def sqlite_vault(sqlite_store: Store, clock: ManualClock) -> Vault:
    return Vault.initialize(sqlite_store, PASSPHRASE, kdf=FAST_KDF, clock=clock, actor="tester")
