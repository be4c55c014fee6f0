"""A behavioural ONVIF device service behind ``httpx.MockTransport`` (not a MagicMock that accepts anything).

It checks what a real device checks (research onvif.md §1): it routes on the body's namespace-resolved
QName, verifies each UsernameToken's PasswordDigest against its own *skewed* clock with a freshness window
and a nonce replay cache (the wssecurity codec, device side), enforces the default access policy (§1.4: user
operations are Administrator-only), applies Core's user semantics and answers with Core's faults
(``ter:NotAuthorized`` with HTTP 400, ``UsernameClash``, ``PasswordTooWeak``, ``FixedUser``...). Optional
knobs model real variants: HTTP Digest in front of SOAP, a device that refuses even the unauthenticated
``GetSystemDateAndTime``, and canned bodies for chosen operations (hostile or broken replies).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from xml.etree.ElementTree import Element

import httpx

from camvault.clock import Clock
from camvault.protocols import digest, soap, wssecurity, xml
from camvault.protocols.soap import DEVICE_NS, SCHEMA_NS, Fault
from camvault.protocols.xml import Node

PRE_AUTH = frozenset({"GetSystemDateAndTime"})
ADMIN_ONLY = frozenset({"GetUsers", "SetUser", "CreateUsers", "DeleteUsers", "SystemReboot"})
FIXED_USERS = frozenset({"admin"})
MIN_PASSWORD = 8
REALM = "ONVIF Fake"


@dataclass
class OnvifUser:
    password: str = field(repr=False)
    level: str


@dataclass
class FakeOnvifDevice:
    """One fake device.

    Attributes:
        clock: the lab clock; the device's own time is this plus ``skew``.
        skew: how far the device clock is off.
        users: the accounts.
        window: the freshness window of ``Created``.
        http_digest: put HTTP Digest (MD5, qop=auth) in front of SOAP, as Core's preferred scheme.
        refuse_unauthenticated_time: answer even ``GetSystemDateAndTime`` with ``NotAuthorized`` without a token.
        canned: operation → a raw reply ``(status, body)`` served instead of the real answer.
    """

    clock: Clock
    skew: timedelta = timedelta(0)
    users: dict[str, OnvifUser] = field(default_factory=dict)
    window: timedelta = timedelta(seconds=5)
    http_digest: bool = False
    refuse_unauthenticated_time: bool = False
    canned: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    failed_logins: int = 0
    stale_tokens: int = 0
    rebooted: bool = False

    def __post_init__(self) -> None:
        self.nonces = wssecurity.NonceCache(max_age=timedelta(minutes=10))
        self.digest_nonces = digest.NonceIssuer(b"fake-onvif-nonce-secret!", 300)
        self.digest_counter = digest.NonceCounter()

    def now(self) -> datetime:
        return self.clock.now() + self.skew

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    # ------------------------------------------------------------------ HTTP

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert request.url.path == "/onvif/device_service"
        if self.http_digest:
            refused = self._http_digest(request)
            if refused is not None:
                return refused
        envelope = soap.parse_envelope(request.content)
        assert envelope.body_name is not None and envelope.body_name.namespace == DEVICE_NS
        operation = envelope.body_name.local
        assert f'action="{DEVICE_NS}/{operation}"' in request.headers["content-type"]
        if operation in self.canned:
            status, body = self.canned[operation]
            return httpx.Response(status, content=body)
        token = wssecurity.parse_username_token(envelope)
        if token is not None:
            assert token.password_type is wssecurity.PasswordType.DIGEST, (
                "PasswordText sends the password in clear"
            )
        if operation in PRE_AUTH and token is None and not self.refuse_unauthenticated_time:
            return self._answer(operation, envelope, None)
        user = self._authenticate(token)
        if user is None:
            return fault(soap.NOT_AUTHORIZED)
        if operation in ADMIN_ONLY and self.users[user].level != "Administrator":
            return fault(soap.NOT_AUTHORIZED)
        return self._answer(operation, envelope, user)

    def _http_digest(self, request: httpx.Request) -> httpx.Response | None:
        header = request.headers.get("authorization")
        if header is None:
            return self._challenge(stale=False)
        credentials = digest.parse_authorization(header)
        assert isinstance(credentials, digest.DigestAuthorization), "Basic sent to a Digest device"
        state = self.digest_nonces.check(credentials.nonce, self.clock.monotonic())
        user = self.users.get(credentials.username)
        valid = user is not None and digest.verify(
            credentials, method="POST", ha1=digest.ha1(credentials.username, REALM, user.password)
        )
        if state is digest.NonceState.INVALID:
            return self._challenge(stale=False)
        if valid and (
            state is digest.NonceState.STALE
            or not self.digest_counter.accept(credentials.nonce, credentials.nonce_count or 0)
        ):
            return self._challenge(stale=True)
        if not valid:
            self.failed_logins += 1
            return self._challenge(stale=False)
        return None

    def _challenge(self, *, stale: bool) -> httpx.Response:
        nonce = self.digest_nonces.issue(self.clock.monotonic())
        header = digest.format_challenge(REALM, nonce, stale=stale)
        return httpx.Response(401, headers=[("WWW-Authenticate", header)], content=b"")

    def _authenticate(self, token: wssecurity.UsernameToken | None) -> str | None:
        if token is None:
            return None  # no credential, no attempt
        if token.username not in self.users:
            self.failed_logins += 1
            return None
        check = wssecurity.verify_username_token(
            token,
            self.users[token.username].password,
            now=self.now(),
            window=self.window,
            seen_nonces=self.nonces,
        )
        if check is wssecurity.TokenCheck.OK:
            return token.username
        if check is wssecurity.TokenCheck.STALE:
            self.stale_tokens += 1
        self.failed_logins += 1
        return None

    # ------------------------------------------------------------------ operations (Core semantics)

    def _answer(self, operation: str, envelope: soap.Envelope, user: str | None) -> httpx.Response:
        handler: Callable[[soap.Envelope], httpx.Response] | None = getattr(self, f"op_{operation}", None)
        if handler is None:
            return fault(soap.ACTION_NOT_SUPPORTED)
        return handler(envelope)

    def op_GetSystemDateAndTime(self, envelope: soap.Envelope) -> httpx.Response:
        moment = self.now()
        utc = Node(
            "tt:UTCDateTime",
            children=(
                Node(
                    "tt:Time",
                    children=(
                        Node("tt:Hour", moment.hour),
                        Node("tt:Minute", moment.minute),
                        Node("tt:Second", moment.second),
                    ),
                ),
                Node(
                    "tt:Date",
                    children=(
                        Node("tt:Year", moment.year),
                        Node("tt:Month", moment.month),
                        Node("tt:Day", moment.day),
                    ),
                ),
            ),
        )
        body = Node(
            "tds:SystemDateAndTime",
            children=(Node("tt:DateTimeType", "NTP"), Node("tt:DaylightSavings", False), utc),
        )
        return response("GetSystemDateAndTime", (body,))

    def op_GetDeviceInformation(self, envelope: soap.Envelope) -> httpx.Response:
        pairs = [
            ("Manufacturer", "Axicam"),
            ("Model", "AXC-2000"),
            ("FirmwareVersion", "V2.3.1 build 230301"),
            ("SerialNumber", "AXC-200020221001AAWRE00000001"),
            ("HardwareId", "1.0"),
        ]
        return response("GetDeviceInformation", tuple(Node(f"tds:{name}", value) for name, value in pairs))

    def op_GetNetworkInterfaces(self, envelope: soap.Envelope) -> httpx.Response:
        interface = Node(
            "tds:NetworkInterfaces",
            attributes=(("token", "eth0"),),
            children=(
                Node("tt:Enabled", True),
                Node("tt:Info", children=(Node("tt:HwAddress", "02:84:77:62:F0:F3"),)),
            ),
        )
        return response("GetNetworkInterfaces", (interface,))

    def op_GetUsers(self, envelope: soap.Envelope) -> httpx.Response:
        users = tuple(
            Node("tds:User", children=(Node("tt:Username", name), Node("tt:UserLevel", user.level)))
            for name, user in self.users.items()
        )
        return response("GetUsers", users)

    def _user_fields(self, element: Element) -> tuple[str, str | None, str]:
        return (
            xml.text(element, "Username"),
            xml.optional_text(element, "Password"),
            xml.text(element, "UserLevel"),
        )

    def op_SetUser(self, envelope: soap.Envelope) -> httpx.Response:
        assert envelope.body is not None
        changes = [self._user_fields(element) for element in xml.children(envelope.body, "User")]
        for name, password, _ in changes:
            if name not in self.users:
                return fault(soap.USERNAME_MISSING)
            if password is None or len(password) < MIN_PASSWORD:
                return fault(soap.PASSWORD_TOO_WEAK)
        for name, password, level in changes:
            self.users[name] = OnvifUser(password or "", level)
        return response("SetUser", ())

    def op_CreateUsers(self, envelope: soap.Envelope) -> httpx.Response:
        assert envelope.body is not None
        created = [self._user_fields(element) for element in xml.children(envelope.body, "User")]
        for name, password, _ in created:
            if name in self.users:
                return fault(soap.USERNAME_CLASH)
            if password is None or len(password) < MIN_PASSWORD:
                return fault(soap.PASSWORD_TOO_WEAK)
        for name, password, level in created:
            self.users[name] = OnvifUser(password or "", level)
        return response("CreateUsers", ())

    def op_DeleteUsers(self, envelope: soap.Envelope) -> httpx.Response:
        assert envelope.body is not None
        names = [(element.text or "").strip() for element in xml.children(envelope.body, "Username")]
        for name in names:
            if name not in self.users:
                return fault(soap.USERNAME_MISSING)
            if name in FIXED_USERS:
                return fault(soap.FIXED_USER)
        for name in names:
            del self.users[name]
        return response("DeleteUsers", ())

    def op_SystemReboot(self, envelope: soap.Envelope) -> httpx.Response:
        self.rebooted = True
        return response("SystemReboot", (Node("tds:Message", "Rebooting in 30 seconds"),))


def response(operation: str, children: tuple[Node, ...]) -> httpx.Response:
    body = soap.render_envelope(
        Node(f"tds:{operation}Response", children=children), namespaces={"tds": DEVICE_NS, "tt": SCHEMA_NS}
    )
    return httpx.Response(200, headers=[("Content-Type", soap.CONTENT_TYPE)], content=body)


def fault(which: Fault) -> httpx.Response:
    return httpx.Response(
        which.http_status, headers=[("Content-Type", soap.CONTENT_TYPE)], content=soap.render_fault(which)
    )
