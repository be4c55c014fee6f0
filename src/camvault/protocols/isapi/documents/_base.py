"""Shared machinery of the ISAPI document codecs: namespaces, the document protocol, encode/decode, helpers.

Every document type in this package is a small frozen dataclass with ``from_element`` (tolerant,
namespace-agnostic parsing of an element already bounded by :func:`camvault.protocols.xml.parse`) and
``to_node`` (the element tree in the order real firmware writes it). :func:`encode` and :func:`decode`
turn any of them into bytes and back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import ClassVar, Protocol, Self, TypeVar
from xml.etree.ElementTree import Element

from camvault.errors import InvalidContent
from camvault.protocols import xml

__all__ = [
    "NAMESPACES",
    "NS_HIKVISION_V10",
    "NS_HIKVISION_V20",
    "NS_ISAPI_V20",
    "NS_STD_CGI_V20",
    "Document",
    "IntRange",
    "LockStatus",
    "decode",
    "encode",
]

# The four namespaces of research notes §1. A device uses one per firmware generation; clients read all.
NS_HIKVISION_V20 = "http://www.hikvision.com/ver20/XMLSchema"
"""2017-era cameras, the AX PRO panel, pyHik (research §1)."""
NS_ISAPI_V20 = "http://www.isapi.org/ver20/XMLSchema"
"""Newer firmware and the official ISAPI guide (research §1, OBS captures)."""
NS_STD_CGI_V20 = "http://www.std-cgi.org/ver20/XMLSchema"
"""The 2022 SDK guides' ``XML_ResponseStatus`` (research §1, §2.1)."""
NS_HIKVISION_V10 = "http://www.hikvision.com/ver10/XMLSchema"
"""Legacy ``version="1.0"`` documents on the non-``/ISAPI`` paths (research §1, §14.4)."""
NAMESPACES = (NS_HIKVISION_V20, NS_ISAPI_V20, NS_STD_CGI_V20, NS_HIKVISION_V10)


class Document(Protocol):
    """What every ISAPI document type provides.

    Attributes:
        ROOT: the root element name this type renders.
        ACCEPTED_ROOTS: root names :func:`decode` accepts, or ``None`` to accept any root (for documents
            whose real root was never observed and that clients recognise by a child element).
    """

    ROOT: ClassVar[str]
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None]

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Build the document from a parsed element (namespace-agnostic, tolerant)."""
        ...

    def to_node(self) -> xml.Node:
        """Return the element tree in real firmware order."""
        ...


DocumentT = TypeVar("DocumentT", bound=Document)
EnumT = TypeVar("EnumT", bound=StrEnum)


def encode(document: Document, *, namespace: str | None, version: str | None = None) -> bytes:
    """Render a document as a device would (CRLF lines, XML declaration, namespace on the root).

    Args:
        document: any document of this package.
        namespace: the default namespace to declare (one of :data:`NAMESPACES`), or ``None`` for the bare
            form that clients such as Hikvision's own web UI send.
        version: the root ``version`` attribute. By default ``"1.0"`` for :data:`NS_HIKVISION_V10`,
            ``"2.0"`` for the other namespaces and none without a namespace.
    """
    if version is None and namespace is not None:
        version = "1.0" if namespace == NS_HIKVISION_V10 else "2.0"
    return xml.render(document.to_node(), namespace=namespace, version=version)


def decode(data: bytes | str, cls: type[DocumentT], *, max_bytes: int = xml.DEFAULT_MAX_BYTES) -> DocumentT:
    """Parse untrusted bytes into a document of type ``cls``.

    Raises:
        MessageTooLarge: the document exceeds ``max_bytes``.
        MalformedMessage: it is not well-formed, too deep, or uses DTDs or entities.
        InvalidContent: the root is not one ``cls`` accepts, or a field is missing or of the wrong type.
    """
    root = xml.parse(data, max_bytes=max_bytes)
    if cls.ACCEPTED_ROOTS is not None:
        xml.require_root(root, *sorted(cls.ACCEPTED_ROOTS))
    return cls.from_element(root)


class LockStatus(StrEnum):
    """The illegal-login lock state a device reports after a failed authentication (research §2.1, §6.1).

    ``ResponseStatus`` uses ``unlock``/``locked`` (web UI ``getLockTips``); ``userCheck`` has been seen
    with ``lock`` (one client's literal test). :meth:`parse` accepts all three spellings.
    """

    UNLOCK = "unlock"
    LOCKED = "locked"

    @classmethod
    def parse(cls, raw: str, *, field: str = "lockStatus") -> LockStatus:
        """Read a lock status, accepting ``unlock``, ``locked`` and ``lock`` in any case.

        Raises:
            InvalidContent: any other value.
        """
        lowered = raw.strip().lower()
        if lowered == "unlock":
            return cls.UNLOCK
        if lowered in ("locked", "lock"):
            return cls.LOCKED
        raise InvalidContent(f"<{field}> is not a lock status", field=field)


@dataclass(frozen=True, slots=True)
class IntRange:
    """An inclusive ``min``/``max`` pair, as firmware writes it in capability attributes.

    Raises:
        InvalidContent: ``minimum`` is greater than ``maximum``.
    """

    minimum: int
    maximum: int

    def __post_init__(self) -> None:
        if self.minimum > self.maximum:
            raise InvalidContent(f"range {self.minimum}..{self.maximum} is empty")

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int) and self.minimum <= value <= self.maximum


# ---- helpers shared by the document modules (not part of the public API) ----

_INTEGER = re.compile(r"-?[0-9]{1,12}")


def leaf(name: str, value: str | int | bool | None) -> xml.Node | None:
    """Return a text node, or ``None`` (skipped by the renderer) when the value is absent."""
    return None if value is None else xml.Node(name, value)


def required_text(element: Element, *path: str, max_length: int = 4096) -> str:
    """Return the text at ``path``; an absent or empty element is missing.

    Raises:
        InvalidContent: the element is absent, empty, or too long.
    """
    value = xml.text(element, *path, max_length=max_length)
    if not value:
        raise InvalidContent(f"<{'/'.join(path)}> is empty", field=path[-1])
    return value


def int_attribute(element: Element, name: str, *, field: str) -> int | None:
    """Return an integer attribute such as ``min="8"``, ``None`` if absent.

    Raises:
        InvalidContent: the attribute is not a (short) decimal integer.
    """
    raw = element.get(name)
    if raw is None:
        return None
    raw = raw.strip()
    if _INTEGER.fullmatch(raw) is None:
        raise InvalidContent(f"<{field}> attribute {name!r} is not an integer", field=field)
    return int(raw, 10)


def range_at(element: Element, *path: str) -> IntRange | None:
    """Read ``min``/``max`` attributes of the element at ``path`` as an :class:`IntRange`.

    Raises:
        InvalidContent: the element exists but lacks one bound, or a bound is not an integer.
    """
    found = xml.child(element, *path)
    if found is None:
        return None
    low = int_attribute(found, "min", field=path[-1])
    high = int_attribute(found, "max", field=path[-1])
    if low is None or high is None:
        raise InvalidContent(f"<{path[-1]}> needs both min and max", field=path[-1])
    try:
        return IntRange(low, high)
    except InvalidContent:
        raise InvalidContent(f"<{path[-1]}> has min above max", field=path[-1]) from None


def range_node(name: str, bounds: IntRange | None, *, text: bool) -> xml.Node | None:
    """Render an :class:`IntRange` as ``<name min=".." max="..">`` (with the minimum as text if asked)."""
    if bounds is None:
        return None
    attributes = (("min", str(bounds.minimum)), ("max", str(bounds.maximum)))
    return xml.Node(name, bounds.minimum if text else None, attributes=attributes)


def parse_enum(enum: type[EnumT], raw: str, *, field: str) -> EnumT:
    """Map ``raw`` to a member of ``enum``, ignoring case.

    Raises:
        InvalidContent: no member matches.
    """
    lowered = raw.strip().lower()
    for member in enum:
        if member.value.lower() == lowered:
            return member
    raise InvalidContent(f"<{field}> has an unknown value", field=field)


def optional_enum(enum: type[EnumT], element: Element, *path: str) -> EnumT | None:
    """Read an optional enumerated value at ``path`` (case-insensitive)."""
    raw = xml.optional_text(element, *path, max_length=64)
    return None if raw is None else parse_enum(enum, raw, field=path[-1])


def parse_datetime(raw: str, *, field: str) -> datetime:
    """Parse an ISAPI time: ISO 8601 with ``Z``, an offset, or (some clients' PUTs) no offset at all.

    Raises:
        InvalidContent: the value is not an ISO 8601 date and time.
    """
    value = raw.strip()
    if len(value) > 40 or "T" not in value.upper():
        raise InvalidContent(f"<{field}> is not an ISO 8601 date-time", field=field)
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise InvalidContent(f"<{field}> is not an ISO 8601 date-time", field=field) from None


def optional_datetime(element: Element, *path: str) -> datetime | None:
    """Read an optional ISO 8601 time at ``path``."""
    raw = xml.optional_text(element, *path, max_length=64)
    return None if raw is None else parse_datetime(raw, field=path[-1])


def required_datetime(element: Element, *path: str) -> datetime:
    """Read a required ISO 8601 time at ``path``.

    Raises:
        InvalidContent: absent or not a date-time.
    """
    return parse_datetime(xml.text(element, *path, max_length=64), field=path[-1])


def format_datetime(moment: datetime) -> str:
    """Write a time as firmware does: ``Z`` for UTC, ``+hh:mm`` for other offsets, bare when naive."""
    offset = moment.utcoffset()
    if offset == timedelta(0):
        return moment.replace(tzinfo=None).isoformat() + "Z"
    return moment.isoformat()


def check_order(start: datetime, end: datetime, *, field: str) -> None:
    """Check that a time span is not reversed (and does not mix naive and aware times).

    Raises:
        InvalidContent: ``end`` precedes ``start``, or one is naive and the other aware.
    """
    if (start.utcoffset() is None) != (end.utcoffset() is None):
        raise InvalidContent("a time span mixes times with and without an offset", field=field)
    if end < start:
        raise InvalidContent(f"<{field}> is before the start time", field=field)


_INT_LIST_ITEM = re.compile(r"\s*-?[0-9]{1,12}\s*")


def int_options(element: Element, *path: str) -> tuple[int, ...] | None:
    """Read a capability's ``opt="1,2"`` attribute as integers, ``None`` if the element is absent.

    Raises:
        InvalidContent: an option is not an integer.
    """
    found = xml.child(element, *path)
    if found is None:
        return None
    raw = found.get("opt")
    if raw is None:
        text = (found.text or "").strip()
        raw = text
    if not raw:
        return ()
    items = raw.split(",")
    if len(items) > 64 or not all(_INT_LIST_ITEM.fullmatch(item) for item in items):
        raise InvalidContent(f"<{path[-1]}> options are not integers", field=path[-1])
    return tuple(int(item) for item in items)
