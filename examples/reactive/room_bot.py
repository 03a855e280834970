"""A reactive VideoRoom bot: it subscribes to every publisher of a room and counts their frames.

The bot is one pipeline over one shared session::

    session -> keepalive -> share_latest
      |-> attach(VideoRoom) -> join(room) -> publishers now and "publishers" events
      |     -> for each feed: session -> watch(room, feed) -> frames("video") -> count
      |                        ... take_until("unpublished"/"leaving" of that feed)

Each new publisher gets its own subscriber handle on the bot's session; when it
leaves, ``take_until`` ends that branch, which leaves and detaches the handle.
Disposing the bot tears down everything.

Run the bot on an existing room until Ctrl-C::

    python examples/reactive/room_bot.py ws://127.0.0.1:8188 --room 1234

The URL may also come from ``JANUS_URL``. Without ``--room`` the script runs a
demo: it creates a room, starts two synthetic publishers, waits until the bot
has counted ``--frames`` frames of each, stops one publisher (the bot notices
and unsubscribes), then stops everything and exits. Without any URL it starts
its own Janus on loopback (``rxjanus.testing.JanusServer``) for the demo.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable
from typing import TypeVar
from urllib.parse import urlparse

import reactivex
from aiortc import RTCConfiguration
from reactivex import Observable
from reactivex import operators as ops

import rxjanus
from rxjanus import JanusSession, JanusVideoRoomPlugin, aio
from rxjanus.operators import attach, events, frames, join, keepalive, publish, share_latest, watch
from rxjanus.protocol import JSON, plugin_data
from rxjanus.testing import JanusServer, SyntheticVideoTrack, enable_loopback_ice

T = TypeVar("T")

# No STUN server: the machine may have no network. Real deployments pass theirs.
CONFIG = RTCConfiguration(iceServers=[])


def from_async(factory: Callable[[], Awaitable[T]]) -> Observable[T]:
    """A cold observable of one awaited value (the work starts at subscribe)."""
    return reactivex.defer(lambda _: reactivex.from_future(asyncio.ensure_future(factory())))


def feed_ids(handle: JanusVideoRoomPlugin, room: int) -> Observable[int]:
    """The room's publishers: those there now, then each new one, each once."""

    def publishing(participants: list[JSON]) -> list[int]:
        return [int(p["id"]) for p in participants if p.get("publisher")]

    def announced(message: JSON) -> list[int]:
        return [int(p["id"]) for p in (plugin_data(message) or {}).get("publishers", [])]

    present = from_async(lambda: handle.list_participants(room)).pipe(ops.flat_map(publishing))
    new = reactivex.just(handle).pipe(events("publishers"), ops.flat_map(announced))
    return reactivex.merge(new, present).pipe(ops.distinct())


def departure(handle: JanusVideoRoomPlugin, feed: int) -> Observable[JSON]:
    """The event that says ``feed`` stopped publishing or left."""

    def is_feed(message: JSON) -> bool:
        data = plugin_data(message) or {}
        return feed in (data.get("unpublished"), data.get("leaving"))

    return reactivex.just(handle).pipe(events("unpublished", "leaving"), ops.filter(is_feed))


def room_bot(
    sessions: Observable[JanusSession],
    room: int,
    on_gone: Callable[[int], None] = lambda feed: None,
) -> Observable[tuple[int, int]]:
    """Subscribe to each publisher of ``room``; emit ``(feed, frames counted so far)``."""

    def count_frames(handle: JanusVideoRoomPlugin, feed: int) -> Observable[tuple[int, int]]:
        print(f"bot: subscribing to publisher {feed}", flush=True)
        return sessions.pipe(
            watch(room, feed, pc_config=CONFIG),
            frames("video"),
            ops.scan(lambda counted, _: counted + 1, 0),
            ops.map(lambda counted: (feed, counted)),
            ops.take_until(departure(handle, feed)),
            ops.do_action(on_completed=lambda: on_gone(feed)),
        )

    def per_feed(handle: JanusVideoRoomPlugin) -> Observable[tuple[int, int]]:
        print(f"bot: joined room {room} as participant {handle.publisher_id}", flush=True)
        return feed_ids(handle, room).pipe(ops.flat_map(lambda feed: count_frames(handle, feed)))

    return sessions.pipe(
        attach(JanusVideoRoomPlugin, pc_config=CONFIG),
        join(room, "room-bot"),
        ops.flat_map(per_feed),
    )


def shared_session(url: str) -> Observable[JanusSession]:
    """One session for all who subscribe; the latest goes to late subscribers too."""
    return rxjanus.session(url, keepalive_interval=None).pipe(keepalive(25), share_latest())


def synthetic_publisher(url: str, room: int, name: str) -> Observable[JanusVideoRoomPlugin]:
    """A publisher of generated video in its own session."""
    return rxjanus.session(url, keepalive_interval=None).pipe(
        attach(JanusVideoRoomPlugin, pc_config=CONFIG),
        join(room, name),
        publish(SyntheticVideoTrack(320, 240, fps=30), audio=False),
    )


def report(item: tuple[int, int]) -> None:
    feed, counted = item
    if counted % 30 == 0:
        print(f"bot: publisher {feed}: {counted} frames", flush=True)


async def demo(url: str, wanted: int, server: JanusServer | None) -> None:
    counts: dict[int, int] = {}
    gone: set[int] = set()
    changed = asyncio.Event()
    failures: list[Exception] = []

    def on_count(item: tuple[int, int]) -> None:
        report(item)
        counts[item[0]] = item[1]
        changed.set()

    def on_gone(feed: int) -> None:
        print(f"bot: publisher {feed} left after {counts.get(feed, 0)} frames; unsubscribed")
        gone.add(feed)
        changed.set()

    def on_error(error: Exception) -> None:
        failures.append(error)
        changed.set()

    async def until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
        async with asyncio.timeout(timeout):
            while not condition():
                if failures:
                    raise failures[0]
                changed.clear()
                await changed.wait()

    # The room itself is made and destroyed with the awaitable API.
    async with JanusSession(url, keepalive_interval=None) as admin:
        rooms = JanusVideoRoomPlugin()
        await rooms.attach(admin)
        room = await rooms.create_room(description="rxjanus room bot demo", publishers=4)
        print(f"created room {room}")
        bot = room_bot(shared_session(url), room, on_gone).subscribe(on_count, on_error)
        try:
            async with aio.iterate(synthetic_publisher(url, room, "alice")) as first:
                alice = (await anext(first)).publisher_id
                print(f"alice publishes as {alice}")
                async with aio.iterate(synthetic_publisher(url, room, "bob")) as second:
                    bob = (await anext(second)).publisher_id
                    print(f"bob publishes as {bob}")
                    await until(lambda: min(counts.get(alice, 0), counts.get(bob, 0)) >= wanted)
                print("bob stops publishing")
                await until(lambda: bob in gone)
            print(f"frames counted: {dict(sorted(counts.items()))}")
        finally:
            bot.dispose()
            await aio.settle()  # the teardowns run in tasks: wait for them
            await rooms.destroy_room(room)
    print(f"subscribed to {len(counts)} publishers; unsubscribed from {len(gone)} that left")
    if server is not None:
        print(f"sessions left on the server: {server.list_sessions()}")


async def serve(url: str, room: int) -> None:
    print(f"bot: watching room {room}; Ctrl-C to stop")
    try:
        await aio.first(room_bot(shared_session(url), room).pipe(ops.do_action(report), ops.last()))
    finally:
        # Ctrl-C cancels us and aio.first disposes the bot; let the teardown finish
        # before asyncio.run cancels what is left (a PeerConnection left open keeps
        # aiortc's decoder thread, and the process, alive).
        await aio.settle()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("JANUS_URL"))
    parser.add_argument("--room", type=int, help="an existing room to watch (no demo)")
    parser.add_argument("--frames", type=int, default=60, help="demo: frames per publisher")
    args = parser.parse_args()
    if args.url is None:
        enable_loopback_ice()  # demos/tests only: ICE over 127.0.0.1
        with JanusServer() as server:
            print(f"started Janus {server.server_name}")
            asyncio.run(demo(server.ws_url, args.frames, server))
        return
    if urlparse(args.url).hostname in ("127.0.0.1", "localhost"):
        enable_loopback_ice()  # aiortc leaves out 127.0.0.1 otherwise (test helper)
    if args.room is None:
        asyncio.run(demo(args.url, args.frames, None))
        return
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.url, args.room))


if __name__ == "__main__":
    main()
