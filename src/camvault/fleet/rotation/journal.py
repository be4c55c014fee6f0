"""The rotation journal: a write-ahead record of every step, committed with the vault change it describes.

One row per (device, account) being rotated moves through this machine; each arrow is one database
transaction that also makes the vault change written beside it::

                 stage new version            device told            new password works
    (nothing) ──────────────────► STAGED ──────────────► APPLYING ───────────────────► CHANGED
                                    │                       │   │                         │ promote new version
                                    │ discard new           │   │ old works,             ▼ (old -> retired)
                                    ▼                       │   │ discard new         PROMOTED
                                 FAILED ◄───────────────────┘   ▼                         │ dependents updated
                            (device refused;              ROLLED_BACK                      ▼ or reported
                             it keeps the old)           (device keeps the old)          DONE
                                                    APPLYING ──► NEEDS_RECOVERY (neither vault password works;
                                                                  the staged version is kept)

The invariant that makes rotation safe: **at every instant the device's password is one the vault holds**:
the current version, or the staged version of an unfinished (or ``needs_recovery``) entry. The password is
staged *before* the device is told (STAGED commits before APPLYING), and promoted only after it is verified
(CHANGED). A crash leaves at most one ambiguous state, APPLYING, which :mod:`camvault.fleet.rotation.engine`
resolves by finding out which of the two passwords the device accepts, within the attempt budget.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Row, and_, insert, select, update

from camvault.errors import JournalError, SecretNotFound
from camvault.fleet.store.schema import (
    UNFINISHED_ROTATION_STATES,
    nvr_channel,
    rotation,
    rotation_dependent,
    rotation_policy,
    rotation_run,
)
from camvault.fleet.vault import Vault

__all__ = [
    "Dependent",
    "DependentState",
    "Journal",
    "RotationEntry",
    "RotationKind",
    "State",
    "known_channels",
    "policies",
    "record_channels",
    "recorders_of",
    "set_policy",
]


class State(StrEnum):
    """Where one rotation stands."""

    STAGED = "staged"
    APPLYING = "applying"
    CHANGED = "changed"
    PROMOTED = "promoted"
    DONE = "done"
    ROLLED_BACK = "rolled_back"
    FAILED = "failed"
    NEEDS_RECOVERY = "needs_recovery"

    @property
    def finished(self) -> bool:
        """Whether nothing more will happen to this rotation on its own."""
        return self.value not in UNFINISHED_ROTATION_STATES


TRANSITIONS: dict[State, frozenset[State]] = {
    State.STAGED: frozenset({State.APPLYING, State.FAILED}),
    State.APPLYING: frozenset({State.CHANGED, State.ROLLED_BACK, State.FAILED, State.NEEDS_RECOVERY}),
    State.CHANGED: frozenset({State.PROMOTED}),
    State.PROMOTED: frozenset({State.DONE}),
    State.NEEDS_RECOVERY: frozenset({State.CHANGED, State.ROLLED_BACK}),
    State.DONE: frozenset(),
    State.ROLLED_BACK: frozenset(),
    State.FAILED: frozenset(),
}
"""Every legal move; anything else is a bug and raises :class:`~camvault.errors.JournalError`."""


class RotationKind(StrEnum):
    """What the rotation does to the device."""

    PASSWORD = "password"  # noqa: S105 - a kind of rotation, not a password
    ACTIVATION = "activation"
    RECOVERY = "recovery"
    """A reset without the old password (security questions, GUID file, vendor code): nothing old to try."""


_NOTE_WORD = {
    RotationKind.PASSWORD: "rotation",
    RotationKind.ACTIVATION: "activation",
    RotationKind.RECOVERY: "recovery",
}
"""How a staged version's vault note names the change (the note is stored in clear: never a secret)."""


class DependentState(StrEnum):
    """Where one dependent (an NVR channel, a secrets file) stands."""

    PENDING = "pending"
    UPDATED = "updated"
    VERIFIED = "verified"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class RotationEntry:
    """One journal row."""

    id: str
    run_id: str
    device_id: str
    username: str
    credential_ref: str
    kind: RotationKind
    from_version: int | None
    to_version: int
    state: State
    attempts: int
    reason: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Dependent:
    """One thing that must learn a rotated password."""

    rotation_id: str
    kind: str
    target: str
    state: DependentState
    reason: str


def _entry(row: Row[Any]) -> RotationEntry:
    values = row._mapping
    return RotationEntry(
        id=values["id"],
        run_id=values["run_id"],
        device_id=values["device_id"],
        username=values["username"],
        credential_ref=values["credential_ref"],
        kind=RotationKind(values["kind"]),
        from_version=values["from_version"],
        to_version=values["to_version"],
        state=State(values["state"]),
        attempts=values["attempts"],
        reason=values["reason"],
        created_at=values["created_at"],
        updated_at=values["updated_at"],
    )


class Journal:
    """Journal operations on the caller's connection; each call is part of the caller's transaction.

    Args:
        vault: the unlocked vault whose versions the journal stages, promotes and discards.
        now: the time source.
    """

    def __init__(self, vault: Vault, now: Callable[[], datetime]) -> None:
        self.vault = vault
        self.now = now

    # ------------------------------------------------------------------ runs

    def start_run(self, conn: Connection, options: dict[str, Any]) -> str:
        """Record the start of a run; returns its id."""
        run_id = str(uuid.uuid4())
        conn.execute(
            insert(rotation_run).values(id=run_id, started_at=self.now(), options=json.dumps(options)[:2000])
        )
        return run_id

    def finish_run(
        self, conn: Connection, run_id: str, outcome: str, *, failed_devices: Sequence[str] = ()
    ) -> None:
        """Record how a run ended, and which devices failed (for ``--retry-failed``)."""
        conn.execute(
            update(rotation_run)
            .where(rotation_run.c.id == run_id)
            .values(
                finished_at=self.now(), outcome=outcome[:500], failed_devices=json.dumps(list(failed_devices))
            )
        )

    def last_failed_devices(self, conn: Connection) -> list[str]:
        """The devices that failed in the most recent finished run."""
        row = conn.execute(
            select(rotation_run.c.failed_devices)
            .where(rotation_run.c.finished_at.is_not(None))
            .order_by(rotation_run.c.finished_at.desc())
            .limit(1)
        ).first()
        if row is None or not row.failed_devices:
            return []
        loaded = json.loads(row.failed_devices)
        return [str(item) for item in loaded] if isinstance(loaded, list) else []

    # ------------------------------------------------------------------ rotations

    def stage(
        self,
        conn: Connection,
        *,
        run_id: str,
        device_id: str,
        username: str,
        credential_ref: str,
        new_password: str,
        kind: RotationKind = RotationKind.PASSWORD,
        label: str = "",
    ) -> RotationEntry:
        """Stage the new password in the vault and open the journal entry, in one transaction.

        Raises:
            JournalError: the device account already has an unfinished rotation.
        """
        if self.unfinished_for(conn, device_id, username) is not None:
            raise JournalError(
                f"{label or device_id}: a rotation of {username!r} is already in progress; resume it first"
            )
        try:
            history = self.vault.history(conn, credential_ref)
        except SecretNotFound:
            history = []  # an activation: the device never had a password
        current = next((info.version for info in history if info.state.value == "current"), None)
        staged = self.vault.stage(
            conn, credential_ref, new_password, username=username, note=f"{_NOTE_WORD[kind]} {run_id[:8]}"
        )
        now = self.now()
        entry_id = str(uuid.uuid4())
        conn.execute(
            insert(rotation).values(
                id=entry_id,
                run_id=run_id,
                device_id=device_id,
                username=username,
                credential_ref=credential_ref,
                kind=kind.value,
                from_version=current,
                to_version=staged.version,
                state=State.STAGED.value,
                attempts=0,
                reason="",
                created_at=now,
                updated_at=now,
            )
        )
        return self.get(conn, entry_id)

    def get(self, conn: Connection, entry_id: str) -> RotationEntry:
        """One entry.

        Raises:
            JournalError: no such entry.
        """
        row = conn.execute(select(rotation).where(rotation.c.id == entry_id)).first()
        if row is None:
            raise JournalError(f"no rotation {entry_id}")
        return _entry(row)

    def move(
        self, conn: Connection, entry: RotationEntry, state: State, *, reason: str = "", attempts: int = 0
    ) -> RotationEntry:
        """Move an entry to ``state`` (checked against :data:`TRANSITIONS` and against the stored row).

        Args:
            conn: the caller's transaction.
            entry: the entry as the caller last read it.
            state: the new state.
            reason: why (shown to the owner; never a secret).
            attempts: login attempts spent since the last move (added to the total).

        Raises:
            JournalError: an illegal move, or the row changed underneath (another process).
        """
        if state not in TRANSITIONS[entry.state]:
            raise JournalError(f"rotation {entry.id}: illegal move {entry.state.value} -> {state.value}")
        result = conn.execute(
            update(rotation)
            .where(and_(rotation.c.id == entry.id, rotation.c.state == entry.state.value))
            .values(
                state=state.value,
                reason=reason[:500],
                attempts=rotation.c.attempts + attempts,
                updated_at=self.now(),
            )
        )
        if result.rowcount != 1:
            raise JournalError(
                f"rotation {entry.id} changed underneath this run (expected {entry.state.value})"
            )
        return self.get(conn, entry.id)

    def note(
        self, conn: Connection, entry: RotationEntry, *, reason: str, attempts: int = 0
    ) -> RotationEntry:
        """Keep an entry in its state, recording why it could not move and the attempts spent trying."""
        conn.execute(
            update(rotation)
            .where(rotation.c.id == entry.id)
            .values(reason=reason[:500], attempts=rotation.c.attempts + attempts, updated_at=self.now())
        )
        return self.get(conn, entry.id)

    def promote(
        self, conn: Connection, entry: RotationEntry, *, reason: str = "", attempts: int = 0
    ) -> RotationEntry:
        """The new password is verified: make it current in the vault (old retired) and move to PROMOTED."""
        self.vault.promote(conn, entry.credential_ref, entry.to_version)
        return self.move(conn, entry, State.PROMOTED, reason=reason, attempts=attempts)

    def abandon(
        self, conn: Connection, entry: RotationEntry, state: State, *, reason: str, attempts: int = 0
    ) -> RotationEntry:
        """The device keeps the old password: discard the staged version and close the entry.

        Raises:
            JournalError: ``state`` is not ROLLED_BACK or FAILED.
        """
        if state not in (State.ROLLED_BACK, State.FAILED):
            raise JournalError("only ROLLED_BACK or FAILED discard the staged password")
        self.vault.discard(conn, entry.credential_ref, entry.to_version)
        return self.move(conn, entry, state, reason=reason, attempts=attempts)

    def unfinished(self, conn: Connection) -> list[RotationEntry]:
        """Every entry a crash or an interruption left open, oldest first."""
        rows = conn.execute(
            select(rotation)
            .where(rotation.c.state.in_(UNFINISHED_ROTATION_STATES))
            .order_by(rotation.c.created_at)
        )
        return [_entry(row) for row in rows]

    def unfinished_for(self, conn: Connection, device_id: str, username: str) -> RotationEntry | None:
        """The open entry of one device account, if any."""
        row = conn.execute(
            select(rotation).where(
                rotation.c.device_id == device_id,
                rotation.c.username == username,
                rotation.c.state.in_(UNFINISHED_ROTATION_STATES),
            )
        ).first()
        return _entry(row) if row is not None else None

    def latest(self, conn: Connection) -> dict[str, RotationEntry]:
        """The most recent entry of every device."""
        latest: dict[str, RotationEntry] = {}
        for row in conn.execute(select(rotation).order_by(rotation.c.created_at)):
            entry = _entry(row)
            latest[entry.device_id] = entry
        return latest

    def latest_for(self, conn: Connection, device_id: str) -> RotationEntry | None:
        """The most recent entry of one device."""
        row = conn.execute(
            select(rotation)
            .where(rotation.c.device_id == device_id)
            .order_by(rotation.c.created_at.desc())
            .limit(1)
        ).first()
        return _entry(row) if row is not None else None

    def run_entries(self, conn: Connection, run_id: str) -> list[RotationEntry]:
        """The entries of one run."""
        return [
            _entry(row)
            for row in conn.execute(
                select(rotation).where(rotation.c.run_id == run_id).order_by(rotation.c.created_at)
            )
        ]

    # ------------------------------------------------------------------ dependents

    def add_dependent(self, conn: Connection, entry: RotationEntry, kind: str, target: str) -> None:
        """Record that ``target`` must learn this rotation's password (idempotent)."""
        exists = conn.execute(
            select(rotation_dependent.c.state).where(
                rotation_dependent.c.rotation_id == entry.id,
                rotation_dependent.c.kind == kind,
                rotation_dependent.c.target == target,
            )
        ).first()
        if exists is None:
            conn.execute(
                insert(rotation_dependent).values(
                    rotation_id=entry.id,
                    kind=kind,
                    target=target,
                    state=DependentState.PENDING.value,
                    reason="",
                    updated_at=self.now(),
                )
            )

    def mark_dependent(
        self,
        conn: Connection,
        entry: RotationEntry,
        kind: str,
        target: str,
        *,
        state: DependentState,
        reason: str = "",
    ) -> None:
        """Record a dependent's progress."""
        conn.execute(
            update(rotation_dependent)
            .where(
                rotation_dependent.c.rotation_id == entry.id,
                rotation_dependent.c.kind == kind,
                rotation_dependent.c.target == target,
            )
            .values(state=state.value, reason=reason[:500], updated_at=self.now())
        )

    def dependents(self, conn: Connection, entry: RotationEntry) -> list[Dependent]:
        """The dependents of one rotation."""
        rows = conn.execute(select(rotation_dependent).where(rotation_dependent.c.rotation_id == entry.id))
        return [
            Dependent(row.rotation_id, row.kind, row.target, DependentState(row.state), row.reason)
            for row in rows
        ]


def set_policy(conn: Connection, group: str, max_age_days: int) -> None:
    """Set a group's maximum password age (``*``: every group without its own).

    Raises:
        JournalError: less than a day.
    """
    if max_age_days < 1:
        raise JournalError("a maximum password age is at least one day")
    conn.execute(rotation_policy.delete().where(rotation_policy.c.group_name == group))
    conn.execute(insert(rotation_policy).values(group_name=group, max_age_days=max_age_days))


def policies(conn: Connection) -> dict[str, int]:
    """Every group's maximum password age, in days."""
    return {row.group_name: row.max_age_days for row in conn.execute(select(rotation_policy))}


def record_channels(conn: Connection, nvr_id: str, links: Sequence[tuple[int, str]], now: datetime) -> None:
    """Replace what is known of one NVR's channels: ``(channel id, camera device id)`` pairs."""
    conn.execute(nvr_channel.delete().where(nvr_channel.c.nvr_id == nvr_id))
    for channel_id, camera_id in links:
        conn.execute(
            insert(nvr_channel).values(
                nvr_id=nvr_id, channel_id=channel_id, camera_id=camera_id, observed_at=now
            )
        )


def known_channels(conn: Connection, nvr_id: str) -> list[tuple[int, str]]:
    """The channels of one NVR as last recorded."""
    rows = conn.execute(
        select(nvr_channel.c.channel_id, nvr_channel.c.camera_id).where(nvr_channel.c.nvr_id == nvr_id)
    )
    return [(row.channel_id, row.camera_id) for row in rows]


def recorders_of(conn: Connection, camera_id: str) -> list[tuple[str, int]]:
    """The NVR channels that record one camera, as last recorded: ``(NVR device id, channel id)`` pairs."""
    rows = conn.execute(
        select(nvr_channel.c.nvr_id, nvr_channel.c.channel_id)
        .where(nvr_channel.c.camera_id == camera_id)
        .order_by(nvr_channel.c.nvr_id, nvr_channel.c.channel_id)
    )
    return [(row.nvr_id, row.channel_id) for row in rows]
