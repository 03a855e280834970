"""Record&Play against the real Janus: record real media, find its files, list it, play it back."""

from __future__ import annotations

import json
import re
import struct
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import av
import pytest

from rxjanus import JanusSession, PluginError
from rxjanus.exceptions import InvalidStateError
from rxjanus.plugins.recordplay import (
    JanusRecordPlayPlugin,
    Recording,
    RecordPlayError,
    RecordPlayEventType,
    recordplay_event_type,
)
from rxjanus.testing import (
    JanusServer,
    SyntheticAudioTrack,
    SyntheticVideoTrack,
    enable_loopback_ice,
    loopback_rtc_configuration,
)

from .helpers import Recorder

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "recordplay_roundtrip.py"
NOT_FOUND = 416
INVALID_STATE = 418
RECORDING_EXISTS = 420
INVALID_REQUEST = 413
MISSING_ELEMENT = 415
WAIT = 30.0


@pytest.fixture(autouse=True)
def loopback_ice() -> None:
    enable_loopback_ice()


def new_plugin() -> JanusRecordPlayPlugin:
    return JanusRecordPlayPlugin(pc_config=loopback_rtc_configuration())


def of_kind(kind: RecordPlayEventType) -> Any:
    """A predicate for Recorder.wait_value: a Record&Play event of ``kind``."""
    return lambda message: isinstance(message, dict) and recordplay_event_type(message) is kind


def read_mjr(path: Path) -> tuple[dict[str, Any], list[bytes]]:
    """Read a Janus .mjr (v2) file: its JSON info header and the RTP packets it holds."""
    raw = path.read_bytes()
    assert raw[:8] == b"MJR00002", path
    (size,) = struct.unpack_from("!H", raw, 8)
    info = json.loads(raw[10 : 10 + size])
    packets, offset = [], 10 + size
    while offset < len(raw):
        assert raw[offset : offset + 4] == b"MEET", offset
        (length,) = struct.unpack_from("!H", raw, offset + 8)
        packets.append(raw[offset + 10 : offset + 10 + length])
        offset += 10 + length
    return info, packets


def rtp_timestamps(packets: list[bytes]) -> set[int]:
    """The distinct RTP timestamps: one per video frame or audio packet."""
    return {struct.unpack_from("!I", packet, 4)[0] for packet in packets}


def plugin_state(janus: JanusServer, plugin: JanusRecordPlayPlugin) -> dict[str, Any]:
    """What the plugin itself says about the handle (Admin API ``handle_info``)."""
    assert plugin.session is not None
    assert plugin.session.session_id is not None
    assert plugin.id is not None
    info = janus.handle_info(plugin.session.session_id, plugin.id)
    state: dict[str, Any] = info["plugin_specific"]
    return state


async def test_record_list_and_play_back_on_another_session(janus: JanusServer) -> None:
    filename = f"rxjanus-{uuid.uuid4().hex[:12]}"
    video, audio = SyntheticVideoTrack(640, 480, fps=30), SyntheticAudioTrack()
    async with JanusSession(base_url=janus.ws_url) as session:
        recorder = new_plugin()
        await recorder.attach(session)
        events = Recorder(recorder.events)

        # Record ~3 s of video and audio; record() returns once media flows.
        rec_id = await recorder.record(
            [video, audio], "rxjanus test", filename=filename, timeout=WAIT
        )
        assert recorder.recording_id == rec_id
        state = plugin_state(janus, recorder)
        assert (state["type"], state["recording_id"]) == ("recorder", rec_id)
        video0, audio0 = video.frames_sent, audio.frames_sent
        await video.wait_sent(video0 + 90)
        assert rec_id not in [r.id for r in await recorder.list_recordings()]  # not finished yet
        assert (await recorder.pause())["result"] == {"status": "paused", "id": rec_id}
        assert (await recorder.resume())["result"] == {"status": "resumed", "id": rec_id}
        stopped = await recorder.stop()
        video_sent, audio_sent = video.frames_sent - video0, audio.frames_sent - audio0
        assert stopped == {"recordplay": "event", "result": {"status": "stopped", "id": rec_id}}
        await recorder.wait_done(WAIT)
        await events.wait_value(lambda m: m.get("janus") == "hangup", WAIT)
        assert any(of_kind(RecordPlayEventType.DONE)(m) for m in events.values)
        assert "webrtcup" in events.kinds()

        # The files are on disk: one .mjr per medium and the .nfo that maps them.
        files = janus.recordings_dir
        video_info, video_packets = read_mjr(files / f"{filename}-video.mjr")
        audio_info, audio_packets = read_mjr(files / f"{filename}-audio.mjr")
        assert (video_info["t"], video_info["c"]) == ("v", "vp8")
        assert (audio_info["t"], audio_info["c"]) == ("a", "opus")
        video_recorded = len(rtp_timestamps(video_packets))
        audio_recorded = len(rtp_timestamps(audio_packets))
        print(
            f"\nsent {video_sent} video / {audio_sent} audio frames after webrtcup; "
            f"the .mjr files hold {video_recorded} / {audio_recorded}"
        )
        assert video_recorded >= 0.9 * video_sent
        assert audio_recorded >= 0.9 * audio_sent
        nfo = (files / f"{rec_id}.nfo").read_text()
        assert f"[{rec_id}]" in nfo
        assert "name = rxjanus test" in nfo
        assert f"audio = {filename}-audio.mjr" in nfo
        assert f"video = {filename}-video.mjr" in nfo

        # list shows it, and still does after update rescans the folder.
        [listed] = [r for r in await recorder.list_recordings() if r.id == rec_id]
        assert listed == Recording(
            id=rec_id,
            name="rxjanus test",
            date=listed.date,
            audio=True,
            video=True,
            data=False,
            audio_codec="opus",
            video_codec="vp8",
        )
        assert await recorder.update() == {"recordplay": "ok"}
        assert rec_id in [r.id for r in await recorder.list()]

        # An id that is taken: a typed error, and the handle carries on.
        with pytest.raises(RecordPlayError) as taken:
            await recorder.record(SyntheticVideoTrack(), "again", recording_id=rec_id)
        assert taken.value.code == RECORDING_EXISTS
        assert rec_id in [r.id for r in await recorder.list_recordings()]

    # Play it back on another session: Janus offers, we answer with start.
    async with JanusSession(base_url=janus.ws_url) as other:
        player = new_plugin()
        await player.attach(other)
        player_events = Recorder(player.events)
        preparing = await player.play(rec_id, start=False, timeout=WAIT)
        assert preparing["result"] == {"status": "preparing", "id": rec_id}
        assert plugin_state(janus, player)["type"] == "player"
        frames = Recorder(player.frames("video"))
        sound = Recorder(player.frames("audio"))
        playing = await player.start(timeout=WAIT)
        assert playing["result"] == {"status": "playing"}
        # At the end of the recording Janus hangs up, which ends the frame streams.
        await player.wait_done(WAIT)
        await frames.wait_for(lambda r: r.ended, WAIT)
        await sound.wait_for(lambda r: r.ended, WAIT)
        await player_events.wait_value(lambda m: m.get("janus") == "hangup", WAIT)
        print(f"played back {len(frames.values)} video / {len(sound.values)} audio frames")
        assert frames.error is None
        assert len(frames.values) >= 0.8 * video_recorded, (len(frames.values), video_recorded)
        assert len(sound.values) >= 0.8 * audio_recorded, (len(sound.values), audio_recorded)
        assert all(isinstance(f, av.VideoFrame) for f in frames.values)
        assert {(f.width, f.height) for f in frames.values} == {(640, 480)}
        assert player.attached  # only the media ended

        # The same handle plays it again, and stop interrupts the playout.
        again = Recorder(player.frames("video"))
        assert (await player.play(rec_id, timeout=WAIT))["result"] == {"status": "playing"}
        await again.wait_for(lambda r: len(r.values) >= 15, WAIT)
        stopped = await player.stop()
        assert stopped["result"] == {"status": "stopped", "id": rec_id}
        await player.wait_done(WAIT)
        await again.wait_for(lambda r: r.ended, WAIT)
        assert 15 <= len(again.values) < len(frames.values)
    assert janus.list_sessions() == []


async def test_errors_are_typed(url: str, janus: JanusServer) -> None:
    async with JanusSession(base_url=url) as session:
        plugin = new_plugin()
        await plugin.attach(session)
        missing = max([r.id for r in await plugin.list_recordings()], default=0) + 12345
        with pytest.raises(RecordPlayError) as raised:
            await plugin.play(missing)
        error = raised.value
        assert isinstance(error, PluginError)
        assert (error.code, error.reason) == (NOT_FOUND, "No such recording")
        assert (error.error_code, error.error_message) == (NOT_FOUND, "No such recording")
        assert error.plugin == "janus.plugin.recordplay"
        assert str(error) == "Record&Play error 416: No such recording"
        assert plugin.recording_id is None

        with pytest.raises(InvalidStateError):
            await plugin.start()  # no offer of play() to answer
        # What Janus says to requests the methods would not send:
        with pytest.raises(PluginError) as no_offer:
            await plugin.send({"request": "record", "name": "no offer"})
        assert no_offer.value.code == MISSING_ELEMENT
        with pytest.raises(PluginError) as not_playing:
            await plugin.send({"request": "start"})
        assert not_playing.value.code == INVALID_STATE
        with pytest.raises(PluginError) as unknown:
            await plugin.send({"request": "rewind"})
        assert unknown.value.code == INVALID_REQUEST

        # Requests that need no media still work on the handle.
        stopped = await plugin.stop()  # nothing to stop: a result without an id
        assert stopped == {"recordplay": "event", "result": {"status": "stopped"}}
        configured = await plugin.configure(video_bitrate_max=256_000, video_keyframe_interval=5000)
        assert configured["settings"] == {
            "video-bitrate-max": 256_000,
            "video-keyframe-interval": 5000,
        }
    assert janus.list_sessions() == []


def test_the_roundtrip_example_records_and_plays_back(janus: JanusServer) -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), janus.ws_url, "--seconds", "2", "--loopback"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "listed: 'rxjanus example' of " in done.stdout
    assert "(audio opus, video vp8)" in done.stdout
    played = re.search(r"played back (\d+) video and (\d+) audio frames", done.stdout)
    assert played is not None, done.stdout
    video, audio = int(played.group(1)), int(played.group(2))
    assert video >= 0.8 * 60, video  # 2 s at 30 fps
    assert audio >= 0.8 * 100, audio  # 2 s of 20 ms packets
    assert janus.list_sessions() == []


def test_event_types_are_classified() -> None:
    def event(result: Any) -> dict[str, Any]:
        data = {"recordplay": "event", "result": result}
        return {"janus": "event", "plugindata": {"plugin": "janus.plugin.recordplay", "data": data}}

    assert recordplay_event_type(event("done")) is RecordPlayEventType.DONE
    assert recordplay_event_type(event({"status": "slow_link"})) is RecordPlayEventType.SLOW_LINK
    assert recordplay_event_type(event({"status": "playing"})) is RecordPlayEventType.PLAYING
    assert recordplay_event_type({"recordplay": "event", "result": {"status": "recording"}}) is (
        RecordPlayEventType.RECORDING
    )
    assert recordplay_event_type({"recordplay": "event", "error_code": 416, "error": "x"}) is (
        RecordPlayEventType.ERROR
    )
    assert recordplay_event_type(event({"status": "rewinding"})) is None
    assert recordplay_event_type(event({})) is None
    assert recordplay_event_type({"recordplay": "list", "list": []}) is None
    assert recordplay_event_type({"janus": "hangup"}) is None
