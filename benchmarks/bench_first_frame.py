"""Time to first frame per media path, rxjanus beside janus.js in Chromium (issue 12).

Each path is started ``--starts`` times (20 by default) on a fresh handle, the
first start of the run included, and the time is taken from just before
``attach`` to:

- EchoTest, VideoRoom subscriber, Streaming viewer, Record&Play playback: the
  first decoded video frame (rxjanus: the first ``frames("video")`` item; the
  browser: ``framesDecoded > 0`` in ``getStats``, read every 10 ms);
- VideoRoom publisher: Janus's ``media`` event saying it receives our video (the
  same event for janus.js, its ``mediaState`` callback).

Janus offers on the VideoRoom subscriber, Streaming and Record&Play paths; there
the target is p50 < 250 ms and p95 < 500 ms. ``--dtls-client`` answers as aiortc
does on its own (``a=setup:active``) to show what the DTLS-role fix changes.

Run: ``python benchmarks/bench_first_frame.py [--starts 20] [--no-browser]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import random
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from reactivex import Observable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rxjanus import JanusSession  # noqa: E402
from rxjanus.plugins.echotest import JanusEchoTestPlugin  # noqa: E402
from rxjanus.plugins.recordplay import JanusRecordPlayPlugin  # noqa: E402
from rxjanus.plugins.streaming import JanusStreamingPlugin, rtp_media  # noqa: E402
from rxjanus.plugins.videoroom import JanusVideoRoomPlugin  # noqa: E402
from rxjanus.testing import (  # noqa: E402
    JanusServer,
    RtpSource,
    SyntheticVideoTrack,
    enable_loopback_ice,
    loopback_rtc_configuration,
)

WAIT = 30.0
JANUS_OFFERS = {"VideoRoom subscriber", "Streaming viewer", "Record&Play playback"}
P50_TARGET, P95_TARGET = 250.0, 500.0


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (p95 of 20 starts is the 19th fastest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


async def first_item(source: Observable[Any], timeout: float = WAIT) -> Any:
    """The first item ``source`` emits from now on."""
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def on_next(value: Any) -> None:
        if not future.done():
            future.set_result(value)

    def on_error(error: Exception) -> None:
        if not future.done():
            future.set_exception(error)

    subscription = source.subscribe(on_next, on_error)
    try:
        return await asyncio.wait_for(future, timeout)
    finally:
        subscription.dispose()


def media_receiving(message: Any) -> bool:
    return (
        isinstance(message, dict)
        and message.get("janus") == "media"
        and message.get("type") == "video"
        and message.get("receiving") is True
    )


def new(plugin_class: type[Any]) -> Any:
    return plugin_class(pc_config=loopback_rtc_configuration())


# -- one start of each path (milliseconds) --------------------------------------------------


async def echotest(session: JanusSession) -> float:
    started = time.perf_counter()
    plugin = new(JanusEchoTestPlugin)
    await plugin.attach(session)
    first = asyncio.ensure_future(first_item(plugin.frames("video")))
    await plugin.start(SyntheticVideoTrack(640, 480), audio=False)
    await first
    elapsed = (time.perf_counter() - started) * 1000
    await plugin.detach()
    return elapsed


async def videoroom_publisher(session: JanusSession, room: int) -> float:
    started = time.perf_counter()
    plugin = new(JanusVideoRoomPlugin)
    await plugin.attach(session)
    receiving = asyncio.ensure_future(first_item(plugin.events.pipe(_filter(media_receiving))))
    await plugin.join_as_publisher(room, display="bench")
    await plugin.publish(SyntheticVideoTrack(640, 480), audio=False)
    await receiving
    elapsed = (time.perf_counter() - started) * 1000
    await plugin.leave()
    await plugin.detach()
    return elapsed


async def videoroom_subscriber(session: JanusSession, room: int, feed: int) -> float:
    started = time.perf_counter()
    plugin = new(JanusVideoRoomPlugin)
    await plugin.attach(session)
    first = asyncio.ensure_future(first_item(plugin.frames("video")))
    await plugin.subscribe_to_publisher(room, [{"feed": feed}])
    await first
    elapsed = (time.perf_counter() - started) * 1000
    await plugin.detach()
    return elapsed


async def streaming_viewer(session: JanusSession, mountpoint: int) -> float:
    started = time.perf_counter()
    plugin = new(JanusStreamingPlugin)
    await plugin.attach(session)
    first = asyncio.ensure_future(first_item(plugin.frames("video")))
    await plugin.watch(mountpoint)
    await first
    elapsed = (time.perf_counter() - started) * 1000
    await plugin.stop()
    await plugin.detach()
    return elapsed


async def recordplay_playback(session: JanusSession, recording: int) -> float:
    started = time.perf_counter()
    plugin = new(JanusRecordPlayPlugin)
    await plugin.attach(session)
    first = asyncio.ensure_future(first_item(plugin.frames("video")))
    await plugin.play(recording)
    await first
    elapsed = (time.perf_counter() - started) * 1000
    await plugin.stop()
    await plugin.detach()
    return elapsed


def _filter(predicate: Callable[[Any], bool]) -> Any:
    from reactivex import operators as ops

    return ops.filter(predicate)


# -- the fixtures each path needs ------------------------------------------------------------


@contextlib.asynccontextmanager
async def videoroom(session: JanusSession) -> AsyncIterator[tuple[int, int]]:
    """A room with one rxjanus publisher (640x480 at 30 fps); yields (room, feed)."""
    admin = JanusVideoRoomPlugin()
    await admin.attach(session)
    room = await admin.create_room(random.randint(10_000, 2**52), publishers=30)
    publisher = new(JanusVideoRoomPlugin)
    await publisher.attach(session)
    try:
        await publisher.join_as_publisher(room, display="feed")
        await publisher.publish(SyntheticVideoTrack(640, 480), audio=False)
        assert publisher.publisher_id is not None
        yield room, publisher.publisher_id
    finally:
        await publisher.detach()
        await admin.destroy_room(room)
        await admin.detach()


@contextlib.asynccontextmanager
async def mountpoint(session: JanusSession) -> AsyncIterator[int]:
    """An RTP mountpoint (VP8, keyframe buffered) fed by `RtpSource`; yields its id."""
    admin = JanusStreamingPlugin()
    await admin.attach(session)
    mountpoint_id = random.randint(10_000, 2**52)
    created = await admin.create_mountpoint(
        mountpoint_id,
        media=[rtp_media("video", "v", pt=96, codec="vp8", iface="127.0.0.1", bufferkf=True)],
    )
    [port] = [entry["port"] for entry in created["stream"]["ports"]]
    try:
        with RtpSource(video_port=port) as source:
            # A live stream whose first keyframe has reached Janus (one a second), as
            # viewers of a running stream find it; else the first start waits for the next.
            await source.wait_sent("video", source.keyframe_interval + 1)
            yield mountpoint_id
    finally:
        await admin.destroy_mountpoint(mountpoint_id)
        await admin.detach()


async def recording(session: JanusSession) -> int:
    """Record 2 s of 640x480 video and return the recording's id."""
    recorder = new(JanusRecordPlayPlugin)
    await recorder.attach(session)
    source = SyntheticVideoTrack(640, 480)
    rec_id: int = await recorder.record(
        source, "bench", filename=f"bench-{uuid.uuid4().hex[:8]}", audio=False, timeout=WAIT
    )
    await source.wait_sent(source.frames_sent + 60)
    await recorder.stop()
    await recorder.wait_done(WAIT)
    await recorder.detach()
    return rec_id


# -- running and printing --------------------------------------------------------------------


async def repeat(label: str, starts: int, start: Callable[[], Awaitable[float]]) -> list[float]:
    times = []
    for _ in range(starts):
        times.append(await start())
    print(f"  {label}: done", file=sys.stderr)
    return times


def table(rows: list[tuple[str, str, list[float]]]) -> list[str]:
    lines = [
        "| path | client | starts | p50 ms | p95 ms | max ms | first ms | target |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for path, client, times in rows:
        p50, p95 = percentile(times, 0.5), percentile(times, 0.95)
        target = ""
        if path in JANUS_OFFERS and client == "rxjanus":
            target = "OK" if p50 < P50_TARGET and p95 < P95_TARGET else "MISSED"
        lines.append(
            f"| {path} | {client} | {len(times)} | {p50:.0f} | {p95:.0f} | {max(times):.0f} "
            f"| {times[0]:.0f} | {target} |"
        )
    return lines


async def run(starts: int, browser: bool) -> tuple[list[tuple[str, str, list[float]]], list[int]]:
    """Every path ``starts`` times on one private Janus; the rows and the sessions left."""
    rows: list[tuple[str, str, list[float]]] = []
    with JanusServer() as janus:
        async with JanusSession(base_url=janus.ws_url) as session:
            async with videoroom(session) as (room, feed):
                # The first subscription of the run comes first, before any other path.
                rows.append(
                    (
                        "VideoRoom subscriber",
                        "rxjanus",
                        await repeat(
                            "videoroom subscriber",
                            starts,
                            lambda: videoroom_subscriber(session, room, feed),
                        ),
                    )
                )
                if browser:
                    rows += await browser_rows(janus, starts, room, feed)
                rows.insert(
                    0,
                    (
                        "VideoRoom publisher",
                        "rxjanus",
                        await repeat(
                            "videoroom publisher",
                            starts,
                            lambda: videoroom_publisher(session, room),
                        ),
                    ),
                )
            rows.insert(
                0,
                (
                    "EchoTest",
                    "rxjanus",
                    await repeat("echotest", starts, lambda: echotest(session)),
                ),
            )
            async with mountpoint(session) as mountpoint_id:
                rows.append(
                    (
                        "Streaming viewer",
                        "rxjanus",
                        await repeat(
                            "streaming", starts, lambda: streaming_viewer(session, mountpoint_id)
                        ),
                    )
                )
            rec_id = await recording(session)
            rows.append(
                (
                    "Record&Play playback",
                    "rxjanus",
                    await repeat(
                        "record&play", starts, lambda: recordplay_playback(session, rec_id)
                    ),
                )
            )
        left = janus.list_sessions()
    return rows, left


async def browser_rows(
    janus: JanusServer, starts: int, room: int, feed: int
) -> list[tuple[str, str, list[float]]]:
    """janus.js in Chromium on the same room: publisher and subscriber starts."""
    from tests.browser.chromium import Browser

    async with Browser() as chromium:
        page = await chromium.open()
        try:
            await page.call("connect", janus.ws_url)
            subscribed = []
            for n in range(starts):
                subscribed.append(float(await page.call("videoroomSubscribe", room, feed, f"s{n}")))
                await page.call("detach", f"s{n}")
            print("  browser subscriber: done", file=sys.stderr)
            published = []
            for n in range(starts):
                result = await page.call("videoroomPublish", room, "browser", f"p{n}")
                published.append(float(result["ms"]))
                await page.call("detach", f"p{n}")
            print("  browser publisher: done", file=sys.stderr)
        finally:
            await page.call("leave")
    return [
        ("VideoRoom subscriber", "janus.js (Chromium)", subscribed),
        ("VideoRoom publisher", "janus.js (Chromium)", published),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=20, help="starts per path (default 20)")
    parser.add_argument("--no-browser", action="store_true", help="leave janus.js out")
    parser.add_argument(
        "--dtls-client",
        action="store_true",
        help="answer as aiortc does on its own (a=setup:active), for comparison",
    )
    args = parser.parse_args()
    if args.dtls_client:
        import rxjanus.media.peer

        def unchanged(answer: str, offer: str) -> str:
            return answer

        vars(rxjanus.media.peer)["answer_as_dtls_server"] = unchanged
    enable_loopback_ice()
    rows, left = asyncio.run(run(args.starts, not args.no_browser))
    order = ["EchoTest", "VideoRoom publisher", "VideoRoom subscriber", "Streaming viewer"]
    rows.sort(key=lambda row: order.index(row[0]) if row[0] in order else len(order))
    print()
    print("\n".join(table(rows)))
    print(
        f"\ntime from attach to first frame (publisher: to Janus's media event); "
        f"target where Janus offers: p50 < {P50_TARGET:.0f} ms, p95 < {P95_TARGET:.0f} ms"
        + ("; DTLS as client (aiortc's default)" if args.dtls_client else "")
    )
    if left:
        print(f"sessions left on Janus: {left}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
