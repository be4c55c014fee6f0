"""The discovery clients against real captures and against scripted responders on loopback."""

from __future__ import annotations

import asyncio
import base64
import zlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from camvault.errors import (
    DeviceProtocolError,
    DeviceRefused,
    DeviceTimeout,
    InvalidContent,
    UnsupportedOperation,
)
from camvault.fleet.discovery import (
    DiscoveryProtocol,
    Probing,
    activate_over_sadp,
    discover_sadp,
    discover_wsd,
)
from camvault.fleet.discovery import sadp as sadp_client
from camvault.fleet.discovery import wsd as wsd_client
from camvault.protocols import sadp, wsdiscovery
from tests.protocols.test_sadp import CAP2
from tests.protocols.test_wsdiscovery import GSOAP_CAMERA_PROBE_MATCHES

Script = Callable[[bytes], list[bytes]]


class ScriptedResponder(asyncio.DatagramProtocol):
    """A loopback UDP responder that answers each datagram with whatever its script returns."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.transport: asyncio.DatagramTransport | None = None
        self.received: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.received.append(data)
        assert self.transport is not None
        for reply in self.script(data):
            self.transport.sendto(reply, addr)


@pytest.fixture
async def responder() -> AsyncIterator[Callable[[Script], Any]]:
    started: list[asyncio.DatagramTransport] = []

    async def start(script: Script) -> tuple[int, ScriptedResponder]:
        loop = asyncio.get_running_loop()
        transport, protocol = await loop.create_datagram_endpoint(
            lambda: ScriptedResponder(script), local_addr=("127.0.0.1", 0)
        )
        started.append(transport)
        return transport.get_extra_info("sockname")[1], protocol

    yield start
    for transport in started:
        transport.close()


def echo_uuid(capture: bytes) -> Script:
    """Answer an inquiry with a capture whose Uuid is replaced by the inquiry's."""

    def script(data: bytes) -> list[bytes]:
        command = sadp.SadpCommand.decode(data)
        return [capture.replace(b"e8ecfe09-90e4-44c0-842b-703f46b58c81", command.uuid.encode())]

    return script


# ------------------------------------------------------------------ golden captures


def test_the_real_sadp_capture_becomes_a_record() -> None:
    message = sadp.decode(CAP2)
    assert isinstance(message, sadp.ProbeMatch)
    record = sadp_client.record_from_probe_match(message, "192.168.124.40")
    assert record.protocol is DiscoveryProtocol.SADP
    assert record.mac == "58:50:ed:1f:e3:85"
    assert record.serial == "DS-2CD2385G1-I20200414AAWRE33842150"
    assert record.model == "DS-2CD2385G1-I" and record.firmware == "V5.6.2build 190701"
    assert record.activated is True and record.http_port == 80 and record.command_port == 8000
    assert record.address == "192.168.124.40"
    assert record.sadp is not None and record.sadp.device_lock is False, "'flase' is false"


def test_the_real_gsoap_capture_becomes_a_record() -> None:
    message = wsdiscovery.decode(GSOAP_CAMERA_PROBE_MATCHES)
    assert isinstance(message, wsdiscovery.ProbeMatches)
    record = wsd_client.record_from_probe_match(message.matches[0], "192.168.1.104")
    assert record.protocol is DiscoveryProtocol.WS_DISCOVERY
    assert record.address == "192.168.1.104" and record.http_port == 80
    assert record.name == "IPCAM", "scope categories are read case-insensitively"
    assert record.endpoint == "urn:uuid:2419d68a-2dd2-21b2-a205-78A5DD0F9593"
    assert record.mac is None and record.model is None


def test_scope_values_are_percent_decoded() -> None:
    scopes = (
        "onvif://www.onvif.org/name/HIKVISION%20DS-2CD2143G0-I",
        "onvif://www.onvif.org/mac/c4%3A2f%3A90%3Aab%3Acd%3Aef",
    )
    assert wsd_client.scope_value(scopes, "name") == "HIKVISION DS-2CD2143G0-I"
    assert wsd_client.scope_value(scopes, "MAC") == "c4:2f:90:ab:cd:ef"


# ------------------------------------------------------------------ against scripted responders


async def test_discover_sadp_dedupes_and_ignores_strangers(responder: Any) -> None:
    def script(data: bytes) -> list[bytes]:
        [answer] = echo_uuid(CAP2)(data)
        stranger = CAP2  # another tool's inquiry was answered: wrong Uuid
        return [answer, answer, stranger, b"<junk", b'<!DOCTYPE x [<!ENTITY a "a">]><x/>']

    port, _ = await responder(script)
    found = await discover_sadp(Probing(timeout=0.5), port=port)
    assert [device.serial for device in found] == ["DS-2CD2385G1-I20200414AAWRE33842150"]


async def test_discover_wsd_keeps_only_answers_to_its_own_probe(responder: Any) -> None:
    def script(data: bytes) -> list[bytes]:
        probe = wsdiscovery.decode(data)
        assert isinstance(probe, wsdiscovery.Probe)
        assert probe.types == (wsdiscovery.DEVICE_TYPE,)
        ours = GSOAP_CAMERA_PROBE_MATCHES.replace(
            b"urn:uuid:2de9f5ad-abd2-4c0e-9ba8-178098d67f01", probe.message_id.encode()
        )
        return [ours, ours, GSOAP_CAMERA_PROBE_MATCHES, b"\x00" * 40]

    port, _ = await responder(script)
    found = await discover_wsd(Probing(timeout=0.5), port=port)
    assert [device.endpoint for device in found] == ["urn:uuid:2419d68a-2dd2-21b2-a205-78A5DD0F9593"]


async def test_until_stops_listening_once_enough_devices_were_seen(responder: Any) -> None:
    def two_devices(data: bytes) -> list[bytes]:
        [first] = echo_uuid(CAP2)(data)
        second = first.replace(b"58-50-ed-1f-e3-85", b"58-50-ed-00-00-02").replace(
            b"AAWRE33842150", b"AAWRE00000002"
        )
        return [first, second]

    port, _ = await responder(two_devices)
    assert len(await discover_sadp(Probing(timeout=2.0), port=port)) == 2
    assert len(await discover_sadp(Probing(timeout=2.0, until=1), port=port)) == 1


async def test_a_silent_network_gives_an_empty_answer(responder: Any) -> None:
    port, protocol = await responder(lambda data: [])
    assert await discover_sadp(Probing(timeout=0.3), port=port) == []
    assert len(protocol.received) == 1


async def test_repeat_sends_the_probe_again(responder: Any) -> None:
    port, protocol = await responder(lambda data: [])
    await discover_wsd(Probing(timeout=0.3, repeat=3), port=port)
    assert len(protocol.received) == 3


def test_probing_refuses_unbounded_or_silly_settings() -> None:
    for bad in ({"timeout": 0}, {"timeout": 10_000}, {"repeat": 0}, {"repeat": 50}):
        with pytest.raises(ValueError, match="must"):
            Probing(**bad)  # type: ignore[arg-type]
    assert Probing().targets == ("127.0.0.1",) and not Probing().multicast and not Probing().broadcast


async def test_activation_without_an_answer_times_out(responder: Any) -> None:
    port, _ = await responder(lambda data: [])
    with pytest.raises(DeviceTimeout):
        await activate_over_sadp(
            "127.0.0.1", "58-50-ed-1f-e3-85", "Secret-Passw0rd", port=port, answer_seconds=0.2
        )


# ------------------------------------------------------------------ vendor-support reset: hostile answers

MAC = "58-50-ed-1f-e3-85"


def answer_export(result: str, code: str | None = None, **fields: str) -> Script:
    """Answer ``getencryptstring`` with the given Result, Code and fields."""

    def script(data: bytes) -> list[bytes]:
        command = sadp.SadpCommand.decode(data)
        response = sadp.ActionResponse(
            uuid=command.uuid,
            types=command.types,
            result=sadp.Result(result),
            mac=MAC,
            code=code,
            fields=fields,
        )
        return [sadp.encode_action_response(response)]

    return script


def deflated(data: bytes) -> str:
    return base64.b64encode(zlib.compress(data, 9)).decode("ascii")


@pytest.mark.parametrize(
    ("code", "complaint"),
    [
        (None, "carries no request"),
        ("not base64 at all!", "not base64"),
        (deflated(b"\0" * 3_000_000), "inflates past"),  # a bomb: 3 MB from under 4 kB of base64
        (deflated(b"-----BEGIN CAMVAULT RESET REQUEST-----\nnonsense\n"), "not a request file"),
        (deflated(b"x" * 100)[:-8], "truncated"),
        (deflated(b"x" * 100) + base64.b64encode(b"junk").decode(), "not base64|trailing|truncated"),
    ],
)
async def test_an_export_answer_that_is_not_a_request_file_is_refused(
    responder: Any, code: str | None, complaint: str
) -> None:
    port, _ = await responder(answer_export("success", code))
    with pytest.raises(DeviceProtocolError, match=complaint):
        await sadp_client.export_request_over_sadp("127.0.0.1", MAC, port=port, answer_seconds=2)


async def test_an_oversized_export_answer_is_dropped_like_any_malformed_datagram(responder: Any) -> None:
    port, _ = await responder(answer_export("success", "A" * 5000))
    with pytest.raises(DeviceTimeout):
        await sadp_client.export_request_over_sadp("127.0.0.1", MAC, port=port, answer_seconds=0.5)


async def test_export_refusals_name_the_reason_only_when_it_is_a_word(responder: Any) -> None:
    port, _ = await responder(answer_export("failure", Reason="notSupport"))
    with pytest.raises(UnsupportedOperation, match="notSupport"):
        await sadp_client.export_request_over_sadp("127.0.0.1", MAC, port=port, answer_seconds=2)
    port, _ = await responder(answer_export("denied", Reason="see http://evil.example/?x=<b>"))
    with pytest.raises(DeviceRefused) as refused:
        await sadp_client.export_request_over_sadp("127.0.0.1", MAC, port=port, answer_seconds=2)
    assert "evil" not in str(refused.value) and "(denied)" in str(refused.value)


async def test_a_reset_without_an_answer_times_out_and_sends_nothing_unsendable(responder: Any) -> None:
    port, protocol = await responder(lambda data: [])
    with pytest.raises(DeviceTimeout):
        await sadp_client.reset_over_sadp(
            "127.0.0.1", MAC, "ABCD-EFGH", "Secret-Passw0rd", port=port, answer_seconds=0.2
        )
    sent = len(protocol.received)
    for code in ("", " - ", b"not a code file"):
        with pytest.raises(InvalidContent):
            await sadp_client.reset_over_sadp(
                "127.0.0.1", MAC, code, "Secret-Passw0rd", port=port, answer_seconds=0.2
            )
    assert len(protocol.received) == sent, "nothing goes out for a code that cannot be one"
