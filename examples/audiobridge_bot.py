"""An AudioBridge bot: joins an audio room, talks into it and reports what happens there.

Run the bot until Ctrl-C::

    python examples/audiobridge_bot.py ws://127.0.0.1:8188 --room 1234 --play hello.wav

The URL may also come from ``JANUS_URL``. The room is created if it does not
exist. The bot sends the audio of ``--play`` (any file FFmpeg reads), or a
440 Hz tone, and prints who joins, leaves, talks and mutes.

With ``--demo`` a listener joins on a second session, measures the loudness
of the mix it hears (the bot's tone), then the bot mutes itself and the
listener hears silence; both leave and the room is destroyed. Without any URL
the script starts its own Janus on loopback (``rxjanus.testing.JanusServer``)
and runs the demo.
"""

from __future__ import annotations

import argparse
import array
import asyncio
import contextlib
import math
import os
from typing import Any
from urllib.parse import urlparse

import av
from aiortc import RTCConfiguration

from rxjanus import JanusSession
from rxjanus.media import MediaSource
from rxjanus.plugins.audiobridge import AudioBridgeEventType, JanusAudioBridgePlugin
from rxjanus.testing import JanusServer, SyntheticAudioTrack, enable_loopback_ice

FRAMES = 50  # 1 s of 20 ms frames


def new_handle() -> JanusAudioBridgePlugin:
    # No STUN server: the machine may have no network. Real deployments pass theirs.
    return JanusAudioBridgePlugin(pc_config=RTCConfiguration(iceServers=[]))


def rms(frame: av.AudioFrame) -> float:
    """Loudness of a decoded frame: root mean square of its 16-bit samples."""
    samples = array.array("h", bytes(frame.planes[0]))
    return math.sqrt(sum(s * s for s in samples) / len(samples)) if samples else 0.0


async def start_bot(session: JanusSession, room: int, source: MediaSource) -> Any:
    """Attach, join ``room`` (creating it) sending ``source``, and report the room's events."""
    bot = new_handle()
    await bot.attach(session)
    if not await bot.exists(room):
        await bot.create_room(room, description="bot room")
        print(f"bot: created room {room}")
    joined = await bot.join(room, "bot", source=source)
    print(f"bot: joined room {room} with {[p['display'] for p in joined['participants']]}")

    def report(data: dict[str, Any]) -> None:
        for participant in data.get("participants", []):
            muted = "muted" if participant.get("muted") else "unmuted"
            print(f"bot: {participant.get('display')} is in the room ({muted})")

    bot.on_event(AudioBridgeEventType.JOINED, report)
    bot.on_event(AudioBridgeEventType.PARTICIPANTS, report)
    bot.on_event(AudioBridgeEventType.LEAVING, lambda d: print(f"bot: {d['leaving']} left"))
    bot.on_event(AudioBridgeEventType.TALKING, lambda d: print(f"bot: {d['id']} talks"))
    return bot


async def listen(listener: JanusAudioBridgePlugin, frames: int) -> float:
    """Return the mean loudness of the next ``frames`` frames of the mix."""
    levels: list[float] = []
    done = asyncio.Event()

    def on_frame(frame: av.AudioFrame) -> None:
        levels.append(rms(frame))
        if len(levels) >= frames:
            done.set()

    subscription = listener.frames("audio").subscribe(on_frame)
    try:
        await asyncio.wait_for(done.wait(), 30)
    finally:
        subscription.dispose()
    return sum(levels[:frames]) / frames


async def demo(session: JanusSession, bot: JanusAudioBridgePlugin, room: int) -> None:
    """A listener hears the bot's tone, then silence once the bot mutes itself."""
    listener = new_handle()
    await listener.attach(session)
    muted = asyncio.Event()
    listener.on_event(
        AudioBridgeEventType.PARTICIPANTS,
        lambda d: muted.set() if any(p.get("muted") for p in d["participants"]) else None,
    )
    await listener.join(room, "listener", media=True)  # receive only
    talking = await listen(listener, FRAMES)
    print(f"listener: mean RMS of {FRAMES} frames with the bot talking: {talking:.0f}")
    await bot.configure(muted=True)
    await asyncio.wait_for(muted.wait(), 30)
    await listen(listener, FRAMES)  # what was already on its way
    silent = await listen(listener, FRAMES)
    print(f"listener: mean RMS of {FRAMES} frames with the bot muted: {silent:.0f}")
    await listener.leave()
    await listener.detach()


async def run(url: str, room: int, play: str | None, with_demo: bool) -> None:
    source: MediaSource = play if play else SyntheticAudioTrack(440.0)
    async with JanusSession(base_url=url) as session:
        bot = await start_bot(session, room, source)
        if with_demo:
            async with JanusSession(base_url=url) as other:
                await demo(other, bot, room)
            await bot.leave()
            await bot.destroy_room(room)
            return
        print("bot: talking; Ctrl-C to stop")
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("JANUS_URL"))
    parser.add_argument("--room", type=int, default=4321, help="room id (default 4321)")
    parser.add_argument("--play", help="an audio file to send (default: a 440 Hz tone)")
    parser.add_argument("--demo", action="store_true", help="listen to the bot, then exit")
    args = parser.parse_args()
    if args.url is None:
        with JanusServer() as server:
            enable_loopback_ice()
            print(f"started Janus {server.server_name}")
            asyncio.run(run(server.ws_url, args.room, args.play, with_demo=True))
        return
    if urlparse(args.url).hostname in ("127.0.0.1", "localhost"):
        enable_loopback_ice()  # aiortc leaves out 127.0.0.1 otherwise (test helper)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(args.url, args.room, args.play, args.demo))


if __name__ == "__main__":
    main()
