"""A short run of benchmarks/bench_first_frame.py, so the benchmark keeps working (no timings)."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_first_frame.py"
PATHS = [
    ("EchoTest", "rxjanus"),
    ("VideoRoom publisher", "rxjanus"),
    ("VideoRoom publisher", "janus.js (Chromium)"),
    ("VideoRoom subscriber", "rxjanus"),
    ("VideoRoom subscriber", "janus.js (Chromium)"),
    ("Streaming viewer", "rxjanus"),
    ("Record&Play playback", "rxjanus"),
]


async def test_two_starts_of_every_path_leave_nothing_behind() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(BENCH),
        "--starts",
        "2",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), 300)
    finally:
        if process.returncode is None:
            # SIGINT: the benchmark unwinds and closes its Janus and Chromium.
            process.send_signal(signal.SIGINT)
            await process.wait()
    report = stdout.decode()
    assert process.returncode == 0, stderr.decode()[-3000:]  # 1 if sessions were left
    rows = [line.split("|") for line in report.splitlines() if line.startswith("| ")]
    listed = [(cells[1].strip(), cells[2].strip(), cells[3].strip()) for cells in rows[1:]]
    assert listed == [(path, client, "2") for path, client in PATHS], report
