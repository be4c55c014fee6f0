"""Network namespaces joined by a veth pair: the lab on one side, the client on the other.

Each test gets two fresh namespaces (``cvt-lab-*`` with 10.231.0.1/30, ``cvt-cli-*`` with 10.231.0.2/30) and
a veth pair between them; traffic between them never leaves the namespaces. Code runs inside a namespace in a
subprocess (``ip netns exec``), every wait bounded. Where the kernel or the permissions do not allow creating
namespaces (not root, no ``ip``, no netns support), the tests are skipped with the reason.
"""

from __future__ import annotations

import json
import os
import secrets
import selectors
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

LAB_ADDRESS = "10.231.0.1"
CLIENT_ADDRESS = "10.231.0.2"
SUBNET_BROADCAST = "10.231.0.3"
LAB_PROCESS = Path(__file__).with_name("lab_process.py")
COMMAND_SECONDS = 10


def _ip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=COMMAND_SECONDS, check=False)


def _why_unavailable() -> str | None:
    if not sys.platform.startswith("linux"):
        return "network namespaces are a Linux feature"
    if shutil.which("ip") is None:
        return "the 'ip' command (iproute2) is not installed"
    if os.geteuid() != 0:
        return "creating network namespaces needs root (CAP_SYS_ADMIN)"
    probe = f"cvt-probe-{secrets.token_hex(3)}"
    created = _ip("netns", "add", probe)
    if created.returncode != 0:
        return f"'ip netns add' failed: {created.stderr.strip()}"
    _ip("netns", "del", probe)
    return None


@dataclass
class LabProcess:
    """A lab running in the lab namespace."""

    process: subprocess.Popen[str]
    devices: dict[str, dict[str, str]] = field(default_factory=dict)

    def command(self, line: str, *, expect: str | None = None, timeout: float = 20) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        if expect is not None:
            assert read_line(self.process, timeout).startswith(expect)


def read_line(process: subprocess.Popen[str], timeout: float) -> str:
    """One line of a subprocess's stdout, waiting at most ``timeout`` seconds."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise AssertionError(f"no output within {timeout} s")
    return process.stdout.readline()


@dataclass
class Namespaces:
    """The two namespaces and how to run code in them."""

    lab: str
    client: str
    labs: list[LabProcess] = field(default_factory=list)

    def run(self, namespace: str, code: str, *, timeout: float = 30) -> Any:
        """Run Python ``code`` in ``namespace``; it prints one JSON value, which is returned."""
        done = subprocess.run(
            ["ip", "netns", "exec", namespace, sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    def spawn(self, namespace: str, code: str) -> subprocess.Popen[str]:
        """Start Python ``code`` in ``namespace`` (stdout piped, text)."""
        return subprocess.Popen(
            ["ip", "netns", "exec", namespace, sys.executable, "-c", code],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def start_lab(self, devices: list[dict[str, Any]], state: Path, *, timeout: float = 30) -> LabProcess:
        """Start a lab in the lab namespace, answering discovery on the veth too."""
        scenario = {
            "lab": {"seed": 5, "boot_seconds": 0.2, "discovery_interfaces": [LAB_ADDRESS]},
            "devices": devices,
        }
        process = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                self.lab,
                sys.executable,
                str(LAB_PROCESS),
                json.dumps(scenario),
                str(state),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        lab = LabProcess(process)
        self.labs.append(lab)
        line = read_line(process, timeout)
        assert line.startswith("READY "), line
        lab.devices = json.loads(line.removeprefix("READY "))
        return lab

    def stop_labs(self) -> None:
        for lab in self.labs:
            if lab.process.poll() is None:
                try:
                    lab.command("quit")
                    lab.process.wait(timeout=COMMAND_SECONDS)
                except (OSError, subprocess.TimeoutExpired, AssertionError):
                    lab.process.kill()
                    lab.process.wait(timeout=COMMAND_SECONDS)


@pytest.fixture
def namespaces() -> Iterator[Namespaces]:
    reason = _why_unavailable()
    if reason is not None:
        pytest.skip(f"netns tests skipped: {reason}")
    suffix = secrets.token_hex(3)
    lab, client = f"cvt-lab-{suffix}", f"cvt-cli-{suffix}"
    lab_end, client_end = f"cvl{suffix}", f"cvc{suffix}"
    steps = [
        ("netns", "add", lab),
        ("netns", "add", client),
        ("link", "add", lab_end, "type", "veth", "peer", "name", client_end),
        ("link", "set", lab_end, "netns", lab),
        ("link", "set", client_end, "netns", client),
        ("-n", lab, "addr", "add", f"{LAB_ADDRESS}/30", "dev", lab_end),
        ("-n", client, "addr", "add", f"{CLIENT_ADDRESS}/30", "dev", client_end),
        ("-n", lab, "link", "set", lab_end, "up"),
        ("-n", client, "link", "set", client_end, "up"),
        ("-n", lab, "link", "set", "lo", "up"),
        ("-n", client, "link", "set", "lo", "up"),
    ]
    made = Namespaces(lab, client)
    try:
        for step in steps:
            done = _ip(*step)
            if done.returncode != 0:
                pytest.skip(f"netns tests skipped: 'ip {' '.join(step)}' failed: {done.stderr.strip()}")
        _wait_for_link(lab, lab_end)
        yield made
    finally:
        made.stop_labs()
        _ip("netns", "del", lab)
        _ip("netns", "del", client)


def _wait_for_link(namespace: str, device: str, limit: float = 5.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        state = _ip("-n", namespace, "-br", "link", "show", device).stdout
        if "UP" in state.split():
            return
        time.sleep(0.05)
