"""``rxjanus echo``: an EchoTest round trip with live stats and a summary."""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import click
from aiortc import RTCPeerConnection
from rich.live import Live
from rich.table import Table

from ..janus_session import JanusSession
from ..media.peer import MediaKind
from ..plugins import JanusEchoTestPlugin
from ._common import (
    ExitCode,
    api_auth_options,
    fail,
    json_option,
    print_json,
    quit_on_signals,
    run,
    stdout,
    timeout_option,
)
from ._media import (
    CountedTrack,
    FrameRate,
    ice_options,
    media_must_flow,
    open_sources,
    rtc_configuration,
)

__all__ = ["COMMANDS", "round_trip_ms"]


async def round_trip_ms(pc: RTCPeerConnection) -> float | None:
    """The latest RTCP round trip aiortc measured to Janus, in ms (None before the first)."""
    report = await pc.getStats()
    rtts = [
        stats.roundTripTime * 1000
        for stats in report.values()
        if getattr(stats, "type", None) == "remote-inbound-rtp"
        and getattr(stats, "roundTripTime", None) is not None
    ]
    return max(rtts) if rtts else None


@dataclass
class _Echo:
    """What the live view and the summary show."""

    sent: dict[str, CountedTrack]
    back: dict[str, FrameRate] = field(default_factory=dict)
    began: float = field(default_factory=time.monotonic)
    rtt: float | None = None
    rtts: list[float] = field(default_factory=list)
    stopped_by: str = "time"

    def table(self, title: str) -> Table:
        table = Table(title=title, title_justify="left")
        table.add_column("")
        for kind in self.sent:
            table.add_column(kind, justify="right")
        table.add_row("frames sent", *(str(t.rate.count) for t in self.sent.values()))
        table.add_row("frames back", *(str(self.back[k].count) for k in self.sent))
        table.add_row("fps back", *(f"{self.back[k].fps:.0f}" for k in self.sent))
        rtt = "-" if self.rtt is None else f"{self.rtt:.1f} ms"
        table.add_row("round trip", *(rtt for _ in self.sent))
        return table

    def summary(self) -> dict[str, Any]:
        elapsed = time.monotonic() - self.began
        media = {
            kind: {
                "frames_sent": track.rate.count,
                "frames_back": self.back[kind].count,
                "fps_back": self.back[kind].count / elapsed if elapsed else 0.0,
            }
            for kind, track in self.sent.items()
        }
        return {
            "seconds": round(elapsed, 3),
            "stopped_by": self.stopped_by,
            "media": media,
            "round_trip_ms": {
                "min": min(self.rtts, default=None),
                "avg": statistics.fmean(self.rtts) if self.rtts else None,
                "max": max(self.rtts, default=None),
            },
        }


async def _echo(
    url: str,
    file: Path | None,
    seconds: float,
    video: bool,
    audio: bool,
    pc_config: Any,
    api_secret: str | None,
    token: str | None,
    timeout: float,
    show: bool,
) -> dict[str, Any]:
    tracks = open_sources(file, video=video, audio=audio)
    stats = _Echo({track.kind: track for track in tracks})
    quit_ = asyncio.Event()
    try:
        async with JanusSession(
            base_url=url, timeout=timeout, max_retries=0, api_secret=api_secret, token=token
        ) as session:
            echo = JanusEchoTestPlugin(pc_config=pc_config)
            await echo.attach(session)
            for kind in stats.sent:
                stats.back[kind] = FrameRate()
                echo.frames(cast(MediaKind, kind)).subscribe(stats.back[kind].tick)
            async with media_must_flow():
                await echo.start(
                    list[Any](tracks), audio="audio" in stats.sent, video="video" in stats.sent
                )
            stats.began = time.monotonic()
            ended = [asyncio.ensure_future(t.ended.wait()) for t in tracks]
            ended.append(asyncio.ensure_future(quit_.wait()))
            title = f"EchoTest at {url} (Ctrl-C stops)"
            with contextlib.ExitStack() as stack:
                stack.enter_context(quit_on_signals(quit_))
                live = None
                if show:
                    live = stack.enter_context(
                        Live(stats.table(title), console=stdout, auto_refresh=False)
                    )
                try:
                    deadline = stats.began + seconds
                    while (left := deadline - time.monotonic()) > 0:
                        done, _ = await asyncio.wait(
                            ended, timeout=min(left, 0.5), return_when=asyncio.FIRST_COMPLETED
                        )
                        stats.rtt = await round_trip_ms(echo.pc)
                        if stats.rtt is not None:
                            stats.rtts.append(stats.rtt)
                        if live is not None:
                            live.update(stats.table(title), refresh=True)
                        if done:
                            stats.stopped_by = "Ctrl-C" if quit_.is_set() else "end of file"
                            break
                finally:
                    for waiter in ended:
                        waiter.cancel()
            if show:
                stdout.print()
            summary = stats.summary()
            await echo.close_stream()
    finally:
        for track in tracks:
            track.stop()
    return summary


@click.command()
@click.argument("url")
@click.argument(
    "file", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=False
)
@click.option(
    "--seconds", type=click.FloatRange(min=0, min_open=True), default=5.0, show_default=True
)
@click.option("--video/--no-video", default=True, show_default=True)
@click.option("--audio/--no-audio", default=True, show_default=True)
@ice_options
@api_auth_options
@timeout_option
@json_option
def echo(
    url: str,
    file: Path | None,
    seconds: float,
    video: bool,
    audio: bool,
    loopback: bool,
    ice_servers: tuple[str, ...],
    api_secret: str | None,
    token: str | None,
    timeout: float,
    as_json: bool,
) -> None:
    """Send media through Janus's EchoTest and count what comes back.

    Sends FILE (any file aiortc's MediaPlayer reads), or with no FILE a generated
    640x480 30 fps picture and a 440 Hz tone, for SECONDS or until Ctrl-C; shows
    frames sent and back, the rate coming back and the RTCP round trip, then a
    summary. Exits 1 if nothing came back.
    """
    if not (video or audio):
        raise click.UsageError("--no-video and --no-audio leave nothing to send")
    pc_config = rtc_configuration(loopback, ice_servers)
    summary = run(
        lambda: _echo(
            url, file, seconds, video, audio, pc_config, api_secret, token, timeout, not as_json
        )
    )
    if as_json:
        print_json(summary)
    else:
        rtt = summary["round_trip_ms"]
        for kind, media in summary["media"].items():
            sent, back = media["frames_sent"], media["frames_back"]
            share = f"{back / sent:.0%}" if sent else "-"
            stdout.print(
                f"{kind}: {sent} frames sent, {back} back ({share}), "
                f"{media['fps_back']:.1f} fps back"
            )
        if rtt["avg"] is not None:
            stdout.print(
                f"round trip min/avg/max = {rtt['min']:.1f}/{rtt['avg']:.1f}/{rtt['max']:.1f} ms"
            )
    if not any(media["frames_back"] for media in summary["media"].values()):
        fail(ExitCode.ERROR, "no frames came back from the EchoTest")


COMMANDS = (echo,)
