"""Password rules shared by the emulated device and the fleet tool.

* :mod:`~camvault.passwords.strength`: Hikvision's strength meter, exactly as its web UI computes it.
* :mod:`~camvault.passwords.policy`: :class:`PasswordPolicy` and the vendor and NIST presets.
* :mod:`~camvault.passwords.screening`: offline screening against common, breached and trivial passwords.
* :mod:`~camvault.passwords.generator`: random passwords per device profile, url-safe where they get
  embedded in RTSP URLs.

This package imports nothing from camvault except :mod:`camvault.errors`, so that the device side (which
enforces vendor rules) and the fleet side (which audits and generates) can both use it.
"""

from __future__ import annotations

from camvault.passwords.generator import (
    AMBIGUOUS_CHARACTERS,
    HIKVISION,
    NIST,
    ONVIF,
    STANDARD_GROUPS,
    URL_SAFE,
    URL_SAFE_SYMBOLS,
    CharacterGroup,
    PasswordProfile,
    entropy_bits,
    generate,
    profile_for,
)
from camvault.passwords.policy import (
    HIKVISION_DEVICE,
    HIKVISION_IPC_ACTIVATION,
    NIST_SP800_63B,
    ONVIF_DEVICE,
    REASONS,
    PasswordPolicy,
    policy_for,
)
from camvault.passwords.screening import (
    TRIVIAL_REASONS,
    common_passwords,
    contains_context_word,
    is_common,
    looks_trivial,
)
from camvault.passwords.strength import StrengthLevel, hikvision_strength

__all__ = [
    "AMBIGUOUS_CHARACTERS",
    "HIKVISION",
    "HIKVISION_DEVICE",
    "HIKVISION_IPC_ACTIVATION",
    "NIST",
    "NIST_SP800_63B",
    "ONVIF",
    "ONVIF_DEVICE",
    "REASONS",
    "STANDARD_GROUPS",
    "TRIVIAL_REASONS",
    "URL_SAFE",
    "URL_SAFE_SYMBOLS",
    "CharacterGroup",
    "PasswordPolicy",
    "PasswordProfile",
    "StrengthLevel",
    "common_passwords",
    "contains_context_word",
    "entropy_bits",
    "generate",
    "hikvision_strength",
    "is_common",
    "looks_trivial",
    "policy_for",
    "profile_for",
]
