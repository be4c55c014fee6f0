"""Discovery across a real interface: the lab in one network namespace, clients in another, over a veth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.netns.conftest import CLIENT_ADDRESS, LAB_ADDRESS, SUBNET_BROADCAST, Namespaces, read_line

pytestmark = pytest.mark.netns

FLEET: list[dict[str, Any]] = [
    {"label": "cam", "admin_password": "Lobby#Cam-2024", "onvif": True},
    {"label": "fresh", "activated": False},
    {"label": "gen", "kind": "onvif-camera"},
]

DISCOVER = """
import asyncio, json
from camvault.fleet.discovery import Probing, discover_sadp, discover_wsd
probing = Probing({probing})
found = asyncio.run({function}(probing))
print(json.dumps([[d.serial, d.mac, d.source, d.address, list(d.xaddrs)] for d in found]))
"""


def discover(namespaces: Namespaces, function: str, probing: str) -> list[list[Any]]:
    result: list[list[Any]] = namespaces.run(
        namespaces.client, DISCOVER.format(function=function, probing=probing)
    )
    return result


def test_multicast_sadp_and_wsd_reach_the_lab_over_the_veth(namespaces: Namespaces, tmp_path: Path) -> None:
    lab = namespaces.start_lab(FLEET, tmp_path / "lab")
    multicast = f"targets=(), multicast=True, interface={CLIENT_ADDRESS!r}, timeout=5, until={{}}"
    sadp = discover(namespaces, "discover_sadp", multicast.format(2))
    assert sorted(serial for serial, *_ in sadp) == sorted(
        lab.devices[label]["serial"] for label in ("cam", "fresh")
    )
    assert {source for _, _, source, _, _ in sadp} == {LAB_ADDRESS}, "answers come from the lab's interface"
    wsd = discover(namespaces, "discover_wsd", multicast.format(2))
    assert sorted(mac for _, mac, *_ in wsd) == sorted(lab.devices[label]["mac"] for label in ("cam", "gen"))


def test_unicast_and_subnet_broadcast_reach_the_lab(namespaces: Namespaces, tmp_path: Path) -> None:
    lab = namespaces.start_lab(FLEET, tmp_path / "lab")
    unicast = discover(namespaces, "discover_sadp", f"targets=({LAB_ADDRESS!r},), timeout=5, until=2")
    assert len(unicast) == 2
    broadcast = discover(
        namespaces,
        "discover_wsd",
        f"targets=({SUBNET_BROADCAST!r},), broadcast=True, interface={CLIENT_ADDRESS!r}, timeout=5, until=2",
    )
    assert sorted(mac for _, mac, *_ in broadcast) == sorted(
        lab.devices[label]["mac"] for label in ("cam", "gen")
    )


ACTIVATE = """
import asyncio, json
from camvault.fleet.discovery import activate_over_sadp
outcome = asyncio.run(activate_over_sadp({address!r}, {mac!r}, "Fresh-Passw0rd!"))
print(json.dumps(outcome.result.value))
"""


def test_activation_from_the_other_side_of_the_link(namespaces: Namespaces, tmp_path: Path) -> None:
    lab = namespaces.start_lab(FLEET, tmp_path / "lab")
    mac = lab.devices["fresh"]["mac"]
    assert namespaces.run(namespaces.client, ACTIVATE.format(address=LAB_ADDRESS, mac=mac)) == "success"
    again = discover(namespaces, "discover_sadp", f"targets=({LAB_ADDRESS!r},), timeout=5, until=2")
    assert len(again) == 2


WSDISCOVERY = """
import json
from wsdiscovery.discovery import ThreadedWSDiscovery
from wsdiscovery.scope import Scope
client = ThreadedWSDiscovery()
client.start()
try:
    services = client.searchServices(scopes=[Scope("onvif://www.onvif.org/Profile/Streaming")], timeout=3)
    print(json.dumps(sorted([s.getEPR(), s.getXAddrs()[0]] for s in services)))
finally:
    client.stop()
"""


def test_the_wsdiscovery_package_finds_the_onvif_devices(namespaces: Namespaces, tmp_path: Path) -> None:
    lab = namespaces.start_lab(FLEET, tmp_path / "lab")
    found = namespaces.run(namespaces.client, WSDISCOVERY, timeout=40)
    assert sorted(endpoint for endpoint, _ in found) == sorted(
        lab.devices[label]["endpoint"] for label in ("cam", "gen")
    )
    assert all(xaddr.endswith("/onvif/device_service") for _, xaddr in found)


LISTEN = """
import json, select, socket, struct, sys, time
from camvault.protocols import sadp, wsdiscovery
sockets = []
for port in (37020, 3702):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("239.255.255.250", port))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                 socket.inet_aton("239.255.255.250") + socket.inet_aton({client!r}))
    sockets.append(s)
print("LISTENING", flush=True)
seen = []
deadline = time.monotonic() + 12
while time.monotonic() < deadline and len(seen) < 3:
    ready, _, _ = select.select(sockets, [], [], 0.5)
    for s in ready:
        data, _ = s.recvfrom(65535)
        try:
            message = sadp.decode(data) if s.getsockname()[1] == 37020 else wsdiscovery.decode(data)
        except Exception:
            continue
        kind = type(message).__name__
        mac = getattr(getattr(message, "device", None), "mac", None)
        seen.append([s.getsockname()[1], kind, mac])
print(json.dumps(seen), flush=True)
"""


def test_a_rebooting_device_says_bye_then_hello(namespaces: Namespaces, tmp_path: Path) -> None:
    lab = namespaces.start_lab(FLEET[:1], tmp_path / "lab")
    listener = namespaces.spawn(namespaces.client, LISTEN.format(client=CLIENT_ADDRESS))
    try:
        assert read_line(listener, 15).startswith("LISTENING")
        lab.command("cycle cam", expect="DONE")
        seen = json.loads(read_line(listener, 20))
    finally:
        listener.kill()
        listener.wait(timeout=10)
    kinds = [(port, kind) for port, kind, _ in seen]
    assert (3702, "Bye") in kinds and (3702, "Hello") in kinds
    assert kinds.index((3702, "Bye")) < kinds.index((3702, "Hello"))
    sadp_hellos = [mac for port, kind, mac in seen if (port, kind) == (37020, "Hello")]
    assert sadp_hellos == [lab.devices["cam"]["mac"].replace(":", "-")]
