"""The examples run as written against the real Janus and leave nothing behind."""

from __future__ import annotations

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
    assert out.count("after teardown the server lists sessions: []") == 2
    assert "echotest handle" in out
