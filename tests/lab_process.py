"""``camvault lab run`` in its own process, as the CLI tests and a user run it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

START_SECONDS = 30.0


def start_lab_process(scenario: Path, state: Path, *extra: str) -> subprocess.Popen[str]:
    """Start the lab and return once it has announced its control API (``state/control.json``).

    Its output (the summary table, then any log line) is collected on ``stdout``; :func:`stop_lab_process`
    returns it.
    """
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "camvault",
            "lab",
            "run",
            "--scenario",
            str(scenario),
            "--state",
            str(state),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    deadline = time.monotonic() + START_SECONDS
    while not (state / "control.json").exists():
        if process.poll() is not None:
            raise AssertionError(process.stdout.read() if process.stdout else "the lab exited")
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"the lab did not start within {START_SECONDS:g} s")
        time.sleep(0.1)
    return process


def stop_lab_process(process: subprocess.Popen[str], *, timeout: float = 30.0) -> str:
    """SIGTERM, as Ctrl-C or systemd would; returns everything the lab printed."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=timeout)
    return output
