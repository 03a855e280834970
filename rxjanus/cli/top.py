"""``rxjanus top``: a live view of a server's sessions, handles and their media."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import os
import sys
from collections.abc import Awaitable, Iterator
from dataclasses import asdict
from typing import Any

import click
from reactivex import abc
from rich.console import Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from ..admin import JanusAdminMonitorClient, ServerSnapshot
from ._common import (
    admin_secret_option,
    json_option,
    quit_on_signals,
    run,
    stdout,
    timeout_option,
)
from ._top_events import EventsView, make_receiver
from .admin import HandleSummary, admin_client, read_handles

__all__ = ["COMMANDS"]


class _Watcher:
    """The latest [ServerSnapshot][rxjanus.admin.ServerSnapshot] from `watch()`, awaitable."""

    def __init__(self) -> None:
        self.latest: ServerSnapshot | None = None
        self.changed = asyncio.Event()
        self.error: BaseException | None = None

    def on_next(self, snapshot: ServerSnapshot) -> None:
        self.latest = snapshot
        self.changed.set()

    def on_error(self, error: Exception) -> None:
        self.error = error
        self.changed.set()

    async def wait(self, seconds: float | None) -> None:
        """Wait for a change (or an error), at most ``seconds``."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self.changed.wait()
        self.changed.clear()
        if self.error is not None:
            raise self.error


@contextlib.contextmanager
def _keys(quit_: asyncio.Event) -> Iterator[None]:
    """Set ``quit_`` on q (stdin in cbreak mode, if a terminal)."""
    loop = asyncio.get_running_loop()
    fd = sys.stdin.fileno() if sys.stdin is not None and sys.stdin.isatty() else None
    saved = None
    if fd is not None:
        import termios
        import tty

        saved = termios.tcgetattr(fd)
        tty.setcbreak(fd)

        def on_key() -> None:
            data = os.read(fd, 64)
            if not data or b"q" in data.lower():
                quit_.set()

        loop.add_reader(fd, on_key)
    try:
        yield
    finally:
        if fd is not None and saved is not None:
            import termios

            loop.remove_reader(fd)
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _render(
    url: str,
    snapshot: ServerSnapshot,
    summaries: list[HandleSummary],
    events: EventsView | None,
) -> Group:
    now = datetime.datetime.now().strftime("%H:%M:%S")
    header = Text.assemble(
        ("rxjanus top ", "bold"),
        f"{url}  {len(snapshot.sessions)} session(s), {len(summaries)} handle(s)  "
        f"at {now}  (q quits)",
    )
    table = Table(expand=True)
    table.add_column("session", justify="right", no_wrap=True)
    table.add_column("handle", justify="right", no_wrap=True)
    table.add_column("plugin")
    table.add_column("ICE")
    table.add_column("DTLS")
    table.add_column("media")
    if events is not None:
        table.add_column("media (events)")
    by_session: dict[int, list[HandleSummary]] = {}
    for summary in summaries:
        by_session.setdefault(summary.session, []).append(summary)
    for session_id in snapshot.sessions:
        rows = by_session.get(session_id, [])
        if not rows:
            blank = [""] * (4 if events is None else 5)
            table.add_row(str(session_id), "-", "(no handles)", *blank)
        for s in rows:
            table.add_row(
                str(session_id),
                str(s.handle),
                s.plugin.removeprefix("janus.plugin."),
                s.ice or "-",
                s.dtls or "-",
                s.media_text(),
                *([events.media_text(s.handle)] if events is not None else []),
            )
    if events is None:
        return Group(header, table)
    return Group(header, table, Text(events.last_text(), overflow="ellipsis", no_wrap=True))


async def _first(*waits: Awaitable[object]) -> int:
    """Wait for the first of ``waits`` to finish; cancel the others; return its index."""
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    first = next(i for i, task in enumerate(tasks) if task in done)
    tasks[first].result()  # the watcher's error, if that is what woke us
    return first


async def _top(
    url: str,
    admin: JanusAdminMonitorClient,
    interval: float,
    iterations: int | None,
    as_json: bool,
    events: EventsView | None = None,
) -> None:
    watcher = _Watcher()
    subscription: abc.DisposableBase = admin.watch(interval, handles=True).subscribe(
        watcher.on_next, watcher.on_error
    )
    quit_ = asyncio.Event()
    try:
        await watcher.wait(None)  # the first snapshot, or the error (a wrong secret ...)
        with contextlib.ExitStack() as stack:
            stack.enter_context(quit_on_signals(quit_))
            stack.enter_context(_keys(quit_))
            live = None
            if not as_json and stdout.is_terminal:
                live = stack.enter_context(
                    Live(console=stdout, screen=True, auto_refresh=False, transient=True)
                )
            count = 0
            poll = True
            summaries: list[HandleSummary] = []
            polled: ServerSnapshot | None = None
            loop = asyncio.get_running_loop()
            next_poll = loop.time()
            while not quit_.is_set():
                snapshot = watcher.latest
                assert snapshot is not None
                if poll or snapshot is not polled:  # the Admin API: the truth on sessions, handles
                    polled = snapshot
                    summaries = await read_handles(admin, dict(snapshot.handles))
                    next_poll = loop.time() + interval
                if events is not None:
                    events.changed.clear()
                if live is not None:
                    live.update(_render(url, snapshot, summaries, events), refresh=True)
                elif not as_json:  # not a terminal: one table per refresh, like top -b
                    stdout.print(_render(url, snapshot, summaries, events))
                else:
                    line: dict[str, Any] = {
                        "time": datetime.datetime.now(datetime.UTC).isoformat(),
                        "sessions": list(snapshot.sessions),
                        "handles": [asdict(s) for s in summaries],
                    }
                    if events is not None:
                        line["events"] = events.as_json()
                    print(json.dumps(line, default=str), flush=True)
                count += 1
                if iterations is not None and count >= iterations:
                    break
                left = max(0.0, next_poll - loop.time())  # events do not put the poll off
                waits: list[Awaitable[object]] = [watcher.wait(left), quit_.wait()]
                if events is not None:
                    waits.append(events.changed.wait())
                poll = await _first(*waits) == 0
    finally:
        subscription.dispose()


@click.command()
@click.argument("admin_url")
@admin_secret_option
@click.option(
    "-d",
    "--interval",
    type=click.FloatRange(min=0.1),
    default=1.0,
    show_default=True,
    help="Seconds between refreshes.",
)
@click.option(
    "-n", "--iterations", type=click.IntRange(min=1), default=None, help="Stop after N refreshes."
)
@click.option(
    "--events",
    "events_url",
    metavar="URL",
    default=None,
    help="Also listen to Janus' event handler there and refresh on each event: "
    "http://HOST:PORT/PATH for sampleevh (its backend), ws://HOST:PORT for wsevh.",
)
@click.option(
    "--events-user",
    envvar="RXJANUS_EVENTS_USER",
    show_envvar=True,
    default=None,
    metavar="USER",
    help="The basic-auth user sampleevh posts with (its backend_user).",
)
@click.option(
    "--events-password",
    envvar="RXJANUS_EVENTS_PASSWORD",
    show_envvar=True,
    default=None,
    metavar="PASSWORD",
    help="Its password (backend_pwd; better in the environment).",
)
@timeout_option
@json_option
def top(
    admin_url: str,
    admin_secret: str | None,
    interval: float,
    iterations: int | None,
    events_url: str | None,
    events_user: str | None,
    events_password: str | None,
    timeout: float,
    as_json: bool,
) -> None:
    """A live view of sessions, handles and their media; q or Ctrl-C quits.

    Session and handle changes come from the Admin API's `watch()`; each
    handle's ICE, DTLS and media counters from `handle_info`, every INTERVAL.
    Not on a terminal, it prints one table per refresh (like top -b); with --json,
    one JSON line per refresh.

    With --events, it also receives Janus' event handler (sampleevh or wsevh
    pointed at URL), refreshes on each event and adds each handle's media from
    the stats events (packets, kbit/s in/out, loss, RTT) and the last events.
    """
    receiver = None
    if events_url is not None:
        if (events_user is None) != (events_password is None):
            raise click.UsageError("--events-user and --events-password go together")
        try:
            receiver = make_receiver(events_url, events_user, events_password)
        except click.BadParameter as error:
            error.param_hint = "'--events'"
            raise

    async def main() -> None:
        async with admin_client(admin_url, admin_secret, timeout, reconnect=True) as admin:
            if receiver is None:
                await _top(admin_url, admin, interval, iterations, as_json)
                return
            async with receiver:
                with EventsView(receiver) as events:
                    await _top(admin_url, admin, interval, iterations, as_json, events)

    run(main)


COMMANDS = (top,)
