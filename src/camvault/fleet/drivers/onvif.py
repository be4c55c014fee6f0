"""The ONVIF driver: the device management service (``tds``) with WS-Security signed in device time.

Per the research notes (``onvif.md`` §1):

* **Clock first** (§1.6): a UsernameToken's ``Created`` is checked against the *device's* clock, so the
  driver measures the offset with an unauthenticated ``GetSystemDateAndTime`` (PRE_AUTH) before it signs
  anything, and signs ``Created`` in device time. The offset is measured again after
  :data:`CLOCK_MAX_AGE` seconds. A device that refuses even that call (some AXIS firmware, per
  onvif-zeep-async) gets tokens signed in our own time.
* **Authentication**: WS-Security UsernameToken with PasswordDigest (never PasswordText: it would send the
  password in clear). Each send builds a fresh token (nonce and ``Created``), so a strict device's replay
  cache never sees one twice. A device that also wants HTTP Digest (Core: "validate HTTP first") is answered
  through the same lockout-safe :class:`~camvault.fleet.drivers._digest_session.DigestSession` as ISAPI.
* **Lockout safety**: every request carrying a token goes through the budget; an authentication fault
  (:func:`classify_fault`) is a failed attempt. ONVIF reports no lock fields, so the budget's own threshold
  rules. Under the default access policy (§1.4) ``ter:NotAuthorized`` also means "your level may not do
  this"; to tell the two apart, an operation beyond READ_SYSTEM first proves the credential with
  ``GetDeviceInformation`` (once per driver), and a ``NotAuthorized`` after that proof is reported as a
  privilege refusal (:class:`~camvault.errors.DeviceRefused`), not counted as a wrong password [I: a device
  could count it; ONVIF does not say]. ``Sender`` faults and 4xx answers are definite refusals
  (``DeviceRefused``: nothing changed); ``Receiver`` faults and 5xx answers are failures of unknown effect.
* **Users** (§1.3): ``GetUsers``; ``SetUser`` with the user's current level (the level is required in
  ``tt:User``); ``CreateUsers``; ``DeleteUsers``, never for ``admin``, the fixed account of most ONVIF
  cameras and of the lab's generic camera [I], and the device's ``ter:FixedUser`` is surfaced as well.
  Levels map Administrator/Operator/User onto administrator/operator/viewer; Anonymous and Extended are
  read as viewer [I: Extended users are role-based and no finer mapping exists].
* **Facts**: ``GetDeviceInformation`` (the vendor is the reported ``Manufacturer``, lower-case) and
  ``GetNetworkInterfaces`` for the MAC (absent when the device refuses it); ONVIF does not say whether the
  device is a camera or a recorder, so the kind is unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar, TypeVar
from xml.etree.ElementTree import Element

import httpx

from camvault.errors import (
    AttemptBudgetExhausted,
    AuthenticationFailed,
    DeviceError,
    DeviceLocked,
    DeviceProtocolError,
    DeviceRefused,
    DeviceUnreachable,
    ProtocolError,
    UnsupportedOperation,
)
from camvault.fleet.drivers import _onvif
from camvault.fleet.drivers._digest_session import AuthFailure, DigestSession, Outcome
from camvault.fleet.drivers._onvif import FaultClass, FaultKind, classify_fault
from camvault.fleet.drivers._transport import Reply
from camvault.fleet.drivers.base import DeviceDriver, register_driver
from camvault.fleet.drivers.budget import AttemptBudget
from camvault.fleet.drivers.models import (
    Account,
    Credential,
    DeviceFacts,
    DeviceKind,
    Endpoint,
    Level,
    LoginResult,
    Probe,
)
from camvault.protocols import soap, wssecurity
from camvault.protocols.xml import Node

__all__ = ["CLOCK_MAX_AGE", "DEVICE_SERVICE", "FaultClass", "FaultKind", "OnvifDriver", "classify_fault"]

DEVICE_SERVICE = "/onvif/device_service"
"""The device service's conventional XAddr path."""

CLOCK_MAX_AGE = 60.0
"""Seconds a measured clock offset is trusted before it is measured again."""

BUILT_IN_ADMIN = "admin"

T = TypeVar("T")

_LEVELS = {"administrator": Level.ADMINISTRATOR, "operator": Level.OPERATOR, "user": Level.VIEWER}
_ONVIF_LEVELS = {Level.ADMINISTRATOR: "Administrator", Level.OPERATOR: "Operator", Level.VIEWER: "User"}


@dataclass(frozen=True, slots=True)
class _Clock:
    offset: timedelta
    measured_at: float


@register_driver
class OnvifDriver(DeviceDriver):
    """Manage any ONVIF device's accounts through its device service (see the module docstring).

    Args:
        endpoint: where the device answers (the service is at :data:`DEVICE_SERVICE`).
        client: the HTTP client.
        budget: the shared attempt budget; its clock also signs the tokens.
        name: how the device is named in errors and in the budget.
    """

    vendor: ClassVar[str] = "onvif"

    def __init__(
        self, endpoint: Endpoint, *, client: httpx.AsyncClient, budget: AttemptBudget, name: str | None = None
    ) -> None:
        super().__init__(endpoint, client=client, budget=budget, name=name)
        self._session = DigestSession(
            client, endpoint.base_url, device=self.name, budget=budget, read_failure=_onvif.read_auth_failure
        )
        self._clock: _Clock | None = None
        self._proven: set[str] = set()

    def __repr__(self) -> str:
        return f"OnvifDriver(name={self.name!r}, endpoint={str(self.endpoint)!r})"

    # ------------------------------------------------------------------ without credentials

    async def probe(self) -> Probe:
        """Ask for the time without credentials: an ONVIF device answers (or faults) in SOAP.

        Raises:
            DeviceUnreachable: nothing answers.
        """
        reply = await self._unauthenticated("GetSystemDateAndTime")
        envelope = _envelope(reply)
        device_time = None
        if envelope is not None and not envelope.is_fault:
            try:
                device_time = _onvif.read_system_time(_onvif.response_body(envelope, "GetSystemDateAndTime"))
            except ProtocolError:
                device_time = None
        challenged = reply.status == 401
        return Probe(
            reachable=True,
            vendor=self.vendor if envelope is not None else None,
            activated=None,
            realm=self._session.realm if challenged else None,
            basic_offered=self._session.basic_offered if challenged else None,
            device_time=device_time,
        )

    async def device_time(self, credential: Credential | None = None) -> datetime:
        """``GetSystemDateAndTime``, unauthenticated; with ``credential`` when the device insists.

        Raises:
            DeviceProtocolError: the device refuses the unauthenticated read and no credential was given,
                or its answer has no usable UTC time.
            and, with a credential, the errors of :meth:`facts`.
        """
        time = await self._read_time_unauthenticated()
        if time is not None:
            return time
        if credential is None:
            raise DeviceProtocolError(
                self.name, "the device refuses GetSystemDateAndTime without credentials"
            )
        before = self.budget.clock.now()
        body = await self._call("GetSystemDateAndTime", credential, what="the device time")
        device_time = self._parsed(lambda: _onvif.read_system_time(body), what="the device time")
        self._measured(device_time, before)
        return device_time

    # ------------------------------------------------------------------ with credentials

    async def check_login(self, credential: Credential) -> LoginResult:
        """An authenticated ``GetDeviceInformation``: an authentication fault is a refusal.

        Raises:
            AttemptBudgetExhausted, DeviceLocked: refused before anything was sent.
            DeviceUnreachable, DeviceProtocolError, DeviceError.
        """
        await self._sync_clock()
        try:
            outcome = await self._send("GetDeviceInformation", credential)
        except AuthenticationFailed:
            return LoginResult(ok=False)
        if outcome.failure is not None:
            return LoginResult(ok=False, locked=outcome.failure.locked)
        self._check_reply(outcome.reply, "GetDeviceInformation", what="the login check")
        self._proven.add(self._fingerprint(credential))
        return LoginResult(ok=True)

    async def facts(self, credential: Credential) -> DeviceFacts:
        """``GetDeviceInformation`` and, for the MAC, ``GetNetworkInterfaces``.

        Raises:
            AuthenticationFailed, AttemptBudgetExhausted, DeviceLocked, DeviceUnreachable, DeviceProtocolError.
        """
        body = await self._call("GetDeviceInformation", credential, what="the device information")
        self._proven.add(self._fingerprint(credential))
        info = self._parsed(lambda: _onvif.read_device_information(body), what="the device information")
        try:
            interfaces = await self._call("GetNetworkInterfaces", credential, what="the network interfaces")
            mac = self._parsed(lambda: _onvif.read_mac(interfaces), what="the network interfaces")
        except (AuthenticationFailed, AttemptBudgetExhausted, DeviceLocked, DeviceUnreachable):
            raise
        except DeviceError:
            mac = None  # the device refused or garbled the interfaces: the MAC stays unknown
        return DeviceFacts(
            vendor=(info.manufacturer or self.vendor).strip().lower(),
            model=info.model,
            serial=info.serial_number,
            mac=mac,
            firmware_version=info.firmware_version,
            firmware_build=None,
            kind=DeviceKind.UNKNOWN,
        )

    async def accounts(self, credential: Credential) -> list[Account]:
        """``GetUsers`` (Administrator-only under the default access policy).

        Raises:
            AuthenticationFailed, AttemptBudgetExhausted, DeviceLocked, DeviceUnreachable, DeviceProtocolError.
            DeviceRefused: the account may not list users.
        """
        users = await self._users(credential)
        return [
            Account(
                id=user.username, username=user.username, level=_LEVELS.get(user.level.lower(), Level.VIEWER)
            )
            for user in users
        ]

    async def set_password(self, credential: Credential, username: str, new_password: str) -> None:
        """``SetUser`` with the user's current level (which the message requires).

        Raises:
            DeviceRefused: no such user, or the device refused the password (``PasswordTooWeak``, ...).
            and the errors of the contract.
        """
        users = await self._users(credential)
        user = next((user for user in users if user.username == username), None)
        if user is None:
            raise DeviceRefused(self.name, f"there is no user named {username!r}")
        node = _onvif.user_node(username, new_password, user.level)
        await self._call("SetUser", credential, (node,), what="the new password", privileged=True)

    async def create_user(self, credential: Credential, username: str, password: str, level: Level) -> None:
        """``CreateUsers`` with one user.

        Raises:
            DeviceRefused: the device refused (``UsernameClash``, ``PasswordTooWeak``).
            DeviceError: the device failed (``TooManyUsers`` is a ``Receiver`` fault).
            and the errors of the contract.
        """
        node = _onvif.user_node(username, password, _ONVIF_LEVELS[level])
        await self._call("CreateUsers", credential, (node,), what="the new user", privileged=True)

    async def delete_user(self, credential: Credential, username: str) -> None:
        """``DeleteUsers`` with one user name; never the built-in ``admin``.

        Raises:
            DeviceRefused: it is the built-in account, or the device refused (``FixedUser``,
                ``UsernameMissing``).
            and the errors of the contract.
        """
        if username == BUILT_IN_ADMIN:
            raise DeviceRefused(self.name, "the built-in administrator account cannot be deleted")
        node = Node("tds:Username", username)
        await self._call(
            "DeleteUsers", credential, (node,), what=f"deleting user {username!r}", privileged=True
        )

    async def reboot(self, credential: Credential) -> None:
        """``SystemReboot``: the device answers, then restarts.

        Raises:
            the errors of the contract.
        """
        await self._call("SystemReboot", credential, what="the reboot", privileged=True)
        self._session.forget_challenge()
        self._clock = None

    # ------------------------------------------------------------------ the conversation

    async def _users(self, credential: Credential) -> list[_onvif.OnvifUser]:
        body = await self._call("GetUsers", credential, what="the user list", privileged=True)
        return self._parsed(lambda: _onvif.read_users(body), what="the user list")

    def _fingerprint(self, credential: Credential) -> str:
        return self.budget.fingerprint(self.name, f"{credential.username}\x00{credential.password}")

    def _device_now(self) -> datetime:
        offset = self._clock.offset if self._clock is not None else timedelta(0)
        return self.budget.clock.now() + offset

    async def _unauthenticated(self, operation: str) -> Reply:
        return await self._session.send_unauthenticated(
            "POST",
            DEVICE_SERVICE,
            content=_onvif.render_request(operation),
            headers=_onvif.soap_headers(operation),
        )

    async def _read_time_unauthenticated(self) -> datetime | None:
        before = self.budget.clock.now()
        reply = await self._unauthenticated("GetSystemDateAndTime")
        envelope = _envelope(reply)
        if reply.status == 401 or (envelope is not None and envelope.is_fault):
            fault = soap.parse_fault(envelope) if envelope is not None and envelope.is_fault else None
            if fault is None or classify_fault(fault).kind is FaultKind.AUTHENTICATION:
                # The device wants credentials even here: sign in our own time until an answer says more.
                self._clock = _Clock(timedelta(0), self.budget.clock.monotonic())
                return None
            raise self._fault_error(classify_fault(fault), what="the device time")
        if not reply.ok or envelope is None:
            raise DeviceProtocolError(self.name, f"the device time is not a SOAP reply (HTTP {reply.status})")
        body = self._parsed(
            lambda: _onvif.response_body(envelope, "GetSystemDateAndTime"), what="the device time"
        )
        device_time = self._parsed(lambda: _onvif.read_system_time(body), what="the device time")
        self._measured(device_time, before)
        return device_time

    def _measured(self, device_time: datetime, before: datetime) -> None:
        after = self.budget.clock.now()
        self._clock = _Clock(device_time - (before + (after - before) / 2), self.budget.clock.monotonic())

    async def _sync_clock(self) -> None:
        clock = self._clock
        if clock is not None and self.budget.clock.monotonic() - clock.measured_at <= CLOCK_MAX_AGE:
            return
        await self._read_time_unauthenticated()

    async def _send(
        self,
        operation: str,
        credential: Credential,
        children: Sequence[Node] = (),
        *,
        read_failure: Callable[[Reply], AuthFailure | None] | None = None,
    ) -> Outcome:
        def body() -> bytes:
            token = wssecurity.build_username_token(
                credential.username, credential.password, created=self._device_now()
            )
            return _onvif.render_request(operation, children, header=(token,))

        return await self._session.send(
            "POST",
            DEVICE_SERVICE,
            credential,
            headers=_onvif.soap_headers(operation),
            body=body,
            body_carries_credential=True,
            read_failure=read_failure,
        )

    async def _call(
        self,
        operation: str,
        credential: Credential,
        children: Sequence[Node] = (),
        *,
        what: str,
        privileged: bool = False,
    ) -> Element:
        await self._sync_clock()
        reader = None
        if privileged:
            await self._prove(credential)
            reader = _no_auth_failure
        outcome = await self._send(operation, credential, children, read_failure=reader)
        if outcome.failure is not None:
            raise self._auth_error(outcome.failure, credential)
        return self._check_reply(outcome.reply, operation, what=what)

    async def _prove(self, credential: Credential) -> None:
        if self._fingerprint(credential) in self._proven:
            return
        outcome = await self._send("GetDeviceInformation", credential)
        if outcome.failure is not None:
            raise self._auth_error(outcome.failure, credential)
        self._check_reply(outcome.reply, "GetDeviceInformation", what="the device information")
        self._proven.add(self._fingerprint(credential))

    def _check_reply(self, reply: Reply, operation: str, *, what: str) -> Element:
        envelope = _envelope(reply)
        if envelope is not None and envelope.is_fault:
            fault = self._parsed(lambda: soap.parse_fault(envelope), what=what)
            raise self._fault_error(classify_fault(fault), what=what)
        if 400 <= reply.status < 500:
            raise DeviceRefused(self.name, f"the device refused {what} (HTTP {reply.status})")
        if not reply.ok:
            raise DeviceError(self.name, f"{what} failed (HTTP {reply.status})")
        if envelope is None:
            raise DeviceProtocolError(self.name, f"{what} is not a SOAP 1.2 envelope")
        return self._parsed(lambda: _onvif.response_body(envelope, operation), what=what)

    def _auth_error(self, failure: AuthFailure, credential: Credential) -> DeviceError:
        if failure.locked:
            locked_until = self.budget.state(self.name, self._session.source).locked_until
            return DeviceLocked(self.name, "the device's login lock is engaged", locked_until=locked_until)
        return AuthenticationFailed(
            self.name, f"the device rejected the password for {credential.username!r}"
        )

    def _fault_error(self, fault: FaultClass, *, what: str) -> DeviceError:
        if fault.kind is FaultKind.UNSUPPORTED:
            return UnsupportedOperation(self.name, f"the device does not support {what} ({fault.reason})")
        if fault.kind is FaultKind.AUTHENTICATION:
            return DeviceRefused(self.name, f"the account may not access {what} (NotAuthorized)")
        if fault.kind is FaultKind.DEVICE_FAILURE:
            return DeviceError(self.name, f"{what} failed on the device ({fault.reason})")
        return DeviceRefused(self.name, f"the device refused {what} ({fault.reason})")

    def _parsed(self, read: Callable[[], T], *, what: str) -> T:
        try:
            return read()
        except ProtocolError as exc:
            raise DeviceProtocolError(self.name, f"{what} cannot be read: {exc}") from None


def _no_auth_failure(reply: Reply) -> AuthFailure | None:
    """After the credential was proven, a 401 is still a failure but a NotAuthorized fault is a privilege refusal."""
    return None


def _envelope(reply: Reply) -> soap.Envelope | None:
    if not reply.content.lstrip().startswith(b"<"):
        return None
    try:
        return soap.parse_envelope(reply.content)
    except ProtocolError:
        return None
