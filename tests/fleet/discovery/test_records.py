"""Discovery records: MAC spelling, de-duplication by MAC, serial and endpoint, merging."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from camvault.fleet.discovery import DiscoveredDevice, DiscoveryProtocol, Findings, canonical_mac

SADP, WSD = DiscoveryProtocol.SADP, DiscoveryProtocol.WS_DISCOVERY


@pytest.mark.parametrize(
    "spelling",
    ["58-50-ED-1F-E3-85", "58:50:ed:1f:e3:85", "5850.ed1f.e385", "5850ed1fe385", " 58-50-ed-1f-e3-85 "],
)
def test_canonical_mac_accepts_every_common_spelling(spelling: str) -> None:
    assert canonical_mac(spelling) == "58:50:ed:1f:e3:85"


@pytest.mark.parametrize("junk", [None, "", "58-50-ed-1f-e3", "zz:zz:zz:zz:zz:zz", "58-50-ed-1f-e3-85-00"])
def test_canonical_mac_refuses_what_is_not_a_mac(junk: str | None) -> None:
    assert canonical_mac(junk) is None


def test_the_same_device_by_mac_is_merged_and_completed() -> None:
    findings = Findings()
    assert findings.add(DiscoveredDevice(SADP, "10.0.0.5", "10.0.0.5", mac="58:50:ed:1f:e3:85", serial="S1"))
    assert not findings.add(
        DiscoveredDevice(SADP, "10.0.0.5", "10.0.0.5", mac="58:50:ed:1f:e3:85", model="DS-2CD2385G1-I")
    )
    [device] = findings.devices()
    assert (device.serial, device.model) == ("S1", "DS-2CD2385G1-I")


def test_the_same_serial_under_another_mac_is_one_device() -> None:
    findings = Findings()
    findings.add(DiscoveredDevice(SADP, "10.0.0.5", "10.0.0.5", mac="58:50:ed:00:00:01", serial="S1"))
    findings.add(DiscoveredDevice(SADP, "10.0.0.6", "10.0.0.6", mac="58:50:ed:00:00:02", serial="S1"))
    assert len(findings) == 1


def test_wsd_records_dedupe_by_endpoint_and_distinct_devices_stay_apart() -> None:
    findings = Findings()
    findings.add(DiscoveredDevice(WSD, "10.0.0.7", "10.0.0.7", endpoint="urn:uuid:1"))
    findings.add(DiscoveredDevice(WSD, "10.0.0.7", "10.0.0.7", endpoint="urn:uuid:1"))
    findings.add(DiscoveredDevice(WSD, "10.0.0.8", "10.0.0.8", endpoint="urn:uuid:2"))
    assert [device.endpoint for device in findings.devices()] == ["urn:uuid:1", "urn:uuid:2"]


macs = st.lists(st.integers(min_value=0, max_value=2**48 - 1), min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(values=macs, repeats=st.integers(min_value=1, max_value=3))
def test_findings_keep_exactly_one_record_per_distinct_mac(values: list[int], repeats: int) -> None:
    findings = Findings()
    for _ in range(repeats):
        for value in values:
            mac = canonical_mac(f"{value:012x}")
            findings.add(DiscoveredDevice(SADP, "10.0.0.1", "10.0.0.1", mac=mac))
    assert sorted(device.mac or "" for device in findings.devices()) == sorted(
        {canonical_mac(f"{value:012x}") or "" for value in values}
    )
