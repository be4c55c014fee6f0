"""The ``camvault`` command: one Typer application with a sub-application per part."""

from __future__ import annotations

import typer

from camvault import __version__
from camvault.cli.demo import demo
from camvault.cli.fleet import fleet_app
from camvault.cli.lab import lab_app
from camvault.cli.recover import backup, recover
from camvault.cli.support import support_app
from camvault.cli.vault import vault_app

app = typer.Typer(
    name="camvault",
    help="Get back into, and keep control of, the accounts on surveillance devices.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
fleet_app.command("recover")(recover)
fleet_app.command("backup")(backup)
app.add_typer(fleet_app, name="fleet")
app.add_typer(lab_app, name="lab")
app.add_typer(support_app, name="support")
app.add_typer(vault_app, name="vault")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"camvault {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version."
    ),
) -> None:
    """Get back into, and keep control of, the accounts on surveillance devices."""


app.command("demo")(demo)


def main() -> None:
    """Run the command line."""
    app()
