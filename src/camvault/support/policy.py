"""The support policy: which verified reset requests may get a code, each refusal with a stable reason.

Pure functions over a request, the service's clock and a summary of what the store knows.

Time is judged on the service's clock against the device's own statements: the request says when the
device made it (``device_time``) and until when the device will wait (``expiry``), both on the device's
clock. A device whose clock is far ahead is refused (``clock_ahead``) because its requests would stay
valid too long in real time; a device whose clock is far behind gets ``too_old`` and is told to fix its
clock, since the service cannot tell an old request from a slow clock. The code the service issues expires
with the request, on the device's clock, so moderate skew does not matter to the device.

Reason codes (stable; shown to operators and in the audit log):

* ``reported_stolen``: the serial is on the stolen list.
* ``duplicate_nonce``: this request (its nonce) was received before: a replayed file.
* ``expired``: the request's own expiry has passed.
* ``too_old``: made longer ago than the validity window.
* ``clock_ahead``: the device's clock is further ahead than allowed.
* ``too_many_requests``: more requests for this serial than allowed per day or per week.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from camvault.protocols.resetcode import ResetRequest

__all__ = [
    "REFUSAL_REASONS",
    "PolicyConfig",
    "Refusal",
    "RequestHistory",
    "check_issuable",
    "evaluate_request",
]

REFUSAL_REASONS = (
    "reported_stolen",
    "duplicate_nonce",
    "expired",
    "too_old",
    "clock_ahead",
    "too_many_requests",
)


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    """The service's limits.

    Attributes:
        validity_window: the oldest request accepted (device time to service time). 48 h, the validity the
            vendor manuals give (research notes §12.3, §14.1).
        max_clock_ahead: how far the device clock may run ahead of the service's.
        max_requests_per_day: requests per serial in any 24 hours (every request whose signature verified
            counts, refused ones included; forgeries do not, so they cannot use up a victim's allowance).
        max_requests_per_week: the same over any 7 days.
    """

    validity_window: timedelta = timedelta(hours=48)
    max_clock_ahead: timedelta = timedelta(hours=24)
    max_requests_per_day: int = 3
    max_requests_per_week: int = 10

    def __post_init__(self) -> None:
        if self.validity_window <= timedelta(0) or self.max_clock_ahead < timedelta(0):
            raise ValueError("the validity window must be positive and the clock allowance not negative")
        if not 1 <= self.max_requests_per_day <= self.max_requests_per_week:
            raise ValueError("request limits must satisfy 1 <= per day <= per week")


@dataclass(frozen=True, slots=True)
class RequestHistory:
    """What the store knows that bears on a request (the request itself not counted)."""

    stolen: bool
    nonce_seen: bool
    requests_last_day: int
    requests_last_week: int


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request is refused: a stable ``reason`` code and a message for people."""

    reason: str
    message: str


def evaluate_request(
    request: ResetRequest, *, now: datetime, history: RequestHistory, config: PolicyConfig
) -> Refusal | None:
    """Decide whether a freshly received, verified request may proceed; return the refusal or ``None``."""
    refusal = check_issuable(request, now=now, stolen=history.stolen)
    if refusal is not None:
        return refusal
    if history.nonce_seen:
        return Refusal("duplicate_nonce", "this request was already received; export a new one on the device")
    if now - request.device_time > config.validity_window:
        return Refusal(
            "too_old",
            f"the request was made {_hours(now - request.device_time)} ago by the device's clock; "
            f"requests are accepted for {_hours(config.validity_window)}. "
            "Check the device clock and export a new one",
        )
    if request.device_time - now > config.max_clock_ahead:
        return Refusal(
            "clock_ahead",
            f"the device clock is {_hours(request.device_time - now)} ahead; set it and export a new request",
        )
    if history.requests_last_day >= config.max_requests_per_day:
        return Refusal(
            "too_many_requests",
            f"serial {request.serial} already made {history.requests_last_day} requests in 24 hours "
            f"(limit {config.max_requests_per_day})",
        )
    if history.requests_last_week >= config.max_requests_per_week:
        return Refusal(
            "too_many_requests",
            f"serial {request.serial} already made {history.requests_last_week} requests in 7 days "
            f"(limit {config.max_requests_per_week})",
        )
    return None


def check_issuable(request: ResetRequest, *, now: datetime, stolen: bool) -> Refusal | None:
    """Re-check, at approval and at issuance, what can change after receipt: theft reports and expiry."""
    if stolen:
        return Refusal("reported_stolen", f"serial {request.serial} is reported stolen")
    if now >= request.expiry:
        return Refusal(
            "expired", f"the request expired at {request.expiry:%Y-%m-%d %H:%M} UTC; export a new one"
        )
    return None


def _hours(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:.0f} h" if hours >= 1 else f"{span.total_seconds() / 60:.0f} min"
