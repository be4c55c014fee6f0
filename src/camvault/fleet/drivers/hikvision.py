"""The Hikvision driver: ISAPI over HTTP Digest, lockout-safe, tolerant of old and new firmware.

Everything the contract (:class:`~camvault.fleet.drivers.base.DeviceDriver`) asks for, spoken the way the
research notes (``hikvision.md``) describe real devices:

* **Authentication** (§1): HTTP Digest only, through the driver's own
  :class:`~camvault.fleet.drivers._digest_session.DigestSession`, so that one wrong password costs exactly
  one attempt and every credentialed request is checked against the
  :class:`~camvault.fleet.drivers.budget.AttemptBudget` first. V5.4-era firmware that still accepts Basic is
  spoken to with Digest too; :meth:`HikvisionDriver.probe` reports the Basic offer for the audit.
* **Probing without credentials**: ``GET /SDK/activateStatus`` (§7.1, public even on an active device), the
  ``Server: App-webs/`` header (§1), and the challenge of an unauthenticated ``/ISAPI/Security/userCheck``
  (its realm and whether Basic is offered; an unauthenticated request is never a login attempt).
* **Clock**: the ``Date`` header of an unauthenticated reply (a device stamps its own clock, §14.2), or
  ``/ISAPI/System/time`` with a credential.
* **Activation** (§7.2): ``POST /ISAPI/Security/challenge`` with a fresh RSA-1024 key, then
  ``PUT /ISAPI/System/activate`` with the AES-encrypted password.
* **Login check** (§6.1): ``GET /ISAPI/Security/userCheck``: ``isDefaultPassword``, ``isRiskPassword``, and
  on failure the lock fields. Firmware without ``userCheck`` (404) is checked with ``deviceInfo`` instead: a
  404 to a credentialed request means the credential was accepted or not looked at, never a failure.
* **Users** (§4): ``PUT /ISAPI/Security/users/<id>`` carrying ``loginPassword`` (the acting account's current
  password) always, because V5.7-era firmware demands it on every modification (§16 gap 4; harmless where it
  is not required), with ``security=1`` field encryption (§6.3) when ``SecurityCap`` advertises
  ``securityVersion`` 1 and a ``salt``, plaintext otherwise (QB60's 2018-era shape). The device's refusal
  (``riskPassword``, ``badParameters``, ...) is a :class:`~camvault.errors.DeviceRefused` naming it (a
  definite refusal: nothing changed, unlike a 5xx or a lost reply). The built-in administrator
  (id 1, §4.2) is never deleted.
* **Lock policy** (§8): ``/ISAPI/Security/illegalLoginLock``; its threshold is taught to the budget.
* **Configuration** (§10): ``/ISAPI/System/configurationData`` with ``secretkey`` encrypted under
  ``security=1``. Without field encryption the key would travel in clear text in the URL, so the driver
  refuses (:class:`~camvault.errors.UnsupportedOperation`) rather than do that.
* **NVR channels**: ``/ISAPI/ContentMgmt/InputProxy/channels`` and ``.../status``. Channel credentials are
  written in plaintext: the NVR scripts the channel shapes come from send them so, and no source shows
  ``security=1`` on a channel ``PUT`` (only on ``channels/activate``, §7.4); a device that did not decrypt
  would store the ciphertext as the camera's password and stop recording [I].

* **Adding an NVR channel**: ``PUT .../InputProxy/channels/<id>`` (create or replace: a retry after a lost
  reply does no harm), falling back to ``POST .../channels`` with the id in the body on firmware that
  answers the ``PUT`` with 404/405/``notSupport``. The camera's credential goes in plaintext, as above.
* **Recordings**: ``POST /ISAPI/ContentMgmt/search`` (``CMSearchDescription``: every channel's main-stream
  track, ``101`` for a device without channels), paged by ``searchResultPostion`` while the device answers
  ``MORE``, at most ``limit`` segments and :data:`MAX_SEARCH_PAGES` pages. The notes give no time window, so
  the search spans :data:`SEARCH_FROM` to :data:`SEARCH_UNTIL` (the 32-bit ``time_t`` horizon that embedded
  firmware handles); a time without offset is read as UTC, as the captured devices write ``Z``. A playback
  URI that carries user information (``rtsp://user:pass@``) is kept without it. Download: ``GET
  /ISAPI/ContentMgmt/download`` with a ``downloadRequest`` body (the ISAPI guide's form), read as a stream
  and abandoned once ``max_bytes`` is exceeded.
* **Recovery without a login** (§12, §14.1; the client protocol is in
  :mod:`camvault.fleet.drivers._recovery`): the methods from ``extern/capabilities``, the configured
  questions from ``questionConfiguration`` and vendor support from a ``GET passwordReset/request`` (which
  changes nothing and spends nothing); resets always sealed under the ``passwordReset/challenge`` key, each
  spending one attempt of the budget first, exactly like a password (a vendor code, which nobody can
  guess, is sent even while the login lock is engaged: the device accepts a valid one from a locked-out
  address, and a refused one costs at most a restarted lock). The legacy serial-and-date code (§14.2)
  travels over SADP only, and ISAPI says nothing about it, so ``legacy_code`` is never reported from here.
  The public reads carry no lock state, so ``locked`` reports what the device said on this driver's last
  refusal (its login lock for our address, as the budget keeps it, or its recovery suspension). Recovery
  requests of one driver are serialised: the device keeps one challenge per client address.

Where the notes leave a value open: a missing ``isIrreversible`` is read as true and a missing
``keyIterateNum`` as 100 (the observed values, §4.5); a missing ``enabled`` in ``IllegalLoginLock`` as true
(the factory default, §8); a user without ``userLevel`` as Administrator when it is id 1 and Viewer
otherwise; a MAC that is not six hex pairs (anonymised captures) as unknown.
"""

from __future__ import annotations

import asyncio
import ipaddress
import math
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import ClassVar, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx

from camvault.errors import (
    AuthenticationFailed,
    CryptoError,
    DeviceError,
    DeviceLocked,
    DeviceNotActivated,
    DeviceProtocolError,
    DeviceRefused,
    DeviceUnreachable,
    InvalidContent,
    MessageTooLarge,
    ProtocolError,
    UnsupportedOperation,
)
from camvault.fleet.drivers import _recovery
from camvault.fleet.drivers._digest_session import DigestSession, Outcome
from camvault.fleet.drivers._isapi import XML_CONTENT_TYPE, IsapiClient, read_failure, response_status
from camvault.fleet.drivers._recovery import ResetReply, ResetVerdict, TransportKey
from camvault.fleet.drivers._transport import Reply
from camvault.fleet.drivers.base import DeviceDriver, register_driver
from camvault.fleet.drivers.budget import AttemptBudget
from camvault.fleet.drivers.models import (
    Account,
    Channel,
    Credential,
    DeviceFacts,
    DeviceKind,
    Endpoint,
    Level,
    LockPolicy,
    LoginResult,
    Probe,
    RecordingSegment,
    RecoveryMethods,
    SecurityQuestion,
)
from camvault.protocols import resetcode
from camvault.protocols.isapi import field_crypto
from camvault.protocols.isapi.activation import ActivationClientKey, encrypt_password
from camvault.protocols.isapi.documents import (
    ActivateInfo,
    ActivateStatus,
    ChallengeRequest,
    ChallengeResponse,
    CMSearchDescription,
    CMSearchResult,
    DeviceInfo,
    DownloadRequest,
    IllegalLoginLock,
    InputProxyChannel,
    InputProxyChannelList,
    InputProxyChannelStatus,
    InputProxyChannelStatusList,
    PlaybackUri,
    SearchMatch,
    SearchStatus,
    SecurityCap,
    SourceInputPortDescriptor,
    Time,
    TimeSpan,
    User,
    UserCheck,
    UserLevel,
    UserList,
    decode,
    encode,
    utc_offset_of,
)

__all__ = ["HikvisionDriver"]

ACTIVATE_STATUS = "/SDK/activateStatus"
CHALLENGE = "/ISAPI/Security/challenge"
ACTIVATE = "/ISAPI/System/activate"
USER_CHECK = "/ISAPI/Security/userCheck"
DEVICE_INFO = "/ISAPI/System/deviceInfo"
SYSTEM_TIME = "/ISAPI/System/time"
USERS = "/ISAPI/Security/users"
SECURITY_CAPABILITIES = "/ISAPI/Security/capabilities"
ILLEGAL_LOGIN_LOCK = "/ISAPI/Security/illegalLoginLock"
CONFIGURATION_DATA = "/ISAPI/System/configurationData"
CHANNELS = "/ISAPI/ContentMgmt/InputProxy/channels"
CHANNEL_STATUS = "/ISAPI/ContentMgmt/InputProxy/channels/status"
REBOOT = "/ISAPI/System/reboot"
SEARCH = "/ISAPI/ContentMgmt/search"
DOWNLOAD = "/ISAPI/ContentMgmt/download"

ADMIN_ID = 1
"""The built-in administrator's id; it cannot be deleted (§4.2)."""

DEFAULT_KEY_ITERATIONS = 100
"""``keyIterateNum`` when ``SecurityCap`` omits it (the observed value, §4.5)."""

MAX_CONFIGURATION_BYTES = 64 * 1024 * 1024
"""Largest configuration file accepted from a device."""

SEARCH_PAGE_SIZE = 50
"""Segments asked for per search page (the captured web client asks 50 to 100)."""

MAX_SEARCH_PAGES = 100
"""Most search pages fetched for one listing, whatever the device keeps answering."""

SEARCH_FROM = datetime(2000, 1, 1, tzinfo=UTC)
SEARCH_UNTIL = datetime(2037, 12, 31, 23, 59, 59, tzinfo=UTC)
"""The search window: everything a device can have recorded (see the module docstring)."""

RECORDING_METADATA = "//recordType.meta.std-cgi.com"
"""The metadata descriptor the vendor web client searches recordings with."""

_REFUSAL_ALLOWANCE = 16 * 1024
"""Bytes read beyond a download's bound, so that a refusal (an XML status) can still be read as one."""

_T = TypeVar("_T")
_MAC = re.compile(r"[0-9a-f]{2}(?::[0-9a-f]{2}){5}")
_NVR_TYPES = ("nvr", "dvr", "hvr", "xvr", "dvs")
_LEVELS = {
    UserLevel.ADMINISTRATOR: Level.ADMINISTRATOR,
    UserLevel.OPERATOR: Level.OPERATOR,
    UserLevel.VIEWER: Level.VIEWER,
}
_ISAPI_LEVELS = {level: isapi for isapi, level in _LEVELS.items()}


@dataclass(frozen=True, slots=True)
class _FieldSecurity:
    """What ``SecurityCap`` says about ``security=1`` (§4.5, §6.3)."""

    salt: str
    iterations: int
    irreversible: bool
    secret_key_length: tuple[int, int] | None


@dataclass(frozen=True, slots=True)
class _FieldCipher:
    """One request's ``security=1`` key and IV; the key stays out of ``repr``."""

    key: bytes = field(repr=False)
    iv: str

    def encrypt(self, value: str) -> str:
        return field_crypto.encrypt_field(self.key, value, self.iv)

    @property
    def params(self) -> dict[str, str]:
        return {"security": "1", "iv": self.iv}


@register_driver
class HikvisionDriver(DeviceDriver):
    """Manage a Hikvision camera or recorder over ISAPI (see the module docstring for every choice).

    Args:
        endpoint: where the device answers.
        client: the HTTP client (build it with ``verify=endpoint.verify_tls`` and the timeouts you want).
        budget: the shared attempt budget; this driver keys it by ``name``.
        name: how the device is named in errors and in the budget.
    """

    vendor: ClassVar[str] = "hikvision"

    def __init__(
        self, endpoint: Endpoint, *, client: httpx.AsyncClient, budget: AttemptBudget, name: str | None = None
    ) -> None:
        super().__init__(endpoint, client=client, budget=budget, name=name)
        self._session = DigestSession(
            client, endpoint.base_url, device=self.name, budget=budget, read_failure=read_failure
        )
        self._isapi = IsapiClient(self._session)
        self._field_security: _FieldSecurity | None = None
        self._field_security_known = False
        self._recovery_serial = asyncio.Lock()
        self._recovery_key: ActivationClientKey | None = None
        self._suspended_until: datetime | None = None

    def __repr__(self) -> str:
        return f"HikvisionDriver(name={self.name!r}, endpoint={str(self.endpoint)!r})"

    # ------------------------------------------------------------------ without credentials

    async def probe(self) -> Probe:
        """Look at the device: activation state, ``Server`` header, Digest realm, Basic offered, clock.

        Raises:
            DeviceUnreachable: nothing answers.
        """
        status_reply = await self._isapi.public("GET", ACTIVATE_STATUS)
        activated = _activated(status_reply)
        challenge_reply = await self._isapi.public("GET", USER_CHECK)
        if activated is None and challenge_reply.status == 403 and b"notActivated" in challenge_reply.content:
            activated = False
        challenged = challenge_reply.status == 401
        hikvision = activated is not None or any(
            reply.headers.get("server", "").lower().startswith("app-webs")
            for reply in (status_reply, challenge_reply)
        )
        return Probe(
            reachable=True,
            vendor=self.vendor if hikvision else None,
            activated=activated,
            realm=self._session.realm if challenged else None,
            basic_offered=self._session.basic_offered if challenged else None,
            device_time=status_reply.date or challenge_reply.date,
        )

    async def device_time(self, credential: Credential | None = None) -> datetime:
        """The device clock: ``/ISAPI/System/time`` with a credential, else the ``Date`` of a public reply.

        Raises:
            DeviceProtocolError: no usable time in the reply.
            and, with a credential, the errors of :meth:`facts`.
        """
        if credential is None:
            reply = await self._isapi.public("GET", ACTIVATE_STATUS)
            if reply.date is None:
                raise DeviceProtocolError(self.name, "the device sent no usable Date header")
            return reply.date
        time = await self._isapi.get(SYSTEM_TIME, Time, credential, what="the device time")
        if time.local_time is None:
            raise DeviceProtocolError(self.name, "the device time has no localTime")
        return _as_utc(time.local_time, time.time_zone, device=self.name)

    async def activate(self, password: str) -> None:
        """Give an inactive device its admin password (§7.2).

        Raises:
            DeviceRefused: the device is already active, or refused the password (its ``subStatusCode`` says
                why, e.g. ``riskPassword``).
            DeviceProtocolError: the challenge cannot be read or decrypted.
            DeviceUnreachable, DeviceTimeout.
        """
        if _activated(await self._isapi.public("GET", ACTIVATE_STATUS)) is True:
            raise DeviceRefused(self.name, "the device is already activated")
        key = ActivationClientKey.generate()
        request = encode(ChallengeRequest(key=key.public_key_param()), namespace=None)
        reply = await self._isapi.public("POST", CHALLENGE, content=request)
        if not reply.ok:
            raise self._isapi.refusal(reply, what="the activation challenge")
        challenge = self._isapi.decode(reply.content, ChallengeResponse, what="the activation challenge")
        try:
            random_text = key.decrypt_challenge(challenge.key)
        except (CryptoError, ProtocolError):
            raise DeviceProtocolError(
                self.name, "the activation challenge does not decrypt with our key"
            ) from None
        try:
            encrypted = encrypt_password(random_text, password)
        except InvalidContent:
            raise DeviceRefused(
                self.name, "the password cannot be sent for activation (empty or too long)"
            ) from None
        reply = await self._isapi.public(
            "PUT", ACTIVATE, content=encode(ActivateInfo(encrypted), namespace=None)
        )
        status = response_status(reply.content)
        if not reply.ok or (status is not None and not status.is_success):
            raise self._isapi.refusal(reply, what="the activation password")
        self._session.forget_challenge()
        self.budget.forget_rejections(self.name)

    # ------------------------------------------------------------------ with credentials

    async def check_login(self, credential: Credential) -> LoginResult:
        """Check a credential with ``userCheck``, spending at most one attempt (see the module docstring).

        A password this device already rejected is answered ``ok=False`` without being sent again.

        Raises:
            AttemptBudgetExhausted, DeviceLocked: refused before anything was sent.
            DeviceNotActivated, DeviceUnreachable, DeviceTimeout, DeviceProtocolError, DeviceError.
        """
        try:
            outcome = await self._session.send("GET", USER_CHECK, credential)
        except AuthenticationFailed:
            return LoginResult(ok=False)
        failure = outcome.failure
        if failure is not None:
            return LoginResult(
                ok=False,
                attempts_left=failure.attempts_left,
                locked=failure.locked,
                unlock_in_seconds=failure.unlock_in_seconds,
            )
        reply = outcome.reply
        if reply.status in (404, 405):
            await self._isapi.get(DEVICE_INFO, DeviceInfo, credential, what="the device information")
            return LoginResult(ok=True)
        if not reply.ok:
            raise self._isapi.refusal(reply, what="the login check")
        check = self._isapi.decode(reply.content, UserCheck, what="the login check")
        return LoginResult(
            ok=True, is_default_password=check.is_default_password, is_risk_password=check.is_risk_password
        )

    async def facts(self, credential: Credential) -> DeviceFacts:
        """Model, serial, MAC, firmware and kind from ``/ISAPI/System/deviceInfo`` (§3).

        Raises:
            AuthenticationFailed, AttemptBudgetExhausted, DeviceLocked, DeviceUnreachable, DeviceProtocolError.
        """
        info = await self._isapi.get(DEVICE_INFO, DeviceInfo, credential, what="the device information")
        return DeviceFacts(
            vendor=self.vendor,
            model=info.model,
            serial=info.serial_number,
            mac=_mac(info.mac_address),
            firmware_version=info.firmware_version,
            firmware_build=info.firmware_released_date,
            kind=_kind(info.device_type),
            name=info.device_name,
            device_id=info.device_id,
        )

    async def lock_policy(self, credential: Credential) -> LockPolicy:
        """The illegal-login lock settings (§8), taught to the budget as this device's threshold.

        Raises:
            UnsupportedOperation, and the errors of :meth:`facts`.
        """
        lock = await self._isapi.get(
            ILLEGAL_LOGIN_LOCK, IllegalLoginLock, credential, what="the login-lock settings"
        )
        enabled = lock.enabled is not False
        policy = LockPolicy(
            enabled=enabled,
            max_attempts=lock.max_illegal_login_times,
            lock_seconds=lock.max_illegal_login_lock_time,
        )
        self.budget.learn_threshold(
            self.name, policy.max_attempts if enabled else None, source=self._session.source
        )
        return policy

    async def accounts(self, credential: Credential) -> list[Account]:
        """Every account the credential may see (an administrator sees all), from ``/ISAPI/Security/users``.

        Raises:
            AuthenticationFailed, AttemptBudgetExhausted, DeviceLocked, DeviceUnreachable, DeviceProtocolError.
        """
        users = await self._users(credential)
        return [_account(user, device=self.name) for user in users.users]

    async def set_password(self, credential: Credential, username: str, new_password: str) -> None:
        """Change ``username``'s password with ``PUT /ISAPI/Security/users/<id>`` (§4).

        Raises:
            DeviceRefused: no such user, or the device refused the new password (``riskPassword``, ...).
            and the errors of the contract.
        """
        user_id = await self._user_id(credential, username)
        cipher = await self._cipher(credential)
        seal = cipher.encrypt if cipher is not None else _clear
        document = User(
            id=user_id,
            user_name=seal(username),
            password=seal(new_password),
            login_password=seal(credential.password),
        )
        await self._isapi.write(
            "PUT",
            f"{USERS}/{user_id}",
            credential,
            what="the new password",
            document=document,
            params=cipher.params if cipher is not None else None,
        )

    async def create_user(self, credential: Credential, username: str, password: str, level: Level) -> None:
        """Add an account with ``POST /ISAPI/Security/users`` (the device picks the id, as QB60 found).

        Raises:
            DeviceRefused: the device refused (duplicate name, risky password, no room left).
            and the errors of the contract.
        """
        cipher = await self._cipher(credential)
        seal = cipher.encrypt if cipher is not None else _clear
        document = User(
            user_name=seal(username),
            password=seal(password),
            login_password=seal(credential.password),
            enabled=True,
            user_level=_ISAPI_LEVELS[level],
        )
        await self._isapi.write(
            "POST",
            USERS,
            credential,
            what="the new user",
            document=document,
            params=cipher.params if cipher is not None else None,
        )

    async def delete_user(self, credential: Credential, username: str) -> None:
        """Delete an account with ``DELETE /ISAPI/Security/users/<id>``; never the built-in administrator.

        With ``security=1`` the acting password goes in the query as ``loginPassword``, encrypted (§4.1);
        without it, no password is put in the URL.

        Raises:
            DeviceRefused: no such user, it is the built-in administrator, or the device refused.
            and the errors of the contract.
        """
        user_id = await self._user_id(credential, username)
        if user_id == ADMIN_ID:
            raise DeviceRefused(self.name, "the built-in administrator account cannot be deleted")
        cipher = await self._cipher(credential)
        params = None
        if cipher is not None:
            params = {**cipher.params, "loginPassword": cipher.encrypt(credential.password)}
        await self._isapi.write(
            "DELETE", f"{USERS}/{user_id}", credential, what=f"deleting user {username!r}", params=params
        )

    async def backup_config(self, credential: Credential, secret: str) -> bytes:
        """Export the configuration file, encrypted by the device with ``secret`` (§10).

        Raises:
            UnsupportedOperation: the device cannot take the key encrypted (``security=1``).
            DeviceRefused: the key's length is outside the device's ``cfgFileSecretKeyLenLimit``.
            and the errors of :meth:`facts`.
        """
        params = await self._secret_key_params(credential, secret, what="export the configuration")
        return await self._isapi.get_binary(
            CONFIGURATION_DATA,
            credential,
            what="the configuration export",
            params=params,
            max_bytes=MAX_CONFIGURATION_BYTES,
        )

    async def restore_config(self, credential: Credential, data: bytes, secret: str) -> None:
        """Import a configuration file exported by :meth:`backup_config`; the device then reboots.

        Raises:
            UnsupportedOperation, DeviceRefused: as :meth:`backup_config`, or the device refused the file.
            and the errors of the contract.
        """
        params = await self._secret_key_params(credential, secret, what="import a configuration")
        await self._isapi.write(
            "PUT",
            CONFIGURATION_DATA,
            credential,
            what="the configuration file",
            content=data,
            content_type="application/octet-stream",
            params=params,
        )
        self._session.forget_challenge()

    async def channels(self, credential: Credential) -> list[Channel]:
        """An NVR's IP channels with their status; empty for a device without channels.

        Raises:
            the errors of :meth:`facts`.
        """
        try:
            listed = await self._isapi.get(
                CHANNELS, InputProxyChannelList, credential, what="the IP channels"
            )
        except UnsupportedOperation:
            return []
        try:
            statuses = await self._isapi.get(
                CHANNEL_STATUS, InputProxyChannelStatusList, credential, what="the channel status"
            )
        except UnsupportedOperation:
            statuses = InputProxyChannelStatusList()
        by_id = {status.id: status for status in statuses.statuses}
        return [_channel(channel, by_id.get(channel.id)) for channel in listed.channels]

    async def set_channel_credential(
        self, credential: Credential, channel_id: int, username: str, password: str
    ) -> None:
        """Store a new camera credential in an NVR channel, keeping everything else it holds.

        Raises:
            DeviceRefused: no such channel, or the NVR refused.
            and the errors of the contract.
        """
        path = f"{CHANNELS}/{channel_id}"
        channel = await self._isapi.get(path, InputProxyChannel, credential, what=f"channel {channel_id}")
        if channel.source is None:
            raise DeviceProtocolError(self.name, f"channel {channel_id} has no sourceInputPortDescriptor")
        updated = replace(channel, source=replace(channel.source, user_name=username, password=password))
        await self._isapi.write("PUT", path, credential, what=f"channel {channel_id}", document=updated)

    async def reboot(self, credential: Credential) -> None:
        """Reboot the device (``PUT /ISAPI/System/reboot``, §10); it answers, then goes away.

        Raises:
            the errors of the contract.
        """
        await self._isapi.write("PUT", REBOOT, credential, what="the reboot")
        self._session.forget_challenge()

    async def add_channel(
        self,
        credential: Credential,
        channel_id: int,
        camera: Endpoint,
        username: str,
        password: str,
        *,
        protocol: str = "HIKVISION",
    ) -> None:
        """Create or replace NVR IP channel ``channel_id`` recording ``camera`` (see the module docstring).

        Raises:
            DeviceRefused: a channel id outside 1-9999 (nothing sent), or the NVR refused (``badParameters``
                for a protocol it does not know, ``lowPrivilege``).
            UnsupportedOperation: the device has no IP channels (a camera).
            and the errors of the contract.
        """
        if not 1 <= channel_id <= 9999:
            raise DeviceRefused(self.name, "a channel id is a number from 1 to 9999; nothing was sent")
        document = InputProxyChannel(
            id=channel_id, source=_camera_source(camera, username, password, protocol)
        )
        what = f"channel {channel_id}"
        try:
            await self._isapi.write(
                "PUT", f"{CHANNELS}/{channel_id}", credential, what=what, document=document
            )
        except UnsupportedOperation:
            await self._isapi.write("POST", CHANNELS, credential, what=what, document=document)

    async def recordings(self, credential: Credential, *, limit: int = 1000) -> list[RecordingSegment]:
        """The recorded segments of every channel, oldest first, at most ``limit`` (module docstring).

        Raises:
            UnsupportedOperation: the device has no storage.
            and the errors of :meth:`facts`.
        """
        if limit < 1:
            return []
        tracks = await self._recording_tracks(credential)
        search_id = str(uuid.uuid4()).upper()
        found: dict[str, RecordingSegment] = {}
        position = 0
        for _page in range(MAX_SEARCH_PAGES):
            description = CMSearchDescription(
                search_id=search_id,
                track_ids=tracks,
                time_spans=(TimeSpan(SEARCH_FROM, SEARCH_UNTIL),),
                max_results=min(SEARCH_PAGE_SIZE, limit - len(found)),
                search_result_position=position,
                metadata_descriptors=(RECORDING_METADATA,),
            )
            result = await self._search(credential, description)
            position += len(result.matches)
            for match in result.matches:
                segment = _segment(match)
                found.setdefault(segment.uri, segment)
            if result.status is not SearchStatus.MORE or not result.matches or len(found) >= limit:
                break
        return sorted(found.values(), key=lambda segment: (segment.start, segment.track))[:limit]

    async def download_recording(
        self, credential: Credential, segment: RecordingSegment, *, max_bytes: int
    ) -> bytes:
        """One segment's bytes, read as a stream and refused beyond ``max_bytes``.

        Raises:
            DeviceProtocolError: the clip is larger than ``max_bytes``, or the segment's URI is not an RTSP
                playback URI (nothing sent).
            DeviceRefused: the device knows no such recording.
            and the errors of :meth:`facts`.
        """
        if max_bytes < 1:
            raise ValueError("max_bytes must be positive")
        try:
            body = encode(DownloadRequest(playback_uri=segment.uri), namespace=None)
        except InvalidContent:
            raise DeviceProtocolError(self.name, "the segment's URI is not an RTSP playback URI") from None
        outcome = await self._session.send(
            "GET",
            DOWNLOAD,
            credential,
            headers={"Content-Type": XML_CONTENT_TYPE},
            body=body,
            max_bytes=max_bytes + _REFUSAL_ALLOWANCE,
        )
        reply = self._accepted(outcome, credential, what="the recording")
        if _is_xml(reply):
            raise self._isapi.refusal(reply, what="the recording")
        if len(reply.content) > max_bytes:
            raise DeviceProtocolError(self.name, f"the recording is larger than {max_bytes} bytes")
        return reply.content

    # ------------------------------------------------------------------ recovery, without a login

    async def recovery_methods(self) -> RecoveryMethods:
        """Which reset methods the device offers now, from public reads only (module docstring).

        Raises:
            DeviceNotActivated, DeviceUnreachable, DeviceTimeout, DeviceProtocolError, DeviceError.
        """
        reply = await self._isapi.public("GET", _recovery.EXTERN_CAPABILITIES)
        capabilities = self._public_read(reply, _recovery.read_capabilities, what="the reset capabilities")
        questions: tuple[SecurityQuestion, ...] = ()
        if capabilities is not None and capabilities.is_support_with_security_question:
            reply = await self._isapi.public("GET", _recovery.QUESTION_CONFIGURATION)
            questions = (
                self._public_read(reply, _recovery.configured_questions, what="the security questions") or ()
            )
        reply = await self._isapi.public(
            "GET", _recovery.RESET_REQUEST, max_bytes=resetcode.MAX_REQUEST_FILE_BYTES
        )
        locked_until = self._recovery_locked_until()
        now = self.budget.clock.now()
        return RecoveryMethods(
            security_questions=questions,
            guid_file=capabilities is not None and capabilities.is_support_with_guid_file_data is True,
            vendor_support=_recovery.support_offered(reply.status, reply.content),
            legacy_code=False,
            locked=locked_until is not None,
            unlock_in_seconds=(
                math.ceil((locked_until - now).total_seconds()) if locked_until is not None else None
            ),
        )

    async def reset_with_answers(self, answers: dict[int, str], new_password: str) -> None:
        """Set a new admin password by answering the security questions (sealed, one attempt spent).

        Raises:
            AuthenticationFailed: the answers are wrong (``attempts_left`` as the device says), or this set
                was already rejected (nothing sent).
            DeviceRefused: the new password's policy, no questions set, answers that cannot be sent.
            DeviceLocked: the lock is engaged for us, or recovery is suspended (``locked_until`` set).
            AttemptBudgetExhausted, UnsupportedOperation, DeviceNotActivated, DeviceUnreachable,
            DeviceTimeout, DeviceProtocolError, DeviceError.
        """
        self._checked(
            lambda: _recovery.check_answers(answers), lambda: _recovery.check_new_password(new_password)
        )
        await self._reset(
            _recovery.QUESTION_CERTIFICATION,
            _recovery.answers_attempt(answers),
            lambda key: _recovery.answers_body(key, answers, new_password),
            what="the security answers",
        )

    async def reset_with_guid(self, guid_file: bytes, new_password: str) -> None:
        """Set a new admin password with an exported GUID file (sealed, one attempt spent; the file is spent).

        Raises:
            The errors of :meth:`reset_with_answers` (``AuthenticationFailed``: not this device's current
            file; ``DeviceRefused``: not a GUID file, or another device's).
        """
        self._checked(
            lambda: _recovery.check_guid_file(guid_file), lambda: _recovery.check_new_password(new_password)
        )
        await self._reset(
            _recovery.GUID_RESET,
            _recovery.guid_attempt(guid_file),
            lambda key: _recovery.guid_reset_body(key, guid_file, new_password),
            what="the GUID file",
        )

    async def export_reset_request(self) -> bytes:
        """Export a new signed reset request for the vendor (``POST passwordReset/request``).

        Returns:
            The request file, checked to be one (armored, at most ``resetcode.MAX_REQUEST_FILE_BYTES``).

        Raises:
            UnsupportedOperation: the device offers no vendor-support reset.
            DeviceRefused, DeviceNotActivated, DeviceUnreachable, DeviceTimeout.
            DeviceProtocolError: the reply is not a request file, or too large.
        """
        reply = await self._isapi.public(
            "POST", _recovery.RESET_REQUEST, max_bytes=resetcode.MAX_REQUEST_FILE_BYTES
        )
        if not reply.ok or _is_xml(reply):
            raise self._recovery_error(
                _recovery.read_reset_reply(reply.status, reply.content), "a reset request export"
            )
        try:
            return _recovery.read_request_file(reply.content)
        except ProtocolError as exc:
            raise DeviceProtocolError(
                self.name, f"the exported reset request is not a request file: {exc}"
            ) from None

    async def reset_with_code(self, code: str | bytes, new_password: str) -> None:
        """Set a new admin password with the vendor's code, typed (``str``) or its file (``bytes``).

        Raises:
            AuthenticationFailed: the device checked the code and refused it (the reason, e.g.
                ``bad_signature``, in the message; counted against the lock).
            DeviceRefused: a malformed or mistyped code (``checksum``), no pending request, or a refused
                password, with the device's reason.
            The other errors of :meth:`reset_with_answers`.
        """
        self._checked(lambda: _recovery.check_code(code), lambda: _recovery.check_new_password(new_password))
        await self._reset(
            _recovery.RESET_CODE,
            _recovery.code_attempt(code),
            lambda key: _recovery.code_body(key, code, new_password),
            what="the reset code",
            unguessable=True,
        )

    # ------------------------------------------------------------------ helpers

    def _accepted(self, outcome: Outcome, credential: Credential, *, what: str) -> Reply:
        if outcome.failure is not None:
            raise self._isapi.auth_error(outcome.failure, credential)
        if not outcome.reply.ok:
            raise self._isapi.refusal(outcome.reply, what=what)
        return outcome.reply

    async def _search(self, credential: Credential, description: CMSearchDescription) -> CMSearchResult:
        outcome = await self._session.send(
            "POST",
            SEARCH,
            credential,
            headers={"Content-Type": XML_CONTENT_TYPE},
            body=encode(description, namespace=None),
        )
        reply = self._accepted(outcome, credential, what="the recording search")
        try:
            return self._isapi.decode(reply.content, CMSearchResult, what="the recording search")
        except DeviceProtocolError:
            status = response_status(reply.content)
            if status is not None and not status.is_success:
                raise self._isapi.refusal(reply, what="the recording search") from None
            raise

    async def _recording_tracks(self, credential: Credential) -> tuple[int, ...]:
        channels = await self.channels(credential)
        return tuple(channel.id * 100 + 1 for channel in channels) or (101,)

    def _checked(self, *checks: Callable[[], None]) -> None:
        try:
            for check in checks:
                check()
        except InvalidContent as exc:
            raise DeviceRefused(self.name, f"{exc}; nothing was sent") from None

    def _public_read(self, reply: Reply, read: Callable[[bytes], _T], *, what: str) -> _T | None:
        """A public document, or ``None`` when the firmware lacks it; refusals and bad documents raise."""
        if not reply.ok or _is_status(reply):
            verdict = _recovery.read_reset_reply(reply.status, reply.content)
            if verdict.verdict is ResetVerdict.UNSUPPORTED:
                return None
            raise self._recovery_error(verdict, what)
        try:
            return read(reply.content)
        except ProtocolError as exc:
            raise DeviceProtocolError(self.name, f"{what} is not a valid ISAPI document: {exc}") from None

    async def _transport_key(self) -> TransportKey:
        """Run ``passwordReset/challenge``: the one-request key of the reset that follows (§7.2)."""
        if self._recovery_key is None:
            self._recovery_key = ActivationClientKey.generate()
        client_key = self._recovery_key
        reply = await self._isapi.public(
            "POST", _recovery.RESET_CHALLENGE, content=_recovery.challenge_request(client_key)
        )
        if not reply.ok:
            refused = _recovery.read_reset_reply(reply.status, reply.content)
            if refused.verdict in (ResetVerdict.WRONG_SECRET, ResetVerdict.LOCKED):
                # A login demanded for the key exchange itself: this firmware has no recovery without one.
                raise UnsupportedOperation(self.name, "the device wants a login for the recovery challenge")
            raise self._recovery_error(refused, "the recovery challenge")
        try:
            return _recovery.read_challenge(client_key, reply.content, iv=field_crypto.new_iv())
        except (ProtocolError, CryptoError):
            raise DeviceProtocolError(
                self.name, "the recovery challenge does not decrypt with our key"
            ) from None

    async def _reset(
        self,
        path: str,
        attempt: str,
        build: Callable[[TransportKey], bytes],
        *,
        what: str,
        unguessable: bool = False,
    ) -> None:
        """Spend one attempt, exchange the key, send the sealed request, and settle the outcome.

        ``unguessable`` (a vendor code) is sent even while the login lock is engaged; see
        :meth:`AttemptBudget.spend <camvault.fleet.drivers.budget.AttemptBudget.spend>`.
        """
        source = self._session.source
        async with self._recovery_serial:
            try:
                self.budget.spend(self.name, attempt, source, unguessable=unguessable)
            except AuthenticationFailed:
                raise AuthenticationFailed(
                    self.name, f"the device already rejected {what}; not sending the same again"
                ) from None
            key = await self._transport_key()
            try:
                body = build(key)
            except (InvalidContent, MessageTooLarge):
                raise DeviceRefused(
                    self.name, f"{what} cannot be sealed for sending; nothing was sent"
                ) from None
            try:
                reply = await self._isapi.public("PUT", path + key.query, content=body)
            except DeviceUnreachable:
                self.budget.record_unconfirmed(self.name, source)
                raise
            self._settle(_recovery.read_reset_reply(reply.status, reply.content), attempt, what=what)

    def _settle(self, reply: ResetReply, attempt: str, *, what: str) -> None:
        source = self._session.source
        if reply.verdict is ResetVerdict.ACCEPTED:
            self.budget.record_success(self.name, source)
            self.budget.forget_rejections(self.name, source)
            self._session.forget_challenge()
            self._suspended_until = None
            return
        if reply.verdict is ResetVerdict.WRONG_SECRET:
            self.budget.record_failure(self.name, attempt, attempts_left=reply.attempts_left, source=source)
        elif reply.verdict is ResetVerdict.LOCKED:
            self.budget.record_lock(self.name, unlock_in_seconds=reply.unlock_in_seconds, source=source)
        elif reply.verdict is ResetVerdict.SUSPENDED:
            seconds = reply.unlock_in_seconds or 30 * 60
            self._suspended_until = self.budget.clock.now() + timedelta(seconds=seconds)
        raise self._recovery_error(reply, what)

    def _recovery_error(self, reply: ResetReply, what: str) -> DeviceError:
        """The driver error for a recovery reply that is not a success."""
        why = reply.explanation
        match reply.verdict:
            case ResetVerdict.WRONG_SECRET:
                left = reply.attempts_left
                tries = "" if left is None else f"; {left} attempts left before its lock"
                return AuthenticationFailed(
                    self.name, f"the device rejected {what} ({why}{tries})", attempts_left=left
                )
            case ResetVerdict.LOCKED:
                state = self.budget.state(self.name, self._session.source)
                return DeviceLocked(
                    self.name, "the device's login lock is engaged", locked_until=state.locked_until
                )
            case ResetVerdict.SUSPENDED:
                return DeviceLocked(
                    self.name,
                    "the device has suspended password recovery",
                    locked_until=self._suspended_until,
                )
            case ResetVerdict.NOT_ACTIVATED:
                return DeviceNotActivated(self.name, "the device is not activated yet")
            case ResetVerdict.UNSUPPORTED:
                return UnsupportedOperation(self.name, f"the device does not support {what} ({why})")
            case ResetVerdict.REFUSED:
                return DeviceRefused(self.name, f"the device refused {what} ({why})")
            case ResetVerdict.FAILED:
                return DeviceError(self.name, f"{what} failed on the device ({why})")
            case _:
                return DeviceProtocolError(self.name, f"the reply to {what} cannot be interpreted ({why})")

    def _recovery_locked_until(self) -> datetime | None:
        now = self.budget.clock.now()
        candidates = (self.budget.state(self.name, self._session.source).locked_until, self._suspended_until)
        live = [moment for moment in candidates if moment is not None and moment > now]
        return max(live) if live else None

    async def _users(self, credential: Credential) -> UserList:
        return await self._isapi.get(USERS, UserList, credential, what="the user list")

    async def _user_id(self, credential: Credential, username: str) -> int:
        for user in (await self._users(credential)).users:
            if user.user_name == username:
                if user.id is None:
                    raise DeviceProtocolError(self.name, f"user {username!r} has no id in the user list")
                return user.id
        raise DeviceRefused(self.name, f"there is no user named {username!r} (or the account may not see it)")

    async def _security(self, credential: Credential) -> _FieldSecurity | None:
        if not self._field_security_known:
            try:
                cap = await self._isapi.get(
                    SECURITY_CAPABILITIES, SecurityCap, credential, what="the security capabilities"
                )
            except UnsupportedOperation:
                cap = SecurityCap()
            self._field_security = _field_security(cap)
            self._field_security_known = True
        return self._field_security

    async def _cipher(self, credential: Credential) -> _FieldCipher | None:
        security = await self._security(credential)
        if security is None:
            return None
        try:
            key = field_crypto.derive_key(
                credential.username,
                credential.password,
                salt=security.salt,
                iterations=security.iterations,
                irreversible=security.irreversible,
            )
        except InvalidContent:
            raise DeviceProtocolError(self.name, "the device's security=1 parameters are unusable") from None
        return _FieldCipher(key, field_crypto.new_iv())

    async def _secret_key_params(self, credential: Credential, secret: str, *, what: str) -> dict[str, str]:
        cipher = await self._cipher(credential)
        security = self._field_security
        if cipher is None or security is None:
            raise self._unsupported(
                f"{what}: the device cannot take the file key encrypted (security=1), and it would travel in "
                "clear text in the URL"
            )
        if security.secret_key_length is not None:
            low, high = security.secret_key_length
            if not low <= len(secret) <= high or not secret:
                raise DeviceRefused(
                    self.name, f"the configuration key must be {max(low, 1)} to {high} characters"
                )
        return {"secretkey": cipher.encrypt(secret), **cipher.params}


def _clear(value: str) -> str:
    return value


def _activated(reply: Reply) -> bool | None:
    if not reply.ok:
        return None
    try:
        return decode(reply.content, ActivateStatus).activated
    except ProtocolError:
        return None


def _field_security(cap: SecurityCap) -> _FieldSecurity | None:
    if not cap.security_version or 1 not in cap.security_version or not cap.salt:
        return None
    length = cap.cfg_file_secret_key_length
    return _FieldSecurity(
        salt=cap.salt,
        iterations=cap.key_iterate_num or DEFAULT_KEY_ITERATIONS,
        irreversible=cap.is_irreversible is not False,
        secret_key_length=(length.minimum, length.maximum) if length is not None else None,
    )


def _as_utc(local: datetime, time_zone: str | None, *, device: str) -> datetime:
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    if time_zone is None:
        return local.replace(tzinfo=UTC)
    try:
        offset = utc_offset_of(time_zone)
    except InvalidContent:
        raise DeviceProtocolError(device, "the device time has an unreadable timeZone") from None
    return (local - offset).replace(tzinfo=UTC)


def _mac(raw: str) -> str | None:
    normalised = raw.strip().lower().replace("-", ":")
    return normalised if _MAC.fullmatch(normalised) else None


def _kind(device_type: str | None) -> DeviceKind:
    if not device_type:
        return DeviceKind.UNKNOWN
    lowered = device_type.lower()
    if lowered.startswith(_NVR_TYPES):
        return DeviceKind.NVR
    if lowered.startswith("ip") or "camera" in lowered or "dome" in lowered:
        return DeviceKind.CAMERA
    return DeviceKind.UNKNOWN


def _account(user: User, *, device: str) -> Account:
    if user.id is None:
        raise DeviceProtocolError(device, f"user {user.user_name!r} has no id in the user list")
    if user.user_level is not None:
        level = _LEVELS[user.user_level]
    else:
        level = Level.ADMINISTRATOR if user.id == ADMIN_ID else Level.VIEWER
    return Account(id=str(user.id), username=user.user_name, level=level, enabled=user.enabled is not False)


def _channel(channel: InputProxyChannel, status: InputProxyChannelStatus | None) -> Channel:
    source = channel.source
    return Channel(
        id=channel.id,
        name=channel.name,
        address=(source.ip_address or source.host_name) if source is not None else None,
        port=source.manage_port_no if source is not None else None,
        username=source.user_name if source is not None else None,
        protocol=source.proxy_protocol if source is not None else None,
        online=status.online if status is not None else None,
        status=status.chan_detect_result if status is not None else None,
    )


def _is_xml(reply: Reply) -> bool:
    content_type: str = reply.headers.get("content-type", "")
    return content_type.lower().startswith(("application/xml", "text/xml"))


def _is_status(reply: Reply) -> bool:
    status = response_status(reply.content) if _is_xml(reply) else None
    return status is not None and not status.is_success


def _camera_source(
    camera: Endpoint, username: str, password: str, protocol: str
) -> SourceInputPortDescriptor:
    host = camera.host.strip("[]")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        by_address = False
    else:
        by_address = True
    return SourceInputPortDescriptor(
        proxy_protocol=protocol.upper(),
        addressing_format_type="ipaddress" if by_address else "hostname",
        ip_address=host if by_address else None,
        host_name=None if by_address else host,
        manage_port_no=camera.port,
        src_input_port=1,
        user_name=username,
        password=password,
        stream_type="auto",
    )


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _without_userinfo(uri: str) -> str:
    parts = urlsplit(uri)
    if "@" not in parts.netloc:
        return uri
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def _segment(match: SearchMatch) -> RecordingSegment:
    uri = _without_userinfo(match.playback_uri)
    try:
        size = PlaybackUri.parse(uri).size
    except InvalidContent:
        size = None
    return RecordingSegment(
        track=match.track_id,
        start=_utc(match.time_span.start),
        end=_utc(match.time_span.end),
        uri=uri,
        size=size,
    )
