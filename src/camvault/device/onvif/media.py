"""A minimal ONVIF media service (``trt:``, ver10): one H.264 profile, enough for clients to set up.

Home Assistant's ONVIF integration refuses a camera without an H.264 profile (``no_h264``) and calls the
media ``GetServiceCapabilities`` and ``GetProfiles`` during set-up (research ``onvif.md`` §1.7, §5.1). The
emulator has no video: the profile, the RTSP URI (Hikvision's ``/Streaming/Channels/101`` form) and the
snapshot URI describe a stream that is not served. Values (1920x1080, 25 fps, 4096 kbit/s) are typical
main-stream settings, not taken from a capture.
"""

from __future__ import annotations

from typing import Final

from camvault.device.onvif.auth import AccessClass
from camvault.device.onvif.call import MEDIA_NS, Handler, OnvifCall, Operation
from camvault.errors import DeviceRefusal
from camvault.protocols import xml
from camvault.protocols.soap import QName
from camvault.protocols.xml import Node

__all__ = ["MEDIA_OPERATIONS", "PROFILE_TOKEN", "media_capabilities"]

PROFILE_TOKEN: Final = "Profile_1"  # noqa: S105 - an ONVIF profile token, not a secret
_SOURCE_TOKEN: Final = "VideoSource_1"  # noqa: S105 - a video source token, not a secret
_WIDTH, _HEIGHT, _FPS = 1920, 1080, 25
RTSP_PORT: Final = 554


def _trt(name: str, value: str | int | bool | None = None, *children: Node | None) -> Node:
    return Node(f"trt:{name}", value, children)


def _tt(name: str, value: str | int | bool | None = None, *children: Node | None) -> Node:
    return Node(f"tt:{name}", value, children)


def _resolution() -> Node:
    return _tt("Resolution", None, _tt("Width", _WIDTH), _tt("Height", _HEIGHT))


def media_capabilities() -> Node:
    """``trt:Capabilities`` (also embedded in ``GetServices`` when capabilities are asked for)."""
    return Node(
        "trt:Capabilities",
        attributes=(
            ("SnapshotUri", "true"),
            ("Rotation", "false"),
            ("VideoSourceMode", "false"),
            ("OSD", "false"),
        ),
        children=(
            Node("trt:ProfileCapabilities", attributes=(("MaximumNumberOfProfiles", "1"),)),
            Node(
                "trt:StreamingCapabilities",
                attributes=(
                    ("RTPMulticast", "false"),
                    ("RTP_TCP", "true"),
                    ("RTP_RTSP_TCP", "true"),
                    ("NonAggregateControl", "false"),
                    ("NoRTSPStreaming", "false"),
                ),
            ),
        ),
    )


def _profile(element: str) -> Node:
    source = Node(
        "tt:VideoSourceConfiguration",
        attributes=(("token", "VideoSourceToken"),),
        children=(
            _tt("Name", "VideoSourceConfig"),
            _tt("UseCount", 1),
            _tt("SourceToken", _SOURCE_TOKEN),
            Node(
                "tt:Bounds",
                attributes=(("x", "0"), ("y", "0"), ("width", str(_WIDTH)), ("height", str(_HEIGHT))),
            ),
        ),
    )
    encoder = Node(
        "tt:VideoEncoderConfiguration",
        attributes=(("token", "VideoEncoderToken_1"),),
        children=(
            _tt("Name", "VideoEncoder_1"),
            _tt("UseCount", 1),
            _tt("Encoding", "H264"),
            _resolution(),
            _tt("Quality", 5),
            _tt(
                "RateControl",
                None,
                _tt("FrameRateLimit", _FPS),
                _tt("EncodingInterval", 1),
                _tt("BitrateLimit", 4096),
            ),
            _tt("H264", None, _tt("GovLength", 50), _tt("H264Profile", "Main")),
            _tt(
                "Multicast",
                None,
                _tt("Address", None, _tt("Type", "IPv4"), _tt("IPv4Address", "0.0.0.0")),  # noqa: S104
                _tt("Port", 0),
                _tt("TTL", 1),
                _tt("AutoStart", False),
            ),
            _tt("SessionTimeout", "PT60S"),
        ),
    )
    return Node(
        element,
        attributes=(("token", PROFILE_TOKEN), ("fixed", "true")),
        children=(_tt("Name", "mainStream"), source, encoder),
    )


def _require_profile(call: OnvifCall) -> None:
    token = xml.text(call.body, "ProfileToken", max_length=64)
    if token != PROFILE_TOKEN:
        raise DeviceRefusal("NoProfile", "the profile token does not exist")


def get_service_capabilities(call: OnvifCall) -> Node:
    """Media ``GetServiceCapabilities`` (PRE_AUTH)."""
    return _trt("GetServiceCapabilitiesResponse", None, media_capabilities())


def get_profiles(call: OnvifCall) -> Node:
    """``GetProfiles`` (READ_MEDIA): the one H.264 main stream."""
    return _trt("GetProfilesResponse", None, _profile("trt:Profiles"))


def get_profile(call: OnvifCall) -> Node:
    """``GetProfile`` (READ_MEDIA)."""
    _require_profile(call)
    return _trt("GetProfileResponse", None, _profile("trt:Profile"))


def get_video_sources(call: OnvifCall) -> Node:
    """``GetVideoSources`` (READ_MEDIA)."""
    return _trt(
        "GetVideoSourcesResponse",
        None,
        Node(
            "trt:VideoSources",
            attributes=(("token", _SOURCE_TOKEN),),
            children=(_tt("Framerate", _FPS), _resolution()),
        ),
    )


def _media_uri(uri: str) -> Node:
    return _trt(
        "MediaUri",
        None,
        _tt("Uri", uri),
        _tt("InvalidAfterConnect", False),
        _tt("InvalidAfterReboot", False),
        _tt("Timeout", "PT60S"),
    )


def get_stream_uri(call: OnvifCall) -> Node:
    """``GetStreamUri`` (READ_MEDIA): the RTSP URL in Hikvision's form."""
    _require_profile(call)
    host = call.request.local[0]
    shown = f"[{host}]" if ":" in host else host
    return _trt(
        "GetStreamUriResponse", None, _media_uri(f"rtsp://{shown}:{RTSP_PORT}/Streaming/Channels/101")
    )


def get_snapshot_uri(call: OnvifCall) -> Node:
    """``GetSnapshotUri`` (READ_MEDIA)."""
    _require_profile(call)
    return _trt("GetSnapshotUriResponse", None, _media_uri(call.url(f"/onvif-http/snapshot?{PROFILE_TOKEN}")))


def _operation(local: str, access: AccessClass, handler: Handler) -> Operation:
    return Operation(QName(MEDIA_NS, local), access, handler)


MEDIA_OPERATIONS: Final[tuple[Operation, ...]] = (
    _operation("GetServiceCapabilities", AccessClass.PRE_AUTH, get_service_capabilities),
    _operation("GetProfiles", AccessClass.READ_MEDIA, get_profiles),
    _operation("GetProfile", AccessClass.READ_MEDIA, get_profile),
    _operation("GetVideoSources", AccessClass.READ_MEDIA, get_video_sources),
    _operation("GetStreamUri", AccessClass.READ_MEDIA, get_stream_uri),
    _operation("GetSnapshotUri", AccessClass.READ_MEDIA, get_snapshot_uri),
)
"""The media service's operations and their access classes."""
