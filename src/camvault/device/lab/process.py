"""A lab in its own process: ``camvault lab run`` started, awaited and stopped from Python.

For test suites and benchmarks (ours, or an integrator's) that want the devices out of their own event loop,
as on a LAN. The lab's output goes to a log file, never a pipe, so a long run cannot block on a full pipe.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from camvault.device.lab.control import CONTROL_FILE
from camvault.errors import ConfigurationError

__all__ = ["LabProcess"]

START_SECONDS = 600.0
STOP_SECONDS = 120.0


@dataclass(frozen=True, slots=True)
class LabProcess:
    """A running ``camvault lab run``.

    Attributes:
        process: the process.
        state: its state directory.
        log: where its output goes.
        url: the control API's base URL.
        token: the control API's bearer token.
        startup_seconds: from launch until the control API was announced (every device then answers).
    """

    process: subprocess.Popen[bytes]
    state: Path
    log: Path
    url: str
    token: str = field(repr=False)
    startup_seconds: float

    @classmethod
    def start(
        cls, state: Path, *options: str, log: Path | None = None, timeout: float = START_SECONDS
    ) -> LabProcess:
        """Launch ``camvault lab run --state STATE [OPTIONS]`` and wait until it is up.

        ``options`` are the command's own: ``--scenario FILE`` or ``--devices N``, ``--manifest FILE``, ...

        Raises:
            ConfigurationError: the lab exited, or did not come up within ``timeout`` seconds (it is killed).
        """
        log = log or state.parent / f"{state.name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        control = state / CONTROL_FILE
        control.unlink(missing_ok=True)
        started = time.perf_counter()
        with log.open("wb") as output:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and command; options are argv items
                [sys.executable, "-m", "camvault", "lab", "run", "--state", str(state), *options],
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        while not control.exists():
            if process.poll() is not None:
                raise ConfigurationError(f"the lab exited: {log.read_text(errors='replace')[-2000:]}")
            if time.perf_counter() - started > timeout:
                process.kill()
                process.wait()
                raise ConfigurationError(f"the lab did not start within {timeout:g} s")
            time.sleep(0.05)
        startup = time.perf_counter() - started
        announced = json.loads(control.read_text(encoding="utf-8"))
        return cls(process, state, log, str(announced["url"]), str(announced["token"]), startup)

    def stop(self, *, timeout: float = STOP_SECONDS) -> str:
        """SIGTERM (the lab saves its state and exits), SIGKILL after ``timeout``; returns what it printed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.log.read_text(encoding="utf-8", errors="replace")
