"""Where the lab gets its vendor material: ``[lab] vendor_keys`` and ``camvault lab run --vendor-keys``."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from camvault.cli.lab import _settings, lab_app
from camvault.device.lab.scenario import LabSettings, parse_scenario
from camvault.errors import ConfigurationError


def scenario(**lab: object) -> dict[str, object]:
    return {"lab": lab, "devices": [{"label": "cam", "admin_password": "Lobby#Cam-2024"}]}


def test_the_scenario_names_the_vendor_material() -> None:
    assert parse_scenario(scenario()).settings.vendor_keys is None
    assert parse_scenario(scenario(vendor_keys="factory/acme")).settings.vendor_keys == Path("factory/acme")


@pytest.mark.parametrize("value", ["", "   ", 7, ["a"], "bad\x00path"])
def test_a_bad_vendor_keys_setting_is_refused(value: object) -> None:
    with pytest.raises(ConfigurationError, match="vendor_keys"):
        parse_scenario(scenario(vendor_keys=value))


def test_the_command_line_overrides_only_what_it_names(tmp_path: Path) -> None:
    base = parse_scenario(
        scenario(
            vendor_keys="from-scenario",
            sadp_port=0,
            wsd_port=0,
            https=True,
            discovery_interfaces=["10.9.0.1"],
        )
    )
    chosen = _settings(base, None, None, tmp_path)
    assert chosen is not None
    assert chosen.vendor_keys == tmp_path
    assert (chosen.sadp_port, chosen.wsd_port, chosen.https, chosen.discovery_interfaces) == (
        0,
        0,
        True,
        ("10.9.0.1",),
    )
    kept = _settings(base, "addresses", None, None)
    assert kept is not None and kept.vendor_keys == Path("from-scenario") and kept.addressing == "addresses"
    assert _settings(None, None, None, None) is None
    alone = _settings(None, None, None, tmp_path)
    assert alone == LabSettings(vendor_keys=tmp_path)


def test_lab_run_offers_the_option() -> None:
    result = CliRunner().invoke(lab_app, ["run", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "--vendor-keys" in result.output


def test_missing_vendor_material_stops_the_lab_with_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        lab_app,
        [
            "run",
            "--devices",
            "1",
            "--state",
            str(tmp_path / "lab"),
            "--vendor-keys",
            str(tmp_path / "nowhere"),
        ],
    )
    assert result.exit_code == 1
    assert "cannot read" in result.output and "device-ca.key" in "".join(result.output.split())
