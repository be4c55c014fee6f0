"""``camvault fleet``: the owner's devices: inventory, discovery, credential checks, audit.

Every command that works over many devices shows a progress bar and ends with a summary; ``--json`` prints
machine-readable output instead. Expected failures print one ``error:`` line naming the device and the
reason and exit non-zero; no traceback.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from camvault.cli import aio
from camvault.cli.vault import DbOption, KeyFileOption, _interactive_prompt
from camvault.errors import CamvaultError, ConfigurationError
from camvault.fleet.audit import (
    FleetObservation,
    Severity,
    audit,
    default_catalogue,
    exit_code,
    load_catalogue,
    render_console,
    render_html,
    render_json,
)
from camvault.fleet.collect import collect
from camvault.fleet.discovery import DiscoveredDevice, Probing, discover_sadp, discover_wsd
from camvault.fleet.drivers import LoginResult
from camvault.fleet.inventory import DeviceRecord, parse_leases
from camvault.fleet.rotation import selection as selection_rules
from camvault.fleet.rotation.consumers import SecretsFile
from camvault.fleet.rotation.engine import RotateOptions, RotationEngine, RotationReport
from camvault.fleet.rotation.journal import policies as rotation_policies
from camvault.fleet.rotation.journal import set_policy
from camvault.fleet.runner import Outcome, Runner, RunResult
from camvault.fleet.scan import ScanHit, parse_targets, scan
from camvault.fleet.session import FleetSession
from camvault.fleet.store import Store
from camvault.fleet.vault import Vault, import_csv_rows, parse_credentials_csv, read_bounded, read_passphrase

__all__ = ["fleet_app"]

fleet_app = typer.Typer(
    name="fleet",
    help="Your devices: inventory, discovery, checks, audit, rotation and recovery.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
SelectionArgument = Annotated[
    list[str] | None,
    typer.Argument(help="Devices (labels, serials, addresses); default: all.", show_default=False),
]
ConcurrencyOption = Annotated[
    int, typer.Option("--concurrency", min=1, max=1024, help="Devices in flight at once.")
]
TimeoutOption = Annotated[float, typer.Option("--timeout", min=1, help="Seconds per device.")]


def _out() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _err() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


@contextmanager
def _expected_failures() -> Iterator[None]:
    try:
        yield
    except CamvaultError as exc:
        _err().print(Text(f"error: {exc}"))
        raise typer.Exit(code=1) from None


def _unlock(store: Store, key_file: Path | None) -> Vault:
    return Vault.unlock(store, read_passphrase(key_file=key_file, prompt=_interactive_prompt()))


class ProgressHooks:
    """A Rich progress bar fed by the runner (silent when the output is JSON or not a terminal)."""

    def __init__(self, description: str, *, enabled: bool) -> None:
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[last]}"),
            console=Console(stderr=True),
            disable=not enabled,
            transient=False,
        )
        self.description = description
        self.task_id: Any = None

    def __enter__(self) -> ProgressHooks:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def run_started(self, total: int) -> None:
        """Create the bar."""
        self.task_id = self.progress.add_task(self.description, total=total, last="")

    def device_finished(self, outcome: Outcome[object]) -> None:
        """Advance the bar."""
        mark = "ok" if outcome.ok else outcome.kind
        self.progress.update(self.task_id, advance=1, last=f"{outcome.device.label}: {mark}")


def _summary(result: RunResult[Any], what: str) -> None:
    counts = ", ".join(f"{kind} {count}" for kind, count in sorted(result.by_kind().items()))
    _err().print(Text(f"{what}: {len(result.outcomes)} devices ({counts})"))
    if result.stopped:
        _err().print(Text(f"stopped early: {result.stopped}"))


def _show_failures(result: RunResult[Any]) -> None:
    for outcome in result.failed:
        _err().print(Text(f"  {outcome.device.label}: {outcome.kind}: {outcome.reason}"))


# ---------------------------------------------------------------------------------------------- inventory


def _device_row(record: DeviceRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "label": record.label,
        "vendor": record.vendor,
        "kind": record.kind,
        "model": record.model,
        "serial": record.serial,
        "mac": record.mac,
        "firmware": record.firmware,
        "address": f"{record.scheme}://{record.host}:{record.port}",
        "verify_tls": record.verify_tls,
        "username": record.username,
        "credential": "stored" if record.credential_ref else "unknown",
        "group": record.group_name,
        "source": record.source,
        "last_seen": record.last_seen_at.isoformat() if record.last_seen_at else None,
    }


@fleet_app.command("add")
def add(
    host: Annotated[str, typer.Argument(help="The device's address.")],
    label: Annotated[
        str | None, typer.Option("--label", help="Your name for it (default: the address).")
    ] = None,
    vendor: Annotated[str, typer.Option("--vendor", help="hikvision or onvif.")] = "hikvision",
    port: Annotated[int | None, typer.Option("--port", min=1, max=65535, help="HTTP(S) port.")] = None,
    https: Annotated[bool, typer.Option("--https", help="Use HTTPS.")] = False,
    no_verify_tls: Annotated[
        bool, typer.Option("--no-verify-tls", help="Do not verify this device's certificate (self-signed).")
    ] = False,
    username: Annotated[str, typer.Option("--username", help="The account camvault manages.")] = "admin",
    with_password: Annotated[
        bool,
        typer.Option(
            "--with-password",
            help="Store the account's current password (prompted, or $CAMVAULT_DEVICE_PASSWORD).",
        ),
    ] = False,
    group: Annotated[str, typer.Option("--group", help="Policy group / site.")] = "default",
    db: DbOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Add a device by address (and optionally store its current password in the vault)."""
    with _expected_failures(), Store.open(db) as store:
        session = FleetSession(store, None)
        record = DeviceRecord.new(
            label or host,
            vendor,
            host,
            port=port or (443 if https else 80),
            scheme="https" if https else "http",
            verify_tls=not no_verify_tls,
            username=username,
            group_name=group,
            source="manual",
        )
        vault = _unlock(store, key_file) if with_password else None
        password = _device_password() if with_password else None
        with store.transaction() as conn:
            stored, created = session.inventory().upsert(conn, record)
            if vault is not None and password is not None:
                ref = stored.credential_ref or f"cred:{stored.id}"
                vault.put(conn, ref, password, username=username, note=f"added for {stored.label}")
                session.inventory().attach_credential(conn, stored.id, ref, username)
        _out().print(Text(f"{'added' if created else 'updated'} {stored.label} ({stored.id})"))


def _device_password() -> str:
    import os  # noqa: PLC0415 - only this command reads it

    value = os.environ.get("CAMVAULT_DEVICE_PASSWORD")
    if value:
        return value
    if not sys.stdin.isatty():
        raise ConfigurationError("no terminal to ask for the device password; set CAMVAULT_DEVICE_PASSWORD")
    return str(typer.prompt("Device password", hide_input=True))


@fleet_app.command("list")
def list_devices(as_json: JsonOption = False, db: DbOption = None) -> None:
    """List the inventory."""
    with _expected_failures(), Store.open(db) as store:
        with store.transaction(readonly=True) as conn:
            records = FleetSession(store, None).inventory().all(conn)
        if as_json:
            typer.echo(json.dumps([_device_row(record) for record in records], indent=2))
            return
        table = Table("label", "vendor", "kind", "model", "serial", "address", "credential", "group")
        for record in records:
            row = _device_row(record)
            table.add_row(
                *(
                    Text(str(row[key] or ""))
                    for key in (
                        "label",
                        "vendor",
                        "kind",
                        "model",
                        "serial",
                        "address",
                        "credential",
                        "group",
                    )
                )
            )
        _out().print(table)
        _err().print(Text(f"{len(records)} devices"))


@fleet_app.command("show")
def show(
    device: Annotated[str, typer.Argument(help="Label, serial, MAC, address or id.")],
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Show one device."""
    with _expected_failures(), Store.open(db) as store:
        with store.transaction(readonly=True) as conn:
            record = FleetSession(store, None).inventory().get(conn, device)
        row = _device_row(record)
        if as_json:
            typer.echo(json.dumps(row, indent=2))
            return
        table = Table(show_header=False, box=None)
        for key, value in row.items():
            table.add_row(key, Text(str(value if value is not None else "")))
        _out().print(table)


@fleet_app.command("import")
def import_devices(
    path: Annotated[
        Path, typer.Argument(help="A CSV spreadsheet of devices and passwords, or a DHCP lease file.")
    ],
    file_format: Annotated[str, typer.Option("--format", help="csv, leases, or auto.")] = "auto",
    all_leases: Annotated[
        bool, typer.Option("--all-leases", help="Import every lease, not only likely cameras.")
    ] = False,
    vendor: Annotated[
        str, typer.Option("--vendor", help="Vendor for devices whose vendor is not known.")
    ] = "hikvision",
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, help="HTTP port for imported devices.")
    ] = 80,
    db: DbOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Import devices from the spreadsheet owners keep (passwords go to the vault) or a router's DHCP leases."""
    with _expected_failures(), Store.open(db) as store:
        data = read_bounded(path)
        kind = (
            file_format if file_format != "auto" else ("csv" if path.suffix.lower() == ".csv" else "leases")
        )
        session = FleetSession(store, None)
        if kind == "leases":
            leases = parse_leases(data)
            chosen = [lease for lease in leases if all_leases or lease.likely_camera]
            with store.transaction() as conn:
                inventory = session.inventory()
                for lease in chosen:
                    guessed = (
                        lease.vendor_hint
                        if lease.vendor_hint == "hikvision"
                        else ("onvif" if lease.vendor_hint else vendor)
                    )
                    inventory.upsert(
                        conn,
                        DeviceRecord.new(
                            lease.hostname or lease.address,
                            guessed,
                            lease.address,
                            port=port,
                            mac=lease.mac,
                            source="dhcp",
                        ),
                    )
            _out().print(
                Text(
                    f"imported {len(chosen)} of {len(leases)} leases ({len(leases) - len(chosen)} not cameras by MAC prefix)"
                )
            )
            return
        if kind != "csv":
            raise ConfigurationError("--format must be csv, leases or auto")
        parsed = parse_credentials_csv(data)
        if parsed.problems:
            for problem in parsed.problems[:20]:
                _err().print(Text(f"line {problem.line}, column {problem.column}: {problem.reason}"))
            raise ConfigurationError(f"{len(parsed.problems)} problems in {path.name}; nothing was imported")
        vault = _unlock(store, key_file)
        with store.transaction() as conn:
            stored = import_csv_rows(vault, conn, parsed.rows, source=path.name)
            inventory = session.inventory()
            for row, credential in zip(parsed.rows, stored, strict=True):
                record, _ = inventory.upsert(
                    conn,
                    DeviceRecord.new(
                        row.name or row.address,
                        vendor,
                        row.address,
                        port=port,
                        model=row.model or None,
                        serial=row.serial or None,
                        mac=row.mac or None,
                        notes=row.notes[:500],
                        source="csv",
                        username=row.username,
                    ),
                )
                inventory.attach_credential(conn, record.id, credential.ref, row.username)
        _out().print(Text(f"imported {len(parsed.rows)} devices with their credentials from {path.name}"))
        _err().print(
            Text(
                f"{path.name} holds passwords in plaintext: consider 'camvault vault import --shred' next time, or delete it safely."
            )
        )


# ---------------------------------------------------------------------------------------------- checks


@fleet_app.command("check")
def check(
    selection: SelectionArgument = None,
    as_json: JsonOption = False,
    concurrency: ConcurrencyOption = 32,
    timeout: TimeoutOption = 30.0,
    db: DbOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Which stored credentials work: one login check per device, never tripping a lock."""
    with _expected_failures(), Store.open(db) as store:
        vault = _unlock(store, key_file)
        session = FleetSession(store, vault, concurrency=concurrency)
        with store.transaction(readonly=True) as conn:
            devices = session.inventory().select(conn, selection or [])

        async def one(record: DeviceRecord) -> LoginResult | None:
            credential = session.credential(record)
            if credential is None:
                return None
            return await session.driver(record).check_login(credential)

        async def run() -> RunResult[LoginResult | None]:
            try:
                with ProgressHooks("checking credentials", enabled=not as_json) as hooks:
                    return await Runner(concurrency=concurrency, timeout=timeout, hooks=[hooks]).run(
                        devices, one
                    )
            finally:
                await session.aclose()

        result = aio.run(run())
        rows = [_check_row(outcome) for outcome in result.outcomes]
        if as_json:
            typer.echo(json.dumps(rows, indent=2))
        else:
            table = Table("device", "result", "detail")
            for row in rows:
                table.add_row(Text(row["device"]), row["result"], Text(row["detail"]))
            _out().print(table)
        _summary(result, "checked")
        if any(row["result"] != "works" for row in rows):
            raise typer.Exit(code=1)


def _check_row(outcome: Outcome[LoginResult | None]) -> dict[str, Any]:
    if not outcome.ok:
        return {"device": outcome.device.label, "result": outcome.kind, "detail": outcome.reason}
    login = outcome.value
    if login is None:
        return {"device": outcome.device.label, "result": "unknown", "detail": "no credential stored"}
    if login.ok:
        flags = [
            name
            for name, on in (
                ("default password", login.is_default_password),
                ("risky password", login.is_risk_password),
            )
            if on
        ]
        return {"device": outcome.device.label, "result": "works", "detail": ", ".join(flags)}
    detail = (
        "locked"
        if login.locked
        else f"{login.attempts_left} attempts left"
        if login.attempts_left is not None
        else ""
    )
    return {"device": outcome.device.label, "result": "rejected", "detail": detail}


# ---------------------------------------------------------------------------------------------- rotation


def _rotation_rows(report: RotationReport) -> list[dict[str, Any]]:
    rows = [
        {
            "device": rotation.device,
            "state": rotation.state.value,
            "reason": rotation.reason,
            "attempts": rotation.attempts,
            "dependents": [{"target": target, "state": state} for target, state in rotation.dependents],
            "resumed": True,
        }
        for rotation in report.resumed
    ]
    for outcome in report.result.outcomes if report.result else []:
        if outcome.value is not None:
            rotation = outcome.value
            rows.append(
                {
                    "device": rotation.device,
                    "state": rotation.state.value,
                    "reason": rotation.reason,
                    "attempts": rotation.attempts,
                    "dependents": [
                        {"target": target, "state": state} for target, state in rotation.dependents
                    ],
                    "resumed": False,
                }
            )
        else:
            state = "skipped" if outcome.skipped else "not_started"
            rows.append(
                {
                    "device": outcome.device.label,
                    "state": state,
                    "reason": outcome.reason,
                    "attempts": 0,
                    "dependents": [],
                    "resumed": False,
                }
            )
    return rows


def _print_rotation(
    report: RotationReport, rows: list[dict[str, Any]], as_json: bool, consumers: list[str]
) -> None:
    if as_json:
        typer.echo(
            json.dumps(
                {"run": report.run_id, "stopped": report.stopped, "devices": rows, "consumers": consumers},
                indent=2,
            )
        )
        return
    table = Table("device", "state", "dependents", "detail")
    for row in rows:
        dependents = ", ".join(f"{d['target'].split('/')[-1]}:{d['state']}" for d in row["dependents"])
        style = (
            "green"
            if row["state"] == "done"
            else "yellow"
            if row["state"] in {"rolled_back", "skipped"}
            else "red"
        )
        table.add_row(
            Text(row["device"]), Text(row["state"], style=style), Text(dependents), Text(row["reason"])
        )
    _out().print(table)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["state"]] = counts.get(row["state"], 0) + 1
    _err().print(
        Text("rotation: " + ", ".join(f"{state} {count}" for state, count in sorted(counts.items())))
    )
    for line in consumers:
        _err().print(Text(line))
    if report.stopped:
        _err().print(Text(f"stopped early: {report.stopped}"))


@fleet_app.command("rotate")
def rotate(
    selection: SelectionArgument = None,
    group: Annotated[str | None, typer.Option("--group", help="Only devices of this group.")] = None,
    canary: Annotated[
        int,
        typer.Option("--canary", min=0, help="Devices rotated first, one by one; any failure stops the run."),
    ] = 1,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be rotated, change nothing.")
    ] = False,
    concurrency: ConcurrencyOption = 16,
    per_group_limit: Annotated[
        int | None, typer.Option("--per-group-limit", min=1, help="At most N devices of one group at once.")
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Only finish what an interrupted run left open.")
    ] = False,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Only the devices that failed in the last run.")
    ] = False,
    due: Annotated[
        bool, typer.Option("--due", help="Only devices whose password is older than their group's policy.")
    ] = False,
    verify_old: Annotated[
        bool,
        typer.Option(
            "--verify-old/--no-verify-old",
            help="Check the old password is refused (one attempt, when the budget allows).",
        ),
    ] = True,
    secrets_file: Annotated[
        Path | None,
        typer.Option("--secrets-file", help="Rewrite this secrets file (Frigate/go2rtc) afterwards."),
    ] = None,
    secrets_format: Annotated[str, typer.Option("--secrets-format", help="env or yaml.")] = "env",
    timeout: TimeoutOption = 180.0,
    as_json: JsonOption = False,
    db: DbOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Rotate device passwords to unique strong ones, crash-safe, without ever tripping a lock."""
    with _expected_failures(), Store.open(db) as store:
        vault = _unlock(store, key_file)
        session = FleetSession(store, vault, concurrency=concurrency)
        engine = RotationEngine(
            session,
            RotateOptions(
                canary=canary,
                concurrency=concurrency,
                per_group_limit=per_group_limit,
                timeout=timeout,
                verify_old=verify_old,
            ),
        )
        consumers = [SecretsFile(secrets_file, secrets_format)] if secrets_file else []
        with store.transaction(readonly=True) as conn:
            records = session.inventory().select(conn, selection or [], group=group)
            if due:
                records = selection_rules.due(conn, vault, records, session.clock.now())
            if retry_failed:
                records = selection_rules.retry_failed(conn, engine.journal, records)
            blocked = selection_rules.needing_recovery(conn, engine.journal)
            unfinished = engine.journal.unfinished(conn)
        skipped_recovery = [record.label for record in records if record.id in blocked]
        records = [record for record in records if record.id not in blocked and record.credential_ref]
        if resume:
            records = []
        if dry_run:
            plan = {
                "would_resume": len(unfinished),
                "would_rotate": [record.label for record in records],
                "needs_recovery": skipped_recovery,
            }
            typer.echo(
                json.dumps(plan, indent=2)
                if as_json
                else f"would resume {len(unfinished)} unfinished rotation(s) and rotate {len(records)} device(s)"
            )
            return

        async def run() -> RotationReport:
            try:
                with ProgressHooks("rotating", enabled=not as_json) as hooks:
                    return await engine.run(records, hooks=[hooks])
            finally:
                await session.aclose()

        report = aio.run(run())
        consumer_lines = engine.publish(consumers)
        rows = _rotation_rows(report)
        _print_rotation(report, rows, as_json, consumer_lines)
        for label in skipped_recovery:
            _err().print(Text(f"  {label}: skipped: needs recovery first ('camvault fleet recover {label}')"))
        if report.stopped or any(row["state"] != "done" for row in rows):
            raise typer.Exit(code=1)


@fleet_app.command("activate")
def activate(
    selection: SelectionArgument = None,
    concurrency: ConcurrencyOption = 16,
    canary: Annotated[int, typer.Option("--canary", min=0, help="Devices activated first, one by one.")] = 1,
    as_json: JsonOption = False,
    db: DbOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Activate every factory-fresh device in the selection, each with its own strong password."""
    with _expected_failures(), Store.open(db) as store:
        vault = _unlock(store, key_file)
        session = FleetSession(store, vault, concurrency=concurrency)
        engine = RotationEngine(session, RotateOptions(canary=canary, concurrency=concurrency))
        with store.transaction(readonly=True) as conn:
            records = session.inventory().select(conn, selection or [])

        async def run() -> RotationReport:
            try:
                fresh = await selection_rules.inactive(session, records, concurrency=concurrency)
                with ProgressHooks("activating", enabled=not as_json) as hooks:
                    return await engine.run(fresh, hooks=[hooks], activate=True)
            finally:
                await session.aclose()

        report = aio.run(run())
        rows = _rotation_rows(report)
        _print_rotation(report, rows, as_json, [])
        if any(row["state"] != "done" for row in rows):
            raise typer.Exit(code=1)


@fleet_app.command("policy")
def policy(
    group: Annotated[
        str | None, typer.Argument(help="The group ('*' for every group without its own).")
    ] = None,
    max_age: Annotated[
        int | None, typer.Option("--max-age", min=1, help="Maximum password age in days.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Show rotation policies, or set a group's maximum password age (then 'rotate --due' picks it up)."""
    with _expected_failures(), Store.open(db) as store:
        with store.transaction() as conn:
            if group is not None and max_age is not None:
                set_policy(conn, group, max_age)
            policies = rotation_policies(conn)
        for name, days in sorted(policies.items()):
            _out().print(Text(f"{name}: rotate passwords older than {days} days"))
        if not policies:
            _out().print(Text("no rotation policy; set one with: camvault fleet policy GROUP --max-age DAYS"))


# ---------------------------------------------------------------------------------------------- audit


@fleet_app.command("audit")
def audit_fleet(
    selection: SelectionArgument = None,
    as_json: JsonOption = False,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write a self-contained HTML report here.")
    ] = None,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            help="Exit 1 when a finding is at least this severe (critical, high, medium, low, info).",
        ),
    ] = None,
    details: Annotated[
        bool, typer.Option("--details", help="Show every finding's evidence and fix.")
    ] = False,
    catalogue_file: Annotated[
        Path | None,
        typer.Option("--catalogue", help="A firmware-advisory catalogue (default: the shipped one)."),
    ] = None,
    concurrency: ConcurrencyOption = 32,
    timeout: TimeoutOption = 60.0,
    db: DbOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Audit password and firmware hygiene: findings with severity, evidence and the fix (see docs/audit.md)."""
    with _expected_failures(), Store.open(db) as store:
        threshold = Severity.parse(fail_on) if fail_on else None
        catalogue = load_catalogue(read_bounded(catalogue_file)) if catalogue_file else default_catalogue()
        vault = _unlock(store, key_file)
        session = FleetSession(store, vault, concurrency=concurrency)
        with store.transaction(readonly=True) as conn:
            devices = session.inventory().select(conn, selection or [])

        async def run() -> FleetObservation:
            try:
                with ProgressHooks("auditing", enabled=not as_json) as hooks:
                    return await collect(
                        session,
                        devices,
                        runner=Runner(concurrency=concurrency, timeout=timeout, hooks=[hooks]),
                    )
            finally:
                await session.aclose()

        observation = aio.run(run())
        report = audit(observation, catalogue=catalogue, now=session.clock.now())
        if as_json:
            typer.echo(render_json(report), nl=False)
        else:
            _out().print(render_console(report, details=details))
        if html is not None:
            html.write_text(render_html(report), encoding="utf-8")
            _err().print(Text(f"HTML report written to {html}"))
        if threshold is not None:
            code = exit_code(report, threshold)
            if code:
                raise typer.Exit(code=code)


# ---------------------------------------------------------------------------------------------- discovery


@fleet_app.command("discover")
def discover(
    target: Annotated[
        list[str] | None,
        typer.Option("--target", help="Probe this address by unicast (repeatable); default 127.0.0.1."),
    ] = None,
    multicast: Annotated[
        bool, typer.Option("--multicast", help="Also probe the LAN multicast group (239.255.255.250).")
    ] = False,
    broadcast: Annotated[bool, typer.Option("--broadcast", help="Also probe by broadcast (SADP).")] = False,
    interface: Annotated[str | None, typer.Option("--interface", help="Local address to send from.")] = None,
    sadp: Annotated[bool, typer.Option("--sadp/--no-sadp", help="Search with SADP (Hikvision).")] = True,
    wsd: Annotated[bool, typer.Option("--wsd/--no-wsd", help="Search with WS-Discovery (ONVIF).")] = True,
    sadp_port: Annotated[int, typer.Option("--sadp-port", min=1, max=65535, help="SADP port.")] = 37020,
    wsd_port: Annotated[int, typer.Option("--wsd-port", min=1, max=65535, help="WS-Discovery port.")] = 3702,
    seconds: Annotated[float, typer.Option("--seconds", min=0.1, max=30, help="How long to listen.")] = 2.0,
    scan_ranges: Annotated[
        list[str] | None,
        typer.Option(
            "--scan", help="Also scan these addresses, networks or ranges (e.g. 192.168.1.0/24, repeatable)."
        ),
    ] = None,
    scan_ports: Annotated[
        str, typer.Option("--ports", help="Ports to scan, comma-separated.")
    ] = "80,8080,443",
    add: Annotated[bool, typer.Option("--add/--no-add", help="Add what is found to the inventory.")] = True,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Find Hikvision (SADP) and ONVIF (WS-Discovery) devices, and add them to the inventory."""
    with _expected_failures(), Store.open(db) as store:
        probing = Probing(
            targets=tuple(target or ["127.0.0.1"]),
            multicast=multicast,
            broadcast=broadcast,
            interface=interface,
            timeout=seconds,
        )

        addresses = parse_targets(scan_ranges or [])
        ports = _ports(scan_ports) if addresses else []

        async def run() -> tuple[list[DiscoveredDevice], list[ScanHit]]:
            searches = []
            if sadp:
                searches.append(discover_sadp(probing, port=sadp_port))
            if wsd:
                searches.append(discover_wsd(probing, port=wsd_port))
            found = await asyncio.gather(*searches)
            hits = await scan(addresses, ports) if addresses else []
            return [device for batch in found for device in batch], hits

        found, hits = aio.run(run())
        merged = _merge_discoveries(found)
        seen = {(record.host, record.port) for record in merged}
        merged += [
            DeviceRecord.new(f"{hit.host}:{hit.port}", hit.vendor, hit.host, port=hit.port, source="scan")
            for hit in hits
            if (hit.host, hit.port) not in seen
        ]
        found_activation = {(hit.host, hit.port): hit.activated for hit in hits}
        added = 0
        if add:
            session = FleetSession(store, None)
            with store.transaction() as conn:
                inventory = session.inventory()
                for record in merged:
                    _, created = inventory.upsert(conn, record)
                    added += int(created)
        rows = [
            _device_row(record)
            | {
                "activated": activated
                if activated is not None
                else found_activation.get((record.host, record.port))
            }
            for record, activated in zip(merged, _activation(found, merged), strict=True)
        ]
        if as_json:
            typer.echo(json.dumps(rows, indent=2))
        else:
            table = Table("label", "vendor", "model", "serial", "address", "firmware", "activated")
            for row in rows:
                table.add_row(
                    *(
                        Text(str(row[key] if row[key] is not None else ""))
                        for key in ("label", "vendor", "model", "serial", "address", "firmware", "activated")
                    )
                )
            _out().print(table)
        _err().print(
            Text(
                f"found {len(merged)} devices; {added} new in the inventory"
                if add
                else f"found {len(merged)} devices"
            )
        )


def _merge_discoveries(found: list[DiscoveredDevice]) -> list[DeviceRecord]:
    """One inventory record per device seen by SADP and/or WS-Discovery (SADP wins: it knows more)."""
    by_key: dict[str, DeviceRecord] = {}
    for device in sorted(found, key=lambda d: d.protocol.value != "sadp"):
        key = device.mac or device.serial or f"{device.address}:{device.http_port}"
        if key in by_key:
            continue
        vendor = "hikvision" if device.protocol.value == "sadp" else "onvif"
        port = device.http_port or _xaddr_port(device.xaddrs) or 80
        label = device.name or device.serial or f"{device.address}:{port}"
        by_key[key] = DeviceRecord.new(
            label[:128],
            vendor,
            device.address,
            port=port,
            model=device.model,
            serial=device.serial,
            mac=device.mac,
            firmware=device.firmware,
            source="sadp" if vendor == "hikvision" else "wsd",
        )
    return list(by_key.values())


def _ports(text: str) -> list[int]:
    try:
        ports = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ConfigurationError("--ports is a comma-separated list of port numbers") from None
    if not ports or len(ports) > 16:
        raise ConfigurationError("--ports names 1 to 16 ports")
    return ports


def _xaddr_port(xaddrs: tuple[str, ...]) -> int | None:
    for xaddr in xaddrs:
        port = urlsplit(xaddr).port
        if port:
            return port
    return None


def _activation(found: list[DiscoveredDevice], merged: list[DeviceRecord]) -> list[bool | None]:
    by_mac = {device.mac: device.activated for device in found if device.mac}
    return [by_mac.get(record.mac) if record.mac else None for record in merged]
