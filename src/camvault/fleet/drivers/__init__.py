"""Vendor drivers behind one contract (:class:`DeviceDriver`), with lockout safety (:class:`AttemptBudget`).

Import the vendor modules to register them: ``camvault.fleet.drivers.hikvision`` and
``camvault.fleet.drivers.onvif``.
"""

from camvault.fleet.drivers.base import DeviceDriver, driver_for, register_driver, registered_vendors
from camvault.fleet.drivers.budget import AttemptBudget, BudgetState
from camvault.fleet.drivers.models import (
    Account,
    Channel,
    Credential,
    DeviceFacts,
    DeviceKind,
    Endpoint,
    Level,
    LockPolicy,
    LoginResult,
    Probe,
    RecordingSegment,
    RecoveryMethods,
    SecurityQuestion,
)

__all__ = [
    "Account",
    "AttemptBudget",
    "BudgetState",
    "Channel",
    "Credential",
    "DeviceDriver",
    "DeviceFacts",
    "DeviceKind",
    "Endpoint",
    "Level",
    "LockPolicy",
    "LoginResult",
    "Probe",
    "RecordingSegment",
    "RecoveryMethods",
    "SecurityQuestion",
    "driver_for",
    "register_driver",
    "registered_vendors",
]
