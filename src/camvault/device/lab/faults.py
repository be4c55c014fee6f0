"""Injected faults: what the lab does to a device's traffic when a test or a chaos run asks.

A :class:`FaultPlan` holds rates and a filter; for each request it draws (from its own seeded generator, so
a run is reproducible) whether to add latency, answer 5xx, drop the connection, hang, or apply the request
and lose the reply. Plans can be limited to some methods or path prefixes (e.g. only ``PUT`` on
``/ISAPI/Security/users``) and to a number of requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from random import Random
from typing import Any

from camvault.device.http import Fault, Request
from camvault.errors import ConfigurationError

__all__ = ["FaultPlan"]

_RATES = ("error_rate", "drop_rate", "hang_rate", "lost_reply_rate")


@dataclass(slots=True)
class FaultPlan:
    """Faults to inject into one device's HTTP traffic.

    Attributes:
        latency: seconds added to every matching request.
        error_rate: probability of answering ``error_status`` instead of handling.
        error_status: the 5xx status to answer.
        drop_rate: probability of closing the connection without handling.
        hang_rate: probability of never answering.
        lost_reply_rate: probability of handling the request and then closing without replying.
        methods: only requests with these methods (empty: all).
        paths: only requests whose path starts with one of these (empty: all).
        remaining: how many more matching requests the plan affects (``None``: unlimited).
        seed: seeds the plan's generator.
    """

    latency: float = 0.0
    error_rate: float = 0.0
    error_status: int = 503
    drop_rate: float = 0.0
    hang_rate: float = 0.0
    lost_reply_rate: float = 0.0
    methods: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    remaining: int | None = None
    seed: int = 0
    _rng: Random = field(default_factory=Random, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in _RATES:
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigurationError(f"{name} must be between 0 and 1")
        if sum(getattr(self, name) for name in _RATES) > 1.0:
            raise ConfigurationError("the fault rates must add up to at most 1")
        if not 0 <= self.latency <= 120:
            raise ConfigurationError("latency must be between 0 and 120 seconds")
        if not 500 <= self.error_status <= 599:
            raise ConfigurationError("error_status must be a 5xx status")
        if self.remaining is not None and self.remaining < 0:
            raise ConfigurationError("remaining must not be negative")
        self._rng = Random(self.seed)

    @classmethod
    def from_dict(cls, data: Any) -> FaultPlan:
        """Build a plan from a JSON object (the control API and the CLI).

        Raises:
            ConfigurationError: unknown keys or values of the wrong type.
        """
        if not isinstance(data, dict):
            raise ConfigurationError("a fault plan is a JSON object")
        allowed = {name for name in cls.__dataclass_fields__ if not name.startswith("_")}
        unknown = set(data) - allowed
        if unknown:
            raise ConfigurationError(f"unknown fault setting(s): {sorted(unknown)}")
        values: dict[str, Any] = {}
        for name, value in data.items():
            if name in {"methods", "paths"}:
                if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                    raise ConfigurationError(f"{name} must be a list of strings")
                values[name] = tuple(item.upper() if name == "methods" else item for item in value)
            elif name in {"error_status", "seed"} or (name == "remaining" and value is not None):
                if not isinstance(value, int) or isinstance(value, bool):
                    raise ConfigurationError(f"{name} must be an integer")
                values[name] = value
            elif name == "remaining":
                values[name] = None
            else:
                if not isinstance(value, int | float) or isinstance(value, bool):
                    raise ConfigurationError(f"{name} must be a number")
                values[name] = float(value)
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The plan as a JSON object."""
        return {
            name: list(value) if isinstance(value, tuple) else value
            for name in self.__dataclass_fields__
            if not name.startswith("_")
            for value in [getattr(self, name)]
        }

    def copy(self) -> FaultPlan:
        """A fresh copy with its own generator, re-seeded."""
        return replace(self)

    def matches(self, request: Request) -> bool:
        """Whether the plan applies to this request."""
        if self.methods and request.method not in self.methods:
            return False
        path = request.path
        return not self.paths or any(path.startswith(prefix) for prefix in self.paths)

    def decide(self, request: Request) -> Fault | None:
        """Draw what happens to one request, or ``None`` to leave it alone."""
        if self.remaining == 0 or not self.matches(request):
            return None
        if self.remaining is not None:
            self.remaining -= 1
        draw = self._rng.random()
        edge = self.error_rate
        if draw < edge:
            return Fault(delay=self.latency, status=self.error_status)
        edge += self.drop_rate
        if draw < edge:
            return Fault(delay=self.latency, drop=True)
        edge += self.hang_rate
        if draw < edge:
            return Fault(delay=self.latency, hang=True)
        edge += self.lost_reply_rate
        if draw < edge:
            return Fault(delay=self.latency, lose_reply=True)
        return Fault(delay=self.latency) if self.latency else None
