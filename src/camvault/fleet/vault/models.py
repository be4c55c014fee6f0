"""Values the vault hands out: secrets (which never print themselves), version metadata, audit entries."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "AuditAction",
    "AuditEntry",
    "ExportLabel",
    "LabelledSecret",
    "Secret",
    "SecretState",
    "SecretVersion",
    "SecretVersionInfo",
    "VaultStatus",
]


class SecretState(enum.StrEnum):
    """Where a secret version is in its life.

    ``staged`` (written before a device is touched) becomes ``current`` when promoted after the device
    accepted it; the previous ``current`` becomes ``retired`` (still readable: an older password can be
    recovered). A staged version that was never used is ``discarded`` (kept, never deleted).
    """

    STAGED = "staged"
    CURRENT = "current"
    RETIRED = "retired"
    DISCARDED = "discarded"


@dataclass(frozen=True, slots=True)
class Secret:
    """A device credential in clear: handle with care.

    Neither field appears in ``repr()`` or ``str()``; read the attributes explicitly.
    """

    username: str = field(repr=False)
    password: str = field(repr=False)

    def __str__(self) -> str:
        return "Secret(<hidden>)"


@dataclass(frozen=True, slots=True)
class SecretVersionInfo:
    """Metadata of one secret version; no plaintext.

    Attributes:
        ref: the stable reference the inventory holds (e.g. ``cred:<uuid>``).
        version: 1, 2, 3, ... per reference.
        state: the life-cycle state.
        note: free text stored *in clear* (e.g. "rotation run 12"); never put a secret in it.
        created_at: when the version was staged.
        created_by: the OS user who staged it.
        state_changed_at: when the state last changed.
    """

    ref: str
    version: int
    state: SecretState
    note: str
    created_at: datetime
    created_by: str
    state_changed_at: datetime


@dataclass(frozen=True, slots=True)
class SecretVersion:
    """One decrypted secret version: its metadata and the secret."""

    info: SecretVersionInfo
    secret: Secret

    @property
    def ref(self) -> str:
        """The reference of the secret."""
        return self.info.ref

    @property
    def version(self) -> int:
        """The version number."""
        return self.info.version

    @property
    def state(self) -> SecretState:
        """The life-cycle state."""
        return self.info.state


class AuditAction(enum.StrEnum):
    """What the vault audit log records."""

    INIT = "init"
    UNLOCK_FAILED = "unlock_failed"
    REVEAL = "reveal"
    EXPORT = "export"
    IMPORT = "import"
    PASSPHRASE_CHANGE = "passphrase_change"  # noqa: S105 - an action name, not a password


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit-log row: who did what, when, to which reference; never the secret."""

    id: int
    at: datetime
    actor: str
    action: AuditAction
    ref: str | None
    detail: str


@dataclass(frozen=True, slots=True)
class VaultStatus:
    """What can be said about a vault without its passphrase.

    Attributes:
        vault_id: the vault's random id.
        created_at: when the vault was initialised.
        passphrase_changed_at: when the passphrase was last set.
        kdf: the Argon2id parameters, e.g. ``"argon2id v19 t=3 m=65536KiB p=4"``.
        refs: how many references hold at least one version.
        versions: how many versions exist in each state.
        failed_unlocks: how many failed unlock attempts the audit log holds.
        last_failed_unlock: when the latest one happened, if any.
        recent: the newest audit entries, newest first.
    """

    vault_id: str
    created_at: datetime
    passphrase_changed_at: datetime
    kdf: str
    refs: int
    versions: dict[SecretState, int]
    failed_unlocks: int
    last_failed_unlock: datetime | None
    recent: list[AuditEntry]


@dataclass(frozen=True, slots=True)
class ExportLabel:
    """Non-secret facts about the device a credential belongs to, for exports (the inventory supplies them).

    Attributes:
        title: the entry title (the device's name); the reference when empty.
        address: the device's address.
        url: the device's web address; ``http://<address>/`` when empty and an address is known.
        model: the device model.
        serial: the serial number.
        mac: the MAC address.
        notes: free text.
    """

    title: str = ""
    address: str = ""
    url: str = ""
    model: str = ""
    serial: str = ""
    mac: str = ""
    notes: str = ""


@dataclass(frozen=True, slots=True)
class LabelledSecret:
    """A current secret with its reference and labels: one exported entry."""

    ref: str
    secret: Secret
    label: ExportLabel = field(default_factory=ExportLabel)
