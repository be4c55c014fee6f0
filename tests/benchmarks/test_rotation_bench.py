"""The rotation benchmark runs end to end on a small lab, and its helpers compute what they claim."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import httpx
import pytest

from benchmarks import rotation
from camvault.device.lab.scenario import generated_scenario
from camvault.device.model.identity import Kind
from camvault.errors import DeviceError
from camvault.fleet.inventory import DeviceRecord
from camvault.fleet.rotation.engine import DeviceRotation, RotationReport
from camvault.fleet.rotation.journal import State
from camvault.fleet.runner import Outcome, RunResult
from camvault.fleet.store import Store

PLANTED = "Planted-Pa55-XYZ"


@pytest.mark.parametrize("devices", [1, 2, 3, 10, 1000])
def test_lab_mix_is_the_one_lab_run_devices_generates(devices: int) -> None:
    kinds = [spec.kind for spec in generated_scenario(devices).devices]
    assert rotation.lab_mix(devices) == (
        sum(1 for kind in kinds if kind is not Kind.NVR),
        kinds.count(Kind.NVR),
    )


def test_percentile_is_nearest_rank() -> None:
    values = [float(value) for value in range(1, 101)]
    assert rotation.percentile(values, 0.50) == 50.0
    assert rotation.percentile(values, 0.99) == 99.0
    assert rotation.percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert rotation.percentile([7.0], 0.99) == 7.0
    assert rotation.percentile([float(value) for value in range(1, 101)], 0.07) == 7.0
    assert rotation.percentile([], 0.5) == 0.0


def test_latencies_are_parsed_and_bounded() -> None:
    assert rotation.parse_latencies("0,0.02") == [0.0, 0.02]
    assert rotation.parse_latencies(" 0.5 ") == [0.5]
    for bad in ("", "fast", "0,-1", "11"):
        with pytest.raises(argparse.ArgumentTypeError):
            rotation.parse_latencies(bad)


def test_passwords_stay_out_of_reprs() -> None:
    target = rotation.Target("cam-00001", "http://127.0.0.1:1", PLANTED)
    assert PLANTED not in repr(target)


@pytest.mark.slow
def test_benchmark_rotates_a_small_lab_and_compares(capsys: pytest.CaptureFixture[str]) -> None:
    result = rotation.main(
        ["--devices", "10", "--concurrency", "8", "--latencies", "0,0.01", "--sequential-seconds", "5"]
    )

    enrolled = result["enrolled"]
    assert enrolled >= 5, result["skipped"]
    assert enrolled + sum(result["skipped"].values()) == 10
    for run, latency_ms in zip(result["camvault"], (0, 10), strict=True):
        assert run["latency_ms"] == latency_ms
        assert run["stopped"] is None
        assert run["outcomes"] == {"done": enrolled}
        assert run["rotated"] == enrolled
        assert run["vault_current_accepted"] == enrolled and run["vault_current_rejected"] == []
        assert run["devices_per_second"] > 0
        assert 0 < run["per_device_p50_seconds"] <= run["per_device_p99_seconds"]
        # Every device is asked at least: challenge, check, change, verify.
        assert run["requests_per_device_min_median_max"][0] >= 4
        assert run["requests_by_method"]["PUT"] >= enrolled
        assert run["rss_peak_mib"] >= run["rss_before_mib"] > 0
    assert result["tracemalloc_pass"]["tracemalloc_peak_mib"] > 0
    assert result["tracemalloc_pass"]["vault_current_accepted"] == enrolled
    for run in result["sequential"]:
        assert run["done"] == enrolled and run["complete"]
        assert run["rotated"] > 0
        assert run["requests_per_device"] >= 3
        assert sum(run["outcomes"].values()) == enrolled
    assert set(result["ratio_camvault_over_sequential"]) == {"0ms", "10ms"}
    assert all(ratio > 0 for ratio in result["ratio_camvault_over_sequential"].values())
    printed = capsys.readouterr().out
    assert "ratio camvault / sequential" in printed
    assert "requests per device" in printed


def test_a_cut_short_sequential_run_is_extrapolated_from_the_devices_done() -> None:
    run = rotation.SequentialRun(0.02, devices=100, limit=10.0, seconds=10.0)
    run.per_device = [0.2] * 50
    run.outcomes = Counter({"changed": 40, "change refused (HTTP 400)": 10})
    figures = run.figures()
    assert figures["done"] == 50 and not figures["complete"]
    assert figures["devices_per_second"] == 4.0  # rotated ones only
    assert figures["extrapolated_seconds_for_all"] == 20.0
    assert "extrapolated: 20.0 s for all" in "\n".join(rotation.describe_sequential(run))

    run.per_device = [0.1] * 100
    assert run.figures()["complete"] and run.figures()["extrapolated_seconds_for_all"] is None


def test_tally_counts_states_errors_skips_and_channels() -> None:
    record = DeviceRecord.new("cam-00001", "hikvision", "127.0.0.1")
    done = DeviceRotation(
        "cam-00001", record.id, State.DONE, "", 0, (("nvr/1", "verified"), ("nvr/2", "updated"))
    )
    report = RotationReport(
        "run",
        result=RunResult(
            [
                Outcome(record, value=done, seconds=1.5),
                Outcome(record, error=DeviceError("cam-00001", "refused"), seconds=0.5),
                Outcome(record, skipped=True),
            ]
        ),
    )
    outcomes, channels, seconds = rotation.tally(report)
    assert outcomes == Counter({"done": 1, "DeviceError": 1, "skipped": 1})
    assert channels == Counter({"verified": 1, "updated": 1})
    assert seconds == [1.5, 0.5]


async def test_counting_session_hooks_each_client_once(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'fleet.sqlite'}")
    session = rotation.CountingSession(store, None)
    try:
        clients = [session.http(verify=verify) for verify in (True, False, True)]
        for client in clients:
            assert client.event_hooks["request"].count(session.counter.count_request) == 1
        await session.counter.count_request(
            httpx.Request("GET", "http://127.0.0.1:1/ISAPI/Security/userCheck")
        )
        assert session.counter.by_host == Counter({"127.0.0.1": 1})
        assert session.counter.by_method == Counter({"GET": 1})
    finally:
        await session.aclose()
        store.close()
