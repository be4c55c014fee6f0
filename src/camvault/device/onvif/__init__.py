"""The ONVIF face of an emulated device: the SOAP device and media services, and Hikvision's ISAPI switch.

* :class:`OnvifService`: ``POST /onvif/device_service`` (and ``/onvif/Media``), routed by the body's QName,
  authenticated by WS-Security UsernameToken or HTTP Digest against the device's own clock and lock.
* :data:`ONVIF_ISAPI_ROUTES`: ``/ISAPI/System/Network/Integrate`` and ``/ISAPI/Security/ONVIF/users``, the
  enable switch and separate user list of Hikvision devices.
* :mod:`camvault.device.onvif.facts`: names, scopes and service addresses shared with WS-Discovery.
"""

from camvault.device.onvif.auth import TOKEN_WINDOW, AccessClass
from camvault.device.onvif.isapi import ONVIF_ISAPI_ROUTES
from camvault.device.onvif.service import OPERATIONS, OnvifService

__all__ = ["ONVIF_ISAPI_ROUTES", "OPERATIONS", "TOKEN_WINDOW", "AccessClass", "OnvifService"]
