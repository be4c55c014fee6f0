"""``camvault fleet add|list|show|import``: the inventory from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from camvault.cli.main import app
from camvault.fleet.store import Store
from camvault.fleet.vault import Vault
from tests.fleet.vault.conftest import FAST_KDF, PASSPHRASE, PLANTED


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'fleet.sqlite'}"
    with Store.open(url) as store:
        Vault.initialize(store, PASSPHRASE, kdf=FAST_KDF)
    return url


def fleet(*args: str, password: str | None = None) -> Result:
    env = {"CAMVAULT_PASSPHRASE": PASSPHRASE, "CAMVAULT_DB": None, "CAMVAULT_DEVICE_PASSWORD": password}
    return CliRunner().invoke(app, ["fleet", *args], env=env)


def test_add_list_show(db: str) -> None:
    added = fleet("add", "192.0.2.10", "--label", "lobby", "--with-password", "--db", db, password=PLANTED)
    assert added.exit_code == 0, added.output
    fleet("add", "192.0.2.11", "--label", "door", "--vendor", "onvif", "--port", "8080", "--db", db)
    listing = json.loads(fleet("list", "--json", "--db", db).stdout)
    assert [(d["label"], d["vendor"], d["credential"]) for d in listing] == [
        ("door", "onvif", "unknown"),
        ("lobby", "hikvision", "stored"),
    ]
    shown = json.loads(fleet("show", "lobby", "--json", "--db", db).stdout)
    assert shown["address"] == "http://192.0.2.10:80"
    for result in (added, fleet("list", "--db", db), fleet("show", "lobby", "--db", db)):
        assert PLANTED not in result.output
    missing = fleet("show", "nope", "--db", db)
    assert (
        missing.exit_code == 1 and "no device matches" in missing.output and "Traceback" not in missing.output
    )


def test_import_csv_puts_passwords_in_the_vault_only(db: str, tmp_path: Path) -> None:
    sheet = tmp_path / "cams.csv"
    sheet.write_text(
        f"IP;User;Password;Name;Model;Serial\n192.0.2.64;admin;{PLANTED};Front door;DS-2CD2043G0-I;DS-2CD2043G0-I20200101AAWRC00000001\n"
    )
    result = fleet("import", str(sheet), "--db", db)
    assert result.exit_code == 0, result.output
    assert "plaintext" in result.output
    device = json.loads(fleet("show", "Front door", "--json", "--db", db).stdout)
    assert device["credential"] == "stored" and device["serial"].endswith("00000001")
    assert PLANTED.encode() not in (tmp_path / "fleet.sqlite").read_bytes()
    again = fleet("import", str(sheet), "--db", db)
    assert again.exit_code == 0
    assert len(json.loads(fleet("list", "--json", "--db", db).stdout)) == 1, "keyed by serial: no duplicate"


def test_import_dhcp_leases_keeps_likely_cameras(db: str, tmp_path: Path) -> None:
    leases = tmp_path / "dnsmasq.leases"
    leases.write_text(
        "1764000000 58:50:ed:1f:e3:85 192.168.124.40 IPCAMERA *\n1764000200 f0:18:98:aa:bb:cc 192.168.124.50 laptop *\n"
    )
    result = fleet("import", str(leases), "--db", db)
    assert result.exit_code == 0, result.output
    devices = json.loads(fleet("list", "--json", "--db", db).stdout)
    assert [(d["label"], d["vendor"], d["source"]) for d in devices] == [("IPCAMERA", "hikvision", "dhcp")]


def test_bad_import_files_change_nothing(db: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text('IP;User;Password\n192.0.2.1;admin;=HYPERLINK("x")\n')
    result = fleet("import", str(bad), "--db", db)
    assert result.exit_code == 1 and "nothing was imported" in result.output
    assert json.loads(fleet("list", "--json", "--db", db).stdout) == []
