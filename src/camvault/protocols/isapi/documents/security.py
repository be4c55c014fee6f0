"""Security documents: users, login probes and sessions, lockout, capabilities, password-reset data.

Sources (research notes ``hikvision.md``): §4.2-§4.5 (``XML_User`` from SDK-INFO; the OBS captures of
``UserList``, ``OnlineUserList``, ``AdminAccessProtocolList`` and ``SecurityCap``; QB60's request
shapes), §6.1-§6.2 (``userCheck`` OBS capture and failure fields; ``SessionLoginCap``/``SessionLogin``),
§8 (``IllegalLoginLock`` OBS capture), §12 (extern capabilities, security questions, ``LoginPassword``).
The OBS captures are an unattributed public "Security APIs … Observed Response" note from a real
camera (``isapi.org`` namespace), found again with the code search. The code search also showed
``sessionIDVersion`` values such as ``2.1`` (AX PRO, ``hikvision.com`` namespace), so it is kept as text,
and the vendor guide naming the extended capabilities ``XML_externSecurityCap`` (hence its root).

Write-only fields (``password``, ``loginPassword``, answers) are kept out of ``repr`` and are rendered
only when set: request documents carry them; a device building a reply must leave them unset (see
:meth:`User.redacted`), because real firmware never returns a password.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import ClassVar, Self
from xml.etree.ElementTree import Element

from camvault.errors import InvalidContent
from camvault.protocols import xml
from camvault.protocols.isapi.documents._base import (
    IntRange,
    LockStatus,
    int_options,
    leaf,
    optional_enum,
    range_at,
    range_node,
    required_text,
)

__all__ = [
    "ANSWER_LENGTH",
    "AdminAccessProtocol",
    "AdminAccessProtocolList",
    "ExternCapabilities",
    "IllegalLoginLock",
    "LoginPassword",
    "OnlineUser",
    "OnlineUserList",
    "QuestionCertification",
    "SecurityCap",
    "SecurityQuestion",
    "SecurityQuestions",
    "SessionLoginCap",
    "SessionLoginRequest",
    "SessionLoginResult",
    "User",
    "UserCheck",
    "UserLevel",
    "UserList",
]

ANSWER_LENGTH = IntRange(1, 128)
"""Plaintext security-answer length (``SecurityAnswerLenLimit min="1" max="128"``, OBS, research §12.2)."""

_WIRE_SECRET_MAX = 1024
"""Bound on a secret field as sent: encrypted forms (``security=1``: hex of AES-CBC) exceed the plaintext."""


class UserLevel(StrEnum):
    """``<userLevel>`` (research §4.2). Parsed case-insensitively; other values are refused."""

    ADMINISTRATOR = "Administrator"
    OPERATOR = "Operator"
    VIEWER = "Viewer"


@dataclass(frozen=True, slots=True)
class User:
    """``XML_User`` (research §4.2): a GET reply, or a PUT/POST request body.

    Attributes:
        user_name: required.
        id: 1 for the built-in admin; absent in QB60's ``POST /ISAPI/Security/users``.
        enabled: optional.
        password: write-only; the new password of a PUT/POST (encrypted under ``security=1``).
        login_password: write-only; the *administrator's* current password, required with ``security``.
        user_operate_type: 1 network user, 2 keypad user, 3 both.
        user_level: the role; absent in QB60's PUT.

    Bond lists, ``keypadPassword`` and ``attribute`` are tolerated and ignored.
    """

    ROOT: ClassVar[str] = "User"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = frozenset({"User"})

    user_name: str
    id: int | None = None
    enabled: bool | None = None
    password: str | None = field(default=None, repr=False)
    login_password: str | None = field(default=None, repr=False)
    user_operate_type: int | None = None
    user_level: UserLevel | None = None

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read a ``<User>``.

        Raises:
            InvalidContent: ``userName`` is missing, or a field is malformed.
        """
        return cls(
            user_name=required_text(element, "userName", max_length=_WIRE_SECRET_MAX),
            id=xml.optional_integer(element, "id", minimum=0, maximum=65535),
            enabled=xml.optional_boolean(element, "enabled"),
            password=xml.optional_text(element, "password", max_length=_WIRE_SECRET_MAX),
            login_password=xml.optional_text(element, "loginPassword", max_length=_WIRE_SECRET_MAX),
            user_operate_type=xml.optional_integer(element, "userOperateType", minimum=1, maximum=3),
            user_level=optional_enum(UserLevel, element, "userLevel"),
        )

    def to_node(self) -> xml.Node:
        """Return ``<User>`` in SDK-INFO order: id, enabled, userName, password, loginPassword, ..."""
        return xml.Node(
            self.ROOT,
            children=(
                leaf("id", self.id),
                leaf("enabled", self.enabled),
                xml.Node("userName", self.user_name),
                leaf("password", self.password),
                leaf("loginPassword", self.login_password),
                leaf("userOperateType", self.user_operate_type),
                leaf("userLevel", None if self.user_level is None else self.user_level.value),
            ),
        )

    def redacted(self) -> User:
        """Return this user without its write-only fields, as a device must reply."""
        return replace(self, password=None, login_password=None)


@dataclass(frozen=True, slots=True)
class UserList:
    """``GET``/``PUT /ISAPI/Security/users`` (research §4.1, OBS capture §4.3)."""

    ROOT: ClassVar[str] = "UserList"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = frozenset({"UserList"})

    users: tuple[User, ...] = ()

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read every ``<User>`` child.

        Raises:
            InvalidContent: a user is malformed.
        """
        return cls(users=tuple(User.from_element(sub) for sub in xml.children(element, "User")))

    def to_node(self) -> xml.Node:
        """Return ``<UserList>`` with one ``<User>`` per user."""
        return xml.Node(self.ROOT, children=tuple(user.to_node() for user in self.users))

    def redacted(self) -> UserList:
        """Return the list without any write-only field."""
        return UserList(tuple(user.redacted() for user in self.users))


def _lock_status(element: Element) -> LockStatus | None:
    raw = xml.optional_text(element, "lockStatus", max_length=16)
    return None if raw is None else LockStatus.parse(raw)


def _user_check_lock_value(status: LockStatus | None) -> str | None:
    # userCheck was seen with the literal "lock" (research §6.1); ResponseStatus uses "locked".
    if status is None:
        return None
    return "lock" if status is LockStatus.LOCKED else status.value


@dataclass(frozen=True, slots=True)
class _LoginReply:
    """The fields ``userCheck`` and the ``<SessionLogin>`` reply share: status, password flags, lock."""

    ROOT: ClassVar[str] = ""

    status_value: int
    status_string: str | None = None
    is_default_password: bool | None = None
    is_risk_password: bool | None = None
    is_activated: bool | None = None
    lock_status: LockStatus | None = None
    unlock_time: int | None = None
    retry_login_time: int | None = None

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read the reply.

        Raises:
            InvalidContent: ``statusValue`` is missing or a field is malformed.
        """
        return cls(
            status_value=xml.integer(element, "statusValue", minimum=0, maximum=999),
            status_string=xml.optional_text(element, "statusString"),
            is_default_password=xml.optional_boolean(element, "isDefaultPassword"),
            is_risk_password=xml.optional_boolean(element, "isRiskPassword"),
            is_activated=xml.optional_boolean(element, "isActivated"),
            lock_status=_lock_status(element),
            unlock_time=xml.optional_integer(element, "unlockTime", minimum=0),
            retry_login_time=xml.optional_integer(element, "retryLoginTime", minimum=0),
        )

    def _lock_word(self) -> str | None:
        return None if self.lock_status is None else self.lock_status.value

    def to_node(self) -> xml.Node:
        """Return the reply: status, password flags, then the failure fields."""
        pairs: list[tuple[str, str | int | bool | None]] = [
            ("statusValue", self.status_value),
            ("statusString", self.status_string),
            ("isDefaultPassword", self.is_default_password),
            ("isRiskPassword", self.is_risk_password),
            ("isActivated", self.is_activated),
            ("lockStatus", self._lock_word()),
            ("unlockTime", self.unlock_time),
            ("retryLoginTime", self.retry_login_time),
        ]
        return xml.Node(self.ROOT, children=xml.nodes(pairs))


@dataclass(frozen=True, slots=True)
class UserCheck(_LoginReply):
    """``GET /ISAPI/Security/userCheck`` reply (research §6.1; note the lower-case root ``userCheck``).

    Success carries ``statusValue`` 200, ``statusString`` and the three password flags (OBS capture).
    Failure carries ``lockStatus``, ``unlockTime`` (seconds) and ``retryLoginTime`` (attempts left;
    OPENLAB model). ``lockStatus`` is read as ``lock`` or ``locked``; it is rendered ``lock``, the
    spelling one client tests for in this document [I: unresolved in the notes].
    """

    ROOT: ClassVar[str] = "userCheck"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = frozenset({"userCheck"})

    def _lock_word(self) -> str | None:
        return _user_check_lock_value(self.lock_status)


@dataclass(frozen=True, slots=True)
class SessionLoginCap:
    """``GET /ISAPI/Security/sessionLogin/capabilities`` reply (research §6.2).

    Rendered in the order of a captured ``std-cgi`` camera reply (``sessionID, challenge, iterations,
    isIrreversible, salt, sessionIDVersion``), with ``salt2`` (AX PRO) after ``salt`` and
    ``isSessionIDValidLongTerm`` last [I]. ``sessionID`` is a session secret and stays out of ``repr``.
    """

    ROOT: ClassVar[str] = "SessionLoginCap"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = frozenset({"SessionLoginCap"})

    session_id: str = field(repr=False)
    challenge: str
    iterations: int
    is_irreversible: bool | None = None
    salt: str | None = None
    salt2: str | None = None
    session_id_version: str | None = None
    is_session_id_valid_long_term: bool | None = None

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read a ``<SessionLoginCap>``.

        Raises:
            InvalidContent: ``sessionID``, ``challenge`` or ``iterations`` is missing or malformed.
        """
        return cls(
            session_id=required_text(element, "sessionID", max_length=256),
            challenge=required_text(element, "challenge", max_length=256),
            iterations=xml.integer(element, "iterations", minimum=1, maximum=100_000),
            is_irreversible=xml.optional_boolean(element, "isIrreversible"),
            salt=xml.optional_text(element, "salt", max_length=256),
            salt2=xml.optional_text(element, "salt2", max_length=256),
            session_id_version=xml.optional_text(element, "sessionIDVersion", max_length=16),
            is_session_id_valid_long_term=xml.optional_boolean(element, "isSessionIDValidLongTerm"),
        )

    def to_node(self) -> xml.Node:
        """Return ``<SessionLoginCap>`` in the captured order."""
        pairs: list[tuple[str, str | int | bool | None]] = [
            ("sessionID", self.session_id),
            ("challenge", self.challenge),
            ("iterations", self.iterations),
            ("isIrreversible", self.is_irreversible),
            ("salt", self.salt),
            ("salt2", self.salt2),
            ("sessionIDVersion", self.session_id_version),
            ("isSessionIDValidLongTerm", self.is_session_id_valid_long_term),
        ]
        return xml.Node(self.ROOT, children=xml.nodes(pairs))


@dataclass(frozen=True, slots=True)
class SessionLoginRequest:
    """``POST /ISAPI/Security/sessionLogin`` body (research §6.2 step 3).

    ``password`` is the 64-hex proof computed from the capabilities; it and ``sessionID`` stay out of
    ``repr``. The optional extras are the ones some clients send (OPENLAB sends all three).
    """

    ROOT: ClassVar[str] = "SessionLogin"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = frozenset({"SessionLogin"})

    user_name: str
    password: str = field(repr=False)
    session_id: str = field(repr=False)
    is_session_id_valid_long_term: bool | None = None
    session_id_version: str | None = None
    is_support_session_tag: bool | None = None

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read a ``<SessionLogin>`` request.

        Raises:
            InvalidContent: ``userName``, ``password`` or ``sessionID`` is missing.
        """
        return cls(
            user_name=required_text(element, "userName", max_length=128),
            password=required_text(element, "password", max_length=_WIRE_SECRET_MAX),
            session_id=required_text(element, "sessionID", max_length=256),
            is_session_id_valid_long_term=xml.optional_boolean(element, "isSessionIDValidLongTerm"),
            session_id_version=xml.optional_text(element, "sessionIDVersion", max_length=16),
            is_support_session_tag=xml.optional_boolean(element, "isSupportSessionTag"),
        )

    def to_node(self) -> xml.Node:
        """Return ``<SessionLogin>`` in the order clients send it."""
        pairs: list[tuple[str, str | int | bool | None]] = [
            ("userName", self.user_name),
            ("password", self.password),
            ("sessionID", self.session_id),
            ("isSessionIDValidLongTerm", self.is_session_id_valid_long_term),
            ("sessionIDVersion", self.session_id_version),
            ("isSupportSessionTag", self.is_support_session_tag),
        ]
        return xml.Node(self.ROOT, children=xml.nodes(pairs))


@dataclass(frozen=True, slots=True)
class SessionLoginResult(_LoginReply):
    """The ``<SessionLogin>`` reply (research §6.2; OPENLAB model, SESS-CN, WEBLOGINPAGE).

    Success: ``statusValue``, ``statusString`` and the password flags (the session id travels in
    ``Set-Cookie``). Failure (HTTP 401): ``retryLoginTime``, or ``lockStatus``/``unlockTime``.
    """

    ROOT: ClassVar[str] = "SessionLogin"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = frozenset({"SessionLogin"})


@dataclass(frozen=True, slots=True)
class IllegalLoginLock:
    """``GET``/``PUT /ISAPI/Security/illegalLoginLock`` (research §8, OBS capture).

    Every field is optional, as in QB60's PUT ``<IllegalLoginLock><enabled>false</enabled>``. The lock
    time is in seconds (default 1800 on the captured camera).
    """

    ROOT: ClassVar[str] = "IllegalLoginLock"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = frozenset({"IllegalLoginLock"})

    enabled: bool | None = None
    max_illegal_login_times: int | None = None
    max_illegal_login_lock_time: int | None = None

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read an ``<IllegalLoginLock>``.

        Raises:
            InvalidContent: a field is not of its type or is negative.
        """
        return cls(
            enabled=xml.optional_boolean(element, "enabled"),
            max_illegal_login_times=xml.optional_integer(element, "maxIllegalLoginTimes", minimum=1),
            max_illegal_login_lock_time=xml.optional_integer(element, "maxIllegalLoginLockTime", minimum=0),
        )

    def to_node(self) -> xml.Node:
        """Return ``<IllegalLoginLock>`` in the captured order."""
        pairs: list[tuple[str, str | int | bool | None]] = [
            ("enabled", self.enabled),
            ("maxIllegalLoginTimes", self.max_illegal_login_times),
            ("maxIllegalLoginLockTime", self.max_illegal_login_lock_time),
        ]
        return xml.Node(self.ROOT, children=xml.nodes(pairs))


@dataclass(frozen=True, slots=True)
class SecurityCap:
    """``GET /ISAPI/Security/capabilities``: the fields the fleet needs (research §4.5, OBS capture).

    The real misspelling ``issupIllegalLoginLock`` is kept. Limits are read from their ``min``/``max``
    attributes (``SecurityLimits/LoginPasswordLenLimit``, ``SecurityLimits/SecurityAnswerLenLimit``,
    ``cfgFileSecretKeyLenLimit``); ``securityVersion`` from its ``opt`` list. Rendered in OBS order, with
    ``isSupportGUIDFileDataExport`` (other firmwares, position unknown) last.
    """

    ROOT: ClassVar[str] = "SecurityCap"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = frozenset({"SecurityCap"})

    support_user_nums: int | None = None
    issup_illegal_login_lock: bool | None = None
    is_support_online_user: bool | None = None
    security_version: tuple[int, ...] | None = None
    key_iterate_num: int | None = None
    is_support_user_check: bool | None = None
    is_support_onvif_user_management: bool | None = None
    is_support_config_file_import: bool | None = None
    is_support_config_file_export: bool | None = None
    is_support_security_question_config: bool | None = None
    is_support_security_email: bool | None = None
    login_password_length: IntRange | None = None
    security_answer_length: IntRange | None = None
    cfg_file_secret_key_length: IntRange | None = None
    is_irreversible: bool | None = None
    salt: str | None = None
    is_support_guid_file_data_export: bool | None = None

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read a ``<SecurityCap>`` (also when nested in ``/ISAPI/System/capabilities``).

        Raises:
            InvalidContent: a field is not of its type, or a limit lacks a bound.
        """
        flag = xml.optional_boolean
        return cls(
            support_user_nums=xml.optional_integer(element, "supportUserNums", minimum=0),
            issup_illegal_login_lock=flag(element, "issupIllegalLoginLock"),
            is_support_online_user=flag(element, "isSupportOnlineUser"),
            security_version=int_options(element, "securityVersion"),
            key_iterate_num=xml.optional_integer(element, "keyIterateNum", minimum=1, maximum=100_000),
            is_support_user_check=flag(element, "isSupportUserCheck"),
            is_support_onvif_user_management=flag(element, "isSupportONVIFUserManagement"),
            is_support_config_file_import=flag(element, "isSupportConfigFileImport"),
            is_support_config_file_export=flag(element, "isSupportConfigFileExport"),
            is_support_security_question_config=flag(element, "isSupportSecurityQuestionConfig"),
            is_support_security_email=flag(element, "isSupportSecurityEmail"),
            login_password_length=range_at(element, "SecurityLimits", "LoginPasswordLenLimit"),
            security_answer_length=range_at(element, "SecurityLimits", "SecurityAnswerLenLimit"),
            cfg_file_secret_key_length=range_at(element, "cfgFileSecretKeyLenLimit"),
            is_irreversible=flag(element, "isIrreversible"),
            salt=xml.optional_text(element, "salt", max_length=256),
            is_support_guid_file_data_export=flag(element, "isSupportGUIDFileDataExport"),
        )

    def to_node(self) -> xml.Node:
        """Return ``<SecurityCap>`` in OBS order."""
        version = None
        if self.security_version is not None:
            options = ",".join(str(number) for number in self.security_version)
            version = xml.Node("securityVersion", attributes=(("opt", options),))
        limits = (
            range_node("LoginPasswordLenLimit", self.login_password_length, text=True),
            range_node("SecurityAnswerLenLimit", self.security_answer_length, text=False),
        )
        present = any(limit is not None for limit in limits)
        security_limits = xml.Node("SecurityLimits", children=limits) if present else None
        return xml.Node(
            self.ROOT,
            children=(
                leaf("supportUserNums", self.support_user_nums),
                leaf("issupIllegalLoginLock", self.issup_illegal_login_lock),
                leaf("isSupportOnlineUser", self.is_support_online_user),
                version,
                leaf("keyIterateNum", self.key_iterate_num),
                leaf("isSupportUserCheck", self.is_support_user_check),
                leaf("isSupportONVIFUserManagement", self.is_support_onvif_user_management),
                leaf("isSupportConfigFileImport", self.is_support_config_file_import),
                leaf("isSupportConfigFileExport", self.is_support_config_file_export),
                leaf("isSupportSecurityQuestionConfig", self.is_support_security_question_config),
                leaf("isSupportSecurityEmail", self.is_support_security_email),
                security_limits,
                range_node("cfgFileSecretKeyLenLimit", self.cfg_file_secret_key_length, text=False),
                leaf("isIrreversible", self.is_irreversible),
                leaf("salt", self.salt),
                leaf("isSupportGUIDFileDataExport", self.is_support_guid_file_data_export),
            ),
        )


@dataclass(frozen=True, slots=True)
class ExternCapabilities:
    """``GET /ISAPI/Security/extern/capabilities``: which reset methods exist (research §12.1).

    Fields from the web UI's ``getPwdResetCap``. The root is ``externSecurityCap`` after the vendor
    guide's message name ``XML_externSecurityCap`` [I: no body captured]; ``ExternSecurityCap`` is read
    too. ``min_reset_admin_password_num`` ≥ 1 means the UI forces one reset method to be configured.
    """

    ROOT: ClassVar[str] = "externSecurityCap"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = frozenset({"externSecurityCap", "ExternSecurityCap"})

    is_support_with_guid_file_data: bool | None = None
    is_support_with_security_question: bool | None = None
    is_support_with_security_email: bool | None = None
    is_support_with_hc_app: bool | None = None
    min_reset_admin_password_num: int | None = None

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read the extended security capabilities.

        Raises:
            InvalidContent: a field is not of its type.
        """
        return cls(
            is_support_with_guid_file_data=xml.optional_boolean(element, "isSupportWithGUIDFileData"),
            is_support_with_security_question=xml.optional_boolean(element, "isSupportWithSecurityQuestion"),
            is_support_with_security_email=xml.optional_boolean(element, "isSupportWithSecurityEmail"),
            is_support_with_hc_app=xml.optional_boolean(element, "isSupportWithHCApp"),
            min_reset_admin_password_num=xml.optional_integer(element, "minResetAdminPassWordNum", minimum=0),
        )

    def to_node(self) -> xml.Node:
        """Return ``<externSecurityCap>`` in the order the web UI reads the fields."""
        pairs: list[tuple[str, str | int | bool | None]] = [
            ("isSupportWithGUIDFileData", self.is_support_with_guid_file_data),
            ("isSupportWithSecurityQuestion", self.is_support_with_security_question),
            ("isSupportWithSecurityEmail", self.is_support_with_security_email),
            ("isSupportWithHCApp", self.is_support_with_hc_app),
            ("minResetAdminPassWordNum", self.min_reset_admin_password_num),
        ]
        return xml.Node(self.ROOT, children=xml.nodes(pairs))


@dataclass(frozen=True, slots=True)
class SecurityQuestion:
    """One ``<Question>``: ``id``, the (write-only) ``answer``, and the GET-side ``mark``.

    ``answer`` is kept out of ``repr``.
    """

    id: int
    answer: str | None = field(default=None, repr=False)
    mark: bool | None = None

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read a ``<Question>``.

        Raises:
            InvalidContent: ``id`` is missing or not a positive integer, or ``answer`` is empty or too
                long for its wire form.
        """
        answer = xml.optional_text(element, "answer", max_length=_WIRE_SECRET_MAX)
        if answer is not None and not answer:
            raise InvalidContent("<answer> is empty", field="answer")
        return cls(
            id=xml.integer(element, "id", minimum=1, maximum=65535),
            answer=answer,
            mark=xml.optional_boolean(element, "mark"),
        )

    def to_node(self) -> xml.Node:
        """Return ``<Question><id/><answer/><mark/></Question>`` (absent fields skipped)."""
        return xml.Node(
            "Question",
            children=(xml.Node("id", self.id), leaf("answer", self.answer), leaf("mark", self.mark)),
        )


def _distinct_ids(questions: Iterable[SecurityQuestion]) -> None:
    seen: set[int] = set()
    for question in questions:
        if question.id in seen:
            raise InvalidContent("security question ids must be distinct", field="id")
        seen.add(question.id)


def _questions(element: Element) -> tuple[SecurityQuestion, ...]:
    container = xml.child(element, "QuestionList")
    if container is None:
        return ()
    return tuple(SecurityQuestion.from_element(sub) for sub in xml.children(container, "Question"))


def _check_answer_lengths(questions: Iterable[SecurityQuestion], limit: IntRange) -> None:
    for question in questions:
        if question.answer is not None and len(question.answer) not in limit:
            raise InvalidContent(
                f"security answer must be {limit.minimum} to {limit.maximum} characters", field="answer"
            )


@dataclass(frozen=True, slots=True)
class SecurityQuestions:
    """``/ISAPI/Security/questionConfiguration`` (research §12.2).

    PUT body (web UI ``setSecurityQA``): ``<SecurityQuestion><QuestionList><Question><id/><answer/>
    </Question>…</QuestionList><password/></SecurityQuestion>`` with the admin's current ``password``
    (write-only, out of ``repr``). GET reply: the same root with ``<mark>true</mark>`` on configured
    questions and no answers. Question ids must be distinct.

    Answer *length* (1-128, ``SecurityAnswerLenLimit``) is a rule on the plaintext: under ``security=1``
    the wire carries hex ciphertext, which is longer. So parsing only bounds the wire form, and
    :meth:`check_answer_lengths` applies the plaintext rule where the plaintext is at hand (the device
    after decrypting, the client before encrypting).
    """

    ROOT: ClassVar[str] = "SecurityQuestion"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = frozenset({"SecurityQuestion"})

    questions: tuple[SecurityQuestion, ...] = ()
    password: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        _distinct_ids(self.questions)

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read the questions and the optional admin password.

        Raises:
            InvalidContent: a question is malformed or two share an id.
        """
        return cls(
            questions=_questions(element),
            password=xml.optional_text(element, "password", max_length=_WIRE_SECRET_MAX),
        )

    def to_node(self) -> xml.Node:
        """Return ``<SecurityQuestion>``: ``QuestionList`` then ``password``."""
        return xml.Node(
            self.ROOT,
            children=(
                xml.Node("QuestionList", children=tuple(q.to_node() for q in self.questions)),
                leaf("password", self.password),
            ),
        )

    def check_answer_lengths(self, limit: IntRange = ANSWER_LENGTH) -> None:
        """Apply the plaintext answer-length rule (the device's ``SecurityAnswerLenLimit``).

        Raises:
            InvalidContent: an answer is outside ``limit`` (the message does not contain the answer).
        """
        _check_answer_lengths(self.questions, limit)


@dataclass(frozen=True, slots=True)
class QuestionCertification:
    """``/ISAPI/Security/questionCertification``: answers checked during a password reset.

    No body was captured (research §12.2, §16.6). Designed like the questionConfiguration PUT body
    without ``password`` [I]: ``<SecurityQuestion><QuestionList><Question><id/><answer/></Question>…
    </QuestionList></SecurityQuestion>``, since the web UI's ``questionAuth`` command encrypts the same
    ``answer`` field. A ``<QuestionCertification>`` root is read too.
    """

    ROOT: ClassVar[str] = "SecurityQuestion"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = frozenset({"SecurityQuestion", "QuestionCertification"})

    questions: tuple[SecurityQuestion, ...] = ()

    def __post_init__(self) -> None:
        _distinct_ids(self.questions)
        for question in self.questions:
            if question.answer is None:
                raise InvalidContent("every certified question needs an answer", field="answer")

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read the answered questions.

        Raises:
            InvalidContent: a question lacks an answer or an id, or two share an id.
        """
        return cls(questions=_questions(element))

    def to_node(self) -> xml.Node:
        """Return ``<SecurityQuestion><QuestionList>…``."""
        return xml.Node(
            self.ROOT,
            children=(xml.Node("QuestionList", children=tuple(q.to_node() for q in self.questions)),),
        )

    def check_answer_lengths(self, limit: IntRange = ANSWER_LENGTH) -> None:
        """Apply the plaintext answer-length rule (see :meth:`SecurityQuestions.check_answer_lengths`).

        Raises:
            InvalidContent: an answer is outside ``limit``.
        """
        _check_answer_lengths(self.questions, limit)


@dataclass(frozen=True, slots=True)
class LoginPassword:
    """``<LoginPassword><password>``: the admin-password check and the GUID-file export body.

    Used by ``/ISAPI/Security/loginPassword`` and ``/ISAPI/Security/GUIDFileData`` (research §12.4,
    §12.5); ``password`` is encrypted under ``security=1`` there and stays out of ``repr``.
    """

    ROOT: ClassVar[str] = "LoginPassword"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = frozenset({"LoginPassword"})

    password: str = field(repr=False)

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read ``<password>``.

        Raises:
            InvalidContent: ``password`` is missing or empty.
        """
        return cls(password=required_text(element, "password", max_length=_WIRE_SECRET_MAX))

    def to_node(self) -> xml.Node:
        """Return ``<LoginPassword><password>``."""
        return xml.Node(self.ROOT, children=(xml.Node("password", self.password),))


_LOGIN_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def _login_time(raw: str) -> datetime:
    try:
        return datetime.strptime(raw, _LOGIN_TIME_FORMAT)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidContent("<loginTime> is not a date-time", field="loginTime") from None


@dataclass(frozen=True, slots=True)
class OnlineUser:
    """One ``<OnlineUser>`` (OBS capture): id, name, type, loginTime (device local time), client IP."""

    id: int
    name: str
    type: str | None = None
    login_time: datetime | None = None
    ip_address: str | None = None

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read an ``<OnlineUser>``; ``loginTime`` as ``YYYY-MM-DD hh:mm:ss`` or ISO 8601.

        Raises:
            InvalidContent: ``id`` or ``name`` is missing, or ``loginTime`` is not a date-time.
        """
        raw_time = xml.optional_text(element, "loginTime", max_length=64)
        return cls(
            id=xml.integer(element, "id", minimum=0),
            name=required_text(element, "name", max_length=128),
            type=xml.optional_text(element, "type", max_length=64),
            login_time=None if raw_time is None else _login_time(raw_time),
            ip_address=xml.optional_text(element, "clientAddress", "ipAddress", max_length=64),
        )

    def to_node(self) -> xml.Node:
        """Return ``<OnlineUser>`` in the captured order."""
        when = None if self.login_time is None else self.login_time.strftime(_LOGIN_TIME_FORMAT)
        address = None
        if self.ip_address is not None:
            address = xml.Node("clientAddress", children=(xml.Node("ipAddress", self.ip_address),))
        return xml.Node(
            "OnlineUser",
            children=(
                xml.Node("id", self.id),
                xml.Node("name", self.name),
                leaf("type", self.type),
                leaf("loginTime", when),
                address,
            ),
        )


@dataclass(frozen=True, slots=True)
class OnlineUserList:
    """``GET /ISAPI/Security/onlineUser`` (research §4.5, OBS capture)."""

    ROOT: ClassVar[str] = "OnlineUserList"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = frozenset({"OnlineUserList"})

    users: tuple[OnlineUser, ...] = ()

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read every ``<OnlineUser>``.

        Raises:
            InvalidContent: an entry is malformed.
        """
        return cls(users=tuple(OnlineUser.from_element(sub) for sub in xml.children(element, "OnlineUser")))

    def to_node(self) -> xml.Node:
        """Return ``<OnlineUserList>``."""
        return xml.Node(self.ROOT, children=tuple(user.to_node() for user in self.users))


@dataclass(frozen=True, slots=True)
class AdminAccessProtocol:
    """One ``<AdminAccessProtocol>`` (OBS): ``protocol`` is ``HTTP``, ``HTTPS``, ``DEV_MANAGE``, ...

    ``enabled`` is absent for ``DEV_MANAGE`` in the capture, so it is optional.
    """

    id: int
    protocol: str
    port_no: int
    enabled: bool | None = None

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read an ``<AdminAccessProtocol>``.

        Raises:
            InvalidContent: ``id``, ``protocol`` or ``portNo`` is missing or malformed.
        """
        return cls(
            id=xml.integer(element, "id", minimum=0),
            protocol=required_text(element, "protocol", max_length=32),
            port_no=xml.integer(element, "portNo", minimum=0, maximum=65535),
            enabled=xml.optional_boolean(element, "enabled"),
        )

    def to_node(self) -> xml.Node:
        """Return ``<AdminAccessProtocol>``: id, enabled, protocol, portNo."""
        return xml.Node(
            "AdminAccessProtocol",
            children=(
                xml.Node("id", self.id),
                leaf("enabled", self.enabled),
                xml.Node("protocol", self.protocol),
                xml.Node("portNo", self.port_no),
            ),
        )


@dataclass(frozen=True, slots=True)
class AdminAccessProtocolList:
    """``GET /ISAPI/Security/adminAccesses`` (research §4.5, OBS capture)."""

    ROOT: ClassVar[str] = "AdminAccessProtocolList"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = frozenset({"AdminAccessProtocolList"})

    protocols: tuple[AdminAccessProtocol, ...] = ()

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read every ``<AdminAccessProtocol>``.

        Raises:
            InvalidContent: an entry is malformed.
        """
        return cls(
            protocols=tuple(
                AdminAccessProtocol.from_element(sub) for sub in xml.children(element, "AdminAccessProtocol")
            )
        )

    def to_node(self) -> xml.Node:
        """Return ``<AdminAccessProtocolList>``."""
        return xml.Node(self.ROOT, children=tuple(entry.to_node() for entry in self.protocols))
