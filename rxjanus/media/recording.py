"""A ``MediaRecorder`` that writes a usable video track whatever arrives first.

aiortc's ``MediaRecorder`` sizes a video stream from its first frame, but the
container writes its header at the first packet of any stream. When an audio
packet comes before the first video frame (a late keyframe is enough), the MP4
gets a video track with no size, which players and PyAV then do not list: a
recording with sound and no picture. `VideoFirstRecorder` holds audio back
until the first video frame has been taken, and drops the audio before it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiortc import MediaStreamTrack
from aiortc.contrib.media import MediaRecorder

__all__ = ["VideoFirstRecorder"]

logger = logging.getLogger(__name__)


class _FirstFrameSignal(MediaStreamTrack):
    """Relays a video track and sets ``started`` when its first frame is taken."""

    kind = "video"

    def __init__(self, inner: MediaStreamTrack, started: asyncio.Event) -> None:
        super().__init__()
        self._inner = inner
        self._started = started

    async def recv(self) -> Any:
        frame = await self._inner.recv()
        self._started.set()
        return frame

    def stop(self) -> None:
        super().stop()
        self._inner.stop()


class _AfterVideo(MediaStreamTrack):
    """Relays an audio track from the first frame after ``started`` is set."""

    kind = "audio"

    def __init__(self, inner: MediaStreamTrack, started: asyncio.Event) -> None:
        super().__init__()
        self._inner = inner
        self._started = started
        self.dropped = 0

    async def recv(self) -> Any:
        while True:
            frame = await self._inner.recv()
            if self._started.is_set():
                return frame
            self.dropped += 1

    def stop(self) -> None:
        super().stop()
        self._inner.stop()


class VideoFirstRecorder(MediaRecorder):
    """aiortc's ``MediaRecorder``, with audio held back until video has started.

    Tracks added before `start` are recorded; with at least one video track
    among them, audio frames that arrive before the first video frame are
    dropped (a few tens of milliseconds, usually). Without video, audio is
    recorded from its first frame.

    Args:
        file: The file to write (its extension picks the container).
        format: The container format, if not the extension's.
        options: Options for the container.
    """

    def __init__(
        self, file: str, format: str | None = None, options: dict[str, str] | None = None
    ) -> None:
        super().__init__(file, format=format, options=options or {})
        self._pending: list[MediaStreamTrack] = []

    def addTrack(self, track: MediaStreamTrack) -> None:  # noqa: N802 - aiortc's name
        """Add a track to record (taken at `start`)."""
        self._pending.append(track)

    async def start(self) -> None:
        """Start recording the tracks added so far."""
        pending, self._pending = self._pending, []
        started = asyncio.Event()
        has_video = any(track.kind == "video" for track in pending)
        for track in pending:
            if track.kind == "video":
                super().addTrack(_FirstFrameSignal(track, started))
            elif has_video:
                super().addTrack(_AfterVideo(track, started))
            else:
                super().addTrack(track)
        await super().start()
