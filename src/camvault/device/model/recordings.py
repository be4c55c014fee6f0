"""Recordings: what an NVR (or a camera with a memory card) has on its disk, as intervals per track.

Tracks follow ISAPI's numbering: ``101`` is channel 1's main stream, ``201`` channel 2's. A track records
while its source is online (an NVR channel) or while the device is powered (a camera's memory card); the log
keeps those intervals, and a search cuts them into fixed-length segments as a real recorder's file index
does. Clip contents are synthetic and deterministic (:func:`clip_bytes`): a small header naming the device,
track and time span, then filler derived from them, so a download can be checked byte for byte.

Resets and recordings: neither ``basic`` nor ``full`` factory reset, nor the reset button, formats the
disk: recordings survive, as on real recorders, whose manuals list disk formatting as a separate operation.
What a full reset does lose is the channel configuration, so *new* recording stops until the NVR is
re-linked to its cameras. That is why recovery backs up the configuration and re-links channels.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["RecordingLog", "Segment", "clip_bytes", "track_id"]

SEGMENT_LENGTH = timedelta(minutes=10)
MAX_INTERVALS_PER_TRACK = 1000
CLIP_BYTES_PER_SECOND = 16


def track_id(channel: int) -> int:
    """The main-stream track of a channel (``101`` for channel 1)."""
    return channel * 100 + 1


@dataclass(frozen=True, slots=True)
class Segment:
    """One recorded file: a track and a time span."""

    track: int
    start: datetime
    end: datetime

    @property
    def name(self) -> str:
        """A stable file name for the segment."""
        return f"ch{self.track // 100:02d}_{self.start:%Y%m%d%H%M%S}"

    @property
    def size(self) -> int:
        """The clip's size in bytes."""
        return len(CLIP_HEADER) + 96 + int((self.end - self.start).total_seconds()) * CLIP_BYTES_PER_SECOND


CLIP_HEADER = b"CAMVAULT-SYNTHETIC-CLIP\n"


def clip_bytes(serial: str, segment: Segment) -> bytes:
    """The synthetic, deterministic content of a recorded segment."""
    span = f"{segment.start:%Y%m%dT%H%M%SZ}-{segment.end:%Y%m%dT%H%M%SZ}"
    header = CLIP_HEADER + f"{serial} track={segment.track} {span}\n".encode()
    header = header.ljust(len(CLIP_HEADER) + 96, b" ")
    body_length = segment.size - len(header)
    seed = hashlib.sha256(header).digest()
    blocks = (body_length + 31) // 32
    body = b"".join(hashlib.sha256(seed + index.to_bytes(4, "big")).digest() for index in range(blocks))
    return header + body[:body_length]


class RecordingLog:
    """Recorded intervals per track; an interval with ``end`` ``None`` is still recording."""

    def __init__(self) -> None:
        self._intervals: dict[int, list[list[datetime | None]]] = {}

    def start(self, track: int, now: datetime) -> None:
        """Begin recording a track (no-op if it is already recording).

        Times are kept to the whole second, as devices stamp recordings and playback URIs name them.
        """
        intervals = self._intervals.setdefault(track, [])
        if intervals and intervals[-1][1] is None:
            return
        intervals.append([now.replace(microsecond=0), None])
        del intervals[:-MAX_INTERVALS_PER_TRACK]

    def stop(self, track: int, now: datetime) -> None:
        """Stop recording a track (no-op if it is not recording)."""
        intervals = self._intervals.get(track)
        if intervals and intervals[-1][1] is None:
            start = intervals[-1][0]
            assert start is not None
            intervals[-1][1] = max(now.replace(microsecond=0), start)

    def stop_all(self, now: datetime) -> None:
        """Stop every track (power off, reboot)."""
        for track in list(self._intervals):
            self.stop(track, now)

    def is_recording(self, track: int) -> bool:
        """Whether a track is recording now."""
        intervals = self._intervals.get(track)
        return intervals is not None and bool(intervals) and intervals[-1][1] is None

    def tracks(self) -> list[int]:
        """Every track with recordings."""
        return sorted(self._intervals)

    def segments(self, track: int, start: datetime, end: datetime, now: datetime) -> list[Segment]:
        """Segments of ``track`` overlapping ``[start, end)``, cut at fixed boundaries, oldest first."""
        found: list[Segment] = []
        for begin, finish in self._intervals.get(track, []):
            assert begin is not None
            stop = finish if finish is not None else now
            cursor = begin
            while cursor < stop:
                boundary = _next_boundary(cursor)
                piece_end = min(boundary, stop)
                if piece_end > start and cursor < end and piece_end > cursor:
                    found.append(Segment(track, cursor, piece_end))
                cursor = piece_end
        return found

    def to_snapshot(self) -> dict[str, list[list[str | None]]]:
        """A JSON-ready copy of the log."""
        return {
            str(track): [
                [begin.isoformat() if begin else None, end.isoformat() if end else None]
                for begin, end in spans
            ]
            for track, spans in self._intervals.items()
        }

    @classmethod
    def from_snapshot(cls, data: dict[str, list[list[str | None]]]) -> RecordingLog:
        """Rebuild a log from :meth:`to_snapshot` output."""
        log = cls()
        for track, spans in data.items():
            log._intervals[int(track)] = [
                [
                    datetime.fromisoformat(begin) if begin else None,
                    datetime.fromisoformat(end) if end else None,
                ]
                for begin, end in spans
            ]
        return log


def _next_boundary(moment: datetime) -> datetime:
    epoch = datetime(1970, 1, 1, tzinfo=moment.tzinfo)
    length = SEGMENT_LENGTH.total_seconds()
    elapsed = (moment - epoch).total_seconds()
    return epoch + timedelta(seconds=(elapsed // length + 1) * length)
