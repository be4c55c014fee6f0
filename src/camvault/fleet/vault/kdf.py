"""Argon2id key derivation for the vault passphrase and for export passphrases.

Default parameters (:data:`RFC9106_LOW_MEMORY`) are RFC 9106 section 4's *second recommended option*, meant
for environments where 2 GiB per derivation is too much: Argon2id, ``t=3`` passes, ``m=2^16`` KiB (64 MiB),
``p=4`` lanes, a 128-bit random salt and a 256-bit tag. It is stronger than OWASP's minimum (m=19 MiB, t=2,
p=1) and costs about 0.1 s on a current CPU, once per command. The parameters are stored with the vault (and
in every archive header) next to the salt, so a vault keeps opening after the defaults change.

Tests pass a fast setting explicitly through a ``kdf=`` parameter; no code path picks it by default.
Parameters read back from a database or a file are bounded (:meth:`KdfParams.check`) so that a doctored
file cannot make an unlock allocate gigabytes or run for hours.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Final

from argon2.low_level import ARGON2_VERSION, Type, hash_secret_raw

from camvault.errors import InvalidContent

__all__ = [
    "KEY_BYTES",
    "RFC9106_LOW_MEMORY",
    "SALT_BYTES",
    "KdfParams",
    "derive_key",
]

KEY_BYTES: Final = 32
"""Derived keys are 256 bits (AES-256)."""

SALT_BYTES: Final = 16
"""Salts are 128 bits, as RFC 9106 recommends."""

_MAX_TIME_COST: Final = 64
_MAX_MEMORY_KIB: Final = 4 * 1024 * 1024  # 4 GiB
_MAX_PARALLELISM: Final = 64
_SALT_RANGE: Final = range(16, 65)


@dataclass(frozen=True, slots=True)
class KdfParams:
    """Argon2id cost parameters.

    Attributes:
        time_cost: passes over memory (``t``).
        memory_kib: memory in KiB (``m``); at least ``8 * parallelism``.
        parallelism: lanes (``p``).
        algorithm: always ``"argon2id"``; stored so that a future change is explicit.
        version: the Argon2 version number (19, i.e. 0x13).
    """

    time_cost: int
    memory_kib: int
    parallelism: int
    algorithm: str = "argon2id"
    version: int = ARGON2_VERSION

    def check(self, *, field: str = "kdf") -> None:
        """Refuse parameters this code will not run: unknown algorithm, or costs outside sane bounds.

        Args:
            field: how to name the parameters in the error.

        Raises:
            InvalidContent: a parameter is out of range.
        """
        if self.algorithm != "argon2id" or self.version != ARGON2_VERSION:
            raise InvalidContent(f"unsupported key derivation {self.algorithm} v{self.version}", field=field)
        if not 1 <= self.time_cost <= _MAX_TIME_COST:
            raise InvalidContent(f"Argon2 time cost {self.time_cost} out of range", field=field)
        if not 1 <= self.parallelism <= _MAX_PARALLELISM:
            raise InvalidContent(f"Argon2 parallelism {self.parallelism} out of range", field=field)
        if not 8 * self.parallelism <= self.memory_kib <= _MAX_MEMORY_KIB:
            raise InvalidContent(f"Argon2 memory {self.memory_kib} KiB out of range", field=field)

    def describe(self) -> str:
        """Return the parameters as one line, e.g. ``argon2id v19 t=3 m=65536KiB p=4``."""
        return (
            f"{self.algorithm} v{self.version} t={self.time_cost} m={self.memory_kib}KiB p={self.parallelism}"
        )


RFC9106_LOW_MEMORY: Final = KdfParams(time_cost=3, memory_kib=64 * 1024, parallelism=4)
"""RFC 9106's second recommended option (64 MiB, 3 passes, 4 lanes): the default everywhere."""


def derive_key(passphrase: str, salt: bytes, params: KdfParams) -> bytes:
    """Derive a 256-bit key from a passphrase with Argon2id.

    The passphrase is normalised to Unicode NFC first, so the same passphrase typed on systems that compose
    accents differently derives the same key.

    Args:
        passphrase: the passphrase.
        salt: a random salt of 16 to 64 bytes, stored next to the parameters.
        params: the cost parameters (checked).

    Returns:
        :data:`KEY_BYTES` bytes.

    Raises:
        InvalidContent: the parameters or the salt are out of range.
    """
    params.check()
    if len(salt) not in _SALT_RANGE:
        raise InvalidContent(f"Argon2 salt of {len(salt)} bytes out of range", field="kdf")
    return hash_secret_raw(
        secret=unicodedata.normalize("NFC", passphrase).encode("utf-8"),
        salt=salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=KEY_BYTES,
        type=Type.ID,
        version=params.version,
    )
