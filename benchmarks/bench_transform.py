#!/usr/bin/env python
"""Delivered frame rate of the transform pipeline against its publisher and a plain relay.

Starts a private Janus on loopback (``rxjanus.testing.JanusServer``) and, in one
run, publishes coloured synthetic video into room A, then measures the frames a
second subscriber receives through each of these paths:

1. direct: a subscriber of the feed in room A (no relay: Janus forwards it);
2. relay: the feed republished untransformed into room B
   (``watch(A) -> frames -> publish`` into B), seen by a subscriber in B;
3. grey: the same with ``map(grayscale)`` before publishing into room C, seen
   by a subscriber in C.

A relay decodes the feed and encodes it again (aiortc, VP8, in this process),
so the relay row is the baseline the grey row is compared with. Each path is
measured in its own phase (``--concurrent``: all at once) after a warm-up, as
frames per second over the same window as the publisher's. Also shown: the
frames each relay's ``ObservableTrack`` dropped (latest wins when the encoder
falls behind), the transform's time per frame, and this process's CPU share.

Usage::

    python benchmarks/bench_transform.py [--width 640] [--height 480] [--fps 30]
        [--seconds 5] [--warmup 2] [--transform reformat|numpy] [--concurrent]

``--transform reformat`` (the default) needs nothing beyond rxjanus (PyAV's own
``reformat``); ``numpy`` works on the planes with numpy (``pip install -e '.[bench]'``).
An error inside a pipeline (a transform that raises, a publish that fails) ends
the run with that error, not with a timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from importlib.metadata import version
from typing import Any

import av
from reactivex import Observable, abc
from reactivex import operators as ops

import rxjanus
from rxjanus import JanusSession, JanusVideoRoomPlugin, aio
from rxjanus.operators import attach, frames, join, keepalive, publish, share_latest, watch
from rxjanus.testing import (
    JanusServer,
    SyntheticVideoTrack,
    enable_loopback_ice,
    loopback_rtc_configuration,
)

NEUTRAL = 128


class Failure:
    """The first error any pipeline of the run reported; waits give way to it."""

    def __init__(self) -> None:
        self.future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def report(self, error: Exception) -> None:
        if not self.future.done():
            self.future.set_exception(error)

    async def unless(self, awaitable: Any) -> Any:
        """Await ``awaitable``, or raise the pipeline's error if one comes first."""
        task = asyncio.ensure_future(awaitable)
        done, _ = await asyncio.wait({task, self.future}, return_when=asyncio.FIRST_COMPLETED)
        if task not in done:
            task.cancel()
            self.future.result()
        return task.result()


class ColourTrack(SyntheticVideoTrack):
    """Synthetic video with colour (U=64, V=192) and moving luma."""

    async def recv(self) -> av.VideoFrame:
        index = await self._pace()
        frame = av.VideoFrame(self.width, self.height, "yuv420p")
        luma = 16 + (index * 7) % 220
        for plane, value in zip(frame.planes, (luma, 64, 192), strict=True):
            plane.update(bytes([value]) * plane.buffer_size)
        frame.pts = index * 90_000 // int(self.rate)
        frame.time_base = Fraction(1, 90_000)
        self._count()
        return frame


def grayscale_numpy(frame: av.VideoFrame) -> av.VideoFrame:
    planes = frame.to_ndarray(format="yuv420p")
    planes[frame.height :] = NEUTRAL
    return av.VideoFrame.from_ndarray(planes, format="yuv420p")


def grayscale_reformat(frame: av.VideoFrame) -> av.VideoFrame:
    return frame.reformat(format="gray").reformat(format="yuv420p")


def identity(frame: av.VideoFrame) -> av.VideoFrame:
    return frame


@dataclass
class Counter:
    """Frames seen on one stream, with an event for the first."""

    frames: int = 0
    started: asyncio.Event = field(default_factory=asyncio.Event)
    last: Any = None

    def tick(self, frame: Any) -> None:
        self.frames += 1
        self.last = frame
        self.started.set()

    def chroma(self) -> str:
        if self.last is None:
            return "-"
        u, v = (plane_mean(self.last.planes[i]) for i in (1, 2))
        return f"U={u:.0f} V={v:.0f}"


def plane_mean(plane: Any) -> float:
    data, stride = bytes(plane), plane.line_size
    total = sum(sum(data[row * stride : row * stride + plane.width]) for row in range(plane.height))
    return total / (plane.width * plane.height)


@dataclass
class Timed:
    """A transform that keeps the time it takes."""

    transform: Callable[[av.VideoFrame], av.VideoFrame]
    calls: int = 0
    seconds: float = 0.0

    def __call__(self, frame: av.VideoFrame) -> av.VideoFrame:
        start = time.perf_counter()
        out = self.transform(frame)
        self.seconds += time.perf_counter() - start
        self.calls += 1
        return out


@dataclass
class Route:
    """One measured path: what the last subscriber counts, and the relay if any."""

    name: str
    counter: Counter
    subscriptions: list[abc.DisposableBase]
    relay: list[JanusVideoRoomPlugin]
    transform: Timed | None = None

    def dropped(self) -> int:
        if not self.relay:
            return 0
        tracks = self.relay[0].peer.local_tracks
        return sum(getattr(track, "dropped", 0) for track in tracks)

    def dispose(self) -> None:
        for subscription in self.subscriptions:
            subscription.dispose()


def counted(url: str, room: int, feed: int, counter: Counter) -> Observable[Any]:
    return rxjanus.session(url, keepalive_interval=None).pipe(
        watch(room, feed, pc_config=loopback_rtc_configuration()),
        frames("video"),
        ops.do_action(counter.tick),
    )


async def first_value(source: Observable[Any], failure: Failure) -> tuple[Any, abc.DisposableBase]:
    """Subscribe, wait for the first value, and keep the subscription (later errors: failure)."""
    got: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def on_next(value: Any) -> None:
        if not got.done():
            got.set_result(value)

    def on_error(error: Exception) -> None:
        if not got.done():
            got.set_exception(error)
        else:
            failure.report(error)

    subscription = source.subscribe(on_next, on_error)
    try:
        async with asyncio.timeout(20):
            return await got, subscription
    except BaseException:
        subscription.dispose()
        raise


async def start_direct(url: str, room: int, feed: int, failure: Failure) -> Route:
    counter = Counter()
    subscription = counted(url, room, feed, counter).subscribe(on_error=failure.report)
    return Route("direct (room A)", counter, [subscription], [])


async def start_relay(
    name: str, url: str, room_a: int, feed: int, room_b: int, transform: Timed, failure: Failure
) -> Route:
    config = loopback_rtc_configuration()
    sessions = rxjanus.session(url, keepalive_interval=None).pipe(keepalive(25), share_latest())
    transformed = sessions.pipe(
        watch(room_a, feed, pc_config=config), frames("video"), ops.map(transform)
    )
    relay, relaying = await first_value(
        sessions.pipe(
            attach(JanusVideoRoomPlugin, pc_config=config),
            join(room_b, name),
            publish(transformed, audio=False),
        ),
        failure,
    )
    counter = Counter()
    viewing = counted(url, room_b, relay.publisher_id, counter).subscribe(on_error=failure.report)
    return Route(name, counter, [viewing, relaying], [relay], transform)


@dataclass
class Window:
    publisher_fps: float
    fps: dict[str, float]
    cpu: float


async def measure(
    routes: list[Route], source: ColourTrack, args: argparse.Namespace, failure: Failure
) -> Window:
    async with asyncio.timeout(30):
        for route in routes:
            await failure.unless(route.counter.started.wait())
    await failure.unless(asyncio.sleep(args.warmup))
    sent, seen = source.frames_sent, [p.counter.frames for p in routes]
    wall, cpu = time.perf_counter(), time.process_time()
    await failure.unless(asyncio.sleep(args.seconds))
    elapsed = time.perf_counter() - wall
    cpu_share = (time.process_time() - cpu) / elapsed
    fps = {p.name: (p.counter.frames - n) / elapsed for p, n in zip(routes, seen, strict=True)}
    return Window((source.frames_sent - sent) / elapsed, fps, cpu_share)


def report(window: Window, routes: list[Route]) -> None:
    print(f"  publisher: {window.publisher_fps:6.2f} fps   (process CPU {window.cpu:.0%})")
    relay_fps = window.fps.get("relay (room B)")
    for route in routes:
        fps = window.fps[route.name]
        line = f"  {route.name:<16} {fps:6.2f} fps  {fps / window.publisher_fps:6.1%} of publisher"
        if relay_fps and route.name.startswith("grey"):
            line += f"  {fps / relay_fps:6.1%} of relay"
        if route.relay:
            line += f"  dropped {route.dropped()}"
        line += f"  last frame {route.counter.chroma()}"
        if route.transform is not None and route.transform.calls:
            per_frame = route.transform.seconds / route.transform.calls * 1000
            line += f"  transform {per_frame:.2f} ms/frame"
        print(line)


async def run(args: argparse.Namespace) -> None:
    enable_loopback_ice()  # benchmarks/tests only: ICE over 127.0.0.1
    grey = grayscale_numpy if args.transform == "numpy" else grayscale_reformat
    failure = Failure()
    with JanusServer() as server:
        url = server.ws_url
        print(
            f"rxjanus {rxjanus.__version__}, aiortc {version('aiortc')}, av {av.__version__}, "
            f"Python {platform.python_version()}, {os.cpu_count()} CPUs"
        )
        print(
            f"source {args.width}x{args.height} @ {args.fps} fps, window {args.seconds} s "
            f"after {args.warmup} s warm-up, transform {args.transform}"
        )
        async with JanusSession(url, keepalive_interval=None) as admin:
            rooms = JanusVideoRoomPlugin()
            await rooms.attach(admin)
            room_a, room_b, room_c = [await rooms.create_room() for _ in range(3)]
            source = ColourTrack(args.width, args.height, fps=args.fps)
            publisher, publishing = await first_value(
                rxjanus.session(url, keepalive_interval=None).pipe(
                    attach(JanusVideoRoomPlugin, pc_config=loopback_rtc_configuration()),
                    join(room_a, "source"),
                    publish(source, audio=False),
                ),
                failure,
            )
            feed = publisher.publisher_id
            try:
                starts = [
                    lambda: start_direct(url, room_a, feed, failure),
                    lambda: start_relay(
                        "relay (room B)", url, room_a, feed, room_b, Timed(identity), failure
                    ),
                    lambda: start_relay(
                        "grey (room C)", url, room_a, feed, room_c, Timed(grey), failure
                    ),
                ]
                if args.concurrent:
                    routes = [await start() for start in starts]
                    print("\nall routes at once")
                    report(await measure(routes, source, args, failure), routes)
                    for route in routes:
                        route.dispose()
                else:
                    for start in starts:
                        route = await start()
                        print(f"\n{route.name} alone")
                        report(await measure([route], source, args, failure), [route])
                        route.dispose()
                        await aio.settle()
            finally:
                publishing.dispose()
                await aio.settle()
                for room in (room_a, room_b, room_c):
                    await rooms.destroy_room(room)
        print(f"\nsessions left on the server: {server.list_sessions()}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=5.0, help="measured window")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before the window")
    parser.add_argument(
        "--transform",
        choices=["reformat", "numpy"],
        default="reformat",
        help="how to make the picture grey (numpy: pip install -e '.[bench]')",
    )
    parser.add_argument("--concurrent", action="store_true", help="measure all routes at once")
    args = parser.parse_args(argv)
    if args.transform == "numpy":
        try:
            import numpy  # noqa: F401
        except ImportError:
            parser.error("--transform numpy needs numpy: pip install -e '.[bench]' (or numpy)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(run(parse_args(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
