"""Labs on real loopback sockets."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from camvault.device.lab.runner import RunningLab, start_lab
from camvault.device.lab.scenario import parse_scenario

LabFactory = Callable[..., Any]


def scenario_document(devices: list[dict[str, Any]], **lab: Any) -> dict[str, Any]:
    return {
        # Discovery responders off unless a test asks: several labs may run in one test process.
        "lab": {
            "seed": 3,
            "boot_seconds": 0.2,
            "nvr_check_seconds": 0.3,
            "nvr_retry_seconds": 0.2,
            "sadp_port": 0,
            "wsd_port": 0,
            **lab,
        },
        "devices": devices,
    }


@pytest.fixture
async def make_lab(tmp_path: Path) -> AsyncIterator[LabFactory]:
    started: list[RunningLab] = []

    async def factory(devices: list[dict[str, Any]], *, state: Path | None = None, **lab: Any) -> RunningLab:
        scenario = parse_scenario(scenario_document(devices, **lab))
        running = await start_lab(
            state or tmp_path / "lab", scenario=scenario, manifest_path=tmp_path / "manifest.json"
        )
        started.append(running)
        return running

    yield factory
    for running in started:
        if running.lab.started:
            await running.stop()


def free_fixed_port() -> int:
    """A port for 'addresses' mode: every device binds it on its own 127.x address, so clashes are unlikely."""
    return random.randint(20000, 40000)


def url(running: RunningLab, label: str, path: str = "") -> str:
    device = running.lab.device(label)
    return f"http://{device.address}:{device.http_port}{path}"


async def get(running: RunningLab, label: str, path: str, password: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(auth=httpx.DigestAuth("admin", password), timeout=5, **kwargs) as client:
        return await client.get(url(running, label, path))
