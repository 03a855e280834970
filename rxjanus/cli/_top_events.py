"""What ``rxjanus top --events`` adds: a receiver for Janus' event handler and its view.

[`EventsView`][rxjanus.cli._top_events.EventsView] keeps, from the typed events
of a [`SampleEvhReceiver`][rxjanus.eventhandlers.http.SampleEvhReceiver] or a
[`WsEvhReceiver`][rxjanus.eventhandlers.websocket.WsEvhReceiver], the latest
media stats of each handle and the last few events, and sets ``changed`` on
each event so the view refreshes then.
"""

from __future__ import annotations

import asyncio
import collections
import datetime
from dataclasses import asdict
from typing import Any
from urllib.parse import urlsplit

import click
from reactivex import abc

from ..eventhandlers import (
    EventReceiver,
    HandleEvent,
    JanusEvent,
    MediaEvent,
    MediaStats,
    SampleEvhReceiver,
    TransportEvent,
    WsEvhReceiver,
)

__all__ = ["EventsView", "make_receiver"]

_LAST = 4
"""How many of the last events the view lists."""


def make_receiver(url: str, user: str | None, password: str | None) -> EventReceiver:
    """The receiver at ``url``: ``http://HOST:PORT/PATH`` (sampleevh) or ``ws://HOST:PORT`` (wsevh).

    Raises:
        click.BadParameter: Another scheme, no port, credentials in the URL, or
            credentials for wsevh.
    """
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        raise click.BadParameter("give credentials with --events-user/--events-password")
    if parts.hostname is None or parts.port is None:
        raise click.BadParameter(f"{url!r} needs a host and a port (Janus posts there)")
    if parts.scheme == "http":
        return SampleEvhReceiver(
            parts.hostname,
            parts.port,
            path=parts.path or "/",
            username=user,
            password=password,
        )
    if parts.scheme == "ws":
        if user is not None or password is not None:
            raise click.BadParameter("wsevh does not authenticate; drop the credentials")
        return WsEvhReceiver(parts.hostname, parts.port)
    raise click.BadParameter(f"{url!r}: use http:// (sampleevh) or ws:// (wsevh)")


def _describe(event: JanusEvent) -> str:
    kind = type(event).__name__.removesuffix("Event").lower()
    where = f" h{event.handle_id}" if event.handle_id is not None else ""
    if isinstance(event, MediaEvent) and event.stats:
        return f"{kind} stats{where}"
    name = getattr(event, "name", None)
    if isinstance(name, str):
        return f"{kind} {name}{where}"
    return f"{kind}{where}"


def media_line(stats: MediaStats) -> str:
    """One medium's stats in a few words.

    For example ``video in 300 out 298 pkts 512/510 kbit/s lost 0 rtt 1 ms``.
    """
    return (
        f"{stats.media or '?'} in {stats.packets_received} out {stats.packets_sent} pkts "
        f"{stats.bytes_received_lastsec * 8 / 1000:.0f}/{stats.bytes_sent_lastsec * 8 / 1000:.0f}"
        f" kbit/s lost {stats.lost} rtt {stats.rtt} ms"
    )


class EventsView:
    """The latest media stats per handle and the last events, from one receiver's stream."""

    def __init__(self, receiver: EventReceiver) -> None:
        self.receiver = receiver
        self.changed = asyncio.Event()
        self.media: dict[int, dict[str, MediaStats]] = {}
        self.last: collections.deque[str] = collections.deque(maxlen=_LAST)
        self._subscription: abc.DisposableBase | None = None

    def __enter__(self) -> EventsView:
        self._subscription = self.receiver.events.subscribe(self._on_event)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._subscription is not None:
            self._subscription.dispose()

    def _on_event(self, event: JanusEvent) -> None:
        if not isinstance(event, TransportEvent):  # mostly our own Admin API requests
            now = datetime.datetime.now().strftime("%H:%M:%S")
            self.last.append(f"{now} {_describe(event)}")
        if isinstance(event, MediaEvent) and event.handle_id is not None:
            media = self.media.setdefault(event.handle_id, {})
            for stats in event.stats:
                media[stats.mid or stats.media or ""] = stats
        elif isinstance(event, HandleEvent) and event.name == "detached":
            self.media.pop(event.handle_id or 0, None)
        self.changed.set()

    def media_text(self, handle: int) -> str:
        """The handle's media from the last stats events, one line per medium, or ``-``."""
        return "\n".join(media_line(s) for s in self.media.get(handle, {}).values()) or "-"

    def last_text(self) -> str:
        """The last events received, newest first."""
        last = "; ".join(reversed(self.last)) or "none yet"
        return f"events ({self.receiver.received}): {last}"

    def as_json(self) -> dict[str, Any]:
        """The media per handle and the last events, for ``--json``."""
        return {
            "received": self.receiver.received,
            "last": list(self.last),
            "media": {
                str(handle): [asdict(s) for s in media.values()]
                for handle, media in self.media.items()
            },
        }
