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

Where the notes leave a value open: a missing ``isIrreversible`` is read as true and a missing
``keyIterateNum`` as 100 (the observed values, §4.5); a missing ``enabled`` in ``IllegalLoginLock`` as true
(the factory default, §8); a user without ``userLevel`` as Administrator when it is id 1 and Viewer
otherwise; a MAC that is not six hex pairs (anonymised captures) as unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import ClassVar

import httpx

from camvault.errors import (
    AuthenticationFailed,
    CryptoError,
    DeviceProtocolError,
    DeviceRefused,
    InvalidContent,
    ProtocolError,
    UnsupportedOperation,
)
from camvault.fleet.drivers._digest_session import DigestSession
from camvault.fleet.drivers._isapi import IsapiClient, read_failure, response_status
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
)
from camvault.protocols.isapi import field_crypto
from camvault.protocols.isapi.activation import ActivationClientKey, encrypt_password
from camvault.protocols.isapi.documents import (
    ActivateInfo,
    ActivateStatus,
    ChallengeRequest,
    ChallengeResponse,
    DeviceInfo,
    IllegalLoginLock,
    InputProxyChannel,
    InputProxyChannelList,
    InputProxyChannelStatus,
    InputProxyChannelStatusList,
    SecurityCap,
    Time,
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

ADMIN_ID = 1
"""The built-in administrator's id; it cannot be deleted (§4.2)."""

DEFAULT_KEY_ITERATIONS = 100
"""``keyIterateNum`` when ``SecurityCap`` omits it (the observed value, §4.5)."""

MAX_CONFIGURATION_BYTES = 64 * 1024 * 1024
"""Largest configuration file accepted from a device."""

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

    # ------------------------------------------------------------------ helpers

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
