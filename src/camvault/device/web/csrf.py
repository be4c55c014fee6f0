"""Cross-site request forgery protection (and cookie hygiene) for the device's pages and their ISAPI calls.

The web pages act through ISAPI from the browser, so the browser holds ambient authority: the
``WebSession`` cookie (and, on an inactive device, nothing at all: whoever activates it first owns it, so
a hostile page must not be able to activate a device on the visitor's LAN). Every state-changing request
a browser sends must therefore prove it comes from one of the device's own pages:

* each page carries a token in ``<meta name="csrf-token">``, bound to the visitor's web session when one
  is live, or else to an anonymous random cookie (``CvToken``, ``HttpOnly``, ``SameSite=Strict``) that the
  page sets; the token is ``HMAC-SHA256(device secret, binding)``, so it cannot be forged or moved to
  another session, and it stops working when the session ends (a replayed page is refused);
* the pages send it as the ``X-CSRF-Token`` header on ``POST``, ``PUT``, ``DELETE`` and ``PATCH``;
* a browser request whose ``Origin`` is not the device itself is refused outright.

Only requests that come from a browser are checked: browsers mark every state-changing request with
``Origin`` (and ``Sec-Fetch-*`` on secure origins), and a forged cross-site request always comes from a
browser. Scripts and management tools (pyhik, hikvisionapi, the fleet driver, curl) send neither header
and keep working unchanged, as they do with a real device.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from camvault.device.http import Request, Response
from camvault.device.isapi.security import SESSION_COOKIE
from camvault.device.model import DeviceModel
from camvault.protocols.isapi.documents import encode
from camvault.protocols.isapi.status import error_status

__all__ = [
    "ANONYMOUS_COOKIE",
    "CSRF_ERROR",
    "CSRF_HEADER",
    "CsrfGuard",
    "CsrfVerdict",
    "PageToken",
    "finish_response",
    "refusal",
]

CSRF_HEADER = "X-CSRF-Token"
ANONYMOUS_COOKIE = "CvToken"
CSRF_ERROR = "csrfTokenInvalid"
"""``errorMsg`` of a refused request, so that a page can tell the user to reload it."""
_STATE_CHANGING = frozenset({"POST", "PUT", "DELETE", "PATCH"})
_BROWSER_MARKERS = ("origin", "sec-fetch-site", "sec-fetch-mode")


@dataclass(frozen=True, slots=True)
class PageToken:
    """The token a page embeds, and the anonymous cookie to set with it (when the visitor had none).

    Attributes:
        token: the value for ``<meta name="csrf-token">``.
        set_cookie: a ``Set-Cookie`` header value, or ``None``.
    """

    token: str
    set_cookie: str | None = None


@dataclass(frozen=True, slots=True)
class CsrfVerdict:
    """Whether a request may proceed, and if not, why (a short reason for the refusal page or status)."""

    allowed: bool
    reason: str = ""


class CsrfGuard:
    """Issue and check the CSRF tokens of one device.

    Args:
        model: the device (to tell a live session from a dead one).
        secret: the HMAC key; random per boot is right (a reboot ends every session anyway).
    """

    def __init__(self, model: DeviceModel, secret: bytes) -> None:
        self._model = model
        self._secret = secret

    def __repr__(self) -> str:
        return "CsrfGuard()"

    def live_session_id(self, request: Request) -> str | None:
        """The id of the caller's live web session, if any (the same cookie rule as ISAPI's)."""
        for name, value in request.cookies.items():
            is_session_cookie = name == SESSION_COOKIE or name.startswith(SESSION_COOKIE + "_")
            if is_session_cookie and value and self._model.session(value) is not None:
                return value
        return None

    def _binding(self, request: Request) -> str | None:
        session_id = self.live_session_id(request)
        if session_id is not None:
            return "session:" + session_id
        anonymous = request.cookies.get(ANONYMOUS_COOKIE)
        return "anonymous:" + anonymous if anonymous else None

    def _token(self, binding: str) -> str:
        mac = hmac.new(self._secret, binding.encode("utf-8"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")

    def page_token(self, request: Request) -> PageToken:
        """The token for a page about to be rendered for ``request``."""
        binding = self._binding(request)
        if binding is not None:
            return PageToken(self._token(binding))
        anonymous = secrets.token_urlsafe(32)
        secure = "; Secure" if request.scheme == "https" else ""
        cookie = f"{ANONYMOUS_COOKIE}={anonymous}; Path=/; HttpOnly; SameSite=Strict{secure}"
        return PageToken(self._token("anonymous:" + anonymous), cookie)

    def check(self, request: Request) -> CsrfVerdict:
        """Decide whether a request may reach the device (see the module docstring for the rules)."""
        if request.method not in _STATE_CHANGING:
            return CsrfVerdict(True)
        headers = request.headers
        if not any(marker in headers for marker in _BROWSER_MARKERS):
            return CsrfVerdict(True)
        origin = headers.get("origin")
        if origin is not None and not _same_origin(origin, request):
            return CsrfVerdict(False, "the request comes from another site")
        if headers.get("sec-fetch-site", "same-origin") not in {"same-origin", "none"}:
            return CsrfVerdict(False, "the request comes from another site")
        sent = headers.get(CSRF_HEADER, "")
        binding = self._binding(request)
        if not sent or binding is None:
            return CsrfVerdict(False, "the page's security token is missing")
        if not hmac.compare_digest(self._token(binding), sent):
            return CsrfVerdict(False, "the page's security token is not valid (the page or session expired)")
        return CsrfVerdict(True)


def _same_origin(origin: str, request: Request) -> bool:
    """Whether an ``Origin`` names the scheme, host and port the request was sent to."""
    default_ports = {"http": 80, "https": 443}
    try:
        sent = urlsplit(origin)
        expected = urlsplit(f"{request.scheme}://{request.headers.get('host', '')}")
        sent_port = sent.port or default_ports.get(sent.scheme)
        expected_port = expected.port or default_ports.get(expected.scheme)
    except ValueError:
        return False
    return (
        bool(expected.hostname)
        and sent.scheme == expected.scheme
        and sent.hostname == expected.hostname
        and sent_port == expected_port
    )


def refusal(request: Request, namespace: str) -> Response:
    """The ISAPI answer to a forged or stale browser request: 403 ``ResponseStatus``, nothing done."""
    status = replace(error_status(request.path, "badAuthorization"), error_msg=CSRF_ERROR)
    return Response(
        403, [("Content-Type", 'application/xml; charset="UTF-8"')], encode(status, namespace=namespace)
    )


def finish_response(response: Response, request: Request) -> Response:
    """Adjust an ISAPI answer for the pages' own requests and for HTTPS.

    * On HTTPS every cookie gets ``Secure`` (the ISAPI session cookie is set without it).
    * A 401 to a request from the device's pages (they send :data:`CSRF_HEADER`) loses its
      ``WWW-Authenticate`` challenge: the pages log in with ``sessionLogin``, and a Digest challenge would
      make the browser pop up its own password dialog over the page. Other clients get the challenge.
    """
    headers = response.headers
    if request.scheme == "https":
        headers = [
            (name, value + "; Secure")
            if name.lower() == "set-cookie" and "secure" not in value.lower()
            else (name, value)
            for name, value in headers
        ]
    if response.status == 401 and CSRF_HEADER in request.headers:
        headers = [(name, value) for name, value in headers if name.lower() != "www-authenticate"]
    response.headers = headers
    return response
