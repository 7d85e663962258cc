"""The benchmark runs end to end (private Mosquitto, core process) and reports figures of the right shape."""

from __future__ import annotations

import pytest

from queue_core import bench

pytestmark = pytest.mark.integration

LATENCIES = ("broker_rtt_ms", "checkin_ms", "call_ms")


@pytest.mark.timeout(120)
def test_quick_bench_reports_every_figure() -> None:
    result = bench.run(quick=True)
    for key in LATENCIES:
        figure = result[key]
        assert set(figure) >= {"p50", "p99", "n"}, key
        assert figure["n"] > 0, key
        assert 0 < figure["p50"] <= figure["p99"], key
    # targets are for the benchmark, not for the test: machines are noisy
    assert isinstance(result["checkin_per_s"], float) and result["checkin_per_s"] > 0
    assert result["machine"]["cpus"] >= 1 and result["machine"]["python"]
    assert set(result["targets"]) >= {"checkin_ms_p99", "call_ms_p99", "checkin_per_s"}
    assert result["kiosk_print_ms"]["n"] > 0 and 0 < result["kiosk_print_ms"]["p50"] <= result["kiosk_print_ms"]["p99"]
    assert result["kiosk_rss_mb"] > 0 and result["kiosk_offline"] == 0
    assert result["quick"] is True
