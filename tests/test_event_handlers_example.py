"""examples/event_stream.py runs as documented: a CSV media quality log from Janus' events."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from rxjanus import JanusSession
from rxjanus.testing import JanusServer, mosquitto_available

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "event_stream.py"


@pytest.mark.parametrize("via", ["http", "ws", "mqtt"])
def test_event_stream_logs_the_media_quality_of_the_echotest_call(via: str) -> None:
    if via == "mqtt" and not mosquitto_available():
        pytest.skip("mosquitto is not installed")
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "--via", via, "--seconds", "3"],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    sent = int(re.findall(r"# sent (\d+) video frames", done.stderr)[0])
    assert sent >= 90
    assert rows
    assert {row["media"] for row in rows} == {"video"}
    assert len({row["handle"] for row in rows}) == 1
    # Every frame went in as at least one RTP packet, and came back out.
    assert sum(int(row["packets_in"]) for row in rows) >= sent
    assert sum(int(row["packets_out"]) for row in rows) > 0
    assert any(float(row["kbps_in"]) > 0 for row in rows)
    for line in ("SessionEvent created", "WebRTC webrtcup", "SessionEvent destroyed"):
        assert f"# {line}" in done.stderr


async def test_event_stream_receives_from_a_janus_started_on_its_own() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLE),
        "--external",
        str(port),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    try:
        line = await asyncio.wait_for(process.stderr.readline(), 30)
        assert f"listening on http://127.0.0.1:{port}/janus-events" in line.decode()
        handler = {"events": "all", "backend": f"http://127.0.0.1:{port}/janus-events"}
        with JanusServer(event_handlers={"sampleevh": handler}, loopback_ice=False) as server:
            async with JanusSession(base_url=server.http_url) as session:
                session_id = session.session_id
            expected = f"# SessionEvent destroyed session={session_id}"
            seen = []
            while expected not in seen:
                seen.append(
                    (await asyncio.wait_for(process.stderr.readline(), 30)).decode().strip()
                )
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        stdout, _ = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0
    assert stdout.decode().startswith("time,session,handle")
