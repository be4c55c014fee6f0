"""The lab's SADP responder on real loopback sockets: inquiry, MAC filtering, power, activation, hostile input."""

from __future__ import annotations

from datetime import date
from random import Random

from hypothesis import given, settings
from hypothesis import strategies as st

from camvault.clock import ManualClock
from camvault.device.discovery import SadpResponder, device_record
from camvault.device.discovery.network import Arrival, Interface
from camvault.device.model import DeviceModel, Firmware, Kind, make_identity
from camvault.device.model.identity import ProductLine
from camvault.protocols import sadp
from camvault.protocols.isapi import activation
from camvault.protocols.sadp import ActionResponse, ProbeMatch, Result, SadpCommand
from tests.device.discovery.conftest import DiscoveryLab, lab_state, ports, udp_exchange
from tests.device.lab.conftest import free_fixed_port
from tests.device.model.conftest import STRONG

NEW_PASSWORD = "Fresh-Passw0rd!"


class Device:
    """A minimal Discoverable for record tests."""

    def __init__(self, model: DeviceModel, address: str = "192.0.2.40", http_port: int = 80) -> None:
        self.label = "d"
        self.model = model
        self.address = address
        self.http_port = http_port


def camera(
    firmware: str = "V5.6.2", build: str = "190701", *, line: ProductLine = ProductLine.CAMERA
) -> DeviceModel:
    identity = make_identity(
        model="DS-2CD2385G1-I",
        kind=Kind.IPC,
        firmware=Firmware.parse(firmware, build, line),
        manufactured=date(2020, 4, 14),
        rng=Random(5),
    )
    return DeviceModel(identity, clock=ManualClock(), rng=Random(9))


def inquiry(types: str = sadp.INQUIRY, mac: str | None = None) -> SadpCommand:
    return SadpCommand(uuid=sadp.new_uuid(), types=types, mac=mac)


# ------------------------------------------------------------------ the record


def test_record_has_the_real_fields_and_quirks() -> None:
    model = camera()
    model.activate(STRONG)
    data = sadp.encode_probe_match(device_record(Device(model), "10.0.0.1"), uuid="U-1")
    text = data.decode()
    dashed = model.identity.mac.replace(":", "-")
    assert f"<MAC>{dashed}</MAC>" in text and dashed == dashed.lower()
    assert "<SoftwareVersion>V5.6.2build 190701</SoftwareVersion>" in text
    assert "<DeviceLock>flase</DeviceLock>" in text and "<HCPlatformEnable>flase</HCPlatformEnable>" in text
    assert "<ResetAbility>false</ResetAbility>" in text
    assert f"<Salt>{model.identity.salt}</Salt>" in text
    assert "<Activated>true</Activated>" in text
    assert "<HttpPort>80</HttpPort>" in text and "<CommandPort>8000</CommandPort>" in text
    assert "<SDKOverTLSPort>8443</SDKOverTLSPort>" in text
    decoded = sadp.decode(data)
    assert isinstance(decoded, ProbeMatch) and decoded.device.serial == model.identity.serial


def test_record_follows_the_firmware_generation() -> None:
    older = device_record(Device(camera("V5.5.6", "180326")))
    assert older.sdk_over_tls_port is None and older.support_mailbox is None, "CAP1's firmware lacks them"
    assert older.activated is False and older.salt is not None
    legacy = device_record(Device(camera("V5.2.5", "141201")))
    assert legacy.activated is None and legacy.salt is None, "no activation before V5.3.0"


def test_device_lock_reports_the_requesters_lock() -> None:
    model = camera()
    model.activate(STRONG)
    for _ in range(model.settings.lock.max_attempts):
        model.attempt_login("admin", "10.0.0.66", lambda account: False)
    assert device_record(Device(model), "10.0.0.66").device_lock is True
    assert device_record(Device(model), "10.0.0.67").device_lock is False


# ------------------------------------------------------------------ on the wire


async def test_inquiry_gets_one_probe_match_per_hikvision_device(discovery_lab: DiscoveryLab) -> None:
    running = await discovery_lab()
    sadp_port, _ = ports(running)
    request = inquiry(sadp.INQUIRY_V32)
    replies = await udp_exchange(request.encode(), sadp_port, count=4)
    matches = [sadp.decode(data) for data, _ in replies]
    assert all(
        isinstance(m, ProbeMatch) and m.uuid == request.uuid and m.types == "inquiry_v32" for m in matches
    )
    serials = sorted(m.device.serial for m in matches if isinstance(m, ProbeMatch))
    hikvision = sorted(
        running.lab.device(label).model.identity.serial for label in ("cam", "quiet", "fresh", "nvr")
    )
    assert serials == hikvision, "every Hikvision device answers; the generic ONVIF camera does not"
    fresh = next(m for m in matches if isinstance(m, ProbeMatch) and m.device.activated is False)
    assert fresh.device.mac == running.lab.device("fresh").model.identity.mac.replace(":", "-")


async def test_inquiry_naming_a_mac_is_answered_by_that_device_only(discovery_lab: DiscoveryLab) -> None:
    running = await discovery_lab()
    sadp_port, _ = ports(running)
    mac = running.lab.device("quiet").model.identity.mac
    replies = await udp_exchange(inquiry(mac=mac).encode(), sadp_port, wait=1.0)
    assert [sadp.decode(data).device.serial for data, _ in replies] == [  # type: ignore[union-attr]
        running.lab.device("quiet").model.identity.serial
    ]


async def test_devices_that_are_off_or_booting_do_not_answer(discovery_lab: DiscoveryLab) -> None:
    running = await discovery_lab()
    sadp_port, _ = ports(running)
    running.lab.device("cam").model.power_off()
    running.lab.device("quiet").model.begin_boot()
    replies = await udp_exchange(inquiry().encode(), sadp_port, wait=1.0)
    labels = {
        running.lab.device(label).model.identity.serial: label for label in ("fresh", "nvr", "cam", "quiet")
    }
    assert sorted(labels[sadp.decode(data).device.serial] for data, _ in replies) == ["fresh", "nvr"]  # type: ignore[union-attr]


async def test_each_device_answers_from_its_own_address(discovery_lab: DiscoveryLab) -> None:
    running = await discovery_lab(
        [
            {"label": "a", "admin_password": "Lobby#Cam-2024"},
            {"label": "b", "admin_password": "Garage#Cam-2024"},
        ],
        addressing="addresses",
        http_port=free_fixed_port(),
    )
    sadp_port, _ = ports(running)
    everyone = await udp_exchange(inquiry().encode(), sadp_port, count=2)
    sources = {source for _, source in everyone}
    assert sources == {running.lab.device("a").address, running.lab.device("b").address}
    only_b = await udp_exchange(
        inquiry().encode(), sadp_port, target=running.lab.device("b").address, wait=1.0
    )
    assert [(source, sadp.decode(data).device.ipv4_address) for data, source in only_b] == [  # type: ignore[union-attr]
        (running.lab.device("b").address, running.lab.device("b").address)
    ]


async def test_an_inactive_device_is_activated_over_sadp(discovery_lab: DiscoveryLab) -> None:
    running = await discovery_lab()
    sadp_port, _ = ports(running)
    fresh = running.lab.device("fresh")
    mac = fresh.model.identity.mac
    key = activation.ActivationClientKey.generate()
    exchange = SadpCommand(
        uuid=sadp.new_uuid(),
        types="exchangecode",
        mac=mac,
        fields={"Code": activation.sadp_exchange_public_key(key)},
    )
    [(data, source)] = await udp_exchange(exchange.encode(), sadp_port, count=1)
    answer = sadp.decode(data)
    assert isinstance(answer, ActionResponse) and answer.result is Result.SUCCESS and answer.code
    assert source == fresh.address
    random_text = key.decrypt_sadp_code(answer.code)
    command = SadpCommand(
        uuid=sadp.new_uuid(),
        types="activate",
        mac=mac,
        fields={"Password": activation.sadp_encrypt_password(random_text, NEW_PASSWORD)},
    )
    [(data, _)] = await udp_exchange(command.encode(), sadp_port, count=1)
    verdict = sadp.decode(data)
    assert isinstance(verdict, ActionResponse) and verdict.result is Result.SUCCESS
    assert fresh.model.activated and fresh.model.user(1).password.matches(NEW_PASSWORD)
    again = await udp_exchange(command.encode(), sadp_port, count=1)
    assert sadp.decode(again[0][0]).result is Result.FAILURE  # type: ignore[union-attr]


async def test_activation_refusals(discovery_lab: DiscoveryLab) -> None:
    running = await discovery_lab()
    sadp_port, _ = ports(running)
    fresh = running.lab.device("fresh").model
    mac = fresh.identity.mac
    no_exchange = SadpCommand(uuid=sadp.new_uuid(), types="activate", mac=mac, fields={"Password": "AAAA"})
    assert (
        sadp.decode((await udp_exchange(no_exchange.encode(), sadp_port, count=1))[0][0]).result
        is Result.DENIED
    )  # type: ignore[union-attr]
    bad_key = SadpCommand(
        uuid=sadp.new_uuid(), types="exchangecode", mac=mac, fields={"Code": "bm90IGEga2V5"}
    )
    assert (
        sadp.decode((await udp_exchange(bad_key.encode(), sadp_port, count=1))[0][0]).result is Result.FAILURE
    )  # type: ignore[union-attr]
    key = activation.ActivationClientKey.generate()
    exchange = SadpCommand(
        uuid=sadp.new_uuid(),
        types="exchangecode",
        mac=mac,
        fields={"Code": activation.sadp_exchange_public_key(key)},
    )
    answer = sadp.decode((await udp_exchange(exchange.encode(), sadp_port, count=1))[0][0])
    assert isinstance(answer, ActionResponse) and answer.code
    risky = activation.sadp_encrypt_password(key.decrypt_sadp_code(answer.code), "12345678")
    weak = SadpCommand(uuid=sadp.new_uuid(), types="activate", mac=mac, fields={"Password": risky})
    assert sadp.decode((await udp_exchange(weak.encode(), sadp_port, count=1))[0][0]).result is Result.FAILURE  # type: ignore[union-attr]
    assert not fresh.activated


async def test_commands_for_another_mac_or_unknown_commands_are_ignored(discovery_lab: DiscoveryLab) -> None:
    running = await discovery_lab()
    sadp_port, _ = ports(running)
    for command in (
        SadpCommand(
            uuid=sadp.new_uuid(), types="exchangecode", mac="00-11-22-33-44-55", fields={"Code": "x"}
        ),
        SadpCommand(uuid=sadp.new_uuid(), types="exchangecode", fields={"Code": "x"}),
        SadpCommand(
            uuid=sadp.new_uuid(), types="selfDestruct", mac=running.lab.device("cam").model.identity.mac
        ),
    ):
        assert await udp_exchange(command.encode(), sadp_port, wait=0.3) == []


HOSTILE = [
    b"",
    b"<Probe>",
    b"<Probe><Uuid>1</Uuid></Probe>",
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><Probe><Uuid>&b;</Uuid></Probe>',
    b"<Probe><Uuid>1</Uuid><Types>inquiry</Types>" + b"<X>" * 100 + b"</X>" * 100 + b"</Probe>",
    b"<Probe><Uuid>1</Uuid><Types>inquiry</Types><Pad>" + b"A" * 9000 + b"</Pad></Probe>",
    b"<Probe><Uuid>1</Uuid><Types>activate</Types><MAC>zz-zz</MAC></Probe>",
    bytes(range(256)),
]


async def test_hostile_datagrams_are_dropped_and_the_lab_keeps_answering(discovery_lab: DiscoveryLab) -> None:
    running = await discovery_lab()
    sadp_port, _ = ports(running)
    before = lab_state(running)
    for datagram in HOSTILE:
        assert await udp_exchange(datagram, sadp_port, wait=0.05) == []
    assert running.lab.discovery is not None and running.lab.discovery.sadp is not None
    assert running.lab.discovery.sadp.ignored >= len(HOSTILE) - 1
    assert lab_state(running) == before
    assert len(await udp_exchange(inquiry().encode(), sadp_port, count=4)) == 4


@settings(max_examples=80, deadline=None)
@given(data=st.one_of(st.binary(max_size=1500), st.sampled_from(HOSTILE)))
def test_the_handler_survives_any_datagram_and_changes_nothing(data: bytes) -> None:
    model = camera()
    responder = SadpResponder(lambda: [Device(model, "127.0.0.1")], port=0, max_delay=0)
    before = model.to_snapshot()
    loopback = Interface(1, "lo", "127.0.0.1", multicast=False, loopback=True)
    responder.on_datagram(Arrival(data, ("127.0.0.1", 5000), "127.0.0.1", loopback))
    assert model.to_snapshot() == before
