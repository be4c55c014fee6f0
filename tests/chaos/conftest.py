"""Chaos tests reuse the lab fixtures."""

from __future__ import annotations

from tests.device.lab.conftest import make_lab  # noqa: F401 - re-exported fixture
