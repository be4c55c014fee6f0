"""The discovery socket layer: interfaces, a taken port, and a lab that runs on without a responder."""

from __future__ import annotations

import logging
import socket

import httpx
import pytest

from camvault.device.discovery.network import interface_for, open_endpoint
from tests.device.discovery.conftest import DiscoveryLab, free_udp_port


def test_every_loopback_address_is_on_the_loopback_interface() -> None:
    for address in ("127.0.0.1", "127.20.0.5"):
        interface = interface_for(address)
        assert interface is not None and interface.loopback and interface.address == "127.0.0.1"
    assert interface_for("203.0.113.9") is None
    assert interface_for("not an address") is None


async def test_a_taken_port_disables_the_responder_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:
        holder.bind(("0.0.0.0", 0))
        port = holder.getsockname()[1]
        loopback = interface_for("127.0.0.1")
        assert loopback is not None
        with caplog.at_level(logging.WARNING):
            assert (
                open_endpoint(port, "239.255.255.250", [loopback], [], lambda arrival: None, what="SADP")
                is None
            )
    assert "cannot bind UDP port" in caplog.text


async def test_loopback_without_multicast_answers_unicast_only(caplog: pytest.LogCaptureFixture) -> None:
    loopback = interface_for("127.0.0.1")
    assert loopback is not None
    with caplog.at_level(logging.INFO):
        endpoint = open_endpoint(
            0, "239.255.255.250", [loopback], [], lambda arrival: None, what="WS-Discovery"
        )
    assert endpoint is not None
    try:
        if not loopback.multicast:
            assert endpoint.multicast_interfaces == []
            assert "no multicast" in caplog.text
    finally:
        endpoint.close()


async def test_the_lab_runs_on_when_a_discovery_port_is_taken(discovery_lab: DiscoveryLab) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:
        holder.bind(("0.0.0.0", 0))
        taken = holder.getsockname()[1]
        running = await discovery_lab(
            [{"label": "cam", "admin_password": "Lobby#Cam-2024"}], sadp_port=taken, wsd_port=free_udp_port()
        )
        assert running.lab.discovery is not None and running.lab.discovery.sadp is not None
        assert running.lab.discovery.sadp.port is None
        device = running.lab.device("cam")
        async with httpx.AsyncClient() as client:
            reply = await client.get(f"http://{device.address}:{device.http_port}/SDK/activateStatus")
        assert reply.status_code == 200


async def test_zero_ports_mean_no_responders(discovery_lab: DiscoveryLab) -> None:
    running = await discovery_lab(
        [{"label": "cam", "admin_password": "Lobby#Cam-2024"}], sadp_port=0, wsd_port=0
    )
    assert running.lab.discovery is not None
    assert running.lab.discovery.sadp is None and running.lab.discovery.wsd is None
