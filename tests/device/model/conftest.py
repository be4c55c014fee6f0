from __future__ import annotations

from datetime import date
from random import Random

import pytest

from camvault.clock import ManualClock
from camvault.device.model import DeviceModel, Firmware, Kind, make_identity
from camvault.device.model.identity import ProductLine

STRONG = "Str0ng-Passw0rd!"
LINES = {
    Kind.IPC: ProductLine.CAMERA,
    Kind.NVR: ProductLine.RECORDER,
    Kind.ONVIF_CAMERA: ProductLine.OTHER_VENDOR,
}


def build(
    kind: Kind = Kind.IPC,
    firmware: str = "V5.6.2 build 190701",
    clock: ManualClock | None = None,
    **extra: object,
) -> DeviceModel:
    version, _, build_text = firmware.partition(" ")
    identity = make_identity(
        model="DS-7608NI-K2" if kind is Kind.NVR else "DS-2CD2385G1-I",
        kind=kind,
        firmware=Firmware.parse(version, build_text, LINES[kind]),
        manufactured=date(2020, 4, 14),
        rng=Random(5),
        vendor="Hikvision" if kind is not Kind.ONVIF_CAMERA else "Axicam",
        **extra,  # type: ignore[arg-type]
    )
    return DeviceModel(identity, clock=clock or ManualClock(), rng=Random(9))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def camera(clock: ManualClock) -> DeviceModel:
    device = build(clock=clock)
    device.activate(STRONG)
    return device
