"""Lab density: start N emulated devices in one process, then drive authenticated ISAPI calls at them.

The lab runs as ``camvault lab run --devices N`` in its own process; this process is the load generator.
It measures:

* start-up time: from launching the lab process to every device answering (``control.json`` written
  after every socket is bound and every device booted);
* resident memory of the lab process (psutil) after start-up and after the load;
* authenticated requests per second: ``GET /ISAPI/System/deviceInfo`` with HTTP Digest (MD5, qop=auth, a
  fresh ``nc`` per request, as a real client does), over keep-alive connections spread across all devices.

The client is a small raw-socket HTTP/1.1 client (not httpx) so that the figure measures the lab, not the
client: on a 2-core machine the lab gets one core and the client the other.

Run: ``python -m benchmarks lab_density [--devices 1000] [--seconds 10] [--connections 64]``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from camvault.protocols import digest

PATH = "/ISAPI/System/deviceInfo"


def start_lab(devices: int, state: Path) -> tuple[subprocess.Popen[bytes], float]:
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "camvault", "lab", "run", "--devices", str(devices), "--state", str(state)],
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


def credentials(state: Path) -> list[tuple[str, int, str]]:
    manifest = json.loads((state / "manifest.json").read_text())
    records = {
        r["label"]: r["password"]
        for r in json.loads((state / "manifest.credentials.json").read_text())["devices"]
    }
    targets = []
    for device in manifest["devices"]:
        password = records.get(device["label"])
        # Devices whose recorded password is wrong, unknown or inactive are skipped: this measures the lab,
        # not the lock.
        if (
            device["activated"]
            and password
            and device["kind"] == "IPCamera"
            and not device["label"].startswith("nvr")
        ):
            targets.append((device["address"], device["http_port"], password))
    return targets


class Worker:
    """One keep-alive connection to one device, answering its own Digest challenges."""

    def __init__(self, host: str, port: int, password: str) -> None:
        self.host, self.port, self.password = host, port, password
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.challenge: digest.DigestChallenge | None = None
        self.nc = 0
        self.ha1 = ""

    async def connect(self) -> bool:
        """Open the connection and check the credential once; ``False`` if the device refuses it."""
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        status, headers, _ = await self.request(None)
        assert status == 401, status
        self.challenge = digest.parse_challenge(headers["www-authenticate"])
        self.ha1 = hashlib.md5(
            f"admin:{self.challenge.realm}:{self.password}".encode(), usedforsecurity=False
        ).hexdigest()
        status, _, _ = await self.request(self.authorization())
        return status == 200

    def authorization(self) -> str:
        assert self.challenge is not None
        self.nc += 1
        nc = f"{self.nc:08x}"
        cnonce = f"{random.getrandbits(64):016x}"
        response = digest.expected_response(
            ha1=self.ha1,
            method="GET",
            uri=PATH,
            nonce=self.challenge.nonce,
            algorithm="MD5",
            qop="auth",
            nc=nc,
            cnonce=cnonce,
        )
        return (
            f'Digest username="admin", realm="{self.challenge.realm}", nonce="{self.challenge.nonce}", uri="{PATH}", '
            f'response="{response}", qop=auth, nc={nc}, cnonce="{cnonce}"'
        )

    async def request(self, authorization: str | None) -> tuple[int, dict[str, str], bytes]:
        assert self.reader is not None and self.writer is not None
        head = f"GET {PATH} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
        if authorization:
            head += f"Authorization: {authorization}\r\n"
        self.writer.write((head + "\r\n").encode())
        status_line = await self.reader.readline()
        headers: dict[str, str] = {}
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers.setdefault(name.strip().lower(), value.strip())
        body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        return int(status_line.split()[1]), headers, body

    async def run(self, deadline: float, counts: list[int]) -> None:
        while time.perf_counter() < deadline:
            status, headers, _ = await self.request(self.authorization())
            if status == 200:
                counts[0] += 1
            elif status == 401 and "www-authenticate" in headers:
                self.challenge = digest.parse_challenge(headers["www-authenticate"])
                self.nc = 0
                counts[1] += 1
            else:
                counts[1] += 1
        assert self.writer is not None
        self.writer.close()


async def drive(
    targets: list[tuple[str, int, str]], connections: int, seconds: float
) -> tuple[int, int, float]:
    """Open ``connections`` workers on devices whose recorded password works, then load them for ``seconds``."""
    workers: list[Worker] = []
    for target in targets:
        if len(workers) == connections:
            break
        worker = Worker(*target)
        if await worker.connect():
            workers.append(worker)
        elif worker.writer is not None:
            worker.writer.close()  # the installer's record is wrong for this one (on purpose)
    counts = [0, 0]
    started = time.perf_counter()
    await asyncio.gather(*(worker.run(started + seconds, counts) for worker in workers))
    return counts[0], counts[1], time.perf_counter() - started


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args(argv)
    state = Path(tempfile.mkdtemp(prefix="camvault-bench-"))
    process, startup = start_lab(args.devices, state)
    try:
        lab = psutil.Process(process.pid)
        rss_idle = lab.memory_info().rss
        targets = credentials(state)
        before = lab.cpu_times()
        client_before = psutil.Process().cpu_times()
        ok, failed, elapsed = asyncio.run(drive(targets, args.connections, args.seconds))
        rss_loaded = lab.memory_info().rss
        cpu = lab.cpu_times()
        client = psutil.Process().cpu_times()
        lab_share = (cpu.user + cpu.system - before.user - before.system) / elapsed
        client_share = (client.user + client.system - client_before.user - client_before.system) / elapsed
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)
        shutil.rmtree(state, ignore_errors=True)
    result = {
        "devices": args.devices,
        "startup_seconds": round(startup, 2),
        "rss_mib_idle": round(rss_idle / 2**20, 1),
        "rss_kib_per_device": round(rss_idle / 1024 / args.devices, 1),
        "rss_mib_after_load": round(rss_loaded / 2**20, 1),
        "authenticated_requests": ok,
        "non_200": failed,
        "requests_per_second": round(ok / elapsed),
        "connections": args.connections,
        "devices_targeted": min(len(targets), args.connections),  # one connection per device
        "lab_cpu_share_under_load": round(lab_share, 2),
        "client_cpu_share_under_load": round(client_share, 2),
        "cpus": os.cpu_count(),
    }
    print(f"lab density, {args.devices} devices in one process")
    print(f"  start-up until every device answers : {result['startup_seconds']} s")
    print(
        f"  resident memory after start-up      : {result['rss_mib_idle']} MiB ({result['rss_kib_per_device']} KiB/device)"
    )
    print(f"  resident memory after the load      : {result['rss_mib_after_load']} MiB")
    print(
        f"  authenticated ISAPI requests/second : {result['requests_per_second']} "
        f"({ok} in {elapsed:.1f} s over {args.connections} keep-alive connections, {failed} not 200)"
    )
    print(f"  CPU use under load (1.0 = one core) : lab {lab_share:.2f}, load generator {client_share:.2f}")
    print(f"  per request in the lab             : {1e6 * lab_share / max(1, ok / elapsed):.0f} us of CPU")
    return result


if __name__ == "__main__":
    main()
