"""An NVR's IP channels and recording search/download over ISAPI."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from camvault.device.model import DetectResult, Kind
from camvault.device.model.recordings import clip_bytes
from camvault.protocols.isapi.documents import (
    CMSearchResult,
    InputProxyChannelList,
    InputProxyChannelStatusList,
    PlaybackUri,
    SearchStatus,
    decode,
)
from camvault.protocols.isapi.status import decode_status
from tests.device.conftest import Rig, RigFactory
from tests.device.model.conftest import STRONG

CHANNEL = (
    b"<InputProxyChannel><id>1</id><name>Lobby</name><sourceInputPortDescriptor>"
    b"<proxyProtocol>HIKVISION</proxyProtocol><addressingFormatType>ipaddress</addressingFormatType>"
    b"<ipAddress>127.0.0.20</ipAddress><managePortNo>8080</managePortNo><srcInputPort>1</srcInputPort>"
    b"<userName>admin</userName><password>Camera-Pass-01</password><streamType>auto</streamType>"
    b"</sourceInputPortDescriptor></InputProxyChannel>"
)


@pytest.fixture
def nvr(make_rig: RigFactory) -> Rig:
    return make_rig(Kind.NVR, "V4.62.210 build 230412")


async def test_channels_are_stored_with_write_only_passwords(nvr: Rig) -> None:
    async with nvr.client(auth=httpx.DigestAuth("admin", STRONG)) as client:
        assert (
            await client.post("/ISAPI/ContentMgmt/InputProxy/channels", content=CHANNEL)
        ).status_code == 200
        assert nvr.host.channel_changes == 1, "a new channel is checked at once"
        listing = await client.get("/ISAPI/ContentMgmt/InputProxy/channels")
        assert b"Camera-Pass-01" not in listing.content
        channel = decode(listing.content, InputProxyChannelList).channels[0]
        assert (
            channel.source is not None
            and channel.source.ip_address == "127.0.0.20"
            and channel.source.password is None
        )
        without_password = CHANNEL.replace(b"<password>Camera-Pass-01</password>", b"").replace(
            b"Lobby", b"Hall"
        )
        assert (
            await client.put("/ISAPI/ContentMgmt/InputProxy/channels/1", content=without_password)
        ).status_code == 200
        assert nvr.model.channels[1].password.matches("Camera-Pass-01")
        assert nvr.model.channels[1].name == "Hall"
        nvr.model.report_channel_check(1, DetectResult.BAD_CREDENTIALS)
        statuses = decode(
            (await client.get("/ISAPI/ContentMgmt/InputProxy/channels/status")).content,
            InputProxyChannelStatusList,
        )
        assert statuses.statuses[0].online is False
        assert statuses.statuses[0].chan_detect_result == "errorUserNameOrPasswd"
        duplicate = await client.post("/ISAPI/ContentMgmt/InputProxy/channels", content=CHANNEL)
        assert decode_status(duplicate.content).sub_status_code == "invalidOperation"
        assert (await client.delete("/ISAPI/ContentMgmt/InputProxy/channels/1")).status_code == 200
        assert nvr.model.channels == {}


async def test_cameras_have_no_channels(rig: Rig, admin: httpx.AsyncClient) -> None:
    response = await admin.get("/ISAPI/ContentMgmt/InputProxy/channels")
    assert decode_status(response.content).sub_status_code == "notSupport"


async def test_search_pages_and_download_is_byte_exact(nvr: Rig) -> None:
    nvr.model.set_channel(1, address="127.0.0.20", port=8080, username="admin", password="Camera-Pass-01")
    start = nvr.model.now()
    nvr.model.report_channel_check(1, DetectResult.CONNECT)
    nvr.clock.advance(3600 * 3)
    end = nvr.model.now()
    search = (
        "<CMSearchDescription><searchID>C2D6FF5F-0000-0001-0000-000000000001</searchID>"
        "<trackIDList><trackID>101</trackID></trackIDList><timeSpanList><timeSpan>"
        f"<startTime>{(start - timedelta(hours=1)):%Y-%m-%dT%H:%M:%SZ}</startTime>"
        f"<endTime>{end:%Y-%m-%dT%H:%M:%SZ}</endTime></timeSpan></timeSpanList>"
        "<maxResults>10</maxResults><searchResultPosition>{pos}</searchResultPosition></CMSearchDescription>"
    )
    async with nvr.client(auth=httpx.DigestAuth("admin", STRONG)) as client:
        first = decode(
            (await client.post("/ISAPI/ContentMgmt/search", content=search.replace("{pos}", "0"))).content,
            CMSearchResult,
        )
        assert first.status is SearchStatus.MORE and first.num_of_matches == 10
        second = decode(
            (await client.post("/ISAPI/ContentMgmt/search", content=search.replace("{pos}", "10"))).content,
            CMSearchResult,
        )
        assert second.status is SearchStatus.OK and second.num_of_matches == 8, (
            "3 hours in 10-minute segments"
        )
        uri = first.matches[0].playback_uri
        parsed = PlaybackUri.parse(uri)
        assert parsed.track_id == 101 and parsed.host == "192.0.2.10"
        clip = await client.post(
            "/ISAPI/ContentMgmt/download",
            content=f"<downloadRequest><playbackURI>{uri.replace('&', '&amp;')}</playbackURI></downloadRequest>",
        )
        assert clip.status_code == 200
        segment = nvr.model.search_recordings([101], parsed.start, parsed.end)[0]
        assert clip.content == clip_bytes(nvr.model.identity.serial, segment)
        assert len(clip.content) == parsed.size
        forged = uri.replace("track", "track").replace("101", "201")
        refused = await client.post(
            "/ISAPI/ContentMgmt/download",
            content=f"<downloadRequest><playbackURI>{forged.replace('&', '&amp;')}</playbackURI></downloadRequest>",
        )
        assert refused.status_code >= 400
        empty = search.replace("{pos}", "0").replace("101", "401")
        assert (
            decode(
                (await client.post("/ISAPI/ContentMgmt/search", content=empty)).content, CMSearchResult
            ).status
            is SearchStatus.NO_MATCHES
        )
