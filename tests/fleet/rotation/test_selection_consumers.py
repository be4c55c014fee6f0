"""Which devices a run takes (``--due``, ``--retry-failed``) and the secrets-file consumer read back by real
readers: a POSIX shell for the env file, PyYAML for the YAML file."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from camvault.clock import ManualClock
from camvault.errors import ConfigurationError
from camvault.fleet.drivers import Credential
from camvault.fleet.inventory import DeviceRecord, Inventory
from camvault.fleet.rotation.consumers import SecretsFile
from camvault.fleet.rotation.journal import Journal, set_policy
from camvault.fleet.rotation.selection import due, password_age, retry_failed
from camvault.fleet.store import Store
from camvault.fleet.vault import Vault

DAY = 86400.0
AWKWARD = 'Qu0te\'d "$HOME" `id` \\n & ;#'
"""A fake password with every character a shell or YAML reader could mangle."""


def enrol(store: Store, vault: Vault, clock: ManualClock, label: str, group: str = "default") -> DeviceRecord:
    with store.transaction() as conn:
        inventory = Inventory(clock.now())
        record, _ = inventory.upsert(
            conn, DeviceRecord.new(label, "hikvision", "127.0.0.9", port=8000 + sum(map(ord, label)))
        )
        ref = f"cred:{record.id}"
        vault.put(conn, ref, f"{label}-Passw0rd!", username="admin")
        inventory.attach_credential(conn, record.id, ref, "admin")
        if group != "default":
            inventory.update(conn, replace(inventory.get(conn, record.id), group_name=group))
        return inventory.get(conn, record.id)


def test_due_follows_each_groups_maximum_age(store: Store, vault: Vault, clock: ManualClock) -> None:
    old = enrol(store, vault, clock, "old-cam")
    clock.advance(20 * DAY)
    young = enrol(store, vault, clock, "young-cam")
    lobby = enrol(store, vault, clock, "lobby", group="lobby")
    clock.advance(15 * DAY)
    with store.transaction() as conn:
        assert due(conn, vault, [old, young, lobby], clock.now()) == [], "no policy: never due"
        set_policy(conn, "default", 30)
        set_policy(conn, "lobby", 10)
    with store.transaction(readonly=True) as conn:
        chosen = due(conn, vault, [old, young, lobby], clock.now())
        assert password_age(conn, vault, old, clock.now()) == timedelta(days=35)
    assert [record.label for record in chosen] == ["old-cam", "lobby"]


def test_a_rotated_password_is_young_again(store: Store, vault: Vault, clock: ManualClock) -> None:
    record = enrol(store, vault, clock, "cam")
    clock.advance(40 * DAY)
    assert record.credential_ref is not None
    with store.transaction() as conn:
        set_policy(conn, "default", 30)
        assert [r.label for r in due(conn, vault, [record], clock.now())] == ["cam"]
        vault.put(conn, record.credential_ref, "Fresh-Passw0rd!", username="admin")
        assert due(conn, vault, [record], clock.now()) == []


def test_retry_failed_takes_exactly_the_last_runs_failures(
    store: Store, vault: Vault, clock: ManualClock
) -> None:
    records = [enrol(store, vault, clock, f"cam-{index}") for index in range(4)]
    journal = Journal(vault, clock.now)
    with store.transaction() as conn:
        first = journal.start_run(conn, {})
        journal.finish_run(conn, first, "finished", failed_devices=[records[0].id, records[1].id])
        assert [r.label for r in retry_failed(conn, journal, records)] == ["cam-0", "cam-1"]
        clock.advance(300)
        second = journal.start_run(conn, {})
        journal.finish_run(conn, second, "finished", failed_devices=[records[3].id])
        assert [r.label for r in retry_failed(conn, journal, records)] == ["cam-3"]


def pairs() -> list[tuple[DeviceRecord, Credential]]:
    return [
        (DeviceRecord.new("front door", "hikvision", "127.0.0.2", port=80), Credential("admin", AWKWARD)),
        (
            DeviceRecord.new("yard-2", "hikvision", "127.0.0.3", port=8080),
            Credential("viewer", "Plain-Passw0rd"),
        ),
    ]


@pytest.mark.skipif(shutil.which("sh") is None, reason="no POSIX shell")
def test_the_env_file_reads_back_exactly_in_a_shell(tmp_path: Path) -> None:
    path = tmp_path / "frigate.env"
    SecretsFile(path).publish(pairs())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    script = f'set -a; . "{path}"; printf "%s\\0%s\\0%s" "$FRIGATE_FRONT_DOOR_PASSWORD" "$FRIGATE_FRONT_DOOR_USERNAME" "$FRIGATE_YARD_2_PASSWORD"'
    read = subprocess.run(
        ["sh", "-c", script], capture_output=True, check=True, env={"PATH": os.environ["PATH"]}
    )
    assert read.stdout.split(b"\0") == [AWKWARD.encode(), b"admin", b"Plain-Passw0rd"]


def test_the_yaml_file_reads_back_exactly(tmp_path: Path) -> None:
    path = tmp_path / "cameras.yaml"
    SecretsFile(path, format="yaml").publish(pairs())
    document = yaml.safe_load(path.read_text())
    assert document["cameras"]["front door"] == {
        "host": "127.0.0.2",
        "port": 80,
        "username": "admin",
        "password": AWKWARD,
    }
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_rewrites_replace_the_file_whole_and_leave_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "frigate.env"
    path.write_text("OLD=1\n")
    path.chmod(0o644)
    SecretsFile(path).publish(pairs()[1:])
    assert "OLD=1" not in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600, "a world-readable file becomes private"
    assert [p.name for p in tmp_path.iterdir()] == ["frigate.env"]


def test_bad_settings_and_colliding_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="env or yaml"):
        SecretsFile(tmp_path / "x", format="toml")
    with pytest.raises(ConfigurationError, match="prefix"):
        SecretsFile(tmp_path / "x", prefix="lower_")
    twins = [
        (DeviceRecord.new("cam-1", "hikvision", "127.0.0.2"), Credential("admin", "A-Passw0rd-1")),
        (DeviceRecord.new("cam 1", "hikvision", "127.0.0.3"), Credential("admin", "B-Passw0rd-2")),
    ]
    path = tmp_path / "frigate.env"
    with pytest.raises(ConfigurationError, match="rename one") as caught:
        SecretsFile(path).publish(twins)
    assert "Passw0rd" not in str(caught.value)
    assert not path.exists(), "nothing is written when the file would be wrong"
