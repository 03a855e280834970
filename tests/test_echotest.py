"""EchoTest with real WebRTC media through aiortc, against the real Janus on 127.0.0.1."""

from __future__ import annotations

import asyncio
from pathlib import Path

import av
import pytest

from rxjanus import JanusEchoTestPlugin, JanusSession, PluginError
from rxjanus.protocol import plugin_data
from rxjanus.testing import (
    JanusServer,
    SyntheticVideoTrack,
    enable_loopback_ice,
    loopback_rtc_configuration,
    make_test_video,
)

from .helpers import Recorder


@pytest.fixture(autouse=True)
def loopback_ice() -> None:
    enable_loopback_ice()


def decoded_video_frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


@pytest.mark.parametrize("trickle", [True, False], ids=["trickle", "full-gathering"])
async def test_echotest_returns_the_video_frames_sent(
    url: str, janus: JanusServer, tmp_path: Path, trickle: bool
) -> None:
    source = SyntheticVideoTrack(640, 480, fps=30)
    output = tmp_path / "output.mp4"
    async with JanusSession(base_url=url) as session:
        plugin = JanusEchoTestPlugin(pc_config=loopback_rtc_configuration(), trickle=trickle)
        await plugin.attach(session)
        received = Recorder(plugin.frames("video"))
        events = Recorder(plugin.events)
        await plugin.start(source, output, audio=False)
        assert "webrtcup" in events.kinds()
        await source.wait_sent(150)  # 5 s at 30 fps
        source.stop()
        sent = source.frames_sent
        await received.wait_for(lambda r: len(r.values) >= int(sent * 0.9), timeout=20)
        await plugin.close_stream()
        frames = received.values
    assert len(frames) >= 0.9 * sent
    assert all(isinstance(f, av.VideoFrame) for f in frames)
    assert (frames[-1].width, frames[-1].height) == (640, 480)
    assert decoded_video_frames(output) >= 0.9 * sent
    assert janus.list_sessions() == []


async def test_seed_basic_usage_plays_a_file_and_records_the_echo(
    janus: JanusServer, tmp_path: Path
) -> None:
    source = make_test_video(tmp_path / "input.mp4", seconds=3)
    output = tmp_path / "output.mp4"
    session = JanusSession(base_url=janus.ws_url)
    async with session:
        plugin = JanusEchoTestPlugin(pc_config=loopback_rtc_configuration())
        await plugin.attach(session)
        audio = Recorder(plugin.frames("audio"))
        video = Recorder(plugin.frames("video"))
        await plugin.start(str(source), str(output))
        await video.wait_for(lambda r: len(r.values) >= 60)
        await audio.wait_for(lambda r: len(r.values) >= 50)
    # Exiting the session detached the handle, which closed the player and finished
    # the recording: an MP4 decodes only once its recorder has been stopped.
    assert not plugin.attached
    assert decoded_video_frames(output) >= 60
    assert janus.list_sessions() == []


async def test_a_janus_hangup_closes_the_peer_and_ends_the_frame_stream(
    janus: JanusServer, tmp_path: Path
) -> None:
    source = SyntheticVideoTrack(320, 240)
    output = tmp_path / "output.mp4"
    async with JanusSession(base_url=janus.ws_url) as session:
        plugin = JanusEchoTestPlugin(pc_config=loopback_rtc_configuration())
        await plugin.attach(session)
        received = Recorder(plugin.frames("video"))
        events = Recorder(plugin.events)
        await plugin.start(source, output, audio=False)
        await received.wait_for(lambda r: len(r.values) >= 30)
        await plugin.hangup()  # Janus hangs up the PeerConnection and says so
        hangup = await events.wait_value(lambda e: e.get("janus") == "hangup")
        assert hangup["reason"]
        await received.wait_for(lambda r: r.completed)
        assert plugin.attached  # the handle lives on; only the media ended
        assert source.readyState == "ended"
    assert decoded_video_frames(output) >= 30
    assert janus.list_sessions() == []


def mjr_files(folder: Path) -> dict[str, int]:
    """The .mjr recordings in ``folder`` and their sizes."""
    return {path.name: path.stat().st_size for path in folder.glob("*.mjr")}


async def test_configure_records_on_the_server_mutes_video_and_done_ends_it(
    janus: JanusServer, tmp_path: Path
) -> None:
    source = SyntheticVideoTrack(320, 240)
    base = tmp_path / "echo"
    async with JanusSession(base_url=janus.ws_url) as session:
        plugin = JanusEchoTestPlugin(pc_config=loopback_rtc_configuration())
        await plugin.attach(session)
        received = Recorder(plugin.frames("video"))
        events = Recorder(plugin.events)
        await plugin.start(source, audio=False, bitrate=512_000, videocodec="vp8")
        await received.wait_for(lambda r: len(r.values) >= 15, timeout=30)

        # record: Janus writes our video to <filename>-video.mjr while it is on.
        ok = await plugin.configure(record=True, filename=str(base))
        assert ok == {"echotest": "event", "result": "ok"}
        await source.wait_sent(source.frames_sent + 60)
        await plugin.configure(record=False)
        files = await asyncio.to_thread(mjr_files, tmp_path)
        assert list(files) == ["echo-video.mjr"]
        assert files["echo-video.mjr"] > 1_000

        # video off: Janus stops echoing it while we go on sending.
        await plugin.configure(video=False)
        mark = len(received.values)
        await source.wait_sent(source.frames_sent + 90)
        while_off = len(received.values) - mark
        assert while_off < 30, while_off  # at most what was in flight
        await plugin.configure(video=True, bitrate=256_000)
        mark = len(received.values)
        await received.wait_for(lambda r: len(r.values) >= mark + 30, timeout=30)

        # A refused request raises the plugin's error.
        with pytest.raises(PluginError) as refused:
            await plugin.configure(substream=-1)
        assert refused.value.plugin == "janus.plugin.echotest"

        # Janus hangs up the PeerConnection: "done" on events, and the frames end.
        await plugin.hangup()
        await events.wait_value(lambda e: (plugin_data(e) or {}).get("result") == "done")
        await received.wait_for(lambda r: r.completed, timeout=30)
    print(f"\nechotest: {while_off} frames echoed while video was off (of 90 sent)")
    assert janus.list_sessions() == []
