"""The vault's append-only audit log: who revealed, exported, imported, changed the passphrase or failed.

Entries name the OS user, the time, the action and the reference; never a secret. The ``detail`` text is
written by camvault itself (counts, formats, file names), never copied from user-supplied secret material.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, insert, select

from camvault.fleet.store.schema import vault_audit
from camvault.fleet.vault.models import AuditAction, AuditEntry

__all__ = ["count_entries", "read_entries", "record"]

_MAX_DETAIL = 500


def record(
    conn: Connection,
    action: AuditAction,
    *,
    actor: str,
    at: datetime,
    ref: str | None = None,
    detail: str = "",
) -> None:
    """Append one entry in the caller's transaction.

    Args:
        conn: a connection inside the caller's transaction.
        action: what happened.
        actor: the OS user.
        at: when (timezone-aware).
        ref: the secret reference concerned, if one.
        detail: short non-secret context (truncated to 500 characters).
    """
    conn.execute(
        insert(vault_audit).values(
            at=at, actor=actor[:128], action=action.value, ref=ref, detail=detail[:_MAX_DETAIL]
        )
    )


def read_entries(
    conn: Connection, *, limit: int = 50, action: AuditAction | None = None, ref: str | None = None
) -> list[AuditEntry]:
    """Return audit entries, newest first.

    Args:
        conn: a connection.
        limit: at most this many entries.
        action: only this action.
        ref: only this reference.
    """
    query = select(vault_audit).order_by(vault_audit.c.id.desc()).limit(limit)
    if action is not None:
        query = query.where(vault_audit.c.action == action.value)
    if ref is not None:
        query = query.where(vault_audit.c.ref == ref)
    return [
        AuditEntry(
            id=row.id,
            at=row.at,
            actor=row.actor,
            action=AuditAction(row.action),
            ref=row.ref,
            detail=row.detail,
        )
        for row in conn.execute(query)
    ]


def count_entries(conn: Connection, action: AuditAction) -> int:
    """Return how many entries of one action the log holds."""
    query = select(func.count()).select_from(vault_audit).where(vault_audit.c.action == action.value)
    return int(conn.execute(query).scalar_one())
