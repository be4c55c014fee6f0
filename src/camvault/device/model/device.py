"""The emulated device as a pure state machine over an injected clock.

:class:`DeviceModel` owns everything a real device keeps: identity, activation, accounts, the illegal-login
lock, sessions, settings, NVR channels, recordings, recovery and vendor-support state, its log and power
state. It performs no I/O: protocol front ends
(ISAPI, web pages, ONVIF, SADP) call it with already-parsed values, and the lab persists
:meth:`DeviceModel.to_snapshot` and drives power. Refusals raise :class:`~camvault.errors.DeviceRefusal`
whose ``reason`` is the ISAPI ``subStatusCode`` the firmware would send; each front end translates it.

Authentication is split the same way: a front end verifies its scheme's proof (Digest response, session
hash, WS-Security digest) with a callback, and the model applies the rules that are the same for all of
them: unknown and disabled users, the per-IP lock, attempts left.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from random import Random
from typing import Any

from camvault.clock import Clock, SkewedClock
from camvault.device.model.accounts import (
    ADMIN_ID,
    ADMIN_NAME,
    Account,
    Password,
    UserLevel,
    check_device_password,
    factory_default_password,
)
from camvault.device.model.channels import Channel, ChannelProtocol, ChannelStatus, DetectResult
from camvault.device.model.device_log import DeviceLog
from camvault.device.model.identity import Firmware, Identity, Kind, ProductLine
from camvault.device.model.lockout import LockSettings, LockStatus, LockTracker
from camvault.device.model.onvif import OnvifState
from camvault.device.model.recordings import RecordingLog, Segment, track_id
from camvault.device.model.recovery import RecoveryState
from camvault.device.model.sessions import LoginChallenge, Session, SessionRegistry, SessionSettings
from camvault.device.model.vendor_support import VendorSupport
from camvault.errors import DeviceRefusal

__all__ = [
    "DeviceModel",
    "DeviceSettings",
    "LoginOutcome",
    "LoginResult",
    "PowerState",
    "ResetMode",
]

MAX_USER_NAME = 32
ACTIVATION_CHALLENGE_SECONDS = 120.0
MAX_PENDING_ACTIVATIONS = 64
SESSION_LOGIN_ITERATIONS = 100


class PowerState(StrEnum):
    """Whether the device answers on the network."""

    ON = "on"
    BOOTING = "booting"
    OFF = "off"


class ResetMode(StrEnum):
    """Factory-reset modes.

    ``basic`` is the web UI's *Restore*: every parameter back to default except the network settings, the
    user accounts and the security questions; the device stays active. ``full`` is *Default*: everything
    back to the factory state, the device inactive (or, on pre-activation firmware, ``admin``/``12345``).
    The reset button does what ``full`` does. This reading follows the manuals quoted in research notes §10
    (the ``basic`` = Restore, ``full`` = Default mapping is inferred there, gap 5).
    """

    BASIC = "basic"
    FULL = "full"


class LoginResult(StrEnum):
    """The outcome of one login attempt."""

    OK = "ok"
    BAD_CREDENTIALS = "bad_credentials"
    LOCKED = "locked"
    DISABLED = "disabled"


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    """What one login attempt gave: the account on success, and the lock status either way."""

    result: LoginResult
    lock: LockStatus
    account: Account | None = None

    @property
    def ok(self) -> bool:
        """Whether the attempt succeeded."""
        return self.result is LoginResult.OK


@dataclass(slots=True)
class DeviceSettings:
    """Parameters a factory reset restores (all but the network ones)."""

    device_name: str
    device_location: str = "hangzhou"
    time_mode: str = "manual"
    time_zone: str = "CST-0:00:00"
    lock: LockSettings = field(default_factory=LockSettings)
    web_auth: str = "digest"
    onvif_enabled: bool = False

    @classmethod
    def factory(cls, identity: Identity) -> DeviceSettings:
        """The settings of a device out of the box."""
        name = {"IPCamera": "IP CAMERA", "NVR": "Network Video Recorder"}.get(
            identity.kind.value, "IP Camera"
        )
        web_auth = "digest/basic" if identity.firmware.accepts_basic_auth else "digest"
        # A generic ONVIF camera is managed only through ONVIF, so ONVIF is on; Hikvision ships it off (§4.5).
        return cls(device_name=name, web_auth=web_auth, onvif_enabled=identity.kind is Kind.ONVIF_CAMERA)


class DeviceModel:
    """One emulated device.

    Args:
        identity: what the factory burnt in.
        clock: the lab's clock; the device's own real-time clock is a :class:`SkewedClock` over it.
        rng: randomness for challenges and session ids (the lab passes ``secrets.SystemRandom()``).
        skew: initial offset of the device clock from the lab clock.
    """

    def __init__(
        self, identity: Identity, *, clock: Clock, rng: Random, skew: timedelta = timedelta(0)
    ) -> None:
        self.identity = identity
        self.rtc = SkewedClock(clock, skew)
        self.rng = rng
        self.firmware = identity.firmware
        self.settings = DeviceSettings.factory(identity)
        self.accounts: dict[int, Account] = {}
        self.activated = False
        self.channels: dict[int, Channel] = {}
        self.recordings = RecordingLog()
        self.power = PowerState.ON
        self.boot_time = self.rtc.now()
        self.lock = LockTracker(self.settings.lock)
        self.sessions = SessionRegistry(SessionSettings())
        self.recovery = RecoveryState(rng)
        self.vendor_support = VendorSupport()
        self.log = DeviceLog()
        self.onvif = OnvifState()
        self._activation_secrets: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self.revision = 0
        self._factory_accounts()

    # ------------------------------------------------------------------ time and power

    def now(self) -> datetime:
        """The device's own wall-clock time (lab time plus skew)."""
        return self.rtc.now()

    def monotonic(self) -> float:
        """The lab's monotonic time, for timers."""
        return self.rtc.monotonic()

    def set_time(self, when: datetime) -> None:
        """Set the device clock (``PUT /ISAPI/System/time``, the lab's clock control)."""
        self.rtc.set_wall(when)
        self._changed()

    def power_off(self) -> None:
        """Cut power: volatile state is lost, recording stops."""
        self.power = PowerState.OFF
        self.recordings.stop_all(self.now())
        self._drop_volatile()
        for channel in self.channels.values():
            channel.status = ChannelStatus()
        self._changed()

    def begin_boot(self) -> None:
        """Power is on and the firmware is starting: nothing answers yet."""
        self.power = PowerState.BOOTING

    def finish_boot(self) -> None:
        """The firmware is up: start answering, and a camera with a memory card starts recording."""
        self.power = PowerState.ON
        self.boot_time = self.now()
        self._drop_volatile()
        if self.identity.kind is not Kind.NVR and self.identity.has_storage and self.activated:
            self.recordings.start(track_id(1), self.now())
        self._changed()

    def _drop_volatile(self) -> None:
        self.lock.clear()
        self.sessions.clear()
        self._activation_secrets.clear()
        self.recovery.drop_volatile()
        self.vendor_support.drop_volatile()

    # ------------------------------------------------------------------ activation (§7)

    @property
    def factory_password(self) -> str | None:
        """The password the firmware ships with, or ``None`` if the device must be activated instead."""
        return factory_default_password(self.firmware)

    def _factory_accounts(self) -> None:
        self.accounts.clear()
        default = self.factory_password
        if default is not None:
            admin = Account(ADMIN_ID, ADMIN_NAME, UserLevel.ADMINISTRATOR, True, Password(""), self.now())
            admin.set_password(default, self.now(), factory_default=default)
            self.accounts[ADMIN_ID] = admin
            self.activated = True
        else:
            self.activated = False

    def begin_activation(self, source: str) -> str:
        """Start activation for a client: draw the random text R the device will encrypt to it (§7.2).

        Raises:
            DeviceRefusal: ``hasActivated`` if the device is already active.
        """
        if self.activated:
            raise DeviceRefusal("hasActivated", "the device is already activated")
        secret = f"{self.rng.getrandbits(128):032x}"
        self._activation_secrets[source] = (secret, self.monotonic() + ACTIVATION_CHALLENGE_SECONDS)
        while len(self._activation_secrets) > MAX_PENDING_ACTIVATIONS:
            self._activation_secrets.popitem(last=False)
        return secret

    def activation_secret(self, source: str) -> str | None:
        """The live random text issued to ``source``, if any."""
        entry = self._activation_secrets.get(source)
        if entry is None or entry[1] < self.monotonic():
            return None
        return entry[0]

    def activate(self, password: str, *, source: str | None = None) -> Account:
        """Give the inactive device its admin password.

        Raises:
            DeviceRefusal: ``hasActivated`` (already active), ``riskPassword`` or ``badParameters`` (policy).
        """
        if self.activated:
            raise DeviceRefusal("hasActivated", "the device is already activated")
        check_device_password(password, ADMIN_NAME)
        admin = Account(ADMIN_ID, ADMIN_NAME, UserLevel.ADMINISTRATOR, True, Password(""), self.now())
        admin.set_password(password, self.now(), factory_default=self.factory_password)
        self.accounts = {ADMIN_ID: admin}
        self.activated = True
        if source is not None:
            self._activation_secrets.pop(source, None)
        if self.identity.kind is not Kind.NVR and self.identity.has_storage:
            self.recordings.start(track_id(1), self.now())
        self._changed()
        return admin

    def require_activated(self) -> None:
        """Raise ``notActivated`` unless the device is active."""
        if not self.activated:
            raise DeviceRefusal("notActivated", "the device is not activated")

    # ------------------------------------------------------------------ authentication (§6, §8)

    def account(self, name: str) -> Account | None:
        """The account with this user name (case-sensitive, as on the device)."""
        return next((account for account in self.accounts.values() if account.name == name), None)

    def lock_status(self, source: str) -> LockStatus:
        """The lock status of a source, without counting an attempt."""
        return self.lock.status(source, self.monotonic())

    def attempt_login(self, username: str, source: str, verify: Callable[[Account], bool]) -> LoginOutcome:
        """Apply the login rules common to every scheme.

        Args:
            username: the user name the client claims.
            source: the client's IP address.
            verify: checks the scheme's proof against an account (e.g. a Digest response against its HA1).

        Returns:
            The outcome; failures count against ``source``'s lock, and an attempt while locked restarts it.
        """
        now = self.monotonic()
        if self.lock.is_locked(source, now):
            return LoginOutcome(LoginResult.LOCKED, self.lock.touch_locked(source, now))
        account = self.account(username)
        if account is None or not verify(account):
            status = self.lock.record_failure(source, now)
            result = LoginResult.LOCKED if status.locked else LoginResult.BAD_CREDENTIALS
            return LoginOutcome(result, status)
        if not account.enabled:
            return LoginOutcome(LoginResult.DISABLED, self.lock.status(source, now))
        self.lock.record_success(source)
        return LoginOutcome(LoginResult.OK, self.lock.status(source, now), account)

    def set_lock_settings(
        self, *, enabled: bool | None, max_attempts: int | None, lock_seconds: int | None
    ) -> None:
        """Change the illegal-login lock (``PUT /ISAPI/Security/illegalLoginLock``).

        Raises:
            DeviceRefusal: ``badParameters`` for attempts outside 3-20 or a lock time outside 60-86400 s
                (our bounds: the notes saw 5 and 1800 and a client writing 16).
        """
        lock = self.settings.lock
        if max_attempts is not None and not 3 <= max_attempts <= 20:
            raise DeviceRefusal("badParameters", "maxIllegalLoginTimes must be between 3 and 20")
        if lock_seconds is not None and not 60 <= lock_seconds <= 86400:
            raise DeviceRefusal("badParameters", "maxIllegalLoginLockTime must be between 60 and 86400")
        if enabled is not None:
            lock.enabled = enabled
            if not enabled:
                self.lock.clear()
        if max_attempts is not None:
            lock.max_attempts = max_attempts
        if lock_seconds is not None:
            lock.lock_seconds = lock_seconds
        self._changed()

    # ------------------------------------------------------------------ session login (§6.2)

    def begin_session_login(self, username: str) -> LoginChallenge:
        """Issue a session id and challenge for ``sessionLogin/capabilities``."""
        challenge = LoginChallenge(
            session_id=f"{self.rng.getrandbits(256):064x}",
            username=username,
            challenge=f"{self.rng.getrandbits(128):032x}",
            expires=self.monotonic() + self.sessions.settings.challenge_timeout,
        )
        self.sessions.add_challenge(challenge)
        return challenge

    def complete_session_login(
        self, session_id: str, username: str, source: str, verify: Callable[[Account, LoginChallenge], bool]
    ) -> tuple[LoginOutcome, Session | None]:
        """Check a session-login proof and open the session.

        A missing or expired challenge counts as a failed attempt: the client cannot have proven anything.

        Raises:
            DeviceRefusal: ``maxSessionUserLink`` when the session table is full.
        """
        now = self.monotonic()
        challenge = self.sessions.take_challenge(session_id, now)
        valid = challenge is not None and challenge.username == username
        outcome = self.attempt_login(
            username, source, lambda account: valid and challenge is not None and verify(account, challenge)
        )
        if not outcome.ok or outcome.account is None:
            return outcome, None
        if self.sessions.is_full(now):
            raise DeviceRefusal("maxSessionUserLink", "too many sessions are open")
        session = self.sessions.open(
            session_id,
            user_id=outcome.account.id,
            username=outcome.account.name,
            source=source,
            login_time=self.now(),
            now=now,
        )
        return outcome, session

    def session(self, session_id: str) -> tuple[Session, Account] | None:
        """The live session with this id and its account, refreshed; ``None`` if gone or the user was."""
        session = self.sessions.get(session_id, self.monotonic())
        if session is None:
            return None
        account = self.accounts.get(session.user_id)
        if account is None or not account.enabled:
            self.sessions.close(session_id)
            return None
        return session, account

    def end_session(self, session_id: str) -> None:
        """Log a session out."""
        self.sessions.close(session_id)

    # ------------------------------------------------------------------ users (§4)

    def users(self) -> list[Account]:
        """Every account, by id."""
        return [self.accounts[key] for key in sorted(self.accounts)]

    def user(self, user_id: int) -> Account:
        """The account with this id.

        Raises:
            DeviceRefusal: ``invalidOperation`` if there is none.
        """
        account = self.accounts.get(user_id)
        if account is None:
            raise DeviceRefusal("invalidOperation", f"no user with id {user_id}")
        return account

    def add_user(
        self,
        actor: Account,
        *,
        name: str,
        password: str,
        level: UserLevel,
        enabled: bool = True,
        user_id: int | None = None,
        login_password: str | None = None,
        login_password_required: bool = False,
    ) -> Account:
        """Create a user; only the administrator may.

        Raises:
            DeviceRefusal: ``lowPrivilege``, ``badParameters`` (name, duplicate, level), ``riskPassword``,
                ``invalidOperation`` (the model's user limit is reached, or the id is taken).
        """
        self._require_admin(actor)
        self._check_login_password(actor, login_password, required=login_password_required)
        self._check_user_name(name)
        if self.account(name) is not None:
            raise DeviceRefusal("badParameters", f"a user named {name!r} already exists")
        if len(self.accounts) >= self.identity.max_users:
            raise DeviceRefusal(
                "invalidOperation", f"the device supports at most {self.identity.max_users} users"
            )
        if user_id is None:
            user_id = next(candidate for candidate in range(2, 1000) if candidate not in self.accounts)
        elif user_id in self.accounts or not 2 <= user_id <= self.identity.max_users:
            raise DeviceRefusal("invalidOperation", f"user id {user_id} is taken or out of range")
        check_device_password(password, name)
        account = Account(user_id, name, level, enabled, Password(""), self.now())
        account.set_password(password, self.now(), factory_default=self.factory_password)
        self.accounts[user_id] = account
        self._changed()
        return account

    def modify_user(
        self,
        actor: Account,
        user_id: int,
        *,
        name: str | None = None,
        password: str | None = None,
        level: UserLevel | None = None,
        enabled: bool | None = None,
        login_password: str | None = None,
        login_password_required: bool = False,
        keep_session: str | None = None,
    ) -> Account:
        """Change a user: the administrator may change anyone; another user only their own password.

        A changed password ends that user's other sessions (``keep_session`` names the one that made the
        change, which survives). Changing the administrator's password invalidates the exported GUID file
        (§12.4).

        Args:
            actor: the authenticated account making the change.
            user_id: the account to change.
            name: a new user name (never for the administrator).
            password: a new password.
            level: a new level (never for the administrator).
            enabled: enable or disable (never for the administrator).
            login_password: the actor's current password, when the request carries one.
            login_password_required: the protocol requires ``loginPassword`` for this request
                (``security=1``, or firmware that always asks).
            keep_session: the session id making the change.

        Raises:
            DeviceRefusal: ``lowPrivilege``, ``invalidOperation``, ``badParameters``, ``riskPassword``.
        """
        target = self.user(user_id)
        is_self = actor.id == target.id
        if not actor.is_admin and not (
            is_self and name in (None, target.name) and level in (None, target.level)
        ):
            raise DeviceRefusal("lowPrivilege", "only the administrator can change other users or levels")
        if not actor.is_admin and enabled is not None and enabled != target.enabled:
            raise DeviceRefusal("lowPrivilege", "only the administrator can enable or disable users")
        # Users changing their own password prove the current one (the web UI asks for the old password).
        self._check_login_password(
            actor, login_password, required=login_password_required or not actor.is_admin
        )
        if target.is_admin:
            if name not in (None, ADMIN_NAME):
                raise DeviceRefusal("invalidOperation", "the administrator cannot be renamed")
            if level not in (None, UserLevel.ADMINISTRATOR) or enabled is False:
                raise DeviceRefusal("invalidOperation", "the administrator's level and state cannot change")
        if name is not None and name != target.name:
            self._check_user_name(name)
            if self.account(name) is not None:
                raise DeviceRefusal("badParameters", f"a user named {name!r} already exists")
        effective_name = name or target.name
        if password is not None:
            check_device_password(password, effective_name)
        if name is not None:
            target.name = name
        if level is not None:
            target.level = level
        if enabled is not None:
            target.enabled = enabled
        if password is not None:
            target.set_password(password, self.now(), factory_default=self.factory_password)
            if target.is_admin:
                self.recovery.invalidate_guid()
            self.sessions.close_where(lambda s: s.user_id == target.id and s.session_id != keep_session)
        if enabled is False:
            self.sessions.close_where(lambda s: s.user_id == target.id)
        self._changed()
        return target

    def delete_user(
        self,
        actor: Account,
        user_id: int,
        *,
        login_password: str | None = None,
        login_password_required: bool = False,
    ) -> None:
        """Delete a user; only the administrator may, and never the administrator account.

        Raises:
            DeviceRefusal: ``lowPrivilege`` or ``invalidOperation``.
        """
        self._require_admin(actor)
        self._check_login_password(actor, login_password, required=login_password_required)
        target = self.user(user_id)
        if target.is_admin:
            raise DeviceRefusal("invalidOperation", "the administrator account cannot be deleted")
        del self.accounts[user_id]
        self.sessions.close_where(lambda s: s.user_id == user_id)
        self._changed()

    def reset_admin_password(self, password: str) -> Account:
        """Set the administrator's password through a recovery path (questions, GUID, support code).

        Ends every session and clears the illegal-login lock, as a recovered owner expects.

        Raises:
            DeviceRefusal: ``notActivated``, ``riskPassword`` or ``badParameters``.
        """
        self.require_activated()
        check_device_password(password, ADMIN_NAME)
        return self._recover_admin(password)

    def restore_admin_default_password(self) -> Account:
        """Set the administrator's password back to the firmware's factory default, like a recovery path.

        Only pre-activation firmware has one (``12345``, §7.6); its legacy security code resets to it
        (§14.1 method 1). Ends every session and clears the illegal-login lock.

        Raises:
            DeviceRefusal: ``notSupport`` when the firmware has no factory password (it is activated instead).
        """
        default = self.factory_password
        if default is None:
            raise DeviceRefusal("notSupport", "this firmware has no factory default password")
        self.require_activated()
        return self._recover_admin(default)

    def _recover_admin(self, password: str) -> Account:
        admin = self.accounts[ADMIN_ID]
        admin.set_password(password, self.now(), factory_default=self.factory_password)
        self.recovery.invalidate_guid()
        self.sessions.clear()
        self.lock.clear()
        self._changed()
        return admin

    def _require_admin(self, actor: Account) -> None:
        if not actor.is_admin:
            raise DeviceRefusal("lowPrivilege", "only the administrator can manage users")

    def _check_login_password(self, actor: Account, login_password: str | None, *, required: bool) -> None:
        if login_password is None:
            if required:
                raise DeviceRefusal("badParameters", "loginPassword (your current password) is required")
            return
        if not actor.password.matches(login_password):
            # A wrong proof of the current password is a failed login: the front ends count it in the lock.
            raise DeviceRefusal(
                "incorrectUserNameOrPassword", "loginPassword does not match your current password"
            )

    @staticmethod
    def _check_user_name(name: str) -> None:
        if (
            not 1 <= len(name) <= MAX_USER_NAME
            or any(ch in name for ch in "<>&'\"/\\:;|*? ")
            or not name.isprintable()
        ):
            raise DeviceRefusal(
                "badParameters", "user names are 1-32 characters without spaces or <>&'\"/\\:;|*?"
            )

    # ------------------------------------------------------------------ device information (§3)

    def rename(self, name: str) -> None:
        """Set the device name (``PUT /ISAPI/System/deviceInfo``).

        Raises:
            DeviceRefusal: ``badParameters`` for an empty or over-long name.
        """
        if not 1 <= len(name) <= 64 or not name.isprintable():
            raise DeviceRefusal("badParameters", "the device name must be 1-64 printable characters")
        self.settings.device_name = name
        self._changed()

    # ------------------------------------------------------------------ maintenance (§10)

    def factory_reset(self, mode: ResetMode) -> None:
        """Restore factory settings (see :class:`ResetMode`).

        Identity, recordings, the device log and the vendor-support keys (identity burnt in at the factory,
        :mod:`~camvault.device.model.vendor_trust`) stay; a pending reset request is forgotten.
        """
        kept_accounts = dict(self.accounts)
        was_active = self.activated
        # Both modes clear the ONVIF users ("cleared when you restore the camera": model.onvif docstring).
        self.onvif.clear()
        self.settings = DeviceSettings.factory(self.identity)
        self.lock = LockTracker(self.settings.lock)
        self.channels.clear()
        self.sessions.clear()
        self._activation_secrets.clear()
        self.recordings.stop_all(self.now())
        self.vendor_support.drop_volatile()
        if mode is ResetMode.BASIC:
            self.accounts = kept_accounts
            self.activated = was_active
            self.recovery.drop_volatile()
        else:
            self._factory_accounts()
            self.recovery.clear()
        self._changed()

    # ------------------------------------------------------------------ NVR channels (§4.4)

    def require_nvr(self) -> None:
        """Raise ``notSupport`` unless this device is an NVR."""
        if self.identity.kind is not Kind.NVR:
            raise DeviceRefusal("notSupport", "this device has no IP channels")

    def set_channel(
        self,
        channel_id: int,
        *,
        address: str,
        port: int,
        username: str,
        password: str | None,
        name: str | None = None,
        protocol: ChannelProtocol = ChannelProtocol.HIKVISION,
        enabled: bool = True,
    ) -> Channel:
        """Add or replace an IP channel. A ``None`` password keeps the stored one (it is write-only).

        Raises:
            DeviceRefusal: ``notSupport`` on a camera, ``badParameters`` for an out-of-range id or a new
                channel without a password.
        """
        self.require_nvr()
        if not 1 <= channel_id <= self.identity.channels:
            raise DeviceRefusal("badParameters", f"channel id must be 1-{self.identity.channels}")
        if not 1 <= port <= 65535 or not address or not username:
            raise DeviceRefusal("badParameters", "a channel needs an address, a port and a user name")
        existing = self.channels.get(channel_id)
        if password is None and existing is None:
            raise DeviceRefusal("badParameters", "a new channel needs the camera's password")
        stored = Password(password) if password is not None else existing.password  # type: ignore[union-attr]
        changed_target = existing is None or (existing.address, existing.port) != (address, port)
        channel = Channel(
            id=channel_id,
            name=name or (existing.name if existing else f"Camera {channel_id:02d}"),
            protocol=protocol,
            address=address,
            port=port,
            username=username,
            password=stored,
            enabled=enabled,
            status=ChannelStatus() if changed_target or existing is None else existing.status,
        )
        self.channels[channel_id] = channel
        self._changed()
        return channel

    def delete_channel(self, channel_id: int) -> None:
        """Remove an IP channel; its recordings stay on disk.

        Raises:
            DeviceRefusal: ``notSupport`` on a camera, ``invalidOperation`` for an unknown channel.
        """
        self.require_nvr()
        if self.channels.pop(channel_id, None) is None:
            raise DeviceRefusal("invalidOperation", f"no channel {channel_id}")
        self.recordings.stop(track_id(channel_id), self.now())
        self._changed()

    def report_channel_check(self, channel_id: int, result: DetectResult) -> None:
        """Record the outcome of the agent's login to a channel's camera; recording follows online state."""
        channel = self.channels.get(channel_id)
        if channel is None:
            return
        status = channel.status
        online = result is DetectResult.CONNECT
        if status.online != online or status.detect_result is not result:
            self._changed()
        status.online = online
        status.detect_result = result
        status.last_checked = self.now()
        status.consecutive_failures = 0 if online else status.consecutive_failures + 1
        if online:
            self.recordings.start(track_id(channel_id), self.now())
        else:
            self.recordings.stop(track_id(channel_id), self.now())

    # ------------------------------------------------------------------ recordings

    def search_recordings(self, tracks: list[int], start: datetime, end: datetime) -> list[Segment]:
        """Segments on the given tracks overlapping ``[start, end)``.

        Raises:
            DeviceRefusal: ``notSupport`` when the device has no storage.
        """
        if not self.identity.has_storage:
            raise DeviceRefusal("notSupport", "this device has no storage")
        now = self.now()
        found: list[Segment] = []
        for track in tracks or self.recordings.tracks():
            found.extend(self.recordings.segments(track, start, end, now))
        return sorted(found, key=lambda segment: (segment.start, segment.track))

    # ------------------------------------------------------------------ persistence

    def _changed(self) -> None:
        self.revision += 1

    def to_snapshot(self) -> dict[str, Any]:
        """Everything that survives a power cycle, JSON-ready (passwords and the device key: seal it at rest)."""
        return {
            "firmware": {
                "version": str(self.firmware.version),
                "build": self.firmware.build,
                "line": self.firmware.line.value,
            },
            "skew_seconds": self.rtc.offset.total_seconds(),
            "activated": self.activated,
            "settings": {
                "device_name": self.settings.device_name,
                "device_location": self.settings.device_location,
                "time_mode": self.settings.time_mode,
                "time_zone": self.settings.time_zone,
                "lock": {
                    "enabled": self.settings.lock.enabled,
                    "max_attempts": self.settings.lock.max_attempts,
                    "lock_seconds": self.settings.lock.lock_seconds,
                },
                "web_auth": self.settings.web_auth,
                "onvif_enabled": self.settings.onvif_enabled,
            },
            "accounts": [
                {
                    "id": account.id,
                    "name": account.name,
                    "level": account.level.value,
                    "enabled": account.enabled,
                    "password": account.password.value,
                    "changed_at": account.changed_at.isoformat(),
                    "is_default_password": account.is_default_password,
                    "is_risk_password": account.is_risk_password,
                }
                for account in self.users()
            ],
            "channels": [
                {
                    "id": channel.id,
                    "name": channel.name,
                    "protocol": channel.protocol.value,
                    "address": channel.address,
                    "port": channel.port,
                    "username": channel.username,
                    "password": channel.password.value,
                    "enabled": channel.enabled,
                }
                for channel in sorted(self.channels.values(), key=lambda c: c.id)
            ],
            "recordings": self.recordings.to_snapshot(),
            "recovery": self.recovery.to_snapshot(),
            "vendor_support": self.vendor_support.to_snapshot(),
            "log": self.log.to_snapshot(),
            "onvif": self.onvif.to_snapshot(),
            "saved_at": self.now().isoformat(),
        }

    def restore_snapshot(self, data: dict[str, Any]) -> None:
        """Load state saved by :meth:`to_snapshot` (the device then boots with it).

        The vendor-support key is not installed from here: its certificate lives beside the identity, and
        the lab joins the two (:func:`~camvault.device.model.vendor_trust.restore_vendor_trust`).
        """
        firmware = data["firmware"]
        self.firmware = Firmware.parse(firmware["version"], firmware["build"], ProductLine(firmware["line"]))
        self.rtc.offset = timedelta(seconds=float(data["skew_seconds"]))
        self.activated = bool(data["activated"])
        settings = data["settings"]
        self.settings = DeviceSettings(
            device_name=settings["device_name"],
            device_location=settings["device_location"],
            time_mode=settings["time_mode"],
            time_zone=settings["time_zone"],
            lock=LockSettings(**settings["lock"]),
            web_auth=settings["web_auth"],
            onvif_enabled=settings["onvif_enabled"],
        )
        self.lock = LockTracker(self.settings.lock)
        self.accounts = {
            item["id"]: Account(
                id=item["id"],
                name=item["name"],
                level=UserLevel(item["level"]),
                enabled=item["enabled"],
                password=Password(item["password"]),
                changed_at=datetime.fromisoformat(item["changed_at"]),
                is_default_password=item["is_default_password"],
                is_risk_password=item["is_risk_password"],
            )
            for item in data["accounts"]
        }
        self.channels = {
            item["id"]: Channel(
                id=item["id"],
                name=item["name"],
                protocol=ChannelProtocol(item["protocol"]),
                address=item["address"],
                port=item["port"],
                username=item["username"],
                password=Password(item["password"]),
                enabled=item["enabled"],
            )
            for item in data["channels"]
        }
        self.recordings = RecordingLog.from_snapshot(data["recordings"])
        self.recovery.load_snapshot(data.get("recovery"))
        self.vendor_support.load_snapshot(data.get("vendor_support"))
        self.log.load_snapshot(data.get("log"))
        self.onvif.load_snapshot(data.get("onvif"))
        # Whatever was recording when the state was saved stopped when the power went.
        self.recordings.stop_all(datetime.fromisoformat(data["saved_at"]))
