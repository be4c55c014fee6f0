"""Discovery: find every device of a 1,000-device lab by SADP and by WS-Discovery, and time it.

The lab runs in its own process (``run_lab`` on a scenario file) (its devices all have ONVIF on, so
both protocols can find all of them), with its SADP and WS-Discovery responders on free UDP ports. This
process is the client: :func:`camvault.fleet.discovery.discover_sadp` and ``discover_wsd`` probe the lab's
address on loopback (unicast: loopback has no multicast) and stop as soon as every device was seen. Each
round prints how long that took and how many devices answered; devices wait a random 0-500 ms before
answering (WS-Discovery's ``APP_MAX_DELAY``, applied to SADP too), so about half a second is the floor.

Run: ``python -m benchmarks discovery [--devices 1000] [--rounds 3] [--timeout 30]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from camvault.fleet.discovery import Probing, discover_sadp, discover_wsd

PASSWORD = "Bench#Cam-2024"


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("0.0.0.0", 0))
        return int(probe.getsockname()[1])


def write_scenario(path: Path, devices: int, sadp_port: int, wsd_port: int) -> None:
    path.write_text(
        "[lab]\n"
        f"seed = 1\nsadp_port = {sadp_port}\nwsd_port = {wsd_port}\n\n"
        "[[devices]]\n"
        f'label = "cam"\ncount = {devices}\nonvif = true\nadmin_password = "{PASSWORD}"\n'
    )


# ``camvault lab run --scenario`` rebuilds the lab settings without the discovery ports (see the report), so
# the lab process is started through the runner directly, with the scenario's settings as they are.
RUN_LAB = (
    "import asyncio, sys\n"
    "from pathlib import Path\n"
    "from camvault.device.lab.runner import run_lab\n"
    "from camvault.device.lab.scenario import load_scenario\n"
    "state = Path(sys.argv[2])\n"
    "asyncio.run(run_lab(state, scenario=load_scenario(Path(sys.argv[1])), manifest_path=state / 'manifest.json'))\n"
)


def start_lab(scenario: Path, state: Path) -> tuple[subprocess.Popen[bytes], float]:
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", RUN_LAB, str(scenario), str(state)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    control = state / "control.json"
    while not control.exists():
        if process.poll() is not None:
            raise RuntimeError(process.stderr.read().decode() if process.stderr else "lab exited")
        if time.perf_counter() - started > 600:
            raise RuntimeError("lab did not start within 600 s")
        time.sleep(0.05)
    return process, time.perf_counter() - started


async def measure(kind: str, port: int, devices: int, limit: float) -> tuple[float, int]:
    probing = Probing(targets=("127.0.0.1",), timeout=limit, until=devices)
    started = time.perf_counter()
    if kind == "sadp":
        found = await discover_sadp(probing, port=port)
    else:
        found = await discover_wsd(probing, port=port)
    return time.perf_counter() - started, len(found)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="camvault-bench-discovery-"))
    sadp_port, wsd_port = free_udp_port(), free_udp_port()
    write_scenario(work / "scenario.toml", args.devices, sadp_port, wsd_port)
    process, startup = start_lab(work / "scenario.toml", work / "state")
    results: dict[str, list[tuple[float, int]]] = {"sadp": [], "wsd": []}
    try:
        for _ in range(args.rounds):
            for kind, port in (("sadp", sadp_port), ("wsd", wsd_port)):
                results[kind].append(asyncio.run(measure(kind, port, args.devices, args.timeout)))
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)
        shutil.rmtree(work, ignore_errors=True)
    summary: dict[str, Any] = {"devices": args.devices, "lab_startup_seconds": round(startup, 2)}
    for kind, rounds in results.items():
        times = [seconds for seconds, _ in rounds]
        summary[kind] = {
            "seconds_until_all_seen_median": round(statistics.median(times), 3),
            "seconds_min": round(min(times), 3),
            "seconds_max": round(max(times), 3),
            "devices_seen_per_round": [seen for _, seen in rounds],
        }
    print(f"discovery of {args.devices} devices (lab started in {startup:.1f} s)")
    for kind, label in (("sadp", "SADP"), ("wsd", "WS-Discovery")):
        figures = summary[kind]
        print(
            f"  {label:13s} all seen in {figures['seconds_until_all_seen_median']:.3f} s median "
            f"(min {figures['seconds_min']:.3f}, max {figures['seconds_max']:.3f}); "
            f"seen per round: {figures['devices_seen_per_round']}"
        )
    print(json.dumps(summary))
    return summary
