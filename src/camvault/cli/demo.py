"""``camvault demo``: what ``make run`` shows a newcomer, the whole product on a lab of emulated devices.

The demo composes the two sides the way they meet in real life, over the network: a lab of emulated
cameras, an NVR and an ONVIF camera plays the site; the fleet tool then does what an installer would:

1. discover the devices (SADP and WS-Discovery),
2. import the passwords the installer recorded (some wrong on purpose) into a fresh encrypted vault,
3. audit password and firmware hygiene,
4. activate the factory-fresh camera with its own strong password,
5. rotate every device it can to a unique strong password (canary first, progress bar, NVR channels
   updated as each camera changes),
6. audit again, and show that the NVR still records every camera it recorded before.

Everything lives under ``var/demo``: the lab's state, the fleet database and vault, the vault passphrase
(a random one, mode 0600: this is a demo), and the HTML reports.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import socket
import tomllib
from collections.abc import Sequence
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from camvault.cli import aio
from camvault.cli.fleet import ProgressHooks, _merge_discoveries
from camvault.cli.lab import show_lab
from camvault.clock import SystemClock
from camvault.device.lab.runner import RunningLab, credentials_path, start_lab
from camvault.device.lab.scenario import parse_scenario
from camvault.errors import CamvaultError
from camvault.fleet.audit import AuditReport, audit, default_catalogue, render_console, render_html
from camvault.fleet.collect import collect
from camvault.fleet.discovery import Probing, discover_sadp, discover_wsd
from camvault.fleet.drivers import SecurityQuestion
from camvault.fleet.inventory import DeviceRecord
from camvault.fleet.recovery import RecoveryGuide, RecoveryOutcome
from camvault.fleet.rotation import selection
from camvault.fleet.rotation.engine import RotateOptions, RotationEngine, RotationReport
from camvault.fleet.runner import Runner
from camvault.fleet.session import FleetSession
from camvault.fleet.store import Store
from camvault.fleet.vault import Vault
from camvault.support.keys import load_vendor_keys
from camvault.support.service import SupportService
from camvault.support.store import SupportStore

DEMO_STATE = Path("var/demo")
console = Console(highlight=False)


def demo(
    state: Annotated[Path, typer.Option("--state", help="Where the demo keeps everything.")] = DEMO_STATE,
    keep_running: Annotated[
        bool, typer.Option("--keep-running", help="Keep the lab running afterwards, until Ctrl-C.")
    ] = False,
    lab_only: Annotated[
        bool, typer.Option("--lab-only", help="Only start the demo lab (no fleet steps).")
    ] = False,
) -> None:
    """Discover, audit, activate and rotate a lab of emulated cameras and an NVR, then audit again."""
    text = resources.files("camvault.device.lab.scenarios").joinpath("demo.toml").read_text(encoding="utf-8")
    try:
        scenario = parse_scenario(tomllib.loads(text), source="demo.toml")
        scenario = replace(
            scenario,
            settings=replace(
                scenario.settings,
                sadp_port=_udp_port_or_free(scenario.settings.sadp_port),
                wsd_port=_udp_port_or_free(scenario.settings.wsd_port),
            ),
        )
        _fresh(state)
        aio.run(_run(state, scenario, keep_running=keep_running or lab_only, lab_only=lab_only))
    except CamvaultError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=1) from None


def _udp_port_or_free(port: int) -> int:
    """The real discovery port when it is free here, else any free port (the demo probes whichever it gets).

    Another lab or a vendor tool on this machine may hold 37020/3702; the demo must not then discover
    that lab's devices as its own.
    """
    for candidate in (port, 0):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            bound: int = probe.getsockname()[1]
            return bound
    raise CamvaultError("no free UDP port on 127.0.0.1 for the demo's discovery responders")


def _fresh(state: Path) -> None:
    for leftover in (
        "lab/lab.sqlite",
        "lab/lab.sqlite-wal",
        "lab/lab.sqlite-shm",
        "fleet.sqlite",
        "fleet.sqlite-wal",
        "fleet.sqlite-shm",
    ):
        (state / leftover).unlink(missing_ok=True)


async def _run(state: Path, scenario: object, *, keep_running: bool, lab_only: bool) -> None:
    running = await start_lab(state / "lab", scenario=scenario, manifest_path=state / "lab" / "manifest.json")  # type: ignore[arg-type]
    try:
        console.rule("[bold]the site: a lab of emulated devices[/bold]")
        show_lab(running, stop_hint=lab_only)
        if not lab_only:
            await _fleet(state, running)
        if keep_running:
            console.print("\nThe lab keeps running; press Ctrl-C to stop it.")
            await asyncio.Event().wait()
    finally:
        await running.stop()


async def _fleet(state: Path, running: RunningLab) -> None:
    passphrase = secrets.token_urlsafe(18)
    _write_private(state / "vault.passphrase", passphrase)
    store = Store.open(f"sqlite:///{state / 'fleet.sqlite'}")
    vault = Vault.initialize(store, passphrase)
    session = FleetSession(store, vault, concurrency=16)
    try:
        console.rule("[bold]1. discover[/bold]")
        records = await _discover(session, running)
        console.rule("[bold]2. import what the installer recorded[/bold]")
        _import_records(session, running, records)
        console.rule("[bold]3. audit[/bold]")
        before = await _audit(session, "auditing")
        console.print(render_console(before))
        (state / "audit-before.html").write_text(render_html(before), encoding="utf-8")
        console.rule("[bold]4. activate factory-fresh devices[/bold]")
        await _activate(session)
        console.rule("[bold]5. rotate every password[/bold]")
        report = await _rotate(session)
        console.rule("[bold]6. recover what rotation could not reach[/bold]")
        recovered = await _recover(state, session, running)
        console.rule("[bold]7. audit again[/bold]")
        after = await _audit(session, "auditing again")
        console.print(render_console(after))
        (state / "audit-after.html").write_text(render_html(after), encoding="utf-8")
        await _recording(session)
        with session.store.transaction(readonly=True) as conn:
            example = next(
                (r.credential_ref for r in session.inventory().all(conn) if r.label == "office-cam"), None
            )
        _closing(state, before, after, report, recovered, example or "cred:...")
    finally:
        await session.aclose()
        store.close()


async def _discover(session: FleetSession, running: RunningLab) -> list[DeviceRecord]:
    probing = Probing(targets=("127.0.0.1",), timeout=1.5)
    settings = running.lab.settings
    sadp, wsd = await asyncio.gather(
        discover_sadp(probing, port=settings.sadp_port), discover_wsd(probing, port=settings.wsd_port)
    )
    merged = _merge_discoveries([*sadp, *wsd])
    with session.store.transaction() as conn:
        inventory = session.inventory()
        records = [inventory.upsert(conn, record)[0] for record in merged]
    console.print(
        f"SADP found {len(sadp)} Hikvision devices, WS-Discovery {len(wsd)} ONVIF devices: {len(records)} in all"
    )
    return records


def _import_records(session: FleetSession, running: RunningLab, records: list[DeviceRecord]) -> None:
    """Attach the installer's recorded passwords, matched by serial number (what is on the label)."""
    manifest_path = running.manifest_path
    assert manifest_path is not None
    recorded = json.loads(credentials_path(manifest_path).read_text(encoding="utf-8"))["devices"]
    by_serial = {record.serial: record for record in records if record.serial}
    by_label_serial = {item["serial"]: item for item in recorded}
    labels = {device["serial"]: device["label"] for device in running.lab.manifest()["devices"]}
    stored = 0
    assert session.vault is not None
    with session.store.transaction() as conn:
        inventory = session.inventory()
        for serial, item in by_label_serial.items():
            record = by_serial.get(serial) or _onvif_match(records, running, serial)
            if record is None:
                continue
            inventory.update(conn, replace(record, label=labels.get(serial, record.label)))
            if item["password"]:
                ref = f"cred:{record.id}"
                session.vault.put(
                    conn, ref, item["password"], username=item["username"], note="installer's record"
                )
                inventory.attach_credential(conn, record.id, ref, item["username"])
                stored += 1
    console.print(
        f"{stored} recorded passwords are now in the vault (encrypted); the rest were never written down"
    )


def _onvif_match(records: list[DeviceRecord], running: RunningLab, serial: str) -> DeviceRecord | None:
    """ONVIF discovery has no serial number: match the ONVIF device by the address the label shows."""
    device = next((d for d in running.lab.manifest()["devices"] if d["serial"] == serial), None)
    if device is None:
        return None
    return next((r for r in records if r.host == device["address"] and r.port == device["http_port"]), None)


async def _audit(session: FleetSession, description: str) -> AuditReport:
    with session.store.transaction(readonly=True) as conn:
        devices = session.inventory().all(conn)
    with ProgressHooks(description, enabled=True) as hooks:
        observation = await collect(
            session, devices, runner=Runner(concurrency=16, timeout=30, hooks=[hooks])
        )
    return audit(observation, catalogue=default_catalogue(), now=session.clock.now())


async def _activate(session: FleetSession) -> None:
    with session.store.transaction(readonly=True) as conn:
        devices = session.inventory().all(conn)
    inactive = await selection.inactive(session, devices)
    if not inactive:
        console.print("no factory-fresh device")
        return
    engine = RotationEngine(session, RotateOptions(canary=0, concurrency=8))
    report = await engine.run(inactive, activate=True)
    for rotation in report.rotations():
        console.print(Text(f"{rotation.device}: activated with its own password ({rotation.state.value})"))


async def _rotate(session: FleetSession) -> RotationReport:
    with session.store.transaction(readonly=True) as conn:
        devices = [record for record in session.inventory().all(conn) if record.credential_ref]
    engine = RotationEngine(session, RotateOptions(canary=1, concurrency=8))
    with ProgressHooks("rotating", enabled=True) as hooks:
        report = await engine.run(devices, hooks=[hooks])
    table = Table("device", "result", "NVR channels", "detail")
    for rotation in report.rotations():
        style = "green" if rotation.rotated else "yellow"
        channels = ", ".join(state for _, state in rotation.dependents)
        table.add_row(
            Text(rotation.device), Text(rotation.state.value, style=style), channels, Text(rotation.reason)
        )
    for outcome in report.result.outcomes if report.result else []:
        if outcome.value is None:
            table.add_row(
                Text(outcome.device.label), Text("not rotated", style="red"), "", Text(outcome.reason)
            )
    console.print(table)
    return report


class _DemoOwner:
    """The demo's owner: no answers, no GUID file, never a factory reset; the vendor's code once support sent it."""

    factory_reset_allowed = False

    def __init__(self, state: Path) -> None:
        self.state = state
        self.code: str | None = None
        self.request: bytes | None = None

    def tell(self, message: str) -> None:
        console.print(Text(f"  {message}"))

    def answers(self, questions: Sequence[SecurityQuestion]) -> dict[int, str] | None:
        return None

    def guid_file(self) -> bytes | None:
        return None

    def reset_code(self) -> str | None:
        return self.code

    def save_request(self, record: DeviceRecord, data: bytes) -> str:
        self.request = data
        path = self.state / f"ResetRequest_{record.label}.txt"
        path.write_bytes(data)
        return str(path)

    def remaining_access(self) -> None:
        return None

    def recordings_dir(self) -> None:
        return None

    def confirm_factory_reset(self, record: DeviceRecord, consequences: Sequence[str]) -> bool:
        return False

    async def press_reset_button(self, record: DeviceRecord) -> None:
        raise CamvaultError("the demo never resets a device")


async def _recover(state: Path, session: FleetSession, running: RunningLab) -> int:
    """Every device whose recorded password is wrong: the guide, then the vendor's support, then the code.

    Returns:
        how many devices were recovered.
    """
    with session.store.transaction(readonly=True) as conn:
        records = session.inventory().all(conn)
    lost = []
    for record in records:
        credential = session.credential(record)
        if credential is None:
            continue
        try:
            if not (await session.driver(record).check_login(credential)).ok:
                lost.append(record)
        except CamvaultError:
            lost.append(record)
    if not lost:
        console.print("every device accepts the vault's password")
        return 0
    vendor = running.lab.vendor_keys()
    recovered = 0
    for record in lost:
        console.print(
            Text(f"{record.label}: the installer's record is wrong; recovering without erasing anything")
        )
        owner = _DemoOwner(state)
        guide = RecoveryGuide(session, owner)
        result = await guide.recover(record)
        if result.outcome is RecoveryOutcome.WAITING_FOR_VENDOR and owner.request is not None and vendor:
            owner.code = _vendor_answers(state, Path(vendor["directory"]), owner.request)
            result = await guide.recover(record)
        style = "green" if result.outcome is RecoveryOutcome.RECOVERED else "yellow"
        console.print(Text(f"{record.label}: {result.outcome.value}: {result.message}", style=style))
        recovered += result.outcome is RecoveryOutcome.RECOVERED
    return recovered


def _vendor_answers(state: Path, keys: Path, request: bytes) -> str:
    """The vendor's support desk (the lab's throwaway vendor): verify, check ownership, approve, issue."""
    store = SupportStore.open(state / "support.sqlite")
    try:
        service = SupportService(store, load_vendor_keys(keys, None), clock=SystemClock())
        case = service.receive_request(request, actor="support-desk")
        console.print(Text(f"  vendor support: case {case.id} for serial {case.serial}: {case.status.value}"))
        service.record_ownership(case.id, operator="support-desk", note="demo: proof of purchase seen")
        service.approve(case.id, operator="supervisor")
        issued = service.issue_code(case.id, operator="supervisor")
        console.print(Text(f"  vendor support: one-time code issued (fingerprint {issued.fingerprint[:12]})"))
        return issued.typed
    finally:
        store.close()


async def _recording(session: FleetSession) -> None:
    with session.store.transaction(readonly=True) as conn:
        nvrs = [record for record in session.inventory().all(conn) if record.kind == "nvr"]
    for nvr in nvrs:
        credential = session.credential(nvr)
        if credential is None:
            continue
        channels = await session.driver(nvr).channels(credential)
        online = sum(1 for channel in channels if channel.online)
        console.print(Text(f"{nvr.label}: {online} of {len(channels)} channels online and recording"))


def _closing(
    state: Path, before: AuditReport, after: AuditReport, report: RotationReport, recovered: int, example: str
) -> None:
    rotated = sum(1 for rotation in report.rotations() if rotation.rotated)
    console.rule("[bold]done[/bold]")
    console.print(
        f"fleet score {before.score} -> {after.score}; {rotated} devices rotated to unique strong passwords, "
        f"{recovered} recovered without a factory reset"
    )
    console.print(f"reports: {state / 'audit-before.html'}  {state / 'audit-after.html'}")
    console.print(
        f"the vault: {state / 'fleet.sqlite'} (passphrase in {state / 'vault.passphrase'}, a demo shortcut)"
    )
    console.print("\nLook around (the vault passphrase comes from the environment):")
    console.print("  source .venv/bin/activate   # when you came here with 'make run'")
    console.print(f"  export CAMVAULT_DB=sqlite:///{state / 'fleet.sqlite'}")
    console.print(f"  export CAMVAULT_PASSPHRASE=$(cat {state / 'vault.passphrase'})")
    console.print("  camvault fleet list")
    console.print(f"  camvault vault history {example}   # every password office-cam ever had, none lost")
    console.print("  camvault fleet recover office-cam --plan   # the ways back in, least destructive first")
    console.print(
        f"  camvault lab run --state {state / 'lab'}   # the same devices again, with their new passwords"
    )


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")
