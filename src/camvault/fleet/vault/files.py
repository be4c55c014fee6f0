"""Files that hold secrets: written owner-only and atomically; plaintext sources shredded on request.

:data:`SHRED_LIMITS` is the honest fine print shown to users before they rely on :func:`shred_file`.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path
from typing import Final

from camvault.errors import ConfigurationError
from camvault.fleet.vault._envelope import RandomSource

__all__ = ["MAX_INPUT_BYTES", "SHRED_LIMITS", "read_bounded", "shred_file", "write_private_file"]

MAX_INPUT_BYTES: Final = 64 * 1024 * 1024
_CHUNK: Final = 1024 * 1024

SHRED_LIMITS: Final = (
    "Shredding overwrites the file's bytes once with random data, flushes them to the disk (fsync) and "
    "deletes the file. On SSDs and flash (wear levelling), copy-on-write or snapshotting filesystems (btrfs, "
    "ZFS, APFS), journaling filesystems, network shares and synced folders (OneDrive, Dropbox), the old "
    "blocks or other copies may survive; so may backups and the spreadsheet the CSV came from. Full-disk "
    "encryption is the real protection."
)


def read_bounded(path: Path, *, max_bytes: int = MAX_INPUT_BYTES) -> bytes:
    """Read a whole user-supplied file, refusing one larger than ``max_bytes``.

    Raises:
        ConfigurationError: the file cannot be read or is too large.
    """
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror}") from None
    if len(data) > max_bytes:
        raise ConfigurationError(f"{path} is larger than {max_bytes} bytes")
    return data


def write_private_file(path: Path, data: bytes, *, overwrite: bool = False) -> None:
    """Write ``data`` to ``path`` with mode 0600, atomically, and flush it to disk.

    The bytes go to a temporary file in the same directory first, so a crash never leaves a half-written
    export under the final name.

    Args:
        path: the destination.
        data: the content.
        overwrite: replace an existing file (otherwise refuse).

    Raises:
        ConfigurationError: the destination exists (without ``overwrite``) or cannot be written.
    """
    if path.exists() and not overwrite:
        raise ConfigurationError(f"{path} already exists; choose another name or allow overwriting")
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)  # fails if someone created the name meanwhile
            os.unlink(temporary)
        _fsync_directory(path.parent)
    except FileExistsError:
        temporary.unlink(missing_ok=True)
        raise ConfigurationError(f"{path} already exists; choose another name or allow overwriting") from None
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise ConfigurationError(f"cannot write {path}: {exc.strerror}") from None


def shred_file(path: Path, *, random_bytes: RandomSource = os.urandom) -> None:
    """Overwrite a file with random bytes, fsync, and delete it (see :data:`SHRED_LIMITS`).

    Symbolic links are refused (their target would be destroyed under another name).

    Raises:
        ConfigurationError: the file is missing, not a regular file, or cannot be overwritten.
    """
    try:
        fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise ConfigurationError(f"cannot shred {path}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigurationError(f"cannot shred {path}: not a regular file")
        remaining = info.st_size
        while remaining > 0:
            written = os.write(fd, random_bytes(min(_CHUNK, remaining)))
            if written <= 0:
                raise ConfigurationError(f"cannot shred {path}: the disk accepted no bytes")
            remaining -= written
        os.fsync(fd)
    except OSError as exc:
        raise ConfigurationError(f"cannot shred {path}: {exc.strerror}") from None
    finally:
        os.close(fd)
    try:
        path.unlink()
        _fsync_directory(path.parent)
    except OSError as exc:
        raise ConfigurationError(f"overwrote {path} but could not delete it: {exc.strerror}") from None


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
