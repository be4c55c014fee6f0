from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from camvault.errors import (
    InvalidContent,
    MalformedMessage,
    MessageTooLarge,
    ProtocolError,
    ResetCodeInvalid,
    SignatureError,
)
from camvault.protocols import resetcode as rc

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
# The serial and MAC formats of a real SADP ProbeMatch (hikvision.md §13.3, CAP2).
SERIAL = "DS-2CD2385G1-I20200414AAWRE33842150"
MODEL = "DS-2CD2385G1-I"
MAC_AS_SADP_SHOWS_IT = "58-50-ed-1f-e3-85"
FIRMWARE = "V5.6.2build 190701"
OTHER_SERIAL = "DS-2CD2320D-I20180326AAWR123456789"
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TYPED_PATTERN = re.compile(r"([0-9A-HJKMNP-TV-Z]{5}-){24}[0-9A-HJKMNP-TV-Z]{5}")


def key(n: int) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes([n]) * 32)


@dataclass
class Factory:
    """What the lab and the vendor hold: a device CA, two devices, reset-signing keys."""

    ca_key: Ed25519PrivateKey = field(default_factory=lambda: key(1))
    reset_current: Ed25519PrivateKey = field(default_factory=lambda: key(2))
    reset_next: Ed25519PrivateKey = field(default_factory=lambda: key(3))
    reset_retired: Ed25519PrivateKey = field(default_factory=lambda: key(4))
    device_key: Ed25519PrivateKey = field(default_factory=lambda: key(5))
    other_device_key: Ed25519PrivateKey = field(default_factory=lambda: key(6))

    def __post_init__(self) -> None:
        self.ca = rc.create_device_ca(
            self.ca_key, not_before=NOW - timedelta(days=365), not_after=NOW + timedelta(days=3650)
        )
        self.cert = self.device_cert(self.device_key, SERIAL, MODEL, MAC_AS_SADP_SHOWS_IT)
        self.other_cert = self.device_cert(
            self.other_device_key, OTHER_SERIAL, "DS-2CD2320D-I", "aa:bb:cc:00:11:22"
        )

    def device_cert(
        self,
        device_key: Ed25519PrivateKey,
        serial: str,
        model: str,
        mac: str,
        *,
        not_before: datetime = NOW - timedelta(days=30),
        not_after: datetime = NOW + timedelta(days=3650),
    ) -> x509.Certificate:
        return rc.issue_device_certificate(
            self.ca_key,
            self.ca,
            device_key.public_key(),
            serial=serial,
            model=model,
            mac=mac,
            not_before=not_before,
            not_after=not_after,
        )

    def request(self, *, now: datetime = NOW, nonce: bytes | None = None) -> rc.ResetRequest:
        return rc.build_reset_request(
            self.device_key,
            self.cert,
            model=MODEL,
            serial=SERIAL,
            mac=MAC_AS_SADP_SHOWS_IT,
            firmware=FIRMWARE,
            now=now,
            nonce=nonce,
        )

    def trusted(self) -> dict[int, object]:
        bundle = rc.decode_trust_bundle(
            rc.encode_trust_bundle([self.reset_current.public_key(), self.reset_next.public_key()])
        )
        return dict(bundle.as_mapping())


@pytest.fixture
def factory() -> Factory:
    return Factory()


def issue(
    signing_key: Ed25519PrivateKey,
    request: rc.ResetRequest,
    *,
    serial: str | None = None,
    code_id: int = 7,
    sync: bool = False,
) -> rc.ResetCode:
    return rc.issue_reset_code(
        signing_key,
        serial=serial or request.serial,
        nonce=request.nonce,
        expiry=request.expiry,
        code_id=code_id,
        sync_ipc_password=sync,
    )


def device_check(
    factory: Factory,
    code: str | bytes,
    *,
    pending: bytes | None,
    used: frozenset[int] = frozenset(),
    now: datetime = NOW + timedelta(hours=1),
    serial: str = SERIAL,
) -> rc.AcceptedCode:
    return rc.verify_reset_code(
        code,
        trusted_reset_keys=factory.trusted(),  # type: ignore[arg-type]
        serial=serial,
        pending_nonce=pending,
        used_code_ids=used,
        now=now,
    )


# ------------------------------------------------------------------ independent reference implementation


def reference_crc24(data: bytes) -> int:
    """Bit-serial CRC-24/OPENPGP written from RFC 4880, independent of the module's."""
    crc = 0xB704CE
    for bit_index in range(len(data) * 8):
        bit = (data[bit_index // 8] >> (7 - bit_index % 8)) & 1
        top = (crc >> 23) & 1
        crc = (crc << 1) & 0xFFFFFF
        if top ^ bit:
            crc ^= 0x864CFB
    return crc


def reference_typed(payload: bytes) -> str:
    """Typed form of a 75-byte payload: payload, CRC-24, one zero bit, Crockford base32, groups of 5."""
    bits = "".join(f"{b:08b}" for b in payload + reference_crc24(payload).to_bytes(3, "big")) + "0"
    symbols = "".join(ALPHABET[int(bits[i : i + 5], 2)] for i in range(0, len(bits), 5))
    return "-".join(symbols[i : i + 5] for i in range(0, len(symbols), 5))


def reference_payload(typed: str) -> bytes:
    bits = "".join(f"{ALPHABET.index(s):05b}" for s in typed.replace("-", ""))
    return int(bits[:600], 2).to_bytes(75, "big")


def test_crc24_has_the_published_check_value() -> None:
    # CRC-24/OPENPGP check value for "123456789" (CRC catalogue).
    assert reference_crc24(b"123456789") == 0x21CF02


# ------------------------------------------------------------------------------------------- certificates


def test_device_certificate_binds_serial_model_and_canonical_mac(factory: Factory) -> None:
    identity = rc.verify_device_certificate(factory.cert, [factory.ca], NOW)
    assert identity == rc.DeviceIdentity(serial=SERIAL, model=MODEL, mac="58:50:ed:1f:e3:85")
    assert factory.cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == SERIAL


def test_certificate_from_an_untrusted_ca_is_refused(factory: Factory) -> None:
    impostor_ca = rc.create_device_ca(
        key(9), not_before=NOW - timedelta(days=1), not_after=NOW + timedelta(days=9)
    )
    assert impostor_ca.subject == factory.ca.subject  # same name, different key
    forged = rc.issue_device_certificate(
        key(9),
        impostor_ca,
        factory.device_key.public_key(),
        serial=SERIAL,
        model=MODEL,
        mac=MAC_AS_SADP_SHOWS_IT,
        not_before=NOW - timedelta(days=1),
        not_after=NOW + timedelta(days=9),
    )
    with pytest.raises(SignatureError, match="trusted device CA"):
        rc.verify_device_certificate(forged, [factory.ca], NOW)


@pytest.mark.parametrize("moment", [NOW - timedelta(days=31), NOW + timedelta(days=3651)])
def test_certificate_outside_its_validity_is_refused(factory: Factory, moment: datetime) -> None:
    with pytest.raises(SignatureError, match="valid from"):
        rc.verify_device_certificate(factory.cert, [factory.ca], moment)


def test_a_device_cannot_act_as_a_ca(factory: Factory) -> None:
    """A device key cannot mint certificates: its certificate is not a CA."""
    minted = rc.issue_device_certificate(
        factory.device_key,
        factory.cert,
        key(10).public_key(),
        serial=OTHER_SERIAL,
        model=MODEL,
        mac="aa:aa:aa:aa:aa:aa",
        not_before=NOW - timedelta(days=1),
        not_after=NOW + timedelta(days=9),
    )
    with pytest.raises(SignatureError):
        rc.verify_device_certificate(minted, [factory.ca, factory.cert], NOW)


def test_ca_certificate_is_not_a_device_certificate(factory: Factory) -> None:
    with pytest.raises(SignatureError, match="CA certificate"):
        rc.verify_device_certificate(factory.ca, [factory.ca], NOW)


@pytest.mark.parametrize("mac", ["58:50:ed:1f:e3", "58-50:ed-1f-e3-85", "zz-50-ed-1f-e3-85", ""])
def test_bad_mac_is_refused(mac: str) -> None:
    with pytest.raises(InvalidContent) as caught:
        rc.normalize_mac(mac)
    assert caught.value.field == "mac"


def test_mac_normalisation_accepts_sadp_and_colon_forms() -> None:
    assert rc.normalize_mac(MAC_AS_SADP_SHOWS_IT) == "58:50:ed:1f:e3:85"
    assert rc.normalize_mac("58:50:ED:1F:E3:85") == "58:50:ed:1f:e3:85"


# ----------------------------------------------------------------------------------------- reset request


def test_request_round_trips_and_verifies(factory: Factory) -> None:
    request = factory.request()
    data = rc.encode_request_file(request)
    assert data.startswith(b"-----BEGIN CAMVAULT RESET REQUEST-----\n")
    assert SERIAL.encode() in data
    assert b"PRIVATE" not in data
    decoded = rc.decode_request_file(data)
    assert decoded == request
    verified = rc.verify_reset_request(decoded, [factory.ca], NOW)
    assert verified.identity.serial == SERIAL
    assert verified.request.expiry - verified.request.device_time == rc.DEFAULT_REQUEST_VALIDITY
    assert verified.certificate_fingerprint == rc.certificate_fingerprint(factory.cert)


def test_each_export_has_a_fresh_nonce(factory: Factory) -> None:
    nonces = {factory.request().nonce for _ in range(20)}
    assert len(nonces) == 20
    assert all(len(n) == rc.NONCE_BYTES for n in nonces)


def test_request_from_a_crlf_file_still_verifies(factory: Factory) -> None:
    data = rc.encode_request_file(factory.request()).replace(b"\n", b"\r\n")
    rc.verify_reset_request(rc.decode_request_file(data), [factory.ca], NOW)


def test_build_refuses_a_key_that_is_not_the_certificates(factory: Factory) -> None:
    with pytest.raises(SignatureError):
        rc.build_reset_request(
            factory.other_device_key,
            factory.cert,
            model=MODEL,
            serial=SERIAL,
            mac=MAC_AS_SADP_SHOWS_IT,
            firmware=FIRMWARE,
            now=NOW,
        )


def _edit(data: bytes, **changes: object) -> bytes:
    body = data.decode().split("\n", 1)[1].rsplit("-----END", 1)[0]
    document = json.loads(body)
    document.update(changes)
    return (
        "-----BEGIN CAMVAULT RESET REQUEST-----\n"
        + json.dumps(document)
        + "\n-----END CAMVAULT RESET REQUEST-----\n"
    ).encode()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("model", "DS-2CD2020F-I"),
        ("serial", OTHER_SERIAL),
        ("mac", "58:50:ed:1f:e3:86"),
        ("firmware", "V5.7.0build 200101"),
        ("device_time", "2026-03-01T11:00:00Z"),
        ("nonce", "AAAAAAAAAAAAAAAAAAAAAA=="),
        ("expiry", "2026-03-10T12:00:00Z"),
    ],
)
def test_every_tampered_request_field_breaks_the_signature(factory: Factory, name: str, value: str) -> None:
    original = factory.request()
    tampered = rc.decode_request_file(_edit(rc.encode_request_file(original), **{name: value}))
    assert getattr(tampered, name) != getattr(original, name)
    with pytest.raises(SignatureError):
        rc.verify_reset_request(tampered, [factory.ca], NOW)


def test_swapped_certificate_breaks_the_signature(factory: Factory) -> None:
    data = _edit(
        rc.encode_request_file(factory.request()), certificate=rc.certificate_to_pem(factory.other_cert)
    )
    with pytest.raises(SignatureError):
        rc.verify_reset_request(rc.decode_request_file(data), [factory.ca], NOW)


def test_a_device_cannot_request_a_code_for_another_serial(factory: Factory) -> None:
    """The owner of device B signs a request naming device A's serial with B's genuine key and certificate."""
    forged = rc.build_reset_request(
        factory.other_device_key,
        factory.other_cert,
        model="DS-2CD2320D-I",
        serial=SERIAL,
        mac="aa:bb:cc:00:11:22",
        firmware=FIRMWARE,
        now=NOW,
    )
    with pytest.raises(SignatureError, match="serial"):
        rc.verify_reset_request(forged, [factory.ca], NOW)


def test_request_signed_with_another_key_is_refused(factory: Factory) -> None:
    genuine = factory.request()
    signature = key(11).sign(genuine.signed_bytes())
    forged = rc.decode_request_file(
        _edit(rc.encode_request_file(genuine), signature=base64.b64encode(signature).decode())
    )
    with pytest.raises(SignatureError, match="signature"):
        rc.verify_reset_request(forged, [factory.ca], NOW)


def test_oversized_request_file_is_refused(factory: Factory) -> None:
    data = rc.encode_request_file(factory.request())
    padded = data + b" " * (rc.MAX_REQUEST_FILE_BYTES - len(data) + 1)
    with pytest.raises(MessageTooLarge):
        rc.decode_request_file(padded)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello",
        b"\xff\xfe\x00garbage",
        b"-----BEGIN CAMVAULT RESET REQUEST-----\n{}",
        b"-----BEGIN CAMVAULT RESET REQUEST-----\n{\n-----END CAMVAULT RESET REQUEST-----",
        b"-----BEGIN CAMVAULT RESET REQUEST-----\n[1]\n-----END CAMVAULT RESET REQUEST-----",
        b"-----BEGIN CAMVAULT RESET REQUEST-----\n"
        + b"[" * 5000
        + b"]" * 5000
        + b"\n-----END CAMVAULT RESET REQUEST-----",
        b'-----BEGIN CAMVAULT RESET REQUEST-----\n{"version": NaN}\n-----END CAMVAULT RESET REQUEST-----',
        b"-----BEGIN CAMVAULT RESET CODE-----\n{}\n-----END CAMVAULT RESET CODE-----",
    ],
)
def test_garbage_request_files_are_malformed(data: bytes) -> None:
    with pytest.raises(MalformedMessage):
        rc.decode_request_file(data)


def test_every_truncation_of_a_request_file_is_refused(factory: Factory) -> None:
    data = rc.encode_request_file(factory.request())
    for cut in range(0, len(data) - 2, 7):
        with pytest.raises(ProtocolError):
            rc.decode_request_file(data[:cut])


@pytest.mark.parametrize(
    "name",
    [
        "format",
        "version",
        "model",
        "serial",
        "mac",
        "firmware",
        "device_time",
        "nonce",
        "expiry",
        "certificate",
        "signature",
    ],
)
def test_missing_request_field_is_named(factory: Factory, name: str) -> None:
    body = json.loads(
        rc.encode_request_file(factory.request()).decode().split("\n", 1)[1].rsplit("-----END", 1)[0]
    )
    del body[name]
    data = f"-----BEGIN CAMVAULT RESET REQUEST-----\n{json.dumps(body)}\n-----END CAMVAULT RESET REQUEST-----"
    with pytest.raises(InvalidContent) as caught:
        rc.decode_request_file(data)
    assert caught.value.field == name


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("version", 2),
        ("version", "1"),
        ("version", True),
        ("format", "camvault-reset-code"),
        ("model", 42),
        ("model", ""),
        ("model", "x" * 65),
        ("serial", "bad serial with spaces"),
        ("serial", None),
        ("mac", "58-50-ed-1f-e3-85"),
        ("mac", "58:50:ed:1f:e3"),
        ("firmware", "\u00e9"),
        ("device_time", "2026-03-01 12:00:00"),
        ("device_time", "2026-13-01T12:00:00Z"),
        ("device_time", 1767225600),
        ("expiry", "2026-02-01T12:00:00Z"),
        ("nonce", "not base64!"),
        ("nonce", "AAAA"),
        ("nonce", "AAAAAAAAAAAAAAAAAAAAAB=="),
        ("signature", "AAAA"),
        ("certificate", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
        ("certificate", "x" * 5000),
        ("extra", "field"),
    ],
)
def test_wrong_request_field_is_refused(factory: Factory, name: str, value: object) -> None:
    with pytest.raises(InvalidContent) as caught:
        rc.decode_request_file(_edit(rc.encode_request_file(factory.request()), **{name: value}))
    assert caught.value.field == name


def test_duplicate_field_is_refused(factory: Factory) -> None:
    data = rc.encode_request_file(factory.request()).replace(b'"model":', b'"model": "X", "model":', 1)
    with pytest.raises(InvalidContent, match="twice"):
        rc.decode_request_file(data)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=2048))
def test_random_bytes_only_ever_raise_protocol_errors(data: bytes) -> None:
    with pytest.raises(ProtocolError):
        rc.decode_request_file(data)


@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(min_value=0), replacement=st.integers(min_value=0, max_value=255))
def test_any_single_byte_change_is_refused_or_harmless(
    factory: Factory, position: int, replacement: int
) -> None:
    original = factory.request(nonce=bytes(range(16)))
    data = bytearray(rc.encode_request_file(original))
    data[position % len(data)] = replacement
    try:
        decoded = rc.decode_request_file(bytes(data))
    except ProtocolError:
        return
    if decoded == original:
        return  # e.g. whitespace between JSON tokens
    with pytest.raises(SignatureError):
        rc.verify_reset_request(decoded, [factory.ca], NOW)


def test_every_damaged_certificate_byte_is_refused(factory: Factory) -> None:
    """cryptography parses some certificate fields lazily; damage anywhere must still fail cleanly."""
    original = factory.request()
    der = bytearray(factory.cert.public_bytes(serialization.Encoding.DER))
    for position in range(len(der)):
        damaged = bytearray(der)
        damaged[position] ^= 0x5A
        pem = (
            "-----BEGIN CERTIFICATE-----\n"
            + base64.encodebytes(bytes(damaged)).decode()
            + "-----END CERTIFICATE-----\n"
        )
        data = _edit(rc.encode_request_file(original), certificate=pem)
        try:
            decoded = rc.decode_request_file(data)
        except InvalidContent:
            continue
        with pytest.raises(SignatureError):
            rc.verify_reset_request(decoded, [factory.ca], NOW)


@settings(max_examples=60)
@given(data=st.binary(max_size=600) | st.text(max_size=300).map(str.encode))
def test_random_code_files_and_bundles_only_raise_protocol_errors(data: bytes) -> None:
    for decode in (rc.decode_code_file, rc.decode_trust_bundle):
        with pytest.raises(ProtocolError):
            decode(data)
        with pytest.raises(ProtocolError):
            decode(b"-----BEGIN CAMVAULT RESET CODE-----\n" + data + b"\n-----END CAMVAULT RESET CODE-----")


@settings(max_examples=80)
@given(text=st.text(max_size=200))
def test_random_typed_input_is_refused_as_malformed_or_typo(text: str) -> None:
    with pytest.raises(ResetCodeInvalid) as caught:
        rc.decode_typed_code(text, serial=SERIAL, nonce=bytes(16))
    assert caught.value.reason in {"malformed", "checksum"}


# -------------------------------------------------------------------------------------- typed reset code


def test_typed_code_shape_and_round_trip(factory: Factory) -> None:
    request = factory.request()
    code = issue(factory.reset_current, request, sync=True)
    typed = rc.encode_typed_code(code)
    assert TYPED_PATTERN.fullmatch(typed)
    assert len(typed.replace("-", "")) == rc.TYPED_CODE_LENGTH == 125
    assert rc.decode_typed_code(typed, serial=SERIAL, nonce=request.nonce) == code
    assert typed == reference_typed(reference_payload(typed))


def test_typed_code_carries_the_fields_in_the_documented_layout(factory: Factory) -> None:
    request = factory.request()
    code = issue(factory.reset_current, request, code_id=0x01020304, sync=True)
    payload = reference_payload(rc.encode_typed_code(code))
    assert payload[0] == 0x11  # version 1, flag sync_ipc_password
    assert int.from_bytes(payload[1:3], "big") == rc.key_id_for(factory.reset_current.public_key())
    assert int.from_bytes(payload[3:7], "big") * 60 == int(request.expiry.timestamp())
    assert payload[7:11] == bytes([1, 2, 3, 4])
    assert payload[11:] == code.signature


def test_typed_code_is_forgiving_about_case_separators_and_lookalikes(factory: Factory) -> None:
    request = factory.request()
    typed = rc.encode_typed_code(issue(factory.reset_current, request))
    sloppy = " ".join(typed.split("-")).lower().replace("0", "o").replace("1", "l")
    accepted = device_check(factory, sloppy, pending=request.nonce)
    assert accepted.code_id == 7


def test_every_single_character_typo_is_reported_as_a_typo(factory: Factory) -> None:
    request = factory.request()
    compact = rc.encode_typed_code(issue(factory.reset_current, request)).replace("-", "")
    for position, original in enumerate(compact):
        for symbol in ALPHABET:
            if symbol == original:
                continue
            typo = compact[:position] + symbol + compact[position + 1 :]
            with pytest.raises(ResetCodeInvalid) as caught:
                rc.decode_typed_code(typo, serial=SERIAL, nonce=request.nonce)
            assert caught.value.reason == "checksum"


def test_every_swap_of_neighbours_is_reported_as_a_typo(factory: Factory) -> None:
    request = factory.request()
    compact = rc.encode_typed_code(issue(factory.reset_current, request)).replace("-", "")
    for position in range(len(compact) - 1):
        if compact[position] == compact[position + 1]:
            continue
        swapped = compact[:position] + compact[position + 1] + compact[position] + compact[position + 2 :]
        with pytest.raises(ResetCodeInvalid) as caught:
            rc.decode_typed_code(swapped, serial=SERIAL, nonce=request.nonce)
        assert caught.value.reason == "checksum"


@settings(max_examples=40)
@given(
    # any key id, code id and signature; a valid version, flags and expiry (minutes since 1970)
    payload=st.binary(min_size=75, max_size=75).map(
        lambda b: bytes([0x10]) + b[1:3] + (29_500_000).to_bytes(4, "big") + b[7:]
    ),
    position=st.integers(min_value=0, max_value=124),
    delta=st.integers(min_value=1, max_value=31),
    swap_at=st.integers(min_value=0, max_value=123),
)
def test_typos_are_caught_for_any_payload(payload: bytes, position: int, delta: int, swap_at: int) -> None:
    compact = reference_typed(payload).replace("-", "")
    rc.decode_typed_code(compact, serial=SERIAL, nonce=bytes(16))  # the untouched code parses
    typo = (
        compact[:position]
        + ALPHABET[(ALPHABET.index(compact[position]) + delta) % 32]
        + compact[position + 1 :]
    )
    with pytest.raises(ResetCodeInvalid, match="typo"):
        rc.decode_typed_code(typo, serial=SERIAL, nonce=bytes(16))
    a, b = compact[swap_at], compact[swap_at + 1]
    if a != b:
        swapped = compact[:swap_at] + b + a + compact[swap_at + 2 :]
        with pytest.raises(ResetCodeInvalid, match="typo"):
            rc.decode_typed_code(swapped, serial=SERIAL, nonce=bytes(16))


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: t[:-1],
        lambda t: t + "0",
        lambda t: "U" + t[1:],
        lambda t: "*" + t[1:],
        lambda t: "",
        lambda t: t * 10,
    ],
)
def test_malformed_typed_codes(factory: Factory, mutate: object) -> None:
    request = factory.request()
    typed = rc.encode_typed_code(issue(factory.reset_current, request))
    with pytest.raises(ResetCodeInvalid) as caught:
        device_check(factory, mutate(typed), pending=request.nonce)  # type: ignore[operator]
    assert caught.value.reason == "malformed"


@pytest.mark.parametrize("first_byte", [0x21, 0x12, 0x00])
def test_unknown_version_or_flags_are_malformed(factory: Factory, first_byte: int) -> None:
    request = factory.request()
    payload = reference_payload(rc.encode_typed_code(issue(factory.reset_current, request)))
    crafted = reference_typed(bytes([first_byte]) + payload[1:])
    with pytest.raises(ResetCodeInvalid) as caught:
        device_check(factory, crafted, pending=request.nonce)
    assert caught.value.reason == "malformed"


def test_expiry_beyond_the_calendar_is_malformed(factory: Factory) -> None:
    request = factory.request()
    payload = reference_payload(rc.encode_typed_code(issue(factory.reset_current, request)))
    crafted = reference_typed(payload[:3] + b"\xff\xff\xff\xff" + payload[7:])
    with pytest.raises(ResetCodeInvalid) as caught:
        device_check(factory, crafted, pending=request.nonce)
    assert caught.value.reason == "malformed"


# ------------------------------------------------------------------------------- device-side rejections


def test_genuine_code_is_accepted_typed_and_as_file(factory: Factory) -> None:
    request = factory.request()
    code = issue(factory.reset_current, request, code_id=99, sync=True)
    for form in (rc.encode_typed_code(code), rc.encode_code_file(code)):
        accepted = device_check(factory, form, pending=request.nonce)
        assert accepted == rc.AcceptedCode(
            code_id=99,
            key_id=rc.key_id_for(factory.reset_current.public_key()),
            expiry=request.expiry,
            sync_ipc_password=True,
        )


def test_forged_signature_under_a_trusted_key_id(factory: Factory) -> None:
    request = factory.request()
    genuine = issue(factory.reset_current, request)
    forged_signature = key(12).sign(genuine.signed_bytes())
    payload = reference_payload(rc.encode_typed_code(genuine))
    forged = reference_typed(payload[:11] + forged_signature)
    with pytest.raises(ResetCodeInvalid) as caught:
        device_check(factory, forged, pending=request.nonce)
    assert caught.value.reason == "bad_signature"


def test_code_signed_by_an_untrusted_key(factory: Factory) -> None:
    request = factory.request()
    with pytest.raises(ResetCodeInvalid) as caught:
        device_check(factory, rc.encode_typed_code(issue(key(12), request)), pending=request.nonce)
    assert caught.value.reason == "unknown_key"


def test_code_for_another_device(factory: Factory) -> None:
    request = factory.request()
    code = issue(factory.reset_current, request, serial=OTHER_SERIAL)
    with pytest.raises(ResetCodeInvalid) as caught:
        device_check(factory, rc.encode_typed_code(code), pending=request.nonce)
    assert caught.value.reason == "bad_signature"
    with pytest.raises(ResetCodeInvalid, match=OTHER_SERIAL) as caught:
        device_check(factory, rc.encode_code_file(code), pending=request.nonce)
    assert caught.value.reason == "bad_signature"


def test_code_for_an_older_request(factory: Factory) -> None:
    older = factory.request()
    code = issue(factory.reset_current, older)
    newer = factory.request(now=NOW + timedelta(minutes=5))  # a new export replaced the pending nonce
    with pytest.raises(ResetCodeInvalid) as caught:
        device_check(factory, rc.encode_typed_code(code), pending=newer.nonce)
    assert caught.value.reason == "bad_signature"


def test_replayed_code(factory: Factory) -> None:
    request = factory.request()
    typed = rc.encode_typed_code(issue(factory.reset_current, request, code_id=5))
    accepted = device_check(factory, typed, pending=request.nonce)
    with pytest.raises(ResetCodeInvalid) as caught:
        device_check(factory, typed, pending=request.nonce, used=frozenset({accepted.code_id}))
    assert caught.value.reason == "replayed"


def test_expired_code(factory: Factory) -> None:
    request = factory.request()
    typed = rc.encode_typed_code(issue(factory.reset_current, request))
    device_check(factory, typed, pending=request.nonce, now=request.expiry - timedelta(seconds=1))
    with pytest.raises(ResetCodeInvalid) as caught:
        device_check(factory, typed, pending=request.nonce, now=request.expiry)
    assert caught.value.reason == "expired"


def test_reboot_between_export_and_import(factory: Factory) -> None:
    request = factory.request()
    typed = rc.encode_typed_code(issue(factory.reset_current, request))
    with pytest.raises(ResetCodeInvalid) as caught:
        device_check(factory, typed, pending=None)  # the reboot forgot the pending nonce
    assert caught.value.reason == "no_pending_request"


def test_key_rotation_next_key_accepted_retired_key_refused(factory: Factory) -> None:
    request = factory.request()
    accepted = device_check(
        factory, rc.encode_typed_code(issue(factory.reset_next, request)), pending=request.nonce
    )
    assert accepted.key_id == rc.key_id_for(factory.reset_next.public_key())
    with pytest.raises(ResetCodeInvalid) as caught:
        device_check(
            factory, rc.encode_typed_code(issue(factory.reset_retired, request)), pending=request.nonce
        )
    assert caught.value.reason == "unknown_key"


@pytest.mark.parametrize(
    ("name", "value"),
    [("expiry", "2026-03-09T12:00:00Z"), ("code_id", 8), ("sync_ipc_password", True), ("key_id", "other")],
)
def test_tampered_code_file_fields(factory: Factory, name: str, value: object) -> None:
    request = factory.request()
    code = issue(factory.reset_current, request)
    if value == "other":
        value = rc.format_key_id(rc.key_id_for(factory.reset_next.public_key()))
    body = json.loads(rc.encode_code_file(code).decode().split("\n", 1)[1].rsplit("-----END", 1)[0])
    body[name] = value
    data = f"-----BEGIN CAMVAULT RESET CODE-----\n{json.dumps(body)}\n-----END CAMVAULT RESET CODE-----\n"
    with pytest.raises(ResetCodeInvalid) as caught:
        device_check(factory, data.encode(), pending=request.nonce)
    assert caught.value.reason == "bad_signature"


def test_flag_flipped_in_typed_code_with_a_correct_checksum(factory: Factory) -> None:
    request = factory.request()
    payload = reference_payload(rc.encode_typed_code(issue(factory.reset_current, request)))
    with pytest.raises(ResetCodeInvalid) as caught:
        device_check(factory, reference_typed(bytes([payload[0] | 1]) + payload[1:]), pending=request.nonce)
    assert caught.value.reason == "bad_signature"


@pytest.mark.parametrize(
    "data",
    [b"", b"garbage", b"-----BEGIN CAMVAULT RESET CODE-----\n{", b"x" * (rc.MAX_CODE_FILE_BYTES + 1)],
)
def test_unreadable_code_files_are_malformed(factory: Factory, data: bytes) -> None:
    with pytest.raises(ResetCodeInvalid) as caught:
        device_check(factory, data, pending=factory.request().nonce)
    assert caught.value.reason == "malformed"


def test_code_file_decoding_errors_are_protocol_errors(factory: Factory) -> None:
    code = rc.encode_code_file(issue(factory.reset_current, factory.request()))
    with pytest.raises(MessageTooLarge):
        rc.decode_code_file(code + b" " * rc.MAX_CODE_FILE_BYTES)
    for cut in range(0, len(code) - 2, 11):
        with pytest.raises(ProtocolError):
            rc.decode_code_file(code[:cut])
    with pytest.raises(InvalidContent) as caught:
        rc.decode_code_file(code.replace(b'"code_id": 7', b'"code_id": -1'))
    assert caught.value.field == "code_id"


def test_code_secrets_stay_out_of_reprs_and_messages(factory: Factory) -> None:
    request = factory.request()
    code = issue(factory.reset_current, request)
    typed = rc.encode_typed_code(code)
    signature_b64 = base64.b64encode(code.signature).decode()
    assert signature_b64 not in repr(code)
    assert code.signature.hex() not in repr(code)
    assert "signature" not in repr(code)
    messages = []
    for kwargs in (
        {"pending": None},
        {"pending": bytes(16)},
        {"pending": request.nonce, "used": frozenset({7})},
        {"pending": request.nonce, "now": request.expiry + timedelta(days=1)},
    ):
        with pytest.raises(ResetCodeInvalid) as caught:
            device_check(factory, typed, **kwargs)  # type: ignore[arg-type]
        messages.append(str(caught.value))
    compact = typed.replace("-", "")
    for message in messages:
        assert all(compact[i : i + 10] not in message.replace("-", "") for i in range(0, 115, 5))


# ------------------------------------------------------------------------------------------ trust bundle


def test_trust_bundle_round_trip(factory: Factory) -> None:
    keys = [factory.reset_current.public_key(), factory.reset_next.public_key()]
    bundle = rc.decode_trust_bundle(rc.encode_trust_bundle(keys))
    assert [k.key_id for k in bundle.keys] == [rc.key_id_for(k) for k in keys]
    assert b"PRIVATE" not in rc.encode_trust_bundle(keys)


def test_trust_bundle_with_a_mismatched_key_id_is_refused(factory: Factory) -> None:
    data = rc.encode_trust_bundle([factory.reset_current.public_key()])
    real = rc.format_key_id(rc.key_id_for(factory.reset_current.public_key())).encode()
    fake = b"0000" if real != b"0000" else b"0001"
    with pytest.raises(InvalidContent, match="does not match"):
        rc.decode_trust_bundle(data.replace(real, fake))


@pytest.mark.parametrize(
    "body",
    [
        '{"format": "camvault-trust-bundle", "version": 1, "reset_keys": []}',
        '{"format": "camvault-trust-bundle", "version": 1, "reset_keys": [{"key_id": "0000"}]}',
        '{"format": "camvault-trust-bundle", "version": 1, "reset_keys": [1]}',
        '{"format": "camvault-trust-bundle", "version": 1, "reset_keys": {}}',
        '{"format": "camvault-trust-bundle", "version": 2, "reset_keys": []}',
        '{"format": "camvault-trust-bundle", "version": 1, '
        '"reset_keys": [{"key_id": "XYZ", "public_key": ""}]}',
    ],
)
def test_bad_trust_bundles_are_refused(body: str) -> None:
    with pytest.raises(InvalidContent):
        rc.decode_trust_bundle(
            f"-----BEGIN CAMVAULT TRUST BUNDLE-----\n{body}\n-----END CAMVAULT TRUST BUNDLE-----"
        )


def test_trust_bundle_refuses_duplicates(factory: Factory) -> None:
    with pytest.raises(InvalidContent, match="two keys"):
        rc.encode_trust_bundle([factory.reset_current.public_key()] * 2)
