"""Guided recovery of devices whose password is lost, and the configuration backups it restores.

See :mod:`camvault.fleet.recovery.guide` for the paths and their order.
"""

from camvault.fleet.recovery.backups import (
    ConfigBackup,
    latest_backup,
    list_backups,
    open_backup,
    take_backup,
)
from camvault.fleet.recovery.guide import (
    Assessment,
    Owner,
    PathOption,
    RecoveryGuide,
    RecoveryOptions,
    RecoveryOutcome,
    RecoveryPath,
    RecoveryResult,
)

__all__ = [
    "Assessment",
    "ConfigBackup",
    "Owner",
    "PathOption",
    "RecoveryGuide",
    "RecoveryOptions",
    "RecoveryOutcome",
    "RecoveryPath",
    "RecoveryResult",
    "latest_backup",
    "list_backups",
    "open_backup",
    "take_backup",
]
