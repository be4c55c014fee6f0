"""The emulated device's web interface: pages under ``/doc/page/*.asp``, their scripts, CSRF protection.

:class:`WebPages` renders the pages; :class:`CsrfGuard` issues their tokens and checks every
state-changing browser request before it reaches ISAPI (see :mod:`camvault.device.web.csrf`).
"""

from __future__ import annotations

from camvault.device.web.csrf import CSRF_HEADER, CsrfGuard, finish_response, refusal
from camvault.device.web.pages import WebPages

__all__ = ["CSRF_HEADER", "CsrfGuard", "WebPages", "finish_response", "refusal"]
