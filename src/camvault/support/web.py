"""The support service over HTTP: a small JSON API and minimal HTML pages for operators (Starlette).

Authentication: every operator has a name and a random token, given to :func:`create_app` (the CLI reads
them from an owner-only JSON file, ``{"alice": "<token>"}``).

* JSON API (``/api/...``): ``Authorization: Bearer <token>``; the token names the operator.
* HTML pages: a sign-in form (operator name and token) opens a server-side session; its id travels in an
  ``HttpOnly``, ``SameSite=Strict`` cookie (``Secure`` when served over TLS) and every form carries a
  per-session CSRF token.

Serve it on loopback or behind a TLS-terminating proxy: tokens and reset codes cross the wire.

JSON API::

    POST /api/cases                     body: the request file        -> 201 case
    GET  /api/cases[?status=...]                                       -> {"cases": [...]}
    GET  /api/cases/{id}                                               -> case, issued code record, history
    POST /api/cases/{id}/ownership      {"note": "..."}                -> case
    POST /api/cases/{id}/approve                                       -> case
    POST /api/cases/{id}/refuse         {"reason": "..."}              -> case
    POST /api/cases/{id}/issue          {"sync_ipc_password": false}   -> {"code": ..., "file": ..., ...}
    POST /api/stolen                    {"serial": "...", "note": ""}  -> 201
    GET  /api/audit                                                    -> the audit report

Errors are rendered by one handler from the exception (JSON under ``/api``, a page elsewhere): unreadable
files 400, oversized bodies 413, policy and state conflicts 409 with their ``reason``, unknown cases 404.
Every value shown in a page goes through Jinja2's autoescaping.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from camvault.clock import Clock, SystemClock
from camvault.errors import (
    CamvaultError,
    CaseNotFound,
    MessageTooLarge,
    ProtocolError,
    RequestRejected,
    SignatureError,
)
from camvault.protocols.resetcode import MAX_REQUEST_FILE_BYTES
from camvault.support.audit import AuditEntry, AuditReport
from camvault.support.service import IssuedCode, SupportService
from camvault.support.store import Case, CaseStatus, IssuedCodeRecord, format_time

__all__ = ["MAX_BODY_BYTES", "OperatorAuth", "create_app"]

# A request file plus multipart framing; JSON bodies are far smaller.
MAX_BODY_BYTES = MAX_REQUEST_FILE_BYTES + 4096
_SESSION_COOKIE = "camvault_support_session"
_MIN_TOKEN_LENGTH = 16
_MAX_SESSIONS = 256
_SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
}


class OperatorAuth:
    """Operator names and their tokens; tokens are compared in constant time, by digest."""

    def __init__(self, tokens: Mapping[str, str]) -> None:
        """Check and keep the tokens.

        Raises:
            ValueError: no operator, an empty name, or a token shorter than 16 characters.
        """
        if not tokens:
            raise ValueError("at least one operator is needed")
        for name, token in tokens.items():
            if not name.strip() or len(name) > 64 or len(token) < _MIN_TOKEN_LENGTH:
                raise ValueError(f"operator {name!r}: name must be 1-64 characters, token at least 16")
        self._digests = {name: _digest(token) for name, token in tokens.items()}

    def __repr__(self) -> str:
        return f"OperatorAuth(operators={sorted(self._digests)})"

    def operator_for(self, token: str) -> str | None:
        """Return the operator a token belongs to, or ``None``."""
        offered = _digest(token)
        found = None
        for name, digest in self._digests.items():
            if hmac.compare_digest(digest, offered):
                found = name
        return found


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


@dataclass(slots=True)
class _Session:
    operator: str
    csrf: str = field(repr=False)
    expires: float


class _Sessions:
    """Server-side sessions, bounded in number and lifetime (monotonic clock)."""

    def __init__(self, clock: Clock, lifetime: timedelta) -> None:
        self._clock = clock
        self._lifetime = lifetime.total_seconds()
        self._sessions: dict[str, _Session] = {}

    def open(self, operator: str) -> tuple[str, _Session]:
        self._expire()
        while len(self._sessions) >= _MAX_SESSIONS:
            self._sessions.pop(next(iter(self._sessions)))
        session_id = secrets.token_urlsafe(32)
        session = _Session(operator, secrets.token_urlsafe(24), self._clock.monotonic() + self._lifetime)
        self._sessions[session_id] = session
        return session_id, session

    def get(self, session_id: str | None) -> _Session | None:
        self._expire()
        return None if session_id is None else self._sessions.get(session_id)

    def close(self, session_id: str | None) -> None:
        if session_id is not None:
            self._sessions.pop(session_id, None)

    def _expire(self) -> None:
        now = self._clock.monotonic()
        for session_id in [sid for sid, session in self._sessions.items() if session.expires <= now]:
            del self._sessions[session_id]


class _BodyLimit:
    """ASGI middleware that stops reading a request body past ``limit`` bytes (raising 413)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self._app = app
        self._limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self._limit:
                    raise MessageTooLarge(f"request body exceeds the limit of {self._limit} bytes")
            return message

        await self._app(scope, limited_receive, send)


def create_app(
    service: SupportService,
    *,
    operator_tokens: Mapping[str, str],
    clock: Clock | None = None,
    session_lifetime: timedelta = timedelta(hours=8),
    secure_cookies: bool = False,
) -> Starlette:
    """Build the operators' web application.

    Args:
        service: the support service.
        operator_tokens: operator name -> token.
        clock: for session lifetimes; the system clock when omitted.
        session_lifetime: how long a sign-in lasts.
        secure_cookies: mark the session cookie ``Secure`` (set when served over HTTPS).

    Returns:
        The ASGI application.
    """
    web = _SupportWeb(
        service,
        OperatorAuth(operator_tokens),
        _Sessions(clock or SystemClock(), session_lifetime),
        secure_cookies,
    )
    routes = [
        Route("/api/cases", web.api_receive, methods=["POST"]),
        Route("/api/cases", web.api_list, methods=["GET"]),
        Route("/api/cases/{case_id:int}", web.api_show, methods=["GET"]),
        Route("/api/cases/{case_id:int}/ownership", web.api_ownership, methods=["POST"]),
        Route("/api/cases/{case_id:int}/approve", web.api_approve, methods=["POST"]),
        Route("/api/cases/{case_id:int}/refuse", web.api_refuse, methods=["POST"]),
        Route("/api/cases/{case_id:int}/issue", web.api_issue, methods=["POST"]),
        Route("/api/stolen", web.api_stolen, methods=["POST"]),
        Route("/api/audit", web.api_audit, methods=["GET"]),
        Route("/login", web.login_page, methods=["GET"]),
        Route("/login", web.login, methods=["POST"]),
        Route("/logout", web.logout, methods=["POST"]),
        Route("/", web.cases_page, methods=["GET"]),
        Route("/cases", web.upload, methods=["POST"]),
        Route("/cases/{case_id:int}", web.case_page, methods=["GET"]),
        Route("/cases/{case_id:int}/ownership", web.page_ownership, methods=["POST"]),
        Route("/cases/{case_id:int}/approve", web.page_approve, methods=["POST"]),
        Route("/cases/{case_id:int}/refuse", web.page_refuse, methods=["POST"]),
        Route("/cases/{case_id:int}/issue", web.page_issue, methods=["POST"]),
        Route("/stolen", web.page_stolen, methods=["POST"]),
        Route("/audit", web.audit_page, methods=["GET"]),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(_BodyLimit, limit=MAX_BODY_BYTES)],
        exception_handlers={CamvaultError: web.render_error, HTTPException: web.render_error},
    )


class _SupportWeb:
    """The route handlers: parse, call the service, render. No decisions are made here."""

    def __init__(
        self, service: SupportService, auth: OperatorAuth, sessions: _Sessions, secure: bool
    ) -> None:
        self._service = service
        self._auth = auth
        self._sessions = sessions
        self._secure = secure
        self._templates = jinja2.Environment(
            loader=jinja2.PackageLoader("camvault.support", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        self._templates.filters["when"] = _when
        self._templates.filters["skew"] = _skew

    # JSON API --------------------------------------------------------------------------------------------

    async def api_receive(self, request: Request) -> Response:
        operator = self._bearer(request)
        case = self._service.receive_request(await request.body(), actor=operator)
        return JSONResponse(_case_json(case), status_code=201)

    async def api_list(self, request: Request) -> Response:
        self._bearer(request)
        status = _status_filter(request.query_params.get("status"))
        return JSONResponse({"cases": [_case_json(case) for case in self._service.list_cases(status=status)]})

    async def api_show(self, request: Request) -> Response:
        self._bearer(request)
        details = self._service.show_case(request.path_params["case_id"])
        return JSONResponse(
            {
                **_case_json(details.case),
                "issued": _issued_json(details.issued),
                "history": [_entry_json(entry) for entry in details.history],
            }
        )

    async def api_ownership(self, request: Request) -> Response:
        operator = self._bearer(request)
        body = await _json_body(request)
        case = self._service.record_ownership(
            request.path_params["case_id"], operator=operator, note=_string(body, "note")
        )
        return JSONResponse(_case_json(case))

    async def api_approve(self, request: Request) -> Response:
        operator = self._bearer(request)
        return JSONResponse(
            _case_json(self._service.approve(request.path_params["case_id"], operator=operator))
        )

    async def api_refuse(self, request: Request) -> Response:
        operator = self._bearer(request)
        reason = _string(await _json_body(request), "reason")
        case = self._service.refuse(request.path_params["case_id"], operator=operator, reason=reason)
        return JSONResponse(_case_json(case))

    async def api_issue(self, request: Request) -> Response:
        operator = self._bearer(request)
        body = await _json_body(request, optional=True)
        sync = body.get("sync_ipc_password", False)
        if not isinstance(sync, bool):
            raise RequestRejected("invalid_input", "sync_ipc_password must be true or false")
        issued = self._service.issue_code(
            request.path_params["case_id"], operator=operator, sync_ipc_password=sync
        )
        return JSONResponse(_issued_code_json(issued), headers={"Cache-Control": "no-store"})

    async def api_stolen(self, request: Request) -> Response:
        operator = self._bearer(request)
        body = await _json_body(request)
        note = body.get("note", "")
        entry = self._service.report_stolen(
            _string(body, "serial"), operator=operator, note=note if isinstance(note, str) else ""
        )
        return JSONResponse({"serial": entry.serial, "reported_at": format_time(entry.reported_at)}, 201)

    async def api_audit(self, request: Request) -> Response:
        self._bearer(request)
        return JSONResponse(_report_json(self._service.verify_audit()))

    # HTML pages ------------------------------------------------------------------------------------------

    async def login_page(self, request: Request) -> Response:
        return self._page("login.html", None, failed=False)

    async def login(self, request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=4)
        name, token = str(form.get("operator", "")), str(form.get("token", ""))
        operator = self._auth.operator_for(token)
        if operator is None or not hmac.compare_digest(operator.encode(), name.strip().encode()):
            return self._page("login.html", None, status=401, failed=True)
        session_id, _ = self._sessions.open(operator)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            _SESSION_COOKIE, session_id, httponly=True, samesite="strict", secure=self._secure, path="/"
        )
        return response

    async def logout(self, request: Request) -> Response:
        await self._form(request)
        self._sessions.close(request.cookies.get(_SESSION_COOKIE))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(_SESSION_COOKIE, path="/")
        return response

    async def cases_page(self, request: Request) -> Response:
        session = self._session(request)
        return self._page("cases.html", session, cases=self._service.list_cases())

    async def case_page(self, request: Request) -> Response:
        session = self._session(request)
        details = self._service.show_case(request.path_params["case_id"])
        return self._page(
            "case.html", session, case=details.case, issued=details.issued, history=details.history
        )

    async def upload(self, request: Request) -> Response:
        session, form = await self._form(request, files=1)
        upload = form.get("request")
        if upload is None or isinstance(upload, str):
            raise RequestRejected("invalid_input", "choose a request file to upload")
        case = self._service.receive_request(await upload.read(), actor=session.operator)
        return RedirectResponse(f"/cases/{case.id}", status_code=303)

    async def page_ownership(self, request: Request) -> Response:
        session, form = await self._form(request)
        case_id = request.path_params["case_id"]
        self._service.record_ownership(case_id, operator=session.operator, note=str(form.get("note", "")))
        return RedirectResponse(f"/cases/{case_id}", status_code=303)

    async def page_approve(self, request: Request) -> Response:
        session, _ = await self._form(request)
        case_id = request.path_params["case_id"]
        self._service.approve(case_id, operator=session.operator)
        return RedirectResponse(f"/cases/{case_id}", status_code=303)

    async def page_refuse(self, request: Request) -> Response:
        session, form = await self._form(request)
        case_id = request.path_params["case_id"]
        self._service.refuse(case_id, operator=session.operator, reason=str(form.get("reason", "")))
        return RedirectResponse(f"/cases/{case_id}", status_code=303)

    async def page_issue(self, request: Request) -> Response:
        session, form = await self._form(request)
        issued = self._service.issue_code(
            request.path_params["case_id"],
            operator=session.operator,
            sync_ipc_password=form.get("sync_ipc_password") == "1",
        )
        return self._page(
            "issued.html", session, issued=issued, file_b64=base64.b64encode(issued.file).decode("ascii")
        )

    async def page_stolen(self, request: Request) -> Response:
        session, form = await self._form(request)
        self._service.report_stolen(
            str(form.get("serial", "")).strip(), operator=session.operator, note=str(form.get("note", ""))
        )
        return RedirectResponse("/", status_code=303)

    async def audit_page(self, request: Request) -> Response:
        session = self._session(request)
        return self._page("audit.html", session, report=self._service.verify_audit())

    # errors ----------------------------------------------------------------------------------------------

    async def render_error(self, request: Request, exc: Exception) -> Response:
        """Render any camvault or HTTP error, as JSON under ``/api`` and as a page elsewhere."""
        if isinstance(exc, HTTPException) and exc.status_code == 303 and exc.headers:
            return RedirectResponse(exc.headers["Location"], status_code=303)
        status, reason, message = _describe(exc)
        if request.url.path.startswith("/api/"):
            body = {"error": {"type": type(exc).__name__, "reason": reason, "message": message}}
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            return JSONResponse(body, status_code=status, headers=headers)
        session = self._sessions.get(request.cookies.get(_SESSION_COOKIE))
        return self._page(
            "error.html",
            session,
            status=status,
            code=status,
            title=_TITLES.get(status, "Error"),
            message=message,
        )

    # plumbing --------------------------------------------------------------------------------------------

    def _bearer(self, request: Request) -> str:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        operator = self._auth.operator_for(token.strip()) if scheme.lower() == "bearer" else None
        if operator is None:
            raise HTTPException(401, "a valid operator token is required (Authorization: Bearer ...)")
        return operator

    def _session(self, request: Request) -> _Session:
        session = self._sessions.get(request.cookies.get(_SESSION_COOKIE))
        if session is None:
            raise HTTPException(303, headers={"Location": "/login"})
        return session

    async def _form(self, request: Request, *, files: int = 0) -> tuple[_Session, Any]:
        session = self._session(request)
        form = await request.form(max_files=files, max_fields=8)
        if not hmac.compare_digest(str(form.get("csrf", "")).encode(), session.csrf.encode()):
            raise HTTPException(403, "the form is stale or forged; reload the page")
        return session, form

    def _page(
        self, template: str, session: _Session | None, *, status: int = 200, **context: Any
    ) -> Response:
        html = self._templates.get_template(template).render(
            operator=session.operator if session else None, csrf=session.csrf if session else "", **context
        )
        return HTMLResponse(html, status_code=status, headers=_SECURITY_HEADERS)


_TITLES = {
    400: "The input is not usable",
    401: "Sign in first",
    403: "Forbidden",
    404: "Not found",
    409: "Refused",
    413: "Too large",
    422: "Verification failed",
}


def _describe(exc: Exception) -> tuple[int, str | None, str]:
    if isinstance(exc, HTTPException):
        return exc.status_code, None, str(exc.detail)
    reason = getattr(exc, "reason", None)
    if isinstance(exc, MessageTooLarge):
        status = 413
    elif isinstance(exc, ProtocolError):
        status = 400
    elif isinstance(exc, SignatureError):
        status = 422
    elif isinstance(exc, CaseNotFound):
        status = 404
    elif isinstance(exc, RequestRejected):
        status = 400 if exc.reason == "invalid_input" else 409
    else:
        status = 500
    return status, reason if isinstance(reason, str) else None, str(exc)


async def _json_body(request: Request, *, optional: bool = False) -> dict[str, Any]:
    raw = await request.body()
    if optional and not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise RequestRejected("invalid_input", "the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise RequestRejected("invalid_input", "the body must be a JSON object")
    return body


def _string(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise RequestRejected("invalid_input", f"{name!r} must be a string")
    return value


def _status_filter(value: str | None) -> CaseStatus | None:
    if value is None:
        return None
    try:
        return CaseStatus(value)
    except ValueError:
        raise RequestRejected("invalid_input", f"unknown status {value!r}") from None


def _case_json(case: Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "serial": case.serial,
        "model": case.model,
        "mac": case.mac,
        "firmware": case.firmware,
        "device_time": format_time(case.device_time),
        "request_expiry": format_time(case.request_expiry),
        "received_at": format_time(case.received_at),
        "skew_seconds": int(case.skew.total_seconds()),
        "status": case.status.value,
        "signature_verified": case.signature_verified,
        "refusal_reason": case.refusal_reason,
        "refusal_message": case.refusal_message,
        "ownership": None
        if case.ownership_operator is None
        else {
            "operator": case.ownership_operator,
            "note": case.ownership_note,
            "at": _optional_time(case.ownership_at),
        },
        "decided_by": case.decided_by,
        "decided_at": _optional_time(case.decided_at),
    }


def _issued_json(record: IssuedCodeRecord | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {
        "code_id": record.code_id,
        "key_id": f"{record.key_id:04x}",
        "fingerprint": record.fingerprint,
        "expiry": format_time(record.expiry),
        "sync_ipc_password": record.sync_ipc_password,
        "issued_at": format_time(record.issued_at),
        "issued_by": record.issued_by,
    }


def _issued_code_json(issued: IssuedCode) -> dict[str, Any]:
    return {
        "case_id": issued.case_id,
        "serial": issued.serial,
        "code": issued.typed,
        "file": issued.file.decode("ascii"),
        "code_id": issued.code_id,
        "key_id": f"{issued.key_id:04x}",
        "fingerprint": issued.fingerprint,
        "expiry": format_time(issued.expiry_on_device_clock),
        "sync_ipc_password": issued.sync_ipc_password,
    }


def _entry_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "time": format_time(entry.time),
        "actor": entry.actor,
        "action": entry.action,
        "details": dict(entry.details),
    }


def _report_json(report: AuditReport) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "entries": report.entries,
        "head_seq": report.head_seq,
        "head_hash": report.head_hash,
        "first_bad_seq": report.first_bad_seq,
        "problem": report.problem,
    }


def _optional_time(moment: datetime | None) -> str | None:
    return None if moment is None else format_time(moment)


def _when(moment: datetime | None) -> str:
    return "" if moment is None else f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def _skew(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    direction = "ahead" if seconds > 0 else "behind"
    minutes, remainder = divmod(abs(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if not seconds:
        return "none"
    return f"{hours} h {minutes:02d} min {remainder:02d} s {direction} (includes the time before upload)"
