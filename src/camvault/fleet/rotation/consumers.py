"""Consumers: software outside the devices that holds their passwords, and must learn rotated ones.

NVRs are updated through their API (:mod:`.engine`). Other consumers are plug-ins implementing
:class:`Consumer`; the one shipped writes a *secrets file* for NVR software that reads camera credentials
from the environment or a YAML file:

* ``env``: ``FRIGATE_<LABEL>_USERNAME=...`` / ``FRIGATE_<LABEL>_PASSWORD=...`` lines. Frigate substitutes
  ``{FRIGATE_...}`` variables in its configuration, and go2rtc substitutes ``${...}``, so one env file
  (loaded with ``env_file:`` in Docker Compose, or ``EnvironmentFile=`` in systemd) serves both.
* ``yaml``: ``cameras: {<label>: {host, port, username, password}}`` for tools that template their config.

Files are rewritten atomically: written to a temporary file in the same directory with mode 0600, flushed
to disk, renamed over the old one, and the directory flushed, so a reader sees the old or the new file,
never half of one, and the secrets are never world-readable. They hold passwords in clear by nature:
that is the consumer's format; keep them where only the NVR software can read them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import yaml

from camvault.errors import ConfigurationError
from camvault.fleet.drivers import Credential
from camvault.fleet.inventory import DeviceRecord

__all__ = ["Consumer", "SecretsFile", "write_private_atomically"]


class Consumer(Protocol):
    """Something that must learn the current credentials after a rotation."""

    @property
    def name(self) -> str:
        """How the consumer is named in reports."""
        ...

    def publish(self, credentials: Sequence[tuple[DeviceRecord, Credential]]) -> None:
        """Make the consumer see these current credentials (all devices it covers, every time)."""
        ...


def write_private_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``, mode 0600, atomically and durably."""
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    temporary = directory / f".{path.name}.{os.getpid()}.tmp"
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    directory_descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(directory_descriptor)
    finally:
        os.close(directory_descriptor)


def _variable(label: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", label.upper()).strip("_") or "DEVICE"


def _quoted(value: str) -> str:
    # Single quotes are literal in POSIX shells and Docker Compose env files; a single quote is closed,
    # escaped and reopened.
    return "'" + value.replace("'", "'\\''") + "'"


@dataclass(frozen=True, slots=True)
class SecretsFile:
    """A secrets file in ``env`` or ``yaml`` format (see the module docstring)."""

    path: Path
    format: str = "env"
    prefix: str = "FRIGATE_"
    name: str = "secrets-file"

    def __post_init__(self) -> None:
        if self.format not in {"env", "yaml"}:
            raise ConfigurationError("the secrets file format is env or yaml")
        if not re.fullmatch(r"[A-Z][A-Z0-9_]{0,31}", self.prefix):
            raise ConfigurationError("the variable prefix is upper-case letters, digits and _")

    def render(self, credentials: Sequence[tuple[DeviceRecord, Credential]]) -> bytes:
        """The file's content."""
        ordered = sorted(credentials, key=lambda pair: pair[0].label)
        if self.format == "yaml":
            document = {
                "cameras": {
                    record.label: {
                        "host": record.host,
                        "port": record.port,
                        "username": credential.username,
                        "password": credential.password,
                    }
                    for record, credential in ordered
                }
            }
            return (
                "# written by camvault; rotated passwords replace this file atomically\n"
                + yaml.safe_dump(document, sort_keys=True)
            ).encode()
        lines = ["# written by camvault; rotated passwords replace this file atomically"]
        seen: set[str] = set()
        for record, credential in ordered:
            name = self.prefix + _variable(record.label)
            if name in seen:
                raise ConfigurationError(f"two devices map to the variable {name}; rename one of them")
            seen.add(name)
            lines.append(f"{name}_USERNAME={_quoted(credential.username)}")
            lines.append(f"{name}_PASSWORD={_quoted(credential.password)}")
        return ("\n".join(lines) + "\n").encode()

    def publish(self, credentials: Sequence[tuple[DeviceRecord, Credential]]) -> None:
        """Rewrite the file with every current credential it covers."""
        write_private_atomically(self.path, self.render(credentials))
