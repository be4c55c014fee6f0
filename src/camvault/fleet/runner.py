"""Run one task over many devices: bounded concurrency, per-device timeouts, failure as data.

Following Nornir, a run maps every device to an :class:`Outcome` (a value or an error) and never lets one
device's failure stop the others; unlike Nornir, every device gets a deadline, and hooks are for display
only (progress bars, logs): a failing hook is logged and ignored, never a lost run. Work that must not be
skipped (the rotation journal) belongs in the task itself, where its failure is the device's failure. A ``stop_when`` predicate can end a run early (a systematic failure: every device refusing
the same thing); devices not started then are reported as skipped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from camvault.errors import CamvaultError, DeviceError, DeviceTimeout
from camvault.fleet.inventory import DeviceRecord

__all__ = ["Outcome", "RunHooks", "RunResult", "Runner"]

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T]):
    """What one device's task gave.

    Attributes:
        device: the device.
        value: the task's result, when it succeeded.
        error: why it failed (a camvault error: its message names the device and never a secret).
        skipped: the run stopped before this device was started.
        seconds: how long the task ran.
    """

    device: DeviceRecord
    value: T | None = None
    error: CamvaultError | None = None
    skipped: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the task succeeded."""
        return self.error is None and not self.skipped

    @property
    def reason(self) -> str:
        """The failure reason for humans ('' on success)."""
        if self.skipped:
            return "skipped: the run stopped early"
        if self.error is None:
            return ""
        if isinstance(self.error, DeviceError):
            return self.error.reason
        return str(self.error)

    @property
    def kind(self) -> str:
        """The error's class name ('ok', 'skipped'): a stable key for summaries and ``--retry-failed``."""
        if self.skipped:
            return "skipped"
        return "ok" if self.error is None else type(self.error).__name__


@dataclass(slots=True)
class RunResult(Generic[T]):
    """Every device's outcome, in the order the devices were given."""

    outcomes: list[Outcome[T]] = field(default_factory=list)
    stopped: str | None = None

    @property
    def succeeded(self) -> list[Outcome[T]]:
        """The outcomes that succeeded."""
        return [outcome for outcome in self.outcomes if outcome.ok]

    @property
    def failed(self) -> list[Outcome[T]]:
        """The outcomes that failed (not the skipped ones)."""
        return [outcome for outcome in self.outcomes if outcome.error is not None]

    @property
    def skipped(self) -> list[Outcome[T]]:
        """The devices never started because the run stopped."""
        return [outcome for outcome in self.outcomes if outcome.skipped]

    def by_kind(self) -> dict[str, int]:
        """How many outcomes of each kind (``ok``, ``DeviceLocked``, ...)."""
        counts: dict[str, int] = {}
        for outcome in self.outcomes:
            counts[outcome.kind] = counts.get(outcome.kind, 0) + 1
        return counts


class RunHooks(Protocol):
    """Side effects of a run (progress display, logging). Implement any subset: missing methods are skipped."""

    def run_started(self, total: int) -> None:
        """The run is about to start ``total`` devices."""

    def device_finished(self, outcome: Outcome[object]) -> None:
        """One device finished (successfully or not)."""


class Runner:
    """Runs a task over devices.

    Args:
        concurrency: devices in flight at once.
        timeout: seconds one device's task may take before it is cancelled and reported as a timeout.
        per_group_limit: at most this many devices of the same ``group_name`` in flight (per-site limits).
        hooks: progress and logging hooks.
    """

    def __init__(
        self,
        *,
        concurrency: int = 32,
        timeout: float = 60.0,
        per_group_limit: int | None = None,
        hooks: Sequence[object] = (),
    ) -> None:
        if concurrency < 1 or timeout <= 0 or (per_group_limit is not None and per_group_limit < 1):
            raise ValueError("concurrency, timeout and per-group limit must be positive")
        self.concurrency = concurrency
        self.timeout = timeout
        self.per_group_limit = per_group_limit
        self.hooks = list(hooks)

    async def run(
        self,
        devices: Iterable[DeviceRecord],
        task: Callable[[DeviceRecord], Awaitable[T]],
        *,
        stop_when: Callable[[list[Outcome[T]]], str | None] | None = None,
    ) -> RunResult[T]:
        """Run ``task`` for every device; never raises for a device's failure.

        Args:
            devices: the devices, in the order results are reported.
            task: the per-device coroutine function.
            stop_when: called after each device finishes with the outcomes so far; a non-empty string stops
                the run (the reason), and devices not yet started are skipped.
        """
        ordered = list(devices)
        self._call("run_started", len(ordered))
        slots = asyncio.Semaphore(self.concurrency)
        groups: dict[str, asyncio.Semaphore] = {}
        finished: list[Outcome[T]] = []
        results: dict[int, Outcome[T]] = {}
        result: RunResult[T] = RunResult()

        async def one(index: int, record: DeviceRecord) -> None:
            group = groups.setdefault(
                record.group_name, asyncio.Semaphore(self.per_group_limit or len(ordered) or 1)
            )
            async with slots, group:
                if result.stopped is not None:
                    results[index] = Outcome(record, skipped=True)
                    return
                outcome = await self._attempt(record, task)
                results[index] = outcome
                finished.append(outcome)
                self._call("device_finished", outcome)
                if stop_when is not None and result.stopped is None:
                    result.stopped = stop_when(finished) or None

        await asyncio.gather(*(one(index, record) for index, record in enumerate(ordered)))
        result.outcomes = [results[index] for index in range(len(ordered))]
        return result

    async def _attempt(
        self, record: DeviceRecord, task: Callable[[DeviceRecord], Awaitable[T]]
    ) -> Outcome[T]:
        started = time.monotonic()
        try:
            value = await asyncio.wait_for(task(record), timeout=self.timeout)
        except TimeoutError:
            error: CamvaultError = DeviceTimeout(record.label, f"no result within {self.timeout:g} s")
            return Outcome(record, error=error, seconds=time.monotonic() - started)
        except CamvaultError as exc:
            return Outcome(record, error=exc, seconds=time.monotonic() - started)
        except Exception as exc:  # a bug in a task or driver: one device's failure, recorded by type only
            error = DeviceError(record.label, f"internal error ({type(exc).__name__})")
            return Outcome(record, error=error, seconds=time.monotonic() - started)
        return Outcome(record, value=value, seconds=time.monotonic() - started)

    def _call(self, name: str, *args: object) -> None:
        for hook in self.hooks:
            method = getattr(hook, name, None)
            if method is None:
                continue
            try:
                method(*args)
            except Exception:
                log.exception("run hook %s.%s failed", type(hook).__name__, name)
