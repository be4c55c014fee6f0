"""``camvault support``: the vendor-support service from the command line.

Settings come from options or the environment:

* ``--db`` / ``CAMVAULT_SUPPORT_DB``: the cases database (SQLite).
* ``--keys`` / ``CAMVAULT_SUPPORT_KEYS``: the key directory.
* ``CAMVAULT_SUPPORT_PASSPHRASE``: the passphrase of the private keys. Never an option, so that it stays out
  of shell history and process lists.
* ``--operator`` / ``CAMVAULT_SUPPORT_OPERATOR``: who is acting (defaults to the login name), for the audit.

The one thing this command prints that is secret is the reset code ``case issue`` was asked for.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import platformdirs
import typer

from camvault.clock import SystemClock
from camvault.errors import CamvaultError, CaseNotFound, ConfigurationError, RequestRejected
from camvault.protocols.resetcode import MAX_REQUEST_FILE_BYTES
from camvault.support import keys as vendor_keys
from camvault.support.audit import AuditLog
from camvault.support.policy import PolicyConfig
from camvault.support.service import CaseDetails, SupportService
from camvault.support.store import Case, CaseStatus, SupportStore

__all__ = ["support_app"]

# names of environment variables, not secrets
PASSPHRASE_ENV = "CAMVAULT_SUPPORT_PASSPHRASE"  # noqa: S105
FACTORY_PASSPHRASE_ENV = "CAMVAULT_FACTORY_PASSPHRASE"  # noqa: S105

support_app = typer.Typer(
    name="support",
    help="Vendor support: signed reset requests, cases, one-time reset codes, keys and audit.",
    no_args_is_help=True,
)
keys_app = typer.Typer(help="The device CA and the reset-signing keys.", no_args_is_help=True)
case_app = typer.Typer(help="Reset-request cases.", no_args_is_help=True)
stolen_app = typer.Typer(help="Serial numbers reported stolen.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
support_app.add_typer(keys_app, name="keys")
support_app.add_typer(case_app, name="case")
support_app.add_typer(stolen_app, name="stolen")
support_app.add_typer(audit_app, name="audit")

_DATA = platformdirs.user_data_path("camvault")
OperatorOption = Annotated[
    str | None,
    typer.Option(
        "--operator", envvar="CAMVAULT_SUPPORT_OPERATOR", help="Who is acting (default: login name)."
    ),
]
DirOption = Annotated[Path | None, typer.Option("--dir", help="Key directory (default: --keys).")]


@dataclass(frozen=True, slots=True)
class _Settings:
    database: Path
    key_dir: Path
    policy: PolicyConfig


@support_app.callback()
def _support(
    ctx: typer.Context,
    *,
    database: Annotated[
        Path, typer.Option("--db", envvar="CAMVAULT_SUPPORT_DB", help="Cases database.")
    ] = _DATA / "support.sqlite",
    key_dir: Annotated[
        Path, typer.Option("--keys", envvar="CAMVAULT_SUPPORT_KEYS", help="Key directory.")
    ] = _DATA / "support-keys",
    validity_hours: Annotated[float, typer.Option(help="Oldest request accepted, in hours.")] = 48.0,
    max_per_day: Annotated[int, typer.Option(help="Requests per serial in 24 hours.")] = 3,
    max_per_week: Annotated[int, typer.Option(help="Requests per serial in 7 days.")] = 10,
) -> None:
    """Vendor support: signed reset requests, cases, one-time reset codes, keys and audit."""
    with _errors():
        try:
            policy = PolicyConfig(
                validity_window=timedelta(hours=validity_hours),
                max_requests_per_day=max_per_day,
                max_requests_per_week=max_per_week,
            )
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from None
    ctx.obj = _Settings(database, key_dir, policy)


# ------------------------------------------------------------------------------------------------- keys


@keys_app.command("init")
def keys_init(
    ctx: typer.Context,
    directory: DirOption = None,
    ca_name: Annotated[str, typer.Option(help="Common name of the device CA.")] = "camvault device CA",
    insecure_no_passphrase: Annotated[
        bool, typer.Option(help=f"Write private keys unencrypted when {PASSPHRASE_ENV} is unset.")
    ] = False,
) -> None:
    """Create the device CA and the reset-signing keys (current and next), owner-only."""
    with _errors():
        passphrase = _passphrase(required=not insecure_no_passphrase)
        target = directory or _settings(ctx).key_dir
        keyring = vendor_keys.init_keys(
            target, passphrase=passphrase, now=SystemClock().now(), ca_name=ca_name
        )
        typer.echo(f"keys created in {target}")
        _print_keyring(keyring)


@keys_app.command("rotate")
def keys_rotate(ctx: typer.Context, directory: DirOption = None) -> None:
    """Make the next reset key current, create a new next one, retire the old current key."""
    with _errors():
        target = directory or _settings(ctx).key_dir
        keyring = vendor_keys.rotate_keys(target, passphrase=_passphrase(), now=SystemClock().now())
        typer.echo("rotated; give devices the new trust bundle (keys export-trust)")
        _print_keyring(keyring)


@keys_app.command("export-trust")
def keys_export_trust(
    ctx: typer.Context,
    directory: DirOption = None,
    out: Annotated[Path | None, typer.Option(help="Write to this file instead of standard output.")] = None,
) -> None:
    """Export the trust bundle devices get at manufacture (reset public keys, current and next)."""
    with _errors():
        bundle = vendor_keys.export_trust_bundle(
            vendor_keys.load_public_keyring(directory or _settings(ctx).key_dir)
        )
        if out is None:
            typer.echo(bundle.decode("ascii"), nl=False)
        else:
            out.write_bytes(bundle)
            typer.echo(f"trust bundle written to {out}")


@keys_app.command("export-factory")
def keys_export_factory(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="New directory for the lab's factory material.")],
    directory: DirOption = None,
) -> None:
    """Export what the lab needs to manufacture devices: device CA key and certificate, trust bundle.

    The exported CA key is encrypted with CAMVAULT_FACTORY_PASSPHRASE when it is set.
    """
    with _errors():
        written = vendor_keys.export_factory_material(
            directory or _settings(ctx).key_dir,
            out,
            passphrase=_passphrase(),
            export_passphrase=os.environ.get(FACTORY_PASSPHRASE_ENV) or None,
        )
        for path in written:
            typer.echo(f"wrote {path}")


# ------------------------------------------------------------------------------------------------ serve


@support_app.command("serve")
def serve(
    ctx: typer.Context,
    *,
    operators: Annotated[Path, typer.Option(help='Owner-only JSON file {"name": "token", ...}.')],
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8750,
    two_person_rule: Annotated[
        bool, typer.Option(help="Approver must differ from ownership verifier.")
    ] = False,
    secure_cookies: Annotated[bool, typer.Option(help="Mark cookies Secure (behind HTTPS).")] = False,
) -> None:
    """Serve the operators' web pages and JSON API."""
    # Only this command needs the web stack; importing it lazily keeps every other command quick.
    import uvicorn  # noqa: PLC0415

    from camvault.support.web import create_app  # noqa: PLC0415

    with _errors(), _service(ctx, two_person_rule=two_person_rule) as service:
        app = create_app(service, operator_tokens=_operator_tokens(operators), secure_cookies=secure_cookies)
        uvicorn.run(app, host=host, port=port)


# ------------------------------------------------------------------------------------------------ cases


@case_app.command("receive")
def case_receive(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="The request file the owner sent.", exists=True, dir_okay=False)
    ],
    operator: OperatorOption = None,
) -> None:
    """Record a reset request, verify its certificate and signature, and apply the policy."""
    with _errors(), _service(ctx) as service:
        data = _read_bounded(file)
        case = service.receive_request(data, actor=_operator(operator))
        _print_case(service.show_case(case.id))
        if case.status == CaseStatus.REFUSED:
            raise typer.Exit(1)


@case_app.command("list")
def case_list(
    ctx: typer.Context,
    status: Annotated[CaseStatus | None, typer.Option(help="Only cases in this status.")] = None,
) -> None:
    """List cases, newest first."""
    with _errors(), _service(ctx) as service:
        cases = service.list_cases(status=status)
        if not cases:
            typer.echo("no cases")
        for case in cases:
            typer.echo(_case_line(case))


@case_app.command("show")
def case_show(ctx: typer.Context, case_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Show a case: device, request time, clock skew, decisions, issued code, history."""
    with _errors(), _service(ctx) as service:
        _print_case(service.show_case(case_id))


@case_app.command("verify-ownership")
def case_verify_ownership(
    ctx: typer.Context,
    case_id: Annotated[int, typer.Argument(metavar="ID")],
    operator: Annotated[str, typer.Option(help="Who verified ownership.")],
    note: Annotated[str, typer.Option(help="How ownership was verified.")],
) -> None:
    """Record the ownership verification an operator performed."""
    with _errors(), _service(ctx) as service:
        case = service.record_ownership(case_id, operator=operator, note=note)
        typer.echo(f"case {case.id}: ownership verification recorded by {case.ownership_operator}")


@case_app.command("approve")
def case_approve(
    ctx: typer.Context, case_id: Annotated[int, typer.Argument(metavar="ID")], operator: OperatorOption = None
) -> None:
    """Approve a verified case whose ownership check is recorded."""
    with _errors(), _service(ctx) as service:
        case = service.approve(case_id, operator=_operator(operator))
        typer.echo(f"case {case.id}: {case.status}")


@case_app.command("refuse")
def case_refuse(
    ctx: typer.Context,
    case_id: Annotated[int, typer.Argument(metavar="ID")],
    reason: Annotated[str, typer.Option(help="Why (shown to whoever reads the case).")],
    operator: OperatorOption = None,
) -> None:
    """Refuse a case."""
    with _errors(), _service(ctx) as service:
        case = service.refuse(case_id, operator=_operator(operator), reason=reason)
        typer.echo(f"case {case.id}: {case.status}")


@case_app.command("issue")
def case_issue(
    ctx: typer.Context,
    case_id: Annotated[int, typer.Argument(metavar="ID")],
    out: Annotated[
        Path | None, typer.Option(help="Also write the code file here (new file, mode 0600).")
    ] = None,
    sync_ipc_password: Annotated[
        bool, typer.Option(help="Also reset the passwords an NVR uses for its cameras.")
    ] = False,
    operator: OperatorOption = None,
) -> None:
    """Issue the reset code of an approved case and print it (once)."""
    with _errors(), _service(ctx) as service:
        if out is not None and out.exists():
            raise ConfigurationError(f"{out} already exists")
        issued = service.issue_code(
            case_id, operator=_operator(operator), sync_ipc_password=sync_ipc_password
        )
        if out is not None:
            vendor_keys.write_private_file(out, issued.file, overwrite=False)
        typer.echo(f"case {issued.case_id}, serial {issued.serial}, code id {issued.code_id}")
        typer.echo(f"valid until {issued.expiry_on_device_clock:%Y-%m-%d %H:%M} UTC on the device's clock")
        typer.echo(f"fingerprint {issued.fingerprint}" + (f"; code file {out}" if out else ""))
        typer.echo("")
        typer.echo(issued.typed)


# ------------------------------------------------------------------------------------------ stolen, audit


@stolen_app.command("add")
def stolen_add(
    ctx: typer.Context,
    serial: Annotated[str, typer.Argument(help="The serial number.")],
    note: Annotated[str, typer.Option(help="Report reference.")] = "",
    operator: OperatorOption = None,
) -> None:
    """Report a serial stolen: its requests are refused from now on."""
    with _errors(), _service(ctx) as service:
        entry = service.report_stolen(serial, operator=_operator(operator), note=note)
        typer.echo(f"{entry.serial} reported stolen")


@audit_app.command("verify")
def audit_verify(
    ctx: typer.Context,
    head: Annotated[
        str | None, typer.Option(help="A head SEQ:HASH printed earlier; it must still be in the log.")
    ] = None,
) -> None:
    """Check every entry's hash, chain link and signature; name the first bad entry."""
    with _errors():
        expected = _parse_head(head)
        settings = _settings(ctx)
        keyring = vendor_keys.load_public_keyring(settings.key_dir)
        store = SupportStore.open(settings.database)
        try:
            report = AuditLog(store).verify(public_keys=keyring.all_public_keys(), expected_head=expected)
        finally:
            store.close()
    if report.ok:
        typer.echo(f"audit log intact: {report.entries} entries")
        typer.echo(f"head {report.head_seq}:{report.head_hash}")
        return
    typer.echo(f"audit log BROKEN at entry {report.first_bad_seq}: {report.problem}", err=True)
    raise typer.Exit(1)


# -------------------------------------------------------------------------------------------- plumbing


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except (RequestRejected, CaseNotFound) as exc:
        typer.echo(f"refused ({exc.reason}): {exc}", err=True)
        raise typer.Exit(1) from None
    except CamvaultError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@contextmanager
def _service(ctx: typer.Context, *, two_person_rule: bool = False) -> Iterator[SupportService]:
    settings = _settings(ctx)
    loaded = vendor_keys.load_vendor_keys(settings.key_dir, _passphrase())
    store = SupportStore.open(settings.database)
    try:
        yield SupportService(
            store, loaded, clock=SystemClock(), policy=settings.policy, two_person_rule=two_person_rule
        )
    finally:
        store.close()


def _settings(ctx: typer.Context) -> _Settings:
    settings = ctx.find_object(_Settings)
    assert settings is not None
    return settings


def _passphrase(*, required: bool = False) -> str | None:
    passphrase = os.environ.get(PASSPHRASE_ENV) or None
    if passphrase is None and required:
        raise ConfigurationError(
            f"set {PASSPHRASE_ENV} to encrypt the private keys (or pass --insecure-no-passphrase)"
        )
    return passphrase


def _operator(operator: str | None) -> str:
    return operator or getpass.getuser()


def _operator_tokens(path: Path) -> dict[str, str]:
    vendor_keys.check_private_file(path)
    try:
        tokens = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ConfigurationError(f"{path} is not a readable JSON file") from None
    if not isinstance(tokens, dict) or not all(isinstance(v, str) for v in tokens.values()):
        raise ConfigurationError(f'{path} must be a JSON object {{"operator": "token", ...}}')
    return tokens


def _read_bounded(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(MAX_REQUEST_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror}") from None


def _parse_head(head: str | None) -> tuple[int, str] | None:
    if head is None:
        return None
    seq, _, digest = head.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise ConfigurationError("--head must be SEQ:HASH as printed by audit verify")
    return int(seq), digest.lower()


def _print_keyring(keyring: vendor_keys.PublicKeyring) -> None:
    typer.echo(f"device CA: {keyring.device_ca.subject.rfc4514_string()}")
    for info in keyring.reset_keys:
        typer.echo(f"reset key {info.key_id:04x}: {info.role}")


def _case_line(case: Case) -> str:
    refusal = f" ({case.refusal_reason})" if case.refusal_reason else ""
    return (
        f"{case.id:>5}  {case.status.value:<9}{refusal}  {case.serial}  {case.model}  "
        f"received {case.received_at:%Y-%m-%d %H:%M}"
    )


def _print_case(details: CaseDetails) -> None:
    case = details.case
    skew = int(case.skew.total_seconds())
    lines = [
        f"case {case.id}: {case.status.value}",
        f"  serial        {case.serial}",
        f"  model         {case.model}",
        f"  MAC           {case.mac}",
        f"  firmware      {case.firmware}",
        f"  request time  {case.device_time:%Y-%m-%d %H:%M:%S} UTC (device clock)",
        f"  received      {case.received_at:%Y-%m-%d %H:%M:%S} UTC",
        f"  clock skew    {skew:+d} s (device minus service, includes the time before upload)",
        f"  expires       {case.request_expiry:%Y-%m-%d %H:%M:%S} UTC (device clock)",
        f"  signature     {'verified' if case.signature_verified else 'NOT verified'}",
    ]
    if case.refusal_reason:
        lines.append(f"  refused       {case.refusal_reason}: {case.refusal_message}")
    if case.ownership_operator:
        lines.append(f"  ownership     verified by {case.ownership_operator}: {case.ownership_note}")
    if details.issued:
        issued = details.issued
        lines.append(
            f"  code          id {issued.code_id}, key {issued.key_id:04x}, "
            f"fingerprint {issued.fingerprint}, issued by {issued.issued_by}"
        )
    lines.append("  history")
    lines += [
        f"    {entry.seq:>5} {entry.time:%Y-%m-%d %H:%M:%S} {entry.actor}: {entry.action}"
        for entry in details.history
    ]
    typer.echo("\n".join(lines))
