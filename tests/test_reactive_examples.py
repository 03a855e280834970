"""The reactive examples run as written against the real Janus, say what they did, leave nothing."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from rxjanus.testing import JanusServer

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "reactive"


def run_example(name: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def number(pattern: str, text: str) -> int:
    found = re.search(pattern, text)
    assert found is not None, f"{pattern!r} not in:\n{text}"
    return int(found.group(1))


def test_echo_pipeline_counts_the_echoed_frames_and_leaves_nothing(
    url: str, janus: JanusServer
) -> None:
    out = run_example("echo_pipeline.py", url, "--frames", "45")
    assert "echoed video frames: 45 of 45" in out
    assert "teardown settled: 0 tasks pending" in out
    assert "source track ended" in out
    assert janus.list_sessions() == []


def test_echo_pipeline_runs_standalone_on_its_own_janus() -> None:
    out = run_example("echo_pipeline.py", "--frames", "30")
    assert out.startswith("started Janus ")
    assert "echoed video frames: 30 of 30" in out
    assert "sessions left on the server: []" in out


def test_room_bot_subscribes_to_each_new_publisher_and_counts_their_frames(
    janus: JanusServer,
) -> None:
    out = run_example("room_bot.py", janus.ws_url, "--frames", "45")
    alice = number(r"alice publishes as (\d+)", out)
    bob = number(r"bob publishes as (\d+)", out)
    subscribed = {int(feed) for feed in re.findall(r"bot: subscribing to publisher (\d+)", out)}
    assert subscribed == {alice, bob}
    assert number(rf"bot: publisher {alice}: (\d+) frames", out) >= 30
    assert number(rf"bot: publisher {bob} left after (\d+) frames; unsubscribed", out) >= 45
    assert "subscribed to 2 publishers; unsubscribed from 1 that left" in out
    assert janus.list_sessions() == []


def test_grayscale_republish_delivers_grey_frames_of_a_coloured_feed(janus: JanusServer) -> None:
    out = run_example("grayscale_republish.py", janus.ws_url, "--frames", "45")
    assert re.search(r"room A feed \d+: mean chroma U=6\d\.\d V=19\d\.\d, grey: False", out), out
    assert re.search(r"room B viewer: 45 transformed frames, .* grey: True", out), out
    assert number(r"frames transformed by the relay: (\d+)", out) >= 45
    assert janus.list_sessions() == []


def test_web_handler_answers_requests_from_one_shared_session(janus: JanusServer) -> None:
    out = run_example("web_handler.py", janus.ws_url)
    assert out.count("GET /info -> 200") == 2
    assert out.count("GET /rooms -> 200") == 2
    assert '"server": "Janus WebRTC Server"' in out
    assert "requests answered: 4; Janus sessions used: 1" in out
    assert re.search(r"room \d+ listed: True", out), out
    assert "app stopped" in out
    assert janus.list_sessions() == []
