"""The illegal-login lock: what stops a guesser, and what trips an owner who guesses (research notes §8).

Semantics implemented here:

* enabled by default, 5 attempts, 1800 s: the observed defaults (§8);
* failures are counted **per source IP** (the notes leave per-user / per-IP / global open, gap 8; real
  reports of an NVR locking its camera while the owner can still log in from a laptop fit per-IP);
* when the count reaches the maximum, that IP is locked for the lock time; while locked, every attempt,
  even with the right password, is refused **and restarts the lock time** ("During the locking time, if the
  user tries to log in again, the remaining locking time will resume to 30 minutes", SDK text in §8);
* a successful login resets the count; the state is volatile (a reboot clears it).

Time is the device's monotonic clock, in seconds, passed in by the caller.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

__all__ = ["LockSettings", "LockStatus", "LockTracker"]

MAX_TRACKED_SOURCES = 4096


@dataclass(slots=True)
class LockSettings:
    """``/ISAPI/Security/illegalLoginLock``: whether the lock is on, after how many failures, for how long."""

    enabled: bool = True
    max_attempts: int = 5
    lock_seconds: int = 1800


@dataclass(frozen=True, slots=True)
class LockStatus:
    """What the device tells a client about its lock.

    Attributes:
        locked: the source is locked out.
        attempts_left: failures still allowed before the lock engages (``retryLoginTime``/``retryTimes``).
        remaining_seconds: lock time left, 0 when unlocked (``unlockTime``/``resLockTime``).
    """

    locked: bool
    attempts_left: int
    remaining_seconds: int


@dataclass(slots=True)
class _Entry:
    failures: int = 0
    locked_until: float | None = None


class LockTracker:
    """Failure counts and locks per source IP, bounded in size."""

    def __init__(self, settings: LockSettings) -> None:
        self.settings = settings
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def status(self, source: str, now: float) -> LockStatus:
        """Return the lock status of ``source`` without counting an attempt."""
        entry = self._live_entry(source, now)
        if entry is None:
            return LockStatus(False, self.settings.max_attempts, 0)
        if entry.locked_until is not None:
            return LockStatus(True, 0, max(1, round(entry.locked_until - now)))
        return LockStatus(False, max(0, self.settings.max_attempts - entry.failures), 0)

    def is_locked(self, source: str, now: float) -> bool:
        """Whether ``source`` is locked out right now."""
        return self.status(source, now).locked

    def touch_locked(self, source: str, now: float) -> LockStatus:
        """Record an attempt made while locked: the lock time starts again."""
        entry = self._live_entry(source, now)
        if entry is not None and entry.locked_until is not None:
            entry.locked_until = now + self.settings.lock_seconds
        return self.status(source, now)

    def record_failure(self, source: str, now: float) -> LockStatus:
        """Count a failed login from ``source``; engage the lock at the maximum."""
        if not self.settings.enabled:
            return LockStatus(False, self.settings.max_attempts, 0)
        entry = self._live_entry(source, now)
        if entry is None:
            entry = self._entries[source] = _Entry()
            self._bound()
        if entry.locked_until is not None:
            return self.touch_locked(source, now)
        entry.failures += 1
        if entry.failures >= self.settings.max_attempts:
            entry.locked_until = now + self.settings.lock_seconds
        return self.status(source, now)

    def record_success(self, source: str) -> None:
        """Forget the failures of ``source`` after a successful login."""
        self._entries.pop(source, None)

    def clear(self) -> None:
        """Forget every failure and lock (reboot, support reset, or turning the lock off)."""
        self._entries.clear()

    def locked_sources(self, now: float) -> list[str]:
        """Every source locked out right now."""
        return [source for source in list(self._entries) if self.is_locked(source, now)]

    def _live_entry(self, source: str, now: float) -> _Entry | None:
        entry = self._entries.get(source)
        if entry is not None and entry.locked_until is not None and now >= entry.locked_until:
            del self._entries[source]
            return None
        return entry

    def _bound(self) -> None:
        while len(self._entries) > MAX_TRACKED_SOURCES:
            self._entries.popitem(last=False)
