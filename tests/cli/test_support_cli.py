from __future__ import annotations

import logging
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner, Result

from camvault.cli.main import app
from camvault.cli.support import support_app
from camvault.protocols import resetcode

PASSPHRASE = "cli-planted-passphrase-8Hq"
FACTORY_PASSPHRASE = "factory-planted-passphrase-3Jx"
SERIAL = "DS-2CD2385G1-I20200414AAWRE33842150"


class Lab:
    """The manufacturer, working only from the factory material the CLI exported."""

    def __init__(self, factory: Path) -> None:
        key = serialization.load_pem_private_key(
            (factory / "device-ca.key").read_bytes(), FACTORY_PASSPHRASE.encode()
        )
        assert isinstance(key, Ed25519PrivateKey)
        self.ca_key = key
        self.ca = resetcode.certificate_from_pem((factory / "device-ca.crt").read_bytes())
        self.trust = resetcode.decode_trust_bundle((factory / "trust-bundle.txt").read_bytes()).as_mapping()

    def export_request(self, serial: str, path: Path) -> tuple[resetcode.ResetRequest, Path]:
        now = datetime.now(UTC)
        device_key = Ed25519PrivateKey.generate()
        certificate = resetcode.issue_device_certificate(
            self.ca_key,
            self.ca,
            device_key.public_key(),
            serial=serial,
            model="DS-2CD2385G1-I",
            mac="58-50-ed-1f-e3-85",
            not_before=now - timedelta(days=1),
            not_after=now + timedelta(days=3650),
        )
        request = resetcode.build_reset_request(
            device_key,
            certificate,
            model="DS-2CD2385G1-I",
            serial=serial,
            mac="58-50-ed-1f-e3-85",
            firmware="V5.6.2build 190701",
            now=now,
        )
        path.write_bytes(resetcode.encode_request_file(request))
        return request, path


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CAMVAULT_SUPPORT_DB", str(tmp_path / "support.sqlite"))
    monkeypatch.setenv("CAMVAULT_SUPPORT_KEYS", str(tmp_path / "keys"))
    monkeypatch.setenv("CAMVAULT_SUPPORT_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("CAMVAULT_SUPPORT_OPERATOR", "carol")
    monkeypatch.setenv("CAMVAULT_FACTORY_PASSPHRASE", FACTORY_PASSPHRASE)
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(support_app, list(args), catch_exceptions=False)


@pytest.fixture
def lab(env: Path) -> Lab:
    assert run("keys", "init").exit_code == 0
    result = run("keys", "export-factory", "--out", str(env / "factory"))
    assert result.exit_code == 0, result.output
    return Lab(env / "factory")


def test_support_is_registered_in_the_main_command() -> None:
    result = CliRunner().invoke(app, ["support", "--help"])
    assert result.exit_code == 0
    for command in ("keys", "case", "stolen", "audit", "serve"):
        assert command in result.output


def test_keys_init_writes_owner_only_files(env: Path) -> None:
    result = run("keys", "init")
    assert result.exit_code == 0, result.output
    assert "current" in result.output
    assert "next" in result.output
    assert stat.S_IMODE((env / "keys").stat().st_mode) == 0o700
    for path in (env / "keys").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert run("keys", "init").exit_code == 1  # never overwrites


def test_keys_init_wants_a_passphrase(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAMVAULT_SUPPORT_PASSPHRASE")
    result = run("keys", "init")
    assert result.exit_code == 1
    assert "CAMVAULT_SUPPORT_PASSPHRASE" in result.stderr
    assert run("keys", "init", "--insecure-no-passphrase").exit_code == 0


def test_export_trust_and_rotate(env: Path) -> None:
    run("keys", "init")
    before = resetcode.decode_trust_bundle(run("keys", "export-trust").stdout)
    result = run("keys", "rotate")
    assert result.exit_code == 0, result.output
    after_file = env / "bundle.txt"
    assert run("keys", "export-trust", "--out", str(after_file)).exit_code == 0
    after = resetcode.decode_trust_bundle(after_file.read_bytes())
    assert after.keys[0].key_id == before.keys[1].key_id


def test_wrong_passphrase_is_reported_without_echoing_it(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run("keys", "init")
    monkeypatch.setenv("CAMVAULT_SUPPORT_PASSPHRASE", "not-the-passphrase")
    result = run("case", "list")
    assert result.exit_code == 1
    assert "passphrase" in result.stderr
    assert "not-the-passphrase" not in result.output
    assert PASSPHRASE not in result.output


def test_the_whole_case_from_the_command_line(lab: Lab, env: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    request, path = lab.export_request(SERIAL, env / "request.txt")
    result = run("case", "receive", str(path))
    assert result.exit_code == 0, result.output
    assert "case 1: verified" in result.stdout
    assert SERIAL in result.stdout
    assert "clock skew" in result.stdout
    assert SERIAL in run("case", "list").stdout
    result = run("case", "verify-ownership", "1", "--operator", "alice", "--note", "invoice 2020-114 matches")
    assert result.exit_code == 0, result.output
    assert run("case", "approve", "1", "--operator", "bob").exit_code == 0
    code_file = env / "code.txt"
    result = run("case", "issue", "1", "--out", str(code_file), "--sync-ipc-password")
    assert result.exit_code == 0, result.output
    typed = result.stdout.strip().splitlines()[-1]
    assert stat.S_IMODE(code_file.stat().st_mode) == 0o600
    for form in (typed, code_file.read_bytes()):
        accepted = resetcode.verify_reset_code(
            form,
            trusted_reset_keys=lab.trust,
            serial=SERIAL,
            pending_nonce=request.nonce,
            used_code_ids=set(),
            now=datetime.now(UTC),
        )
        assert accepted.sync_ipc_password
    shown = run("case", "show", "1").stdout
    assert "issued" in shown
    assert "code_issued" in shown
    assert typed not in shown
    audit = run("audit", "verify")
    assert audit.exit_code == 0
    assert "intact: 5 entries" in audit.stdout
    compact = typed.replace("-", "")
    for secret in (typed, compact[:25], compact[-25:], PASSPHRASE, FACTORY_PASSPHRASE):
        assert secret not in caplog.text
    assert run("case", "issue", "1").exit_code == 1  # once only


def test_refusals_are_clear(lab: Lab, env: Path) -> None:
    garbage = env / "garbage.txt"
    garbage.write_bytes(b"\x00\x01 not a request")
    result = run("case", "receive", str(garbage))
    assert result.exit_code == 1
    assert "error:" in result.stderr
    assert run("stolen", "add", SERIAL, "--note", "police 118").exit_code == 0
    _, path = lab.export_request(SERIAL, env / "request.txt")
    result = run("case", "receive", str(path))
    assert result.exit_code == 1
    assert "reported_stolen" in result.stdout
    result = run("case", "approve", "99")
    assert result.exit_code == 1
    assert "refused (unknown_case)" in result.stderr
    _, other = lab.export_request("SN-OTHER-1", env / "other.txt")
    assert run("case", "receive", str(other)).exit_code == 0
    result = run("case", "approve", "2")
    assert "ownership_not_verified" in result.stderr
    assert run("case", "refuse", "2", "--reason", "caller hung up").exit_code == 0
    assert "caller hung up" in run("case", "show", "2").stdout


def test_oversized_request_file(lab: Lab, env: Path) -> None:
    big = env / "big.txt"
    big.write_bytes(b"x" * (resetcode.MAX_REQUEST_FILE_BYTES * 4))
    result = run("case", "receive", str(big))
    assert result.exit_code == 1
    assert "exceeds" in result.stderr


def test_audit_verify_names_a_tampered_row(lab: Lab, env: Path) -> None:
    _, path = lab.export_request(SERIAL, env / "request.txt")
    run("case", "receive", str(path))
    run("case", "verify-ownership", "1", "--operator", "alice", "--note", "checked")
    head = run("audit", "verify").stdout.strip().splitlines()[-1].removeprefix("head ")
    connection = sqlite3.connect(env / "support.sqlite")
    connection.execute("DROP TRIGGER audit_entry_is_append_only_update")
    connection.execute('UPDATE audit_entry SET details = \'{"note":"no check at all"}\' WHERE seq = 3')
    connection.commit()
    connection.close()
    result = run("audit", "verify")
    assert result.exit_code == 1
    assert "BROKEN at entry 3" in result.stderr
    assert run("audit", "verify", "--head", "bogus").exit_code == 1
    assert head.startswith("3:")


def test_audit_verify_with_a_recorded_head_detects_truncation(lab: Lab, env: Path) -> None:
    _, path = lab.export_request(SERIAL, env / "request.txt")
    run("case", "receive", str(path))
    head = run("audit", "verify").stdout.strip().splitlines()[-1].removeprefix("head ")
    connection = sqlite3.connect(env / "support.sqlite")
    connection.execute("DROP TRIGGER audit_entry_is_append_only_delete")
    connection.execute("DELETE FROM audit_entry WHERE seq = 2")
    connection.commit()
    connection.close()
    assert run("audit", "verify").exit_code == 0  # the shorter chain is consistent
    result = run("audit", "verify", "--head", head)
    assert result.exit_code == 1
    assert "no longer in the log" in result.stderr


def test_serve_refuses_a_readable_operators_file(lab: Lab, env: Path) -> None:
    operators = env / "operators.json"
    operators.write_text('{"alice": "alice-token-0123456789abcdef"}')
    operators.chmod(0o644)
    result = run("serve", "--operators", str(operators))
    assert result.exit_code == 1
    assert "0644" in result.stderr
    operators.chmod(0o600)
    operators.write_text('["not", "a", "mapping"]')
    result = run("serve", "--operators", str(operators))
    assert result.exit_code == 1
    assert "JSON object" in result.stderr
