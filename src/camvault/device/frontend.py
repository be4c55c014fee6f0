"""A device's whole HTTP face: ISAPI, the web pages and ONVIF, on one port as on real devices.

:class:`DeviceFrontEnd` dispatches by path: ``/ISAPI/`` and ``/SDK/`` go to the ISAPI front end (after the
web pages' CSRF check, which only concerns browser requests), ``/onvif/`` to the ONVIF device service,
``/doc/`` to the web pages and their files. ``GET /`` answers the page real firmware serves, whose script
sends the browser to ``/doc/page/login.asp?_<ms>`` (research notes §1). Another vendor's ONVIF camera serves
only ``/onvif/``: it has no ISAPI and no Hikvision pages.
"""

from __future__ import annotations

import secrets

from camvault.device.host import DeviceHost
from camvault.device.http import Request, Response
from camvault.device.isapi.app import ROUTES, IsapiFrontEnd
from camvault.device.isapi.auth import Authenticator
from camvault.device.isapi.recovery import RECOVERY_ROUTES
from camvault.device.isapi.support_reset import SUPPORT_RESET_ROUTES
from camvault.device.model import DeviceModel, Kind
from camvault.device.onvif import ONVIF_ISAPI_ROUTES, OnvifService
from camvault.device.web import CsrfGuard, WebPages, finish_response, refusal

__all__ = ["DeviceFrontEnd"]

LANDING_PAGE = (
    b'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title></title></head><body>\n'
    b'<script>window.location.href = "/doc/page/login.asp?_" + (new Date()).getTime();</script>\n'
    b"</body></html>\n"
)


class DeviceFrontEnd:
    """The HTTP handler of one device.

    Args:
        model: the device.
        host: the lab side of the device.
    """

    def __init__(self, model: DeviceModel, host: DeviceHost) -> None:
        self.model = model
        self.host = host
        self.authenticator = Authenticator(model, secrets.token_bytes(32))
        self.isapi = IsapiFrontEnd(
            model,
            host,
            self.authenticator,
            ROUTES + RECOVERY_ROUTES + SUPPORT_RESET_ROUTES + ONVIF_ISAPI_ROUTES,
        )
        self.onvif = OnvifService(model, host)
        self.csrf = CsrfGuard(model, secrets.token_bytes(32))
        self.web = WebPages(model, self.csrf)

    async def __call__(self, request: Request) -> Response:
        """Answer one request."""
        path = request.path.lower()
        if path.startswith("/onvif/"):
            return self.onvif.handle(request)
        if self.model.identity.kind is Kind.ONVIF_CAMERA:
            return _not_found()
        if path.startswith(("/isapi/", "/sdk/")):
            if not self.csrf.check(request).allowed:
                return refusal(request, self.model.firmware.xml_namespace)
            return finish_response(self.isapi.handle(request), request)
        if path.startswith("/doc/"):
            return self.web.handle(request)
        if path in ("/", "/index.asp", "/index.html"):
            return Response(200, [("Content-Type", "text/html")], LANDING_PAGE)
        return _not_found()


def _not_found() -> Response:
    return Response(404, [("Content-Type", "text/html")], b"<html><body>404 Not Found</body></html>")
