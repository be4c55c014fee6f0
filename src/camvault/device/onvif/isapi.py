"""Hikvision's ISAPI resources for ONVIF: the enable switch and the separate ONVIF user list.

Paths and bodies, as public ISAPI clients and Hikvision's own web UI use them (found with the code search):

* ``GET|PUT /ISAPI/System/Network/Integrate``: ``<Integrate><CGI><enable/><certificateType/></CGI><ONVIF>
  <enable/><certificateType/></ONVIF><ISAPI><enable/></ISAPI></Integrate>``, ONVIF ``certificateType`` one of
  ``digest``, ``digest/WSSE``, ``WSSE`` (a Go ISAPI client's ``NetworkIntegrate`` type; the web UI's
  ``integrateProtocol`` entry; several scripts that enable ONVIF with ``<ONVIF><enable>true</enable>``).
  A ``PUT`` may carry only the ``ONVIF`` block; absent fields keep their value.
* ``GET /ISAPI/Security/ONVIF/users``: ``<UserList><User><id/><userName/><userType/></User>...</UserList>``,
  ``userType`` one of ``administrator``, ``operator``, ``mediaUser`` (the values several clients carry
  verbatim), never a password.
* ``POST`` (and ``PUT``, which one Go client sends) ``/ISAPI/Security/ONVIF/users``: a ``<UserList>`` of
  ``<User>`` with ``userName``, ``password``, ``userType`` (and an ``id`` we ignore): creates them, all or
  nothing. ``PUT /ISAPI/Security/ONVIF/users/<id>`` with ``<User>`` creates or replaces that user (Network
  Optix's Hikvision driver sets user 1 this way); ``DELETE .../users/<id>`` deletes it. The web UI marks
  ``userName`` and ``password`` as ``security=1`` fields (WebSDK ``onvifUsers``), honoured here.

Only an Administrator may change these (the web UI's Integration Protocol page is an admin page [I]); any
user may read the switch. ``/ISAPI/Security/ONVIF/users/capabilities`` exists in the web UI's table but its
body was not found, so it is not served.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar, Final, Self
from xml.etree.ElementTree import Element

from camvault.device.http import Response
from camvault.device.isapi.app import Access, Handler, Route
from camvault.device.isapi.call import Call
from camvault.device.model import onvif as accounts
from camvault.device.model.onvif import CertificateType, OnvifLevel, OnvifUser, Refusal, UserUpdate
from camvault.errors import DeviceRefusal, InvalidContent
from camvault.protocols import xml
from camvault.protocols.xml import Node

__all__ = [
    "ONVIF_ISAPI_ROUTES",
    "Integrate",
    "OnvifUserEntry",
    "OnvifUserList",
    "add_onvif_users",
    "delete_onvif_user",
    "get_integrate",
    "get_onvif_user",
    "list_onvif_users",
    "put_integrate",
    "put_onvif_user",
]

_USER_TYPES: Final = {
    "administrator": OnvifLevel.ADMINISTRATOR,
    "operator": OnvifLevel.OPERATOR,
    "mediauser": OnvifLevel.USER,
}
_TYPE_OF: Final = {
    OnvifLevel.ADMINISTRATOR: "administrator",
    OnvifLevel.OPERATOR: "operator",
    OnvifLevel.USER: "mediaUser",
}
_MAX_USERS_PER_REQUEST = 64
_SUB_STATUS: Final[dict[str, str]] = {
    Refusal.PASSWORD_TOO_WEAK: "riskPassword",
    Refusal.TOO_MANY_USERS: "invalidOperation",
    Refusal.USERNAME_MISSING: "invalidOperation",
    Refusal.FIXED_USER: "invalidOperation",
}


# ------------------------------------------------------------------ documents


@dataclass(frozen=True, slots=True)
class Integrate:
    """``<Integrate>``: the integration protocols; only the ONVIF block is modelled.

    Attributes:
        onvif_enabled: ``ONVIF/enable`` (``None`` when a PUT leaves it out).
        certificate_type: ``ONVIF/certificateType`` (``None`` when left out).
    """

    ROOT: ClassVar[str] = "Integrate"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = frozenset({"Integrate"})

    onvif_enabled: bool | None = None
    certificate_type: CertificateType | None = None

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read the ONVIF block.

        Raises:
            InvalidContent: ``enable`` is not a boolean or ``certificateType`` is unknown.
        """
        raw_type = xml.optional_text(element, "ONVIF", "certificateType", max_length=32)
        try:
            certificate_type = CertificateType(raw_type) if raw_type else None
        except ValueError:
            raise InvalidContent("<certificateType> is not digest, digest/WSSE or WSSE") from None
        return cls(xml.optional_boolean(element, "ONVIF", "enable"), certificate_type)

    def to_node(self) -> Node:
        """Return the document with the CGI and ISAPI blocks a camera shows beside ONVIF."""
        certificate = self.certificate_type or CertificateType.DIGEST_WSSE
        return Node(
            self.ROOT,
            children=(
                Node("CGI", children=(Node("enable", True), Node("certificateType", "digest"))),
                Node(
                    "ONVIF",
                    children=(
                        Node("enable", bool(self.onvif_enabled)),
                        Node("certificateType", certificate.value),
                    ),
                ),
                Node("ISAPI", children=(Node("enable", True),)),
            ),
        )


@dataclass(frozen=True, slots=True)
class OnvifUserEntry:
    """One ``<User>`` of the ONVIF user list.

    Attributes:
        id: the user's number, if given.
        user_name: ``userName`` (encrypted under ``security=1``).
        user_type: the level.
        password: ``password``, write-only (encrypted under ``security=1``); never in a repr.
    """

    ROOT: ClassVar[str] = "User"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = frozenset({"User"})

    id: int | None
    user_name: str | None
    user_type: OnvifLevel | None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read ``id``, ``userName``, ``password`` and ``userType``.

        Raises:
            InvalidContent: a field is malformed or the user type unknown.
        """
        raw_type = xml.optional_text(element, "userType", max_length=32)
        user_type = None
        if raw_type is not None:
            user_type = _USER_TYPES.get(raw_type.lower())
            if user_type is None:
                raise InvalidContent(
                    "<userType> is not administrator, operator or mediaUser", field="userType"
                )
        password_element = xml.child(element, "password")
        password = None if password_element is None else (password_element.text or "")
        if password is not None and len(password) > 1024:
            raise InvalidContent("<password> is too long", field="password")
        return cls(
            id=xml.optional_integer(element, "id", minimum=0, maximum=9999),
            user_name=xml.optional_text(element, "userName", max_length=1024),
            user_type=user_type,
            password=password,
        )

    def to_node(self) -> Node:
        """Return ``<User><id/><userName/><userType/></User>`` (the password is never written)."""
        return Node(
            self.ROOT,
            children=(
                Node("id", self.id) if self.id is not None else None,
                Node("userName", self.user_name) if self.user_name is not None else None,
                Node("userType", _TYPE_OF[self.user_type]) if self.user_type is not None else None,
            ),
        )


@dataclass(frozen=True, slots=True)
class OnvifUserList:
    """``<UserList>`` of ONVIF users (a lone ``<User>`` is read as a list of one)."""

    ROOT: ClassVar[str] = "UserList"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = frozenset({"UserList", "User"})

    users: tuple[OnvifUserEntry, ...]

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read every ``<User>``.

        Raises:
            InvalidContent: a user is malformed, or there are too many.
        """
        if xml.local_name(element.tag) == "User":
            return cls((OnvifUserEntry.from_element(element),))
        users = list(xml.children(element, "User"))
        if len(users) > _MAX_USERS_PER_REQUEST:
            raise InvalidContent(f"at most {_MAX_USERS_PER_REQUEST} users per request", field="User")
        return cls(tuple(OnvifUserEntry.from_element(user) for user in users))

    def to_node(self) -> Node:
        """Return ``<UserList>`` with each user."""
        return Node(self.ROOT, children=tuple(user.to_node() for user in self.users))


# ------------------------------------------------------------------ handlers


def _refusal(exc: DeviceRefusal) -> DeviceRefusal:
    return DeviceRefusal(_SUB_STATUS.get(exc.reason, "badParameters"), str(exc))


def _entry(call: Call, user: OnvifUser) -> OnvifUserEntry:
    return OnvifUserEntry(user.id, call.encrypt(user.name), user.level)


def get_integrate(call: Call) -> Response:
    """``GET /ISAPI/System/Network/Integrate``."""
    model = call.model
    return call.reply(Integrate(model.settings.onvif_enabled, model.onvif.certificate_type))


def put_integrate(call: Call) -> Response:
    """``PUT /ISAPI/System/Network/Integrate``: switch ONVIF on or off, choose its authentication."""
    call.require_administrator()
    document = call.document(Integrate)
    model = call.model
    if document.onvif_enabled is not None:
        model.settings.onvif_enabled = document.onvif_enabled
    if document.certificate_type is not None:
        model.onvif.certificate_type = document.certificate_type
    model.revision += 1
    return call.ok()


def list_onvif_users(call: Call) -> Response:
    """``GET /ISAPI/Security/ONVIF/users``."""
    call.require_administrator()
    users = accounts.list_users(call.model)
    return call.reply(OnvifUserList(tuple(_entry(call, user) for user in users)))


def _user_id(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 4:
        raise DeviceRefusal("badParameters", "a user id is a number")
    return int(raw)


def get_onvif_user(call: Call, raw_id: str) -> Response:
    """``GET /ISAPI/Security/ONVIF/users/<id>``."""
    call.require_administrator()
    user = call.model.onvif.users.get(_user_id(raw_id))
    if user is None:
        raise DeviceRefusal("invalidOperation", "no ONVIF user with that id")
    return call.reply(_entry(call, user))


def add_onvif_users(call: Call) -> Response:
    """``POST /ISAPI/Security/ONVIF/users``: create every listed user, or none."""
    call.require_administrator()
    document = call.document(OnvifUserList)
    if not document.users:
        raise DeviceRefusal("badParameters", "the list names no user")
    updates = [
        UserUpdate(
            name=call.decrypt(entry.user_name) or "",
            level=entry.user_type or OnvifLevel.USER,
            password=call.decrypt(entry.password),
        )
        for entry in document.users
    ]
    try:
        accounts.create_users(call.model, updates)
    except DeviceRefusal as exc:
        raise _refusal(exc) from None
    return call.ok()


def put_onvif_user(call: Call, raw_id: str) -> Response:
    """``PUT /ISAPI/Security/ONVIF/users/<id>``: create or replace that user."""
    call.require_administrator()
    user_id = _user_id(raw_id)
    entry = call.document(OnvifUserList).users
    if len(entry) != 1 or (entry[0].id is not None and entry[0].id != user_id):
        raise DeviceRefusal("badParameters", "the body must be the one user of the URL")
    existing = call.model.onvif.users.get(user_id)
    name = call.decrypt(entry[0].user_name) or (existing.name if existing else "")
    level = entry[0].user_type or (existing.level if existing else OnvifLevel.USER)
    try:
        accounts.put_user(
            call.model, user_id, name=name, level=level, password=call.decrypt(entry[0].password)
        )
    except DeviceRefusal as exc:
        raise _refusal(exc) from None
    return call.ok()


def delete_onvif_user(call: Call, raw_id: str) -> Response:
    """``DELETE /ISAPI/Security/ONVIF/users/<id>``."""
    call.require_administrator()
    user = call.model.onvif.users.get(_user_id(raw_id))
    if user is None:
        raise DeviceRefusal("invalidOperation", "no ONVIF user with that id")
    accounts.delete_users(call.model, [user.name])
    return call.ok()


def _route(method: str, path: str, handler: Handler) -> Route:
    return Route(method, re.compile("^" + path.lower() + "$"), Access.USER, handler)


_ID = r"(\d{1,4})"

ONVIF_ISAPI_ROUTES: Final[tuple[Route, ...]] = (
    _route("GET", "/ISAPI/System/Network/Integrate", get_integrate),
    _route("PUT", "/ISAPI/System/Network/Integrate", put_integrate),
    _route("GET", "/ISAPI/Security/ONVIF/users", list_onvif_users),
    _route("POST", "/ISAPI/Security/ONVIF/users", add_onvif_users),
    _route("PUT", "/ISAPI/Security/ONVIF/users", add_onvif_users),
    _route("GET", f"/ISAPI/Security/ONVIF/users/{_ID}", get_onvif_user),
    _route("PUT", f"/ISAPI/Security/ONVIF/users/{_ID}", put_onvif_user),
    _route("DELETE", f"/ISAPI/Security/ONVIF/users/{_ID}", delete_onvif_user),
)
"""The ONVIF resources, appended to the ISAPI route table by the device front end."""
