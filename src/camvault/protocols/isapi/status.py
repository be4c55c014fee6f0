"""The ISAPI error envelope ``ResponseStatus``: status codes, sub-status table, XML and JSON forms.

Sources (research notes ``hikvision.md``):

* §2.1: the skeleton (SDK-THERM, ``std-cgi`` namespace), the JSON field list (OPENLAB) and the
  authentication-failure fields ``lockStatus``/``retryTimes``/``resLockTime`` (OPENLAB, TSRS, WEBLOGIN).
* §2.2: the ``subStatusCode`` enumeration (TSRS, a client-side type) plus ``maxSessionUserLink``.
* §2.3: HTTP 200 for success, 401 for bad credentials, 403 for ``notActivated``.
* The ISAPI developer guide's "Error Processing" example (an unattributed public excerpt of the
  "ISAPI - Videowall Controller" guide, §4.2.6) shows a real error body: HTTP **403** with
  ``statusCode`` 4, ``subStatusCode`` ``notSupport``, ``errorCode`` 1073741825 (``0x40000001``) and
  ``errorMsg`` ``notSupport``. That fixes ``notSupport`` at 403 and shows the ``errorCode`` pattern.

Decisions where the notes are silent or inferred ([I]):

* **Families.** TSRS lists the sub-statuses grouped by family in order (``ok, riskPassword`` |
  ``noMemory … reConnectIpc`` | ``deviceError … 28181Uninitialized`` | ``notSupport … hasActivated`` |
  ``badXmlFormat`` | ``badParameters … notSupportWithAPMode`` | ``rebootRequired``); each group maps to
  ``statusCode`` 1, 2, 3, 4, 5, 6, 7. ``riskPassword`` is therefore an *OK-family* warning ("accepted,
  but the password is risky"); a device that refuses a password outright should use an error code.
* **errorCode.** ``(statusCode << 28) | position-in-family`` (1-based), which reproduces the one
  captured value (``notSupport`` = ``0x40000001``). Values further down a family are inferred and may
  differ on real firmware (vendors leave gaps); clients should key on ``subStatusCode``.
  ``maxSessionUserLink`` (web UI only) has no known code and gets none.
* **HTTP status per family.** 1 and 7 → 200 (QB60 treats ``Reboot Required`` as success); 2 → 503;
  3 → 500; 4 → 403 (the guide's ``notSupport`` capture, §2.3 ``notActivated``); 5 and 6 → 400. Exceptions:
  ``methodNotAllowed`` → 405, ``badAuthorization`` and ``incorrectUserNameOrPassword`` → 401 (§2.3 bad
  credentials).
* **statusString** for code 7 is rendered ``Reboot Required`` (what QB60 matches against real devices);
  the SDK comment's short ``Reboot`` is still read.
* **requestURL** is the path only: the guide's sample has no query string, and dropping it keeps
  query-borne secrets (``loginPassword=…`` on ``DELETE /ISAPI/Security/users/<id>``) out of replies.
* Success replies (:func:`ok_status`) carry no ``errorCode`` (the §2.1 skeleton has none); error replies
  (:func:`error_status`) carry ``errorCode`` and ``errorMsg`` as in the guide's sample.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from types import MappingProxyType
from typing import Any, ClassVar, Self
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element

from camvault.errors import InvalidContent, MalformedMessage, MessageTooLarge
from camvault.protocols import xml
from camvault.protocols.isapi.documents import LockStatus, decode

__all__ = [
    "JSON_MAX_BYTES",
    "SUB_STATUS",
    "LockStatus",
    "ResponseStatus",
    "StatusCode",
    "SubStatus",
    "decode_status",
    "error_status",
    "http_status_for",
    "ok_status",
]

JSON_MAX_BYTES = 64 * 1024
"""Size bound of a JSON ``ResponseStatus`` (they are a few hundred bytes in practice)."""


class StatusCode(IntEnum):
    """The ``statusCode`` of a ``ResponseStatus`` (research §2.1). Firmware also sends 0 for OK."""

    OK = 1
    DEVICE_BUSY = 2
    DEVICE_ERROR = 3
    INVALID_OPERATION = 4
    INVALID_XML_FORMAT = 5
    INVALID_XML_CONTENT = 6
    REBOOT_REQUIRED = 7
    ADDITIONAL_ERROR = 9

    @property
    def status_string(self) -> str:
        """The exact ``statusString`` firmware writes for this code."""
        return _STATUS_STRINGS[self]

    @classmethod
    def parse(cls, value: int) -> StatusCode:
        """Map a received code to a member; 0 is the old firmware spelling of OK.

        Raises:
            InvalidContent: an unknown code.
        """
        if value == 0:
            return cls.OK
        try:
            return cls(value)
        except ValueError:
            raise InvalidContent("<statusCode> has an unknown value", field="statusCode") from None


_STATUS_STRINGS: Mapping[StatusCode, str] = MappingProxyType(
    {
        StatusCode.OK: "OK",
        StatusCode.DEVICE_BUSY: "Device Busy",
        StatusCode.DEVICE_ERROR: "Device Error",
        StatusCode.INVALID_OPERATION: "Invalid Operation",
        StatusCode.INVALID_XML_FORMAT: "Invalid XML Format",
        StatusCode.INVALID_XML_CONTENT: "Invalid XML Content",
        StatusCode.REBOOT_REQUIRED: "Reboot Required",
        StatusCode.ADDITIONAL_ERROR: "Additional Error",
    }
)


@dataclass(frozen=True, slots=True)
class SubStatus:
    """What one ``subStatusCode`` means on the wire.

    Attributes:
        name: the ``subStatusCode`` value.
        status_code: the family it belongs to.
        http_status: the HTTP status the emulator answers with.
        error_code: the numeric ``errorCode`` newer firmware adds, when one is known or derived.
    """

    name: str
    status_code: StatusCode
    http_status: int
    error_code: int | None


# Families in the order TSRS lists them (module docstring): position in a family gives the errorCode.
_FAMILIES: tuple[tuple[StatusCode, int, tuple[str, ...]], ...] = (
    (StatusCode.OK, 200, ("ok", "riskPassword")),
    (
        StatusCode.DEVICE_BUSY,
        503,
        ("noMemory", "serviceUnavailable", "upgrading", "deviceBusy", "reConnectIpc"),
    ),
    (StatusCode.DEVICE_ERROR, 500, ("deviceError", "badFlash", "28181Uninitialized")),
    (
        StatusCode.INVALID_OPERATION,
        403,
        (
            "notSupport",
            "lowPrivilege",
            "badAuthorization",
            "methodNotAllowed",
            "notSetHdiskRedund",
            "invalidOperation",
            "notActivated",
            "hasActivated",
        ),
    ),
    (StatusCode.INVALID_XML_FORMAT, 400, ("badXmlFormat",)),
    (
        StatusCode.INVALID_XML_CONTENT,
        400,
        (
            "badParameters",
            "badHostAddress",
            "badXmlContent",
            "badIPv4Address",
            "badIPv6Address",
            "conflictIPv4Address",
            "conflictIPv6Address",
            "badDomainName",
            "connectServerFail",
            "conflictDomainName",
            "badPort",
            "portError",
            "importErrorData",
            "badNetMask",
            "badVersion",
            "badDevType",
            "badLanguage",
            "incorrectUserNameOrPassword",
            "invalidStoragePoolOfCloudServer",
            "noFreeSpaceOfStoragePool",
            "fileFormatError",
            "fileContentError",
            "UnSupportCapture",
            "unableCalibrate",
            "pleaseCalibrate",
            "SNMPv3PasswordNone",
            "SNMPv3NameDifferent",
            "notSupportDeicing",
            "notMeetDeicing",
            "alarmInputOccupied",
            "notSupportWithAPMode",
        ),
    ),
    (StatusCode.REBOOT_REQUIRED, 200, ("rebootRequired",)),
)
_HTTP_EXCEPTIONS = {"methodNotAllowed": 405, "badAuthorization": 401, "incorrectUserNameOrPassword": 401}


def _build_table() -> Mapping[str, SubStatus]:
    table: dict[str, SubStatus] = {}
    for family, http_status, names in _FAMILIES:
        for position, name in enumerate(names, start=1):
            table[name] = SubStatus(
                name=name,
                status_code=family,
                http_status=_HTTP_EXCEPTIONS.get(name, http_status),
                error_code=(int(family) << 28) | position,
            )
    # Web UI only (WEBLOGINPAGE loginError): too many sessions at sessionLogin. A refusal, so 4/403.
    table["maxSessionUserLink"] = SubStatus("maxSessionUserLink", StatusCode.INVALID_OPERATION, 403, None)
    return MappingProxyType(table)


SUB_STATUS: Mapping[str, SubStatus] = _build_table()
"""Every known ``subStatusCode`` → its family, HTTP status and ``errorCode`` (see the module docstring)."""


def _sub_status(name: str) -> SubStatus:
    try:
        return SUB_STATUS[name]
    except KeyError:
        raise InvalidContent("unknown subStatusCode", field="subStatusCode") from None


def http_status_for(sub_status: str) -> int:
    """Return the HTTP status the emulator sends with ``sub_status``.

    Raises:
        InvalidContent: ``sub_status`` is not in :data:`SUB_STATUS`.
    """
    return _sub_status(sub_status).http_status


@dataclass(frozen=True, slots=True)
class ResponseStatus:
    """``<ResponseStatus>``: the reply to every ISAPI write and to every failed request.

    Element order (XML and JSON): ``requestURL, statusCode, statusString, id, subStatusCode, errorCode,
    errorMsg, MErrCode, MErrDevSelfEx, lockStatus, retryTimes, resLockTime``. The order of the first six
    follows ``XML_ResponseStatus`` of the ISAPI guide (``id`` carries a created object's id); the
    authentication-failure fields come last [I: their position was not captured].

    Attributes:
        request_url: the path the reply is about (required).
        status_code: the family.
        status_string: as received; :func:`ok_status`/:func:`error_status` use the exact vendor strings.
        sub_status_code: the detailed reason, e.g. ``"notActivated"``.
        id: the id of an object a POST created, when the device says.
        error_code: the numeric code of newer firmware.
        error_msg: newer firmware repeats the sub-status here.
        m_err_code: the optional module error code (``0x…``).
        m_err_dev_self_ex: optional device-specific detail.
        lock_status: after a failed login, whether the account is now locked.
        retry_times: after a failed login, attempts left before the lock engages.
        res_lock_time: while locked, seconds until the lock lifts.
    """

    ROOT: ClassVar[str] = "ResponseStatus"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = frozenset({"ResponseStatus"})

    request_url: str
    status_code: StatusCode
    status_string: str
    sub_status_code: str | None = None
    id: int | None = None
    error_code: int | None = None
    error_msg: str | None = None
    m_err_code: str | None = None
    m_err_dev_self_ex: str | None = None
    lock_status: LockStatus | None = None
    retry_times: int | None = None
    res_lock_time: int | None = None

    @property
    def is_success(self) -> bool:
        """Whether the request took effect (``OK``, or ``Reboot Required`` as QB60 treats it)."""
        return self.status_code in (StatusCode.OK, StatusCode.REBOOT_REQUIRED)

    @property
    def http_status(self) -> int:
        """The HTTP status to send with this reply: the sub-status's, else the family's."""
        known = SUB_STATUS.get(self.sub_status_code or "")
        if known is not None:
            return known.http_status
        return _FAMILY_HTTP.get(self.status_code, 400)

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read a ``<ResponseStatus>`` in any namespace.

        Raises:
            InvalidContent: ``requestURL`` or ``statusCode`` is missing, or a field has the wrong type.
        """
        code = StatusCode.parse(xml.integer(element, "statusCode"))
        raw_lock = xml.optional_text(element, "lockStatus", max_length=16)
        return cls(
            request_url=xml.text(element, "requestURL"),
            status_code=code,
            status_string=xml.optional_text(element, "statusString") or code.status_string,
            sub_status_code=xml.optional_text(element, "subStatusCode", max_length=128),
            id=xml.optional_integer(element, "id"),
            error_code=xml.optional_integer(element, "errorCode", minimum=0),
            error_msg=xml.optional_text(element, "errorMsg"),
            m_err_code=xml.optional_text(element, "MErrCode", max_length=64),
            m_err_dev_self_ex=xml.optional_text(element, "MErrDevSelfEx"),
            lock_status=None if raw_lock is None else LockStatus.parse(raw_lock),
            retry_times=xml.optional_integer(element, "retryTimes", minimum=0),
            res_lock_time=xml.optional_integer(element, "resLockTime", minimum=0),
        )

    def to_node(self) -> xml.Node:
        """Return the ``<ResponseStatus>`` tree in firmware order."""
        return xml.Node(self.ROOT, children=xml.nodes(self._pairs()))

    def _pairs(self) -> list[tuple[str, str | int | None]]:
        return [
            ("requestURL", self.request_url),
            ("statusCode", int(self.status_code)),
            ("statusString", self.status_string),
            ("id", self.id),
            ("subStatusCode", self.sub_status_code),
            ("errorCode", self.error_code),
            ("errorMsg", self.error_msg),
            ("MErrCode", self.m_err_code),
            ("MErrDevSelfEx", self.m_err_dev_self_ex),
            ("lockStatus", None if self.lock_status is None else self.lock_status.value),
            ("retryTimes", self.retry_times),
            ("resLockTime", self.res_lock_time),
        ]

    def to_json(self) -> bytes:
        """Return the ``?format=json`` form: a flat object, absent fields omitted (research §2.1)."""
        body = {name: value for name, value in self._pairs() if value is not None}
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes | str, *, max_bytes: int = JSON_MAX_BYTES) -> Self:
        """Parse the JSON form; a ``{"ResponseStatus": {...}}`` wrapper is also accepted.

        Raises:
            MessageTooLarge: over ``max_bytes``.
            MalformedMessage: not JSON, or not an object.
            InvalidContent: a required field is missing or a field has the wrong type.
        """
        raw = data.encode("utf-8") if isinstance(data, str) else data
        if len(raw) > max_bytes:
            raise MessageTooLarge(f"JSON document of {len(raw)} bytes exceeds the limit of {max_bytes}")
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            raise MalformedMessage("ResponseStatus is not valid JSON") from None
        if isinstance(body, dict) and set(body) == {"ResponseStatus"}:
            body = body["ResponseStatus"]
        if not isinstance(body, dict):
            raise MalformedMessage("ResponseStatus JSON is not an object")
        code = StatusCode.parse(_json_int(body, "statusCode", required=True) or 0)
        raw_lock = _json_str(body, "lockStatus")
        return cls(
            request_url=_json_str(body, "requestURL", required=True) or "",
            status_code=code,
            status_string=_json_str(body, "statusString") or code.status_string,
            sub_status_code=_json_str(body, "subStatusCode"),
            id=_json_int(body, "id"),
            error_code=_json_int(body, "errorCode"),
            error_msg=_json_str(body, "errorMsg"),
            m_err_code=_json_str(body, "MErrCode"),
            m_err_dev_self_ex=_json_str(body, "MErrDevSelfEx"),
            lock_status=None if raw_lock is None else LockStatus.parse(raw_lock),
            retry_times=_json_int(body, "retryTimes"),
            res_lock_time=_json_int(body, "resLockTime"),
        )


_FAMILY_HTTP: Mapping[StatusCode, int] = MappingProxyType(
    {family: http_status for family, http_status, _ in _FAMILIES}
)


def _json_str(body: Mapping[str, Any], name: str, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise InvalidContent(f"{name} is missing", field=name)
        return None
    if not isinstance(value, str) or len(value) > 4096:
        raise InvalidContent(f"{name} is not a string", field=name)
    return value


def _json_int(body: Mapping[str, Any], name: str, *, required: bool = False) -> int | None:
    value = body.get(name)
    if value is None:
        if required:
            raise InvalidContent(f"{name} is missing", field=name)
        return None
    if isinstance(value, str) and value.isascii() and value.strip().isdigit() and len(value) <= 12:
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidContent(f"{name} is not a non-negative integer", field=name)
    return value


def _path_only(url: str) -> str:
    return urlsplit(url).path or url.split("?", 1)[0]


def ok_status(url: str) -> ResponseStatus:
    """Build the success reply for ``url`` (``statusCode`` 1, ``OK``, ``ok``); any query is dropped."""
    return ResponseStatus(_path_only(url), StatusCode.OK, StatusCode.OK.status_string, "ok")


def error_status(
    url: str,
    sub_status: str,
    *,
    lock_status: LockStatus | None = None,
    retry_times: int | None = None,
    res_lock_time: int | None = None,
) -> ResponseStatus:
    """Build the reply for a refused request, with the family, strings and ``errorCode`` of the table.

    Args:
        url: the request target; only its path is echoed.
        sub_status: a key of :data:`SUB_STATUS`, e.g. ``"notActivated"``.
        lock_status: for authentication failures, the lock state.
        retry_times: for authentication failures, attempts left.
        res_lock_time: for authentication failures, seconds until the lock lifts.

    Raises:
        InvalidContent: ``sub_status`` is unknown.
    """
    entry = _sub_status(sub_status)
    return ResponseStatus(
        request_url=_path_only(url),
        status_code=entry.status_code,
        status_string=entry.status_code.status_string,
        sub_status_code=entry.name,
        error_code=entry.error_code,
        error_msg=entry.name if entry.error_code is not None else None,
        lock_status=lock_status,
        retry_times=retry_times,
        res_lock_time=res_lock_time,
    )


def decode_status(data: bytes | str) -> ResponseStatus:
    """Parse a ``ResponseStatus`` body in either form: JSON if it starts with ``{``, XML otherwise.

    Raises:
        MessageTooLarge: over the size bound of its form.
        MalformedMessage: not well-formed JSON or XML, or hostile XML.
        InvalidContent: wrong root, missing or ill-typed fields.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if raw.lstrip()[:1] == b"{":
        return ResponseStatus.from_json(raw)
    return decode(raw, ResponseStatus)
