"""The lab's WS-Discovery responder on loopback: who answers, with what, and what WSDiscovery makes of it."""

from __future__ import annotations

from urllib.parse import unquote

from wsdiscovery.message import parseSOAPMessage
from wsdiscovery.scope import Scope
from wsdiscovery.service import Service
from wsdiscovery.util import matchesFilter

from camvault.device.onvif import facts
from camvault.protocols import wsdiscovery as wsd
from tests.device.discovery.conftest import DiscoveryLab, lab_state, ports, udp_exchange

STREAMING = "onvif://www.onvif.org/Profile/Streaming"


def probe(*scopes: str, types: tuple[wsd.QName, ...] = (), match_by: str | None = None) -> wsd.Probe:
    return wsd.Probe(message_id=wsd.new_message_id(), types=types, scopes=scopes, match_by=match_by)


async def probe_matches(
    port: int, message: wsd.Probe, *, count: int | None = None, wait: float = 1.2
) -> list[wsd.ProbeMatches]:
    replies = await udp_exchange(wsd.encode_probe(message), port, count=count, wait=wait)
    decoded = [wsd.decode(data) for data, _ in replies]
    assert all(isinstance(item, wsd.ProbeMatches) for item in decoded)
    return decoded  # type: ignore[return-value]


async def test_only_onvif_enabled_devices_answer_with_the_full_record(discovery_lab: DiscoveryLab) -> None:
    running = await discovery_lab()
    _, port = ports(running)
    message = probe(types=(wsd.NETWORK_VIDEO_TRANSMITTER, wsd.DEVICE_TYPE))
    replies = await probe_matches(port, message, count=2)
    assert {reply.relates_to for reply in replies} == {message.message_id}
    records = {reply.matches[0].address: reply.matches[0] for reply in replies}
    cam, gen = running.lab.device("cam"), running.lab.device("gen")
    assert set(records) == {facts.endpoint_reference(cam.model), facts.endpoint_reference(gen.model)}
    record = records[facts.endpoint_reference(cam.model)]
    assert record.types == (wsd.NETWORK_VIDEO_TRANSMITTER, wsd.DEVICE_TYPE)
    assert record.xaddrs == (f"http://{cam.address}:{cam.http_port}/onvif/device_service",)
    assert STREAMING in record.scopes
    assert f"onvif://www.onvif.org/MAC/{cam.model.identity.mac}" in record.scopes
    assert "onvif://www.onvif.org/hardware/DS-2CD2385G1-I" in record.scopes
    names = [unquote(scope.rsplit("/", 1)[1]) for scope in record.scopes if "/name/" in scope]
    assert names == ["HIKVISION DS-2CD2385G1-I"]
    assert all(reply.app_sequence is not None for reply in replies)


async def test_scope_filtering_and_unsupported_rules(discovery_lab: DiscoveryLab) -> None:
    running = await discovery_lab()
    _, port = ports(running)
    assert len(await probe_matches(port, probe(STREAMING), count=2)) == 2
    hardware = "onvif://www.onvif.org/hardware/DS-2CD2385"
    assert await probe_matches(port, probe(hardware), wait=0.8) == [], "rfc3986 matching is segment-wise"
    replies = await udp_exchange(
        wsd.encode_probe(probe(STREAMING, match_by="urn:nobody:rule")), port, count=1
    )
    [fault] = [wsd.decode(data) for data, _ in replies]
    assert isinstance(fault, wsd.DiscoveryFault)
    assert fault.fault.subcodes[0].local == "MatchingRuleNotSupported"


async def test_resolve_and_message_numbers(discovery_lab: DiscoveryLab) -> None:
    running = await discovery_lab()
    _, port = ports(running)
    gen = running.lab.device("gen")
    resolve = wsd.Resolve(wsd.new_message_id(), facts.endpoint_reference(gen.model))
    [(data, _)] = await udp_exchange(wsd.encode_resolve(resolve), port, count=1)
    first = wsd.decode(data)
    assert isinstance(first, wsd.ResolveMatches) and first.match is not None
    assert first.relates_to == resolve.message_id and first.match.xaddrs[0].endswith("/onvif/device_service")
    [(data, _)] = await udp_exchange(wsd.encode_resolve(resolve), port, count=1)
    second = wsd.decode(data)
    assert isinstance(second, wsd.ResolveMatches)
    assert first.app_sequence is not None and second.app_sequence is not None
    assert second.app_sequence.supersedes(first.app_sequence)


async def test_a_device_turned_off_or_with_onvif_off_is_silent(discovery_lab: DiscoveryLab) -> None:
    running = await discovery_lab()
    _, port = ports(running)
    running.lab.device("gen").model.power_off()
    running.lab.device("cam").model.settings.onvif_enabled = False
    assert await probe_matches(port, probe(), wait=0.8) == []


async def test_wsdiscovery_package_reads_our_replies_and_home_assistant_keeps_them(
    discovery_lab: DiscoveryLab,
) -> None:
    running = await discovery_lab()
    _, port = ports(running)
    replies = await udp_exchange(wsd.encode_probe(probe()), port, count=2)
    for data, source in replies:
        envelope = parseSOAPMessage(data, source)
        assert envelope is not None, "python-ws-discovery drops messages it cannot parse"
        [match] = envelope.getProbeResolveMatches()
        service = Service(match.getTypes(), match.getScopes(), match.getXAddrs(), match.getEPR(), 0)
        assert matchesFilter(service, None, [Scope(STREAMING)])
        assert service.getXAddrs()[0].startswith("http://127.0.0.1:")


HOSTILE = [
    b"",
    b"<s:Envelope/>",
    b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><d:Probe/></s:Body></s:Envelope>',
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaa">]><x>&a;</x>',
    wsd.encode_probe(probe()).replace(b"2005/04", b"2009/01"),
    wsd.encode_probe(probe()) + b"A" * 40_000,
    bytes(range(256)) * 4,
]


async def test_hostile_datagrams_are_dropped(discovery_lab: DiscoveryLab) -> None:
    running = await discovery_lab()
    _, port = ports(running)
    before = lab_state(running)
    for datagram in HOSTILE:
        assert await udp_exchange(datagram, port, wait=0.05) == []
    assert lab_state(running) == before
    assert len(await probe_matches(port, probe(), count=2)) == 2
