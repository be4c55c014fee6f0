"""The offline catalogue of firmware advisories, and matching a device's model and firmware against it.

The data ships with the package (``data/firmware-advisories.json``, schema ``camvault.firmware-advisories/1``)
and names its sources; :func:`default_catalogue` reads it once, :func:`load_catalogue` reads any other file of
the same format (bounded, strictly checked, hostile input refused with a clear error).

Matching rules (documented in ``docs/audit.md``):

* **Vendor**: the advisory's vendor must occur in the device's vendor name, ignoring case (``hikvision``
  matches ``HIKVISION DIGITAL TECHNOLOGY``).
* **Model**: each affected entry lists model patterns, matched at the start of the model, ignoring case;
  a lower-case ``x`` in a pattern stands for one letter or digit, as in the advisories' own spelling
  (``DS-2CD2xx2F-I`` matches ``DS-2CD2142F-IWS``). A family is a prefix: suffix variants belong to it.
  The pattern ``*`` matches any model, and is used only where the source says the weakness depends on the
  firmware alone (the legacy reset code). A model that matches no pattern gets no finding.
* **Kind**: an entry may restrict the device kind (``camera``), where version numbers of other kinds do
  not compare (Hikvision recorders number their firmware V3/V4).
* **Firmware**: version and build are read tolerantly (``V5.5.0`` with ``build 170725``,
  ``V5.6.2build 190701``, ``V5.4.5 build 160928``, ``5.4.41``) and compared as numbers, then by build date.
  An entry gives any of ``introduced`` (first affected, inclusive), ``last_affected`` (inclusive), ``fixed``
  (first fixed, exclusive) and ``built_before`` (a ``YYMMDD`` build date, exclusive). A bound with a build
  compares builds only when the version numbers are equal; when the device's build is unknown there, the
  device counts as affected and the match says the build was unknown (the audit errs towards telling).
  A firmware string that cannot be read matches nothing.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, TypeVar

from camvault.errors import InvalidContent, MalformedMessage, MessageTooLarge
from camvault.fleet.audit.findings import FindingCode, Severity
from camvault.fleet.drivers.models import DeviceKind

__all__ = [
    "CATALOGUE_SCHEMA",
    "MAX_CATALOGUE_BYTES",
    "Advisory",
    "AdvisoryMatch",
    "AffectedRange",
    "Catalogue",
    "FirmwareVersion",
    "Reference",
    "default_catalogue",
    "load_catalogue",
]

CATALOGUE_SCHEMA = "camvault.firmware-advisories/1"
"""The value of the data file's ``schema`` key that this code reads."""

MAX_CATALOGUE_BYTES = 1 << 20
"""Largest catalogue file accepted (1 MiB; the shipped one is a few kilobytes)."""

_DATA_PACKAGE = "camvault.fleet.audit"
_DATA_DIRECTORY = "data"
_DATA_FILE = "firmware-advisories.json"
_MAX_VERSION_CHARS = 64
_MAX_VERSION_PARTS = 6
_MAX_PART_DIGITS = 6
_MAX_LIST = 256
_MAX_TEXT = 4096
_VERSION = re.compile(
    r"\s*[Vv]?(?P<numbers>\d{1,6}(?:\.\d{1,6}){0,5})\s*(?:[Bb]uild\s*(?P<build>\d{6}))?\s*", re.ASCII
)
_BUILD = re.compile(r"\s*(?:[Bb]uild\s*)?(?P<build>\d{6})\s*", re.ASCII)
_BUILD_DATE = re.compile(r"\d{6}", re.ASCII)
_PATTERN = re.compile(r"\*|[A-Za-z0-9][A-Za-z0-9/_.+-]{0,63}", re.ASCII)
_CVE = re.compile(r"CVE-\d{4}-\d{4,7}", re.ASCII)
_SAME_OR_NEWER = frozenset({0, 1})
_SAME_OR_OLDER = frozenset({-1, 0})
_OLDER = frozenset({-1})
_E = TypeVar("_E", FindingCode, Severity, DeviceKind)


@dataclass(frozen=True, slots=True)
class FirmwareVersion:
    """A firmware version as numbers plus an optional ``YYMMDD`` build date.

    Attributes:
        numbers: the version parts (``(5, 6, 2)`` for ``V5.6.2``).
        build: the build date as written (``"190701"``), or ``None``.
    """

    numbers: tuple[int, ...]
    build: str | None = None

    @classmethod
    def parse(cls, version: str, build: str | None = None) -> FirmwareVersion:
        """Read a firmware version the way devices and advisories write it.

        Args:
            version: ``V5.5.0``, ``5.4.41``, ``V5.6.2build 190701``, ``V5.4.0 Build 160530``, ...
            build: the build when reported apart (ISAPI ``firmwareReleasedDate``: ``build 170725``), or
                ``None``; a build inside ``version`` wins.

        Raises:
            InvalidContent: the text is not a firmware version.
        """
        if len(version) > _MAX_VERSION_CHARS:
            raise InvalidContent("the firmware version is too long", field="firmware_version")
        match = _VERSION.fullmatch(version)
        if match is None:
            raise InvalidContent(
                "the firmware version is not like V5.5.0 or V5.5.0 build 170725", field="firmware_version"
            )
        numbers = tuple(int(part) for part in match.group("numbers").split("."))
        found_build = match.group("build")
        if found_build is None and build is not None and build.strip():
            separate = _BUILD.fullmatch(build)
            if separate is None:
                raise InvalidContent("the firmware build is not like build 170725", field="firmware_build")
            found_build = separate.group("build")
        return cls(numbers, found_build)

    def __str__(self) -> str:
        text = "V" + ".".join(str(part) for part in self.numbers)
        return f"{text} build {self.build}" if self.build else text

    def compare(self, other: FirmwareVersion) -> int | None:
        """Compare with a bound: negative if older, 0 if the same, positive if newer.

        Versions compare by their numbers (missing parts count as 0); equal numbers then compare by build
        when the bound has one. Returns ``None`` when the numbers are equal, the bound has a build and this
        version has none: the order cannot be told.
        """
        width = max(len(self.numbers), len(other.numbers))
        mine = self.numbers + (0,) * (width - len(self.numbers))
        theirs = other.numbers + (0,) * (width - len(other.numbers))
        if mine != theirs:
            return -1 if mine < theirs else 1
        if other.build is None:
            return 0
        if self.build is None:
            return None
        return (self.build > other.build) - (self.build < other.build)


@dataclass(frozen=True, slots=True)
class Reference:
    """A source an advisory rests on.

    Attributes:
        title: what it is (``ICS-CERT advisory ICSA-17-124-01``).
        url: where to read it, or a research-note section (``shared/research/hikvision.md §14.4``).
    """

    title: str
    url: str


@dataclass(frozen=True, slots=True)
class AffectedRange:
    """One affected model family and firmware range of an advisory.

    Attributes:
        models: model patterns (see the module docstring); ``("*",)`` for any model.
        kinds: device kinds the entry applies to, or empty for any.
        introduced: first affected firmware (inclusive), or ``None``.
        last_affected: last affected firmware (inclusive), or ``None``.
        fixed: first fixed firmware (exclusive), or ``None``.
        built_before: builds dated before this ``YYMMDD`` are affected, or ``None``.
        description: the range as the source words it (``V5.2.0 build 140721 to V5.4.0 build 160530``).
    """

    models: tuple[str, ...]
    kinds: tuple[DeviceKind, ...]
    introduced: FirmwareVersion | None
    last_affected: FirmwareVersion | None
    fixed: FirmwareVersion | None
    built_before: str | None
    description: str

    def matching_model(self, model: str) -> str | None:
        """Return the first pattern that matches ``model``, or ``None``."""
        for pattern in self.models:
            if _model_matches(pattern, model):
                return pattern
        return None

    def contains(self, firmware: FirmwareVersion) -> tuple[bool, bool]:
        """Tell whether ``firmware`` is in range, and whether that rests on an unknown build.

        Returns:
            ``(in_range, build_unknown)``.
        """
        undetermined = False
        # each bound with the orders (older -1, same 0, newer 1) of the device's firmware it admits
        checks = (
            (self.introduced, _SAME_OR_NEWER),
            (self.last_affected, _SAME_OR_OLDER),
            (self.fixed, _OLDER),
        )
        for bound, admitted in checks:
            if bound is None:
                continue
            order = firmware.compare(bound)
            if order is None:
                undetermined = True
            elif order not in admitted:
                return False, False
        if self.built_before is not None:
            if firmware.build is None:
                undetermined = True
            elif firmware.build >= self.built_before:
                return False, False
        return True, undetermined


@dataclass(frozen=True, slots=True)
class Advisory:
    """A published (or inferred) weakness of some firmware.

    Attributes:
        id: the catalogue's id (the CVE id where there is one).
        finding: the finding it raises (``vulnerable-firmware`` or ``legacy-reset-code``).
        cves: CVE ids, sorted (empty for weaknesses without one).
        vendor: the vendor it concerns, lower case.
        severity: how urgent a match is.
        title: a short name.
        summary: what an attacker can do, in a sentence or two.
        fix: what the owner should do.
        fixed_in: the fixed firmware versions as the source names them.
        inferred: part of the entry (affected ranges or the CVE association) is our inference, not the
            source's statement; ``notes`` says which part.
        notes: what is inferred and why, and other caveats.
        references: the sources.
        affected: the affected families and ranges, in matching order.
    """

    id: str
    finding: FindingCode
    cves: tuple[str, ...]
    vendor: str
    severity: Severity
    title: str
    summary: str
    fix: str
    fixed_in: tuple[str, ...]
    inferred: bool
    notes: str
    references: tuple[Reference, ...]
    affected: tuple[AffectedRange, ...]


@dataclass(frozen=True, slots=True)
class AdvisoryMatch:
    """A device found in an advisory's affected range.

    Attributes:
        advisory: the advisory.
        affected: the range that matched.
        pattern: the model pattern that matched.
        firmware: the device's firmware as read.
        build_unknown: the match holds only because the device's build date is unknown.
    """

    advisory: Advisory
    affected: AffectedRange
    pattern: str
    firmware: FirmwareVersion
    build_unknown: bool


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The advisories, with where they came from.

    Attributes:
        updated: when the data was last reviewed (ISO date, as written in the file).
        advisories: every advisory, in file order.
    """

    updated: str
    advisories: tuple[Advisory, ...]

    def match(
        self,
        *,
        vendor: str | None,
        model: str | None,
        firmware_version: str | None,
        firmware_build: str | None = None,
        kind: DeviceKind = DeviceKind.UNKNOWN,
    ) -> tuple[AdvisoryMatch, ...]:
        """Find the advisories whose affected ranges contain a device.

        Args:
            vendor: the device's vendor as reported.
            model: its model (``DS-2CD2142FWD-I``).
            firmware_version: its firmware version string.
            firmware_build: its build when reported apart (``build 170725``).
            kind: camera, recorder or unknown.

        Returns:
            One match per advisory (its first matching range), in catalogue order; empty when the vendor,
            model or firmware is unknown or unreadable.
        """
        if not vendor or not model or not firmware_version:
            return ()
        try:
            firmware = FirmwareVersion.parse(firmware_version, firmware_build)
        except InvalidContent:
            return ()
        vendor_name = vendor.lower()
        found: list[AdvisoryMatch] = []
        for advisory in self.advisories:
            if advisory.vendor not in vendor_name:
                continue
            hit = _first_hit(advisory, model.strip(), kind, firmware)
            if hit is not None:
                found.append(hit)
        return tuple(found)


def _first_hit(
    advisory: Advisory, model: str, kind: DeviceKind, firmware: FirmwareVersion
) -> AdvisoryMatch | None:
    for affected in advisory.affected:
        if affected.kinds and kind not in affected.kinds:
            continue
        pattern = affected.matching_model(model)
        if pattern is None:
            continue
        in_range, build_unknown = affected.contains(firmware)
        if in_range:
            return AdvisoryMatch(advisory, affected, pattern, firmware, build_unknown)
    return None


def _model_matches(pattern: str, model: str) -> bool:
    if pattern == "*":
        return True
    if len(model) < len(pattern):
        return False
    for expected, actual in zip(pattern, model, strict=False):
        if expected == "x":
            if not actual.isascii() or not actual.isalnum():
                return False
        elif expected.upper() != actual.upper():
            return False
    return True


@functools.cache
def default_catalogue() -> Catalogue:
    """Return the catalogue shipped with camvault (read once)."""
    source = resources.files(_DATA_PACKAGE).joinpath(_DATA_DIRECTORY).joinpath(_DATA_FILE)
    return load_catalogue(source.read_bytes())


def load_catalogue(data: bytes) -> Catalogue:
    """Read a catalogue file (``camvault.firmware-advisories/1``).

    Raises:
        MessageTooLarge: over :data:`MAX_CATALOGUE_BYTES`.
        MalformedMessage: not UTF-8 JSON, or JSON with duplicate keys or non-finite numbers.
        InvalidContent: a field is missing, of the wrong type or out of range; ``field`` names it.
    """
    if len(data) > MAX_CATALOGUE_BYTES:
        raise MessageTooLarge(f"the advisory catalogue exceeds {MAX_CATALOGUE_BYTES} bytes")
    try:
        document = json.loads(
            data.decode("utf-8"), object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise MalformedMessage(f"the advisory catalogue is not valid JSON: {_reason(error)}") from None
    root = _mapping(document, "catalogue")
    schema = _text(root, "schema")
    if schema != CATALOGUE_SCHEMA:
        raise InvalidContent(
            f"the advisory catalogue has schema {schema!r}, not {CATALOGUE_SCHEMA}", field="schema"
        )
    advisories = tuple(
        _advisory(item, f"advisories[{index}]") for index, item in enumerate(_list(root, "advisories"))
    )
    ids = [advisory.id for advisory in advisories]
    if len(set(ids)) != len(ids):
        raise InvalidContent("the advisory catalogue repeats an advisory id", field="advisories")
    return Catalogue(updated=_text(root, "updated"), advisories=advisories)


class _RefusedJson(ValueError):
    """JSON that :mod:`json` accepts but a catalogue must not hold."""


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _RefusedJson(f"duplicate key {key!r}")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise _RefusedJson(f"non-finite number {name}")


def _reason(error: Exception) -> str:
    if isinstance(error, UnicodeDecodeError):
        return "not UTF-8"
    if isinstance(error, RecursionError):
        return "nested too deeply"
    return str(error)


def _advisory(item: Any, where: str) -> Advisory:
    fields = _mapping(item, where)
    finding = _enum(FindingCode, _text(fields, "finding", where), f"{where}.finding")
    if finding not in (FindingCode.VULNERABLE_FIRMWARE, FindingCode.LEGACY_RESET_CODE):
        raise InvalidContent(f"{where}.finding must be a firmware finding", field=f"{where}.finding")
    cves = tuple(sorted(_text_list(fields, "cves", where)))
    for cve in cves:
        if not _CVE.fullmatch(cve):
            raise InvalidContent(f"{where}.cves holds something that is not a CVE id", field=f"{where}.cves")
    affected = tuple(
        _affected(entry, f"{where}.affected[{index}]")
        for index, entry in enumerate(_list(fields, "affected", where))
    )
    if not affected:
        raise InvalidContent(f"{where}.affected is empty", field=f"{where}.affected")
    return Advisory(
        id=_text(fields, "id", where),
        finding=finding,
        cves=cves,
        vendor=_text(fields, "vendor", where).lower(),
        severity=_enum(Severity, _text(fields, "severity", where), f"{where}.severity"),
        title=_text(fields, "title", where),
        summary=_text(fields, "summary", where),
        fix=_text(fields, "fix", where),
        fixed_in=_text_list(fields, "fixed_in", where),
        inferred=_bool(fields, "inferred", where),
        notes=_text(fields, "notes", where, required=False),
        references=tuple(
            _reference(ref, f"{where}.references[{i}]")
            for i, ref in enumerate(_list(fields, "references", where))
        ),
        affected=affected,
    )


def _affected(item: Any, where: str) -> AffectedRange:
    fields = _mapping(item, where)
    models = _text_list(fields, "models", where)
    if not models or any(not _PATTERN.fullmatch(model) for model in models):
        raise InvalidContent(f"{where}.models must list model patterns", field=f"{where}.models")
    kinds = tuple(
        _enum(DeviceKind, kind, f"{where}.kinds")
        for kind in _text_list(fields, "kinds", where, required=False)
    )
    built_before = _text(fields, "built_before", where, required=False) or None
    if built_before is not None and not _BUILD_DATE.fullmatch(built_before):
        raise InvalidContent(
            f"{where}.built_before must be a YYMMDD build date", field=f"{where}.built_before"
        )
    bounds = {name: _version(fields, name, where) for name in ("introduced", "last_affected", "fixed")}
    if all(bound is None for bound in bounds.values()) and built_before is None:
        raise InvalidContent(f"{where} gives no firmware bound", field=where)
    return AffectedRange(
        models=models,
        kinds=kinds,
        introduced=bounds["introduced"],
        last_affected=bounds["last_affected"],
        fixed=bounds["fixed"],
        built_before=built_before,
        description=_text(fields, "description", where),
    )


def _reference(item: Any, where: str) -> Reference:
    fields = _mapping(item, where)
    return Reference(title=_text(fields, "title", where), url=_text(fields, "url", where))


def _version(fields: Mapping[str, Any], name: str, where: str) -> FirmwareVersion | None:
    text = _text(fields, name, where, required=False)
    if not text:
        return None
    try:
        return FirmwareVersion.parse(text)
    except InvalidContent:
        raise InvalidContent(f"{where}.{name} is not a firmware version", field=f"{where}.{name}") from None


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise InvalidContent(f"{where} must be a JSON object", field=where)
    return value


def _list(fields: Mapping[str, Any], name: str, where: str = "catalogue") -> Sequence[Any]:
    value = fields.get(name)
    if not isinstance(value, list):
        raise InvalidContent(f"{where}.{name} must be a list", field=f"{where}.{name}")
    if len(value) > _MAX_LIST:
        raise InvalidContent(f"{where}.{name} is too long", field=f"{where}.{name}")
    return value


def _text(fields: Mapping[str, Any], name: str, where: str = "catalogue", *, required: bool = True) -> str:
    value = fields.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidContent(f"{where}.{name} must be a non-empty string", field=f"{where}.{name}")
    if len(value) > _MAX_TEXT:
        raise InvalidContent(f"{where}.{name} is too long", field=f"{where}.{name}")
    return value


def _text_list(fields: Mapping[str, Any], name: str, where: str, *, required: bool = True) -> tuple[str, ...]:
    if name not in fields and not required:
        return ()
    items = _list(fields, name, where)
    if not all(isinstance(item, str) and item for item in items):
        raise InvalidContent(f"{where}.{name} must list non-empty strings", field=f"{where}.{name}")
    return tuple(items)


def _bool(fields: Mapping[str, Any], name: str, where: str) -> bool:
    value = fields.get(name)
    if not isinstance(value, bool):
        raise InvalidContent(f"{where}.{name} must be true or false", field=f"{where}.{name}")
    return value


def _enum(kind: type[_E], value: str, field: str) -> _E:
    try:
        return kind(value)
    except ValueError:
        raise InvalidContent(f"{field} has an unknown value", field=field) from None
