from __future__ import annotations

import re
import ssl
import stat
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from camvault.device.http import HttpServer
from camvault.device.lab.lab import Lab
from camvault.device.lab.runner import default_frontend
from camvault.device.lab.scenario import parse_scenario
from camvault.device.web.tls import device_certificate, device_tls_context
from camvault.errors import ConfigurationError
from tests.device.isapi.recovery_client import Device
from tests.device.model.conftest import STRONG
from tests.device.web.conftest import Browser

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def certificate_of(pem: bytes) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem[pem.index(b"-----BEGIN CERTIFICATE") :])


def trusting(pem: bytes) -> ssl.SSLContext:
    context = ssl.create_default_context(
        cadata=certificate_of(pem).public_bytes(serialization.Encoding.PEM).decode()
    )
    context.check_hostname = False  # the certificate names the IP address; verification of the chain stays on
    return context


def test_certificate_names_the_device() -> None:
    device = Device()
    pem = device_certificate(device.model.identity, "127.0.0.1", NOW)
    certificate = certificate_of(pem)
    assert certificate.subject == certificate.issuer
    assert (
        certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value
        == device.model.identity.serial
    )
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert certificate.not_valid_before_utc < NOW < certificate.not_valid_after_utc
    assert isinstance(certificate.public_key(), ec.EllipticCurvePublicKey)
    key = serialization.load_pem_private_key(pem, password=None)
    assert key.public_key().public_numbers() == certificate.public_key().public_numbers()  # type: ignore[union-attr]


def test_certificates_are_cached_privately_and_renewed_for_a_new_address(tmp_path: Path) -> None:
    identity = Device().model.identity
    device_tls_context(identity, "127.0.0.1", NOW, cache_dir=tmp_path / "tls")
    stored = tmp_path / "tls" / f"{identity.serial}.pem"
    first = stored.read_bytes()
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    device_tls_context(identity, "127.0.0.1", NOW, cache_dir=tmp_path / "tls")
    assert stored.read_bytes() == first
    device_tls_context(identity, "127.0.0.2", NOW, cache_dir=tmp_path / "tls")
    assert stored.read_bytes() != first


async def test_the_device_serves_its_pages_and_isapi_over_https(tmp_path: Path) -> None:
    device = Device()
    context = device_tls_context(device.model.identity, "127.0.0.1", datetime.now(UTC), cache_dir=tmp_path)
    server = HttpServer(device.frontend, host="127.0.0.1", port=0, tls=context)
    await server.start()
    try:
        base = f"https://127.0.0.1:{server.port}"
        pem = (tmp_path / f"{device.model.identity.serial}.pem").read_bytes()
        async with httpx.AsyncClient(base_url=base, verify=trusting(pem), timeout=5) as client:
            browser = Browser(device, client, origin=base)
            page = await browser.open("login.asp")
            login = await browser.login("admin", STRONG)
            users = await client.get("/doc/page/users.asp")
            digest = await client.get("/ISAPI/System/deviceInfo", auth=httpx.DigestAuth("admin", STRONG))
        async with httpx.AsyncClient(base_url=base, timeout=5) as untrusting:
            try:
                await untrusting.get("/doc/page/login.asp")
                verified = True
            except httpx.ConnectError:
                verified = False
    finally:
        await server.stop()
    assert page.status_code == 200 and "Secure" in page.headers["set-cookie"]
    assert login.status_code == 200 and re.search(r"WebSession=\w+;.*Secure", login.headers["set-cookie"])
    assert users.status_code == 200 and 'id="user-table"' in users.text
    assert digest.status_code == 200
    assert not verified, "a client that does not pin the self-signed certificate refuses it"


async def test_a_lab_with_https(tmp_path: Path) -> None:
    scenario = parse_scenario(
        {
            "lab": {"seed": 3, "boot_seconds": 0.1, "sadp_port": 0, "wsd_port": 0, "https": True},
            "devices": [{"label": "lobby", "admin_password": STRONG}],
        }
    )
    lab = Lab(tmp_path / "lab", scenario=scenario, frontend=default_frontend)
    await lab.start()
    try:
        device = lab.device("lobby")
        described = lab.manifest()["devices"][0]
        assert device.https_port and described["https_url"] == f"https://127.0.0.1:{device.https_port}/"
        pem = (tmp_path / "lab" / "tls" / f"{device.model.identity.serial}.pem").read_bytes()
        url = f"https://127.0.0.1:{device.https_port}/ISAPI/System/deviceInfo"
        async with httpx.AsyncClient(
            verify=trusting(pem), auth=httpx.DigestAuth("admin", STRONG), timeout=5
        ) as client:
            assert (await client.get(url)).status_code == 200
            await lab.power_cycle("lobby")
            assert (await client.get(url)).status_code == 200, "HTTPS comes back after a power cycle"
    finally:
        await lab.stop()


def test_https_is_off_by_default_and_must_be_a_boolean() -> None:
    assert parse_scenario({"devices": []}).settings.https is False
    with pytest.raises(ConfigurationError, match="'https' must be bool"):
        parse_scenario({"lab": {"https": "yes"}, "devices": []})
