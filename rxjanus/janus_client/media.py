"""`janus_client.media`: media kinds, a file player and a queue-fed track.

`MediaPlayer` is aiortc's ``MediaPlayer`` with janus_client's constructor and its
``stream_tracks``/``stop``, so it goes wherever rxjanus takes a source
(``plugin.start(player)``, ``publish(player)``) as well as into janus_client-style
code that adds ``player.stream_tracks`` to a PeerConnection. `MediaKind` is a
``str`` enum: ``MediaKind.VIDEO == "video"``, so it also fits rxjanus's
``frames(kind)``.
"""

from __future__ import annotations

import asyncio
import enum
import errno
import fractions
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import av
from aiortc import mediastreams
from aiortc.contrib.media import MediaPlayer as AiortcMediaPlayer
from aiortc.mediastreams import AUDIO_PTIME, MediaStreamError, VideoStreamTrack
from av import AudioFrame, VideoFrame
from av.frame import Frame

__all__ = [
    "MediaKind",
    "MediaPlayer",
    "MediaStreamTrack",
    "PlayerStreamTrack",
    "async_do_nothing",
    "do_nothing",
    "stream_media",
]

logger = logging.getLogger(__name__)

MediaStreamTrack = mediastreams.MediaStreamTrack
"""aiortc's ``MediaStreamTrack``, the base of every track (janus_client exports it here)."""


async def async_do_nothing() -> None:
    """Do nothing, asynchronously (janus_client's default callback)."""


def do_nothing() -> None:
    """Do nothing (janus_client's default callback)."""


class MediaKind(enum.StrEnum):
    """A media kind; equal to its value (``MediaKind.AUDIO == "audio"``)."""

    VIDEO = "video"
    AUDIO = "audio"


class PlayerStreamTrack(MediaStreamTrack):
    """A track that sends the frames put into it; ``None`` ends it.

    Args:
        kind: Audio or video.
        on_start: Called once, when the first frame is asked for.
        on_stop: Called once, when the track stops.
    """

    class Event:
        """The events the track emits (janus_client's names)."""

        START = "start"
        STOP = "stop"

    def __init__(
        self,
        kind: MediaKind,
        on_start: Callable[[], Any] = do_nothing,
        on_stop: Callable[[], Any] = do_nothing,
    ) -> None:
        super().__init__()
        self.kind = MediaKind(kind).value
        self._queue: asyncio.Queue[Frame | None] = asyncio.Queue()
        self.once(self.Event.START, on_start if callable(on_start) else do_nothing)
        self.once(self.Event.STOP, on_stop if callable(on_stop) else do_nothing)

    async def recv(self) -> Frame:
        """The next frame put in; raises ``MediaStreamError`` once the track ended."""
        if self.readyState != "live":
            raise MediaStreamError
        self.emit(self.Event.START)
        frame = await self._queue.get()
        if frame is None:
            self.stop()
            raise MediaStreamError
        return frame

    def stop(self) -> None:
        """End the track (emits ``stop`` once)."""
        if self.readyState == "live":
            self.emit(self.Event.STOP)  # before aiortc's stop, which drops the listeners
            super().stop()

    async def put_frame(self, frame: Frame | None) -> None:
        """Queue ``frame`` to be sent; ``None`` ends the track after the frames before it."""
        await self._queue.put(frame)

    async def clear_queue(self) -> None:
        """Drop the frames not sent yet."""
        while not self._queue.empty():
            self._queue.get_nowait()


def stream_media(
    event_loop: asyncio.AbstractEventLoop,
    container: Any,
    streams: Sequence[Any],
    audio_stream_track: PlayerStreamTrack | None,
    video_stream_track: PlayerStreamTrack | None,
    thread_start_event: threading.Event,
    thread_quit_event: threading.Event,
    throttle_playback: bool,
    loop_playback: bool,
) -> None:
    """Decode ``container`` into the tracks, in a thread of its own (janus_client's loop).

    Waits for ``thread_start_event``, then decodes ``streams`` until the end (or
    ``thread_quit_event``), resampling audio to 48 kHz stereo and starting video
    at pts 0; at the end it puts ``None`` into the tracks and closes the container.

    Args:
        event_loop: The loop the tracks belong to.
        container: An open PyAV input container.
        streams: The container's streams to decode.
        audio_stream_track: Where audio frames go, if anywhere.
        video_stream_track: Where video frames go, if anywhere.
        thread_start_event: Set when the first frame is wanted.
        thread_quit_event: Set to stop.
        throttle_playback: Pace decoding to real time (for files).
        loop_playback: Start over at the end (a seekable file).
    """
    rate = 48000
    resampler = av.AudioResampler(
        format="s16", layout="stereo", rate=rate, frame_size=int(rate * AUDIO_PTIME)
    )
    samples = 0
    first_pts: int | None = None
    frame_time: float | None = None
    start = time.time()
    thread_start_event.wait()
    pending: list[Any] = []

    def put(track: PlayerStreamTrack, frame: Frame | None) -> None:
        pending.append(asyncio.run_coroutine_threadsafe(track.put_frame(frame), event_loop))
        del pending[:-1]  # the latest is awaited at the end

    decoded = container.decode(*streams)
    while not thread_quit_event.is_set():
        if throttle_playback and frame_time and frame_time > time.time() - start + 1:
            time.sleep(0.1)
        try:
            frame = next(decoded)
        except Exception as exc:
            if isinstance(exc, av.FFmpegError) and exc.errno == errno.EAGAIN:
                time.sleep(0.01)
                decoded = container.decode(*streams)
                continue
            if isinstance(exc, StopIteration) and loop_playback:
                container.seek(0)
                decoded = container.decode(*streams)
                continue
            for track in (audio_stream_track, video_stream_track):
                if track is not None:
                    asyncio.run_coroutine_threadsafe(track.put_frame(None), event_loop).result()
            break
        if isinstance(frame, AudioFrame) and audio_stream_track is not None:
            for resampled in resampler.resample(frame):
                resampled.pts = samples
                resampled.time_base = fractions.Fraction(1, rate)
                samples += resampled.samples
                frame_time = resampled.time
                put(audio_stream_track, resampled)
        elif isinstance(frame, VideoFrame) and video_stream_track is not None:
            if frame.pts is None:
                logger.warning(
                    "MediaPlayer(%s): skipping a video frame with no pts", container.name
                )
                continue
            if first_pts is None:
                first_pts = frame.pts
            frame.pts -= first_pts
            frame_time = frame.time
            put(video_stream_track, frame)
    for future in pending:
        future.result()
    container.close()


class MediaPlayer(AiortcMediaPlayer):
    """aiortc's ``MediaPlayer`` with janus_client's constructor and ``stream_tracks``.

    Args:
        file: A path, URL or device to open with PyAV.
        format: The input format (default: detected).
        options: Options for FFmpeg.
        timeout: Open/read timeout for FFmpeg.
        event_loop: Accepted for janus_client; aiortc's player reads frames on the
            running loop by itself.
        loop_playback: Start over at the end (needs a seekable file).
    """

    def __init__(
        self,
        file: Any,
        format: str | None = None,
        options: dict[str, str] | None = None,
        timeout: int | None = None,
        event_loop: asyncio.AbstractEventLoop | None = None,
        loop_playback: bool = False,
    ) -> None:
        super().__init__(
            file, format=format, options=options or {}, timeout=timeout, loop=loop_playback
        )

    @property
    def stream_tracks(self) -> list[MediaStreamTrack]:
        """The player's audio and video tracks; a blank video track if it has no video.

        aiortc cannot open a PeerConnection without a track, hence the blank one.
        """
        tracks: list[MediaStreamTrack] = []
        if self.audio is not None:
            tracks.append(self.audio)
        tracks.append(self.video if self.video is not None else VideoStreamTrack())
        return tracks

    def stop(self) -> None:
        """Stop the player's tracks (and so its reading thread)."""
        for track in (self.audio, self.video):
            if track is not None:
                track.stop()
