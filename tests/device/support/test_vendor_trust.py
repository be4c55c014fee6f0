"""The factory: device keys and certificates, the vendor material it reads, and the lab's throwaway vendor."""

from __future__ import annotations

import base64
import json
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from camvault.clock import ManualClock
from camvault.device.model import DeviceModel
from camvault.device.model import vendor_support as vs
from camvault.device.model.vendor_trust import (
    CA_CERT_FILE,
    CA_KEY_FILE,
    TRUST_BUNDLE_FILE,
    load_factory_material,
    manufacture,
    open_throwaway_vendor,
    restore_vendor_trust,
)
from camvault.errors import ConfigurationError, CryptoError
from camvault.protocols import resetcode
from camvault.support.keys import load_vendor_keys
from camvault.support.service import SupportService
from camvault.support.store import SupportStore
from tests.device.support.conftest import FACTORY_PASSPHRASE, NEW_ADMIN, START, Vendor, made_device


def test_each_device_gets_its_own_key_and_a_certificate_naming_it(vendor: Vendor) -> None:
    first, second = made_device(vendor), made_device(vendor, seed=77)
    trusts = [model.vendor_support.trust for model in (first, second)]
    assert trusts[0] is not None and trusts[1] is not None
    assert trusts[0].private_record() != trusts[1].private_record()
    ca = vendor.material().ca_certificate
    for model, trust in zip((first, second), trusts, strict=True):
        identity = resetcode.verify_device_certificate(trust.certificate, [ca], vendor.clock.now())
        assert (identity.serial, identity.model, identity.mac) == (
            model.identity.serial,
            model.identity.model,
            model.identity.mac,
        )
        assert trust.certificate.not_valid_after_utc == ca.not_valid_after_utc
        assert set(trust.trusted_reset_keys()) == {info.key_id for info in vendor.service.keyring.reset_keys}


def test_the_device_certificate_works_whatever_the_device_clock(vendor: Vendor) -> None:
    camera = made_device(vendor)
    camera.set_time(camera.now().replace(year=1970))  # no NTP: the device boots in 1970
    request = resetcode.decode_request_file(vs.export_request(camera, source="x").content)
    resetcode.verify_reset_request(request, [vendor.material().ca_certificate], vendor.clock.now())


def test_records_round_trip_and_hide_the_key(camera: DeviceModel) -> None:
    trust = camera.vendor_support.trust
    assert trust is not None
    public, private = trust.public_record(), trust.private_record()
    assert "PRIVATE" not in json.dumps(public) and private["device_key"] not in json.dumps(public)
    restored = restore_vendor_trust(public, private, serial="S")
    assert restored is not None
    assert restored.private_record() == private and restored.public_record() == public
    assert private["device_key"] not in repr(trust) and private["device_key"] not in repr(
        camera.vendor_support
    )
    assert restore_vendor_trust(None, None, serial="S") is None
    assert restore_vendor_trust(None, {"device_key": None}, serial="S") is None


@pytest.mark.parametrize(
    ("public", "private", "message"),
    [
        ("keep", None, "incomplete"),
        (None, "keep", "incomplete"),
        ({"certificate": "junk", "trust_bundle": "junk"}, "keep", "damaged"),
        ("keep", {"device_key": "not base64!"}, "damaged"),
        ("keep", {"device_key": "QUJD"}, "damaged"),
        ({}, "keep", "damaged"),
        ("keep", "other", "not the one its certificate names"),
    ],
)
def test_damaged_records_are_refused(
    camera: DeviceModel, public: object, private: object, message: str
) -> None:
    trust = camera.vendor_support.trust
    assert trust is not None
    other_key = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    public = trust.public_record() if public == "keep" else public
    if private == "keep":
        private = trust.private_record()
    elif private == "other":
        private = {"device_key": base64.b64encode(other_key).decode()}
    with pytest.raises(ConfigurationError, match=message):
        restore_vendor_trust(public, private, serial="DS-X")  # type: ignore[arg-type]


def test_the_device_key_comes_from_the_injected_source(vendor: Vendor, camera: DeviceModel) -> None:
    one = manufacture(vendor.material(), camera.identity, random_bytes=lambda count: b"\x07" * count)
    two = manufacture(vendor.material(), camera.identity, random_bytes=lambda count: b"\x07" * count)
    assert one.private_record() == two.private_record()


# ------------------------------------------------------------------ the factory material


def test_the_exported_material_needs_its_passphrase(vendor: Vendor) -> None:
    with pytest.raises(CryptoError, match="CAMVAULT_FACTORY_PASSPHRASE"):
        load_factory_material(vendor.factory_dir, passphrase=None)
    with pytest.raises(CryptoError, match="wrong passphrase") as refused:
        load_factory_material(vendor.factory_dir, passphrase="not-it")
    assert "not-it" not in str(refused.value) and FACTORY_PASSPHRASE not in str(refused.value)
    material = load_factory_material(vendor.factory_dir, passphrase=FACTORY_PASSPHRASE)
    assert not material.throwaway and material.directory == vendor.factory_dir
    assert FACTORY_PASSPHRASE not in repr(material)


def copy_material(vendor: Vendor, target: Path) -> Path:
    target.mkdir(mode=0o700)
    for name in (CA_KEY_FILE, CA_CERT_FILE, TRUST_BUNDLE_FILE):
        (target / name).write_bytes((vendor.factory_dir / name).read_bytes())
        (target / name).chmod(0o600)
    return target


@pytest.mark.parametrize(
    ("damage", "error", "message"),
    [
        (lambda d: (d / CA_KEY_FILE).chmod(0o644), ConfigurationError, "readable by its owner only"),
        (lambda d: (d / CA_KEY_FILE).unlink(), ConfigurationError, "cannot read"),
        (lambda d: (d / TRUST_BUNDLE_FILE).unlink(), ConfigurationError, "cannot read"),
        (lambda d: (d / CA_CERT_FILE).write_bytes(b"not a certificate"), ConfigurationError, "not valid"),
        (
            lambda d: (d / TRUST_BUNDLE_FILE).write_bytes(b"-----BEGIN CAMVAULT TRUST BUNDLE-----\n{"),
            ConfigurationError,
            "not valid",
        ),
        (lambda d: (d / TRUST_BUNDLE_FILE).write_bytes(b"x" * 70_000), ConfigurationError, "larger than"),
        (lambda d: (d / CA_KEY_FILE).write_bytes(b"junk"), CryptoError, "not a private key"),
    ],
    ids=["loose-key", "no-key", "no-bundle", "bad-cert", "truncated-bundle", "oversized", "bad-key"],
)
def test_bad_material_is_refused_clearly(
    vendor: Vendor, tmp_path: Path, damage: object, error: type[Exception], message: str
) -> None:
    directory = copy_material(vendor, tmp_path / "copy")
    damage(directory)  # type: ignore[operator]
    with pytest.raises(error, match=message):
        load_factory_material(directory, passphrase=FACTORY_PASSPHRASE)


def test_a_ca_key_that_is_not_the_certificates_is_refused(vendor: Vendor, tmp_path: Path) -> None:
    directory = copy_material(vendor, tmp_path / "copy")
    stranger = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (directory / CA_KEY_FILE).write_bytes(stranger)
    with pytest.raises(ConfigurationError, match="is not the key of"):
        load_factory_material(directory, passphrase=None)


def test_a_device_certificate_is_not_a_ca(vendor: Vendor, camera: DeviceModel, tmp_path: Path) -> None:
    directory = copy_material(vendor, tmp_path / "copy")
    assert camera.vendor_support.trust is not None
    (directory / CA_CERT_FILE).write_text(camera.vendor_support.trust.public_record()["certificate"])
    with pytest.raises(ConfigurationError, match="not a CA"):
        load_factory_material(directory, passphrase=FACTORY_PASSPHRASE)


# ------------------------------------------------------------------ the throwaway vendor


def test_the_throwaway_vendor_is_owner_only_and_made_once(tmp_path: Path) -> None:
    directory = tmp_path / "state" / "vendor"
    material = open_throwaway_vendor(directory, now=START)
    assert material.throwaway and material.directory == directory
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    names = sorted(path.name for path in directory.iterdir())
    assert names[:3] == ["device-ca.crt", "device-ca.key", "keyring.json"]
    assert len([name for name in names if name.startswith("reset-")]) == 2 and TRUST_BUNDLE_FILE in names
    for path in directory.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    again = open_throwaway_vendor(directory, now=START + timedelta(days=1))
    assert again.ca_certificate == material.ca_certificate


def test_the_support_service_answers_the_throwaway_vendors_devices(tmp_path: Path) -> None:
    """The layout the device package writes is the one camvault.support reads: a change on either side fails here."""
    directory = tmp_path / "vendor"
    material = open_throwaway_vendor(directory, now=START)
    keys = load_vendor_keys(directory, None)
    assert keys.keyring.device_ca == material.ca_certificate
    assert [key.public_key for key in material.trust.keys] == keys.keyring.device_trust()
    clock = ManualClock(START + timedelta(hours=1))
    store = SupportStore.open(tmp_path / "support.sqlite")
    try:
        service = SupportService(store, keys, clock=clock)
        vendor = Vendor(directory, directory, clock, store, service)
        camera = made_device(vendor)
        camera.vendor_support.trust = manufacture(material, camera.identity)
        issued = vendor.issue(vs.export_request(camera, source="x").content)
        assert vs.reset_with_code(camera, issued.typed, NEW_ADMIN, source="x").accepted
    finally:
        store.close()


def test_a_half_written_throwaway_directory_is_completed_or_refused(tmp_path: Path) -> None:
    directory = tmp_path / "vendor"
    directory.mkdir(mode=0o700)
    (directory / CA_CERT_FILE).write_text("left over")  # no CA key: not complete, so it is made again
    material = open_throwaway_vendor(directory, now=START)
    assert material.ca_certificate.subject.rfc4514_string().endswith("device CA")
