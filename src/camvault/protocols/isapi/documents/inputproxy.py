"""NVR IP-channel documents: ``/ISAPI/ContentMgmt/InputProxy/channels`` and ``.../channels/status``.

Sources: research notes ``hikvision.md`` §4.4 (``syncIPCPasswd``) and §7.4 (channel activation); the
shapes come from public clients found with the code search:

* channel bodies (``PUT``/``POST .../channels[/<id>]``) from NVR scripts and a Go test fixture of a real
  ``InputProxyChannel``: ``id, name, sourceInputPortDescriptor{proxyProtocol, addressingFormatType,
  ipAddress, managePortNo, srcInputPort, userName, password, streamType, model, serialNumber,
  firmwareVersion, deviceID}``, with ``POST`` using ``id`` 0 to add a channel;
* ``proxyProtocol`` values seen: ``HIKVISION``, ``ONVIF``, ``ISAPI``, ``PSIA``, ``RTSP``, ``IPCAM``;
* ``InputProxyChannelStatus``: ``id, sourceInputPortDescriptor, online, streamingProxyChannelIdList,
  chanDetectResult`` (a Go client's struct annotated from *ISAPI Version 2.0, Sept 2019*, §16.2.172,
  and a real DS-7708N-I4 reply ``<online>true</online><chanDetectResult>connect</chanDetectResult>``);
* ``chanDetectResult`` values from the same Sept 2019 guide excerpt: see :class:`ChanDetectResult`.
  Clients in the wild also report ``online``, ``offline`` and ``userOrPasswordError``, so the field is
  kept as text and :attr:`InputProxyChannelStatus.detect_result` maps the documented ones.

No ``syncIPCPasswd`` request body was found (only its URL, research §4.4), so none is modelled.
The camera password in ``sourceInputPortDescriptor`` is write-only: out of ``repr``, rendered only when
set (a device reply must use :meth:`InputProxyChannel.redacted`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import ClassVar, Self
from xml.etree.ElementTree import Element

from camvault.errors import InvalidContent
from camvault.protocols import xml
from camvault.protocols.isapi.documents._base import leaf

__all__ = [
    "ChanDetectResult",
    "InputProxyChannel",
    "InputProxyChannelList",
    "InputProxyChannelStatus",
    "InputProxyChannelStatusList",
    "SourceInputPortDescriptor",
]


class ChanDetectResult(StrEnum):
    """``chanDetectResult`` values documented in the ISAPI guide (Sept 2019), spellings as published."""

    CONNECT = "connect"
    CONNECTING = "connecting"
    OVER_SYS_BANDWIDTH = "overSysBandwidth"
    DOMAIN_ERROR = "domainError"
    IPC_STREAM_FAIL = "ipcStreamFail"
    CHANNEL_NO_ERROR = "chacnNoError"
    IP_CONFLICT_WITH_DEVICE = "cipAddrConflictWithDev"
    IP_CONFLICT_WITH_IPC = "ipAddrConflicWithIpc"
    USER_NAME_OR_PASSWORD_ERROR = "errorUserNameOrPasswd"  # noqa: S105 (a status name, not a password)
    NET_UNREACHABLE = "netUnreachable"
    UNKNOWN_ERROR = "unknownError"
    NOT_EXIST = "notExist"
    STREAM_TYPE_NOT_SUPPORTED = "ipcStreamTypeNotSupport"
    RESOLUTION_NOT_SUPPORTED = "ipcResolutionNotSupport"


@dataclass(frozen=True, slots=True)
class SourceInputPortDescriptor:
    """Where an NVR channel pulls its camera from, and with which credential.

    Attributes:
        proxy_protocol: ``HIKVISION``, ``ONVIF``, ...
        addressing_format_type: ``ipaddress`` or ``hostname``.
        host_name: the camera's host name when addressed by name.
        ip_address: the camera's address.
        manage_port_no: 8000 for the Hikvision SDK port, 80 for ONVIF.
        src_input_port: the camera's channel number (usually 1).
        user_name: the account the NVR logs in with.
        password: write-only camera password, out of ``repr``.
        stream_type: ``auto``, ``tcp``, ``udp`` (transport).
        model, serial_number, firmware_version, device_id: read-only identity of the camera.
    """

    proxy_protocol: str | None = None
    addressing_format_type: str | None = None
    host_name: str | None = None
    ip_address: str | None = None
    manage_port_no: int | None = None
    src_input_port: int | None = None
    user_name: str | None = None
    password: str | None = field(default=None, repr=False)
    stream_type: str | None = None
    model: str | None = None
    serial_number: str | None = None
    firmware_version: str | None = None
    device_id: str | None = None

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read a ``<sourceInputPortDescriptor>``; every field is optional.

        Raises:
            InvalidContent: a port is not an integer in range, or a field is too long.
        """
        text = xml.optional_text
        return cls(
            proxy_protocol=text(element, "proxyProtocol", max_length=32),
            addressing_format_type=text(element, "addressingFormatType", max_length=32),
            host_name=text(element, "hostName", max_length=255),
            ip_address=text(element, "ipAddress", max_length=64),
            manage_port_no=xml.optional_integer(element, "managePortNo", minimum=0, maximum=65535),
            src_input_port=xml.optional_integer(element, "srcInputPort", minimum=0, maximum=65535),
            user_name=text(element, "userName", max_length=1024),
            password=text(element, "password", max_length=1024),
            stream_type=text(element, "streamType", max_length=32),
            model=text(element, "model", max_length=128),
            serial_number=text(element, "serialNumber", max_length=128),
            firmware_version=text(element, "firmwareVersion", max_length=128),
            device_id=text(element, "deviceID", max_length=128),
        )

    def to_node(self) -> xml.Node:
        """Return ``<sourceInputPortDescriptor>`` in the order real NVRs write it."""
        pairs: list[tuple[str, str | int | bool | None]] = [
            ("proxyProtocol", self.proxy_protocol),
            ("addressingFormatType", self.addressing_format_type),
            ("hostName", self.host_name),
            ("ipAddress", self.ip_address),
            ("managePortNo", self.manage_port_no),
            ("srcInputPort", self.src_input_port),
            ("userName", self.user_name),
            ("password", self.password),
            ("streamType", self.stream_type),
            ("model", self.model),
            ("serialNumber", self.serial_number),
            ("firmwareVersion", self.firmware_version),
            ("deviceID", self.device_id),
        ]
        return xml.Node("sourceInputPortDescriptor", children=xml.nodes(pairs))


def _descriptor(element: Element) -> SourceInputPortDescriptor | None:
    found = xml.child(element, "sourceInputPortDescriptor")
    return None if found is None else SourceInputPortDescriptor.from_element(found)


@dataclass(frozen=True, slots=True)
class InputProxyChannel:
    """One NVR IP channel (``GET``/``PUT .../channels/<id>``; ``POST .../channels`` with ``id`` 0)."""

    ROOT: ClassVar[str] = "InputProxyChannel"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = frozenset({"InputProxyChannel"})

    id: int
    name: str | None = None
    source: SourceInputPortDescriptor | None = None

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read an ``<InputProxyChannel>``; other elements (``enableAnr``, ``devIndex``...) are ignored.

        Raises:
            InvalidContent: ``id`` is missing, or the descriptor is malformed.
        """
        return cls(
            id=xml.integer(element, "id", minimum=0, maximum=65535),
            name=xml.optional_text(element, "name", max_length=128),
            source=_descriptor(element),
        )

    def to_node(self) -> xml.Node:
        """Return ``<InputProxyChannel>``: id, name, sourceInputPortDescriptor."""
        return xml.Node(
            self.ROOT,
            children=(
                xml.Node("id", self.id),
                leaf("name", self.name),
                None if self.source is None else self.source.to_node(),
            ),
        )

    def redacted(self) -> InputProxyChannel:
        """Return the channel without the camera password, as an NVR must reply."""
        if self.source is None:
            return self
        return replace(self, source=replace(self.source, password=None))


@dataclass(frozen=True, slots=True)
class InputProxyChannelList:
    """``GET .../InputProxy/channels``."""

    ROOT: ClassVar[str] = "InputProxyChannelList"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = frozenset({"InputProxyChannelList"})

    channels: tuple[InputProxyChannel, ...] = ()

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read every ``<InputProxyChannel>``.

        Raises:
            InvalidContent: a channel is malformed.
        """
        return cls(
            channels=tuple(
                InputProxyChannel.from_element(sub) for sub in xml.children(element, "InputProxyChannel")
            )
        )

    def to_node(self) -> xml.Node:
        """Return ``<InputProxyChannelList>``."""
        return xml.Node(self.ROOT, children=tuple(channel.to_node() for channel in self.channels))

    def redacted(self) -> InputProxyChannelList:
        """Return the list without camera passwords."""
        return InputProxyChannelList(tuple(channel.redacted() for channel in self.channels))


def _stream_id(element: Element) -> int:
    raw = (element.text or "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise InvalidContent("<streamingProxyChannelId> is not an integer", field="streamingProxyChannelId")
    return int(raw)


@dataclass(frozen=True, slots=True)
class InputProxyChannelStatus:
    """One channel's connection state (``GET .../channels/<id>/status``).

    Attributes:
        id: the channel.
        source: where it connects (status replies carry no password).
        online: whether the NVR holds a working connection.
        streaming_proxy_channel_ids: the channel's stream ids, when listed.
        chan_detect_result: the reason, verbatim (see :class:`ChanDetectResult`).
    """

    ROOT: ClassVar[str] = "InputProxyChannelStatus"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = frozenset({"InputProxyChannelStatus"})

    id: int
    source: SourceInputPortDescriptor | None = None
    online: bool | None = None
    streaming_proxy_channel_ids: tuple[int, ...] = ()
    chan_detect_result: str | None = None

    @property
    def detect_result(self) -> ChanDetectResult | None:
        """The documented :class:`ChanDetectResult`, or ``None`` when absent or not documented."""
        if self.chan_detect_result is None:
            return None
        try:
            return ChanDetectResult(self.chan_detect_result)
        except ValueError:
            return None

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read an ``<InputProxyChannelStatus>``.

        Raises:
            InvalidContent: ``id`` is missing, or a field is malformed.
        """
        id_list = xml.child(element, "streamingProxyChannelIdList")
        stream_ids: tuple[int, ...] = ()
        if id_list is not None:
            stream_ids = tuple(_stream_id(sub) for sub in xml.children(id_list, "streamingProxyChannelId"))
        return cls(
            id=xml.integer(element, "id", minimum=0, maximum=65535),
            source=_descriptor(element),
            online=xml.optional_boolean(element, "online"),
            streaming_proxy_channel_ids=stream_ids,
            chan_detect_result=xml.optional_text(element, "chanDetectResult", max_length=64),
        )

    def to_node(self) -> xml.Node:
        """Return ``<InputProxyChannelStatus>`` in the Sept 2019 guide's order."""
        id_list = None
        if self.streaming_proxy_channel_ids:
            id_list = xml.Node(
                "streamingProxyChannelIdList",
                children=tuple(
                    xml.Node("streamingProxyChannelId", i) for i in self.streaming_proxy_channel_ids
                ),
            )
        source = None if self.source is None else replace(self.source, password=None).to_node()
        return xml.Node(
            self.ROOT,
            children=(
                xml.Node("id", self.id),
                source,
                leaf("online", self.online),
                id_list,
                leaf("chanDetectResult", self.chan_detect_result),
            ),
        )


@dataclass(frozen=True, slots=True)
class InputProxyChannelStatusList:
    """``GET .../InputProxy/channels/status``: every channel's state in one request."""

    ROOT: ClassVar[str] = "InputProxyChannelStatusList"
    ACCEPTED_ROOTS: ClassVar[frozenset[str] | None] = frozenset({"InputProxyChannelStatusList"})

    statuses: tuple[InputProxyChannelStatus, ...] = ()

    @classmethod
    def from_element(cls, element: Element) -> Self:
        """Read every ``<InputProxyChannelStatus>``.

        Raises:
            InvalidContent: an entry is malformed.
        """
        return cls(
            statuses=tuple(
                InputProxyChannelStatus.from_element(sub)
                for sub in xml.children(element, "InputProxyChannelStatus")
            )
        )

    def to_node(self) -> xml.Node:
        """Return ``<InputProxyChannelStatusList>``."""
        return xml.Node(self.ROOT, children=tuple(status.to_node() for status in self.statuses))
