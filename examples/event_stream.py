"""A per-handle media quality log (CSV) built from Janus' own event stream.

Starts a receiver for one of Janus' event handlers (``--via http``: sampleevh,
``ws``: wsevh, ``mqtt``: mqttevh through a private Mosquitto), then a Janus on
loopback whose event handler points at it (``rxjanus.testing.JanusServer``,
media stats every second), and makes one EchoTest call with generated video,
hung up once Janus' stats count a packet for every frame sent.
Every second, each medium of each handle with stats gets one CSV row on stdout
(``media_quality``); alerts (``alerts``: slow link, ICE/DTLS failed, no media
for 3 s) go to stderr. The call's session events are printed as they happen.

Run from a fresh clone::

    bash scripts/setup.sh
    .venv/bin/python examples/event_stream.py --via http --seconds 6

With ``--external PORT`` it starts no Janus and no call: it listens for the
sampleevh of a Janus you started yourself and logs until Ctrl-C, e.g. with
``python -m rxjanus.testing.server --event-handler sampleevh events=all
backend=http://127.0.0.1:7777/janus-events --events-stats-period 1`` and
``--external 7777`` (Janus' handlers send nothing without ``events``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import signal
import sys

import av
from aiortc.mediastreams import MediaStreamError
from reactivex import operators as ops

from rxjanus import JanusEchoTestPlugin, JanusSession, aio
from rxjanus.eventhandlers import (
    EventReceiver,
    HandleEvent,
    JanusEvent,
    MediaEvent,
    SampleEvhReceiver,
    SessionEvent,
    WebRTCEvent,
    WsEvhReceiver,
)
from rxjanus.eventhandlers.derived import Alert, MediaQuality
from rxjanus.operators import alerts, media_quality
from rxjanus.testing import (
    JanusServer,
    MosquittoBroker,
    SyntheticVideoTrack,
    enable_loopback_ice,
    loopback_rtc_configuration,
)

COLUMNS = [
    "time",
    "session",
    "handle",
    "mid",
    "media",
    "packets_in",
    "packets_out",
    "kbps_in",
    "kbps_out",
    "loss_pct",
    "rtt_ms",
    "jitter",
    "nacks_in",
    "nacks_out",
]


def row(quality: MediaQuality) -> list[object]:
    return [
        f"{quality.end / 1e6:.3f}",
        quality.session_id,
        quality.handle_id,
        quality.mid,
        quality.media,
        quality.packets_received,
        quality.packets_sent,
        f"{quality.bitrate_in / 1000:.1f}",
        f"{quality.bitrate_out / 1000:.1f}",
        f"{quality.loss * 100:.2f}",
        quality.rtt,
        quality.jitter,
        quality.nacks_received,
        quality.nacks_sent,
    ]


def milestone(event: JanusEvent) -> str | None:
    """A one-line summary of the events worth printing, or None."""
    if isinstance(event, SessionEvent | HandleEvent):
        return f"{type(event).__name__} {event.name} session={event.session_id}"
    if isinstance(event, WebRTCEvent) and event.connection is not None:
        return f"WebRTC {event.connection} handle={event.handle_id}"
    return None


def log_stream(receiver: EventReceiver) -> list[object]:
    """Subscribe the CSV log, the alerts and the milestones; return the subscriptions."""
    writer = csv.writer(sys.stdout)
    writer.writerow(COLUMNS)

    def write(quality: MediaQuality) -> None:
        writer.writerow(row(quality))
        sys.stdout.flush()

    def alert(item: Alert) -> None:
        print(f"ALERT {item.kind} handle={item.handle_id}: {item.detail}", file=sys.stderr)

    def note(text: str | None) -> None:
        print(f"# {text}", file=sys.stderr)

    return [
        receiver.events.pipe(media_quality(1.0)).subscribe(write),
        receiver.events.pipe(alerts(3.0)).subscribe(alert),
        receiver.events.pipe(ops.map(milestone), ops.filter(bool)).subscribe(note),
    ]


class FiniteVideo(SyntheticVideoTrack):
    """Generated video that ends after ``limit`` frames."""

    def __init__(self, limit: int) -> None:
        super().__init__(320, 240, fps=30)
        self.limit = limit

    async def recv(self) -> av.VideoFrame:
        if self.frames_sent >= self.limit:
            self.stop()
            raise MediaStreamError
        return await super().recv()


async def echo_call(server: JanusServer, receiver: EventReceiver, seconds: float) -> None:
    source = FiniteVideo(int(30 * seconds))
    async with JanusSession(base_url=server.ws_url) as session:
        plugin = JanusEchoTestPlugin(pc_config=loopback_rtc_configuration())
        await plugin.attach(session)

        def all_in(event: JanusEvent) -> bool:
            return (
                isinstance(event, MediaEvent)
                and event.handle_id == plugin.id
                and any(s.packets_received >= source.limit for s in event.stats)
            )

        # Hang up once Janus' stats count a packet for every frame sent.
        counted = asyncio.ensure_future(aio.first(receiver.events, all_in))
        try:
            await plugin.start(source, None, audio=False)
            await asyncio.wait_for(counted, seconds + 10)
        finally:
            counted.cancel()
        await plugin.close_stream()
    print(f"# sent {source.frames_sent} video frames", file=sys.stderr)


async def run(via: str, seconds: float) -> None:
    enable_loopback_ice()
    with contextlib.ExitStack() as stack:
        receiver: EventReceiver
        if via == "http":
            receiver = SampleEvhReceiver(username="evh", password="example-only")
        elif via == "ws":
            receiver = WsEvhReceiver()
        else:
            from rxjanus.eventhandlers import MqttEvhReceiver

            broker = stack.enter_context(MosquittoBroker())
            receiver = MqttEvhReceiver(broker.url)
        async with receiver:
            log_stream(receiver)
            server = JanusServer(
                event_handlers={receiver.janus_name: receiver.janus_settings()},
                events_stats_period=1,
            )
            await asyncio.to_thread(server.start)
            # The call's end reaches us through the handler too: wait for it.
            ended = asyncio.ensure_future(
                aio.first(
                    receiver.events,
                    lambda e: isinstance(e, SessionEvent) and e.name == "destroyed",
                )
            )
            try:
                await echo_call(server, receiver, seconds)
                await asyncio.wait_for(ended, 10)
            finally:
                ended.cancel()
                await asyncio.to_thread(server.stop)


async def external(port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with SampleEvhReceiver(port=port) as receiver:
        log_stream(receiver)
        print(f"# listening on {receiver.url}; Ctrl-C to stop", file=sys.stderr)
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--via", choices=["http", "ws", "mqtt"], default="http")
    parser.add_argument("--seconds", type=float, default=6.0, help="length of the EchoTest call")
    parser.add_argument(
        "--external", type=int, metavar="PORT", help="only receive sampleevh POSTs on this port"
    )
    args = parser.parse_args()
    if args.external is not None:
        asyncio.run(external(args.external))
    else:
        asyncio.run(run(args.via, args.seconds))


if __name__ == "__main__":
    main()
