"""Record a few seconds of media with Record&Play, list the recording, and play it back.

Usage::

    python examples/recordplay_roundtrip.py [URL] [--seconds 3] [--file input.mp4] [--loopback]

The URL comes from the command line, else ``JANUS_URL``, else
``ws://127.0.0.1:8188``. Without ``--file`` a synthetic 640x480 picture and a
440 Hz tone are recorded. The playback runs on a second session, as another
user would. ``--loopback`` makes ICE use 127.0.0.1 only, for a Janus on this
machine started by ``python -m rxjanus.testing.server``.
"""

from __future__ import annotations

import argparse
import asyncio
import os

from aiortc import RTCConfiguration

from rxjanus import JanusSession
from rxjanus.media import MediaKind
from rxjanus.plugins.recordplay import JanusRecordPlayPlugin
from rxjanus.testing import SyntheticAudioTrack, SyntheticVideoTrack, enable_loopback_ice


async def record(url: str, seconds: float, source: str | None) -> int:
    """Record ``seconds`` of media; return the recording's id once its files are written."""
    async with JanusSession(base_url=url) as session:
        recorder = JanusRecordPlayPlugin(pc_config=RTCConfiguration(iceServers=[]))
        await recorder.attach(session)
        if source is not None:
            rec_id = await recorder.record(source, f"rxjanus example: {source}")
            print(f"recording {source} as {rec_id}", flush=True)
            await asyncio.sleep(seconds)
        else:
            video, audio = SyntheticVideoTrack(640, 480, fps=30), SyntheticAudioTrack()
            rec_id = await recorder.record([video, audio], "rxjanus example")
            print(f"recording a synthetic picture and tone as {rec_id}", flush=True)
            await video.wait_sent(video.frames_sent + int(seconds * video.rate))
        await recorder.stop()
        await recorder.wait_done()  # the .mjr files are closed and the .nfo written
        for recording in await recorder.list_recordings():
            if recording.id == rec_id:
                print(
                    f"listed: {recording.name!r} of {recording.date} "
                    f"(audio {recording.audio_codec}, video {recording.video_codec})",
                    flush=True,
                )
        return rec_id


async def play(url: str, rec_id: int) -> None:
    """Play the recording back and count what arrives, until Janus ends the playout."""
    async with JanusSession(base_url=url) as session:
        player = JanusRecordPlayPlugin(pc_config=RTCConfiguration(iceServers=[]))
        await player.attach(session)
        kinds: tuple[MediaKind, ...] = ("video", "audio")
        counts = dict.fromkeys(kinds, 0)
        ended = {kind: asyncio.Event() for kind in kinds}

        def count(kind: MediaKind) -> None:
            def on_next(_: object) -> None:
                counts[kind] += 1

            player.frames(kind).subscribe(on_next, on_completed=ended[kind].set)

        for kind in kinds:  # subscribed before play(): the first frames count too
            count(kind)
        await player.play(rec_id)
        print(f"playing {rec_id}", flush=True)
        await player.wait_done(timeout=120)
        await asyncio.gather(*(event.wait() for event in ended.values()))
        print(f"played back {counts['video']} video and {counts['audio']} audio frames", flush=True)


async def main(url: str, seconds: float, source: str | None) -> None:
    rec_id = await record(url, seconds, source)
    await play(url, rec_id)


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "url", nargs="?", default=os.environ.get("JANUS_URL", "ws://127.0.0.1:8188")
    )
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--file", help="a media file to record instead of synthetic media")
    parser.add_argument("--loopback", action="store_true", help="ICE on 127.0.0.1 only")
    args = parser.parse_args()
    if args.loopback:
        enable_loopback_ice()
    asyncio.run(main(args.url, args.seconds, args.file))


if __name__ == "__main__":
    cli()
