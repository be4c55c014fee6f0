"""The audit benchmark runs end to end on a small lab and reports what it measured."""

from __future__ import annotations

import pytest

from benchmarks import audit


@pytest.mark.slow
def test_benchmark_audits_a_small_lab(capsys: pytest.CaptureFixture[str]) -> None:
    result = audit.main(["--devices", "12", "--concurrency", "4"])
    assert result["devices"] == 12
    assert result["locked_devices"] == 0, "an audit never trips a lock"
    assert 3 <= result["requests_per_device"] <= 12
    assert result["rss_peak_mib"] >= result["rss_before_mib"] > 0
    assert result["score"] is not None and 0 <= result["score"] <= 100
    assert sum(result["findings"].values()) > 0, "the generated lab has weak and default passwords"
    printed = capsys.readouterr().out
    assert "devices locked afterwards: 0" in printed
    assert "per device" in printed


def test_arguments_are_bounded() -> None:
    for bad in (["--devices", "0"], ["--devices", "9000"], ["--concurrency", "0"]):
        with pytest.raises(SystemExit):
            audit.parse_arguments(bad)
    assert audit.parse_arguments([]).devices == 1000
