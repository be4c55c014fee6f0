from __future__ import annotations

import base64
import logging
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from camvault.errors import ConfigurationError, CryptoError, ResetCodeInvalid
from camvault.protocols import resetcode
from camvault.support import keys
from tests.support.conftest import PASSPHRASE, START


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def private_secrets(key_dir: Path) -> list[str]:
    """Every textual form of every private key in the directory, for log greps."""
    found = []
    for path in key_dir.glob("*.key"):
        key = serialization.load_pem_private_key(path.read_bytes(), PASSPHRASE.encode())
        raw = key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        found += [raw.hex(), base64.b64encode(raw).decode(), path.read_text().splitlines()[1]]
    return found


def test_init_writes_owner_only_files_and_encrypted_keys(tmp_path: Path) -> None:
    key_dir = tmp_path / "vendor"
    keyring = keys.init_keys(key_dir, passphrase=PASSPHRASE, now=START)
    assert mode(key_dir) == 0o700
    files = sorted(p.name for p in key_dir.iterdir())
    current, following = keyring.by_role("current"), keyring.by_role("next")
    assert files == sorted(
        [
            "device-ca.crt",
            "device-ca.key",
            "keyring.json",
            f"reset-{resetcode.format_key_id(current.key_id)}.key",
            f"reset-{resetcode.format_key_id(following.key_id)}.key",
        ]
    )
    for path in key_dir.iterdir():
        assert mode(path) == 0o600, path
    for path in key_dir.glob("*.key"):
        assert path.read_text().startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert current.key_id != following.key_id
    assert keyring.encrypted


def test_init_without_passphrase_writes_clear_keys_still_owner_only(tmp_path: Path) -> None:
    keys.init_keys(tmp_path / "k", passphrase=None, now=START)
    for path in (tmp_path / "k").glob("*.key"):
        assert path.read_text().startswith("-----BEGIN PRIVATE KEY-----")
        assert mode(path) == 0o600
    assert keys.load_vendor_keys(tmp_path / "k", None).signing_key_id


def test_init_refuses_an_existing_keyring(tmp_path: Path) -> None:
    keys.init_keys(tmp_path / "k", passphrase=PASSPHRASE, now=START)
    with pytest.raises(ConfigurationError, match="already holds"):
        keys.init_keys(tmp_path / "k", passphrase=PASSPHRASE, now=START)


def test_wrong_or_missing_passphrase(tmp_path: Path) -> None:
    keys.init_keys(tmp_path / "k", passphrase=PASSPHRASE, now=START)
    for attempt in ("wrong-passphrase", None):
        with pytest.raises(CryptoError) as caught:
            keys.load_vendor_keys(tmp_path / "k", attempt)
        assert PASSPHRASE not in str(caught.value)


@pytest.mark.parametrize("name", ["keyring.json", "device-ca.crt", "reset-*.key"])
def test_loose_file_permissions_are_refused(tmp_path: Path, name: str) -> None:
    keys.init_keys(tmp_path / "k", passphrase=PASSPHRASE, now=START)
    path = next((tmp_path / "k").glob(name))
    path.chmod(0o640)
    with pytest.raises(ConfigurationError, match="0640"):
        keys.load_vendor_keys(tmp_path / "k", PASSPHRASE)


def test_loose_directory_permissions_are_refused(tmp_path: Path) -> None:
    keys.init_keys(tmp_path / "k", passphrase=PASSPHRASE, now=START)
    (tmp_path / "k").chmod(0o755)
    with pytest.raises(ConfigurationError, match="0755"):
        keys.load_public_keyring(tmp_path / "k")
    with pytest.raises(ConfigurationError):
        keys.init_keys(tmp_path / "k", passphrase=PASSPHRASE, now=START)


def test_tampered_keyring_is_refused(tmp_path: Path) -> None:
    keys.init_keys(tmp_path / "k", passphrase=PASSPHRASE, now=START)
    keyring_file = tmp_path / "k" / "keyring.json"
    text = keyring_file.read_text()
    keyring_file.write_text(text.replace('"role": "next"', '"role": "current"'))
    with pytest.raises(ConfigurationError, match="exactly one current"):
        keys.load_public_keyring(tmp_path / "k")
    keyring_file.write_text("{not json")
    with pytest.raises(ConfigurationError, match="JSON"):
        keys.load_public_keyring(tmp_path / "k")
    keyring_file.write_text(text)
    (tmp_path / "k" / "device-ca.crt").write_text(
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    )
    with pytest.raises(ConfigurationError, match="not a valid certificate"):
        keys.load_public_keyring(tmp_path / "k")


def test_rotation_promotes_next_and_retires_current(tmp_path: Path) -> None:
    key_dir = tmp_path / "k"
    before = keys.init_keys(key_dir, passphrase=PASSPHRASE, now=START)
    after = keys.rotate_keys(key_dir, passphrase=PASSPHRASE, now=START + timedelta(days=90))
    assert after.by_role("current").key_id == before.by_role("next").key_id
    retired_id = before.by_role("current").key_id
    assert [k.role for k in after.reset_keys if k.key_id == retired_id] == ["retired"]
    assert after.by_role("next").key_id not in {retired_id, after.by_role("current").key_id}
    assert not (key_dir / f"reset-{resetcode.format_key_id(retired_id)}.key").exists()
    assert retired_id in keys.load_public_keyring(key_dir).all_public_keys()
    loaded = keys.load_vendor_keys(key_dir, PASSPHRASE)
    assert loaded.signing_key_id == before.by_role("next").key_id
    for path in key_dir.iterdir():
        assert mode(path) == 0o600


def test_rotation_needs_the_passphrase(tmp_path: Path) -> None:
    keys.init_keys(tmp_path / "k", passphrase=PASSPHRASE, now=START)
    before = (tmp_path / "k" / "keyring.json").read_bytes()
    with pytest.raises(CryptoError):
        keys.rotate_keys(tmp_path / "k", passphrase="nope", now=START)
    assert (tmp_path / "k" / "keyring.json").read_bytes() == before


def test_devices_follow_one_rotation_but_not_a_retired_key(tmp_path: Path) -> None:
    key_dir = tmp_path / "k"
    old = keys.init_keys(key_dir, passphrase=PASSPHRASE, now=START)
    old_signer = keys.load_vendor_keys(key_dir, PASSPHRASE).signing_key
    field_device_trust = resetcode.decode_trust_bundle(keys.export_trust_bundle(old)).as_mapping()
    new = keys.rotate_keys(key_dir, passphrase=PASSPHRASE, now=START)
    new_signer = keys.load_vendor_keys(key_dir, PASSPHRASE).signing_key
    new_device_trust = resetcode.decode_trust_bundle(keys.export_trust_bundle(new)).as_mapping()
    nonce = bytes(range(16))

    def check(signer: object, trust: dict[int, object]) -> None:
        code = resetcode.issue_reset_code(
            signer,  # type: ignore[arg-type]
            serial="SN1",
            nonce=nonce,
            expiry=START + timedelta(hours=1),
            code_id=1,
        )
        resetcode.verify_reset_code(
            resetcode.encode_typed_code(code),
            trusted_reset_keys=trust,  # type: ignore[arg-type]
            serial="SN1",
            pending_nonce=nonce,
            used_code_ids=(),
            now=START,
        )

    check(new_signer, field_device_trust)  # made before the rotation, trusts the new current as "next"
    check(new_signer, new_device_trust)
    with pytest.raises(ResetCodeInvalid) as caught:
        check(old_signer, new_device_trust)
    assert caught.value.reason == "unknown_key"


def test_factory_material_export(tmp_path: Path) -> None:
    key_dir, out = tmp_path / "k", tmp_path / "factory"
    keyring = keys.init_keys(key_dir, passphrase=PASSPHRASE, now=START)
    written = keys.export_factory_material(
        key_dir, out, passphrase=PASSPHRASE, export_passphrase="lab-secret"
    )
    assert mode(out) == 0o700
    assert {p.name for p in written} == {"device-ca.key", "device-ca.crt", "trust-bundle.txt"}
    for path in written:
        assert mode(path) == 0o600
    ca_key = serialization.load_pem_private_key((out / "device-ca.key").read_bytes(), b"lab-secret")
    assert ca_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    ) == keyring.device_ca.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    bundle = resetcode.decode_trust_bundle((out / "trust-bundle.txt").read_bytes())
    assert [k.key_id for k in bundle.keys] == [
        keyring.by_role("current").key_id,
        keyring.by_role("next").key_id,
    ]
    with pytest.raises(ConfigurationError, match="not empty"):
        keys.export_factory_material(key_dir, out, passphrase=PASSPHRASE, export_passphrase=None)


def test_key_material_never_reaches_the_logs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    key_dir = tmp_path / "k"
    keys.init_keys(key_dir, passphrase=PASSPHRASE, now=START)
    keys.load_vendor_keys(key_dir, PASSPHRASE)
    before_rotation = private_secrets(key_dir)
    keys.rotate_keys(key_dir, passphrase=PASSPHRASE, now=START)
    keys.export_factory_material(key_dir, tmp_path / "f", passphrase=PASSPHRASE, export_passphrase=PASSPHRASE)
    with pytest.raises(CryptoError):
        keys.load_vendor_keys(key_dir, "wrong")
    assert "rotated reset keys" in caplog.text  # the logging is there, and clean
    for secret in [PASSPHRASE, *before_rotation, *private_secrets(key_dir)]:
        assert secret not in caplog.text
    vendor_keys = keys.load_vendor_keys(key_dir, PASSPHRASE)
    assert "signing_key" not in repr(vendor_keys)
