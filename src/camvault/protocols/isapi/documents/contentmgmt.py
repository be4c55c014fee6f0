"""Recording search and download: ``POST /ISAPI/ContentMgmt/search`` and ``.../download``.

Sources (found with the code search; none is in the research notes):

* A real request/response pair printed in the ISAPI developer guide (an unattributed public excerpt of
  the "ISAPI - Videowall Controller" guide, §4.4.3.2 "Search for Videos"): the web client sends
  ``<CMSearchDescription>`` with ``searchID, trackList/trackID, timeSpanList/timeSpan{startTime,
  endTime}, maxResults, searchResultPostion, metadataList/metadataDescriptor`` and the device answers
  ``<CMSearchResult version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">`` with ``searchID,
  responseStatus, responseStatusStrg, numOfMatches, matchList/searchMatchItem{sourceID, trackID,
  timeSpan, mediaSegmentDescriptor{contentType, codecType, playbackURI, lockStatus, name},
  metadataMatches/metadataDescriptor}``.
* Public clients (Python, C#, JavaScript) send the same body, some with ``trackIDList`` instead of
  ``trackList``; one README notes that ``searchResultPostion`` is the device's own misspelling and the
  correct spelling is not understood. Hikvision's WebSDK demo pages with ``responseStatusStrg`` ``MORE``;
  other ISAPI searches answer ``NO MATCHES``.
* ``<downloadRequest><playbackURI>…</playbackURI></downloadRequest>`` from several download clients
  (``&`` in the URI escaped once).

Times are ISO 8601, UTC with ``Z`` in practice (``2026-01-01T00:00:00Z``); ``playbackURI`` looks like
``rtsp://<ip>/Streaming/tracks/101/?starttime=20260101T000000Z&endtime=…&name=…&size=…``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import ClassVar, Self
from urllib.parse import parse_qsl, quote, urlsplit
from xml.etree.ElementTree import Element

from camvault.errors import InvalidContent
from camvault.protocols import xml
from camvault.protocols.isapi.documents._base import (
    check_order,
    format_datetime,
    leaf,
    parse_enum,
    required_datetime,
    required_text,
)

__all__ = [
    "CMSearchDescription",
    "CMSearchResult",
    "DownloadRequest",
    "PlaybackUri",
    "SearchMatch",
    "SearchStatus",
    "TimeSpan",
]

_MAX_TRACKS = 256


@dataclass(frozen=True, slots=True)
class TimeSpan:
    """A ``<timeSpan>``: ``startTime`` and ``endTime``, not reversed."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        check_order(self.start, self.end, field="endTime")

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read ``startTime``/``endTime``.

        Raises:
            InvalidContent: a time is missing or malformed, or the span is reversed.
        """
        return cls(required_datetime(element, "startTime"), required_datetime(element, "endTime"))

    def to_node(self) -> xml.Node:
        """Return ``<timeSpan>``."""
        return xml.Node(
            "timeSpan",
            children=(
                xml.Node("startTime", format_datetime(self.start)),
                xml.Node("endTime", format_datetime(self.end)),
            ),
        )


def _track_ids(element: Element) -> tuple[int, ...]:
    source = element
    for list_name in ("trackList", "trackIDList"):
        container = xml.child(element, list_name)
        if container is not None:
            source = container
            break
    ids = tuple(_track_id(sub) for sub in xml.children(source, "trackID"))
    if len(ids) > _MAX_TRACKS:
        raise InvalidContent("too many tracks in one search", field="trackID")
    return ids


def _track_id(element: Element) -> int:
    raw = (element.text or "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise InvalidContent("<trackID> is not an integer", field="trackID")
    return int(raw)


def _position(element: Element) -> int:
    """``searchResultPostion`` (the device's spelling) or ``searchResultPosition`` (pyhik's), default 0."""
    for name in ("searchResultPostion", "searchResultPosition"):
        value = xml.optional_integer(element, name, minimum=0)
        if value is not None:
            return value
    return 0


@dataclass(frozen=True, slots=True)
class CMSearchDescription:
    """The recording-search request (``POST /ISAPI/ContentMgmt/search``).

    Read tolerantly: ``trackList`` or ``trackIDList`` (or a bare ``trackID``); ``searchResultPostion``
    (the real spelling) defaults to 0 when absent, as the minimal bodies some clients send work on real
    NVRs. Rendered like the vendor web client, with ``trackList``.

    Attributes:
        search_id: a client-chosen id (a GUID), echoed by the device.
        track_ids: channel × 100 + stream, e.g. 101.
        time_spans: the windows to search.
        max_results: the page size.
        search_result_position: the index of the first result of this page.
        metadata_descriptors: e.g. ``//recordType.meta.std-cgi.com``.
    """

    ROOT: ClassVar[str] = "CMSearchDescription"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = frozenset({"CMSearchDescription"})

    search_id: str
    track_ids: tuple[int, ...]
    time_spans: tuple[TimeSpan, ...]
    max_results: int
    search_result_position: int = 0
    metadata_descriptors: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.track_ids:
            raise InvalidContent("a search needs at least one track", field="trackID")
        if not self.time_spans:
            raise InvalidContent("a search needs at least one time span", field="timeSpan")

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read a ``<CMSearchDescription>``.

        Raises:
            InvalidContent: ``searchID``, a track, a time span or ``maxResults`` is missing or malformed.
        """
        spans_container = xml.child(element, "timeSpanList")
        spans = () if spans_container is None else xml.children(spans_container, "timeSpan")
        metadata = xml.child(element, "metadataList")
        descriptors = () if metadata is None else xml.children(metadata, "metadataDescriptor")
        return cls(
            search_id=required_text(element, "searchID", max_length=128),
            track_ids=_track_ids(element),
            time_spans=tuple(TimeSpan.from_element(span) for span in spans),
            max_results=xml.integer(element, "maxResults", minimum=1, maximum=100_000),
            search_result_position=_position(element),
            metadata_descriptors=tuple((sub.text or "").strip() for sub in descriptors),
        )

    def to_node(self) -> xml.Node:
        """Return ``<CMSearchDescription>`` in the vendor web client's order."""
        metadata = None
        if self.metadata_descriptors:
            metadata = xml.Node(
                "metadataList",
                children=tuple(xml.Node("metadataDescriptor", text) for text in self.metadata_descriptors),
            )
        return xml.Node(
            self.ROOT,
            children=(
                xml.Node("searchID", self.search_id),
                xml.Node("trackList", children=tuple(xml.Node("trackID", t) for t in self.track_ids)),
                xml.Node("timeSpanList", children=tuple(span.to_node() for span in self.time_spans)),
                xml.Node("maxResults", self.max_results),
                xml.Node("searchResultPostion", self.search_result_position),
                metadata,
            ),
        )


class SearchStatus(StrEnum):
    """``responseStatusStrg``: ``MORE`` (another page follows), ``OK`` (last page), ``NO MATCHES``."""

    MORE = "MORE"
    OK = "OK"
    NO_MATCHES = "NO MATCHES"


@dataclass(frozen=True, slots=True)
class SearchMatch:
    """One ``<searchMatchItem>``: a recorded segment and the URI to play or download it.

    Attributes:
        track_id: the track it belongs to.
        time_span: the segment's extent.
        playback_uri: the RTSP URI (see :class:`PlaybackUri`).
        source_id: a GUID, ``{00000000-…}`` on the captured device.
        content_type: ``video``, ...
        codec_type: e.g. ``H.264-BP``.
        lock_status: the recording's own lock (``unlock``/``lock``), verbatim.
        name: the file name, also in the URI.
        metadata_descriptor: e.g. ``recordType.meta.std-cgi.com/timing``.
    """

    track_id: int
    time_span: TimeSpan
    playback_uri: str
    source_id: str | None = None
    content_type: str | None = None
    codec_type: str | None = None
    lock_status: str | None = None
    name: str | None = None
    metadata_descriptor: str | None = None

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read a ``<searchMatchItem>``.

        Raises:
            InvalidContent: ``trackID``, ``timeSpan`` or ``playbackURI`` is missing or malformed.
        """
        span = xml.child(element, "timeSpan")
        if span is None:
            raise InvalidContent("<timeSpan> is missing", field="timeSpan")
        segment = ("mediaSegmentDescriptor",)
        return cls(
            track_id=xml.integer(element, "trackID", minimum=0),
            time_span=TimeSpan.from_element(span),
            playback_uri=required_text(element, *segment, "playbackURI", max_length=2048),
            source_id=xml.optional_text(element, "sourceID", max_length=128),
            content_type=xml.optional_text(element, *segment, "contentType", max_length=64),
            codec_type=xml.optional_text(element, *segment, "codecType", max_length=64),
            lock_status=xml.optional_text(element, *segment, "lockStatus", max_length=32),
            name=xml.optional_text(element, *segment, "name", max_length=256),
            metadata_descriptor=xml.optional_text(element, "metadataMatches", "metadataDescriptor"),
        )

    def to_node(self) -> xml.Node:
        """Return ``<searchMatchItem>`` in the captured order."""
        segment = xml.Node(
            "mediaSegmentDescriptor",
            children=(
                leaf("contentType", self.content_type),
                leaf("codecType", self.codec_type),
                xml.Node("playbackURI", self.playback_uri),
                leaf("lockStatus", self.lock_status),
                leaf("name", self.name),
            ),
        )
        metadata = None
        if self.metadata_descriptor is not None:
            metadata = xml.Node(
                "metadataMatches", children=(xml.Node("metadataDescriptor", self.metadata_descriptor),)
            )
        return xml.Node(
            "searchMatchItem",
            children=(
                leaf("sourceID", self.source_id),
                xml.Node("trackID", self.track_id),
                self.time_span.to_node(),
                segment,
                metadata,
            ),
        )


@dataclass(frozen=True, slots=True)
class CMSearchResult:
    """The recording-search reply (captured shape in the module docstring).

    Attributes:
        search_id: echoed (the captured device lower-cases it and adds braces).
        response_status: ``true`` when the search ran.
        status: ``MORE``, ``OK`` or ``NO MATCHES``.
        num_of_matches: the number of items in this page.
        matches: the items.
    """

    ROOT: ClassVar[str] = "CMSearchResult"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = frozenset({"CMSearchResult"})

    search_id: str
    response_status: bool
    status: SearchStatus
    num_of_matches: int
    matches: tuple[SearchMatch, ...] = ()

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read a ``<CMSearchResult>``.

        Raises:
            InvalidContent: a required field is missing or malformed.
        """
        match_list = xml.child(element, "matchList")
        items = () if match_list is None else xml.children(match_list, "searchMatchItem")
        return cls(
            search_id=xml.text(element, "searchID", max_length=128),
            response_status=xml.boolean(element, "responseStatus"),
            status=parse_enum(
                SearchStatus,
                xml.text(element, "responseStatusStrg", max_length=32),
                field="responseStatusStrg",
            ),
            num_of_matches=xml.integer(element, "numOfMatches", minimum=0),
            matches=tuple(SearchMatch.from_element(item) for item in items),
        )

    def to_node(self) -> xml.Node:
        """Return ``<CMSearchResult>`` in the captured order."""
        return xml.Node(
            self.ROOT,
            children=(
                xml.Node("searchID", self.search_id),
                xml.Node("responseStatus", self.response_status),
                xml.Node("responseStatusStrg", self.status.value),
                xml.Node("numOfMatches", self.num_of_matches),
                xml.Node("matchList", children=tuple(match.to_node() for match in self.matches)),
            ),
        )


@dataclass(frozen=True, slots=True)
class DownloadRequest:
    """``<downloadRequest><playbackURI>`` (``GET /ISAPI/ContentMgmt/download`` body).

    Raises:
        InvalidContent: the URI is not an ``rtsp://`` or ``rtsps://`` URI.
    """

    ROOT: ClassVar[str] = "downloadRequest"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = frozenset({"downloadRequest"})

    playback_uri: str

    def __post_init__(self) -> None:
        if urlsplit(self.playback_uri).scheme.lower() not in ("rtsp", "rtsps"):
            raise InvalidContent("<playbackURI> is not an RTSP URI", field="playbackURI")

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read ``<playbackURI>``.

        Raises:
            InvalidContent: it is missing or not an RTSP URI.
        """
        return cls(playback_uri=required_text(element, "playbackURI", max_length=2048))

    def to_node(self) -> xml.Node:
        """Return ``<downloadRequest><playbackURI>``."""
        return xml.Node(self.ROOT, children=(xml.Node("playbackURI", self.playback_uri),))


_URI_TIME = "%Y%m%dT%H%M%SZ"


def _uri_time(raw: str, *, field: str) -> datetime:
    try:
        return datetime.strptime(raw, _URI_TIME).replace(tzinfo=UTC)
    except ValueError:
        raise InvalidContent(f"playback URI {field} is not YYYYMMDDThhmmssZ", field=field) from None


@dataclass(frozen=True, slots=True)
class PlaybackUri:
    """The parts of a recording's ``playbackURI``.

    ``rtsp://10.14.97.40/Streaming/tracks/101/?starttime=20210818T151815Z&endtime=20210818T151908Z
    &name=00000004667000100&size=1400788`` (the guide's capture). Times are UTC.
    """

    host: str
    track_id: int
    start: datetime
    end: datetime
    name: str | None = None
    size: int | None = None

    def __post_init__(self) -> None:
        if self.start.utcoffset() is None or self.end.utcoffset() is None:
            raise InvalidContent("playback URI times need a UTC offset", field="starttime")
        check_order(self.start, self.end, field="endtime")

    @classmethod
    def parse(cls, uri: str) -> Self:
        """Split a playback URI into its parts.

        Raises:
            InvalidContent: not an RTSP ``/Streaming/tracks/<id>/`` URI with ``starttime`` and ``endtime``.
        """
        parts = urlsplit(uri.strip())
        segments = [segment for segment in parts.path.split("/") if segment]
        if (
            parts.scheme.lower() not in ("rtsp", "rtsps")
            or not parts.netloc
            or len(segments) != 3
            or [segment.lower() for segment in segments[:2]] != ["streaming", "tracks"]
            or not (segments[2].isascii() and segments[2].isdigit())
        ):
            raise InvalidContent("not a /Streaming/tracks/<id>/ playback URI", field="playbackURI")
        query = dict(parse_qsl(parts.query))
        if "starttime" not in query or "endtime" not in query:
            raise InvalidContent("playback URI lacks starttime or endtime", field="playbackURI")
        size = query.get("size")
        if size is not None and not (size.isascii() and size.isdigit()):
            raise InvalidContent("playback URI size is not an integer", field="size")
        return cls(
            host=parts.netloc,
            track_id=int(segments[2]),
            start=_uri_time(query["starttime"], field="starttime"),
            end=_uri_time(query["endtime"], field="endtime"),
            name=query.get("name"),
            size=None if size is None else int(size),
        )

    def render(self) -> str:
        """Return the URI as firmware writes it (times converted to UTC)."""
        start = self.start.astimezone(UTC).strftime(_URI_TIME)
        end = self.end.astimezone(UTC).strftime(_URI_TIME)
        query = f"starttime={start}&endtime={end}"
        if self.name is not None:
            query += f"&name={quote(self.name, safe='')}"
        if self.size is not None:
            query += f"&size={self.size}"
        return f"rtsp://{self.host}/Streaming/tracks/{self.track_id}/?{query}"
