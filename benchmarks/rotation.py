"""Rotation: rotate a 1,000-device lab with camvault, and with a plain sequential script, and compare.

The lab runs in its own process (``camvault lab run --scenario FILE --state DIR``, the same mix of cameras
and NVRs as ``--devices N`` generates, seed 1), with every device on its own loopback address (127.47.x.y)
and one free port (a scenario file rather than ``--devices`` because ``lab run`` has no option for the port
of ``addresses`` mode, and its default, 8080, may be taken). Own addresses because that is how a LAN looks:
an NVR's logins leave from the NVR's address, so an NVR left holding a stale password (the sequential script
leaves many) trips its camera's illegal-login lock for itself only, not for the host running the benchmark.

This process is the owner's side. It screens what the installer recorded (one ``userCheck`` each: inactive
devices, devices without a record and devices whose record is wrong are skipped and counted, and so are the
cameras recorded by an NVR whose password is not known, since changing them would leave that NVR recording
nothing), builds a fleet store (a SQLite file) and a vault holding the working passwords, and then, for each
injected latency (set on every device through the lab's control API, ``PUT /v1/devices/{label}/faults``):

* **camvault**: :class:`~camvault.fleet.rotation.engine.RotationEngine` in-process, canary 1 then
  ``--concurrency`` devices in flight, journal and vault in the store, NVR channels updated and verified.
  It prints devices per second, the per-device time (p50/p99, from the runner's outcome of each device, NVR
  channel updates included), the resident set of this process (sampled every 50 ms), CPU used by this
  process and by the lab, requests per device (an httpx request hook on the session's clients counts every
  request by device, Digest challenges included; the lab keeps no request counts), the outcome counts, and
  whether every device accepts its vault-current password afterwards (all checked, by logging in). Then one
  more rotation runs with tracemalloc on, for the peak of Python allocations: tracemalloc makes the run
  about three times slower, so that pass gives memory only, not speed.
* **sequential**: what an administrator would write: ``requests`` with ``HTTPDigestAuth``, one device after
  another, ``GET /ISAPI/Security/userCheck`` with the current password, ``PUT /ISAPI/Security/users/1`` with
  ``<User><id>1</id><userName>admin</userName><password>NEW</password></User>``, ``GET userCheck`` with the
  new password. It sets fresh passwords (camvault's Hikvision profile, whose alphabet needs no XML
  escaping), and it does not update the NVRs. Its body carries no ``loginPassword``, so firmware that
  demands one refuses the change (the lab's NVRs do; hikvision.md §4.4 quotes the script's body and marks
  that demand of newer firmware as inferred, §16 gap 4); those devices count as refused, with the HTTP
  status. Each latency's run stops after ``--sequential-seconds``; the rate is then extrapolated from the
  devices done, and the output says so. The passwords it set are put in the vault afterwards, so the vault
  stays true.

Devices per second counts the devices rotated: DONE for camvault, changed and verified for the script.

The camvault runs come first: the sequential script leaves NVRs with stale passwords, and a camvault run
after it would spend its time waiting for those channels to come back online.

The vault uses a fast Argon2id setting (``t=1, m=8 KiB, p=1``), a benchmark setting only: the key is derived
once, when the vault is created, and no rotation step derives one, so it does not change the figures.

Run: ``python -m benchmarks rotation [--devices 1000] [--concurrency 64] [--latencies 0,0.02]
[--sequential-seconds 120] [--no-tracemalloc]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import socket
import statistics
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psutil  # type: ignore[import-untyped]  # no stubs in the dev dependencies
import requests
from requests.auth import HTTPDigestAuth

from camvault.device.lab.process import LabProcess
from camvault.errors import CamvaultError
from camvault.fleet.drivers import Credential
from camvault.fleet.inventory import DeviceRecord, Inventory
from camvault.fleet.rotation.engine import RotateOptions, RotationEngine, RotationReport
from camvault.fleet.session import FleetSession
from camvault.fleet.store import Store
from camvault.fleet.vault import KdfParams, Vault
from camvault.passwords import generate, profile_for

__all__ = ["main"]

T = TypeVar("T")
R = TypeVar("R")

ADDRESS_PREFIX = "127.47"
PASSPHRASE = "rotation benchmark passphrase"  # the throwaway vault of one benchmark run
BENCH_KDF = KdfParams(time_cost=1, memory_kib=8, parallelism=1)
USER_CHECK = "/ISAPI/Security/userCheck"
ADMIN_USER = "/ISAPI/Security/users/1"
DIRECT = {"http": "", "https": ""}  # never through a proxy from the environment: the lab is on loopback
LAB_START_SECONDS = 600.0
RSS_SAMPLE_SECONDS = 0.05
REQUEST_TIMEOUT = 10.0


# ------------------------------------------------------------------------------------------------ the lab


def lab_mix(devices: int) -> tuple[int, int]:
    """Cameras and NVRs in a lab of ``devices``: the mix ``camvault lab run --devices`` generates."""
    nvrs = max(1, devices // 9) if devices >= 3 else 0
    return devices - nvrs, nvrs


def pick_port() -> int:
    """A port below the ephemeral range that is free on the lab's first address."""
    for _ in range(50):
        port = random.randint(20000, 32000)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((f"{ADDRESS_PREFIX}.0.2", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port found for the lab")


def write_scenario(path: Path, devices: int, http_port: int) -> None:
    """The generated fleet of ``--devices``, each device on its own loopback address."""
    cameras, nvrs = lab_mix(devices)
    path.write_text(
        "[lab]\n"
        f'seed = 1\naddressing = "addresses"\naddress_prefix = "{ADDRESS_PREFIX}"\nhttp_port = {http_port}\n\n'
        f"[generate]\ncameras = {cameras}\nnvrs = {nvrs}\n"
    )


def start_lab(devices: int, work: Path) -> LabProcess:
    """Launch the lab and wait until it announces its control API (every device then answers)."""
    scenario = work / "scenario.toml"
    write_scenario(scenario, devices, pick_port())
    return LabProcess.start(
        work / "lab", "--scenario", str(scenario), log=work / "lab.log", timeout=LAB_START_SECONDS
    )


def stop_lab(lab: LabProcess) -> None:
    """Stop the lab process (it saves its state; the benchmark removes it afterwards)."""
    lab.stop()


def set_latency(lab: LabProcess, labels: Sequence[str], latency: float) -> None:
    """Inject ``latency`` seconds into every request to each device (0 clears the faults)."""
    headers = {"Authorization": f"Bearer {lab.token}"}
    with httpx.Client(base_url=lab.url, headers=headers, timeout=30.0, trust_env=False) as control:
        for label in labels:
            path = f"/v1/devices/{label}/faults"
            reply = control.put(path, json={"latency": latency}) if latency else control.delete(path)
            reply.raise_for_status()


# ------------------------------------------------------------------------------------------------ the fleet


@dataclass(frozen=True, slots=True)
class LabDevice:
    """One device as the manifest shows it, with what the installer recorded.

    Attributes:
        record: the inventory record it would get.
        password: the recorded password (``None``: nothing recorded).
        activated: whether the device is activated.
        recorded_by: labels of the NVRs that record it.
    """

    record: DeviceRecord
    password: str | None = field(repr=False)
    activated: bool
    recorded_by: tuple[str, ...]


@dataclass(slots=True)
class Fleet:
    """The fleet the benchmark rotates.

    Attributes:
        store: the fleet database.
        vault: its unlocked vault.
        records: the enrolled devices (those whose recorded password works).
        skipped: devices left out, by reason.
        cameras: enrolled cameras.
        nvrs: enrolled NVRs.
    """

    store: Store
    vault: Vault
    records: list[DeviceRecord]
    skipped: Counter[str]
    cameras: int
    nvrs: int

    def current_records(self) -> list[DeviceRecord]:
        """The enrolled devices as the inventory holds them now."""
        wanted = {record.id for record in self.records}
        with self.store.transaction(readonly=True) as conn:
            return [record for record in Inventory(self.vault.clock.now()).all(conn) if record.id in wanted]


def read_lab_devices(state: Path) -> list[LabDevice]:
    """The manifest and the installer's records of a running lab."""
    manifest = json.loads((state / "manifest.json").read_text())
    recorded = {
        item["label"]: item["password"]
        for item in json.loads((state / "manifest.credentials.json").read_text())["devices"]
    }
    recorders: dict[str, list[str]] = {}
    for device in manifest["devices"]:
        for camera in device.get("channels", []):
            recorders.setdefault(camera, []).append(device["label"])
    devices = []
    for device in manifest["devices"]:
        kind = "nvr" if device["kind"] == "NVR" else "camera"
        vendor = "onvif" if device["kind"] == "ONVIFCamera" else "hikvision"
        record = DeviceRecord.new(
            device["label"],
            vendor,
            device["address"],
            port=device["http_port"],
            kind=kind,
            serial=device["serial"],
            mac=device["mac"],
            model=device["model"],
        )
        devices.append(
            LabDevice(
                record,
                recorded.get(device["label"]),
                bool(device["activated"]),
                tuple(recorders.get(device["label"], ())),
            )
        )
    return devices


async def gather_bounded(items: Sequence[T], work: Callable[[T], Awaitable[R]], concurrency: int) -> list[R]:
    """``work`` over ``items``, at most ``concurrency`` at once, results in order."""
    slots = asyncio.Semaphore(concurrency)

    async def one(item: T) -> R:
        async with slots:
            return await work(item)

    return await asyncio.gather(*(one(item) for item in items))


async def try_login(session: FleetSession, record: DeviceRecord, password: str) -> str:
    """Log in as ``admin`` once, through the driver (one attempt at most).

    Returns:
        ``ok``, ``refused``, or the class name of the camvault error that stopped it (``DeviceUnreachable``...).
    """
    try:
        result = await session.driver(record).check_login(Credential("admin", password))
    except CamvaultError as exc:
        return type(exc).__name__
    return "ok" if result.ok else "refused"


async def screen(
    store: Store, devices: Sequence[LabDevice], concurrency: int
) -> tuple[list[LabDevice], Counter[str]]:
    """Keep the devices whose recorded password works, as an owner checks the installer's sheet first.

    Cameras recorded by an NVR that is left out are left out too: their NVR could not be told a new password.
    """
    skipped: Counter[str] = Counter()
    candidates = []
    for device in devices:
        if not device.activated:
            skipped["inactive"] += 1
        elif device.password is None:
            skipped["no password recorded"] += 1
        else:
            candidates.append(device)
    session = FleetSession(store, None, concurrency=concurrency)
    try:

        async def check(device: LabDevice) -> str:
            assert device.password is not None
            return await try_login(session, device.record, device.password)

        logins = await gather_bounded(candidates, check, concurrency)
    finally:
        await session.aclose()
    usable = set()
    for device, login in zip(candidates, logins, strict=True):
        if login == "ok":
            usable.add(device.record.label)
        elif login == "refused":
            skipped["recorded password wrong"] += 1
        else:
            skipped[f"no answer to the check ({login})"] += 1
    kept = []
    for device in candidates:
        if device.record.label not in usable:
            continue
        if any(nvr not in usable for nvr in device.recorded_by):
            skipped["recorded by an NVR whose password is not known"] += 1
            continue
        kept.append(device)
    return kept, skipped


def build_fleet(store: Store, devices: Sequence[LabDevice], skipped: Counter[str]) -> Fleet:
    """A vault in ``store`` holding ``devices`` with their (working) recorded passwords."""
    vault = Vault.initialize(store, PASSPHRASE, kdf=BENCH_KDF)
    records = []
    with store.transaction() as conn:
        inventory = Inventory(vault.clock.now())
        for device in devices:
            assert device.password is not None
            record, _ = inventory.upsert(conn, device.record)
            ref = f"cred:{record.id}"
            vault.put(conn, ref, device.password, username="admin")
            inventory.attach_credential(conn, record.id, ref, "admin")
            records.append(inventory.get(conn, record.id))
    nvrs = sum(1 for record in records if record.kind == "nvr")
    return Fleet(store, vault, records, skipped, len(records) - nvrs, nvrs)


# ------------------------------------------------------------------------------------------------ measuring


class RequestCounter:
    """Counts the requests an httpx client sends, by device address and method (an event hook)."""

    def __init__(self) -> None:
        self.by_host: Counter[str] = Counter()
        self.by_method: Counter[str] = Counter()

    def attach(self, client: httpx.AsyncClient) -> None:
        """Count every request ``client`` sends from now on (each Digest round trip is one); idempotent."""
        hooks = client.event_hooks
        if self.count_request not in hooks.get("request", []):
            hooks["request"] = [*hooks.get("request", []), self.count_request]
            client.event_hooks = hooks

    async def count_request(self, request: httpx.Request) -> None:
        """The hook: count one request."""
        self.by_host[request.url.host] += 1
        self.by_method[request.method] += 1

    @property
    def total(self) -> int:
        """Every request counted."""
        return sum(self.by_host.values())


@dataclass
class CountingSession(FleetSession):
    """A fleet session whose every HTTP client, whenever made, reports its requests to ``counter``.

    Hooking :meth:`FleetSession.http` rather than one client counts every request however the session
    spreads devices over clients.
    """

    counter: RequestCounter = field(default_factory=RequestCounter)

    def http(self, *, verify: bool, **where: Any) -> httpx.AsyncClient:
        """The session's client for this setting (and device), counted."""
        client = super().http(verify=verify, **where)
        self.counter.attach(client)
        return client


class RssSampler:
    """Samples this process's resident set in the background and keeps the peak."""

    def __init__(self) -> None:
        self._process = psutil.Process()
        self.before = self._process.memory_info().rss
        self.peak = self.before
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start sampling."""
        self._task = asyncio.get_running_loop().create_task(self._sample())

    async def stop(self) -> None:
        """Stop sampling (one last sample first)."""
        self.peak = max(self.peak, self._process.memory_info().rss)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, self._process.memory_info().rss)
            await asyncio.sleep(RSS_SAMPLE_SECONDS)


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered) - 1e-9)))
    return ordered[rank - 1]


def mib(count: float) -> float:
    """Bytes in MiB, one decimal."""
    return round(count / 2**20, 1)


# ------------------------------------------------------------------------------------------------ camvault


@dataclass(slots=True)
class CamvaultRun:
    """What one camvault rotation run measured (``hosts``: the address of every device rotated)."""

    latency: float
    hosts: tuple[str, ...]
    seconds: float
    per_device: list[float]
    outcomes: Counter[str]
    dependents: Counter[str]
    requests: RequestCounter
    tracemalloc_peak: int | None
    rss_before: int
    rss_peak: int
    cpu: tuple[float, float] = (0.0, 0.0)
    accepted: int = 0
    rejected: list[str] = field(default_factory=list)
    stopped: str | None = None

    @property
    def devices(self) -> int:
        """Devices in the run."""
        return len(self.hosts)

    @property
    def rotated(self) -> int:
        """Devices whose rotation finished (DONE)."""
        return self.outcomes["done"]

    def figures(self) -> dict[str, Any]:
        """The run as JSON-ready figures."""
        per_host = sorted(self.requests.by_host.get(host, 0) for host in self.hosts)
        return {
            "latency_ms": round(self.latency * 1000),
            "devices": self.devices,
            "rotated": self.rotated,
            "seconds": round(self.seconds, 2),
            "devices_per_second": round(self.rotated / self.seconds, 1) if self.seconds else 0.0,
            "per_device_p50_seconds": round(percentile(self.per_device, 0.50), 3),
            "per_device_p99_seconds": round(percentile(self.per_device, 0.99), 3),
            "outcomes": dict(self.outcomes),
            "nvr_channels": dict(self.dependents),
            "requests": self.requests.total,
            "requests_per_device": round(self.requests.total / max(1, self.devices), 2),
            "requests_per_device_min_median_max": [
                per_host[0] if per_host else 0,
                statistics.median(per_host) if per_host else 0,
                per_host[-1] if per_host else 0,
            ],
            "requests_by_method": dict(self.requests.by_method),
            "tracemalloc_peak_mib": mib(self.tracemalloc_peak) if self.tracemalloc_peak is not None else None,
            "rss_before_mib": mib(self.rss_before),
            "rss_peak_mib": mib(self.rss_peak),
            "cpu_cores_busy_rotating_process": round(self.cpu[0] / self.seconds, 2) if self.seconds else 0.0,
            "cpu_cores_busy_lab": round(self.cpu[1] / self.seconds, 2) if self.seconds else 0.0,
            "cpu_ms_per_device_rotating_process": round(1000 * self.cpu[0] / max(1, self.devices), 1),
            "cpu_ms_per_device_lab": round(1000 * self.cpu[1] / max(1, self.devices), 1),
            "vault_current_accepted": self.accepted,
            "vault_current_rejected": self.rejected,
            "stopped": self.stopped,
        }


def tally(report: RotationReport) -> tuple[Counter[str], Counter[str], list[float]]:
    """Outcome counts (rotation state, or error kind), NVR channel states, and per-device seconds."""
    outcomes: Counter[str] = Counter()
    dependents: Counter[str] = Counter()
    seconds = []
    for outcome in report.result.outcomes if report.result else []:
        if outcome.value is not None:
            outcomes[outcome.value.state.value] += 1
            dependents.update(state for _, state in outcome.value.dependents)
        else:
            outcomes[outcome.kind] += 1
        if not outcome.skipped:
            seconds.append(outcome.seconds)
    for rotation in report.resumed:
        outcomes[f"resumed {rotation.state.value}"] += 1
    return outcomes, dependents, seconds


def cpu_seconds(process: psutil.Process) -> float:
    """User plus system CPU time a process has used so far."""
    times = process.cpu_times()
    return float(times.user + times.system)


async def rotate_with_camvault(
    fleet: Fleet, lab: LabProcess, latency: float, concurrency: int, *, trace: bool = False
) -> CamvaultRun:
    """One engine run over the fleet, measured (see the module docstring).

    With ``trace``, tracemalloc is on during the run: its peak is measured, and the run is several times
    slower, so its time is not a figure.
    """
    records = fleet.current_records()
    session = CountingSession(fleet.store, fleet.vault, concurrency=concurrency)
    counter = session.counter
    engine = RotationEngine(session, RotateOptions(canary=1, concurrency=concurrency))
    sampler = RssSampler()
    sampler.start()
    me, lab_process = psutil.Process(), psutil.Process(lab.process.pid)
    cpu_before = (cpu_seconds(me), cpu_seconds(lab_process))
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    try:
        report = await engine.run(records)
    finally:
        seconds = time.perf_counter() - started
        cpu = (cpu_seconds(me) - cpu_before[0], cpu_seconds(lab_process) - cpu_before[1])
        peak = tracemalloc.get_traced_memory()[1] if trace else None
        if trace:
            tracemalloc.stop()
        await sampler.stop()
        await session.aclose()
    outcomes, dependents, per_device = tally(report)
    run = CamvaultRun(
        latency,
        tuple(record.host for record in records),
        seconds,
        per_device,
        outcomes,
        dependents,
        counter,
        peak,
        sampler.before,
        sampler.peak,
        cpu,
        stopped=report.stopped,
    )
    run.accepted, run.rejected = await check_vault_current(fleet, concurrency)
    return run


async def check_vault_current(fleet: Fleet, concurrency: int) -> tuple[int, list[str]]:
    """Log in to every enrolled device with its vault-current password.

    Returns:
        How many accepted it, and ``label (why)`` for every other one.
    """
    records = fleet.current_records()
    session = FleetSession(fleet.store, fleet.vault, concurrency=concurrency)
    try:

        async def check(record: DeviceRecord) -> str:
            credential = session.credential(record)
            if credential is None:
                return "no credential in the vault"
            return await try_login(session, record, credential.password)

        logins = await gather_bounded(records, check, concurrency)
    finally:
        await session.aclose()
    rejected = sorted(
        f"{record.label} ({login})" for record, login in zip(records, logins, strict=True) if login != "ok"
    )
    return len(records) - len(rejected), rejected


# ------------------------------------------------------------------------------------------------ sequential


@dataclass(frozen=True, slots=True)
class Target:
    """One device for the sequential script: where it answers and its current password."""

    label: str
    base_url: str
    password: str = field(repr=False)


@dataclass(slots=True)
class SequentialRun:
    """What one sequential run measured."""

    latency: float
    devices: int
    limit: float
    seconds: float = 0.0
    per_device: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    requests: int = 0

    @property
    def done(self) -> int:
        """Devices the script got to (whatever the outcome)."""
        return len(self.per_device)

    @property
    def rotated(self) -> int:
        """Devices whose password the script changed and saw working."""
        return self.outcomes["changed"]

    @property
    def rate(self) -> float:
        """Rotated devices per second."""
        return self.rotated / self.seconds if self.seconds else 0.0

    def figures(self) -> dict[str, Any]:
        """The run as JSON-ready figures."""
        return {
            "latency_ms": round(self.latency * 1000),
            "devices": self.devices,
            "done": self.done,
            "rotated": self.rotated,
            "seconds": round(self.seconds, 2),
            "complete": self.done == self.devices,
            "devices_per_second": round(self.rate, 2),
            "extrapolated_seconds_for_all": (
                round(self.seconds * self.devices / self.done, 1)
                if self.done and self.done < self.devices
                else None
            ),
            "per_device_p50_seconds": round(percentile(self.per_device, 0.50), 3),
            "per_device_p99_seconds": round(percentile(self.per_device, 0.99), 3),
            "outcomes": dict(self.outcomes),
            "requests_per_device": round(self.requests / self.done, 2) if self.done else 0.0,
        }


def admin_script_rotate(target: Target, new_password: str) -> tuple[str, int]:
    """The administrator's three steps for one device; returns (outcome, requests sent).

    Outcomes: ``changed`` (the new password works); ``current password refused (HTTP n)`` and ``change
    refused (HTTP n)`` (nothing changed); ``change unverified (HTTP n)`` (acknowledged, but the new password
    was not accepted); ``no answer`` (a transport error).
    """
    old = HTTPDigestAuth("admin", target.password)
    body = f"<User><id>1</id><userName>admin</userName><password>{new_password}</password></User>"
    sent = 0
    try:
        check = requests.get(target.base_url + USER_CHECK, auth=old, timeout=REQUEST_TIMEOUT, proxies=DIRECT)
        sent += 1 + len(check.history)
        if check.status_code != 200:
            return f"current password refused (HTTP {check.status_code})", sent
        change = requests.put(
            target.base_url + ADMIN_USER,
            data=body,
            auth=old,
            headers={"Content-Type": "application/xml"},
            timeout=REQUEST_TIMEOUT,
            proxies=DIRECT,
        )
        sent += 1 + len(change.history)
        if change.status_code != 200:
            return f"change refused (HTTP {change.status_code})", sent
        verify = requests.get(
            target.base_url + USER_CHECK,
            auth=HTTPDigestAuth("admin", new_password),
            timeout=REQUEST_TIMEOUT,
            proxies=DIRECT,
        )
        sent += 1 + len(verify.history)
    except requests.RequestException:
        return "no answer", sent
    return (
        "changed" if verify.status_code == 200 else f"change unverified (HTTP {verify.status_code})"
    ), sent


def rotate_sequentially(
    targets: Sequence[Target], latency: float, seconds: float
) -> tuple[SequentialRun, dict[str, str]]:
    """Run the administrator's script over ``targets`` until done or ``seconds`` have passed.

    Returns:
        The measurements, and the new password of every device whose change the device acknowledged.
    """
    profile = profile_for("hikvision")
    run = SequentialRun(latency, len(targets), seconds)
    changed: dict[str, str] = {}
    started = time.perf_counter()
    for target in targets:
        if time.perf_counter() - started >= seconds:
            break
        new_password = generate(profile)
        begun = time.perf_counter()
        outcome, sent = admin_script_rotate(target, new_password)
        run.per_device.append(time.perf_counter() - begun)
        run.outcomes[outcome] += 1
        run.requests += sent
        if outcome == "changed" or outcome.startswith("change unverified"):
            changed[target.label] = new_password
    run.seconds = time.perf_counter() - started
    return run, changed


def sequential_targets(fleet: Fleet) -> list[Target]:
    """Every enrolled device with its vault-current password."""
    records = fleet.current_records()
    with fleet.store.transaction(readonly=True) as conn:
        targets = []
        for record in records:
            assert record.credential_ref is not None
            secret = fleet.vault.current(conn, record.credential_ref)
            targets.append(Target(record.label, f"http://{record.host}:{record.port}", secret.password))
    return targets


def record_in_vault(fleet: Fleet, changed: dict[str, str]) -> None:
    """Put the passwords the script set in the vault, so that it stays true."""
    records = fleet.current_records()
    with fleet.store.transaction() as conn:
        for record in records:
            if record.label in changed and record.credential_ref is not None:
                fleet.vault.put(
                    conn, record.credential_ref, changed[record.label], username="admin", note="benchmark"
                )


# ------------------------------------------------------------------------------------------------ report


def describe_camvault(run: CamvaultRun) -> list[str]:
    """Human lines for one camvault run."""
    figures = run.figures()
    low, median, high = figures["requests_per_device_min_median_max"]
    methods = ", ".join(
        f"{method} {count / max(1, run.devices):.2f}"
        for method, count in sorted(run.requests.by_method.items())
    )
    lines = [
        f"  camvault, {figures['latency_ms']} ms latency: rotated {run.rotated}/{run.devices} in "
        f"{figures['seconds']} s = {figures['devices_per_second']} devices/s",
        f"    per device: p50 {figures['per_device_p50_seconds']} s, p99 {figures['per_device_p99_seconds']} s "
        "(NVR channel updates included)",
        f"    requests per device: {figures['requests_per_device']} (per device min {low}, median {median}, "
        f"max {high}; by method {methods})",
        f"    resident memory of this process: {figures['rss_peak_mib']} MiB peak "
        f"({figures['rss_before_mib']} MiB before the run)",
        f"    CPU (1.0 = one core busy): this process {figures['cpu_cores_busy_rotating_process']} "
        f"({figures['cpu_ms_per_device_rotating_process']} ms per device), the lab "
        f"{figures['cpu_cores_busy_lab']} ({figures['cpu_ms_per_device_lab']} ms per device)",
        f"    outcomes: {dict(run.outcomes)}; NVR channels: {dict(run.dependents) or 'none'}",
        f"    vault-current password accepted by {run.accepted}/{run.devices} devices (all checked by login)"
        + (f"; rejected: {run.rejected[:10]}" if run.rejected else ""),
    ]
    if run.stopped:
        lines.append(f"    the run stopped early: {run.stopped}")
    return lines


def describe_memory(run: CamvaultRun) -> list[str]:
    """Human lines for the tracemalloc pass."""
    figures = run.figures()
    return [
        f"  memory pass (one more rotation at {figures['latency_ms']} ms with tracemalloc on, "
        f"{figures['seconds']} s, too slowed down to be a speed figure): tracemalloc peak "
        f"{figures['tracemalloc_peak_mib']} MiB; resident {figures['rss_peak_mib']} MiB peak; "
        f"rotated {run.rotated}/{run.devices}, vault-current accepted by {run.accepted}",
    ]


def describe_sequential(run: SequentialRun) -> list[str]:
    """Human lines for one sequential run."""
    figures = run.figures()
    scope = (
        f"all {run.devices} devices"
        if figures["complete"]
        else f"{run.done} of {run.devices} devices within the {run.limit:g} s limit; "
        f"extrapolated: {figures['extrapolated_seconds_for_all']} s for all"
    )
    return [
        f"  sequential requests+HTTPDigestAuth, {figures['latency_ms']} ms latency: "
        f"{figures['devices_per_second']} devices/s ({scope})",
        f"    per device: p50 {figures['per_device_p50_seconds']} s, p99 {figures['per_device_p99_seconds']} s; "
        f"requests per device: {figures['requests_per_device']}; outcomes: {dict(run.outcomes)}",
    ]


def parse_latencies(text: str) -> list[float]:
    """``"0,0.02"`` -> ``[0.0, 0.02]`` (seconds)."""
    try:
        values = [float(item) for item in text.split(",") if item.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("latencies are seconds, comma-separated (e.g. 0,0.02)") from None
    if not values or any(not 0 <= value <= 10 for value in values):
        raise argparse.ArgumentTypeError("give at least one latency, each 0-10 seconds")
    return values


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000, help="lab size (default 1000)")
    parser.add_argument("--concurrency", type=int, default=64, help="devices in flight (default 64)")
    parser.add_argument(
        "--latencies", type=parse_latencies, default=[0.0, 0.02], help="seconds, comma-separated (0,0.02)"
    )
    parser.add_argument(
        "--sequential-seconds", type=float, default=120.0, help="time limit of each sequential run (120)"
    )
    parser.add_argument(
        "--no-tracemalloc",
        action="store_true",
        help="skip the extra rotation that measures tracemalloc's peak",
    )
    args = parser.parse_args(argv)
    if args.devices < 1 or args.concurrency < 1 or args.sequential_seconds <= 0:
        parser.error("--devices, --concurrency and --sequential-seconds must be positive")
    return args


def ratios(camvault: Sequence[CamvaultRun], sequential: Sequence[SequentialRun]) -> dict[str, float | None]:
    """camvault's devices per second over the sequential script's, per latency."""
    result: dict[str, float | None] = {}
    for mine, theirs in zip(camvault, sequential, strict=True):
        mine_rate = mine.rotated / mine.seconds if mine.seconds else 0.0
        result[f"{round(mine.latency * 1000)}ms"] = round(mine_rate / theirs.rate, 2) if theirs.rate else None
    return result


@dataclass(slots=True)
class Results:
    """Everything one benchmark run measured."""

    enrolled: int
    skipped: Counter[str]
    load_average: float
    camvault: list[CamvaultRun] = field(default_factory=list)
    memory: CamvaultRun | None = None
    sequential: list[SequentialRun] = field(default_factory=list)


def measure(args: argparse.Namespace, lab: LabProcess, store: Store) -> Results:
    """Screen and enrol the lab, then run camvault and the script at every latency, printing as it goes."""
    kept, skipped = asyncio.run(screen(store, read_lab_devices(lab.state), args.concurrency))
    fleet = build_fleet(store, kept, skipped)
    labels = [record.label for record in fleet.records]
    cameras, nvrs = lab_mix(args.devices)
    results = Results(len(fleet.records), skipped, os.getloadavg()[0])
    print(
        f"rotation benchmark: a lab of {args.devices} devices ({cameras} cameras, {nvrs} NVRs) in its own "
        f"process, started in {lab.startup_seconds:.1f} s; concurrency {args.concurrency}, canary 1; "
        f"{os.cpu_count()} CPUs, load average {results.load_average:.2f}"
    )
    print(
        f"  enrolled {len(fleet.records)} ({fleet.cameras} cameras, {fleet.nvrs} NVRs); "
        f"skipped {sum(skipped.values())}: {dict(skipped) or 'none'}"
    )
    print("  vault: Argon2id t=1 m=8 KiB p=1 (a benchmark setting; derived once, not per rotation)")
    for latency in args.latencies:
        set_latency(lab, labels, latency)
        results.camvault.append(asyncio.run(rotate_with_camvault(fleet, lab, latency, args.concurrency)))
        print("\n".join(describe_camvault(results.camvault[-1])))
    if not args.no_tracemalloc:
        results.memory = asyncio.run(
            rotate_with_camvault(fleet, lab, args.latencies[-1], args.concurrency, trace=True)
        )
        print("\n".join(describe_memory(results.memory)))
    for latency in args.latencies:
        set_latency(lab, labels, latency)
        run, changed = rotate_sequentially(sequential_targets(fleet), latency, args.sequential_seconds)
        record_in_vault(fleet, changed)
        results.sequential.append(run)
        print("\n".join(describe_sequential(run)))
    return results


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print its figures, and return them."""
    args = parse_arguments(argv)
    with contextlib.ExitStack() as cleanup:
        work = Path(
            cleanup.enter_context(
                tempfile.TemporaryDirectory(prefix="camvault-bench-rotation-", ignore_cleanup_errors=True)
            )
        )
        lab = start_lab(args.devices, work)
        cleanup.callback(stop_lab, lab)
        store = Store.open(f"sqlite:///{work / 'fleet.sqlite'}")
        cleanup.callback(store.close)
        results = measure(args, lab, store)
    compared = ratios(results.camvault, results.sequential)
    for latency, ratio in compared.items():
        verdict = f"{ratio:.2f}x" if ratio is not None else "n/a (the sequential script rotated nothing)"
        print(f"  ratio camvault / sequential (devices per second) at {latency}: {verdict}")
    summary = {
        "devices": args.devices,
        "enrolled": results.enrolled,
        "skipped": dict(results.skipped),
        "concurrency": args.concurrency,
        "cpus": os.cpu_count(),
        "load_average_before_rotating": round(results.load_average, 2),
        "lab_startup_seconds": round(lab.startup_seconds, 2),
        "camvault": [run.figures() for run in results.camvault],
        "tracemalloc_pass": results.memory.figures() if results.memory is not None else None,
        "sequential": [run.figures() for run in results.sequential],
        "ratio_camvault_over_sequential": compared,
    }
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
