"""Bounded, hostile-input-safe XML reading and a small writer shaped like real device output.

Reading:

* :func:`parse` is the only way camvault turns network or file bytes into XML. It bounds the size and the
  nesting depth, refuses DTDs, entity declarations and external references (``defusedxml``), and raises
  :class:`~camvault.errors.MessageTooLarge` or :class:`~camvault.errors.MalformedMessage`.
* Elements are read *namespace-agnostically*: Hikvision firmware uses at least four namespaces for the same
  documents, so :func:`local_name`, :func:`child`, :func:`children` and the typed getters compare local
  names only.
* Typed getters (:func:`text`, :func:`integer`, :func:`boolean`) raise
  :class:`~camvault.errors.InvalidContent` naming the field, and tolerate real firmware quirks
  (``"flase"``, surrounding whitespace).

Writing: :func:`render` produces the plain, unindented, one-element-per-line style of real devices
(CRLF line ends, ``version="2.0"`` and a namespace on the root), from a tree of :class:`Node` values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape, quoteattr

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from camvault.errors import InvalidContent, MalformedMessage, MessageTooLarge

__all__ = [
    "DEFAULT_MAX_BYTES",
    "Node",
    "boolean",
    "child",
    "children",
    "integer",
    "local_name",
    "namespace_of",
    "nodes",
    "optional_boolean",
    "optional_integer",
    "optional_text",
    "parse",
    "render",
    "require_root",
    "text",
]

DEFAULT_MAX_BYTES = 256 * 1024
DEFAULT_MAX_DEPTH = 32

_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")
_TRUE = frozenset({"true", "1", "yes", "on"})
# "flase" is what real Hikvision firmware sends in SADP replies (research notes §13.3).
_FALSE = frozenset({"false", "0", "no", "off", "flase"})


def parse(
    data: bytes | str, *, max_bytes: int = DEFAULT_MAX_BYTES, max_depth: int = DEFAULT_MAX_DEPTH
) -> Element:
    """Parse untrusted XML into an element tree, within bounds.

    Args:
        data: the raw document.
        max_bytes: refuse larger documents before parsing them.
        max_depth: refuse documents nested deeper than this.

    Returns:
        The root element.

    Raises:
        MessageTooLarge: the document is larger than ``max_bytes``.
        MalformedMessage: the document is empty, not well-formed, too deep, or uses DTDs or entities.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > max_bytes:
        raise MessageTooLarge(f"XML document of {len(raw)} bytes exceeds the limit of {max_bytes}")
    if not raw.strip():
        raise MalformedMessage("empty XML document")
    try:
        root: Element = SafeET.fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise MalformedMessage(f"XML uses a forbidden construct ({type(exc).__name__})") from None
    except SafeET.ParseError as exc:
        raise MalformedMessage(f"XML is not well-formed: {exc}") from None
    except LookupError:
        raise MalformedMessage("XML declares an unknown or unusable encoding") from None
    except (ValueError, UnicodeError) as exc:
        raise MalformedMessage(f"XML cannot be decoded: {type(exc).__name__}") from None
    if _depth(root, max_depth) > max_depth:
        raise MalformedMessage(f"XML is nested deeper than {max_depth} levels")
    return root


def _depth(root: Element, limit: int) -> int:
    deepest = 0
    stack: list[tuple[Element, int]] = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((sub, depth + 1) for sub in element)
    return deepest


def _name(path: tuple[str, ...], element: Element) -> str:
    """The field a getter was asked for: the last path step, or the element itself when no path was given."""
    return path[-1] if path else local_name(element.tag)


def local_name(tag: str) -> str:
    """Return a tag without its ``{namespace}`` part."""
    return tag.rsplit("}", 1)[-1] if tag.startswith("{") else tag


def namespace_of(element: Element) -> str | None:
    """Return the namespace URI of an element, or ``None`` if it has none."""
    tag = element.tag
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else None


def require_root(element: Element, *names: str) -> Element:
    """Check that the root element has one of the expected local names.

    Raises:
        InvalidContent: it has another name.
    """
    if local_name(element.tag) not in names:
        expected = " or ".join(f"<{name}>" for name in names)
        raise InvalidContent(f"expected {expected}, got <{local_name(element.tag)}>")
    return element


def children(element: Element, name: str) -> Iterator[Element]:
    """Iterate over the direct children with the local name ``name``, in document order."""
    return (sub for sub in element if local_name(sub.tag) == name)


def child(element: Element, *path: str) -> Element | None:
    """Follow a path of local names from ``element``; return ``None`` where it ends early."""
    current: Element | None = element
    for name in path:
        if current is None:
            return None
        current = next(children(current, name), None)
    return current


def optional_text(element: Element, *path: str, max_length: int = 4096) -> str | None:
    """Return the stripped text at ``path``, ``None`` if the element is absent.

    Raises:
        InvalidContent: the text is longer than ``max_length``.
    """
    found = child(element, *path)
    if found is None:
        return None
    value = (found.text or "").strip()
    if len(value) > max_length:
        name = _name(path, found)
        raise InvalidContent(f"<{name}> is longer than {max_length} characters", field=name)
    return value


def text(element: Element, *path: str, max_length: int = 4096) -> str:
    """Return the stripped text at ``path``.

    Raises:
        InvalidContent: the element is absent or its text is too long.
    """
    value = optional_text(element, *path, max_length=max_length)
    if value is None:
        raise InvalidContent(f"<{'/'.join(path)}> is missing", field=_name(path, element))
    return value


def optional_integer(
    element: Element, *path: str, minimum: int | None = None, maximum: int | None = None
) -> int | None:
    """Return the integer at ``path``, ``None`` if the element is absent.

    Raises:
        InvalidContent: the value is not an integer or is out of range.
    """
    raw = optional_text(element, *path, max_length=32)
    if raw is None:
        return None
    if not _INTEGER.fullmatch(raw):
        raise InvalidContent(f"<{_name(path, element)}> is not an integer", field=_name(path, element))
    value = int(raw, 10)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        name = _name(path, element)
        raise InvalidContent(f"<{name}> must be between {minimum} and {maximum}", field=name)
    return value


def integer(element: Element, *path: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return the integer at ``path``.

    Raises:
        InvalidContent: the element is absent, not an integer, or out of range.
    """
    value = optional_integer(element, *path, minimum=minimum, maximum=maximum)
    if value is None:
        raise InvalidContent(f"<{'/'.join(path)}> is missing", field=_name(path, element))
    return value


def optional_boolean(element: Element, *path: str) -> bool | None:
    """Return the boolean at ``path``, ``None`` if absent; accepts firmware spellings such as ``flase``.

    Raises:
        InvalidContent: the value is not a recognisable boolean.
    """
    raw = optional_text(element, *path, max_length=16)
    if raw is None:
        return None
    lowered = raw.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    name = _name(path, element)
    raise InvalidContent(f"<{name}> is not a boolean", field=name)


def boolean(element: Element, *path: str) -> bool:
    """Return the boolean at ``path``.

    Raises:
        InvalidContent: the element is absent or not a recognisable boolean.
    """
    value = optional_boolean(element, *path)
    if value is None:
        raise InvalidContent(f"<{'/'.join(path)}> is missing", field=_name(path, element))
    return value


@dataclass(frozen=True, slots=True)
class Node:
    """One element to render: a name, optional attributes, and either text or child nodes.

    ``None`` children are skipped, which makes optional fields easy to express inline.
    """

    name: str
    value: str | int | bool | None = None
    children: Sequence[Node | None] = field(default_factory=tuple)
    attributes: Sequence[tuple[str, str]] = field(default_factory=tuple)


def _scalar(value: str | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def render(
    root: Node,
    *,
    namespace: str | None = None,
    version: str | None = "2.0",
    newline: str = "\r\n",
    declaration: bool = True,
) -> bytes:
    """Serialise a :class:`Node` tree as a device would: one element per line, no indentation.

    Args:
        root: the document element.
        namespace: default namespace declared on the root, if any.
        version: the ``version`` attribute on the root (ISAPI documents carry ``"2.0"``), or ``None``.
        newline: line terminator; real Hikvision firmware uses CRLF.
        declaration: whether to start with ``<?xml version="1.0" encoding="UTF-8"?>``.
    """
    out: list[str] = []
    if declaration:
        out.append('<?xml version="1.0" encoding="UTF-8"?>' + newline)
    root_attributes: list[tuple[str, str]] = []
    if version is not None:
        root_attributes.append(("version", version))
    if namespace is not None:
        root_attributes.append(("xmlns", namespace))
    root_attributes.extend(root.attributes)
    _render_node(out, Node(root.name, root.value, root.children, root_attributes), newline)
    return "".join(out).encode("utf-8")


def _render_node(out: list[str], node: Node, newline: str) -> None:
    attributes = "".join(f" {name}={quoteattr(value)}" for name, value in node.attributes)
    present = [sub for sub in node.children if sub is not None]
    if present:
        out.append(f"<{node.name}{attributes}>{newline}")
        for sub in present:
            _render_node(out, sub, newline)
        out.append(f"</{node.name}>{newline}")
    elif node.value is None:
        out.append(f"<{node.name}{attributes}/>{newline}")
    else:
        out.append(f"<{node.name}{attributes}>{escape(_scalar(node.value))}</{node.name}>{newline}")


def nodes(pairs: Iterable[tuple[str, str | int | bool | None]]) -> tuple[Node, ...]:
    """Build leaf nodes from ``(name, value)`` pairs, skipping pairs whose value is ``None``."""
    return tuple(Node(name, value) for name, value in pairs if value is not None)
