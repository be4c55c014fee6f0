"""The device's web pages under ``/doc/page/*.asp`` and their static files under ``/doc/``.

Real firmware serves its web UI from ``/doc/page/<name>.asp`` (``login``, ``pwdReset``, ``config``, ...;
research notes §1), on the same port as ISAPI; ``/`` sends the browser to ``login.asp``. These pages do
the same: each is a Jinja2 template (autoescaped) rendered from the device model, and every action is an
ISAPI call made by the page's script exactly as the vendor's UI makes it (session login with the §6.2
hash, the activation exchange of §7.2, ``security=1`` fields for passwords), so no password crosses plain
HTTP in clear and the device enforces every rule itself. The server side only reads the model to render.

Pages:

* ``login.asp``: the login form; on an inactive device it shows the activation form instead (the real UI
  pops activation up on the login page); ``activate.asp`` is the same form under its own name.
* ``users.asp``: user management (any logged-in user; others than ``admin`` see themselves only).
* ``security.asp``: lock settings, security questions, GUID export, online users (Administrator level).
* ``maintenance.asp``: device information, time, reboot, restore, default, configuration file
  (Administrator level).
* ``pwdReset.asp``: forgot password: security questions, GUID file, vendor support (export a reset
  request, enter the code: :mod:`camvault.device.isapi.support_reset`), or on old firmware the legacy
  security code's instructions and warning, and the reset button.

Every response carries a strict Content-Security-Policy (scripts and styles from the device only, no
inline script), ``X-Frame-Options: DENY``, ``nosniff``, ``no-referrer`` and ``no-store``; a page that
needs a login redirects to ``login.asp`` when the session is missing or expired.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from typing import Any

import jinja2

from camvault.device.http import Request, Response
from camvault.device.isapi.call import KEY_ITERATIONS
from camvault.device.model import Account, DeviceModel, UserLevel
from camvault.device.model import recovery as rec
from camvault.device.web.csrf import CsrfGuard
from camvault.passwords import HIKVISION_DEVICE
from camvault.protocols.resetcode import DEFAULT_REQUEST_VALIDITY

__all__ = ["PAGE_PREFIX", "SECURITY_HEADERS", "WebPages"]

PAGE_PREFIX = "/doc/page/"

SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    (
        "Content-Security-Policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),
)
"""Headers on every page and static file."""

_CONTENT_TYPES = {".js": "application/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
_METHOD_NAMES = {
    rec.RecoveryMethod.SECURITY_QUESTIONS: "Security questions",
    rec.RecoveryMethod.GUID_FILE: "GUID file",
    rec.RecoveryMethod.SUPPORT_CODE: "Vendor support",
    rec.RecoveryMethod.LEGACY_SECURITY_CODE: "Security code from support",
    rec.RecoveryMethod.RESET_BUTTON: "Reset button",
}
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True, slots=True)
class _Visitor:
    """Who is looking: the logged-in account and its session, or nobody."""

    account: Account | None = None
    session_id: str | None = None


_Page = Callable[[Request, _Visitor], Response]


def _load_assets() -> dict[str, tuple[bytes, str]]:
    root = importlib.resources.files("camvault.device.web").joinpath("static")
    assets: dict[str, tuple[bytes, str]] = {}

    def walk(folder: Traversable, prefix: str) -> None:
        for entry in folder.iterdir():
            if entry.is_dir():
                walk(entry, f"{prefix}{entry.name}/")
                continue
            suffix = entry.name[entry.name.rfind(".") :]
            if suffix in _CONTENT_TYPES:
                assets[f"/doc/{prefix}{entry.name}".lower()] = (entry.read_bytes(), _CONTENT_TYPES[suffix])

    walk(root, "")
    return assets


class WebPages:
    """Serve one device's pages and static files.

    Args:
        model: the device.
        csrf: the device's CSRF guard (it also knows the visitor's session).
    """

    def __init__(self, model: DeviceModel, csrf: CsrfGuard) -> None:
        self.model = model
        self.csrf = csrf
        self._templates = jinja2.Environment(
            loader=jinja2.PackageLoader("camvault.device.web", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        self._assets = _load_assets()
        self._pages: dict[str, _Page] = {
            "login": self._login,
            "activate": self._activate,
            "pwdreset": self._pwd_reset,
            "users": self._users,
            "security": self._security,
            "maintenance": self._maintenance,
        }

    # ------------------------------------------------------------------ dispatch

    def handle(self, request: Request) -> Response:
        """Answer a request for a path under ``/doc/``."""
        path = request.path.lower()
        if request.method not in {"GET", "HEAD"}:
            return self._plain(405, "Method Not Allowed", [("Allow", "GET, HEAD")])
        if path.startswith(PAGE_PREFIX) and path.endswith(".asp"):
            page = self._pages.get(path[len(PAGE_PREFIX) : -len(".asp")])
            if page is None:
                return self._plain(404, "Not Found")
            return page(request, self._visitor(request))
        asset = self._assets.get(path)
        if asset is None:
            return self._plain(404, "Not Found")
        body, content_type = asset
        return Response(200, [("Content-Type", content_type), *SECURITY_HEADERS], body)

    def _visitor(self, request: Request) -> _Visitor:
        session_id = self.csrf.live_session_id(request)
        found = self.model.session(session_id) if session_id else None
        if found is None:
            return _Visitor()
        return _Visitor(found[1], session_id)

    # ------------------------------------------------------------------ pages

    def _login(self, request: Request, visitor: _Visitor) -> Response:
        if not self.model.activated:
            return self._render(request, visitor, "activate.html", "activate", "Activation", rules=_rules())
        if visitor.account is not None:
            return _redirect("users.asp")
        return self._render(request, visitor, "login.html", "login", "Login")

    def _activate(self, request: Request, visitor: _Visitor) -> Response:
        if self.model.activated:
            return _redirect("login.asp")
        return self._render(request, visitor, "activate.html", "activate", "Activation", rules=_rules())

    def _pwd_reset(self, request: Request, visitor: _Visitor) -> Response:
        if not self.model.activated:
            return _redirect("login.asp")
        methods = rec.available_methods(self.model.firmware)
        state = self.model.recovery
        return self._render(
            request,
            visitor,
            "pwd_reset.html",
            "pwdReset",
            "Forgot password",
            methods=methods,
            method_values={method.value for method in methods},
            method_names=_METHOD_NAMES,
            questions=[(qid, rec.QUESTIONS[qid]) for qid in state.question_ids],
            answer_max=rec.ANSWER_MAX_LENGTH,
            serial=self.model.identity.serial,
            request_hours=round(DEFAULT_REQUEST_VALIDITY.total_seconds() / 3600),
            rules=_rules(),
        )

    def _users(self, request: Request, visitor: _Visitor) -> Response:
        actor = visitor.account
        if actor is None:
            return _redirect("login.asp")
        # As GET /ISAPI/Security/users: Administrators see every account; only "admin" manages them.
        visible = self.model.users() if actor.level is UserLevel.ADMINISTRATOR else [actor]
        rows = [
            {
                "id": account.id,
                "name": account.name,
                "level": account.level.value,
                "enabled": account.enabled,
                "is_admin_account": account.is_admin,
                "is_self": account.id == actor.id,
            }
            for account in visible
        ]
        return self._render(
            request,
            visitor,
            "users.html",
            "users",
            "User Management",
            users=rows,
            can_manage=actor.is_admin,
            levels=[level.value for level in UserLevel],
            rules=_rules(),
        )

    def _security(self, request: Request, visitor: _Visitor) -> Response:
        refused = self._administrators_only(request, visitor)
        if refused is not None:
            return refused
        model = self.model
        sessions = [
            {
                "username": session.username,
                "source": session.source,
                "login_time": session.login_time.strftime(_TIME_FORMAT),
                "is_you": session.session_id == visitor.session_id,
            }
            for session in model.sessions.live(model.monotonic())
        ]
        state = model.recovery
        issued = state.guid_issued_at
        return self._render(
            request,
            visitor,
            "security.html",
            "security",
            "Security",
            lock=model.settings.lock,
            recovery_supported=rec.recovery_supported(model.firmware),
            is_admin_account=visitor.account is not None and visitor.account.is_admin,
            configured_questions=state.question_ids,
            questions=sorted(rec.QUESTIONS.items()),
            question_count=rec.QUESTION_COUNT,
            default_questions=state.question_ids or tuple(range(1, rec.QUESTION_COUNT + 1)),
            answer_max=rec.ANSWER_MAX_LENGTH,
            guid_valid=state.guid_valid,
            guid_issued_at=issued.strftime(_TIME_FORMAT) if issued else "",
            sessions=sessions,
        )

    def _maintenance(self, request: Request, visitor: _Visitor) -> Response:
        refused = self._administrators_only(request, visitor)
        if refused is not None:
            return refused
        model = self.model
        return self._render(
            request,
            visitor,
            "maintenance.html",
            "maintenance",
            "Maintenance",
            serial=model.identity.serial,
            mac=model.identity.mac,
            device_time=model.now().strftime(_TIME_FORMAT),
            boot_time=model.boot_time.strftime(_TIME_FORMAT),
        )

    def _administrators_only(self, request: Request, visitor: _Visitor) -> Response | None:
        if visitor.account is None:
            return _redirect("login.asp")
        if visitor.account.level is not UserLevel.ADMINISTRATOR:
            return self._render(
                request,
                visitor,
                "message.html",
                "notice",
                "Not allowed",
                status=403,
                heading="Not allowed",
                text="This page needs an Administrator.",
                link="/doc/page/users.asp",
                link_text="Back to user management",
            )
        return None

    # ------------------------------------------------------------------ rendering

    def _render(
        self,
        request: Request,
        visitor: _Visitor,
        template: str,
        page: str,
        title: str,
        *,
        status: int = 200,
        **context: Any,
    ) -> Response:
        token = self.csrf.page_token(request)
        account = visitor.account
        model = self.model
        body = self._templates.get_template(template).render(
            page=page,
            title=title,
            csrf_token=token.token,
            device_name=model.settings.device_name,
            model_name=model.identity.model,
            firmware=str(model.firmware),
            salt=model.identity.salt,
            iterations=KEY_ITERATIONS,
            user_name=account.name if account else "",
            is_administrator=account is not None and account.level is UserLevel.ADMINISTRATOR,
            **context,
        )
        headers = [("Content-Type", "text/html; charset=utf-8"), *SECURITY_HEADERS]
        if token.set_cookie:
            headers.append(("Set-Cookie", token.set_cookie))
        return Response(status, headers, body.encode("utf-8"))

    @staticmethod
    def _plain(status: int, text: str, extra: list[tuple[str, str]] | None = None) -> Response:
        headers = [("Content-Type", "text/html; charset=utf-8"), *SECURITY_HEADERS, *(extra or [])]
        return Response(status, headers, f"<html><body>{status} {text}</body></html>".encode())


def _redirect(page: str) -> Response:
    return Response(302, [("Location", PAGE_PREFIX + page), *SECURITY_HEADERS])


def _rules() -> list[str]:
    return HIKVISION_DEVICE.rules_text()
