"""ISAPI ``/Security`` handlers: users, login probes, sessions, the lock, capabilities (research notes §4-§9).

Users (§4): ``GET`` lists (an Administrator sees every account, others only themselves), ``POST`` adds,
``PUT /users/<id>`` modifies, ``DELETE /users/<id>`` deletes. Passwords are write-only. ``loginPassword``
(the actor's current password) is required on ``security=1`` requests, on every modification by firmware
that always asks, and whenever users change their own password; with ``security=1`` the ``userName``,
``password`` and ``loginPassword`` fields are encrypted (§4.2, WebSDK's field list).
"""

from __future__ import annotations

from camvault.device.http import Response
from camvault.device.isapi.call import KEY_ITERATIONS, Call
from camvault.device.model import Account
from camvault.device.model import UserLevel as ModelLevel
from camvault.device.model.recovery import recovery_supported
from camvault.errors import DeviceRefusal
from camvault.protocols.isapi import session_login as session_proof
from camvault.protocols.isapi.documents import (
    AdminAccessProtocol,
    AdminAccessProtocolList,
    IllegalLoginLock,
    IntRange,
    OnlineUser,
    OnlineUserList,
    SecurityCap,
    SessionLoginCap,
    SessionLoginRequest,
    SessionLoginResult,
    User,
    UserCheck,
    UserLevel,
    UserList,
)
from camvault.protocols.isapi.documents import LockStatus as LockWord

__all__ = [
    "SESSION_COOKIE",
    "add_user",
    "admin_accesses",
    "delete_user",
    "get_illegal_login_lock",
    "get_user",
    "list_users",
    "modify_user",
    "online_users",
    "put_illegal_login_lock",
    "security_capabilities",
    "session_heartbeat",
    "session_login",
    "session_login_capabilities",
    "session_logout",
    "user_check",
]

SESSION_ID_VERSION = "2"
SESSION_COOKIE = "WebSession"


# ------------------------------------------------------------------ users (§4)


def _user_document(call: Call, account: Account) -> User:
    return User(
        id=account.id,
        user_name=call.encrypt(account.name),
        enabled=account.enabled,
        user_level=UserLevel(account.level.value),
        user_operate_type=1,
    )


def _visible(call: Call) -> list[Account]:
    actor = call.actor
    if actor.level is ModelLevel.ADMINISTRATOR:
        return call.model.users()
    return [actor]


def _user_id(call: Call, raw: str) -> int:
    if not raw.isdigit() or len(raw) > 4:
        raise DeviceRefusal("badParameters", "a user id is a number")
    return int(raw)


def list_users(call: Call) -> Response:
    """``GET /ISAPI/Security/users``."""
    return call.reply(UserList(users=tuple(_user_document(call, account) for account in _visible(call))))


def get_user(call: Call, raw_id: str) -> Response:
    """``GET /ISAPI/Security/users/<id>``."""
    user_id = _user_id(call, raw_id)
    account = next((a for a in _visible(call) if a.id == user_id), None)
    if account is None:
        raise DeviceRefusal(
            "lowPrivilege" if user_id in call.model.accounts else "invalidOperation", "no such user"
        )
    return call.reply(_user_document(call, account))


def _level(document: User) -> ModelLevel | None:
    return ModelLevel(document.user_level.value) if document.user_level is not None else None


def _login_password_required(call: Call) -> bool:
    return call.security or call.model.firmware.always_requires_login_password


def add_user(call: Call) -> Response:
    """``POST /ISAPI/Security/users``: add one user (the new id is found by listing, as QB60 does)."""
    document = call.document(User)
    name = call.decrypt(document.user_name) or ""
    password = call.decrypt(document.password)
    if not password:
        raise DeviceRefusal("badParameters", "a new user needs a password")
    call.model.add_user(
        call.actor,
        name=name,
        password=password,
        level=_level(document) or ModelLevel.VIEWER,
        enabled=document.enabled if document.enabled is not None else True,
        user_id=document.id,
        login_password=call.decrypt(document.login_password),
        login_password_required=call.security,
    )
    return call.ok()


def modify_user(call: Call, raw_id: str) -> Response:
    """``PUT /ISAPI/Security/users/<id>``: change name, level, state or password."""
    user_id = _user_id(call, raw_id)
    document = call.document(User)
    if document.id is not None and document.id != user_id:
        raise DeviceRefusal("badParameters", "the id in the body does not match the URL")
    name = call.decrypt(document.user_name)
    call.model.modify_user(
        call.actor,
        user_id,
        name=name,
        password=call.decrypt(document.password),
        level=_level(document),
        enabled=document.enabled,
        login_password=call.decrypt(document.login_password),
        login_password_required=_login_password_required(call) and document.password is not None,
        keep_session=call.session_id,
    )
    return call.ok()


def delete_user(call: Call, raw_id: str) -> Response:
    """``DELETE /ISAPI/Security/users/<id>[?loginPassword=...]`` (§4.1)."""
    user_id = _user_id(call, raw_id)
    login_password = call.decrypt(call.request.query.get("loginPassword"))
    call.model.delete_user(
        call.actor, user_id, login_password=login_password, login_password_required=call.security
    )
    return call.ok()


# ------------------------------------------------------------------ probes and sessions (§6)


def user_check(call: Call) -> Response:
    """``GET /ISAPI/Security/userCheck``: 200 with the password flags for valid credentials (§6.1)."""
    account = call.actor
    return call.reply(
        UserCheck(
            status_value=200,
            status_string="OK",
            is_default_password=account.is_default_password,
            is_risk_password=account.is_risk_password,
            is_activated=call.model.activated,
        )
    )


def session_login_capabilities(call: Call) -> Response:
    """``GET /ISAPI/Security/sessionLogin/capabilities?username=...``: a challenge, no authentication."""
    username = call.request.query.get("username", "")
    if not 1 <= len(username) <= 32:
        raise DeviceRefusal("badParameters", "username is required")
    challenge = call.model.begin_session_login(username)
    return call.reply(
        SessionLoginCap(
            session_id=challenge.session_id,
            challenge=challenge.challenge,
            iterations=KEY_ITERATIONS,
            is_irreversible=True,
            salt=call.model.identity.salt,
            session_id_version=SESSION_ID_VERSION,
            is_session_id_valid_long_term=False,
        )
    )


def session_login(call: Call) -> Response:
    """``POST /ISAPI/Security/sessionLogin``: check the proof of §6.2, open a session, set its cookie.

    The cookie is ``WebSession=<id>`` (§6.2), ``HttpOnly`` and ``SameSite=Strict``, path ``/``.
    """
    request = call.document(SessionLoginRequest)
    salt = call.model.identity.salt

    def valid(account: Account, challenge: object) -> bool:
        irreversible = account.password.irreversible_hash(account.name, salt)
        return session_proof.verify_proof(
            request.password,
            irreversible_hash=irreversible,
            challenge=getattr(challenge, "challenge", ""),
            iterations=KEY_ITERATIONS,
        )

    outcome, session = call.model.complete_session_login(
        request.session_id, request.user_name, call.request.peer, valid
    )
    if session is None or outcome.account is None:
        lock = outcome.lock
        result = SessionLoginResult(
            status_value=401,
            status_string="Unauthorized",
            lock_status=LockWord.LOCKED if lock.locked else LockWord.UNLOCK,
            unlock_time=lock.remaining_seconds,
            retry_login_time=lock.attempts_left,
        )
        return call.reply(result, status=401)
    account = outcome.account
    result = SessionLoginResult(
        status_value=200,
        status_string="OK",
        is_default_password=account.is_default_password,
        is_risk_password=account.is_risk_password,
        is_activated=True,
    )
    response = call.reply(result)
    response.headers.append(
        ("Set-Cookie", f"{SESSION_COOKIE}={session.session_id}; Path=/; HttpOnly; SameSite=Strict")
    )
    return response


def session_heartbeat(call: Call) -> Response:
    """``PUT /ISAPI/Security/sessionHeartbeat``: authentication already refreshed the session."""
    if call.session_id is None:
        raise DeviceRefusal("badAuthorization", "the heartbeat needs a session")
    return call.ok()


def session_logout(call: Call) -> Response:
    """``PUT /ISAPI/Security/sessionLogout``."""
    if call.session_id is not None:
        call.model.end_session(call.session_id)
    return call.ok()


def online_users(call: Call) -> Response:
    """``GET /ISAPI/Security/onlineUser`` (§4.5): the open web sessions."""
    call.require_administrator()
    sessions = call.model.sessions.live(call.model.monotonic())
    users = tuple(
        OnlineUser(
            id=65536 + index,
            name=session.username,
            type="admin" if session.user_id == 1 else "user",
            login_time=session.login_time,
            ip_address=session.source,
        )
        for index, session in enumerate(sessions)
    )
    return call.reply(OnlineUserList(users=users))


# ------------------------------------------------------------------ lock and capabilities (§4.5, §8)


def get_illegal_login_lock(call: Call) -> Response:
    """``GET /ISAPI/Security/illegalLoginLock``."""
    call.require_administrator()
    lock = call.model.settings.lock
    return call.reply(
        IllegalLoginLock(
            enabled=lock.enabled,
            max_illegal_login_times=lock.max_attempts,
            max_illegal_login_lock_time=lock.lock_seconds,
        )
    )


def put_illegal_login_lock(call: Call) -> Response:
    """``PUT /ISAPI/Security/illegalLoginLock``: any of the three fields."""
    call.require_administrator()
    document = call.document(IllegalLoginLock)
    call.model.set_lock_settings(
        enabled=document.enabled,
        max_attempts=document.max_illegal_login_times,
        lock_seconds=document.max_illegal_login_lock_time,
    )
    return call.ok()


def security_capabilities(call: Call) -> Response:
    """``GET /ISAPI/Security/capabilities`` (§4.5)."""
    model = call.model
    return call.reply(
        SecurityCap(
            support_user_nums=model.identity.max_users,
            issup_illegal_login_lock=True,
            is_support_online_user=True,
            # security=1 field encryption came with V5.5-era firmware; older devices take plaintext (§6.3).
            security_version=(1,) if not model.firmware.accepts_basic_auth else None,
            key_iterate_num=KEY_ITERATIONS,
            is_support_user_check=True,
            is_support_onvif_user_management=True,
            is_support_config_file_import=True,
            is_support_config_file_export=True,
            is_support_security_question_config=recovery_supported(model.firmware),
            is_support_security_email=False,
            login_password_length=IntRange(8, 16),
            security_answer_length=IntRange(1, 128),
            cfg_file_secret_key_length=IntRange(0, 32),
            is_irreversible=True,
            salt=model.identity.salt,
            is_support_guid_file_data_export=recovery_supported(model.firmware),
        )
    )


def admin_accesses(call: Call) -> Response:
    """``GET /ISAPI/Security/adminAccesses`` (§4.5): the ports the device serves."""
    port = call.request.local[1]
    return call.reply(
        AdminAccessProtocolList(
            protocols=(
                AdminAccessProtocol(id=1, protocol="HTTP", port_no=port, enabled=True),
                AdminAccessProtocol(id=2, protocol="HTTPS", port_no=443, enabled=False),
                AdminAccessProtocol(id=3, protocol="DEV_MANAGE", port_no=8000, enabled=False),
            )
        )
    )
