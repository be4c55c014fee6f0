"""The lab settings that place the discovery responders: ports (0: off) and extra interfaces."""

from __future__ import annotations

from typing import Any

import pytest

from camvault.device.lab.scenario import LabSettings, parse_scenario
from camvault.errors import ConfigurationError


def settings(**lab: Any) -> LabSettings:
    return parse_scenario({"lab": lab, "devices": []}).settings


def test_the_real_ports_by_default() -> None:
    chosen = settings()
    assert (chosen.sadp_port, chosen.wsd_port, chosen.discovery_interfaces) == (37020, 3702, ())


def test_ports_and_interfaces_are_read() -> None:
    chosen = settings(sadp_port=0, wsd_port=13702, discovery_interfaces=["10.231.0.1"])
    assert (chosen.sadp_port, chosen.wsd_port, chosen.discovery_interfaces) == (0, 13702, ("10.231.0.1",))


@pytest.mark.parametrize(
    "bad",
    [
        {"sadp_port": -1},
        {"wsd_port": 70000},
        {"wsd_port": "3702"},
        {"sadp_port": True},
        {"discovery_interfaces": "10.231.0.1"},
        {"discovery_interfaces": ["not-an-address"]},
        {"discovery_interfaces": [7]},
    ],
)
def test_bad_values_are_refused_with_the_field_named(bad: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError) as caught:
        settings(**bad)
    assert next(iter(bad)) in str(caught.value) or "port" in str(caught.value)
