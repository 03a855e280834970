"""benchmarks/bench_transform.py runs from a fresh clone, and a pipeline's error is itself."""

from __future__ import annotations

import asyncio
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import av
import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_transform.py"
SHORT = ["--seconds", "0.5", "--warmup", "0.2", "--width", "320", "--height", "240"]
pytestmark = pytest.mark.janus


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_transform", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_default_run_needs_nothing_more() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), *SHORT], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "transform reformat" in done.stdout
    for route in ("direct (room A)", "relay (room B)", "grey (room C)"):
        assert f"{route} alone" in done.stdout
    assert "sessions left on the server: []" in done.stdout


def test_an_error_in_the_transform_ends_the_run_with_that_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bench = load()
    monkeypatch.setitem(sys.modules, "bench_transform", bench)

    def broken(frame: av.VideoFrame) -> av.VideoFrame:
        raise LookupError("the transform broke")

    monkeypatch.setattr(bench, "grayscale_reformat", broken)
    with pytest.raises(LookupError, match="the transform broke"):
        asyncio.run(bench.run(bench.parse_args(SHORT)))
