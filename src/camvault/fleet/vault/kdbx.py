"""KeePass (KDBX 4) export through ``pykeepass``, so owners can open their credentials in KeePassXC.

The database is built in memory and returned as bytes (the caller writes it owner-only). Its key derivation is
the one of pykeepass's KDBX 4 template, KeePass's own default (Argon2d, 64 MiB, 2 lanes); the export
passphrase is the only key (no key file).

One entry per credential, in a ``camvault`` group: title (the device name, else the reference), username,
password, URL (given, else ``http://<address>/``), and notes carrying address, model, serial, MAC and the
caller's notes. The reference is kept in the custom property :data:`REF_PROPERTY` so entries can be matched
back to the inventory.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Final

from pykeepass import PyKeePass, create_database  # type: ignore[import-untyped]

from camvault.errors import CryptoError
from camvault.fleet.vault.models import ExportLabel, LabelledSecret

__all__ = ["GROUP_NAME", "REF_PROPERTY", "build_kdbx", "entry_notes", "entry_url"]

GROUP_NAME: Final = "camvault"
REF_PROPERTY: Final = "camvault-ref"


def entry_url(label: ExportLabel) -> str | None:
    """Return the entry URL: the label's, else ``http://<address>/``, else none."""
    if label.url:
        return label.url
    return f"http://{label.address}/" if label.address else None


def entry_notes(ref: str, label: ExportLabel) -> str:
    """Return the entry's notes: the device facts that are known, then the caller's notes."""
    facts = [
        ("Address", label.address),
        ("Model", label.model),
        ("Serial", label.serial),
        ("MAC", label.mac),
        ("camvault reference", ref),
    ]
    lines = [f"{name}: {value}" for name, value in facts if value]
    if label.notes:
        lines += ["", label.notes]
    return "\n".join(lines)


def build_kdbx(entries: Sequence[LabelledSecret], passphrase: str) -> bytes:
    """Build a KDBX 4 database holding ``entries``, locked with ``passphrase``.

    Args:
        entries: the credentials with their labels.
        passphrase: the export passphrase.

    Returns:
        The database file's bytes.

    Raises:
        CryptoError: pykeepass could not build the database.
    """
    try:
        database: PyKeePass = create_database(io.BytesIO(), password=passphrase)
        group = database.add_group(database.root_group, GROUP_NAME)
        for item in entries:
            entry = database.add_entry(
                group,
                title=item.label.title or item.ref,
                username=item.secret.username,
                password=item.secret.password,
                url=entry_url(item.label),
                notes=entry_notes(item.ref, item.label) or None,
                force_creation=True,
            )
            entry.set_custom_property(REF_PROPERTY, item.ref)
        output = io.BytesIO()
        database.save(output)
    except (ValueError, TypeError, OSError) as exc:
        raise CryptoError(f"could not build the KeePass database ({type(exc).__name__})") from None
    return output.getvalue()
