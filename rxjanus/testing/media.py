"""Media made on the spot for tests and demos: synthetic tracks and a test video file.

Nothing here reaches the network; every frame is generated locally.
"""

from __future__ import annotations

import asyncio
import math
import time
from fractions import Fraction
from pathlib import Path

import av
from aiortc import MediaStreamTrack

__all__ = ["SyntheticAudioTrack", "SyntheticVideoTrack", "make_test_video"]

VIDEO_CLOCK = 90_000
AUDIO_RATE = 48_000


class _PacedTrack(MediaStreamTrack):
    """A track that paces its frames in real time and counts what it sent."""

    def __init__(self, rate: float) -> None:
        super().__init__()
        self.rate = rate
        self.frames_sent = 0
        self._start: float | None = None
        self._sent_changed = asyncio.Event()

    async def _pace(self) -> int:
        """Wait for the next frame's slot; return its index."""
        index = self.frames_sent
        if self._start is None:
            self._start = time.monotonic()
        delay = self._start + index / self.rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        return index

    def _count(self) -> None:
        self.frames_sent += 1
        self._sent_changed.set()

    async def wait_sent(self, count: int) -> None:
        """Wait until ``count`` frames have been sent (woken by each frame)."""
        while self.frames_sent < count:
            self._sent_changed.clear()
            await self._sent_changed.wait()


class SyntheticVideoTrack(_PacedTrack):
    """A video track of moving grey levels, ``fps`` frames a second, counting frames sent.

    Args:
        width: Frame width in pixels.
        height: Frame height in pixels.
        fps: Frames a second.
    """

    kind = "video"

    def __init__(self, width: int = 640, height: int = 480, fps: int = 30) -> None:
        super().__init__(fps)
        self.width = width
        self.height = height

    async def recv(self) -> av.VideoFrame:
        """Return the next frame, paced to the frame rate."""
        index = await self._pace()
        frame = av.VideoFrame(self.width, self.height, "yuv420p")
        luma = 16 + (index * 7) % 220
        for plane, value in zip(frame.planes, (luma, 128, 128), strict=True):
            plane.update(bytes([value]) * plane.buffer_size)
        frame.pts = index * VIDEO_CLOCK // int(self.rate)
        frame.time_base = Fraction(1, VIDEO_CLOCK)
        self._count()
        return frame


class SyntheticAudioTrack(_PacedTrack):
    """A 440 Hz tone in 20 ms mono frames at 48 kHz, counting frames sent."""

    kind = "audio"
    samples = AUDIO_RATE // 50

    def __init__(self, frequency: float = 440.0, amplitude: float = 0.3) -> None:
        super().__init__(50)
        self._tone = b"".join(
            int(amplitude * 32767 * math.sin(2 * math.pi * frequency * i / AUDIO_RATE)).to_bytes(
                2, "little", signed=True
            )
            for i in range(AUDIO_RATE)
        )

    async def recv(self) -> av.AudioFrame:
        """Return the next 20 ms of tone, paced in real time."""
        index = await self._pace()
        frame = av.AudioFrame(format="s16", layout="mono", samples=self.samples)
        offset = (index * self.samples) % (AUDIO_RATE - self.samples)
        frame.planes[0].update(self._tone[offset * 2 : (offset + self.samples) * 2])
        frame.sample_rate = AUDIO_RATE
        frame.pts = index * self.samples
        frame.time_base = Fraction(1, AUDIO_RATE)
        self._count()
        return frame


def make_test_video(
    path: str | Path,
    *,
    seconds: float = 5.0,
    fps: int = 30,
    width: int = 640,
    height: int = 480,
    audio: bool = True,
) -> Path:
    """Write an MP4 (H.264, and AAC audio) of moving grey levels and a tone.

    Returns:
        The file's path.
    """
    target = Path(path)
    frames = int(seconds * fps)
    with av.open(str(target), mode="w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        sound = container.add_stream("aac", rate=AUDIO_RATE) if audio else None
        for index in range(frames):
            frame = av.VideoFrame(width, height, "yuv420p")
            luma = 16 + (index * 7) % 220
            for plane, value in zip(frame.planes, (luma, 128, 128), strict=True):
                plane.update(bytes([value]) * plane.buffer_size)
            frame.pts = index
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        if sound is not None:
            tone = SyntheticAudioTrack()
            samples = 1024
            for index in range(int(seconds * AUDIO_RATE / samples)):
                chunk = av.AudioFrame(format="s16", layout="mono", samples=samples)
                offset = (index * samples) % (AUDIO_RATE - samples)
                chunk.planes[0].update(tone._tone[offset * 2 : (offset + samples) * 2])
                chunk.sample_rate = AUDIO_RATE
                chunk.pts = index * samples
                container.mux(sound.encode(chunk))
            container.mux(sound.encode(None))
    return target
