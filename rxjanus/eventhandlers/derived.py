"""What the event-handler operators derive from the events: quality, alerts, joined views."""

from __future__ import annotations

from dataclasses import dataclass

from ..admin.snapshots import ServerSnapshot
from .events import JanusEvent

__all__ = ["Alert", "AlertKind", "MediaQuality", "ViewedEvent"]


@dataclass(frozen=True, slots=True)
class MediaQuality:
    """One medium of one handle over one window, from Janus' media stats events.

    Counts are what changed between the last stats before the window (or, for
    a medium seen for the first time, zero at the start of its PeerConnection)
    and the last stats in it.

    Attributes:
        session_id: The session.
        handle_id: The handle.
        mid: The m-line's mid.
        media: ``"audio"``, ``"video"`` or ``"data"``.
        start: Janus' timestamp (µs) of the baseline stats, or None for a first window.
        end: Janus' timestamp (µs) of the last stats in the window.
        packets_received: Packets Janus received in the window.
        packets_sent: Packets Janus sent.
        lost: Packets lost on the way in.
        bitrate_in: Bits per second Janus received (from the bytes counters, or
            the last second's bytes for a first window).
        bitrate_out: Bits per second Janus sent.
        rtt: The latest round-trip time in ms (0 until RTCP has told).
        jitter: The latest jitter of what Janus receives.
        nacks_received: NACKs the peer sent Janus in the window.
        nacks_sent: NACKs Janus sent.
        samples: Stats events of this medium in the window.
    """

    session_id: int | None
    handle_id: int
    mid: str | None
    media: str | None
    start: int | None
    end: int
    packets_received: int
    packets_sent: int
    lost: int
    bitrate_in: float
    bitrate_out: float
    rtt: int
    jitter: int
    nacks_received: int
    nacks_sent: int
    samples: int

    @property
    def loss(self) -> float:
        """The fraction of incoming packets lost (0 with no traffic)."""
        total = self.packets_received + self.lost
        return self.lost / total if total > 0 else 0.0


AlertKind = str
"""``"slowlink"``, ``"ice-failed"``, ``"dtls-failed"`` or ``"no-media"``."""


@dataclass(frozen=True, slots=True)
class Alert:
    """Something about a handle an operator should look at.

    Attributes:
        kind: ``"slowlink"``, ``"ice-failed"``, ``"dtls-failed"`` or ``"no-media"``.
        session_id: The session.
        handle_id: The handle.
        detail: A short human-readable description.
        event: The event behind it; None for ``"no-media"``, which is raised by a timer.
    """

    kind: AlertKind
    session_id: int | None
    handle_id: int | None
    detail: str
    event: JanusEvent | None = None


@dataclass(frozen=True, slots=True)
class ViewedEvent:
    """An event with the Admin API's latest view of the server when it arrived.

    Attributes:
        event: The event.
        snapshot: The latest [`ServerSnapshot`][rxjanus.admin.ServerSnapshot], or
            None before the first.
    """

    event: JanusEvent
    snapshot: ServerSnapshot | None

    @property
    def listed(self) -> bool | None:
        """Whether the snapshot lists the event's session (and handle, if polled).

        None without a snapshot or for events without a session (core, transport ...).
        """
        event, snapshot = self.event, self.snapshot
        if snapshot is None or event.session_id is None:
            return None
        if event.session_id not in snapshot.sessions:
            return False
        if event.handle_id is None or not snapshot.handles:
            return True
        return event.handle_id in snapshot.handles.get(event.session_id, ())
