"""The recorder behind ``rxjanus record`` (and every ``record_to`` path) keeps the picture.

aiortc's MediaRecorder writes the MP4 header at the first packet; when audio comes
before the first video frame, the video track has no size and is lost. The test
holds the first video frame back until audio has been flowing, which makes that
order certain, and reads the file back. (With aiortc's own MediaRecorder in its place,
the video encoder fails on the unsized stream and the test never gets its video frames.)
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import av
from aiortc import MediaStreamTrack
from aiortc.contrib.media import MediaRecorder

from rxjanus.media.recording import VideoFirstRecorder
from rxjanus.testing import SyntheticAudioTrack, SyntheticVideoTrack


class HeldBack(MediaStreamTrack):
    """Video whose first frame waits for ``release``."""

    kind = "video"

    def __init__(self, inner: SyntheticVideoTrack, release: asyncio.Event) -> None:
        super().__init__()
        self.inner = inner
        self.release = release

    async def recv(self) -> Any:
        await self.release.wait()
        return await self.inner.recv()


async def record(recorder: MediaRecorder) -> None:
    audio, video = SyntheticAudioTrack(), SyntheticVideoTrack(320, 240, fps=30)
    release = asyncio.Event()
    recorder.addTrack(audio)
    recorder.addTrack(HeldBack(video, release))
    await recorder.start()
    await audio.wait_sent(10)  # 200 ms of audio, so AAC packets are out before any video
    release.set()
    await video.wait_sent(15)
    await recorder.stop()
    audio.stop()
    video.stop()


def streams_in(path: Path) -> tuple[list[tuple[int, int]], int]:
    """The (width, height) of each video stream, and the video frames decoded."""
    with av.open(str(path)) as container:
        sizes = [(s.codec_context.width, s.codec_context.height) for s in container.streams.video]
        frames = sum(1 for _ in container.decode(video=0)) if sizes else 0
    return sizes, frames


async def test_video_first_recorder_keeps_the_picture_when_audio_comes_first(
    tmp_path: Path,
) -> None:
    path = tmp_path / "recorded.mp4"
    await record(VideoFirstRecorder(str(path)))
    sizes, frames = streams_in(path)
    assert sizes == [(320, 240)]
    assert frames > 0
