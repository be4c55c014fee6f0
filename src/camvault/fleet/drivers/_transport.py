"""One HTTP exchange with a device, bounded, with every failure mapped onto the driver error tree.

Drivers never let an ``httpx`` exception escape (the contract in :mod:`camvault.fleet.drivers.base`): a
connection that cannot be made or drops becomes :class:`~camvault.errors.DeviceUnreachable`, a deadline
:class:`~camvault.errors.DeviceTimeout`, a reply too large or undecodable
:class:`~camvault.errors.DeviceProtocolError`. Messages name the device and the kind of failure and never
the URL (a query string may carry an encrypted key) nor anything the request carried.

Replies are read as a stream and refused once they exceed a bound, so a hostile device cannot make the
fleet tool buffer gigabytes. The request is sent with a no-op ``httpx.Auth``, which also disables any
authentication configured on the caller's client: a driver pins its own scheme.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from camvault.errors import DeviceProtocolError, DeviceTimeout, DeviceUnreachable

__all__ = ["MAX_REPLY_BYTES", "Reply", "exchange"]

log = logging.getLogger("camvault.fleet.drivers")

MAX_REPLY_BYTES = 1024 * 1024
"""Default bound of a reply body: ISAPI and SOAP documents are a few kilobytes."""

_NO_AUTH = httpx.Auth()


@dataclass(frozen=True, slots=True)
class Reply:
    """A device's answer, fully read.

    Attributes:
        status: the HTTP status.
        headers: the response headers.
        content: the body (at most the bound the exchange was given).
    """

    status: int
    headers: httpx.Headers
    content: bytes

    @property
    def ok(self) -> bool:
        """Whether the status is 2xx."""
        return 200 <= self.status < 300

    @property
    def date(self) -> datetime | None:
        """The ``Date`` header as an aware UTC time (a device stamps its own clock), or ``None``."""
        raw = self.headers.get("date")
        if not raw or len(raw) > 64:
            return None
        try:
            moment = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


async def exchange(
    client: httpx.AsyncClient, request: httpx.Request, *, device: str, max_bytes: int = MAX_REPLY_BYTES
) -> Reply:
    """Send one request and read the whole reply, within ``max_bytes``.

    Args:
        client: the caller's client (its timeouts apply).
        request: the request, built by the driver.
        device: how the device is named in errors.
        max_bytes: the largest body accepted.

    Raises:
        DeviceTimeout: no answer within the client's deadline.
        DeviceUnreachable: no connection, or it dropped before the reply was complete.
        DeviceProtocolError: the reply is larger than ``max_bytes`` or its encoding cannot be decoded.
    """
    try:
        response = await client.send(request, auth=_NO_AUTH, follow_redirects=False, stream=True)
        try:
            content = await _read_bounded(response, device=device, max_bytes=max_bytes)
        finally:
            await response.aclose()
    except httpx.TimeoutException as exc:
        raise DeviceTimeout(device, f"no answer in time ({type(exc).__name__})") from None
    except httpx.DecodingError:
        raise DeviceProtocolError(device, "the reply's content encoding cannot be decoded") from None
    except httpx.TransportError as exc:
        raise DeviceUnreachable(device, f"the connection failed ({type(exc).__name__})") from None
    log.debug("%s: %s %s -> %d", device, request.method, request.url.path, response.status_code)
    return Reply(response.status_code, response.headers, content)


async def _read_bounded(response: httpx.Response, *, device: str, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise DeviceProtocolError(device, f"the reply announces {declared} bytes, more than {max_bytes}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise DeviceProtocolError(device, f"the reply is larger than {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
