"""Recording audio and video with aiortc's MediaRecorder when the audio comes first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
from aiortc import MediaStreamTrack
from aiortc.contrib.media import MediaRecorder

from rxjanus.media.recording import recorder_tracks
from rxjanus.testing import SyntheticAudioTrack, SyntheticVideoTrack


class LateVideo(MediaStreamTrack):
    """Video whose first frame is its source's 16th (~0.5 s in, as a subscription's
    video waits for a keyframe), while audio is paced from the start."""

    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self._video = SyntheticVideoTrack(320, 240, fps=30)
        self.taken = 0

    async def recv(self) -> Any:
        frame = await self._video.recv()
        while self._video.frames_sent <= 15:
            frame = await self._video.recv()
        self.taken += 1
        return frame


def video_sizes(path: Path) -> list[tuple[int, int]]:
    with av.open(str(path)) as container:
        if not container.streams.video:
            return []
        return [(f.width, f.height) for f in container.decode(video=0)]


async def record(path: Path, wrap: bool) -> list[tuple[int, int]]:
    audio = SyntheticAudioTrack()
    video = LateVideo()
    recorder = MediaRecorder(str(path))
    tracks: list[MediaStreamTrack] = [audio, video]
    for track in recorder_tracks(tracks) if wrap else tracks:
        recorder.addTrack(track)
    await recorder.start()
    await audio.wait_sent(60)
    await recorder.stop()
    return video_sizes(path)


async def test_audio_first_leaves_the_file_without_video_unless_held_back(
    tmp_path: Path,
) -> None:
    # The failure being guarded against: aiortc alone writes no usable video.
    assert len(await record(tmp_path / "plain.mp4", wrap=False)) == 0
    sizes = await record(tmp_path / "held.mp4", wrap=True)
    assert len(sizes) > 10
    assert set(sizes) == {(320, 240)}


def test_without_video_the_tracks_are_left_alone() -> None:
    audio = SyntheticAudioTrack()
    assert recorder_tracks([audio]) == [audio]
