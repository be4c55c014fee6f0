from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from camvault.errors import InvalidContent, MalformedMessage
from camvault.protocols.isapi.documents import (
    NAMESPACES,
    NS_ISAPI_V20,
    CMSearchDescription,
    CMSearchResult,
    Document,
    DownloadRequest,
    PlaybackUri,
    SearchMatch,
    SearchStatus,
    TimeSpan,
    decode,
    encode,
)

# The ISAPI developer guide's "Search for Videos" example (§4.4.3.2), request and device response.
# The guide's PDF line wrap inside <playbackURI> ("?\nstarttime") is joined back here.
GUIDE_SEARCH_REQUEST = b"""<?xml version="1.0" encoding="utf-8"?>
<CMSearchDescription>
    <searchID>88C2CD4D-D3FA-4AD4-BD80-555C18205DCC</searchID>
    <trackList>
        <trackID>101</trackID>
    </trackList>
    <timeSpanList>
        <timeSpan>
            <startTime>2021-08-16T00:00:00Z</startTime>
            <endTime>2021-08-18T23:59:59Z</endTime>
        </timeSpan>
    </timeSpanList>
    <maxResults>100</maxResults>
    <searchResultPostion>0</searchResultPostion>
    <metadataList>
        <metadataDescriptor>//recordType.meta.std-cgi.com</metadataDescriptor>
    </metadataList>
</CMSearchDescription>
"""

GUIDE_SEARCH_RESULT = b"""<?xml version="1.0" encoding="UTF-8" ?>
<CMSearchResult version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">
    <searchID>{88c2cd4d-d3fa-4ad4-bd80-555c18205dcc}</searchID>
    <responseStatus>true</responseStatus>
    <responseStatusStrg>OK</responseStatusStrg>
    <numOfMatches>1</numOfMatches>
    <matchList>
        <searchMatchItem>
            <sourceID>{00000000-0000-0000-0000-000000000000}</sourceID>
            <trackID>101</trackID>
            <timeSpan>
                <startTime>2021-08-18T15:18:15Z</startTime>
                <endTime>2021-08-18T15:19:08Z</endTime>
            </timeSpan>
            <mediaSegmentDescriptor>
            <contentType>video</contentType>
            <codecType>H.264-BP</codecType>
            <playbackURI>rtsp://10.14.97.40/Streaming/tracks/101/?starttime=20210818T151815Z&amp;endtime=20210818T151908Z&amp;name=00000004667000100&amp;size=1400788</playbackURI>
            <lockStatus>unlock</lockStatus>
            <name>00000004667000100</name>
            </mediaSegmentDescriptor>
            <metadataMatches>
                <metadataDescriptor>recordType.meta..com/timing</metadataDescriptor>
            </metadataMatches>
        </searchMatchItem>
    </matchList>
</CMSearchResult>
"""

GUIDE_URI = (
    "rtsp://10.14.97.40/Streaming/tracks/101/?starttime=20210818T151815Z&endtime=20210818T151908Z"
    "&name=00000004667000100&size=1400788"
)


def test_golden_search_request() -> None:
    search = decode(GUIDE_SEARCH_REQUEST, CMSearchDescription)
    assert search == CMSearchDescription(
        search_id="88C2CD4D-D3FA-4AD4-BD80-555C18205DCC",
        track_ids=(101,),
        time_spans=(
            TimeSpan(datetime(2021, 8, 16, tzinfo=UTC), datetime(2021, 8, 18, 23, 59, 59, tzinfo=UTC)),
        ),
        max_results=100,
        search_result_position=0,
        metadata_descriptors=("//recordType.meta.std-cgi.com",),
    )
    rendered = encode(search, namespace=None)
    assert b"<trackList>\r\n<trackID>101</trackID>\r\n</trackList>" in rendered
    assert b"<startTime>2021-08-16T00:00:00Z</startTime>" in rendered
    assert b"<searchResultPostion>0</searchResultPostion>" in rendered
    assert decode(rendered, CMSearchDescription) == search


def test_golden_search_result() -> None:
    result = decode(GUIDE_SEARCH_RESULT, CMSearchResult)
    assert result.search_id == "{88c2cd4d-d3fa-4ad4-bd80-555c18205dcc}"
    assert result.response_status is True
    assert result.status is SearchStatus.OK
    assert result.num_of_matches == 1
    assert result.matches == (
        SearchMatch(
            track_id=101,
            time_span=TimeSpan(
                datetime(2021, 8, 18, 15, 18, 15, tzinfo=UTC), datetime(2021, 8, 18, 15, 19, 8, tzinfo=UTC)
            ),
            playback_uri=GUIDE_URI,
            source_id="{00000000-0000-0000-0000-000000000000}",
            content_type="video",
            codec_type="H.264-BP",
            lock_status="unlock",
            name="00000004667000100",
            metadata_descriptor="recordType.meta..com/timing",
        ),
    )
    rendered = encode(result, namespace=NS_ISAPI_V20)
    assert b"&amp;endtime=20210818T151908Z&amp;name=" in rendered  # escaped exactly once
    assert decode(rendered, CMSearchResult) == result


def test_playback_uri_parts() -> None:
    uri = PlaybackUri.parse(GUIDE_URI)
    assert uri == PlaybackUri(
        host="10.14.97.40",
        track_id=101,
        start=datetime(2021, 8, 18, 15, 18, 15, tzinfo=UTC),
        end=datetime(2021, 8, 18, 15, 19, 8, tzinfo=UTC),
        name="00000004667000100",
        size=1400788,
    )
    assert uri.render() == GUIDE_URI
    local = PlaybackUri(
        "h:554",
        201,
        datetime(2026, 1, 1, 8, tzinfo=timezone(timedelta(hours=8))),
        datetime(2026, 1, 1, 9, tzinfo=UTC),
    )
    assert (
        local.render()
        == "rtsp://h:554/Streaming/tracks/201/?starttime=20260101T000000Z&endtime=20260101T090000Z"
    )
    for bad in (
        "http://10.0.0.1/Streaming/tracks/101/?starttime=20210818T151815Z&endtime=20210818T151908Z",
        "rtsp://10.0.0.1/Streaming/channels/101/?starttime=20210818T151815Z&endtime=20210818T151908Z",
        "rtsp://10.0.0.1/Streaming/tracks/101/?starttime=20210818T151815Z",
        "rtsp://10.0.0.1/Streaming/tracks/101/?starttime=2021-08-18&endtime=20210818T151908Z",
        "rtsp://10.0.0.1/Streaming/tracks/101/?starttime=20210818T151908Z&endtime=20210818T151815Z",
        "rtsp://10.0.0.1/Streaming/tracks/101/?starttime=20210818T151815Z&endtime=20210818T151908Z&size=big",
    ):
        with pytest.raises(InvalidContent):
            PlaybackUri.parse(bad)
    with pytest.raises(InvalidContent):
        PlaybackUri("h", 101, datetime(2026, 1, 1), datetime(2026, 1, 2))  # naive: no implicit local zone


def test_client_variants_of_the_search_request() -> None:
    # trackIDList (several clients), searchResultPosition spelt right, no metadata: the body pyhik sends.
    minimal = (
        b"<CMSearchDescription><searchID>{A1B2}</searchID><trackIDList><trackID>801</trackID></trackIDList>"
        b"<timeSpanList><timeSpan><startTime>2026-09-09T23:11:00Z</startTime><endTime>2026-09-09T23:12:00Z"
        b"</endTime></timeSpan></timeSpanList><maxResults>5</maxResults>"
        b"<searchResultPosition>40</searchResultPosition></CMSearchDescription>"
    )
    search = decode(minimal, CMSearchDescription)
    assert search.track_ids == (801,)
    assert search.search_result_position == 40  # pyhik spells it correctly; the device reads both
    bare = minimal.replace(b"<trackIDList>", b"").replace(b"</trackIDList>", b"")
    assert decode(bare, CMSearchDescription).track_ids == (801,)


@pytest.mark.parametrize(
    ("mutation", "field"),
    [
        ((b"<searchID>88C2CD4D-D3FA-4AD4-BD80-555C18205DCC</searchID>", b""), "searchID"),
        ((b"<trackID>101</trackID>", b""), "trackID"),
        ((b"<trackID>101</trackID>", b"<trackID>ch1</trackID>"), "trackID"),
        ((b"<maxResults>100</maxResults>", b"<maxResults>0</maxResults>"), "maxResults"),
        ((b"<maxResults>100</maxResults>", b""), "maxResults"),
        (
            (
                b"<searchResultPostion>0</searchResultPostion>",
                b"<searchResultPostion>-1</searchResultPostion>",
            ),
            "searchResultPostion",
        ),
        ((b"2021-08-18T23:59:59Z", b"2021-08-15T23:59:59Z"), "endTime"),
        ((b"2021-08-18T23:59:59Z", b"2021-08-18T23:59:59"), "endTime"),
        ((b"2021-08-16T00:00:00Z", b"16/08/2021"), "startTime"),
        ((b"<timeSpan>", b"<timeSpanX>"), "timeSpan"),
    ],
)
def test_search_request_rejections(mutation: tuple[bytes, bytes], field: str) -> None:
    body = GUIDE_SEARCH_REQUEST.replace(*mutation)
    if mutation == (b"<timeSpan>", b"<timeSpanX>"):
        body = body.replace(b"</timeSpan>", b"</timeSpanX>")
    with pytest.raises(InvalidContent) as info:
        decode(body, CMSearchDescription)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("mutation", "field"),
    [
        (
            (
                b"<responseStatusStrg>OK</responseStatusStrg>",
                b"<responseStatusStrg>DONE</responseStatusStrg>",
            ),
            "responseStatusStrg",
        ),
        ((b"<numOfMatches>1</numOfMatches>", b"<numOfMatches>-1</numOfMatches>"), "numOfMatches"),
        ((b"<responseStatus>true</responseStatus>", b""), "responseStatus"),
        ((b"<playbackURI>", b"<playbackUri>"), "playbackURI"),
        ((b"<trackID>101</trackID>", b""), "trackID"),
    ],
)
def test_search_result_rejections(mutation: tuple[bytes, bytes], field: str) -> None:
    body = GUIDE_SEARCH_RESULT.replace(*mutation)
    if mutation[1] == b"<playbackUri>":
        body = body.replace(b"</playbackURI>", b"</playbackUri>")
    with pytest.raises(InvalidContent) as info:
        decode(body, CMSearchResult)
    assert info.value.field == field


def test_no_matches_and_more() -> None:
    empty = decode(
        b"<CMSearchResult><searchID>x</searchID><responseStatus>true</responseStatus>"
        b"<responseStatusStrg>NO MATCHES</responseStatusStrg><numOfMatches>0</numOfMatches><matchList/>"
        b"</CMSearchResult>",
        CMSearchResult,
    )
    assert empty.status is SearchStatus.NO_MATCHES and empty.matches == ()
    more = decode(GUIDE_SEARCH_RESULT.replace(b">OK<", b">more<"), CMSearchResult)
    assert more.status is SearchStatus.MORE


def test_download_request() -> None:
    body = (
        b"<?xml version='1.0'?><downloadRequest version=\"1.0\"><playbackURI>"
        + GUIDE_URI.replace("&", "&amp;").encode()
        + b"</playbackURI></downloadRequest>"
    )
    request = decode(body, DownloadRequest)
    assert request.playback_uri == GUIDE_URI
    assert decode(encode(request, namespace=NS_ISAPI_V20), DownloadRequest) == request
    with pytest.raises(InvalidContent) as info:
        decode(
            b"<downloadRequest><playbackURI>file:///etc/passwd</playbackURI></downloadRequest>",
            DownloadRequest,
        )
    assert info.value.field == "playbackURI"
    with pytest.raises(InvalidContent):
        decode(b"<DownloadRequest><playbackURI>rtsp://a/b</playbackURI></DownloadRequest>", DownloadRequest)
    with pytest.raises(MalformedMessage):
        decode(
            b"<downloadRequest><playbackURI>rtsp://a/?x=1&y=2</playbackURI></downloadRequest>",
            DownloadRequest,
        )


_text = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S")), min_size=1, max_size=20
)
_opt = st.none() | _text
_utc = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2037, 1, 1)).map(
    lambda moment: moment.replace(microsecond=0, tzinfo=UTC)
)
_spans = st.builds(lambda a, b: TimeSpan(min(a, b), max(a, b)), _utc, _utc)
_matches = st.builds(
    SearchMatch,
    track_id=st.integers(0, 9999),
    time_span=_spans,
    playback_uri=_text,
    source_id=_opt,
    content_type=_opt,
    codec_type=_opt,
    lock_status=_opt,
    name=_opt,
    metadata_descriptor=_opt,
)
_documents = st.one_of(
    st.builds(
        CMSearchDescription,
        search_id=_text,
        track_ids=st.lists(st.integers(0, 9999), min_size=1, max_size=3).map(tuple),
        time_spans=st.lists(_spans, min_size=1, max_size=2).map(tuple),
        max_results=st.integers(1, 1000),
        search_result_position=st.integers(0, 10_000),
        metadata_descriptors=st.lists(_text, max_size=2).map(tuple),
    ),
    st.builds(
        CMSearchResult,
        search_id=_text,
        response_status=st.booleans(),
        status=st.sampled_from(SearchStatus),
        num_of_matches=st.integers(0, 50),
        matches=st.lists(_matches, max_size=3).map(tuple),
    ),
    st.builds(DownloadRequest, playback_uri=st.builds(lambda tail: f"rtsp://10.0.0.1/{tail}", _text)),
)


@settings(max_examples=50, deadline=None)
@given(document=_documents, namespace=st.sampled_from((*NAMESPACES, None)))
def test_round_trip_in_every_namespace(document: Document, namespace: str | None) -> None:
    assert decode(encode(document, namespace=namespace), type(document)) == document


@settings(max_examples=50, deadline=None)
@given(track=st.integers(1, 9999), span=_spans, name=_opt, size=st.none() | st.integers(0, 2**40))
def test_playback_uri_round_trip(track: int, span: TimeSpan, name: str | None, size: int | None) -> None:
    uri = PlaybackUri("192.0.2.7", track, span.start, span.end, name, size)
    assert PlaybackUri.parse(uri.render()) == uri
