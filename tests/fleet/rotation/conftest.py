"""Fixtures for rotation tests: a migrated store with an unlocked vault (both engines)."""

from __future__ import annotations

from tests.fleet.vault.conftest import clock, vault  # noqa: F401 - re-exported fixtures
