"""One ONVIF operation as a handler sees it, and the shape of an operation table entry.

Handlers are plain functions ``(OnvifCall) -> Node``: they read their arguments from :attr:`OnvifCall.body`
namespace-agnostically, change the model, and return the response element (``tds:...Response``), which the
service wraps in an envelope. They refuse by raising :class:`~camvault.errors.DeviceRefusal` with a
:class:`~camvault.device.model.onvif.Refusal` reason (or :class:`~camvault.errors.InvalidContent` for a
malformed argument); the service turns either into the right fault, in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final
from xml.etree.ElementTree import Element

from camvault.device.host import DeviceHost
from camvault.device.http import Request
from camvault.device.model import DeviceModel
from camvault.device.model.onvif import OnvifUser
from camvault.device.onvif.auth import AccessClass
from camvault.device.onvif.facts import DEVICE_SERVICE_PATH, service_url
from camvault.protocols.soap import ONVIF_NAMESPACES, Envelope, QName
from camvault.protocols.xml import Node

__all__ = ["MEDIA_NS", "NAMESPACES", "Handler", "OnvifCall", "Operation"]

MEDIA_NS: Final = "http://www.onvif.org/ver10/media/wsdl"
#: Prefixes declared on every response envelope.
NAMESPACES: Final = {**ONVIF_NAMESPACES, "trt": MEDIA_NS}


@dataclass(slots=True)
class OnvifCall:
    """The context of one ONVIF operation.

    Attributes:
        request: the HTTP request.
        envelope: the parsed SOAP envelope.
        body: the operation element (the Body's first child).
        model: the device.
        host: the lab side of the device (reboots).
        caller: the authenticated user, ``None`` for a PRE_AUTH call.
        self_service: the caller lacks the operation's access class and may only act on their own account
            (ONVIF's ``ModifyPassword`` policy for SetUser).
    """

    request: Request
    envelope: Envelope
    body: Element
    model: DeviceModel
    host: DeviceHost
    caller: OnvifUser | None = None
    self_service: bool = False

    def url(self, path: str = DEVICE_SERVICE_PATH) -> str:
        """A service address on the scheme, address and port this request used (Core, GetServices)."""
        host, port = self.request.local
        return service_url(host, port, path, scheme=self.request.scheme)


Handler = Callable[[OnvifCall], Node]


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation of the service.

    Attributes:
        name: the body element's QName, the routing key.
        access: its access class.
        handler: builds the response element.
        self_service: a caller without ``access`` may still call it for their own account.
    """

    name: QName
    access: AccessClass
    handler: Handler
    self_service: bool = False
