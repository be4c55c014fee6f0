"""``camvault demo``: what ``make run`` shows a newcomer."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from camvault.cli import aio
from camvault.cli.lab import console, show_lab
from camvault.device.lab.runner import RunningLab, run_lab
from camvault.device.lab.scenario import parse_scenario
from camvault.errors import CamvaultError

DEMO_STATE = Path("var/demo")


def demo(
    state: Annotated[Path, typer.Option("--state", help="Where the demo lab keeps its state.")] = DEMO_STATE,
    fresh: bool = typer.Option(
        True, "--fresh/--keep", help="Start from the scenario again (default) or keep state."
    ),
) -> None:
    """Start the demo lab: cameras, an NVR recording them, an inactive camera, one with the legacy default."""
    text = resources.files("camvault.device.lab.scenarios").joinpath("demo.toml").read_text(encoding="utf-8")
    try:
        scenario = parse_scenario(tomllib.loads(text), source="demo.toml")
    except CamvaultError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=1) from None
    if fresh and state.exists():
        for leftover in ("lab.sqlite", "lab.sqlite-wal", "lab.sqlite-shm"):
            (state / leftover).unlink(missing_ok=True)

    async def ready(running: RunningLab) -> None:
        console.rule("[bold]camvault demo lab[/bold]")
        show_lab(running)

    try:
        aio.run(run_lab(state, scenario=scenario, manifest_path=state / "manifest.json", on_ready=ready))
    except CamvaultError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=1) from None
