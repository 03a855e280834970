"""Every benchmark runs from a fresh clone with its documented command (short runs, no timings).

bench_transform and bench_first_frame have their own smoke runs
(tests/test_bench_transform.py, tests/browser/test_bench_first_frame.py).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rxjanus.testing import rabbitmq_available

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
pytestmark = pytest.mark.janus


def run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_bench_requests_prints_its_ratios() -> None:
    out = run("bench_requests.py", "--n", "20", "--inflight", "50", "--rounds", "1")
    assert "Summary (rxjanus/floor):" in out
    for line in ("ws round trip", "ws throughput", "http round trip"):
        assert line in out


@pytest.mark.skipif(not rabbitmq_available(), reason="rabbitmq-server is not installed")
def test_bench_rabbitmq_prints_its_ratios() -> None:
    out = run("bench_rabbitmq.py", "--n", "20", "--inflight", "50", "--rounds", "1")
    assert "ratio rabbitmq/websocket: round trip" in out
