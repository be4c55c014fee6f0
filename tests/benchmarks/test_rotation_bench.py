"""The rotation benchmark runs end to end on a small lab, and its helpers compute what they claim."""

from __future__ import annotations

import argparse

import pytest

from benchmarks import rotation
from camvault.device.lab.scenario import generated_scenario
from camvault.device.model.identity import Kind

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
