"""ONVIF accounts and settings of the emulated device (research ``onvif.md`` §1.3-§1.6, ``hikvision.md`` §4.5).

Two account models exist in the field, and the emulator has both:

* **Hikvision** keeps ONVIF users apart from its web users and ships with ONVIF switched off: the owner
  enables ONVIF and adds ONVIF users (up to 32, levels *media user*, *operator*, *administrator*) under
  *Network > Advanced Settings > Integration Protocol*, i.e. ``/ISAPI/System/Network/Integrate`` and
  ``/ISAPI/Security/ONVIF/users`` (Hikvision camera user manual, "Note: ONVIF user account is different from
  the camera user account"; securitycamcenter.com "Enable ONVIF on Hikvision cameras": disabled by default
  since V5.5.0). Their list lives in :class:`OnvifState` (``DeviceModel.onvif``); the switch is
  ``DeviceSettings.onvif_enabled``.
* A **generic ONVIF camera** (another vendor, no ISAPI) has one account store for ONVIF, HTTP Digest and RTSP,
  as ONVIF Core requires ("the same set of credentials shall be used", §1.6): its ONVIF users *are*
  ``DeviceModel.accounts``, the factory ``admin`` being a fixed user (it cannot be deleted nor change level).
  ONVIF's Administrator, Operator and User map to the model's Administrator, Operator and Viewer.

The user operations apply ONVIF Core's semantics (§1.3): all-or-nothing, duplicate names in one request
refused, no user at the Anonymous level, fixed users, and the fault of the first offending item. They raise
:class:`~camvault.errors.DeviceRefusal` whose ``reason`` is the innermost ONVIF subcode (:class:`Refusal`),
which the SOAP front end turns into the fault and the ISAPI front end into a ``subStatusCode``.

Password rules: a Hikvision device applies its own policy (8-16 characters, not risky, §9) to ONVIF users too
(the web UI shows the same strength meter there [I]); the generic camera applies
:data:`camvault.passwords.ONVIF_DEVICE` (1-64 characters). User names: 1-32 printable characters without
spaces and without the characters the device refuses in web user names (which keeps names usable in URLs
and Digest headers).
"Extended" users (role-based) are not supported and are refused as an invalid argument.

Failed ONVIF logins count in the device's one illegal-login lock (per source address, §8), like ISAPI ones:
:func:`attempt_login` goes through :meth:`DeviceModel.attempt_login` for the generic camera, and applies the
same rules to the separate list on a Hikvision device. A factory reset clears the separate list and the
authentication setting, in both modes ("User settings of ONVIF are cleared when you restore the camera",
Hikvision camera user manual p. 82).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from camvault.device.model.accounts import ADMIN_ID, Account, Password, UserLevel
from camvault.device.model.identity import Kind
from camvault.device.model.lockout import LockStatus
from camvault.errors import DeviceRefusal, PasswordRejected
from camvault.passwords import HIKVISION_DEVICE, ONVIF_DEVICE, PasswordPolicy

if TYPE_CHECKING:
    from camvault.device.model.device import DeviceModel

__all__ = [
    "HIKVISION_MAX_ONVIF_USERS",
    "MAX_USER_NAME_LENGTH",
    "CertificateType",
    "OnvifLevel",
    "OnvifLimits",
    "OnvifLogin",
    "OnvifState",
    "OnvifUser",
    "Refusal",
    "UserUpdate",
    "attempt_login",
    "create_users",
    "delete_users",
    "find_user",
    "limits",
    "list_users",
    "put_user",
    "set_users",
    "shares_accounts",
]

HIKVISION_MAX_ONVIF_USERS = 32
""""Add ONVIF users. Up to 32 users are allowed." (Hikvision camera user manual, Integration Protocol)."""
MAX_USER_NAME_LENGTH = 32
_FORBIDDEN_NAME_CHARACTERS = frozenset("<>&'\"/\\:;|*? ")


class OnvifLevel(StrEnum):
    """``tt:UserLevel`` (onvif.xsd)."""

    ADMINISTRATOR = "Administrator"
    OPERATOR = "Operator"
    USER = "User"
    ANONYMOUS = "Anonymous"
    EXTENDED = "Extended"


_TO_MODEL = {
    OnvifLevel.ADMINISTRATOR: UserLevel.ADMINISTRATOR,
    OnvifLevel.OPERATOR: UserLevel.OPERATOR,
    OnvifLevel.USER: UserLevel.VIEWER,
}
_FROM_MODEL = {model: onvif for onvif, model in _TO_MODEL.items()}


class CertificateType(StrEnum):
    """Which authentication the ONVIF service accepts: ``Integrate/ONVIF/certificateType``.

    The three values are the ones a public ISAPI client writes (``"digest" or "digest/WSSE" or "WSSE"``).
    The factory value is not documented; ``digest/WSSE`` (both) is our choice, being what ONVIF Core asks of
    a device that supports both schemes [I].
    """

    DIGEST = "digest"
    DIGEST_WSSE = "digest/WSSE"
    WSSE = "WSSE"

    @property
    def accepts_digest(self) -> bool:
        """Whether HTTP Digest is accepted."""
        return self is not CertificateType.WSSE

    @property
    def accepts_username_token(self) -> bool:
        """Whether a WS-Security UsernameToken is accepted."""
        return self is not CertificateType.DIGEST


class Refusal(StrEnum):
    """Why a user operation was refused: the innermost ONVIF fault subcode (Core.xml tables, §1.3)."""

    USERNAME_CLASH = "UsernameClash"
    USERNAME_TOO_LONG = "UsernameTooLong"
    USERNAME_TOO_SHORT = "UsernameTooShort"
    USERNAME_MISSING = "UsernameMissing"
    PASSWORD_TOO_LONG = "PasswordTooLong"  # noqa: S105 - a fault name, not a password
    PASSWORD_TOO_WEAK = "PasswordTooWeak"  # noqa: S105 - a fault name, not a password
    TOO_MANY_USERS = "TooManyUsers"
    ANONYMOUS_NOT_ALLOWED = "AnonymousNotAllowed"
    FIXED_USER = "FixedUser"
    INVALID_ARG_VAL = "InvalidArgVal"


@dataclass(frozen=True, slots=True)
class OnvifUser:
    """An ONVIF user as the device service sees it.

    Attributes:
        id: the user's number (the ISAPI ``id`` on Hikvision, the account id on a generic camera).
        name: the user name.
        level: Administrator, Operator or User.
        password: the password (never in a repr).
        fixed: a user that cannot be deleted nor change level.
        enabled: a disabled account cannot log in (generic camera accounts only).
    """

    id: int
    name: str
    level: OnvifLevel
    password: Password
    fixed: bool = False
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class UserUpdate:
    """One ``tds:User`` of a CreateUsers or SetUser request.

    Attributes:
        name: ``tt:Username``.
        level: ``tt:UserLevel``.
        password: ``tt:Password``; ``None`` when the element is absent. Never in a repr.
    """

    name: str
    level: OnvifLevel
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class OnvifLimits:
    """What the device accepts, as ``GetServiceCapabilities`` reports it (``tds:SecurityCapabilities``).

    Attributes:
        max_users: ``MaxUsers``.
        max_name_length: ``MaxUserNameLength``.
        max_password_length: ``MaxPasswordLength``.
        policy: the password policy applied to new passwords.
    """

    max_users: int
    max_name_length: int
    max_password_length: int
    policy: PasswordPolicy


@dataclass(frozen=True, slots=True)
class OnvifLogin:
    """The outcome of one ONVIF login attempt.

    Attributes:
        ok: whether the credential was accepted.
        locked: whether the source is locked out (the attempt was refused, or this failure locked it).
        lock: the lock status of the source after the attempt.
        user: the authenticated user on success.
    """

    ok: bool
    locked: bool
    lock: LockStatus
    user: OnvifUser | None = None


class OnvifState:
    """A Hikvision device's ONVIF-only state: the separate user list and the authentication setting.

    Both are persisted under the snapshot key ``"onvif"`` and cleared by every factory reset.
    """

    def __init__(self) -> None:
        self.users: dict[int, OnvifUser] = {}
        self.certificate_type = CertificateType.DIGEST_WSSE

    def __repr__(self) -> str:
        return f"OnvifState(users={len(self.users)}, certificate_type={self.certificate_type.value!r})"

    def clear(self) -> None:
        """Back to the factory state: no ONVIF users, both authentication schemes."""
        self.users.clear()
        self.certificate_type = CertificateType.DIGEST_WSSE

    def to_snapshot(self) -> dict[str, Any]:
        """JSON-ready state (passwords included: the lab seals snapshots at rest)."""
        return {
            "certificate_type": self.certificate_type.value,
            "users": [
                {"id": user.id, "name": user.name, "level": user.level.value, "password": user.password.value}
                for user in sorted(self.users.values(), key=lambda user: user.id)
            ],
        }

    def load_snapshot(self, data: dict[str, Any] | None) -> None:
        """Load state saved by :meth:`to_snapshot`; ``None`` (a snapshot from before ONVIF) means factory."""
        self.clear()
        if data is None:
            return
        self.certificate_type = CertificateType(data.get("certificate_type", CertificateType.DIGEST_WSSE))
        for item in data.get("users", []):
            user = OnvifUser(
                id=int(item["id"]),
                name=str(item["name"]),
                level=OnvifLevel(item["level"]),
                password=Password(str(item["password"])),
            )
            self.users[user.id] = user


# ------------------------------------------------------------------ the two account stores


def shares_accounts(model: DeviceModel) -> bool:
    """Whether this device's ONVIF users are its ordinary accounts (the generic ONVIF camera)."""
    return model.identity.kind is Kind.ONVIF_CAMERA


def limits(model: DeviceModel) -> OnvifLimits:
    """The limits and password policy of this device's ONVIF users."""
    if shares_accounts(model):
        return OnvifLimits(
            max_users=model.identity.max_users,
            max_name_length=MAX_USER_NAME_LENGTH,
            max_password_length=ONVIF_DEVICE.max_length,
            policy=ONVIF_DEVICE,
        )
    return OnvifLimits(
        max_users=HIKVISION_MAX_ONVIF_USERS,
        max_name_length=MAX_USER_NAME_LENGTH,
        max_password_length=HIKVISION_DEVICE.max_length,
        policy=HIKVISION_DEVICE,
    )


def _from_account(account: Account) -> OnvifUser:
    return OnvifUser(
        id=account.id,
        name=account.name,
        level=_FROM_MODEL[account.level],
        password=account.password,
        fixed=account.id == ADMIN_ID,
        enabled=account.enabled,
    )


def list_users(model: DeviceModel) -> list[OnvifUser]:
    """Every ONVIF user, by id."""
    if shares_accounts(model):
        return [_from_account(account) for account in model.users()]
    return [model.onvif.users[key] for key in sorted(model.onvif.users)]


def find_user(model: DeviceModel, name: str) -> OnvifUser | None:
    """The ONVIF user with this name (case-sensitive), if any."""
    return next((user for user in list_users(model) if user.name == name), None)


def _refuse(reason: Refusal, message: str) -> DeviceRefusal:
    return DeviceRefusal(reason.value, message)


def _check_name(name: str, rules: OnvifLimits) -> None:
    if not name:
        raise _refuse(Refusal.USERNAME_TOO_SHORT, "a user name cannot be empty")
    if len(name) > rules.max_name_length:
        raise _refuse(
            Refusal.USERNAME_TOO_LONG, f"user names have at most {rules.max_name_length} characters"
        )
    if not name.isprintable() or _FORBIDDEN_NAME_CHARACTERS.intersection(name):
        raise _refuse(Refusal.INVALID_ARG_VAL, "user names cannot contain spaces or <>&'\"/\\:;|*?")


def _check_level(level: OnvifLevel) -> None:
    if level is OnvifLevel.ANONYMOUS:
        raise _refuse(Refusal.ANONYMOUS_NOT_ALLOWED, "users cannot be created at the Anonymous level")
    if level is OnvifLevel.EXTENDED:
        raise _refuse(Refusal.INVALID_ARG_VAL, "Extended (role-based) users are not supported")


def _check_password(password: str | None, name: str, rules: OnvifLimits) -> str:
    # CreateUsers: "If password is missing, then fault message Too weak password is returned"; SetUser: an
    # omitted password means clearing it, and a device that cannot take an empty password says PasswordTooWeak.
    if not password:
        raise _refuse(Refusal.PASSWORD_TOO_WEAK, "the password is missing or empty")
    if len(password) > rules.max_password_length:
        raise _refuse(
            Refusal.PASSWORD_TOO_LONG, f"passwords have at most {rules.max_password_length} characters"
        )
    try:
        rules.policy.check(password, name)
    except PasswordRejected as exc:
        reason = Refusal.PASSWORD_TOO_LONG if exc.reason == "too_long" else Refusal.PASSWORD_TOO_WEAK
        raise _refuse(reason, str(exc)) from None
    return password


def _no_duplicates(names: Iterable[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise _refuse(Refusal.INVALID_ARG_VAL, "a user name appears twice in one request")
        seen.add(name)


def create_users(model: DeviceModel, requests: Sequence[UserUpdate]) -> list[OnvifUser]:
    """``CreateUsers``: create every user, or none.

    Returns:
        The users created, in request order.

    Raises:
        DeviceRefusal: with a :class:`Refusal` reason, for the first offending user; nothing changed.
    """
    if not requests:
        raise _refuse(Refusal.INVALID_ARG_VAL, "CreateUsers needs at least one user")
    rules = limits(model)
    existing = {user.name for user in list_users(model)}
    seen: set[str] = set()
    for request in requests:
        _check_name(request.name, rules)
        if request.name in existing or request.name in seen:
            raise _refuse(Refusal.USERNAME_CLASH, "a user with that name already exists")
        seen.add(request.name)
        _check_level(request.level)
        _check_password(request.password, request.name, rules)
    if len(existing) + len(requests) > rules.max_users:
        raise _refuse(Refusal.TOO_MANY_USERS, f"the device supports at most {rules.max_users} users")
    created = [_add(model, request.name, request.level, request.password or "") for request in requests]
    model.revision += 1
    return created


def delete_users(model: DeviceModel, names: Sequence[str]) -> None:
    """``DeleteUsers``: delete every named user, or none.

    Raises:
        DeviceRefusal: ``UsernameMissing`` (unknown), ``FixedUser``, ``InvalidArgVal`` (duplicate or empty).
    """
    if not names:
        raise _refuse(Refusal.INVALID_ARG_VAL, "DeleteUsers needs at least one user name")
    _no_duplicates(names)
    targets = []
    for name in names:
        user = find_user(model, name)
        if user is None:
            raise _refuse(Refusal.USERNAME_MISSING, "no user has that name")
        if user.fixed:
            raise _refuse(Refusal.FIXED_USER, "that user cannot be deleted")
        targets.append(user)
    for user in targets:
        _remove(model, user)
    model.revision += 1


def set_users(model: DeviceModel, requests: Sequence[UserUpdate]) -> None:
    """``SetUser``: change the password and level of every named user, or of none.

    Raises:
        DeviceRefusal: ``UsernameMissing``, ``AnonymousNotAllowed``, ``FixedUser`` (a fixed user's level),
            ``PasswordTooWeak`` (missing or weak), ``PasswordTooLong``, ``InvalidArgVal``.
    """
    if not requests:
        raise _refuse(Refusal.INVALID_ARG_VAL, "SetUser needs at least one user")
    _no_duplicates(request.name for request in requests)
    rules = limits(model)
    changes: list[tuple[OnvifUser, UserUpdate, str]] = []
    for request in requests:
        user = find_user(model, request.name)
        if user is None:
            raise _refuse(Refusal.USERNAME_MISSING, "no user has that name")
        _check_level(request.level)
        if user.fixed and request.level is not user.level:
            raise _refuse(Refusal.FIXED_USER, "the level of that user cannot change")
        changes.append((user, request, _check_password(request.password, request.name, rules)))
    for user, request, password in changes:
        _update(model, user, request.level, password)
    model.revision += 1


def put_user(
    model: DeviceModel, user_id: int, *, name: str, level: OnvifLevel, password: str | None
) -> OnvifUser:
    """Create or replace the separate-list user with this id (Hikvision's ``PUT .../ONVIF/users/<id>``).

    A new user needs a password; an existing one keeps its password when ``password`` is ``None`` and may be
    renamed. Only for devices with a separate ONVIF list.

    Raises:
        DeviceRefusal: as :func:`create_users`, and ``InvalidArgVal`` for an id outside 1 to the maximum or
            a device whose ONVIF users are its accounts.
    """
    rules = limits(model)
    if shares_accounts(model) or not 1 <= user_id <= rules.max_users:
        raise _refuse(Refusal.INVALID_ARG_VAL, f"ONVIF user ids are 1-{rules.max_users}")
    existing = model.onvif.users.get(user_id)
    _check_name(name, rules)
    if any(user.name == name and user.id != user_id for user in model.onvif.users.values()):
        raise _refuse(Refusal.USERNAME_CLASH, "a user with that name already exists")
    _check_level(level)
    if existing is None or password is not None:
        stored = Password(_check_password(password, name, rules))
    else:
        stored = existing.password
    if existing is None and len(model.onvif.users) >= rules.max_users:
        raise _refuse(Refusal.TOO_MANY_USERS, f"the device supports at most {rules.max_users} users")
    user = OnvifUser(user_id, name, level, stored)
    model.onvif.users[user_id] = user
    model.revision += 1
    return user


# ------------------------------------------------------------------ store primitives


def _add(model: DeviceModel, name: str, level: OnvifLevel, password: str) -> OnvifUser:
    if shares_accounts(model):
        account_id = next(candidate for candidate in range(2, 1000) if candidate not in model.accounts)
        account = Account(account_id, name, _TO_MODEL[level], True, Password(""), model.now())
        account.set_password(password, model.now(), factory_default=model.factory_password)
        model.accounts[account_id] = account
        return _from_account(account)
    user_id = next(candidate for candidate in range(1, 1000) if candidate not in model.onvif.users)
    user = OnvifUser(user_id, name, level, Password(password))
    model.onvif.users[user_id] = user
    return user


def _remove(model: DeviceModel, user: OnvifUser) -> None:
    if shares_accounts(model):
        del model.accounts[user.id]
        model.sessions.close_where(lambda session: session.user_id == user.id)
    else:
        del model.onvif.users[user.id]


def _update(model: DeviceModel, user: OnvifUser, level: OnvifLevel, password: str) -> None:
    if shares_accounts(model):
        account = model.accounts[user.id]
        account.level = _TO_MODEL[level]
        if not account.password.matches(password):
            account.set_password(password, model.now(), factory_default=model.factory_password)
            model.sessions.close_where(lambda session: session.user_id == user.id)
        return
    model.onvif.users[user.id] = OnvifUser(user.id, user.name, level, Password(password))


# ------------------------------------------------------------------ authentication


def attempt_login(
    model: DeviceModel, username: str, source: str, verify: Callable[[OnvifUser], bool]
) -> OnvifLogin:
    """Apply the device's login rules to an ONVIF credential.

    Args:
        model: the device.
        username: the user name the client claims.
        source: the client's address (the lock counts per address).
        verify: checks the scheme's proof (UsernameToken digest, HTTP Digest response) against a user.

    Returns:
        The outcome. A failure counts against ``source`` in the device's illegal-login lock, shared with
        ISAPI; while locked even a right credential is refused and restarts the lock time (§8).
    """
    if shares_accounts(model):
        outcome = model.attempt_login(username, source, lambda account: verify(_from_account(account)))
        user = _from_account(outcome.account) if outcome.ok and outcome.account is not None else None
        return OnvifLogin(user is not None, outcome.lock.locked, outcome.lock, user)
    now = model.monotonic()
    tracker = model.lock
    if tracker.is_locked(source, now):
        status = tracker.touch_locked(source, now)
        return OnvifLogin(False, True, status)
    user = find_user(model, username)
    if user is None or not verify(user):
        status = tracker.record_failure(source, now)
        return OnvifLogin(False, status.locked, status)
    tracker.record_success(source)
    return OnvifLogin(True, False, tracker.status(source, now), user)
