"""Fixtures shared by every test package: labs of emulated devices on real loopback sockets."""

from __future__ import annotations

from tests.device.lab.conftest import make_lab  # noqa: F401 - available to every test
