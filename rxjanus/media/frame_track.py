"""A track fed by an observable of frames, so a reactive pipeline can be published."""

from __future__ import annotations

import asyncio
import collections
import time
from fractions import Fraction
from typing import Any

from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from reactivex import Observable, abc
from reactivex.subject import AsyncSubject

__all__ = ["ObservableTrack"]

VIDEO_CLOCK = 90_000


class ObservableTrack(MediaStreamTrack):
    """An aiortc track whose frames come from an observable of ``av`` frames.

    It subscribes when first read and disposes when stopped. Frames wait in a
    buffer of ``maxsize``; a slow reader (an encoder falling behind) drops the
    oldest, so the latest frame wins and memory stays bounded. Timestamps are
    set anew from the wall clock (video) or the sample count (audio), so frames
    taken from another stream publish with steady timing.

    Args:
        frames: The observable of ``av.VideoFrame`` or ``av.AudioFrame``.
        kind: ``"video"`` or ``"audio"``.
        maxsize: The most frames kept waiting.
    """

    def __init__(self, frames: Observable[Any], kind: str = "video", maxsize: int = 4) -> None:
        super().__init__()
        self.kind = kind
        self.dropped = 0
        self._source = frames
        self._buffer: collections.deque[Any] = collections.deque(maxlen=maxsize)
        self._woken = asyncio.Event()
        self._subscription: abc.DisposableBase | None = None
        self._ended = False
        self._start: float | None = None
        self._samples = 0
        self._outcome: AsyncSubject[None] = AsyncSubject()

    @property
    def outcome(self) -> Observable[None]:
        """Completes when the frame source completes; errors with the source's error."""
        return self._outcome

    async def recv(self) -> Any:
        """Return the next frame, restamped."""
        if self._subscription is None and not self._ended:
            self._subscription = self._source.subscribe(
                self._on_frame, self._on_error, self._on_completed
            )
        while not self._buffer:
            if self._ended or self.readyState != "live":
                raise MediaStreamError
            self._woken.clear()
            await self._woken.wait()
        return self._restamp(self._buffer.popleft())

    def stop(self) -> None:
        """Stop the track and dispose the subscription."""
        super().stop()
        self._finish()

    def _on_frame(self, frame: Any) -> None:
        if len(self._buffer) == self._buffer.maxlen:
            self.dropped += 1
        self._buffer.append(frame)
        self._woken.set()

    def _on_error(self, error: Exception) -> None:
        self._finish()
        self._outcome.on_error(error)

    def _on_completed(self) -> None:
        self._finish()
        self._outcome.on_completed()

    def _finish(self) -> None:
        self._ended = True
        self._woken.set()
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            subscription.dispose()

    def _restamp(self, frame: Any) -> Any:
        if self.kind == "audio":
            frame.pts = self._samples
            frame.time_base = Fraction(1, frame.sample_rate)
            self._samples += frame.samples
            return frame
        now = time.monotonic()
        if self._start is None:
            self._start = now
        frame.pts = int((now - self._start) * VIDEO_CLOCK)
        frame.time_base = Fraction(1, VIDEO_CLOCK)
        return frame
