"""``camvault lab``: run a lab of emulated devices, and press its buttons from another terminal."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Any

import httpx
import platformdirs
import typer
from rich.console import Console
from rich.table import Table

from camvault.cli import aio
from camvault.device.lab.control import read_control_file
from camvault.device.lab.runner import RunningLab, credentials_path, run_lab
from camvault.device.lab.scenario import LabSettings, Scenario, generated_scenario, load_scenario
from camvault.errors import CamvaultError, ConfigurationError

lab_app = typer.Typer(help="Run emulated cameras and NVRs, and act on them as a person with physical access.")
console = Console()


def default_state_dir() -> Path:
    """Where a lab keeps its state unless told otherwise."""
    return Path(platformdirs.user_state_dir("camvault")) / "lab"


StateOption = Annotated[Path | None, typer.Option("--state", help="The lab's state directory.")]


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code=1)


@lab_app.command("run")
def run(
    scenario: Annotated[
        Path | None, typer.Option("--scenario", help="A scenario file (TOML or YAML).")
    ] = None,
    devices: Annotated[
        int | None, typer.Option("--devices", min=1, max=20000, help="Generate a mixed fleet of N devices.")
    ] = None,
    state: StateOption = None,
    manifest: Annotated[
        Path | None, typer.Option("--manifest", help="Where to write the manifest (JSON).")
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Seed for identities and generated passwords.")
    ] = None,
    addressing: Annotated[
        str | None, typer.Option("--addressing", help="'ports' (127.0.0.1, a port each) or 'addresses'.")
    ] = None,
    base_port: Annotated[
        int | None, typer.Option("--base-port", help="First port in 'ports' mode (default: any free).")
    ] = None,
    vendor_keys: Annotated[
        Path | None,
        typer.Option(
            "--vendor-keys",
            help="Factory material from 'camvault support keys export-factory' for new devices (default: "
            "[lab] vendor_keys, else a throwaway vendor in the state directory); an encrypted CA key is "
            "opened with CAMVAULT_FACTORY_PASSPHRASE.",
        ),
    ] = None,
) -> None:
    """Run a lab until Ctrl-C; state survives a restart with the same --state."""
    state_dir = state or default_state_dir()
    try:
        chosen = _scenario(scenario, devices, seed)
        settings = _settings(chosen, addressing, base_port, vendor_keys)
    except CamvaultError as exc:
        raise _fail(str(exc)) from None
    manifest_path = manifest or state_dir / "manifest.json"

    async def ready(running: RunningLab) -> None:
        show_lab(running)

    try:
        aio.run(
            run_lab(
                state_dir, scenario=chosen, manifest_path=manifest_path, settings=settings, on_ready=ready
            )
        )
    except CamvaultError as exc:
        raise _fail(str(exc)) from None
    console.print("lab stopped; state saved in", str(state_dir))


def _scenario(path: Path | None, devices: int | None, seed: int | None) -> Scenario | None:
    if path is not None and devices is not None:
        raise ConfigurationError("give --scenario or --devices, not both")
    if path is not None:
        return load_scenario(path, seed=seed)
    if devices is not None:
        return generated_scenario(devices, seed=seed if seed is not None else 1)
    return None


def _settings(
    scenario: Scenario | None, addressing: str | None, base_port: int | None, vendor_keys: Path | None = None
) -> LabSettings | None:
    """The scenario's lab settings with the command-line overrides applied (every other setting kept)."""
    if scenario is None and addressing is None and base_port is None and vendor_keys is None:
        return None
    base = scenario.settings if scenario else LabSettings()
    chosen = addressing or base.addressing
    if chosen not in {"ports", "addresses"}:
        raise ConfigurationError("--addressing must be 'ports' or 'addresses'")
    return dataclasses.replace(
        base,
        addressing=chosen,
        base_port=base.base_port if base_port is None else base_port,
        vendor_keys=vendor_keys or base.vendor_keys,
    )


def show_lab(running: RunningLab, *, limit: int = 40, stop_hint: bool = True) -> None:
    """Print what a newcomer can do with a running lab."""
    manifest = running.manifest()
    devices = manifest["devices"]
    table = Table(title=f"camvault lab: {len(devices)} devices", show_lines=False)
    for column in ("label", "kind", "model", "firmware", "address", "state"):
        table.add_column(column)
    for device in devices[:limit]:
        state = "active" if device["activated"] else "[yellow]inactive[/yellow]"
        table.add_row(
            device["label"], device["kind"], device["model"], device["firmware"], device["url"], state
        )
    console.print(table)
    if len(devices) > limit:
        console.print(f"... and {len(devices) - limit} more (see the manifest)")
    state_dir = running.lab.state_dir
    first = devices[0]["label"] if devices else "LABEL"
    if running.manifest_path is not None:
        console.print(f"manifest:           {running.manifest_path}")
        console.print(f"installer's records: {credentials_path(running.manifest_path)} (mode 0600)")
    console.print(f"control API:        {running.control.url} (token in {state_dir / 'control.json'})")
    _show_vendor_keys(running)
    console.print("\nTry, from another terminal:")
    url = devices[0]["url"] if devices else "http://127.0.0.1:PORT/"
    console.print(f"  curl -s {url}SDK/activateStatus")
    console.print(f"  curl -s --digest -u admin:PASSWORD {url}ISAPI/System/deviceInfo")
    console.print(f"  camvault lab status --state {state_dir}")
    console.print(f"  camvault lab reset-button {first} --seconds 12 --state {state_dir}")
    console.print(f"  camvault lab power-cycle {first} --state {state_dir}")
    console.print(f"  camvault lab clock {first} --skew 3600 --state {state_dir}")
    console.print(f"  camvault lab fault {first} --latency 0.2 --error-rate 0.1 --state {state_dir}")
    if stop_hint:
        console.print("Press Ctrl-C to stop the lab (its state is saved).")


def _show_vendor_keys(running: RunningLab) -> None:
    """Say where the vendor keys of the lab's devices are, and how support answers them."""
    vendor = running.lab.vendor_keys()
    if vendor is None:
        return
    if not vendor["throwaway"]:
        console.print(f"vendor keys:        devices made from the factory material in {vendor['directory']}")
        return
    console.print(
        f"vendor keys:        {vendor['directory']} (the lab's throwaway vendor: unencrypted test keys)"
    )
    console.print(
        f"  support answers a reset request: camvault support --keys {vendor['directory']} case receive FILE"
    )


def _control(state: Path | None, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    url, token = read_control_file(state or default_state_dir())
    try:
        response = httpx.request(
            method, url + path, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
    except httpx.HTTPError as exc:
        raise ConfigurationError(f"the lab does not answer at {url}: {type(exc).__name__}") from None
    data = response.json()
    if response.status_code >= 400:
        raise ConfigurationError(str(data.get("error", response.status_code)))
    return data


def _call(state: Path | None, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    try:
        return _control(state, method, path, body)
    except CamvaultError as exc:
        raise _fail(str(exc)) from None


@lab_app.command("status")
def status(state: StateOption = None) -> None:
    """Show every device of a running lab."""
    manifest = _call(state, "GET", "/v1/lab")
    table = Table()
    for column in ("label", "kind", "serial", "address", "activated", "power"):
        table.add_column(column)
    for device in manifest["devices"]:
        table.add_row(
            device["label"],
            device["kind"],
            device["serial"],
            device["url"],
            str(device["activated"]),
            device["power"],
        )
    console.print(table)


@lab_app.command("reset-button")
def reset_button(
    label: str,
    seconds: Annotated[float, typer.Option("--seconds", min=0, help="How long the button is held.")] = 12.0,
    state: StateOption = None,
) -> None:
    """Hold a device's reset button (10 s or more restores factory defaults)."""
    console.print(_call(state, "POST", f"/v1/devices/{label}/reset-button", {"seconds": seconds})["result"])


@lab_app.command("power-cycle")
def power_cycle(
    label: str,
    off: Annotated[float, typer.Option("--off", min=0, help="Seconds without power.")] = 0.0,
    state: StateOption = None,
) -> None:
    """Unplug a device and plug it back in; returns once it answers again."""
    device = _call(state, "POST", f"/v1/devices/{label}/power-cycle", {"off_seconds": off})
    console.print(f"{label} is back: {device['url']}")


@lab_app.command("clock")
def clock(
    label: str,
    set_to: Annotated[str | None, typer.Option("--set", help="An ISO-8601 time with a timezone.")] = None,
    skew: Annotated[
        float | None, typer.Option("--skew", help="Seconds ahead (negative: behind) of the lab clock.")
    ] = None,
    state: StateOption = None,
) -> None:
    """Set a device's clock."""
    if (set_to is None) == (skew is None):
        raise _fail("give --set or --skew")
    body: dict[str, Any] = {"time": set_to} if set_to is not None else {"skew_seconds": skew}
    console.print(
        f"{label} now reads {_call(state, 'POST', f'/v1/devices/{label}/clock', body)['device_time']}"
    )


@lab_app.command("fault")
def fault(
    label: str,
    latency: Annotated[float, typer.Option("--latency", min=0, help="Seconds added to each request.")] = 0.0,
    error_rate: Annotated[
        float, typer.Option("--error-rate", min=0, max=1, help="Share of requests answered 503.")
    ] = 0.0,
    drop_rate: Annotated[
        float, typer.Option("--drop-rate", min=0, max=1, help="Share of connections dropped.")
    ] = 0.0,
    hang_rate: Annotated[
        float, typer.Option("--hang-rate", min=0, max=1, help="Share of requests never answered.")
    ] = 0.0,
    lost_reply_rate: Annotated[
        float, typer.Option("--lost-reply-rate", min=0, max=1, help="Share applied, reply lost.")
    ] = 0.0,
    method: Annotated[
        list[str] | None, typer.Option("--method", help="Only these methods (repeatable).")
    ] = None,
    path: Annotated[
        list[str] | None, typer.Option("--path", help="Only paths starting with this (repeatable).")
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove every fault.")] = False,
    state: StateOption = None,
) -> None:
    """Inject faults into a device's network traffic."""
    if clear:
        _call(state, "DELETE", f"/v1/devices/{label}/faults")
        console.print(f"{label}: faults cleared")
        return
    plan = {
        "latency": latency,
        "error_rate": error_rate,
        "drop_rate": drop_rate,
        "hang_rate": hang_rate,
        "lost_reply_rate": lost_reply_rate,
        "methods": method or [],
        "paths": path or [],
    }
    console.print(f"{label}: faults set {_call(state, 'PUT', f'/v1/devices/{label}/faults', plan)}")
