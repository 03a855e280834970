"""What the media commands share: ICE options, counted tracks, the source to send."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from aiortc import MediaStreamTrack, RTCConfiguration, RTCIceServer

from ..exceptions import JanusTimeoutError

__all__ = [
    "CountedTrack",
    "FrameRate",
    "ice_options",
    "media_must_flow",
    "open_sources",
    "rtc_configuration",
]

F = TypeVar("F", bound=Callable[..., Any])


def ice_options(function: F) -> F:
    """``--loopback`` and ``--ice-server``."""
    function = click.option(
        "--ice-server",
        "ice_servers",
        multiple=True,
        metavar="URL",
        help="A STUN or TURN server (stun:host:3478); repeat for more. Default: none.",
    )(function)
    return click.option(
        "--loopback",
        is_flag=True,
        help=(
            "ICE on 127.0.0.1 only, for a Janus on this machine started by `rxjanus server` "
            "(patches aioice for this process; a test and demo tweak)."
        ),
    )(function)


@contextlib.asynccontextmanager
async def media_must_flow() -> AsyncIterator[None]:
    """Say what may be wrong when media does not start flowing in time."""
    try:
        yield
    except TimeoutError as error:
        from ..testing.ice import loopback_ice_enabled

        hint = "" if loopback_ice_enabled() else " (a Janus on this machine needs --loopback)"
        raise JanusTimeoutError(f"media did not flow: {error}{hint}") from error


def rtc_configuration(loopback: bool, ice_servers: tuple[str, ...]) -> RTCConfiguration:
    """The ``RTCConfiguration`` for the options (never a public STUN server by default)."""
    if loopback:
        from ..testing.ice import enable_loopback_ice

        enable_loopback_ice()
    return RTCConfiguration(iceServers=[RTCIceServer(urls=url) for url in ice_servers])


class FrameRate:
    """Counts frames and their rate over the last second."""

    def __init__(self) -> None:
        self.count = 0
        self._times: collections.deque[float] = collections.deque()

    def tick(self, _frame: object = None) -> None:
        """Count one frame now."""
        now = time.monotonic()
        self.count += 1
        self._times.append(now)
        while self._times and self._times[0] < now - 1.0:
            self._times.popleft()

    @property
    def fps(self) -> float:
        """Frames in the last second."""
        now = time.monotonic()
        while self._times and self._times[0] < now - 1.0:
            self._times.popleft()
        return float(len(self._times))


class CountedTrack(MediaStreamTrack):
    """Relays another track, counting its frames (``rate``); ``ended`` is set when it ends."""

    def __init__(self, inner: MediaStreamTrack) -> None:
        super().__init__()
        self.kind = inner.kind
        self.inner = inner
        self.rate = FrameRate()
        self.ended = asyncio.Event()

    async def recv(self) -> Any:
        """The next frame of the inner track."""
        try:
            frame = await self.inner.recv()
        except Exception:
            self.ended.set()
            raise
        self.rate.tick()
        return frame

    def stop(self) -> None:
        """Stop this track and the inner one."""
        super().stop()
        self.inner.stop()
        self.ended.set()


def open_sources(
    file: Path | None, *, video: bool = True, audio: bool = True
) -> list[CountedTrack]:
    """Counted tracks of ``file`` (aiortc's ``MediaPlayer``), or generated media if None.

    Generated media is `rxjanus.testing`'s 640x480 30 fps picture and 440 Hz tone.
    """
    tracks: list[Any] = []
    if file is None:
        from ..testing.media import SyntheticAudioTrack, SyntheticVideoTrack

        if audio:
            tracks.append(SyntheticAudioTrack())
        if video:
            tracks.append(SyntheticVideoTrack(640, 480, fps=30))
    else:
        from aiortc.contrib.media import MediaPlayer

        player = MediaPlayer(str(file))
        wanted = (player.audio if audio else None, player.video if video else None)
        tracks.extend(track for track in wanted if track is not None)
        if not tracks:
            raise click.BadParameter(f"{file} has no audio or video", param_hint="FILE")
    return [CountedTrack(t) for t in tracks]
