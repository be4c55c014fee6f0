"""``camvault fleet backup`` and ``camvault fleet recover`` from the command line, against a lab process.

The owner backs up, loses the camera's password, reads the plan, is refused a reset they did not confirm,
then confirms it: the lab's button is pressed, the device is activated, its backup restored, the NVR
re-linked, and every device accepts the vault's password again.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from camvault.cli.main import app
from camvault.device.lab.process import LabProcess
from camvault.fleet.inventory import Inventory
from camvault.fleet.session import FleetSession
from camvault.fleet.store import Store
from camvault.fleet.vault import Vault
from tests.cli.test_fleet_workflow import lab_state
from tests.fleet.vault.conftest import FAST_KDF, PASSPHRASE

pytestmark = pytest.mark.slow

LOST = "Lost#Forevr-7731"


def scenario(port: int) -> str:
    return f"""
[lab]
seed = 12
addressing = "addresses"
address_prefix = "127.47"
http_port = {port}
sadp_port = 0
wsd_port = 0
boot_seconds = 1.0
nvr_check_seconds = 0.5
nvr_retry_seconds = 2

[[devices]]
label = "front"
firmware = "V5.7.3 build 220112"
admin_password = "Front#Door-2024"
users = [{{ name = "guard", level = "Viewer", password = "Night-Shift-21" }}]

[[devices]]
label = "recorder"
kind = "nvr"
admin_password = "Record3r#Pass-1"
channels = ["front"]
"""


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    port = random.randint(20000, 40000)
    (tmp_path / "site.toml").write_text(scenario(port))
    state = tmp_path / "state"
    lab = LabProcess.start(state, "--scenario", str(tmp_path / "site.toml"))
    try:
        yield state, port
    finally:
        lab.stop(timeout=30)


def fleet(db: str, *args: str) -> Result:
    env = {"CAMVAULT_PASSPHRASE": PASSPHRASE, "CAMVAULT_DB": db}
    return CliRunner().invoke(app, ["fleet", *args], env=env)


async def lose_password(db: str) -> None:
    with Store.open(db) as store:
        vault = Vault.unlock(store, PASSPHRASE)
        session = FleetSession(store, vault)
        try:
            with store.transaction(readonly=True) as conn:
                record = Inventory(vault.clock.now()).get(conn, "front")
            credential = session.credential(record)
            assert credential is not None
            await session.driver(record).set_password(credential, "admin", LOST)
        finally:
            await session.aclose()


async def recorder_channels_online(db: str) -> list[bool | None]:
    """The NVR's channels as the NVR reports them, once every channel is online or after 30 s."""
    with Store.open(db) as store:
        vault = Vault.unlock(store, PASSPHRASE)
        session = FleetSession(store, vault)
        try:
            with store.transaction(readonly=True) as conn:
                record = Inventory(vault.clock.now()).get(conn, "recorder")
            credential = session.credential(record)
            assert credential is not None
            online: list[bool | None] = []
            for _ in range(150):
                online = [channel.online for channel in await session.driver(record).channels(credential)]
                if online and all(online):
                    break
                await asyncio.sleep(0.2)
            return online
        finally:
            await session.aclose()


def test_backup_then_recover_with_a_confirmed_factory_reset(lab: tuple[Path, int], tmp_path: Path) -> None:
    state, port = lab
    db = f"sqlite:///{tmp_path / 'fleet.sqlite'}"
    with Store.open(db) as store:
        Vault.initialize(store, PASSPHRASE, kdf=FAST_KDF)
    devices = lab_state(state)
    records = json.loads((state / "manifest.credentials.json").read_text())["devices"]
    sheet = tmp_path / "site.csv"
    sheet.write_text(
        "IP;User;Password;Name\n"
        + "".join(f"{devices[r['label']]['address']};admin;{r['password']};{r['label']}\n" for r in records)
    )
    assert fleet(db, "import", str(sheet), "--port", str(port)).exit_code == 0
    rotated = fleet(db, "rotate", "--json")  # learns which NVR channel records the camera
    assert rotated.exit_code == 0, rotated.output

    backed = fleet(db, "backup", "front", "--json")
    assert backed.exit_code == 0, backed.output
    assert [row["device"] for row in json.loads(backed.stdout)] == ["front"]

    asyncio.run(lose_password(db))

    planned = fleet(db, "recover", "front", "--plan", "--json")
    assert planned.exit_code == 0, planned.output
    plan = json.loads(planned.stdout)
    assert plan["result"] is None
    assert plan["paths"][0]["path"] == "vault-history"
    assert plan["paths"][-1]["destructive"] is True
    assert "recorder/1" in plan["paths"][-1]["explanation"]

    unconfirmed = fleet(db, "recover", "front", "--factory-reset", "--lab", str(state))
    assert unconfirmed.exit_code == 4, unconfirmed.output
    assert "erased" in unconfirmed.output, "the owner is shown what a reset erases"
    assert lab_state(state)["front"]["activated"] is True, "nothing was reset"

    recovered = fleet(db, "recover", "front", "--factory-reset", "--yes", "--lab", str(state), "--wait", "60")
    assert recovered.exit_code == 0, recovered.output
    assert "recovered" in recovered.output
    assert "the lab pressed the reset button of front" in recovered.output
    for secret in ("Front#Door-2024", LOST, "Night-Shift-21", "Record3r#Pass-1"):
        assert secret not in recovered.output

    checked = fleet(db, "check", "--json")
    assert {row["result"] for row in json.loads(checked.stdout)} == {"works"}, checked.output
    assert asyncio.run(recorder_channels_online(db)) == [True]
