"""Clocks, injected wherever time matters, so that state machines stay pure and tests stay exact.

Protocol codecs never read a clock: they take ``now`` as an argument. Everything that keeps time (the
emulated device, the fleet runner, the support service) receives a :class:`Clock`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """A source of wall-clock and monotonic time."""

    def now(self) -> datetime:
        """Return the current wall-clock time, timezone-aware, in UTC."""
        ...

    def monotonic(self) -> float:
        """Return seconds from an arbitrary origin that never goes backwards."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        """Return the machine's wall-clock time in UTC."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """Return the machine's monotonic time."""
        return time.monotonic()


class ManualClock:
    """A clock that only moves when told to; for tests and simulations."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start time")
        self._monotonic = 1000.0

    def now(self) -> datetime:
        """Return the clock's current wall time."""
        return self._now

    def monotonic(self) -> float:
        """Return the clock's current monotonic time."""
        return self._monotonic

    def advance(self, seconds: float) -> None:
        """Move both wall and monotonic time forward by ``seconds``."""
        if seconds < 0:
            raise ValueError("a clock cannot advance by a negative amount")
        self._now += timedelta(seconds=seconds)
        self._monotonic += seconds

    def set_wall(self, when: datetime) -> None:
        """Set the wall time (as an NTP step or an operator would); monotonic time is unaffected."""
        self._now = when.astimezone(UTC)


class SkewedClock:
    """A clock that reads another clock's monotonic time but shows a settable wall-time offset.

    This is a device's real-time clock: it starts wherever the lab says, can be set through the device's
    API or skewed by the lab, and never affects timers (which use monotonic time).
    """

    def __init__(self, base: Clock, offset: timedelta = timedelta(0)) -> None:
        self._base = base
        self.offset = offset

    def now(self) -> datetime:
        """Return the base wall time plus the offset."""
        return self._base.now() + self.offset

    def monotonic(self) -> float:
        """Return the base clock's monotonic time."""
        return self._base.monotonic()

    def set_wall(self, when: datetime) -> None:
        """Make :meth:`now` read ``when`` at this instant."""
        self.offset = when.astimezone(UTC) - self._base.now()
