"""Audit: observe and score a 1,000-device lab, as ``camvault fleet audit`` does.

The lab runs in its own process, the same generated mix of cameras and NVRs as the rotation benchmark
(:mod:`benchmarks.rotation`, every device on its own loopback address). Every device is enrolled with what the
installer recorded, right, wrong or missing, because an audit is run on the fleet as it is; the vault holds
the recorded passwords. The audit then runs in this process: :func:`~camvault.fleet.collect.collect` (one
lockout-safe visit per device) and :func:`~camvault.fleet.audit.audit` (the findings and the score).

It prints the wall time of the collection and of the scoring, devices per second, requests per device
(an httpx request hook on the session's clients, Digest challenges included), peak memory (this process's
resident set sampled every 50 ms, and, from a second pass with tracemalloc on, the peak of Python
allocations), the findings by severity, the score, and how many devices the lab reports locked afterwards
(it must be zero: an audit never trips a lock).

Run: ``python -m benchmarks audit [--devices 1000] [--concurrency 64]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks.rotation import (
    BENCH_KDF,
    PASSPHRASE,
    LabDevice,
    RequestCounter,
    RssSampler,
    lab_mix,
    mib,
    read_lab_devices,
    start_lab,
    stop_lab,
)
from camvault.device.lab.process import LabProcess
from camvault.fleet.audit import AuditReport, audit, default_catalogue
from camvault.fleet.collect import collect
from camvault.fleet.inventory import Inventory
from camvault.fleet.runner import Runner
from camvault.fleet.session import FleetSession
from camvault.fleet.store import Store
from camvault.fleet.vault import Vault

__all__ = ["main"]


@dataclass(slots=True)
class AuditRun:
    """What one audit measured."""

    devices: int
    collect_seconds: float
    score_seconds: float
    requests: int
    rss_before: int
    rss_peak: int
    traced_peak: int
    report: AuditReport

    def figures(self) -> dict[str, Any]:
        """The figures, JSON-ready."""
        return {
            "devices": self.devices,
            "collect_seconds": round(self.collect_seconds, 2),
            "score_seconds": round(self.score_seconds, 3),
            "devices_per_second": round(self.devices / self.collect_seconds, 1)
            if self.collect_seconds
            else 0.0,
            "requests": self.requests,
            "requests_per_device": round(self.requests / self.devices, 2) if self.devices else 0.0,
            "rss_before_mib": mib(self.rss_before),
            "rss_peak_mib": mib(self.rss_peak),
            "tracemalloc_peak_mib": mib(self.traced_peak),
            "score": self.report.score,
            "findings": {severity.value: count for severity, count in self.report.counts().items() if count},
        }


def enrol_everything(store: Store, devices: list[LabDevice]) -> Vault:
    """Every device in the inventory; the installer's recorded password in the vault where there is one."""
    vault = Vault.initialize(store, PASSPHRASE, kdf=BENCH_KDF)
    with store.transaction() as conn:
        inventory = Inventory(vault.clock.now())
        for device in devices:
            record, _ = inventory.upsert(conn, device.record)
            if device.password is not None:
                ref = f"cred:{record.id}"
                vault.put(conn, ref, device.password, username="admin")
                inventory.attach_credential(conn, record.id, ref, "admin")
    return vault


async def run_audit(store: Store, vault: Vault, concurrency: int, *, trace: bool = False) -> AuditRun:
    """Collect and score the whole inventory once, measuring (``trace``: with tracemalloc on, which slows
    Python several times over: its pass gives the allocation peak only)."""
    counter = RequestCounter()
    session = FleetSession(store, vault, concurrency=concurrency, request_hooks=[counter.count_request])
    with store.transaction(readonly=True) as conn:
        records = session.inventory().all(conn)
    sampler = RssSampler()
    sampler.start()
    if trace:
        tracemalloc.start()
    try:
        started = time.perf_counter()
        observation = await collect(session, records, runner=Runner(concurrency=concurrency, timeout=60))
        collected = time.perf_counter()
        report = audit(observation, catalogue=default_catalogue(), now=session.clock.now())
        scored = time.perf_counter()
        _, traced_peak = tracemalloc.get_traced_memory() if trace else (0, 0)
    finally:
        if trace:
            tracemalloc.stop()
        await sampler.stop()
        await session.aclose()
    return AuditRun(
        len(records),
        collected - started,
        scored - collected,
        counter.total,
        sampler.before,
        sampler.peak,
        traced_peak,
        report,
    )


def locked_devices(lab: LabProcess) -> int:
    """How many devices the lab reports with a login lock engaged for any source."""
    headers = {"Authorization": f"Bearer {lab.token}"}
    with httpx.Client(base_url=lab.url, headers=headers, timeout=60.0, trust_env=False) as control:
        manifest = control.get("/v1/lab").json()
        count = 0
        for device in manifest["devices"]:
            detail = control.get(f"/v1/devices/{device['label']}").json()
            count += bool(detail.get("locked_sources"))
        return count


def describe(run: AuditRun, locked: int) -> list[str]:
    """The printed lines."""
    figures = run.figures()
    severities = ", ".join(f"{count} {name}" for name, count in sorted(figures["findings"].items()))
    return [
        f"  collected {run.devices} devices in {figures['collect_seconds']} s ({figures['devices_per_second']} "
        f"devices/s); scored in {figures['score_seconds']} s",
        f"  requests: {run.requests} ({figures['requests_per_device']} per device, Digest challenges included)",
        f"  memory: RSS {figures['rss_before_mib']} -> peak {figures['rss_peak_mib']} MiB; tracemalloc peak "
        f"{figures['tracemalloc_peak_mib']} MiB",
        f"  score {run.report.score}/100; findings: {severities or 'none'}",
        f"  devices locked afterwards: {locked}",
    ]


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    """``--devices`` and ``--concurrency``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks audit", description=__doc__)
    parser.add_argument("--devices", type=int, default=1000, help="lab size (default 1000)")
    parser.add_argument("--concurrency", type=int, default=64, help="devices observed at once (default 64)")
    args = parser.parse_args(argv)
    if not 1 <= args.devices <= 5000 or not 1 <= args.concurrency <= 1024:
        parser.error("--devices is 1-5000 and --concurrency 1-1024")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print its figures, and return them."""
    args = parse_arguments(argv)
    load = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="camvault-bench-audit-"))
    lab = start_lab(args.devices, work)
    try:
        devices = read_lab_devices(lab.state)
        store = Store.open(f"sqlite:///{work / 'fleet.sqlite'}")
        try:
            vault = enrol_everything(store, devices)
            cameras, nvrs = lab_mix(args.devices)
            print(
                f"audit benchmark: a lab of {args.devices} devices ({cameras} cameras, {nvrs} NVRs) in its own "
                f"process, started in {lab.startup_seconds:.1f} s; concurrency {args.concurrency}; "
                f"{os.cpu_count()} CPUs, load average {load:.2f} at the start"
            )
            run = asyncio.run(run_audit(store, vault, args.concurrency))
            traced = asyncio.run(run_audit(store, vault, args.concurrency, trace=True))
            run.traced_peak = traced.traced_peak
        finally:
            store.close()
        locked = locked_devices(lab)
        print("\n".join(describe(run, locked)))
    finally:
        stop_lab(lab)
        shutil.rmtree(work, ignore_errors=True)
    return {
        **run.figures(),
        "concurrency": args.concurrency,
        "cpus": os.cpu_count(),
        "load_average_at_start": round(load, 2),
        "locked_devices": locked,
    }
