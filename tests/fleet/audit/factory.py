"""Builders for audit tests: observations made directly, no network."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from camvault.fleet.audit import (
    CredentialStatus,
    DeviceObservation,
    FleetObservation,
    PasswordFacts,
    password_facts,
)
from camvault.fleet.drivers.models import (
    Account,
    DeviceFacts,
    DeviceKind,
    Level,
    LockPolicy,
    LoginResult,
    Probe,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TAKEN = datetime(2026, 11, 25, 11, 58, tzinfo=UTC)
STRONG = "Tq7#vN2$kLm9@wXz"  # 16 characters, four kinds, on no list


def facts(
    model: str = "DS-2CD2143G2-I",
    firmware: str = "V5.7.3",
    build: str | None = "build 220112",
    *,
    vendor: str = "hikvision",
    kind: DeviceKind = DeviceKind.CAMERA,
) -> DeviceFacts:
    return DeviceFacts(
        vendor=vendor,
        model=model,
        serial=f"{model}-SERIAL",
        mac="44:19:b6:00:00:01",
        firmware_version=firmware,
        firmware_build=build,
        kind=kind,
    )


def pw(
    password: str = STRONG,
    username: str = "admin",
    *,
    vendor: str = "hikvision",
    reuse_key: str | None = None,
) -> PasswordFacts:
    return replace(password_facts(password, username, vendor=vendor), reuse_key=reuse_key)


def device(device_id: str = "cam-1", **overrides: Any) -> DeviceObservation:
    """A healthy, fully observed Hikvision camera; override what the test is about."""
    values: dict[str, Any] = {
        "device_id": device_id,
        "label": device_id,
        "address": "192.0.2.10",
        "vendor": "hikvision",
        "reachable": True,
        "probe": Probe(reachable=True, vendor="hikvision", activated=True, basic_offered=False),
        "facts": facts(),
        "credential": CredentialStatus.WORKS,
        "login": LoginResult(ok=True, is_default_password=False, is_risk_password=False),
        "password": pw(),
        "lock_policy": LockPolicy(enabled=True, max_attempts=5, lock_seconds=1800),
        "accounts": (Account("1", "admin", Level.ADMINISTRATOR), Account("2", "guard", Level.VIEWER)),
        "basic_offered": False,
        "https_available": True,
        "clock_skew_seconds": 0.4,
        "activated": True,
    }
    values.update(overrides)
    return DeviceObservation(**values)


def fleet(*devices: DeviceObservation) -> FleetObservation:
    return FleetObservation(devices=devices, taken_at=TAKEN)
