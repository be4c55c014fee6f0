"""ISAPI ``/ContentMgmt`` handlers: an NVR's IP channels, and recording search and download.

IP channels (§4.4): ``/ISAPI/ContentMgmt/InputProxy/channels[/<id>]`` hold each camera's address and the
credentials the NVR logs in with; the password is write-only (omitted on GET, kept when a PUT omits it).
``.../channels/status`` reports online/offline with ``chanDetectResult`` in the published spellings. A
camera that answers "locked" is reported as ``errorUserNameOrPasswd``: the published list has no lock
value, and to the NVR both are a refused login.

Recordings: ``POST /ISAPI/ContentMgmt/search`` with a ``CMSearchDescription`` pages through segments
(``MORE`` / ``OK`` / ``NO MATCHES``); ``GET`` or ``POST /ISAPI/ContentMgmt/download`` with a
``downloadRequest`` returns the clip named by a playback URI.
"""

from __future__ import annotations

import re
from datetime import timedelta

from camvault.device.http import Response
from camvault.device.isapi.call import Call
from camvault.device.model import ChannelProtocol, DetectResult
from camvault.device.model.recordings import Segment, clip_bytes
from camvault.errors import DeviceRefusal, InvalidContent, MalformedMessage
from camvault.protocols.isapi.documents import (
    ChanDetectResult,
    CMSearchDescription,
    CMSearchResult,
    DownloadRequest,
    InputProxyChannel,
    InputProxyChannelList,
    InputProxyChannelStatus,
    InputProxyChannelStatusList,
    PlaybackUri,
    SearchMatch,
    SearchStatus,
    SourceInputPortDescriptor,
    TimeSpan,
    decode,
)

__all__ = [
    "add_channel",
    "channel_status",
    "delete_channel",
    "download",
    "get_channel",
    "list_channels",
    "put_channel",
    "search",
]

MAX_PAGE = 100
MAX_DOWNLOAD_REQUEST = 8 * 1024

_DETECT = {
    DetectResult.CONNECT: ChanDetectResult.CONNECT,
    DetectResult.BAD_CREDENTIALS: ChanDetectResult.USER_NAME_OR_PASSWORD_ERROR,
    DetectResult.LOCKED: ChanDetectResult.USER_NAME_OR_PASSWORD_ERROR,
    DetectResult.UNREACHABLE: ChanDetectResult.NET_UNREACHABLE,
    DetectResult.NOT_ACTIVATED: ChanDetectResult.UNKNOWN_ERROR,
    DetectResult.NOT_CHECKED: ChanDetectResult.CONNECTING,
}


# ------------------------------------------------------------------ IP channels


def _descriptor(call: Call, channel_id: int) -> SourceInputPortDescriptor:
    channel = call.model.channels[channel_id]
    return SourceInputPortDescriptor(
        proxy_protocol=channel.protocol.value,
        addressing_format_type="ipaddress",
        ip_address=channel.address,
        manage_port_no=channel.port,
        src_input_port=1,
        user_name=channel.username,
        stream_type="auto",
    )


def _channel_id(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 3:
        raise DeviceRefusal("badParameters", "a channel id is a number")
    return int(raw)


def list_channels(call: Call) -> Response:
    """``GET /ISAPI/ContentMgmt/InputProxy/channels``."""
    call.model.require_nvr()
    channels = tuple(
        InputProxyChannel(id=channel.id, name=channel.name, source=_descriptor(call, channel.id))
        for channel in sorted(call.model.channels.values(), key=lambda c: c.id)
    )
    return call.reply(InputProxyChannelList(channels=channels))


def get_channel(call: Call, raw_id: str) -> Response:
    """``GET /ISAPI/ContentMgmt/InputProxy/channels/<id>``."""
    call.model.require_nvr()
    channel_id = _channel_id(raw_id)
    channel = call.model.channels.get(channel_id)
    if channel is None:
        raise DeviceRefusal("invalidOperation", f"no channel {channel_id}")
    return call.reply(
        InputProxyChannel(id=channel.id, name=channel.name, source=_descriptor(call, channel.id))
    )


def _apply(call: Call, channel_id: int, document: InputProxyChannel) -> None:
    source = document.source
    if source is None or not source.ip_address or not source.user_name:
        raise DeviceRefusal(
            "badParameters", "a channel needs sourceInputPortDescriptor with ipAddress and userName"
        )
    try:
        protocol = ChannelProtocol((source.proxy_protocol or "HIKVISION").upper())
    except ValueError:
        raise DeviceRefusal("badParameters", "proxyProtocol must be HIKVISION or ONVIF") from None
    call.model.set_channel(
        channel_id,
        address=source.ip_address,
        port=source.manage_port_no or 80,
        username=call.decrypt(source.user_name) or "",
        password=call.decrypt(source.password),
        name=document.name,
        protocol=protocol,
    )
    call.host.channels_changed(channel_id)


def add_channel(call: Call) -> Response:
    """``POST /ISAPI/ContentMgmt/InputProxy/channels``: the id in the body, or the first free one."""
    call.require_administrator()
    call.model.require_nvr()
    document = call.document(InputProxyChannel)
    channel_id = document.id
    if channel_id in call.model.channels:
        raise DeviceRefusal("invalidOperation", f"channel {channel_id} already exists")
    if not channel_id:
        free = [i for i in range(1, call.model.identity.channels + 1) if i not in call.model.channels]
        if not free:
            raise DeviceRefusal("invalidOperation", "every channel is in use")
        channel_id = free[0]
    _apply(call, channel_id, document)
    return call.ok()


def put_channel(call: Call, raw_id: str) -> Response:
    """``PUT /ISAPI/ContentMgmt/InputProxy/channels/<id>``: add or change; an omitted password is kept."""
    call.require_administrator()
    call.model.require_nvr()
    channel_id = _channel_id(raw_id)
    document = call.document(InputProxyChannel)
    if document.id and document.id != channel_id:
        raise DeviceRefusal("badParameters", "the id in the body does not match the URL")
    _apply(call, channel_id, document)
    return call.ok()


def delete_channel(call: Call, raw_id: str) -> Response:
    """``DELETE /ISAPI/ContentMgmt/InputProxy/channels/<id>``."""
    call.require_administrator()
    channel_id = _channel_id(raw_id)
    call.model.delete_channel(channel_id)
    call.host.channels_changed(channel_id)
    return call.ok()


def channel_status(call: Call) -> Response:
    """``GET /ISAPI/ContentMgmt/InputProxy/channels/status``."""
    call.model.require_nvr()
    statuses = tuple(
        InputProxyChannelStatus(
            id=channel.id,
            source=_descriptor(call, channel.id),
            online=channel.status.online,
            chan_detect_result=_DETECT[channel.status.detect_result].value,
        )
        for channel in sorted(call.model.channels.values(), key=lambda c: c.id)
    )
    return call.reply(InputProxyChannelStatusList(statuses=statuses))


# ------------------------------------------------------------------ recordings


def _playback_uri(call: Call, segment: Segment) -> str:
    host = call.request.local[0]
    uri = PlaybackUri(
        host=host,
        track_id=segment.track,
        start=segment.start,
        end=segment.end,
        name=segment.name,
        size=segment.size,
    )
    return uri.render()


def search(call: Call) -> Response:
    """``POST /ISAPI/ContentMgmt/search``: one page of matching segments."""
    description = call.document(CMSearchDescription)
    found: list[Segment] = []
    for span in description.time_spans:
        found.extend(call.model.search_recordings(list(description.track_ids), span.start, span.end))
    unique = sorted(set(found), key=lambda segment: (segment.start, segment.track))
    page_size = max(1, min(description.max_results, MAX_PAGE))
    start = description.search_result_position
    page = unique[start : start + page_size]
    if not unique or not page:
        status = SearchStatus.NO_MATCHES
    elif start + page_size < len(unique):
        status = SearchStatus.MORE
    else:
        status = SearchStatus.OK
    matches = tuple(
        SearchMatch(
            track_id=segment.track,
            time_span=TimeSpan(segment.start, segment.end),
            playback_uri=_playback_uri(call, segment),
            source_id="{0000000000-0000-0000-0000-000000000000}",
            content_type="video",
            codec_type="H.264-BP",
            lock_status="unlock",
            name=segment.name,
            metadata_descriptor="recordType.meta.std-cgi.com/timing",
        )
        for segment in page
    )
    return call.reply(
        CMSearchResult(
            search_id=description.search_id,
            response_status=True,
            status=status,
            num_of_matches=len(matches),
            matches=matches,
        )
    )


_BARE_AMPERSAND = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});)")


def _download_request(call: Call) -> DownloadRequest:
    """Parse the body, tolerating the unescaped ``&`` that clients put in the URI (pyhik does).

    Device firmware parses this body leniently, and real clients rely on it; the body is re-read with bare
    ampersands escaped, still through the bounded, hostile-input-safe parser.
    """
    try:
        return call.document(DownloadRequest)
    except MalformedMessage:
        escaped = _BARE_AMPERSAND.sub(b"&amp;", call.request.body[:MAX_DOWNLOAD_REQUEST])
        return decode(escaped, DownloadRequest, max_bytes=MAX_DOWNLOAD_REQUEST)


def download(call: Call) -> Response:
    """``GET``/``POST /ISAPI/ContentMgmt/download``: the clip a playback URI names."""
    request = _download_request(call)
    try:
        uri = PlaybackUri.parse(request.playback_uri)
    except InvalidContent:
        raise DeviceRefusal("badParameters", "the playback URI is not one this device issued") from None
    # URIs name whole seconds: a segment that began this second has start == end in its URI.
    segments = call.model.search_recordings([uri.track_id], uri.start, uri.end + timedelta(seconds=1))
    # The segment still being written has grown since the search; serve it up to the URI's end time.
    found = next((s for s in segments if s.start == uri.start and s.end >= uri.end), None)
    if found is None:
        raise DeviceRefusal("invalidOperation", "no recording matches that playback URI")
    segment = Segment(found.track, found.start, uri.end)
    return call.binary(clip_bytes(call.model.identity.serial, segment), f"{segment.name}.mp4")
