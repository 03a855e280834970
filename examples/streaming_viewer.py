"""A Streaming viewer: watch a mountpoint and count what it relays.

Watch mountpoint 1 until Ctrl-C, printing what arrives every 3 seconds::

    python examples/streaming_viewer.py ws://127.0.0.1:8188 --id 1

The URL may also come from ``JANUS_URL``. With ``--demo`` (Janus on this
machine) the script makes an RTP mountpoint on 127.0.0.1, feeds it generated
VP8 video, Opus audio and text data (``rxjanus.testing.rtp.RtpSource``),
watches it for 3 seconds of video (from the first frame received), prints the
frames sent and received in that time, and destroys the mountpoint. Without any
URL the script starts its own Janus on loopback (``rxjanus.testing.JanusServer``)
and runs the demo.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
from urllib.parse import urlparse

from aiortc import RTCConfiguration

from rxjanus import JanusSession
from rxjanus.plugins.streaming import JanusStreamingPlugin, StreamingEventType, rtp_media
from rxjanus.testing import JanusServer, enable_loopback_ice
from rxjanus.testing.rtp import RtpSource

WINDOW = 90  # video frames sent while we count (3 s at 30 fps)


class Counts:
    """Frames and messages a viewer received, and the last video size."""

    def __init__(self, viewer: JanusStreamingPlugin) -> None:
        self.video = self.audio = self.data = 0
        self.size = (0, 0)
        self.first_video = asyncio.Event()
        viewer.frames("video").subscribe(self._on_video)
        viewer.frames("audio").subscribe(lambda _: self._add("audio"))
        viewer.data_messages.subscribe(lambda _: self._add("data"))

    def _on_video(self, frame: object) -> None:
        self.first_video.set()
        self.video += 1
        self.size = (getattr(frame, "width", 0), getattr(frame, "height", 0))

    def _add(self, kind: str) -> None:
        setattr(self, kind, getattr(self, kind) + 1)

    def snapshot(self) -> tuple[int, int, int]:
        return (self.video, self.audio, self.data)

    def line(self, since: tuple[int, int, int] = (0, 0, 0)) -> str:
        width, height = self.size
        video, audio, data = (now - then for now, then in zip(self.snapshot(), since, strict=True))
        return (
            f"video {video} frames ({width}x{height}), audio {audio} frames, data {data} messages"
        )


def new_viewer() -> JanusStreamingPlugin:
    # No STUN server: the machine may have no network. Real deployments pass theirs.
    return JanusStreamingPlugin(pc_config=RTCConfiguration(iceServers=[]))


async def watch_forever(url: str, mountpoint_id: int, pin: str | None) -> None:
    async with JanusSession(base_url=url) as session:
        viewer = new_viewer()
        await viewer.attach(session)
        counts = Counts(viewer)
        await viewer.watch(mountpoint_id, pin=pin)
        print(f"watching mountpoint {mountpoint_id}; Ctrl-C to stop")
        try:
            while viewer.is_watching:
                await asyncio.sleep(3)
                print(counts.line())
        finally:
            if viewer.is_watching:
                await viewer.stop()


async def demo(url: str) -> None:
    async with JanusSession(base_url=url) as session:
        viewer = new_viewer()
        await viewer.attach(session)
        created = await viewer.create_mountpoint(
            description="rxjanus demo",
            media=[
                rtp_media("video", "v", pt=96, codec="vp8", iface="127.0.0.1", bufferkf=True),
                rtp_media("audio", "a", pt=111, codec="opus", iface="127.0.0.1"),
                rtp_media("data", "d", iface="127.0.0.1"),
            ],
        )
        mountpoint_id = created["stream"]["id"]
        ports = {entry["mid"]: entry["port"] for entry in created["stream"]["ports"]}
        print(f"created mountpoint {mountpoint_id} listening on {ports}")
        try:
            source = RtpSource(
                host=created["stream"].get("host", "127.0.0.1"),
                video_port=ports["v"],
                audio_port=ports["a"],
                data_port=ports["d"],
            )
            with source:
                started = asyncio.Event()
                viewer.on_event(StreamingEventType.STARTED, lambda _: started.set())
                counts = Counts(viewer)
                await viewer.watch(mountpoint_id)
                await asyncio.wait_for(started.wait(), 30)
                await asyncio.wait_for(counts.first_video.wait(), 30)
                # Count from the first frame on, while the source sends WINDOW frames.
                sent_before, received_before = source.frames_sent, counts.snapshot()
                await source.wait_sent("video", sent_before["video"] + WINDOW)
                sent = {k: n - sent_before[k] for k, n in source.frames_sent.items()}
                print(
                    f"sent video {sent['video']} frames, audio {sent['audio']} frames, "
                    f"data {sent['data']} messages"
                )
                print(f"received {counts.line(received_before)}")
                await viewer.stop()
        finally:
            await viewer.destroy_mountpoint(mountpoint_id)
            print(f"destroyed mountpoint {mountpoint_id}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("JANUS_URL"))
    parser.add_argument("--id", type=int, help="the mountpoint to watch")
    parser.add_argument("--pin", help="the mountpoint's PIN, if it has one")
    parser.add_argument("--demo", action="store_true", help="feed a mountpoint and watch it")
    args = parser.parse_args()
    if args.url is None:
        with JanusServer() as server:
            enable_loopback_ice()  # aiortc leaves out 127.0.0.1 otherwise (test helper)
            print(f"started Janus {server.server_name}")
            asyncio.run(demo(server.ws_url))
        return
    if urlparse(args.url).hostname in ("127.0.0.1", "localhost"):
        enable_loopback_ice()  # aiortc leaves out 127.0.0.1 otherwise (test helper)
    if args.demo or args.id is None:
        asyncio.run(demo(args.url))
        return
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(watch_forever(args.url, args.id, args.pin))


if __name__ == "__main__":
    main()
