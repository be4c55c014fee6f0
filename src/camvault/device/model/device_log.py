"""The device's own log: what happened to its accounts, kept on the device for its owner to read.

Real devices keep an operation log (Maintenance > Log in the web UI); recovery events land there. This one
is small: a bounded list of :class:`LogEntry` (newest last, at most :data:`MAX_ENTRIES`), persisted with the
device state and kept by a factory reset, as a recorder keeps its log on its disk. Entries are facts for
the owner (what, when, from which address); they never hold a secret: no password, no code, no key.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["MAX_ENTRIES", "DeviceLog", "LogEntry"]

MAX_ENTRIES = 512
"""Entries kept; the oldest go first."""


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One event.

    Attributes:
        time: the device's clock when it happened.
        kind: a stable name for the event, e.g. ``passwordResetBySupportCode``.
        source: the client address that caused it, when there is one.
        detail: words for the owner (never a secret).
    """

    time: datetime
    kind: str
    source: str | None
    detail: str


class DeviceLog:
    """The bounded event log of one device."""

    def __init__(self, entries: Iterable[LogEntry] = ()) -> None:
        self._entries: deque[LogEntry] = deque(entries, maxlen=MAX_ENTRIES)

    def __repr__(self) -> str:
        return f"DeviceLog(entries={len(self._entries)})"

    def __len__(self) -> int:
        return len(self._entries)

    def record(self, time: datetime, kind: str, detail: str, *, source: str | None = None) -> LogEntry:
        """Append an event and return it."""
        entry = LogEntry(time=time, kind=kind, source=source, detail=detail)
        self._entries.append(entry)
        return entry

    def entries(self, kind: str | None = None) -> list[LogEntry]:
        """Return the events, oldest first, optionally only those of one kind."""
        return [entry for entry in self._entries if kind is None or entry.kind == kind]

    def to_snapshot(self) -> list[dict[str, Any]]:
        """Return the log, JSON-ready."""
        return [
            {
                "time": entry.time.isoformat(),
                "kind": entry.kind,
                "source": entry.source,
                "detail": entry.detail,
            }
            for entry in self._entries
        ]

    def load_snapshot(self, data: Iterable[Mapping[str, Any]] | None) -> None:
        """Replace the log with :meth:`to_snapshot` output; ``None`` (state from before the log) empties it.

        Raises:
            ValueError: an entry is malformed.
        """
        entries = []
        for item in data or ():
            try:
                source = item["source"]
                entries.append(
                    LogEntry(
                        time=datetime.fromisoformat(str(item["time"])),
                        kind=str(item["kind"]),
                        source=None if source is None else str(source),
                        detail=str(item["detail"]),
                    )
                )
            except (KeyError, TypeError) as exc:
                raise ValueError(f"device log entry is malformed: {exc}") from None
        self._entries = deque(entries, maxlen=MAX_ENTRIES)
