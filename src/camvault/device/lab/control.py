"""The lab's control API: the physical actions, over loopback HTTP, for the CLI and for tests.

Routes (JSON in and out, ``Authorization: Bearer <token>`` required; the token is in the state directory's
``control.json``, mode 0600, so other local users cannot press the buttons)::

    GET    /v1/lab                              manifest and status
    GET    /v1/devices/{label}                  one device
    POST   /v1/devices/{label}/reset-button     {"seconds": 12}
    POST   /v1/devices/{label}/power-cycle      {"off_seconds": 0}
    POST   /v1/devices/{label}/clock            {"time": "2026-01-01T00:00:00Z"} or {"skew_seconds": 600}
    PUT    /v1/devices/{label}/faults           a FaultPlan object
    DELETE /v1/devices/{label}/faults
    POST   /v1/lab/save
"""

from __future__ import annotations

import hmac
import json
import os
import re
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

from camvault.device.http import HttpServer, Request, Response
from camvault.device.lab.faults import FaultPlan
from camvault.device.lab.lab import Lab
from camvault.errors import CamvaultError, ConfigurationError

__all__ = ["CONTROL_FILE", "ControlServer", "read_control_file"]

CONTROL_FILE = "control.json"
MAX_BODY = 64 * 1024
_DEVICE_ROUTE = re.compile(r"^/v1/devices/(?P<label>[^/]+)(?P<action>/[a-z-]+)?$")


class ControlServer:
    """Serves the control API of one lab on a loopback port."""

    def __init__(self, lab: Lab, *, host: str = "127.0.0.1", port: int = 0) -> None:
        if not host.startswith("127."):
            raise ConfigurationError("the lab control API listens on loopback only")
        self.lab = lab
        self.token = secrets.token_urlsafe(24)
        self.server = HttpServer(self.handle, host=host, port=port, server_header="camvault-lab")

    @property
    def url(self) -> str:
        """The API's base URL."""
        return f"http://{self.server.host}:{self.server.port}"

    async def start(self) -> None:
        """Listen (call :meth:`announce` once the lab is ready to be found)."""
        await self.server.start()

    def announce(self) -> None:
        """Write ``control.json`` (URL, token, pid) with mode 0600: the signal that the lab is up."""
        path = self.lab.state_dir / CONTROL_FILE
        path.unlink(missing_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump({"url": self.url, "token": self.token, "pid": os.getpid()}, handle)

    async def stop(self) -> None:
        """Stop listening and remove ``control.json``."""
        await self.server.stop()
        (self.lab.state_dir / CONTROL_FILE).unlink(missing_ok=True)

    async def handle(self, request: Request) -> Response:
        """Route one control request."""
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode()):
            return _json(401, {"error": "missing or wrong control token"})
        if len(request.body) > MAX_BODY:
            return _json(413, {"error": "request body too large"})
        try:
            body = json.loads(request.body) if request.body else {}
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _json(400, {"error": "the body is not JSON"})
        try:
            return await self._route(request.method, request.path, body)
        except CamvaultError as exc:
            return _json(400, {"error": str(exc)})

    async def _route(self, method: str, path: str, body: Any) -> Response:
        if path == "/v1/lab" and method == "GET":
            return _json(200, self.lab.manifest())
        if path == "/v1/lab/save" and method == "POST":
            self.lab.save()
            return _json(200, {"saved": True})
        match = _DEVICE_ROUTE.match(path)
        if match is None:
            return _json(404, {"error": "no such route"})
        device = self.lab.device(match["label"])
        action = match["action"]
        if not isinstance(body, dict):
            return _json(400, {"error": "the body must be a JSON object"})
        if action is None and method == "GET":
            return _json(200, device.describe())
        if action == "/reset-button" and method == "POST":
            seconds = _number(body, "seconds")
            return _json(200, {"result": await self.lab.press_reset(device.label, seconds)})
        if action == "/power-cycle" and method == "POST":
            await self.lab.power_cycle(device.label, off_seconds=_number(body, "off_seconds", default=0.0))
            return _json(200, device.describe())
        if action == "/clock" and method == "POST":
            if "time" in body:
                when = _time(body["time"])
                now = self.lab.set_clock(device.label, when=when)
            else:
                now = self.lab.set_clock(device.label, skew_seconds=_number(body, "skew_seconds"))
            return _json(200, {"device_time": now.isoformat()})
        if action == "/faults" and method == "PUT":
            plan = FaultPlan.from_dict(body)
            self.lab.set_faults(device.label, plan)
            return _json(200, plan.to_dict())
        if action == "/faults" and method == "DELETE":
            self.lab.set_faults(device.label, None)
            return _json(200, {"faults": None})
        return _json(405, {"error": f"{method} is not allowed on {path}"})


def _json(status: int, payload: Any) -> Response:
    return Response(status, [("Content-Type", "application/json")], json.dumps(payload).encode())


def _number(body: dict[str, Any], name: str, *, default: float | None = None) -> float:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(f"'{name}' must be a number")
    if not 0 <= value <= 86400 * 365 and name != "skew_seconds":
        raise ConfigurationError(f"'{name}' is out of range")
    return float(value)


def _time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ConfigurationError("'time' must be an ISO-8601 string")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigurationError("'time' must be an ISO-8601 string") from None
    if moment.tzinfo is None:
        raise ConfigurationError("'time' needs a timezone (e.g. Z)")
    return moment


def read_control_file(state_dir: Path) -> tuple[str, str]:
    """Return ``(url, token)`` of a running lab.

    Raises:
        ConfigurationError: no lab is running with this state directory.
    """
    path = state_dir / CONTROL_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return str(data["url"]), str(data["token"])
    except (OSError, ValueError, KeyError, TypeError):
        raise ConfigurationError(
            f"no running lab found in {state_dir} (is 'camvault lab run' running?)"
        ) from None
