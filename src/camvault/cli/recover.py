"""``camvault fleet recover`` and ``camvault fleet backup``: back into a device, least destructive path first.

``recover`` shows every path and what it costs, then walks them (see :mod:`camvault.fleet.recovery.guide`).
What only the owner has (answers, a GUID file, the vendor's code, the final yes to a factory reset) comes
from options or, on a terminal, from prompts that do not echo. Exit codes: 0 recovered (or nothing to do),
1 failed, 3 waiting for the vendor's code, 4 waiting for the owner (a confirmation, or the device).
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.table import Table
from rich.text import Text

from camvault.cli import aio
from camvault.cli.fleet import JsonOption, SelectionArgument, _err, _expected_failures, _out, _unlock
from camvault.cli.vault import DbOption, KeyFileOption
from camvault.device.lab.control import read_control_file
from camvault.errors import ConfigurationError
from camvault.fleet.drivers import Credential, SecurityQuestion
from camvault.fleet.inventory import DeviceRecord
from camvault.fleet.recovery import (
    Assessment,
    RecoveryGuide,
    RecoveryOptions,
    RecoveryOutcome,
    RecoveryResult,
    list_backups,
    take_backup,
)
from camvault.fleet.runner import Runner
from camvault.fleet.session import FleetSession
from camvault.fleet.store import Store
from camvault.fleet.vault import read_bounded
from camvault.protocols.sadp import PORT as SADP_PORT

__all__ = ["TerminalOwner", "backup", "recover"]

EXIT_CODES = {
    RecoveryOutcome.RECOVERED: 0,
    RecoveryOutcome.NOTHING_TO_DO: 0,
    RecoveryOutcome.FAILED: 1,
    RecoveryOutcome.WAITING_FOR_VENDOR: 3,
    RecoveryOutcome.NEEDS_OWNER: 4,
}

MAX_ANSWERS_FILE = 16 * 1024
MAX_GUID_FILE = 64 * 1024
MAX_CODE_FILE = 64 * 1024

RESET_INSTRUCTIONS = (
    "At the device: keep it powered, find the RESET button (a pinhole near the power and network sockets, "
    "or on the main board behind the cover), press and hold it for 15 seconds until the status light "
    "blinks, then release it. The device restarts in one to three minutes and comes back inactive; "
    "camvault is watching for it."
)


class TerminalOwner:
    """The owner at a terminal: options first, then prompts that do not echo (when stdin is a terminal)."""

    def __init__(
        self,
        *,
        factory_reset: bool,
        yes: bool,
        answers_file: Path | None,
        guid_file: Path | None,
        code: str | None,
        code_file: Path | None,
        request_out: Path | None,
        access_user: str | None,
        recordings: Path | None,
        lab_state: Path | None,
    ) -> None:
        self.factory_reset_allowed = factory_reset
        self._yes = yes
        self._answers_file = answers_file
        self._guid_file = guid_file
        self._code = code
        self._code_file = code_file
        self._request_out = request_out
        self._access_user = access_user
        self._recordings = recordings
        self._lab_state = lab_state
        self._interactive = sys.stdin.isatty()

    def tell(self, message: str) -> None:
        """Print a progress line."""
        _err().print(Text(f"  {message}"))

    def answers(self, questions: Sequence[SecurityQuestion]) -> dict[int, str] | None:
        """From ``--answers FILE`` (a JSON object: question id -> answer), else asked without echo."""
        if self._answers_file is not None:
            return _read_answers(self._answers_file, questions)
        if not self._interactive:
            return None
        self.tell("the device asks its security questions (answers are not shown; empty to skip):")
        answers = {}
        for question in questions:
            answer = getpass.getpass(f"    {question.text} ")
            if not answer:
                return None
            answers[question.id] = answer
        return answers

    def guid_file(self) -> bytes | None:
        """The ``--guid-file``."""
        return read_bounded(self._guid_file, max_bytes=MAX_GUID_FILE) if self._guid_file else None

    def reset_code(self) -> str | bytes | None:
        """``--code`` or ``--code-file``."""
        if self._code == "-":
            typed = (
                getpass.getpass("  the vendor's code (not shown): ")
                if self._interactive
                else sys.stdin.readline()
            )
            return typed.strip() or None
        if self._code:
            return self._code.strip()
        if self._code_file is not None:
            return read_bounded(self._code_file, max_bytes=MAX_CODE_FILE)
        return None

    def save_request(self, record: DeviceRecord, data: bytes) -> str:
        """Write the request file (it holds no secret) where ``--request-out`` says, or in the current directory."""
        path = self._request_out or Path(f"ResetRequest_{record.serial or record.label}.txt")
        path.write_bytes(data)
        return str(path)

    def remaining_access(self) -> Credential | None:
        """``--access-user`` with its password asked without echo."""
        if self._access_user is None:
            return None
        if not self._interactive:
            raise ConfigurationError("--access-user needs a terminal to ask for its password")
        return Credential(self._access_user, getpass.getpass(f"  password of {self._access_user}: "))

    def recordings_dir(self) -> Path | None:
        """``--save-recordings``."""
        return self._recordings

    def confirm_factory_reset(self, record: DeviceRecord, consequences: Sequence[str]) -> bool:
        """Show what a reset erases and keeps; ``--yes`` or typing the device's label confirms."""
        _err().print(Text(f"A factory reset of {record.label}:", style="bold red"))
        for line in consequences:
            _err().print(Text(f"  - {line}"))
        if self._yes:
            return True
        if not self._interactive:
            return False
        typed = input(f"Type {record.label} to reset it: ").strip()
        return typed == record.label

    async def press_reset_button(self, record: DeviceRecord) -> None:
        """In a lab (``--lab``) press it through the control API; otherwise tell the owner how."""
        if self._lab_state is None:
            _err().print(Text(RESET_INSTRUCTIONS, style="bold"))
            return
        url, token = read_control_file(self._lab_state)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(timeout=30) as client:
            manifest = (await client.get(f"{url}/v1/lab", headers=headers)).json()
            label = _lab_label(manifest, record)
            reply = await client.post(
                f"{url}/v1/devices/{label}/reset-button", json={"seconds": 15}, headers=headers
            )
        if reply.status_code != 200:
            raise ConfigurationError(
                f"the lab would not press the button of {label} (HTTP {reply.status_code})"
            )
        self.tell(f"the lab pressed the reset button of {label} for 15 s")


def recover(
    device: Annotated[str, typer.Argument(help="The device (label, serial or address).")],
    plan: Annotated[bool, typer.Option("--plan", help="Only show the paths; touch nothing.")] = False,
    answers: Annotated[
        Path | None, typer.Option("--answers", help="JSON file: question id -> answer.", show_default=False)
    ] = None,
    guid_file: Annotated[
        Path | None,
        typer.Option("--guid-file", help="A GUID file exported from the device.", show_default=False),
    ] = None,
    code: Annotated[
        str | None,
        typer.Option(
            "--code",
            help="The vendor's one-time code; '-' asks for it without echo (or reads stdin): out of ps and history.",
            show_default=False,
        ),
    ] = None,
    code_file: Annotated[
        Path | None, typer.Option("--code-file", help="The vendor's code file.", show_default=False)
    ] = None,
    request_out: Annotated[
        Path | None,
        typer.Option("--request-out", help="Where to write the vendor-support request.", show_default=False),
    ] = None,
    factory_reset: Annotated[
        bool, typer.Option("--factory-reset", help="If nothing gentler works, reset to factory defaults.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Confirm the factory reset without asking.")] = False,
    lab: Annotated[
        Path | None,
        typer.Option("--lab", help="The lab's state directory: press its reset button.", show_default=False),
    ] = None,
    access_user: Annotated[
        str | None,
        typer.Option(
            "--access-user", help="A login that still works, for backups first.", show_default=False
        ),
    ] = None,
    save_recordings: Annotated[
        Path | None,
        typer.Option(
            "--save-recordings", help="Copy the recordings here before a reset.", show_default=False
        ),
    ] = None,
    wait: Annotated[float, typer.Option("--wait", min=1, help="Seconds to wait for a reset device.")] = 900.0,
    no_rotate: Annotated[
        bool, typer.Option("--no-rotate", help="Keep a password found in the vault history (no rotation).")
    ] = False,
    over_sadp: Annotated[
        bool,
        typer.Option(
            "--sadp",
            help="Run vendor support (export, code) over SADP, like the vendor's tool: for a device whose "
            "web port is out of reach. Needs its MAC in the inventory.",
        ),
    ] = False,
    sadp_port: Annotated[
        int, typer.Option("--sadp-port", min=1, max=65535, help="The devices' SADP port.")
    ] = SADP_PORT,
    as_json: JsonOption = False,
    db: DbOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Get back into a device whose password is lost, down the least destructive path that works."""
    owner = TerminalOwner(
        factory_reset=factory_reset,
        yes=yes,
        answers_file=answers,
        guid_file=guid_file,
        code=code,
        code_file=code_file,
        request_out=request_out,
        access_user=access_user,
        recordings=save_recordings,
        lab_state=lab,
    )
    options = RecoveryOptions(
        rotate_after=not no_rotate, reset_wait_seconds=wait, vendor_over_sadp=over_sadp, sadp_port=sadp_port
    )
    with _expected_failures(), Store.open(db) as store:
        vault = _unlock(store, key_file)
        session = FleetSession(store, vault, concurrency=4)
        with store.transaction(readonly=True) as conn:
            record = session.inventory().get(conn, device)
        guide = RecoveryGuide(session, owner, options)

        async def run() -> tuple[Assessment, RecoveryResult | None]:
            try:
                assessment = await guide.assess(record)
                if not as_json:
                    _show_plan(assessment)
                return assessment, None if plan else await guide.recover(record)
            finally:
                await session.aclose()

        assessment, result = aio.run(run())
    if as_json:
        _out().print_json(json.dumps(_json(assessment, result)))
    if result is None:
        return
    if not as_json:
        style = "green" if result.outcome is RecoveryOutcome.RECOVERED else "yellow"
        _out().print(Text(f"{record.label}: {result.outcome.value}: {result.message}", style=style))
        if result.outcome is RecoveryOutcome.RECOVERED:
            _out().print(
                Text(f"  the password is in the vault: camvault vault reveal {record.credential_ref or ''}")
            )
    raise typer.Exit(code=EXIT_CODES[result.outcome])


def backup(
    selection: SelectionArgument = None,
    list_only: Annotated[bool, typer.Option("--list", help="Only list the stored backups.")] = False,
    as_json: JsonOption = False,
    db: DbOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Store each device's configuration (encrypted by the device with a key only the vault holds)."""
    with _expected_failures(), Store.open(db) as store:
        vault = _unlock(store, key_file)
        session = FleetSession(store, vault, concurrency=8)
        with store.transaction(readonly=True) as conn:
            records = session.inventory().select(conn, selection or [])
        if not list_only:

            async def one(record: DeviceRecord) -> int:
                credential = session.credential(record)
                if credential is None:
                    raise ConfigurationError(f"{record.label}: no password in the vault")
                return (await take_backup(session, record, credential)).size

            async def run() -> None:
                try:
                    result = await Runner(concurrency=4, timeout=120).run(records, one)
                finally:
                    await session.aclose()
                for outcome in result.outcomes:
                    line = f"{outcome.device.label}: " + (
                        f"backed up ({outcome.value} bytes)"
                        if outcome.ok
                        else f"{outcome.kind}: {outcome.reason}"
                    )
                    _err().print(Text(line))

            aio.run(run())
        rows: list[dict[str, Any]] = []
        with store.transaction(readonly=True) as conn:
            for record in records:
                rows.extend(
                    {
                        "device": record.label,
                        "taken": item.created_at.isoformat(),
                        "size": item.size,
                        "firmware": item.firmware,
                        "password_version": item.credential_version,
                    }
                    for item in list_backups(conn, record.id)
                )
    if as_json:
        _out().print_json(json.dumps(rows))
        return
    table = Table("device", "taken", "size", "firmware", "password version")
    for row in rows:
        table.add_row(
            row["device"], row["taken"], str(row["size"]), row["firmware"], str(row["password_version"])
        )
    _out().print(table)


def _show_plan(assessment: Assessment) -> None:
    record = assessment.record
    state = (
        "unreachable"
        if not assessment.reachable
        else "inactive (factory state)"
        if assessment.activated is False
        else "active"
    )
    _out().print(
        Text(f"{record.label} ({record.model or 'unknown model'}, {record.host}:{record.port}): {state}")
    )
    table = Table("path", "available", "what it takes")
    for option in assessment.options:
        mark = ("yes" if option.available else "no") + (" (erases)" if option.destructive else "")
        table.add_row(option.path.value, mark, Text(option.explanation))
    _out().print(table)


def _json(assessment: Assessment, result: RecoveryResult | None) -> dict[str, Any]:
    return {
        "device": assessment.record.label,
        "reachable": assessment.reachable,
        "activated": assessment.activated,
        "paths": [
            {
                "path": option.path.value,
                "available": option.available,
                "destructive": option.destructive,
                "explanation": option.explanation,
            }
            for option in assessment.options
        ],
        "result": None
        if result is None
        else {
            "outcome": result.outcome.value,
            "path": result.path.value if result.path else None,
            "message": result.message,
            "request_file": result.request_file,
        },
    }


def _read_answers(path: Path, questions: Sequence[SecurityQuestion]) -> dict[int, str]:
    try:
        loaded = json.loads(read_bounded(path, max_bytes=MAX_ANSWERS_FILE))
    except (ValueError, UnicodeDecodeError):
        raise ConfigurationError(f"{path}: not a JSON object of question id -> answer") from None
    if not isinstance(loaded, dict) or not all(isinstance(value, str) for value in loaded.values()):
        raise ConfigurationError(f"{path}: not a JSON object of question id -> answer")
    try:
        answers = {int(key): value for key, value in loaded.items()}
    except ValueError:
        raise ConfigurationError(f"{path}: question ids must be numbers") from None
    missing = [question.id for question in questions if question.id not in answers]
    if missing:
        raise ConfigurationError(f"{path}: no answer for question(s) {', '.join(map(str, missing))}")
    return {question.id: answers[question.id] for question in questions}


def _lab_label(manifest: Any, record: DeviceRecord) -> str:
    devices = manifest.get("devices", []) if isinstance(manifest, dict) else []
    for device in devices:
        if (
            isinstance(device, dict)
            and device.get("address") == record.host
            and device.get("http_port") == record.port
        ):
            return str(device["label"])
    raise ConfigurationError(f"{record.label} ({record.host}:{record.port}) is not a device of this lab")
