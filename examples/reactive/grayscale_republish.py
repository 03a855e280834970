"""A transform pipeline: a feed of room A, made grey, republished into room B.

::

    session -> watch(room A, feed) -> frames("video") -> map(grayscale)   (the grey frames)
    session -> attach(VideoRoom) -> join(room B) -> publish(grey frames)   (the relay)

Publishing an observable of frames wraps it in an ``ObservableTrack``: the
relay's encoder subscribes to the grey frames when it first needs one, so the
subscription to room A exists exactly as long as the relay publishes. Both
handles share one session (``share_latest``).

Run the relay until Ctrl-C::

    python examples/reactive/grayscale_republish.py ws://127.0.0.1:8188 \\
        --room-a 1234 --feed 42 --room-b 5678

The URL may also come from ``JANUS_URL``. Without ``--feed`` the script runs a
demo: it creates rooms A and B, publishes coloured synthetic video into A,
starts the relay, and a viewer in room B counts the transformed frames and
checks that they are grey (U and V planes at 128). Without any URL it starts
its own Janus on loopback (``rxjanus.testing.JanusServer``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
from fractions import Fraction
from typing import Any
from urllib.parse import urlparse

import av
from aiortc import MediaStreamTrack, RTCConfiguration
from reactivex import Observable
from reactivex import operators as ops

import rxjanus
from rxjanus import JanusSession, JanusVideoRoomPlugin, aio
from rxjanus.operators import attach, frames, join, keepalive, publish, share_latest, watch
from rxjanus.testing import JanusServer, SyntheticVideoTrack, enable_loopback_ice

try:
    import numpy
except ImportError:  # PyAV's scaler does it too, a little slower
    numpy = None  # type: ignore[assignment]

# No STUN server: the machine may have no network. Real deployments pass theirs.
CONFIG = RTCConfiguration(iceServers=[])
NEUTRAL = 128


def grayscale(frame: av.VideoFrame) -> av.VideoFrame:
    """The frame in shades of grey: its luma kept, its chroma made neutral (128)."""
    if numpy is None:
        return frame.reformat(format="gray").reformat(format="yuv420p")
    planes = frame.to_ndarray(format="yuv420p")  # Y rows, then U and V rows
    planes[frame.height :] = NEUTRAL
    return av.VideoFrame.from_ndarray(planes, format="yuv420p")


def chroma(frame: av.VideoFrame) -> tuple[float, float]:
    """The mean of a frame's U plane and of its V plane."""
    u, v = (frame.planes[i] for i in (1, 2))
    return _mean(u), _mean(v)


def _mean(plane: Any) -> float:
    data, stride = bytes(plane), plane.line_size  # rows may be padded past the width
    total = sum(sum(data[row * stride : row * stride + plane.width]) for row in range(plane.height))
    return total / (plane.width * plane.height)


class ColourTrack(SyntheticVideoTrack):
    """Synthetic video with colour: moving luma over a fixed purple-ish chroma."""

    def __init__(self, u: int = 64, v: int = 192, **options: Any) -> None:
        super().__init__(**options)
        self.u, self.v = u, v

    async def recv(self) -> av.VideoFrame:
        """Return the next frame, paced to the frame rate."""
        index = await self._pace()
        frame = av.VideoFrame(self.width, self.height, "yuv420p")
        luma = 16 + (index * 7) % 220
        for plane, value in zip(frame.planes, (luma, self.u, self.v), strict=True):
            plane.update(bytes([value]) * plane.buffer_size)
        frame.pts = index * 90_000 // int(self.rate)
        frame.time_base = Fraction(1, 90_000)
        self._count()
        return frame


def shared_session(url: str) -> Observable[JanusSession]:
    """One session for all who subscribe; the latest goes to late subscribers too."""
    return rxjanus.session(url, keepalive_interval=None).pipe(keepalive(25), share_latest())


def grey_relay(
    url: str, room_a: int, feed: int, room_b: int, transformed: list[int] | None = None
) -> Observable[JanusVideoRoomPlugin]:
    """Republish ``feed`` of ``room_a`` into ``room_b`` in grey; emits the publishing handle."""
    sessions = shared_session(url)

    def transform(frame: av.VideoFrame) -> av.VideoFrame:
        if transformed is not None:
            transformed[0] += 1
        return grayscale(frame)

    grey = sessions.pipe(
        watch(room_a, feed, pc_config=CONFIG),
        frames("video"),
        ops.map(transform),
    )
    return sessions.pipe(
        attach(JanusVideoRoomPlugin, pc_config=CONFIG),
        join(room_b, f"grey {feed}"),
        publish(grey, audio=False),
    )


def publisher(url: str, room: int, name: str, track: MediaStreamTrack) -> Observable[Any]:
    """A publisher of ``track`` in its own session."""
    return rxjanus.session(url, keepalive_interval=None).pipe(
        attach(JanusVideoRoomPlugin, pc_config=CONFIG),
        join(room, name),
        publish(track, audio=False),
    )


def viewer(url: str, room: int, feed: int, count: int) -> Observable[list[tuple[float, float]]]:
    """The chroma of ``count`` frames of ``feed``, in a session of its own."""
    return rxjanus.session(url, keepalive_interval=None).pipe(
        watch(room, feed, pc_config=CONFIG),
        frames("video"),
        ops.take(count),
        ops.map(chroma),
        ops.to_list(),
    )


def is_grey(samples: list[tuple[float, float]]) -> bool:
    return all(abs(u - NEUTRAL) <= 2 and abs(v - NEUTRAL) <= 2 for u, v in samples)


def describe(samples: list[tuple[float, float]]) -> str:
    u = sum(s[0] for s in samples) / len(samples)
    v = sum(s[1] for s in samples) / len(samples)
    return f"mean chroma U={u:.1f} V={v:.1f}"


async def demo(url: str, count: int, server: JanusServer | None) -> None:
    async with JanusSession(url, keepalive_interval=None) as admin:
        rooms = JanusVideoRoomPlugin()
        await rooms.attach(admin)
        room_a = await rooms.create_room(description="rxjanus colour source")
        room_b = await rooms.create_room(description="rxjanus grey relay")
        print(f"created rooms A={room_a} and B={room_b}")
        source = ColourTrack(width=320, height=240, fps=30)
        transformed = [0]
        try:
            async with aio.iterate(publisher(url, room_a, "colour", source)) as published:
                feed = (await anext(published)).publisher_id
                assert feed is not None
                print(f"colour source publishes into room A as {feed}")
                original = await aio.first(viewer(url, room_a, feed, 5))
                print(f"room A feed {feed}: {describe(original)}, grey: {is_grey(original)}")
                relay = grey_relay(url, room_a, feed, room_b, transformed)
                async with aio.iterate(relay) as relaying:
                    grey_feed = (await anext(relaying)).publisher_id
                    assert grey_feed is not None
                    print(f"relay publishes the grey frames into room B as {grey_feed}")
                    seen = await aio.first(viewer(url, room_b, grey_feed, count))
                    print(
                        f"room B viewer: {len(seen)} transformed frames, "
                        f"{describe(seen)}, grey: {is_grey(seen)}"
                    )
            print(f"frames transformed by the relay: {transformed[0]}")
            print(f"frames sent by the colour source: {source.frames_sent}")
        finally:
            await aio.settle()  # the teardowns run in tasks: wait for them
            for room in (room_a, room_b):
                await rooms.destroy_room(room)
    if server is not None:
        print(f"sessions left on the server: {server.list_sessions()}")


async def serve(url: str, room_a: int, feed: int, room_b: int) -> None:
    print(f"relaying feed {feed} of room {room_a} into room {room_b} in grey; Ctrl-C to stop")
    relay = grey_relay(url, room_a, feed, room_b).pipe(
        ops.do_action(lambda handle: print(f"published as {handle.publisher_id}")),
        ops.last(),  # runs until the relay ends (or Ctrl-C)
    )
    try:
        await aio.first(relay)
    finally:
        await aio.settle()  # Ctrl-C disposed the relay: let its teardown finish


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("JANUS_URL"))
    parser.add_argument("--room-a", type=int, help="the room of the feed to transform")
    parser.add_argument("--feed", type=int, help="the publisher to transform (no demo)")
    parser.add_argument("--room-b", type=int, help="the room to publish the grey feed in")
    parser.add_argument("--frames", type=int, default=60, help="demo: frames to check")
    args = parser.parse_args()
    if args.url is None:
        enable_loopback_ice()  # demos/tests only: ICE over 127.0.0.1
        with JanusServer() as server:
            print(f"started Janus {server.server_name}")
            asyncio.run(demo(server.ws_url, args.frames, server))
        return
    if urlparse(args.url).hostname in ("127.0.0.1", "localhost"):
        enable_loopback_ice()  # aiortc leaves out 127.0.0.1 otherwise (test helper)
    if args.feed is None:
        asyncio.run(demo(args.url, args.frames, None))
        return
    if args.room_a is None or args.room_b is None:
        parser.error("--feed needs --room-a and --room-b")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.url, args.room_a, args.feed, args.room_b))


if __name__ == "__main__":
    main()
