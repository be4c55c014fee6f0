"""Lockout safety: how many login attempts the fleet tool may still spend on a device.

A wrong password costs one of the device's few attempts (5 by default on Hikvision, then 30 minutes
locked, and each further try restarts the lock: research notes §8). The fleet tool must never be the one
that trips it, so every credentialed request goes through an :class:`AttemptBudget`:

* before a request that might fail, :meth:`AttemptBudget.spend` checks that a failure would still leave
  at least :attr:`reserve` attempts on the device, counting both our own failures since the last success
  and what the device itself reports (``retryLoginTime`` / ``retryTimes``); otherwise it raises
  :class:`~camvault.errors.AttemptBudgetExhausted` and nothing is sent;
* a device that reports a lock is not tried again until the lock has run out (:class:`~camvault.errors.DeviceLocked`);
* a password the device has already rejected is never tried again on that device: the budget remembers a
  keyed fingerprint of (device, password), never the password;
* a success resets the count, as it does on the device.

The budget is keyed by device *and* source address, because the device counts per source IP. This module
holds the rules and an in-memory implementation; the rotation engine persists the same state in its
journal so that a crash cannot make it forget attempts it already spent.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from camvault.clock import Clock, SystemClock
from camvault.errors import AttemptBudgetExhausted, AuthenticationFailed, DeviceLocked

__all__ = ["DEFAULT_THRESHOLD", "AttemptBudget", "BudgetState"]

DEFAULT_THRESHOLD = 5
"""Assumed lock threshold when the device's is unknown (Hikvision's default, §8)."""

DEFAULT_RESERVE = 2
"""Attempts always left untouched: one for the owner standing at the device, one for clock or counting slop."""


@dataclass(slots=True)
class BudgetState:
    """What the budget knows about one device from one source.

    Attributes:
        threshold: the device's lock threshold, if learnt (else :data:`DEFAULT_THRESHOLD` is assumed).
        failures: our failed attempts since the last success.
        device_attempts_left: the last count the device reported.
        locked_until: when the device's reported lock runs out.
        rejected: fingerprints of passwords this device rejected.
    """

    threshold: int | None = None
    failures: int = 0
    device_attempts_left: int | None = None
    locked_until: datetime | None = None
    rejected: frozenset[str] = frozenset()


class AttemptBudget:
    """Attempt accounting for every device, from this process's point of view.

    Args:
        reserve: attempts never spent (at least 1).
        clock: for lock expiry.
        key: the key of the rejected-password fingerprints (random per budget by default).
    """

    def __init__(
        self, *, reserve: int = DEFAULT_RESERVE, clock: Clock | None = None, key: bytes | None = None
    ) -> None:
        if reserve < 1:
            raise ValueError("the reserve must keep at least one attempt")
        self.reserve = reserve
        self.clock = clock or SystemClock()
        self._key = key or secrets.token_bytes(32)
        self._states: dict[tuple[str, str], BudgetState] = {}

    def state(self, device: str, source: str = "") -> BudgetState:
        """The state for a device (created empty on first use)."""
        return self._states.setdefault((device, source), BudgetState())

    def fingerprint(self, device: str, password: str) -> str:
        """A keyed, one-way fingerprint of a password for one device (never stored with the password)."""
        return hmac.new(self._key, f"{device}\x00{password}".encode(), hashlib.sha256).hexdigest()

    def learn_threshold(self, device: str, threshold: int | None, source: str = "") -> None:
        """Record the device's lock threshold (``None`` or 0: the lock is off, keep the default caution)."""
        state = self.state(device, source)
        state.threshold = threshold if threshold and threshold > 0 else None

    def remaining(self, device: str, source: str = "") -> int:
        """How many more failures may be risked now."""
        state = self.state(device, source)
        threshold = state.threshold or DEFAULT_THRESHOLD
        ours = threshold - state.failures - self.reserve
        if state.device_attempts_left is not None:
            ours = min(ours, state.device_attempts_left - self.reserve)
        return max(0, ours)

    def spend(self, device: str, password: str, source: str = "", *, unguessable: bool = False) -> None:
        """Check, before sending it, that one more attempt with ``password`` is safe.

        Args:
            device: the device's name.
            password: the secret about to be sent (only its fingerprint is kept).
            source: the address the device counts the attempt against.
            unguessable: the secret is one nobody could guess (a vendor's signed reset code). Such an
                attempt is not held back by a lock or the reserve: the lock exists against guessing, the
                owner who tripped it is the one bringing the code, and a refusal costs at most a restarted
                lock. A secret the device already rejected is still never resent.

        Raises:
            DeviceLocked: the device reported a lock that has not run out.
            AuthenticationFailed: this device already rejected this password (it is not sent again).
            AttemptBudgetExhausted: a failure would eat into the reserve.
        """
        state = self.state(device, source)
        now = self.clock.now()
        if state.locked_until is not None and now >= state.locked_until:
            state.locked_until = None
            state.device_attempts_left = None
            state.failures = 0
        if self.fingerprint(device, password) in state.rejected:
            raise AuthenticationFailed(
                device, "this password was already rejected by the device; not trying it again"
            )
        if unguessable:
            return
        if state.locked_until is not None:
            raise DeviceLocked(device, "the device's login lock is engaged", locked_until=state.locked_until)
        if self.remaining(device, source) < 1:
            raise AttemptBudgetExhausted(
                device,
                f"another failed login could lock the device (keeping {self.reserve} attempts in reserve)",
            )

    def record_failure(
        self,
        device: str,
        password: str,
        *,
        attempts_left: int | None = None,
        locked: bool = False,
        unlock_in_seconds: int | None = None,
        source: str = "",
    ) -> None:
        """Count a rejected login and remember the password as rejected."""
        state = self.state(device, source)
        state.failures += 1
        state.rejected = state.rejected | {self.fingerprint(device, password)}
        if attempts_left is not None:
            state.device_attempts_left = attempts_left
        if locked:
            seconds = unlock_in_seconds if unlock_in_seconds else (30 * 60)
            state.locked_until = self.clock.now() + timedelta(seconds=seconds)

    def record_unconfirmed(self, device: str, source: str = "") -> None:
        """Count an attempt whose outcome is unknown (the connection dropped after the credential was sent).

        The device may have counted a failure, so the budget counts one too; the password is *not*
        remembered as rejected, because it may well have been right.
        """
        self.state(device, source).failures += 1

    def record_lock(self, device: str, *, unlock_in_seconds: int | None, source: str = "") -> None:
        """The device reported a lock without us spending an attempt (e.g. a lock status probe)."""
        state = self.state(device, source)
        state.locked_until = self.clock.now() + timedelta(seconds=unlock_in_seconds or 30 * 60)

    def record_success(self, device: str, source: str = "") -> None:
        """A login succeeded: the device reset its count, and so do we."""
        state = self.state(device, source)
        state.failures = 0
        state.device_attempts_left = None
        state.locked_until = None

    def device_was_reset(self, device: str, source: str = "") -> None:
        """Forget everything about a device that was reset to factory state: its counters start over."""
        self._states.pop((device, source), None)

    def forget_rejections(self, device: str, source: str = "") -> None:
        """Forget rejected passwords (after a factory reset, a recovery or an owner's explicit override)."""
        self.state(device, source).rejected = frozenset()
