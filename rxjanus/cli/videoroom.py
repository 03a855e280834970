"""``rxjanus publish`` and ``rxjanus record``: a VideoRoom room from the shell."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from reactivex import operators as ops
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from ..exceptions import JanusError
from ..janus_session import JanusSession
from ..plugins.videoroom import JanusVideoRoomPlugin, VideoRoomError, videoroom_event_type
from ..plugins.videoroom import VideoRoomEventType as Kind
from ._common import (
    api_auth_options,
    json_option,
    print_json,
    quit_on_signals,
    run,
    stderr,
    stdout,
    timeout_option,
)
from ._media import FrameRate, ice_options, media_must_flow, open_sources, rtc_configuration

__all__ = ["COMMANDS"]

logger = logging.getLogger(__name__)

ROOM_EXISTS = 427
"""VideoRoom's error code for a room created meanwhile by someone else."""


async def _join_room(plugin: JanusVideoRoomPlugin, room: int, create: bool) -> None:
    """Create ``room`` if asked to and it does not exist (VideoRoomError 426 otherwise)."""
    if not create or await plugin.exists(room):
        return
    try:
        await plugin.create_room(room, description=f"rxjanus room {room}")
    except VideoRoomError as error:
        if error.code != ROOM_EXISTS:
            raise


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=stdout,
        disable=not stdout.is_terminal,
    )


_room_option = click.option("--room", type=int, required=True, help="The VideoRoom room id.")
_create_option = click.option(
    "--create", is_flag=True, help="Create the room if it does not exist."
)
_seconds_option = click.option(
    "--seconds",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Stop after this long (default: at the end of FILE, or on Ctrl-C).",
)


# -- publish ---------------------------------------------------------------------------


async def _publish(
    url: str,
    room: int,
    file: Path | None,
    seconds: float | None,
    display: str,
    create: bool,
    pc_config: Any,
    api_secret: str | None,
    token: str | None,
    timeout: float,
    notes: Console,
) -> dict[str, Any]:
    tracks = open_sources(file)
    quit_ = asyncio.Event()
    stopped_by = "time"
    try:
        async with JanusSession(
            base_url=url, timeout=timeout, max_retries=0, api_secret=api_secret, token=token
        ) as session:
            plugin = JanusVideoRoomPlugin(pc_config=pc_config)
            await plugin.attach(session)
            await _join_room(plugin, room, create)
            await plugin.join(room, display)
            async with media_must_flow():
                await plugin.publish(list[Any](tracks))
            feed = plugin.publisher_id
            notes.print(f"publishing to room {room} as feed {feed} ({display})")
            began = time.monotonic()
            waits = [asyncio.ensure_future(t.ended.wait()) for t in tracks]
            waits.append(asyncio.ensure_future(quit_.wait()))
            with quit_on_signals(quit_), _progress() as progress:
                task = progress.add_task("starting")
                try:
                    while True:
                        left = None if seconds is None else began + seconds - time.monotonic()
                        if left is not None and left <= 0:
                            break
                        done, _ = await asyncio.wait(
                            waits,
                            timeout=0.5 if left is None else min(left, 0.5),
                            return_when=asyncio.FIRST_COMPLETED,
                        )
                        counts = ", ".join(f"{t.rate.count} {t.kind}" for t in tracks)
                        progress.update(task, description=f"room {room} feed {feed}: {counts}")
                        if done:
                            stopped_by = "Ctrl-C" if quit_.is_set() else "end of file"
                            break
                finally:
                    for waiter in waits:
                        waiter.cancel()
            await plugin.unpublish()
            await plugin.leave()
    finally:
        for track in tracks:
            track.stop()
    return {
        "room": room,
        "feed": feed,
        "display": display,
        "seconds": round(time.monotonic() - began, 3),
        "stopped_by": stopped_by,
        "frames_sent": {track.kind: track.rate.count for track in tracks},
    }


@click.command()
@click.argument("url")
@click.argument(
    "file", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=False
)
@_room_option
@click.option("--display", default="rxjanus", show_default=True, help="The name others see.")
@_create_option
@_seconds_option
@ice_options
@api_auth_options
@timeout_option
@json_option
def publish(
    url: str,
    file: Path | None,
    room: int,
    display: str,
    create: bool,
    seconds: float | None,
    loopback: bool,
    ice_servers: tuple[str, ...],
    api_secret: str | None,
    token: str | None,
    timeout: float,
    as_json: bool,
) -> None:
    """Publish FILE (or generated media) into a VideoRoom room, with progress.

    Without FILE it sends a generated 640x480 30 fps picture and a 440 Hz tone
    until Ctrl-C (or --seconds).
    """
    pc_config = rtc_configuration(loopback, ice_servers)
    summary = run(
        lambda: _publish(
            url,
            room,
            file,
            seconds,
            display,
            create,
            pc_config,
            api_secret,
            token,
            timeout,
            stderr if as_json else stdout,
        )
    )
    if as_json:
        print_json(summary)
    else:
        counts = ", ".join(f"{n} {kind}" for kind, n in summary["frames_sent"].items())
        stdout.print(f"published {counts} frames in {summary['seconds']:.1f} s; left the room")


# -- record ----------------------------------------------------------------------------


@dataclass
class _Recording:
    """One publisher's feed being recorded."""

    feed: int
    display: str
    path: Path
    plugin: JanusVideoRoomPlugin | None = None
    rates: dict[str, FrameRate] = field(default_factory=dict)
    task: TaskID | None = None
    done: bool = False

    def counts(self) -> str:
        return ", ".join(f"{rate.count} {kind}" for kind, rate in self.rates.items())

    def summary(self) -> dict[str, Any]:
        return {
            "feed": self.feed,
            "display": self.display,
            "path": str(self.path),
            "frames": {kind: rate.count for kind, rate in self.rates.items()},
        }


def _file_name(feed: int, display: str) -> str:
    safe = re.sub(r"[^\w.-]+", "_", display).strip("._")[:40]
    return f"{feed}-{safe}.mp4" if safe else f"{feed}.mp4"


class _Recorder:
    """Subscribes to every publisher of a room and records each to a file."""

    def __init__(
        self, session: JanusSession, room: int, directory: Path, pc_config: Any, notes: Console
    ) -> None:
        self.notes = notes
        self.session = session
        self.room = room
        self.directory = directory
        self.pc_config = pc_config
        self.recordings: dict[int, _Recording] = {}
        self.changed = asyncio.Event()
        self.arrived: list[tuple[int, str]] = []
        self.left: set[int] = set()
        self.listener = JanusVideoRoomPlugin(pc_config=pc_config)

    def on_room_event(self, message: dict[str, Any]) -> None:
        data = message.get("plugindata", {}).get("data", {})
        kind = videoroom_event_type(message)
        if kind is Kind.PUBLISHERS:
            self.arrived.extend((p["id"], p.get("display", "")) for p in data["publishers"])
        elif kind in (Kind.UNPUBLISHED, Kind.LEAVING):
            gone = data.get("unpublished", data.get("leaving"))
            if isinstance(gone, int):
                self.left.add(gone)
        self.changed.set()

    async def start(self, create: bool) -> None:
        await self.listener.attach(self.session)
        self.listener.events.subscribe(self.on_room_event)
        await _join_room(self.listener, self.room, create)
        joined = await self.listener.join(self.room, "rxjanus-recorder")
        self.arrived.extend((p["id"], p.get("display", "")) for p in joined.get("publishers", []))

    async def subscribe(self, feed: int, display: str, progress: Progress) -> None:
        recording = _Recording(feed, display, self.directory / _file_name(feed, display))
        self.recordings[feed] = recording
        plugin = JanusVideoRoomPlugin(pc_config=self.pc_config)
        await plugin.attach(self.session)
        recording.plugin = plugin
        for kind in ("audio", "video"):
            recording.rates[kind] = rate = FrameRate()
            plugin.frames(kind).subscribe(rate.tick, on_completed=self.changed.set)
        plugin.frames("video").pipe(ops.take(1)).subscribe(
            lambda _: self.notes.print(f"receiving video of feed {feed}")
        )
        try:
            await plugin.subscribe_to_publisher(
                self.room,
                [{"feed": feed}],
                recorder=recording.path,
                private_id=self.listener.private_id,
                autoupdate=False,  # no new offer when it leaves: we leave too (finish())
            )
        except JanusError as error:  # it left before we subscribed
            logger.warning("could not subscribe to feed %s: %s", feed, error)
            await self.finish(recording)
            return
        recording.task = progress.add_task(f"feed {feed} ({display})")
        self.notes.print(f"recording feed {feed} ({display}) to {recording.path}")

    async def finish(self, recording: _Recording) -> None:
        """Close the feed's PeerConnection (which finishes its file) and detach."""
        if recording.done:
            return
        recording.done = True
        if recording.plugin is not None:
            with contextlib.suppress(JanusError):
                await recording.plugin.leave()
            with contextlib.suppress(JanusError):
                await recording.plugin.detach()
        if recording.plugin is not None and recording.task is not None:
            self.notes.print(f"finished feed {recording.feed}: {recording.counts()} frames")

    async def step(self, progress: Progress) -> None:
        while self.arrived:
            feed, display = self.arrived.pop(0)
            if feed not in self.recordings:
                await self.subscribe(feed, display, progress)
        for feed in sorted(self.left):
            if feed in self.recordings:
                await self.finish(self.recordings[feed])
        self.left.clear()
        for recording in self.recordings.values():
            if recording.task is not None:
                state = "done" if recording.done else "recording"
                progress.update(
                    recording.task,
                    description=f"feed {recording.feed} ({recording.display}): "
                    f"{recording.counts()} frames, {state}",
                )

    async def close(self) -> None:
        for recording in self.recordings.values():
            await self.finish(recording)
        with contextlib.suppress(JanusError):
            await self.listener.leave()


async def _record(
    url: str,
    room: int,
    directory: Path,
    seconds: float | None,
    once: bool,
    create: bool,
    pc_config: Any,
    api_secret: str | None,
    token: str | None,
    timeout: float,
    notes: Console,
) -> list[dict[str, Any]]:
    quit_ = asyncio.Event()
    async with JanusSession(
        base_url=url, timeout=timeout, max_retries=0, api_secret=api_secret, token=token
    ) as session:
        recorder = _Recorder(session, room, directory, pc_config, notes)
        try:
            await recorder.start(create)
            notes.print(f"recording room {room} into {directory} (Ctrl-C stops)")
            deadline = None if seconds is None else time.monotonic() + seconds
            with quit_on_signals(quit_), _progress() as progress:
                while not quit_.is_set():
                    await recorder.step(progress)
                    recordings = recorder.recordings.values()
                    if once and recordings and all(r.done for r in recordings):
                        break
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        break
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(0.5 if left is None else min(left, 0.5)):
                            await recorder.changed.wait()
                    recorder.changed.clear()
        finally:
            await recorder.close()
    return [r.summary() for r in recorder.recordings.values()]


@click.command()
@click.argument("url")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@_room_option
@_create_option
@_seconds_option
@click.option("--once", is_flag=True, help="Stop when every publisher recorded has left.")
@ice_options
@api_auth_options
@timeout_option
@json_option
def record(
    url: str,
    directory: Path,
    room: int,
    create: bool,
    seconds: float | None,
    once: bool,
    loopback: bool,
    ice_servers: tuple[str, ...],
    api_secret: str | None,
    token: str | None,
    timeout: float,
    as_json: bool,
) -> None:
    """Record every publisher of a VideoRoom room to DIRECTORY, one file per feed.

    Publishers that join later are recorded too; a file is finished when its
    publisher leaves, and all of them on Ctrl-C (or after --seconds).
    """
    pc_config = rtc_configuration(loopback, ice_servers)
    directory.mkdir(parents=True, exist_ok=True)
    summaries = run(
        lambda: _record(
            url,
            room,
            directory,
            seconds,
            once,
            create,
            pc_config,
            api_secret,
            token,
            timeout,
            stderr if as_json else stdout,
        )
    )
    if as_json:
        print_json(summaries)
    else:
        stdout.print(f"recorded {len(summaries)} feed(s) into {directory}")


COMMANDS = (publish, record)
