"""Where a passphrase comes from: a key file, an environment variable, or an interactive prompt (no echo).

Order of precedence: an explicit key file, then the environment variable, then the prompt. Without any of
them (e.g. no terminal) the caller gets a clear error instead of a hang.

A key file must be a regular file owned by the current user (or root) and neither readable nor writable by
group or others, as OpenSSH demands of private keys; otherwise it is refused with the ``chmod`` to run. Its
content is the passphrase in UTF-8; one trailing newline is ignored.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final

from camvault.errors import ConfigurationError

__all__ = [
    "EXPORT_PASSPHRASE_ENV",
    "NEW_PASSPHRASE_ENV",
    "PASSPHRASE_ENV",
    "Prompt",
    "read_key_file",
    "read_passphrase",
]

PASSPHRASE_ENV: Final = "CAMVAULT_PASSPHRASE"  # noqa: S105 - a variable name
"""The vault passphrase."""

NEW_PASSPHRASE_ENV: Final = "CAMVAULT_NEW_PASSPHRASE"  # noqa: S105 - a variable name
"""The new vault passphrase, for ``change-passphrase``."""

EXPORT_PASSPHRASE_ENV: Final = "CAMVAULT_EXPORT_PASSPHRASE"  # noqa: S105 - a variable name
"""The passphrase of an export file (KeePass database or encrypted archive)."""

MAX_KEY_FILE_BYTES: Final = 64 * 1024

Prompt = Callable[[str, bool], str]
"""``prompt(text, confirm) -> passphrase``: asks without echo (twice when ``confirm``)."""


def read_passphrase(
    *,
    key_file: Path | None = None,
    env_var: str = PASSPHRASE_ENV,
    environ: Mapping[str, str] | None = None,
    prompt: Prompt | None = None,
    prompt_text: str = "Vault passphrase",
    confirm: bool = False,
) -> str:
    """Obtain a passphrase from the first available source.

    Args:
        key_file: a key file named by the user (wins over everything else).
        env_var: the environment variable to look at.
        environ: the environment (default: ``os.environ``).
        prompt: how to ask interactively; ``None`` when there is no terminal.
        prompt_text: what to ask.
        confirm: ask twice (when creating or changing a passphrase).

    Returns:
        The passphrase.

    Raises:
        ConfigurationError: the key file is unsafe or unreadable, the variable is empty, or no source is
            available.
    """
    if key_file is not None:
        return read_key_file(key_file)
    value = (os.environ if environ is None else environ).get(env_var)
    if value is not None:
        if not value:
            raise ConfigurationError(f"{env_var} is set but empty")
        return value
    if prompt is None:
        raise ConfigurationError(
            f"no passphrase: set {env_var}, pass a key file, or run in a terminal to be asked"
        )
    entered = prompt(prompt_text, confirm)
    if not entered:
        raise ConfigurationError("no passphrase entered")
    return entered


def read_key_file(path: Path) -> str:
    """Read a passphrase from a key file after checking who may read it.

    The checks run on the opened file (``fstat``), so the file cannot be swapped between check and read.

    Raises:
        ConfigurationError: missing, not a regular file, owned by someone else, group/world accessible,
            too large, not UTF-8, or empty.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ConfigurationError(f"cannot open key file {path}: {exc.strerror}") from None
    try:
        _check_key_file(path, os.fstat(fd))
        data = _read_at_most(fd, MAX_KEY_FILE_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_KEY_FILE_BYTES:
        raise ConfigurationError(f"key file {path} is larger than {MAX_KEY_FILE_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigurationError(f"key file {path} is not UTF-8 text") from None
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    if not text:
        raise ConfigurationError(f"key file {path} is empty")
    return text


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    remaining = limit
    while remaining > 0:
        chunk = os.read(fd, remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _check_key_file(path: Path, info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise ConfigurationError(f"key file {path} is not a regular file")
    if info.st_uid not in {os.geteuid(), 0}:
        raise ConfigurationError(f"key file {path} belongs to another user (uid {info.st_uid})")
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise ConfigurationError(
            f"key file {path} is accessible by group or others (mode {mode:04o}); "
            f"refusing to use it. Run: chmod 600 {path}"
        )
