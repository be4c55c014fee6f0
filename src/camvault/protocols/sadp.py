"""SADP, Hikvision's "Search Active Devices Protocol", XML flavour (sans-I/O), research ``hikvision.md`` §13.

Every SADP message is one UDP datagram (port 37020, group 239.255.255.250 or broadcast) holding one small XML
document without namespace (§13.1, §13.2):

* a client sends ``<Probe>``: ``Uuid``, ``Types`` (``inquiry``, ``inquiry_v32``, or a command such as
  ``activate``, ``reset``, ``getcode``...), ``MAC`` for targeted commands, and command fields (§13.4).
  All of them are :class:`SadpCommand`, kept generic so that new commands need no codec change.
* a device answers an inquiry with ``<ProbeMatch>`` (:class:`ProbeMatch`, carrying a
  :class:`DeviceRecord`), announces itself with ``<Hello>`` (:class:`Hello`, same fields), and answers
  commands with a ``<ProbeMatch>`` holding ``Result`` (:class:`ActionResponse`).

Device output reproduces the real firmware (CAP2 in §13.3): the field order of the capture, a lowercase dashed
MAC, ``SoftwareVersion`` as ``V5.6.2build 190701`` (kept as text; see :func:`parse_software_version`), and
``flase`` for false in ``HCPlatformEnable`` and ``DeviceLock`` exactly where CAP2 has it (``ResetAbility``
is spelled correctly there). The misspelling is configurable per call, and reading accepts both spellings.
The capture's line layout (tabs) is a comment's formatting, not evidence, so device documents are rendered
one element per line without indentation. Client commands are rendered on one line with the lowercase
``encoding="utf-8"`` declaration of the ``sadp.dll`` templates (§13.4), in their ``Uuid``, ``MAC``,
``Types``, fields order.

Fields not in CAP2 (``OEMInfo``, ``SupportGUID``, ``SADPVersion``... §13.3) are kept as text in
:attr:`DeviceRecord.extra` and written after the known ones (their real position is unknown).
"""

from __future__ import annotations

import ipaddress
import re
import uuid as uuid_module
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Final, NamedTuple
from xml.etree.ElementTree import Element

from camvault.errors import InvalidContent, MalformedMessage
from camvault.protocols import xml
from camvault.protocols.xml import Node

__all__ = [
    "BROADCAST_ADDRESS",
    "FIRMWARE_FLASE_FIELDS",
    "HELLO",
    "INQUIRY",
    "INQUIRY_V32",
    "MAX_DATAGRAM_BYTES",
    "MULTICAST_GROUP",
    "PORT",
    "ActionResponse",
    "DeviceRecord",
    "FieldValue",
    "FirmwareVersion",
    "Hello",
    "ProbeMatch",
    "Result",
    "SadpCommand",
    "SadpMessage",
    "decode",
    "encode_action_response",
    "encode_hello",
    "encode_probe_match",
    "format_software_version",
    "new_uuid",
    "normalize_mac",
    "parse_software_version",
]

PORT: Final = 37020
MULTICAST_GROUP: Final = "239.255.255.250"
BROADCAST_ADDRESS: Final = "255.255.255.255"
MAX_DATAGRAM_BYTES: Final = 8 * 1024

INQUIRY: Final = "inquiry"
INQUIRY_V32: Final = "inquiry_v32"
HELLO: Final = "hello"
_DISCOVERY_TYPES: Final = frozenset({INQUIRY, INQUIRY_V32, HELLO})

#: The fields in which CAP2's firmware writes ``flase`` for false (§13.3).
FIRMWARE_FLASE_FIELDS: Final = frozenset({"HCPlatformEnable", "DeviceLock"})

_CLIENT_DECLARATION: Final = b'<?xml version="1.0" encoding="utf-8"?>'
_MESSAGE_KEYS: Final = frozenset({"Uuid", "Types", "MAC"})
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,63}")
_MAC_HEX = re.compile(r"[0-9a-fA-F]{12}")
_VERSION = re.compile(r"\s*(V?\d+(?:\.\d+){0,4})\s*(?:build\s*(\d{1,12}))?\s*", re.IGNORECASE | re.ASCII)
_BOOT_TIME_FORMAT: Final = "%Y-%m-%d %H:%M:%S"
_MAX_FIELD_CHARS = 4096

#: A command field's value: text, or a Node for fields with attributes or children
#: (``<Password bSalt="true">`` in ``update``, ``QuestionList`` in ``AnswerReset``).
FieldValue = str | Node


def new_uuid() -> str:
    """Return a fresh random request Uuid, upper-case like most SADP tools send (§13.2)."""
    return str(uuid_module.uuid4()).upper()


def normalize_mac(text: str) -> str:
    """Write a MAC address the SADP way: lowercase, dash-separated (``58-50-ed-1f-e3-85``).

    Accepts colons, dashes, dots (``5850.ed1f.e385``) or no separator, in any case.

    Raises:
        InvalidContent: the text is not a 48-bit MAC address.
    """
    digits = re.sub(r"[\s:.\-]", "", text)
    if not _MAC_HEX.fullmatch(digits):
        raise InvalidContent("<MAC> is not a 48-bit MAC address", field="MAC")
    lowered = digits.lower()
    return "-".join(lowered[i : i + 2] for i in range(0, 12, 2))


class FirmwareVersion(NamedTuple):
    """A firmware version split from its build, e.g. ``("V5.6.2", "190701")``.

    Attributes:
        version: the version as written, with its ``V``.
        build: the build date digits, or ``None`` when the text has no build part.
    """

    version: str
    build: str | None

    @property
    def numbers(self) -> tuple[int, ...]:
        """The numeric version parts, for ordering firmware (``(5, 6, 2)``)."""
        return tuple(int(part) for part in self.version.lstrip("Vv").split("."))


def parse_software_version(text: str) -> FirmwareVersion:
    """Split a SADP or ISAPI firmware version into version and build.

    Tolerates every spelling seen: ``"V5.6.2build 190701"`` (SADP, no space), ``"V5.5.0 build 170725"``
    (ISAPI and DSPVersion style) and a bare ``"V5.6.2"``.

    Raises:
        InvalidContent: the text is not a version.
    """
    match = _VERSION.fullmatch(text)
    if match is None:
        raise InvalidContent("<SoftwareVersion> is not a firmware version", field="SoftwareVersion")
    return FirmwareVersion(match.group(1), match.group(2))


def format_software_version(version: str, build: str | None, *, space_before_build: bool = False) -> str:
    """Write a firmware version as SADP does (``V5.6.2build 190701``), or ISAPI-style with the space."""
    if build is None:
        return version
    return f"{version}{' ' if space_before_build else ''}build {build}"


# --- commands (client -> device) ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, repr=False)
class SadpCommand:
    """A ``<Probe>`` datagram: an inquiry or a targeted command.

    Attributes:
        uuid: the request id the device echoes.
        types: ``inquiry``, ``inquiry_v32`` or a command name from §13.4 (``activate``, ``reset``, ...).
        mac: the target device for commands (normalised), ``None`` for inquiries.
        fields: the command's other elements, in document order. They often hold secrets (``Password``,
            ``Code``, security answers), so the repr lists their names only.
    """

    uuid: str
    types: str
    mac: str | None = None
    fields: Mapping[str, FieldValue] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        if self.mac is not None:
            object.__setattr__(self, "mac", normalize_mac(self.mac))
        object.__setattr__(self, "fields", MappingProxyType(dict(self.fields)))

    def __repr__(self) -> str:
        return (
            f"SadpCommand(uuid={self.uuid!r}, types={self.types!r}, mac={self.mac!r}, "
            f"fields=<{', '.join(self.fields)}>)"
        )

    def text(self, name: str) -> str | None:
        """Return a field's text (a Node field's value), or ``None`` if absent."""
        value = self.fields.get(name)
        if isinstance(value, Node):
            return None if value.value is None else str(value.value)
        return value

    def is_addressed_to(self, mac: str) -> bool:
        """Whether a device with this MAC should act: inquiries address everyone, commands one MAC (§13.2)."""
        return self.mac is None or self.mac == normalize_mac(mac)

    def encode(self) -> bytes:
        """Render the datagram as the ``sadp.dll`` templates do: one line, then Uuid, MAC, Types, fields.

        Raises:
            ValueError: a field name is not an XML name or repeats ``Uuid``/``Types``/``MAC``.
        """
        children: list[Node] = [Node("Uuid", self.uuid)]
        if self.mac is not None:
            children.append(Node("MAC", self.mac))
        children.append(Node("Types", self.types))
        for name, value in self.fields.items():
            if not _NAME.fullmatch(name) or name in _MESSAGE_KEYS:
                raise ValueError(f"{name!r} cannot be a SADP command field")
            if isinstance(value, Node) and value.name != name:
                raise ValueError(f"the Node for field {name!r} is named {value.name!r}")
            children.append(value if isinstance(value, Node) else Node(name, value))
        body = xml.render(Node("Probe", children=children), version=None, newline="", declaration=False)
        return _CLIENT_DECLARATION + body

    @classmethod
    def decode(cls, datagram: bytes) -> SadpCommand:
        """Decode a ``<Probe>`` datagram, as a device does.

        Raises:
            ProtocolError: see :func:`decode`; also when the root is not ``<Probe>``.
        """
        root = xml.require_root(_parse(datagram), "Probe")
        return _command(root)


def _command(root: Element) -> SadpCommand:
    extra: dict[str, FieldValue] = {}
    for element in root:
        name = xml.local_name(element.tag)
        if name in _MESSAGE_KEYS:
            continue
        if name in extra:
            raise InvalidContent(f"<{name}> appears twice", field=name)
        extra[name] = _field_value(element)
    mac = _optional_mac(root)
    return SadpCommand(uuid=_uuid(root), types=_types(root), mac=mac, fields=extra)


def _field_value(element: Element) -> FieldValue:
    if len(element) == 0 and not element.attrib:
        return element.text or ""
    return _to_node(element)


def _to_node(element: Element) -> Node:
    subs = tuple(_to_node(sub) for sub in element)
    attributes = tuple((xml.local_name(name), value) for name, value in element.attrib.items())
    return Node(xml.local_name(element.tag), None if subs else (element.text or ""), subs, attributes)


# --- device records (device -> client) ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeviceRecord:
    """What a device tells about itself in a ProbeMatch or Hello (CAP2's fields, typed).

    Only the fields without which a discovery result is useless are required; everything else is ``None``
    when the firmware does not send it (CAP1 lacks the SDK* and MailBox fields; older firmware lacks more),
    and an encoder omits ``None`` fields, which is how an emulated older firmware is modelled.
    """

    mac: str
    ipv4_address: str
    description: str
    serial: str
    device_type: int | None = None
    command_port: int | None = None
    http_port: int | None = None
    ipv4_subnet_mask: str | None = None
    ipv4_gateway: str | None = None
    ipv6_address: str | None = None
    ipv6_gateway: str | None = None
    ipv6_mask_len: int | None = None
    dhcp: bool | None = None
    analog_channels: int | None = None
    digital_channels: int | None = None
    software_version: str | None = None
    dsp_version: str | None = None
    boot_time: datetime | None = None
    encrypt: bool | None = None
    reset_ability: bool | None = None
    disk_number: int | None = None
    activated: bool | None = None
    password_reset_ability: bool | None = None
    password_reset_mode_second: bool | None = None
    detail_oem_code: int | None = None
    support_security_question: bool | None = None
    support_hc_platform: bool | None = None
    hc_platform_enable: bool | None = None
    is_modify_verification_code: bool | None = None
    salt: str | None = None
    device_lock: bool | None = None
    sdk_over_tls_port: int | None = None
    sdk_server_status: bool | None = None
    sdk_over_tls_server_status: bool | None = None
    support_mailbox: bool | None = None
    extra: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        object.__setattr__(self, "mac", normalize_mac(self.mac))
        _check_ipv4(self.ipv4_address)
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))

    @property
    def firmware(self) -> FirmwareVersion | None:
        """The parsed ``software_version``, if the device sent one."""
        return None if self.software_version is None else parse_software_version(self.software_version)


class _Kind(NamedTuple):
    read: Callable[[Element, str], object]
    write: Callable[[object, bool], str]


def _read_text(root: Element, name: str) -> object:
    return xml.optional_text(root, name, max_length=256)


def _read_int(maximum: int) -> Callable[[Element, str], object]:
    return lambda root, name: xml.optional_integer(root, name, minimum=0, maximum=maximum)


def _read_bool(root: Element, name: str) -> object:
    return xml.optional_boolean(root, name)


def _read_time(root: Element, name: str) -> object:
    raw = xml.optional_text(root, name, max_length=32)
    if raw is None:
        return None
    try:
        # The device's local wall-clock time; SADP gives no zone, so the datetime stays naive.
        return datetime.strptime(raw, _BOOT_TIME_FORMAT)
    except ValueError:
        raise InvalidContent(f"<{name}> is not YYYY-MM-DD hh:mm:ss", field=name) from None


def _write_text(value: object, flase: bool) -> str:
    return str(value)


def _write_bool(value: object, flase: bool) -> str:
    return "true" if value else ("flase" if flase else "false")


def _write_time(value: object, flase: bool) -> str:
    return value.strftime(_BOOT_TIME_FORMAT) if isinstance(value, datetime) else str(value)


_TEXT = _Kind(_read_text, _write_text)
_BOOL = _Kind(_read_bool, _write_bool)
_PORT = _Kind(_read_int(65535), _write_text)
_COUNT = _Kind(_read_int(2**31 - 1), _write_text)
_TIME = _Kind(_read_time, _write_time)

#: CAP2's element order (§13.3) and the record attribute each element maps to.
_RECORD_FIELDS: Final[tuple[tuple[str, str, _Kind], ...]] = (
    ("DeviceType", "device_type", _COUNT),
    ("DeviceDescription", "description", _TEXT),
    ("DeviceSN", "serial", _TEXT),
    ("CommandPort", "command_port", _PORT),
    ("HttpPort", "http_port", _PORT),
    ("MAC", "mac", _TEXT),
    ("IPv4Address", "ipv4_address", _TEXT),
    ("IPv4SubnetMask", "ipv4_subnet_mask", _TEXT),
    ("IPv4Gateway", "ipv4_gateway", _TEXT),
    ("IPv6Address", "ipv6_address", _TEXT),
    ("IPv6Gateway", "ipv6_gateway", _TEXT),
    ("IPv6MaskLen", "ipv6_mask_len", _Kind(_read_int(128), _write_text)),
    ("DHCP", "dhcp", _BOOL),
    ("AnalogChannelNum", "analog_channels", _COUNT),
    ("DigitalChannelNum", "digital_channels", _COUNT),
    ("SoftwareVersion", "software_version", _TEXT),
    ("DSPVersion", "dsp_version", _TEXT),
    ("BootTime", "boot_time", _TIME),
    ("Encrypt", "encrypt", _BOOL),
    ("ResetAbility", "reset_ability", _BOOL),
    ("DiskNumber", "disk_number", _COUNT),
    ("Activated", "activated", _BOOL),
    ("PasswordResetAbility", "password_reset_ability", _BOOL),
    ("PasswordResetModeSecond", "password_reset_mode_second", _BOOL),
    ("DetailOEMCode", "detail_oem_code", _COUNT),
    ("SupportSecurityQuestion", "support_security_question", _BOOL),
    ("SupportHCPlatform", "support_hc_platform", _BOOL),
    ("HCPlatformEnable", "hc_platform_enable", _BOOL),
    ("IsModifyVerificationCode", "is_modify_verification_code", _BOOL),
    ("Salt", "salt", _TEXT),
    ("DeviceLock", "device_lock", _BOOL),
    ("SDKOverTLSPort", "sdk_over_tls_port", _PORT),
    ("SDKServerStatus", "sdk_server_status", _BOOL),
    ("SDKOverTLSServerStatus", "sdk_over_tls_server_status", _BOOL),
    ("SupportMailBox", "support_mailbox", _BOOL),
)
_RECORD_ELEMENTS: Final = frozenset(element for element, _, _ in _RECORD_FIELDS) | {"Uuid", "Types"}
#: The record attributes a discovery result is useless without (always present in CAP1 and CAP2).
_REQUIRED: Final = frozenset({"mac", "ipv4_address", "description", "serial"})


@dataclass(frozen=True, slots=True)
class ProbeMatch:
    """A device's answer to an inquiry: the request's Uuid and Types echoed, and the device's record."""

    uuid: str
    types: str
    device: DeviceRecord


@dataclass(frozen=True, slots=True)
class Hello:
    """A device's unsolicited announcement at start-up (CSADPD; same fields as a ProbeMatch)."""

    uuid: str
    device: DeviceRecord


def _record_children(device: DeviceRecord, flase_fields: Collection[str]) -> list[Node]:
    children = []
    for element, attribute, kind in _RECORD_FIELDS:
        value = getattr(device, attribute)
        if value is not None:
            children.append(Node(element, kind.write(value, element in flase_fields)))
    children.extend(Node(name, value) for name, value in device.extra.items())
    return children


def _device_document(root: str, uuid: str, types: str, device: DeviceRecord, flase: Collection[str]) -> bytes:
    for name in device.extra:
        if not _NAME.fullmatch(name) or name in _RECORD_ELEMENTS:
            raise ValueError(f"{name!r} cannot be an extra SADP field")
    children = [Node("Uuid", uuid), Node("Types", types), *_record_children(device, flase)]
    return xml.render(Node(root, children=children), version=None, newline="\n")


def encode_probe_match(
    device: DeviceRecord,
    *,
    uuid: str,
    types: str = INQUIRY,
    flase_fields: Collection[str] = FIRMWARE_FLASE_FIELDS,
) -> bytes:
    """Render a device's ``<ProbeMatch>`` inquiry answer, in CAP2's field order.

    Args:
        device: the device's record.
        uuid: the Uuid of the Probe being answered (the device echoes it).
        types: the Probe's Types (``inquiry`` or ``inquiry_v32``).
        flase_fields: the fields in which false is written ``flase`` like the real firmware; pass an empty
            set for correct spelling.

    Raises:
        ValueError: an ``extra`` field name is not an XML name or shadows a known field.
    """
    return _device_document("ProbeMatch", uuid, types, device, flase_fields)


def encode_hello(
    device: DeviceRecord, *, uuid: str, flase_fields: Collection[str] = FIRMWARE_FLASE_FIELDS
) -> bytes:
    """Render the ``<Hello>`` a device multicasts at start-up (``Types`` = ``hello``).

    Raises:
        ValueError: as :func:`encode_probe_match`.
    """
    return _device_document("Hello", uuid, HELLO, device, flase_fields)


def _record(root: Element) -> DeviceRecord:
    values: dict[str, object] = {}
    for element, attribute, kind in _RECORD_FIELDS:
        value = kind.read(root, element)
        if value is None and attribute in _REQUIRED:
            raise InvalidContent(f"<{element}> is missing", field=element)
        if value is not None:
            values[attribute] = value
    extra = _unknown_leaves(root, _RECORD_ELEMENTS)
    return DeviceRecord(**values, extra={name: value.strip() for name, value in extra.items()})  # type: ignore[arg-type]


def _unknown_leaves(root: Element, known: Collection[str]) -> dict[str, str]:
    """Collect the leaf elements not in ``known`` as text, first occurrence winning (devices are sloppy)."""
    found: dict[str, str] = {}
    for element in root:
        name = xml.local_name(element.tag)
        if name in known or name in found or len(element) != 0:
            continue
        value = element.text or ""
        if len(value) > _MAX_FIELD_CHARS:
            raise InvalidContent(f"<{name}> is longer than {_MAX_FIELD_CHARS} characters", field=name)
        found[name] = value
    return found


# --- action responses (device -> client) ----------------------------------------------------------------


class Result(StrEnum):
    """The ``Result`` of a command; ``failed`` is seen besides ``failure`` in the wild (§13.4)."""

    SUCCESS = "success"
    FAILURE = "failure"
    DENIED = "denied"
    FAILED = "failed"


@dataclass(frozen=True, slots=True, repr=False)
class ActionResponse:
    """A device's ``<ProbeMatch>`` answer to a command, e.g. ``getcode`` (§13.4).

    Attributes:
        uuid: the command's Uuid, echoed.
        types: the command's Types, echoed.
        result: success or one of the refusals.
        mac: the device's MAC, when it says.
        code: the ``Code`` element (a safe code, an encrypted key...). Never in the repr.
        fields: any further elements, as text. Never in the repr (names only).
    """

    uuid: str
    types: str
    result: Result
    mac: str | None = None
    code: str | None = None
    fields: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        if self.mac is not None:
            object.__setattr__(self, "mac", normalize_mac(self.mac))
        object.__setattr__(self, "fields", MappingProxyType(dict(self.fields)))

    @property
    def reason(self) -> str | None:
        """The ``Reason`` field [ours], only when it looks like an identifier (``bad_signature``).

        Anything else is dropped, so a hostile device cannot make a message carry what it likes.
        """
        value = self.fields.get("Reason")
        return value if value is not None and _NAME.fullmatch(value) else None

    def __repr__(self) -> str:
        return (
            f"ActionResponse(uuid={self.uuid!r}, types={self.types!r}, result={self.result.value!r}, "
            f"mac={self.mac!r}, code={'<redacted>' if self.code is not None else None}, "
            f"fields=<{', '.join(self.fields)}>)"
        )


_RESPONSE_KEYS: Final = _MESSAGE_KEYS | {"Result", "Code"}


def encode_action_response(response: ActionResponse) -> bytes:
    """Render a device's answer to a command: ``Uuid``, ``MAC``, ``Types``, ``Result``, ``Code``, fields.

    Raises:
        ValueError: a field name is not an XML name or shadows one of those elements.
    """
    for name in response.fields:
        if not _NAME.fullmatch(name) or name in _RESPONSE_KEYS:
            raise ValueError(f"{name!r} cannot be a SADP response field")
    children = [
        Node("Uuid", response.uuid),
        Node("MAC", response.mac) if response.mac is not None else None,
        Node("Types", response.types),
        Node("Result", response.result.value),
        Node("Code", response.code) if response.code is not None else None,
        *(Node(name, value) for name, value in response.fields.items()),
    ]
    return xml.render(Node("ProbeMatch", children=children), version=None, newline="\n")


def _action_response(root: Element) -> ActionResponse:
    raw = xml.text(root, "Result", max_length=16)
    try:
        result = Result(raw.lower())
    except ValueError:
        raise InvalidContent("<Result> is not success, failure, denied or failed", field="Result") from None
    return ActionResponse(
        uuid=_uuid(root),
        types=_types(root),
        result=result,
        mac=_optional_mac(root),
        code=xml.optional_text(root, "Code", max_length=_MAX_FIELD_CHARS),
        fields=_unknown_leaves(root, _RESPONSE_KEYS),
    )


# --- decoding --------------------------------------------------------------------------------------------

SadpMessage = SadpCommand | ProbeMatch | Hello | ActionResponse


def decode(datagram: bytes) -> SadpMessage:
    """Decode one untrusted SADP datagram, dispatching on the root element and ``Types``.

    ``<Probe>`` gives a :class:`SadpCommand`; ``<Hello>`` a :class:`Hello`; ``<ProbeMatch>`` an
    :class:`ActionResponse` when it carries ``Result``, else a :class:`ProbeMatch` for the discovery types.

    Raises:
        MessageTooLarge: the datagram exceeds :data:`MAX_DATAGRAM_BYTES`.
        MalformedMessage: not well-formed, or hostile XML.
        InvalidContent: an unknown root, or a missing, mistyped or out-of-range field.
    """
    root = xml.require_root(_parse(datagram), "Probe", "ProbeMatch", "Hello")
    match xml.local_name(root.tag):
        case "Probe":
            return _command(root)
        case "Hello":
            _types(root)  # present in every Hello (CSADPD); its value is always "hello"
            return Hello(_uuid(root), _record(root))
    if xml.child(root, "Result") is not None:
        return _action_response(root)
    types = _types(root)
    if types.lower() not in _DISCOVERY_TYPES:
        raise InvalidContent(f"a <ProbeMatch> for {types!r} must carry a <Result>", field="Result")
    return ProbeMatch(_uuid(root), types, _record(root))


def _parse(datagram: bytes) -> Element:
    try:
        return xml.parse(datagram, max_bytes=MAX_DATAGRAM_BYTES)
    except LookupError:
        # xml.parse lets the codec lookup of an unknown declared encoding ("rot13", "U-F-8") escape.
        raise MalformedMessage("XML declares an unknown encoding") from None


def _uuid(root: Element) -> str:
    value = xml.text(root, "Uuid", max_length=64)
    if not value:
        raise InvalidContent("<Uuid> is empty", field="Uuid")
    return value


def _types(root: Element) -> str:
    value = xml.text(root, "Types", max_length=64)
    if not _NAME.fullmatch(value):
        raise InvalidContent("<Types> is not a SADP message type", field="Types")
    return value


def _optional_mac(root: Element) -> str | None:
    value = xml.optional_text(root, "MAC", max_length=32)
    return normalize_mac(value) if value else None


def _check_ipv4(text: str) -> None:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        raise InvalidContent("<IPv4Address> is not an IPv4 address", field="IPv4Address") from None
