"""The offline advisory catalogue: real firmware strings from the notes, the shipped data, hostile files."""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Callable
from importlib import resources
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from camvault.errors import InvalidContent, MalformedMessage, MessageTooLarge, ProtocolError
from camvault.fleet.audit import (
    CATALOGUE_SCHEMA,
    MAX_CATALOGUE_BYTES,
    FindingCode,
    FirmwareVersion,
    Severity,
    default_catalogue,
    load_catalogue,
)
from camvault.fleet.drivers.models import DeviceKind

SHIPPED = (
    resources.files("camvault.fleet.audit").joinpath("data").joinpath("firmware-advisories.json").read_bytes()
)
CAMERA = DeviceKind.CAMERA


# --- firmware versions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "build", "numbers", "expected_build"),
    [
        ("V5.5.0", "build 170725", (5, 5, 0), "170725"),  # ISAPI deviceInfo, real V5.5.0 capture (§3)
        ("V5.6.2build 190701", None, (5, 6, 2), "190701"),  # SADP ProbeMatch CAP2, no space (§13.3)
        ("V5.5.6 build 180326", None, (5, 5, 6), "180326"),  # CAP1
        ("V5.4.5 build 160928", None, (5, 4, 5), "160928"),  # ICSA-17-124-01 wording
        ("V5.4.0 Build 160530", None, (5, 4, 0), "160530"),  # the CVE record capitalises Build
        ("V5.5.101 build 200408", None, (5, 5, 101), "200408"),  # MSF36260's vulnerable sample
        ("5.4.41", None, (5, 4, 41), None),
        ("V4.62.210", "230412", (4, 62, 210), "230412"),  # NVR firmware, bare build digits
        (" V5.7.3  build 220112 ", None, (5, 7, 3), "220112"),
        ("V5.6.2build 190701", "build 111111", (5, 6, 2), "190701"),  # the embedded build wins
        ("V5.5.0", "", (5, 5, 0), None),
    ],
)
def test_real_version_strings_parse(
    version: str, build: str | None, numbers: tuple[int, ...], expected_build: str | None
) -> None:
    parsed = FirmwareVersion.parse(version, build)
    assert parsed.numbers == numbers
    assert parsed.build == expected_build


@pytest.mark.parametrize(
    ("version", "build"),
    [
        ("", None),
        ("build 170725", None),
        ("V5.x.0", None),
        ("V5.5.0 build 17072", None),  # builds are YYMMDD
        ("V5.5.0 build 1707250", None),
        ("V1.2.3.4.5.6.7", None),
        ("V1234567.0", None),
        ("V5.5.0" + " " * 80, None),
        ("V5.5.0", "released 170725"),
        ("2.800.0000000.23.R", None),  # a Dahua-style string is not a Hikvision version
        ("V5.5.0 build 17072\u0660", None),  # only ASCII digits
        ("V\u0665.5.0", None),
    ],
)
def test_unreadable_versions_are_refused(version: str, build: str | None) -> None:
    with pytest.raises(InvalidContent):
        FirmwareVersion.parse(version, build)


def test_version_order() -> None:
    parse = FirmwareVersion.parse
    assert parse("V5.4.41").compare(parse("V5.4.5")) == 1  # numbers, not text
    assert parse("V5.4").compare(parse("V5.4.0")) == 0
    assert parse("V5.4.0 build 160530").compare(parse("V5.4.0 build 160531")) == -1
    assert parse("V5.4.0 build 160530").compare(parse("V5.4.0")) == 0  # the bound has no build
    assert parse("V5.4.0").compare(parse("V5.4.0 build 160530")) is None  # cannot tell
    assert parse("V5.3.9 build 991231").compare(parse("V5.4.0 build 000101")) == -1
    assert str(parse("V5.6.2build 190701")) == "V5.6.2 build 190701"
    assert str(parse("5.4.41")) == "V5.4.41"


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=999_999), min_size=1, max_size=6),
    st.none() | st.from_regex(r"[0-9]{6}", fullmatch=True),
    st.sampled_from(["build ", "build", " build ", " Build "]),
)
def test_version_round_trip(numbers: list[int], build: str | None, separator: str) -> None:
    text = "V" + ".".join(map(str, numbers)) + (f"{separator}{build}" if build else "")
    parsed = FirmwareVersion.parse(text)
    assert parsed == FirmwareVersion(tuple(numbers), build)
    assert FirmwareVersion.parse(str(parsed)) == parsed
    assert parsed.compare(parsed) == 0


# --- matching -------------------------------------------------------------------------------------------


def matched(
    model: str,
    version: str,
    build: str | None = None,
    *,
    kind: DeviceKind = CAMERA,
    vendor: str = "hikvision",
) -> set[str]:
    matches = default_catalogue().match(
        vendor=vendor, model=model, firmware_version=version, firmware_build=build, kind=kind
    )
    return {match.advisory.id for match in matches}


CVE_2017 = {"CVE-2017-7921", "CVE-2017-7923"}
LEGACY = {"HIK-LEGACY-RESET-CODE"}


@pytest.mark.parametrize(
    ("model", "version", "build", "expected"),
    [
        # ICSA-17-124-01 ranges, at and beyond their bounds
        ("DS-2CD2142F-IWS", "V5.3.0", "build 150513", CVE_2017),
        ("DS-2CD2032F-I", "V5.4.0 build 160530", None, CVE_2017),  # last affected, inclusive
        ("DS-2CD2032F-I", "V5.4.0 build 160531", None, set()),
        ("DS-2CD2032F-I", "V5.2.0 build 140721", None, CVE_2017 | LEGACY),  # introduced, inclusive
        ("DS-2CD2032F-I", "V5.2.0 build 140720", None, LEGACY),  # before V5.3.0: the reset code still applies
        ("DS-2CD2020F-I", "V5.4.0 build 160401", None, CVE_2017),
        ("DS-2CD2020F-I", "V5.4.0 build 160402", None, set()),
        ("DS-2CD2142FWD-IS", "V5.4.4 build 161125", None, CVE_2017),
        ("DS-2CD2142FWD-IS", "V5.3.0 build 150409", None, set()),  # FWD line starts at V5.3.1 build 150410
        ("DS-2CD4025FWD-A", "V5.3.0 build 150513", None, CVE_2017),
        ("DS-2CD4035FWD", "V5.4.0 build 160421", None, CVE_2017),
        ("DS-2DF8225IX-AEL", "V5.4.5 build 160928", None, CVE_2017),
        ("DS-2DF8225IX-AEL", "V5.4.41", "build 170313", set()),  # the fixed release
        ("DS-2CD6332FWD-IV", "V5.3.5 build 160106", None, CVE_2017),
        ("DS-2CD6332FWD-IV", "V5.3.6 build 160301", None, set()),
        # CVE-2021-36260 (inferred range) against the notes' own samples
        (
            "HWI-B120-D/W",
            "V5.5.101 build 200408",
            None,
            {"CVE-2021-36260"},
        ),  # confirmed vulnerable (MSF36260)
        ("DS-2CD2142FWD-I", "V5.5.0", "build 170725", set()),  # confirmed not vulnerable (MSF36260)
        ("DS-2CD2385G1-I", "V5.6.2build 190701", None, {"CVE-2021-36260"}),  # CAP2's firmware
        ("DS-2CD2320D-I", "V5.5.6 build 180326", None, {"CVE-2021-36260"}),  # CAP1's firmware
        ("DS-2CD2143G2-I", "V5.5.800 build 210628", None, set()),  # the patched build
        ("DS-2CD2143G2-I", "V5.7.3 build 220112", None, set()),
        # the legacy reset code: every camera model before V5.3.0
        ("DS-2CD2032-I", "V5.2.5 build 141201", None, LEGACY),
        ("DS-2CD7153-E", "V4.1.0 build 130111", None, LEGACY),  # CORE-2013-0708's camera and firmware
        ("DS-2CD2032-I", "V5.3.0", None, set()),
    ],
)
def test_catalogue_matches_real_devices(
    model: str, version: str, build: str | None, expected: set[str]
) -> None:
    assert matched(model, version, build) == expected


def test_unknown_models_match_only_firmware_wide_advisories() -> None:
    # in an ICSA-17-124-01 range, but not one of its series: no finding
    assert matched("DS-9999X", "V5.3.0 build 150513") == set()
    # the reset code depends on the firmware alone, so any camera model is matched
    assert matched("UNLISTED-CAM", "V5.2.0 build 140101") == {"HIK-LEGACY-RESET-CODE"}
    # recorders number their firmware differently: an NVR on V4.x is not "before V5.3.0"
    assert matched("DS-7608NI-K2", "V4.62.210 build 230412", kind=DeviceKind.NVR) == set()
    assert matched("DS-7608NI-K2", "V3.4.0", kind=DeviceKind.UNKNOWN) == set()


def test_vendor_model_and_firmware_must_be_known_and_readable() -> None:
    assert (
        matched("DS-2CD2142F-IWS", "V5.3.0 build 150513", vendor="HIKVISION DIGITAL TECHNOLOGY CO., LTD")
        == CVE_2017
    )
    assert matched("DS-2CD2142F-IWS", "V5.3.0 build 150513", vendor="Axicam") == set()
    assert matched("ds-2cd2142f-iws", "V5.3.0 build 150513") == CVE_2017  # case does not matter
    catalogue = default_catalogue()
    assert catalogue.match(vendor=None, model="DS-2CD2142F-I", firmware_version="V5.3.0") == ()
    assert catalogue.match(vendor="hikvision", model=None, firmware_version="V5.3.0") == ()
    assert catalogue.match(vendor="hikvision", model="DS-2CD2142F-I", firmware_version=None) == ()
    assert (
        catalogue.match(vendor="hikvision", model="DS-2CD2142F-I", firmware_version="2.800.0000000.23.R")
        == ()
    )


def test_an_unknown_build_matches_as_possible() -> None:
    (first, *_) = default_catalogue().match(
        vendor="hikvision", model="DS-2DF8225IX-AEL", firmware_version="V5.4.5", kind=CAMERA
    )
    assert first.build_unknown
    (certain, *_) = default_catalogue().match(
        vendor="hikvision", model="DS-2DF8225IX-AEL", firmware_version="V5.4.4", kind=CAMERA
    )
    assert not certain.build_unknown
    (inferred,) = default_catalogue().match(
        vendor="hikvision", model="DS-2CD2143G2-I", firmware_version="V5.6.0", kind=CAMERA
    )
    assert inferred.advisory.id == "CVE-2021-36260"
    assert inferred.build_unknown


# --- the shipped data -----------------------------------------------------------------------------------


def test_shipped_catalogue_content() -> None:
    catalogue = default_catalogue()
    assert catalogue is default_catalogue()  # read once
    by_id = {advisory.id: advisory for advisory in catalogue.advisories}
    assert set(by_id) == {"CVE-2017-7921", "CVE-2017-7923", "CVE-2021-36260", "HIK-LEGACY-RESET-CODE"}
    for advisory in catalogue.advisories:
        assert advisory.references, advisory.id
        assert any(
            ref.url.startswith("https://") or ref.url.startswith("http://") for ref in advisory.references
        )
        assert any("hikvision.md" in ref.url for ref in advisory.references)
        if advisory.inferred:
            assert "nferred" in advisory.notes, advisory.id
    cve7921 = by_id["CVE-2017-7921"]
    assert cve7921.severity is Severity.CRITICAL and not cve7921.inferred
    assert cve7921.fixed_in == ("V5.4.41", "V5.4.71")
    urls = {ref.url for ref in cve7921.references}
    assert "https://ics-cert.us-cert.gov/advisories/ICSA-17-124-01" in urls
    assert any("hikvision.com" in url for url in urls)
    assert [range_.description.split(" series")[0] for range_ in cve7921.affected] == [
        "DS-2CD2xx2F-I", "DS-2CD2xx0F-I", "DS-2CD2xx2FWD", "DS-2CD4x2xFWD", "DS-2CD4xx5", "DS-2DFx", "DS-2CD63xx",
    ]  # fmt: skip
    assert by_id["CVE-2017-7923"].inferred  # the CVE number association is [I] in the notes
    assert by_id["CVE-2017-7923"].affected == cve7921.affected
    cve36260 = by_id["CVE-2021-36260"]
    assert cve36260.inferred
    assert "HSRC-202109-01" in cve36260.title
    assert any("security-notification-command-injection" in ref.url for ref in cve36260.references)
    legacy = by_id["HIK-LEGACY-RESET-CODE"]
    assert legacy.cves == () and legacy.finding is FindingCode.LEGACY_RESET_CODE
    assert legacy.affected[0].models == ("*",)


# --- hostile and broken files ---------------------------------------------------------------------------


def _shipped() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SHIPPED)
    return document


def _mutated(change: Callable[[dict[str, Any]], None]) -> bytes:
    document = copy.deepcopy(_shipped())
    change(document)
    return json.dumps(document).encode()


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        target: Any = document
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return change


def _delete(path: tuple[Any, ...]) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        target: Any = document
        for step in path[:-1]:
            target = target[step]
        del target[path[-1]]

    return change


def test_the_shipped_file_loads() -> None:
    assert load_catalogue(SHIPPED) == default_catalogue()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (SHIPPED[: len(SHIPPED) // 2], MalformedMessage),  # truncated
        (b"", MalformedMessage),
        (b"\xff\xfe{}", MalformedMessage),  # not UTF-8
        (b'{"schema": "a", "schema": "b"}', MalformedMessage),  # duplicate keys
        (b'{"schema": NaN}', MalformedMessage),
        (b"[" * 100_000 + b"]" * 100_000, MalformedMessage),  # nested too deeply
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', MalformedMessage),
        (b" " * (MAX_CATALOGUE_BYTES + 1), MessageTooLarge),
        (b"[]", InvalidContent),
        (b'{"schema": "camvault.firmware-advisories/2", "updated": "x", "advisories": []}', InvalidContent),
    ],
    ids=[
        "truncated",
        "empty",
        "not-utf8",
        "duplicate-keys",
        "nan",
        "deep",
        "xml",
        "oversized",
        "not-object",
        "schema",
    ],
)
def test_malformed_files_are_refused(data: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        load_catalogue(data)


FIRST = ("advisories", 0)
RANGE = (*FIRST, "affected", 0)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (_delete(("advisories",)), "catalogue.advisories"),
        (_set(("advisories",), {"a": 1}), "catalogue.advisories"),
        (_delete(("updated",)), "catalogue.updated"),
        (_set(FIRST, "CVE-2017-7921"), "advisories[0]"),
        (_delete((*FIRST, "id")), "advisories[0].id"),
        (_set((*FIRST, "id"), ""), "advisories[0].id"),
        (_set((*FIRST, "severity"), "urgent"), "advisories[0].severity"),
        (_set((*FIRST, "finding"), "weak-password"), "advisories[0].finding"),
        (_set((*FIRST, "finding"), "no-such-finding"), "advisories[0].finding"),
        (_set((*FIRST, "cves"), ["CVE-17"]), "advisories[0].cves"),
        (_set((*FIRST, "cves"), "CVE-2017-7921"), "advisories[0].cves"),
        (_set((*FIRST, "inferred"), "no"), "advisories[0].inferred"),
        (_set((*FIRST, "title"), 42), "advisories[0].title"),
        (_set((*FIRST, "summary"), "x" * 5000), "advisories[0].summary"),
        (_set((*FIRST, "references"), [{"title": "x"}]), "advisories[0].references[0].url"),
        (_set((*FIRST, "affected"), []), "advisories[0].affected"),
        (_set((*FIRST, "affected"), [{}] * 300), "advisories[0].affected"),
        (_set((*RANGE, "models"), []), "advisories[0].affected[0].models"),
        (_set((*RANGE, "models"), ["<script>"]), "advisories[0].affected[0].models"),
        (_set((*RANGE, "kinds"), ["toaster"]), "advisories[0].affected[0].kinds"),
        (_set((*RANGE, "introduced"), "V5.x"), "advisories[0].affected[0].introduced"),
        (_set((*RANGE, "last_affected"), ["V5.4.0"]), "advisories[0].affected[0].last_affected"),
        (_set((*RANGE, "built_before"), "2106"), "advisories[0].affected[0].built_before"),
        (_set(RANGE, {"models": ["DS-2CD"], "description": "no bounds"}), "advisories[0].affected[0]"),
        (_set(("advisories", 1, "id"), "CVE-2017-7921"), "advisories"),
    ],
)
def test_invalid_content_names_the_field(change: Callable[[dict[str, Any]], None], field: str) -> None:
    with pytest.raises(InvalidContent) as info:
        load_catalogue(_mutated(change))
    assert info.value.field == field


def test_schema_constant_is_the_files() -> None:
    assert _shipped()["schema"] == CATALOGUE_SCHEMA


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=256))
def test_arbitrary_bytes_give_a_camvault_error(data: bytes) -> None:
    with pytest.raises(ProtocolError):
        load_catalogue(data)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_fuzzed_shipped_file_never_escapes_the_error_tree(data: st.DataObject) -> None:
    raw = bytearray(SHIPPED)
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        position = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
        raw[position] = data.draw(st.integers(min_value=0, max_value=255))
    with contextlib.suppress(ProtocolError):
        load_catalogue(bytes(raw))
