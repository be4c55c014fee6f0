"""A small JSON Schema (2020-12 subset) checker for the audit report tests; ``jsonschema`` is not installed.

It knows exactly the keywords ``data/audit-report.schema.json`` uses and refuses any other, so a schema
edit that needs more cannot be silently ignored.
"""

from __future__ import annotations

import re
from typing import Any

_ANNOTATIONS = {"$schema", "$id", "title", "description", "$defs"}
_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


class SchemaViolation(AssertionError):
    """The instance does not satisfy the schema; the message names the JSON path."""


def validate(instance: Any, schema: dict[str, Any]) -> None:
    """Raise :class:`SchemaViolation` unless ``instance`` satisfies ``schema``."""
    _check(instance, schema, schema, "$")


def _check(value: Any, schema: dict[str, Any], root: dict[str, Any], path: str) -> None:
    for keyword, argument in schema.items():
        if keyword in _ANNOTATIONS:
            continue
        checker = _KEYWORDS.get(keyword)
        if checker is None:
            raise SchemaViolation(f"{path}: the checker does not know the keyword {keyword!r}")
        checker(value, argument, schema, root, path)


def _is_type(value: Any, name: str) -> bool:
    if name in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, _TYPES[name])


def _type(value: Any, argument: Any, _schema: dict[str, Any], _root: dict[str, Any], path: str) -> None:
    names = argument if isinstance(argument, list) else [argument]
    if not any(_is_type(value, name) for name in names):
        raise SchemaViolation(f"{path}: expected {argument}, got {type(value).__name__}")


def _const(value: Any, argument: Any, _schema: dict[str, Any], _root: dict[str, Any], path: str) -> None:
    if value != argument or type(value) is not type(argument):
        raise SchemaViolation(f"{path}: expected {argument!r}")


def _enum(value: Any, argument: Any, _schema: dict[str, Any], _root: dict[str, Any], path: str) -> None:
    if not any(value == option and type(value) is type(option) for option in argument):
        raise SchemaViolation(f"{path}: {value!r} is not one of {argument}")


def _required(value: Any, argument: Any, _schema: dict[str, Any], _root: dict[str, Any], path: str) -> None:
    if isinstance(value, dict):
        missing = [name for name in argument if name not in value]
        if missing:
            raise SchemaViolation(f"{path}: missing {missing}")


def _properties(value: Any, argument: Any, _schema: dict[str, Any], root: dict[str, Any], path: str) -> None:
    if isinstance(value, dict):
        for name, subschema in argument.items():
            if name in value:
                _check(value[name], subschema, root, f"{path}.{name}")


def _additional(value: Any, argument: Any, schema: dict[str, Any], root: dict[str, Any], path: str) -> None:
    if not isinstance(value, dict):
        return
    known = set(schema.get("properties", {}))
    for name, item in value.items():
        if name in known:
            continue
        if argument is False:
            raise SchemaViolation(f"{path}: unexpected property {name!r}")
        if isinstance(argument, dict):
            _check(item, argument, root, f"{path}.{name}")


def _property_names(
    value: Any, argument: Any, _schema: dict[str, Any], root: dict[str, Any], path: str
) -> None:
    if isinstance(value, dict):
        for name in value:
            _check(name, argument, root, f"{path}[{name!r}]")


def _items(value: Any, argument: Any, _schema: dict[str, Any], root: dict[str, Any], path: str) -> None:
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check(item, argument, root, f"{path}[{index}]")


def _min_items(value: Any, argument: Any, _schema: dict[str, Any], _root: dict[str, Any], path: str) -> None:
    if isinstance(value, list) and len(value) < argument:
        raise SchemaViolation(f"{path}: fewer than {argument} items")


def _min_length(value: Any, argument: Any, _schema: dict[str, Any], _root: dict[str, Any], path: str) -> None:
    if isinstance(value, str) and len(value) < argument:
        raise SchemaViolation(f"{path}: shorter than {argument}")


def _minimum(value: Any, argument: Any, _schema: dict[str, Any], _root: dict[str, Any], path: str) -> None:
    if _is_type(value, "number") and value < argument:
        raise SchemaViolation(f"{path}: below {argument}")


def _maximum(value: Any, argument: Any, _schema: dict[str, Any], _root: dict[str, Any], path: str) -> None:
    if _is_type(value, "number") and value > argument:
        raise SchemaViolation(f"{path}: above {argument}")


def _pattern(value: Any, argument: Any, _schema: dict[str, Any], _root: dict[str, Any], path: str) -> None:
    if isinstance(value, str) and re.search(argument, value) is None:
        raise SchemaViolation(f"{path}: {value!r} does not match {argument}")


def _any_of(value: Any, argument: Any, _schema: dict[str, Any], root: dict[str, Any], path: str) -> None:
    for option in argument:
        try:
            _check(value, option, root, path)
        except SchemaViolation:
            continue
        return
    raise SchemaViolation(f"{path}: matches none of the alternatives")


def _ref(value: Any, argument: Any, _schema: dict[str, Any], root: dict[str, Any], path: str) -> None:
    prefix = "#/$defs/"
    if not argument.startswith(prefix):
        raise SchemaViolation(f"{path}: only local $defs references are supported, not {argument}")
    _check(value, root["$defs"][argument[len(prefix) :]], root, path)


_KEYWORDS = {
    "type": _type,
    "const": _const,
    "enum": _enum,
    "required": _required,
    "properties": _properties,
    "additionalProperties": _additional,
    "propertyNames": _property_names,
    "items": _items,
    "minItems": _min_items,
    "minLength": _min_length,
    "minimum": _minimum,
    "maximum": _maximum,
    "pattern": _pattern,
    "anyOf": _any_of,
    "$ref": _ref,
}
