"""The NVR's recording agent: it logs in to each channel's camera over the network, as a real NVR does.

Each enabled channel is checked with the stored credentials, over ISAPI (``GET
/ISAPI/Security/userCheck`` with HTTP Digest) for ``HIKVISION`` channels, and over ONVIF
(``GetDeviceInformation`` with a WS-Security UsernameToken) for ``ONVIF`` channels. The result goes into
the model (online/offline with the reason, which also starts and stops recording). An online channel is
re-checked every ``check_seconds``; a failing one is retried every ``retry_seconds``, forever, with the same
stored password. That is how an NVR holding a stale camera password trips the camera's illegal-login lock.

In ``addresses`` mode the agent's connections leave from the NVR's own loopback address, so the camera's
per-source lock sees the NVR, not the lab.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import secrets
import ssl
from datetime import UTC, datetime

import httpx

from camvault.device.model import Channel, ChannelProtocol, DetectResult, DeviceModel, PowerState
from camvault.errors import ProtocolError
from camvault.protocols import soap, wssecurity
from camvault.protocols import xml as xmlcodec

__all__ = ["NvrAgent"]

CHECK_TIMEOUT = 5.0
ONVIF_DEVICE_NS = "http://www.onvif.org/ver10/device/wsdl"


class NvrAgent:
    """Polls one NVR's channels.

    Args:
        model: the NVR.
        source_address: the local address to connect from, or ``None`` for any.
        check_seconds: interval for channels that are online.
        retry_seconds: interval for channels that fail.
    """

    def __init__(
        self, model: DeviceModel, *, source_address: str | None, check_seconds: float, retry_seconds: float
    ) -> None:
        self.model = model
        self.check_seconds = check_seconds
        self.retry_seconds = retry_seconds
        transport = httpx.AsyncHTTPTransport(
            local_address=source_address, retries=0, verify=_shared_tls_context()
        )
        self._client = httpx.AsyncClient(transport=transport, timeout=CHECK_TIMEOUT)
        self._due: dict[int, float] = {}
        self._wake = asyncio.Event()
        self._woken: set[int] = set()
        self._woke_all = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start polling in the background."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"nvr-agent-{self.model.identity.serial}"
            )

    async def stop(self) -> None:
        """Stop polling and close connections."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._client.aclose()

    def wake(self, channel_id: int | None = None) -> None:
        """Check one channel now (it was added or edited), or every channel (the NVR booted).

        A real NVR reconnects only the channel that was edited; re-checking all of them would fire extra
        logins at cameras whose passwords are changing at that moment.
        """
        if channel_id is None:
            self._due.clear()
            self._woke_all = True
        else:
            self._due.pop(channel_id, None)
            self._woken.add(channel_id)
        self._wake.set()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            # Cleared before the round, not after: a wake that arrives while checks are in flight must
            # not be lost (the edited channel is checked again at once instead of after the retry delay).
            self._wake.clear()
            self._woken.clear()
            self._woke_all = False
            now = loop.time()
            if self.model.power is PowerState.ON:
                due = [
                    channel
                    for channel in self.model.channels.values()
                    if channel.enabled and self._due.get(channel.id, 0.0) <= now
                ]
                if due:
                    results = await asyncio.gather(*(self.check(channel) for channel in due))
                    finished = loop.time()
                    for channel, result in zip(due, results, strict=True):
                        if self.model.power is not PowerState.ON or channel.id not in self.model.channels:
                            continue
                        self.model.report_channel_check(channel.id, result)
                        interval = (
                            self.check_seconds if result is DetectResult.CONNECT else self.retry_seconds
                        )
                        edited = self._woke_all or channel.id in self._woken
                        self._due[channel.id] = finished if edited else finished + interval
            for stale in set(self._due) - set(self.model.channels):
                del self._due[stale]
            upcoming = min(self._due.values(), default=loop.time() + self.check_seconds)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=max(0.05, upcoming - loop.time()))

    async def check(self, channel: Channel) -> DetectResult:
        """Log in to the channel's camera once and classify the outcome."""
        try:
            if channel.protocol is ChannelProtocol.ONVIF:
                return await self._check_onvif(channel)
            return await self._check_isapi(channel)
        except (httpx.HTTPError, OSError):
            return DetectResult.UNREACHABLE

    async def _check_isapi(self, channel: Channel) -> DetectResult:
        url = f"http://{channel.address}:{channel.port}/ISAPI/Security/userCheck"
        auth = httpx.DigestAuth(channel.username, channel.password.value)
        response = await self._client.get(url, auth=auth)
        if response.status_code == 200:
            return DetectResult.CONNECT
        if response.status_code == 403:
            return DetectResult.NOT_ACTIVATED
        if response.status_code == 401:
            return DetectResult.LOCKED if _says_locked(response.content) else DetectResult.BAD_CREDENTIALS
        return DetectResult.UNREACHABLE

    async def _check_onvif(self, channel: Channel) -> DetectResult:
        url = f"http://{channel.address}:{channel.port}/onvif/device_service"
        token = wssecurity.build_username_token(
            channel.username,
            channel.password.value,
            nonce=secrets.token_bytes(16),
            created=datetime.now(UTC),
        )
        body = soap.render_envelope(
            xmlcodec.Node("tds:GetDeviceInformation"), header=[token], namespaces={"tds": ONVIF_DEVICE_NS}
        )
        response = await self._client.post(url, content=body, headers={"Content-Type": soap.CONTENT_TYPE})
        if response.status_code == 200:
            return DetectResult.CONNECT
        try:
            fault = soap.parse_fault(response.content)
        except ProtocolError:
            return DetectResult.UNREACHABLE
        if fault.has_subcode("NotAuthorized"):
            return DetectResult.LOCKED if "lock" in fault.reason.lower() else DetectResult.BAD_CREDENTIALS
        return DetectResult.UNREACHABLE


@functools.cache
def _shared_tls_context() -> ssl.SSLContext:
    """One TLS context for every agent: httpx would otherwise load the CA bundle per client (~1 MiB each)."""
    return ssl.create_default_context()


def _says_locked(body: bytes) -> bool:
    try:
        root = xmlcodec.parse(body, max_bytes=64 * 1024)
    except ProtocolError:
        return False
    status = xmlcodec.optional_text(root, "lockStatus")
    return status is not None and status.lower().startswith("lock")
