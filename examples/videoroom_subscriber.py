"""Subscribe to a VideoRoom publisher and record what it sends to a file.

Usage::

    python examples/videoroom_subscriber.py [URL] [--room 1234] [--output feed.mp4]
        [--seconds 30] [--wait 30] [--loopback]

The URL comes from the command line, else ``JANUS_URL``, else
``ws://127.0.0.1:8188``. A participant handle joins the room (creating it if
needed) to learn of publishers; the first one is subscribed to on a second
handle, and its media recorded until it leaves or ``--seconds`` pass.
``--loopback`` makes ICE use 127.0.0.1 only (for a Janus on this machine).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
from typing import Any

from aiortc import RTCConfiguration

from rxjanus import JanusSession
from rxjanus.plugins.videoroom import (
    JanusVideoRoomPlugin,
    VideoRoomError,
    VideoRoomEventType,
    videoroom_event_type,
)
from rxjanus.testing import enable_loopback_ice

ROOM_EXISTS = 427


async def ensure_room(plugin: JanusVideoRoomPlugin, room: int) -> None:
    """Create ``room`` unless it exists (another client may create it first)."""
    if await plugin.exists(room):
        return
    try:
        await plugin.create_room(room, description=f"rxjanus example room {room}")
    except VideoRoomError as exc:
        if exc.error_code != ROOM_EXISTS:
            raise


async def subscribe(url: str, room: int, output: str, seconds: float, wait: float) -> None:
    loop = asyncio.get_running_loop()
    config = RTCConfiguration(iceServers=[])
    async with JanusSession(base_url=url) as session:
        # The participant handle: it gets the room's events.
        listener = JanusVideoRoomPlugin(pc_config=config)
        await listener.attach(session)
        await ensure_room(listener, room)

        feeds: asyncio.Queue[int] = asyncio.Queue()
        gone: asyncio.Event = asyncio.Event()
        watched: list[int] = []

        def on_room_event(message: dict[str, Any]) -> None:
            data = message.get("plugindata", {}).get("data", {})
            kind = videoroom_event_type(message)
            if kind is VideoRoomEventType.PUBLISHERS:
                for publisher in data["publishers"]:
                    feeds.put_nowait(publisher["id"])
            elif kind in (VideoRoomEventType.UNPUBLISHED, VideoRoomEventType.LEAVING):
                left = data.get("unpublished", data.get("leaving"))
                if left in watched:
                    gone.set()

        listener.events.subscribe(on_room_event)
        joined = await listener.join(room, "subscriber")
        for publisher in joined.get("publishers", []):
            feeds.put_nowait(publisher["id"])
        print(f"joined room {room}; waiting for a publisher", flush=True)
        async with asyncio.timeout(wait):
            feed = await feeds.get()
        watched.append(feed)

        # The subscriber handle: one PeerConnection for the subscribed streams.
        subscriber = JanusVideoRoomPlugin(pc_config=config)
        await subscriber.attach(session)
        frames = 0
        first: list[float] = []

        def count(_frame: Any) -> None:
            nonlocal frames
            frames += 1
            if not first:
                first.append(loop.time())

        subscriber.frames("video").subscribe(count)
        attached = await subscriber.subscribe_to_publisher(
            room, [{"feed": feed}], recorder=output, private_id=listener.private_id
        )
        kinds = [stream["type"] for stream in attached["streams"]]
        print(f"subscribed to {feed} ({', '.join(kinds)}); recording to {output}", flush=True)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await gone.wait()
        elapsed = loop.time() - first[0] if first else 0.0
        rate = frames / elapsed if elapsed else 0.0
        print(f"received {frames} video frames ({rate:.1f} fps)", flush=True)
        await subscriber.leave()  # closes the PeerConnection: the recording is finished
        await listener.leave()
        print(f"recorded {output}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "url", nargs="?", default=os.environ.get("JANUS_URL", "ws://127.0.0.1:8188")
    )
    parser.add_argument("--room", type=int, default=1234)
    parser.add_argument("--output", default="videoroom-feed.mp4")
    parser.add_argument("--seconds", type=float, default=30.0, help="record at most this long")
    parser.add_argument("--wait", type=float, default=30.0, help="wait this long for a publisher")
    parser.add_argument("--loopback", action="store_true", help="ICE on 127.0.0.1 only")
    args = parser.parse_args()
    if args.loopback:
        enable_loopback_ice()
    asyncio.run(subscribe(args.url, args.room, args.output, args.seconds, args.wait))


if __name__ == "__main__":
    main()
