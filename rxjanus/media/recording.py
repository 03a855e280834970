"""Feed aiortc's ``MediaRecorder`` so that video is configured before anything is written.

aiortc's ``MediaRecorder`` sizes a video stream from its first frame, but the
container's header is written at the first packet of any stream. When an audio
packet comes first, the video codec is opened at PyAV's default size and the
first video frame then fails (``Cannot change width after codec is open``): the
file has no usable video. Audio often does come first, as a subscription's
video waits for a keyframe. [`recorder_tracks`][rxjanus.media.recording.recorder_tracks]
holds the audio back until the recorder has taken its first video frame.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from aiortc import MediaStreamTrack

__all__ = ["recorder_tracks"]


class _Relay(MediaStreamTrack):
    """A track of ``source``'s kind that passes its frames on, gated by ``taken``."""

    def __init__(self, source: MediaStreamTrack, taken: asyncio.Event) -> None:
        super().__init__()
        self.kind = source.kind
        self._source = source
        self._taken = taken

    def stop(self) -> None:
        super().stop()
        self._source.stop()


class _SignalsFirstFrame(_Relay):
    """Passes ``source``'s frames on and sets ``taken`` once the first is taken."""

    async def recv(self) -> Any:
        frame = await self._source.recv()
        # No await between here and the recorder sizing and encoding this frame.
        self._taken.set()
        return frame


class _AfterFirstVideo(_Relay):
    """Reads ``source`` only once ``taken`` is set; earlier frames are not recorded."""

    async def recv(self) -> Any:
        await self._taken.wait()
        return await self._source.recv()


def recorder_tracks(tracks: Sequence[MediaStreamTrack]) -> list[MediaStreamTrack]:
    """The tracks to add to a ``MediaRecorder``, in the order to add them.

    Video tracks come first and signal their first frame; with any video, audio
    tracks wait for that signal (the audio before it is not recorded). Without
    video, the tracks are returned as they are.

    Args:
        tracks: The tracks to record (each read by the recorder alone, e.g.
            ``MediaRelay`` subscriptions).

    Returns:
        Wrapped tracks, video first.
    """
    video = [track for track in tracks if track.kind == "video"]
    others = [track for track in tracks if track.kind != "video"]
    if not video:
        return list(others)
    taken = asyncio.Event()
    return [_SignalsFirstFrame(track, taken) for track in video] + [
        _AfterFirstVideo(track, taken) for track in others
    ]
