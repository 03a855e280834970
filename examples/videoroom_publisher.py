"""Publish to a VideoRoom room: a synthetic picture and tone, or a media file.

Usage::

    python examples/videoroom_publisher.py [URL] [--room 1234] [--file input.mp4]
        [--seconds 30] [--display publisher] [--loopback]

The URL comes from the command line, else ``JANUS_URL``, else
``ws://127.0.0.1:8188``. The room is created if it does not exist (and left
there). ``--loopback`` makes ICE use 127.0.0.1 only, for a Janus on this
machine started by ``python -m rxjanus.testing.server``.
"""

from __future__ import annotations

import argparse
import asyncio
import os

from aiortc import RTCConfiguration

from rxjanus import JanusSession
from rxjanus.plugins.videoroom import JanusVideoRoomPlugin, VideoRoomError
from rxjanus.testing import SyntheticAudioTrack, SyntheticVideoTrack, enable_loopback_ice

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


async def publish(url: str, room: int, source: str | None, seconds: float, display: str) -> None:
    async with JanusSession(base_url=url) as session:
        publisher = JanusVideoRoomPlugin(pc_config=RTCConfiguration(iceServers=[]))
        await publisher.attach(session)
        await ensure_room(publisher, room)
        joined = await publisher.join(room, display)
        print(
            f"joined room {room} as {joined['id']} ({display}); publishers now: "
            f"{[p['id'] for p in joined.get('publishers', [])]}",
            flush=True,
        )

        if source is not None:
            await publisher.publish(source)
            print(f"publishing {source}", flush=True)
            await asyncio.sleep(seconds)
        else:
            video = SyntheticVideoTrack(640, 480, fps=30)
            await publisher.publish([SyntheticAudioTrack(), video])
            print("publishing a synthetic 640x480 30 fps picture and a 440 Hz tone", flush=True)
            await video.wait_sent(int(seconds * video.rate))
            print(f"sent {video.frames_sent} video frames", flush=True)

        await publisher.unpublish()
        await publisher.leave()
        print("unpublished and left", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "url", nargs="?", default=os.environ.get("JANUS_URL", "ws://127.0.0.1:8188")
    )
    parser.add_argument("--room", type=int, default=1234)
    parser.add_argument("--file", help="a media file to publish instead of synthetic media")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--display", default="publisher")
    parser.add_argument("--loopback", action="store_true", help="ICE on 127.0.0.1 only")
    args = parser.parse_args()
    if args.loopback:
        enable_loopback_ice()
    asyncio.run(publish(args.url, args.room, args.file, args.seconds, args.display))


if __name__ == "__main__":
    main()
