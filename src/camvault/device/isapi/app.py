"""The ISAPI front end: routing, authentication and error rendering for one device.

Every route names its access rule; the front end authenticates before calling the handler, renders every
refusal as the real ``ResponseStatus`` envelope with its HTTP status (§2), and answers malformed or hostile
XML with ``badXmlFormat`` / ``badXmlContent`` before anything changes. Paths are matched
case-insensitively, as the captured firmware does (``/ISAPI/System/deviceinfo`` works, §3).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import Enum

from camvault.device.host import DeviceHost
from camvault.device.http import Request, Response
from camvault.device.isapi import contentmgmt, security, system
from camvault.device.isapi.auth import Authenticator, Principal
from camvault.device.isapi.call import XML_CONTENT_TYPE, Call
from camvault.device.model import DeviceModel
from camvault.errors import DeviceRefusal, InvalidContent, MalformedMessage, MessageTooLarge
from camvault.protocols.isapi.documents import LockStatus as LockWord
from camvault.protocols.isapi.documents import encode
from camvault.protocols.isapi.status import SUB_STATUS, StatusCode, error_status, http_status_for

__all__ = ["ROUTES", "Access", "IsapiFrontEnd", "Route"]


class Access(Enum):
    """Who may call a route."""

    PUBLIC = "public"
    """No authentication, even on an inactive device (activation)."""
    PUBLIC_ACTIVE = "public-active"
    """No authentication, but the device must be active (session-login challenge)."""
    USER = "user"
    """Any authenticated account."""
    USER_CHECK = "user-check"
    """Authenticated; failures answered with a ``userCheck`` document."""


Handler = Callable[..., Response]


@dataclass(frozen=True, slots=True)
class Route:
    """One ISAPI resource and method."""

    method: str
    pattern: re.Pattern[str]
    access: Access
    handler: Handler


def _route(method: str, path: str, access: Access, handler: Handler) -> Route:
    return Route(method, re.compile("^" + path.lower() + "$"), access, handler)


_ID = r"(\d{1,4})"

ROUTES: tuple[Route, ...] = (
    _route("GET", "/SDK/activateStatus", Access.PUBLIC, system.activate_status),
    _route("POST", "/ISAPI/Security/challenge", Access.PUBLIC, system.challenge),
    _route("PUT", "/ISAPI/System/activate", Access.PUBLIC, system.activate),
    _route("GET", "/ISAPI/System/deviceInfo", Access.USER, system.device_info),
    _route("PUT", "/ISAPI/System/deviceInfo", Access.USER, system.put_device_info),
    _route("GET", "/ISAPI/System/status", Access.USER, system.device_status),
    _route("GET", "/ISAPI/System/capabilities", Access.USER, system.system_capabilities),
    _route("GET", "/ISAPI/System/time", Access.USER, system.get_time),
    _route("PUT", "/ISAPI/System/time", Access.USER, system.put_time),
    _route("PUT", "/ISAPI/System/reboot", Access.USER, system.reboot),
    _route("PUT", "/ISAPI/System/factoryReset", Access.USER, system.factory_reset),
    _route("GET", "/ISAPI/System/configurationData", Access.USER, system.configuration_export),
    _route("PUT", "/ISAPI/System/configurationData", Access.USER, system.configuration_import),
    _route("GET", "/ISAPI/Security/users", Access.USER, security.list_users),
    _route("POST", "/ISAPI/Security/users", Access.USER, security.add_user),
    _route("GET", f"/ISAPI/Security/users/{_ID}", Access.USER, security.get_user),
    _route("PUT", f"/ISAPI/Security/users/{_ID}", Access.USER, security.modify_user),
    _route("DELETE", f"/ISAPI/Security/users/{_ID}", Access.USER, security.delete_user),
    _route("GET", "/ISAPI/Security/userCheck", Access.USER_CHECK, security.user_check),
    _route(
        "GET",
        "/ISAPI/Security/sessionLogin/capabilities",
        Access.PUBLIC_ACTIVE,
        security.session_login_capabilities,
    ),
    _route("POST", "/ISAPI/Security/sessionLogin", Access.PUBLIC_ACTIVE, security.session_login),
    _route("PUT", "/ISAPI/Security/sessionHeartbeat", Access.USER, security.session_heartbeat),
    _route("PUT", "/ISAPI/Security/sessionLogout", Access.USER, security.session_logout),
    _route("GET", "/ISAPI/Security/onlineUser", Access.USER, security.online_users),
    _route("GET", "/ISAPI/Security/illegalLoginLock", Access.USER, security.get_illegal_login_lock),
    _route("PUT", "/ISAPI/Security/illegalLoginLock", Access.USER, security.put_illegal_login_lock),
    _route("GET", "/ISAPI/Security/capabilities", Access.USER, security.security_capabilities),
    _route("GET", "/ISAPI/Security/adminAccesses", Access.USER, security.admin_accesses),
    _route("GET", "/ISAPI/ContentMgmt/InputProxy/channels", Access.USER, contentmgmt.list_channels),
    _route("POST", "/ISAPI/ContentMgmt/InputProxy/channels", Access.USER, contentmgmt.add_channel),
    _route("GET", "/ISAPI/ContentMgmt/InputProxy/channels/status", Access.USER, contentmgmt.channel_status),
    _route("GET", f"/ISAPI/ContentMgmt/InputProxy/channels/{_ID}", Access.USER, contentmgmt.get_channel),
    _route("PUT", f"/ISAPI/ContentMgmt/InputProxy/channels/{_ID}", Access.USER, contentmgmt.put_channel),
    _route(
        "DELETE", f"/ISAPI/ContentMgmt/InputProxy/channels/{_ID}", Access.USER, contentmgmt.delete_channel
    ),
    _route("POST", "/ISAPI/ContentMgmt/search", Access.USER, contentmgmt.search),
    _route("GET", "/ISAPI/ContentMgmt/download", Access.USER, contentmgmt.download),
    _route("POST", "/ISAPI/ContentMgmt/download", Access.USER, contentmgmt.download),
)


_REGEX_SYNTAX = frozenset("()[]{}\\*+?|^$.")


@functools.cache
def _index(routes: tuple[Route, ...]) -> tuple[dict[str, list[Route]], list[Route]]:
    """Split routes into literal paths (looked up directly) and patterns (matched in order)."""
    exact: dict[str, list[Route]] = {}
    patterned: list[Route] = []
    for route in routes:
        literal = route.pattern.pattern[1:-1]
        if not _REGEX_SYNTAX.intersection(literal):
            exact.setdefault(literal, []).append(route)
        else:
            patterned.append(route)
    return exact, patterned


class IsapiFrontEnd:
    """Answer ISAPI requests for one device.

    Args:
        model: the device.
        host: the lab side of the device.
        authenticator: the device's authentication state (nonces, replay guard).
        routes: the route table (extended by later front ends, e.g. recovery or ONVIF settings).
    """

    def __init__(
        self,
        model: DeviceModel,
        host: DeviceHost,
        authenticator: Authenticator,
        routes: tuple[Route, ...] = ROUTES,
    ) -> None:
        self.model = model
        self.host = host
        self.auth = authenticator
        self.routes = routes
        self._exact, self._patterned = _index(routes)

    def _match(self, path: str) -> list[tuple[Route, re.Match[str]]]:
        exact = self._exact.get(path)
        if exact is not None:
            return [(route, found) for route in exact if (found := route.pattern.match(path))]
        return [(route, found) for route in self._patterned if (found := route.pattern.match(path))]

    def handle(self, request: Request) -> Response:
        """Route, authenticate, handle and render one request."""
        path = request.path.lower().rstrip("/") or "/"
        matched = self._match(path)
        if not matched:
            return self._status(request, "notSupport", http_status=404)
        candidates = [(route, found) for route, found in matched if route.method == request.method]
        if not candidates:
            return self._status(request, "methodNotAllowed")
        route, found = candidates[0]
        call = Call(request, self.model, self.host)
        if route.access not in (Access.PUBLIC,) and not self.model.activated:
            return self._status(request, "notActivated")
        if route.access in (Access.USER, Access.USER_CHECK):
            principal = self.auth.authenticate(request, user_check=route.access is Access.USER_CHECK)
            if not isinstance(principal, Principal):
                return principal
            call.account = principal.account
            call.session_id = principal.session_id
        try:
            return route.handler(call, *found.groups())
        except DeviceRefusal as refusal:
            if refusal.reason == "incorrectUserNameOrPassword":
                return self._failed_proof(request)
            reason = refusal.reason if refusal.reason in SUB_STATUS else "invalidOperation"
            return self._status(request, reason)
        except (MalformedMessage, MessageTooLarge):
            return self._status(request, "badXmlFormat")
        except InvalidContent:
            return self._status(request, "badXmlContent")

    def _failed_proof(self, request: Request) -> Response:
        """A wrong password proof inside an authenticated request: counted, and answered with the lock fields."""
        lock = self.model.lock.record_failure(request.peer, self.model.monotonic())
        document = error_status(
            request.path,
            "incorrectUserNameOrPassword",
            lock_status=LockWord.LOCKED if lock.locked else LockWord.UNLOCK,
            retry_times=lock.attempts_left,
            res_lock_time=lock.remaining_seconds,
        )
        body = encode(document, namespace=self.model.firmware.xml_namespace)
        return Response(401, [("Content-Type", XML_CONTENT_TYPE)], body)

    def _status(self, request: Request, sub_status: str, *, http_status: int | None = None) -> Response:
        document = error_status(request.path, sub_status)
        status = http_status or http_status_for(sub_status)
        if document.is_success:
            # The ISAPI guide files riskPassword under statusCode 1: old firmware accepted a risky password
            # with a warning. Current firmware refuses it, so the refusal is sent as Invalid Operation.
            document = replace(
                document,
                status_code=StatusCode.INVALID_OPERATION,
                status_string="Invalid Operation",
                error_code=None,
            )
            status = 400
        body = encode(document, namespace=self.model.firmware.xml_namespace)
        return Response(status, [("Content-Type", XML_CONTENT_TYPE)], body)
