"""janus_client 0.9's media module, the janus_client way: kinds, the player and its tracks."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import av
import pytest
from aiortc import RTCPeerConnection
from aiortc.mediastreams import MediaStreamError

from rxjanus import MediaKind, MediaPlayer, MediaStreamTrack
from rxjanus.janus_client.media import PlayerStreamTrack, stream_media
from rxjanus.testing import make_test_video


def test_media_kind_is_janus_clients_enum_and_rxjanus_kind() -> None:
    assert [kind.value for kind in MediaKind] == ["video", "audio"]
    assert MediaKind("audio") is MediaKind.AUDIO
    assert MediaKind.VIDEO == "video"  # fits rxjanus's frames("video")


async def test_media_player_stream_tracks_feed_a_peer_connection(tmp_path: Path) -> None:
    player = MediaPlayer(str(make_test_video(tmp_path / "in.mp4", seconds=1)))
    tracks = player.stream_tracks
    assert [track.kind for track in tracks] == ["audio", "video"]
    assert all(isinstance(track, MediaStreamTrack) for track in tracks)
    pc = RTCPeerConnection()
    for track in tracks:  # janus_client's plugins add them like this
        pc.addTrack(track)
    frame = await tracks[1].recv()
    assert (frame.width, frame.height) == (640, 480)
    player.stop()
    assert all(track.readyState == "ended" for track in tracks)
    await pc.close()


async def test_a_player_without_video_gets_a_blank_video_track(tmp_path: Path) -> None:
    sound = tmp_path / "sound.wav"
    with av.open(str(sound), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=48000)
        frame = av.AudioFrame(format="s16", layout="mono", samples=960)
        frame.planes[0].update(bytes(frame.planes[0].buffer_size))
        frame.sample_rate = 48000
        frame.pts = 0
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    player = MediaPlayer(str(sound), loop_playback=False)
    assert [track.kind for track in player.stream_tracks] == ["audio", "video"]
    assert player.video is None
    player.stop()


async def test_player_stream_track_sends_what_is_put_and_ends_on_none() -> None:
    started: list[str] = []
    stopped: list[str] = []
    track = PlayerStreamTrack(
        MediaKind.VIDEO, on_start=lambda: started.append("x"), on_stop=lambda: stopped.append("x")
    )
    assert track.kind == "video"
    frame = av.VideoFrame(32, 32, "yuv420p")
    await track.put_frame(frame)
    await track.put_frame(frame)
    await track.clear_queue()
    await track.put_frame(frame)
    assert await track.recv() is frame
    await track.put_frame(None)
    with pytest.raises(MediaStreamError):
        await track.recv()
    assert track.readyState == "ended"
    assert (started, stopped) == (["x"], ["x"])


async def test_stream_media_decodes_a_file_into_player_tracks(tmp_path: Path) -> None:
    source = make_test_video(tmp_path / "in.mp4", seconds=1, fps=10)
    container = av.open(str(source))
    audio = PlayerStreamTrack(MediaKind.AUDIO)
    video = PlayerStreamTrack(MediaKind.VIDEO)
    start, quit_ = threading.Event(), threading.Event()
    thread = threading.Thread(
        target=stream_media,
        args=(
            asyncio.get_running_loop(),
            container,
            [container.streams.audio[0], container.streams.video[0]],
            audio,
            video,
            start,
            quit_,
            False,
            False,
        ),
    )
    thread.start()
    start.set()
    frames: list[av.VideoFrame] = []
    while video.readyState == "live":  # the end of the file ends the track
        try:
            frames.append(await video.recv())
        except MediaStreamError:
            break
    assert len(frames) == 10
    assert frames[0].pts == 0
    first = await audio.recv()
    assert (first.sample_rate, first.layout.name) == (48000, "stereo")
    await asyncio.to_thread(thread.join)
