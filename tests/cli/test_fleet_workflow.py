"""The owner's workflow from the command line against a lab in its own process.

discover (SADP + WS-Discovery) -> import the installer's spreadsheet -> check -> audit -> activate the new
camera -> rotate everything (with a Frigate secrets file) -> check again: every device accepts the vault's
password, and the NVR still records its camera.
"""

from __future__ import annotations

import json
import random
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

from camvault.cli.main import app
from camvault.device.lab.process import LabProcess
from camvault.fleet.store import Store
from camvault.fleet.vault import Vault
from tests.fleet.vault.conftest import FAST_KDF, PASSPHRASE

pytestmark = pytest.mark.slow


def scenario(port: int, sadp: int, wsd: int) -> str:
    return f"""
[lab]
seed = 11
addressing = "addresses"
address_prefix = "127.46"
http_port = {port}
sadp_port = {sadp}
wsd_port = {wsd}
boot_seconds = 0.3
nvr_check_seconds = 1
nvr_retry_seconds = 30

[[devices]]
label = "front"
firmware = "V5.7.3 build 220112"
admin_password = "Front#Door-2024"

[[devices]]
label = "yard"
firmware = "V5.7.3 build 220112"
admin_password = "camera1234"

[[devices]]
label = "new"
firmware = "V5.7.3 build 220112"
activated = false

[[devices]]
label = "recorder"
kind = "nvr"
admin_password = "Record3r#Pass-1"
channels = ["front"]
"""


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[Path, dict[str, object]]]:
    port, sadp, wsd = random.randint(20000, 40000), random.randint(40001, 45000), random.randint(45001, 50000)
    (tmp_path / "site.toml").write_text(scenario(port, sadp, wsd))
    state = tmp_path / "state"
    lab = LabProcess.start(state, "--scenario", str(tmp_path / "site.toml"))
    try:
        yield state, {"port": port, "sadp": sadp, "wsd": wsd}
    finally:
        lab.stop(timeout=30)


def fleet(db: str, *args: str) -> Result:
    env = {"CAMVAULT_PASSPHRASE": PASSPHRASE, "CAMVAULT_DB": db}
    return CliRunner().invoke(app, ["fleet", *args], env=env)


def lab_state(state: Path) -> dict[str, dict[str, object]]:
    control = json.loads((state / "control.json").read_text())
    manifest = httpx.get(
        control["url"] + "/v1/lab", headers={"Authorization": f"Bearer {control['token']}"}
    ).json()
    return {device["label"]: device for device in manifest["devices"]}


def test_discover_import_check_audit_activate_rotate(
    lab: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    state, ports = lab
    db = f"sqlite:///{tmp_path / 'fleet.sqlite'}"
    with Store.open(db) as store:
        Vault.initialize(store, PASSPHRASE, kdf=FAST_KDF)

    targets = [
        argument for device in lab_state(state).values() for argument in ("--target", str(device["address"]))
    ]
    found = fleet(
        db, "discover", *targets, "--sadp-port", str(ports["sadp"]), "--wsd-port", str(ports["wsd"]), "--json"
    )
    assert found.exit_code == 0, found.output
    discovered = json.loads(found.stdout)
    assert len(discovered) == 4, [(d["model"], d["address"], d["activated"]) for d in discovered]
    assert {d["vendor"] for d in discovered} == {"hikvision"}
    assert sorted(str(d["activated"]) for d in discovered) == ["False", "True", "True", "True"]

    devices = lab_state(state)
    records = json.loads((state / "manifest.credentials.json").read_text())["devices"]
    sheet = tmp_path / "cams.csv"
    rows = ["IP;User;Password;Name"]
    rows += [
        f"{devices[r['label']]['address']};admin;{r['password']};{r['label']}"
        for r in records
        if r["password"]
    ]
    sheet.write_text("\n".join(rows) + "\n")
    imported = fleet(db, "import", str(sheet), "--port", str(ports["port"]))
    assert imported.exit_code == 0, imported.output
    assert len(json.loads(fleet(db, "list", "--json").stdout)) == 4, (
        "the spreadsheet matched the discovered devices"
    )

    check = fleet(db, "check", "--json")
    results = {row["device"]: row["result"] for row in json.loads(check.stdout)}
    assert sorted(results.values()) == ["unknown", "works", "works", "works"]

    html = tmp_path / "audit.html"
    audited = fleet(db, "audit", "--json", "--html", str(html), "--fail-on", "high")
    assert audited.exit_code == 1, "a common password is a high finding"
    report = json.loads(audited.stdout)
    assert report["schema"] == "camvault.audit/1"
    assert html.read_text().startswith("<!DOCTYPE html>")
    assert "camera1234" not in audited.output and "camera1234" not in html.read_text()

    activated = fleet(db, "activate", "--json")
    assert activated.exit_code == 0, activated.output
    assert [row["state"] for row in json.loads(activated.stdout)["devices"]] == ["done"]

    secrets = tmp_path / "frigate.env"
    rotated = fleet(db, "rotate", "--secrets-file", str(secrets), "--json")
    assert rotated.exit_code == 0, rotated.output
    outcome = json.loads(rotated.stdout)
    assert sorted(row["state"] for row in outcome["devices"]) == ["done"] * 4
    front = next(row for row in outcome["devices"] if row["device"] == "front")
    assert [d["state"] for d in front["dependents"]] == ["verified"], "the NVR got the camera's new password"
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    assert secrets.read_text().count("_PASSWORD=") == 4
    assert "Front#Door-2024" not in secrets.read_text(), "the file holds the new passwords"

    after = fleet(db, "check", "--json")
    assert after.exit_code == 0, after.output
    assert {row["result"] for row in json.loads(after.stdout)} == {"works"}
    recorder = lab_state(state)["recorder"]
    assert recorder["power"] == "on"
    dry = fleet(db, "rotate", "--dry-run")
    assert dry.exit_code == 0 and "rotate 4 device(s)" in dry.output


def test_scan_finds_what_multicast_cannot(lab: tuple[Path, dict[str, object]], tmp_path: Path) -> None:
    state, ports = lab
    db = f"sqlite:///{tmp_path / 'fleet.sqlite'}"
    addresses = sorted(str(device["address"]) for device in lab_state(state).values())
    found = fleet(
        db,
        "discover",
        "--no-sadp",
        "--no-wsd",
        "--scan",
        f"{addresses[0]}-{addresses[-1]}",
        "--ports",
        f"{ports['port']},9",
        "--json",
    )
    assert found.exit_code == 0, found.output
    rows = json.loads(found.stdout)
    assert (
        len(rows) == 4
        and {row["vendor"] for row in rows} == {"hikvision"}
        and {row["source"] for row in rows} == {"scan"}
    )
    assert sorted(str(row["activated"]) for row in rows) == ["False", "True", "True", "True"]
    too_big = fleet(db, "discover", "--no-sadp", "--no-wsd", "--scan", "10.0.0.0/8")
    assert too_big.exit_code == 1 and "at most" in too_big.output
