"""Fixtures for rotation tests: the vault fixtures on both engines, and labs on real sockets."""

from __future__ import annotations

from tests.fleet.vault.conftest import clock, vault  # noqa: F401 - re-exported fixtures
