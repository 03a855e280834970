"""The examples run as written against the real Janus and leave nothing behind."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from rxjanus.testing import JanusServer

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_seed_custom_transport_options_runs(url: str, janus: JanusServer) -> None:
    out = run_example(str(EXAMPLES / "seed" / "custom_transport_options.py"), url)
    assert out.startswith("Server info: {")
    assert janus.server_name in out
    assert janus.list_sessions() == []


def test_demo_runs_and_leaves_nothing() -> None:
    out = run_example(str(EXAMPLES / "demo.py"))
    assert out.count("after teardown the server lists sessions: []") == 3
    assert "echotest handle" in out
    line = next(x for x in out.splitlines() if "video frames sent" in x)
    sent, received = (int(n) for n in re.findall(r"(\d+)(?:,| \()", line)[:2])
    assert received >= 0.9 * sent


def test_seed_plugin_lifecycle_runs(url: str, janus: JanusServer) -> None:
    run_example(str(EXAMPLES / "seed" / "plugin_lifecycle.py"), url)
    assert janus.list_sessions() == []


def test_textroom_bot_demo_runs(url: str, janus: JanusServer) -> None:
    out = run_example(str(EXAMPLES / "textroom_bot.py"), url, "--demo")
    assert "visitor said 'hello', bot answered 'echo: hello'" in out
    assert "bot whispered back 'echo: just between us'" in out
    assert janus.list_sessions() == []


def test_videocall_peers_run(url: str, janus: JanusServer) -> None:
    out = run_example(str(EXAMPLES / "videocall_peers.py"), url)
    counts = [int(n) for n in re.findall(r"-> \w+ (\d+) frames", out)]
    assert len(counts) == 2
    assert min(counts) >= 60
    assert janus.list_sessions() == []


def test_seed_basic_session_usage_echoes_a_file(url: str, janus: JanusServer) -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "seed" / "basic_session_usage.py"), url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "SEED_SECONDS": "3"},
    )
    assert done.returncode == 0, done.stderr
    assert "Error" not in done.stdout
    frames = int(re.search(r"output.mp4: (\d+) video frames", done.stdout).group(1))  # type: ignore[union-attr]
    assert frames >= 60
    assert janus.list_sessions() == []
