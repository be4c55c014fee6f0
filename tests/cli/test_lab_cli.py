"""``camvault lab`` as a user runs it: a real process, signals, and the control commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from camvault.device.lab.process import LabProcess
from camvault.errors import ConfigurationError

SCENARIO = """
[lab]
seed = 5
boot_seconds = 0.2

[[devices]]
label = "front"
admin_password = "Front#Door-2024"

[[devices]]
label = "back"
activated = false
"""


def camvault(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "camvault", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start(tmp_path: Path) -> LabProcess:
    scenario = tmp_path / "site.toml"
    scenario.write_text(SCENARIO)
    return LabProcess.start(
        tmp_path / "state",
        "--scenario",
        str(scenario),
        "--manifest",
        str(tmp_path / "manifest.json"),
        timeout=30,
    )


def stop(lab: LabProcess) -> str:
    output = lab.stop(timeout=30)
    assert lab.process.returncode == 0, output
    return output


def test_lab_runs_until_sigterm_and_keeps_its_state(tmp_path: Path) -> None:
    lab = start(tmp_path)
    try:
        manifest = json.loads((tmp_path / "manifest.json").read_text())
        front = next(d for d in manifest["devices"] if d["label"] == "front")
        response = httpx.get(
            front["url"] + "ISAPI/Security/userCheck", auth=httpx.DigestAuth("admin", "Front#Door-2024")
        )
        assert response.status_code == 200
        status = camvault("lab", "status", "--state", str(tmp_path / "state"))
        assert status.returncode == 0 and "front" in status.stdout and "back" in status.stdout
        pressed = camvault(
            "lab", "reset-button", "front", "--seconds", "15", "--state", str(tmp_path / "state")
        )
        assert pressed.returncode == 0 and "inactive" in pressed.stdout
        clock = camvault("lab", "clock", "back", "--skew", "3600", "--state", str(tmp_path / "state"))
        assert clock.returncode == 0 and "now reads" in clock.stdout
        fault = camvault("lab", "fault", "back", "--error-rate", "1", "--state", str(tmp_path / "state"))
        assert fault.returncode == 0
        assert (
            httpx.get(
                front["url"].replace(
                    str(front["http_port"]),
                    str(next(d for d in manifest["devices"] if d["label"] == "back")["http_port"]),
                )
                + "SDK/activateStatus"
            ).status_code
            == 503
        )
        bad = camvault("lab", "reset-button", "nobody", "--state", str(tmp_path / "state"))
        assert (
            bad.returncode == 1
            and "no device labelled" in bad.stdout
            and "Traceback" not in bad.stdout + bad.stderr
        )
    finally:
        output = stop(lab)
    assert "lab stopped" in output
    assert not (tmp_path / "state" / "control.json").exists()
    lab = start(tmp_path)
    try:
        manifest = json.loads((tmp_path / "manifest.json").read_text())
        assert next(d for d in manifest["devices"] if d["label"] == "front")["activated"] is False, (
            "the reset survived"
        )
    finally:
        stop(lab)


def test_commands_without_a_running_lab_fail_cleanly(tmp_path: Path) -> None:
    result = camvault("lab", "status", "--state", str(tmp_path))
    assert result.returncode == 1
    assert "no running lab" in result.stdout
    broken = tmp_path / "broken.toml"
    broken.write_text("[[devices]]\nlabel = 5\n")
    result = camvault("lab", "run", "--scenario", str(broken), "--state", str(tmp_path / "s"))
    assert result.returncode == 1 and "label" in result.stdout and "Traceback" not in result.stderr


def test_a_lab_that_cannot_start_says_why(tmp_path: Path) -> None:
    scenario = tmp_path / "broken.toml"
    scenario.write_text("[lab]\nseed = 'not a number'\n")
    with pytest.raises(ConfigurationError, match="the lab exited") as caught:
        LabProcess.start(tmp_path / "state", "--scenario", str(scenario), timeout=30)
    assert "seed" in str(caught.value)
