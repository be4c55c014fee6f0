"""Running a lab as a program: start, write the manifest, serve until SIGINT/SIGTERM, save, stop.

The manifest (JSON) lists every device as its label and the network show it. What the installer recorded
(user names and passwords, some wrong on purpose) is written *apart*, next to it, as
``<manifest>.credentials.json`` with mode 0600: these are lab passwords of emulated devices, kept out of
the manifest so the manifest can be shared and pasted into bug reports.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from camvault.device.frontend import DeviceFrontEnd
from camvault.device.http import Handler
from camvault.device.lab.control import ControlServer
from camvault.device.lab.lab import Lab, LabDevice
from camvault.device.lab.scenario import LabSettings, Scenario

__all__ = ["RunningLab", "credentials_path", "default_frontend", "run_lab", "start_lab", "write_json_private"]


def default_frontend(device: LabDevice) -> Handler:
    """The full HTTP face of a lab device."""
    return DeviceFrontEnd(device.model, device)


def credentials_path(manifest: Path) -> Path:
    """Where the installer's records go, next to the manifest."""
    return manifest.with_name(manifest.stem + ".credentials.json")


def write_json_private(path: Path, payload: Any) -> None:
    """Write JSON readable by the owner only (mode 0600), replacing the file atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=2)
    temporary.replace(path)


@dataclass
class RunningLab:
    """A started lab with its control API."""

    lab: Lab
    control: ControlServer
    manifest_path: Path | None

    def manifest(self) -> dict[str, Any]:
        """The manifest as written."""
        return {
            "lab": {
                "state_dir": str(self.lab.state_dir),
                "control_url": self.control.url,
                "addressing": self.lab.settings.addressing,
                "credentials_file": str(credentials_path(self.manifest_path)) if self.manifest_path else None,
            },
            **self.lab.manifest(),
        }

    def write_manifest(self) -> None:
        """Write the manifest and, apart, the installer's records."""
        if self.manifest_path is None:
            return
        write_json_private(self.manifest_path, self.manifest())
        self.manifest_path.chmod(0o644)
        write_json_private(credentials_path(self.manifest_path), self.lab.installer_records())

    async def stop(self) -> None:
        """Stop the control API and the lab (state is saved)."""
        await self.control.stop()
        await self.lab.stop()


async def start_lab(
    state_dir: Path,
    *,
    scenario: Scenario | None,
    manifest_path: Path | None = None,
    settings: LabSettings | None = None,
    control_port: int = 0,
) -> RunningLab:
    """Start a lab and its control API and write the manifest."""
    lab = Lab(state_dir, scenario=scenario, frontend=default_frontend, settings=settings)
    await lab.start()
    control = ControlServer(lab, port=control_port)
    try:
        await control.start()
    except BaseException:
        await lab.stop()
        raise
    running = RunningLab(lab, control, manifest_path)
    running.write_manifest()
    control.announce()
    return running


async def run_lab(
    state_dir: Path,
    *,
    scenario: Scenario | None,
    manifest_path: Path | None,
    settings: LabSettings | None = None,
    on_ready: Callable[[RunningLab], Awaitable[None] | None] | None = None,
) -> None:
    """Run a lab until SIGINT or SIGTERM, then stop it cleanly with its state saved."""
    running = await start_lab(state_dir, scenario=scenario, manifest_path=manifest_path, settings=settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    try:
        if on_ready is not None:
            result = on_ready(running)
            if result is not None:
                await result
        await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signum)
        await running.stop()
