"""Reactive operators over Janus sessions, handles and media (one module each).

Each operator returns a function from one observable to another, for ``pipe``:

```python
rxjanus.session(url).pipe(
    keepalive(25),
    attach(JanusEchoTestPlugin, pc_config=config),
    frames("video"),
    ops.take(30),
)
```

Disposing the subscription (or completing it, as ``take`` does) tears down
exactly what it created, inner first: PeerConnection, handle, session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from reactivex import Observable, abc

from ..janus_session import JanusSession
from ..media import MediaKind, MediaSource
from ..plugins.base import JanusPlugin
from ..plugins.videoroom import JanusVideoRoomPlugin
from ..plugins.webrtc import WebRTCPlugin
from ..protocol import JSON

if TYPE_CHECKING:
    from aiortc import RTCConfiguration

    from ..admin.snapshots import ServerSnapshot
    from ..eventhandlers.derived import Alert, MediaQuality, ViewedEvent
    from ..eventhandlers.events import JanusEvent
    from ._bounded import BoundedObservable

__all__ = [
    "alerts",
    "attach",
    "bounded",
    "events",
    "frames",
    "join",
    "keepalive",
    "media_quality",
    "of_handle",
    "of_session",
    "publish",
    "retry_with_backoff",
    "share_latest",
    "share_resettable",
    "watch",
    "with_admin_view",
]

T = TypeVar("T")
S = TypeVar("S")


def attach(
    plugin: type[JanusPlugin] | str, **options: Any
) -> Callable[[Observable[JanusSession]], Observable[Any]]:
    """Attach a plugin handle to each session; disposal detaches it.

    ```text
    session:  ---s------------|
    attach:   ------h----------   (h attached to s; detached on dispose)
    ```

    Args:
        plugin: A plugin class (``JanusEchoTestPlugin``) or a plugin id
            (``"janus.plugin.echojs"``) for a generic handle.
        **options: Passed to the plugin's constructor (e.g. ``pc_config``).

    Returns:
        An operator from sessions to attached handles. The handle stream errors
        with the session's ``SessionLost`` and completes when Janus detaches it.
    """
    from ._attach import attach_

    return attach_(plugin, **options)


def keepalive(
    interval: float, scheduler: abc.SchedulerBase | None = None
) -> Callable[[Observable[S]], Observable[S]]:
    """Send a keepalive on each session every ``interval`` seconds while subscribed.

    ```text
    source:   --s-------------------
    timer:    --+---k---k---k---k--- (k = one keepalive on s)
    result:   --s-------------------
    ```

    Args:
        interval: Seconds between keepalives.
        scheduler: The timer's scheduler (default: the running asyncio loop's).

    Returns:
        An operator that passes sessions through and keeps them alive exactly as
        long as the subscription lasts.
    """
    from ._keepalive import keepalive_

    return keepalive_(interval, scheduler)  # type: ignore[return-value]


def events(*kinds: str) -> Callable[[Observable[Any]], Observable[JSON]]:
    """Switch from handles or sessions to their events, keeping only ``kinds``.

    ```text
    handle:   --h------------------
    events:   ----e1--x--e2--------  (x does not match)
    result:   ----e1-----e2--------
    ```

    A message matches a kind by its ``janus`` field (``"webrtcup"``,
    ``"hangup"``), its plugin's event type (``"joined"``, ``"talking"``) or a
    key of its plugin data (``"publishers"``, ``"unpublished"``). No kinds: all.

    Returns:
        An operator from anything with ``events`` to its matching messages.
    """
    from ._events import events_

    return events_(*kinds)


def frames(kind: MediaKind) -> Callable[[Observable[WebRTCPlugin]], Observable[Any]]:
    """Switch from media handles to their remote ``kind`` frames.

    ```text
    handle:   --h--------------------
    frames:   -----f-f-f-f-f-f-f-f-f-  (av.VideoFrame / av.AudioFrame)
    ```

    Returns:
        An operator from handles to frames (hot: the latest frame wins for a
        slow observer).
    """
    from ._frames import frames_

    return frames_(kind)


def retry_with_backoff(
    max_retries: int | None = None,
    *,
    initial_delay: float = 1.0,
    factor: float = 2.0,
    max_delay: float = 30.0,
    should_retry: Callable[[Exception], bool] | None = None,
    scheduler: abc.SchedulerBase | None = None,
) -> Callable[[Observable[T]], Observable[T]]:
    """On error, subscribe to the source again after a growing delay.

    ```text
    source:   --a--#            --b--#               --c--
    result:   --a-----(1s)------b--------(1s)--------c--
    ```

    The delays come from [`rxjanus.protocol.backoff`][rxjanus.protocol.backoff] and start over once
    the source emits a value again. Put it upstream of sharing, so each retry
    re-creates what failed (a session, a handle).

    Args:
        max_retries: Retries after consecutive failures before the error is
            passed on (None: without end).
        initial_delay: Seconds before the first retry.
        factor: Growth of each delay.
        max_delay: The cap on a delay.
        should_retry: Which errors to retry (default: all).
        scheduler: The timer's scheduler (default: the running asyncio loop's).

    Returns:
        The operator.
    """
    from ._retry import retry_with_backoff_

    return retry_with_backoff_(
        max_retries,
        initial_delay=initial_delay,
        factor=factor,
        max_delay=max_delay,
        should_retry=should_retry,
        scheduler=scheduler,
    )


def share_resettable() -> Callable[[Observable[T]], Observable[T]]:
    """Share one subscription to the source among observers, and start over after it ends.

    ```text
    source:   --a--b--|      (subscribed once for A and B)
    A:        --a--b--|
    B:          ---b--|
    C (later):          --a'--b'--   (a new subscription to the source)
    ```

    Unlike RxPY's ``share()``, a subscriber that comes after the source
    completed or errored subscribes to the source anew instead of getting the
    old end. The source is disposed when the last observer leaves.

    Returns:
        The operator.
    """
    from ._share import share_resettable_

    return share_resettable_()


def join(
    room_id: int | str, username: str | None = None, **options: Any
) -> Callable[[Observable[JanusPlugin]], Observable[Any]]:
    """Join each VideoRoom or TextRoom handle to a room; disposal leaves it first.

    ```text
    handle:   --h------------
    join:     -----j---------   (j: the same handle, joined; leaves on dispose)
    ```

    Args:
        room_id: The room.
        username: The display name (VideoRoom) or username (TextRoom).
        **options: Passed to the handle's ``join`` / ``join_room``.

    Returns:
        An operator from handles to joined handles.
    """
    from ._join import join_

    return join_(room_id, username, **options)


def publish(
    source: MediaSource, **options: Any
) -> Callable[[Observable[WebRTCPlugin]], Observable[Any]]:
    """Send media on each handle; disposal stops it (unpublish, or close the stream).

    ```text
    handle:   --h------------
    publish:  ------p--------   (p: the same handle, media flowing)
    ```

    VideoRoom handles ``publish``; EchoTest handles ``start``. ``source`` is a
    file path or URL, a ``MediaPlayer``, a track, or an observable of video
    frames (for instance the transformed frames of another feed).

    Args:
        source: What to send.
        **options: Passed to ``publish`` / ``start``.

    Returns:
        An operator from handles to publishing handles.
    """
    from ._publish import publish_

    return publish_(source, **options)


def watch(
    room_id: int,
    feed_id: int,
    *,
    streams: list[JSON] | None = None,
    pc_config: RTCConfiguration | None = None,
    trickle: bool = True,
    plugin: type[JanusVideoRoomPlugin] = JanusVideoRoomPlugin,
    **options: Any,
) -> Callable[[Observable[JanusSession]], Observable[JanusVideoRoomPlugin]]:
    """Subscribe to a VideoRoom feed on a new handle of each session; disposal leaves it.

    ```text
    session:  --s-----------------------
    watch:    ------h-------------------   (h: subscriber handle on feed_id, media up)
    dispose:                  ^            leave (closes the PeerConnection), then detach
    ```

    The stream errors with the session's ``SessionLost`` or the plugin's
    ``VideoRoomError`` (e.g. 428: no such feed), and completes when Janus
    detaches the handle.

    Args:
        room_id: The room.
        feed_id: The publisher to receive (all of its streams).
        streams: Instead, exactly which streams (``[{"feed": id, "mid": "0"}]``).
        pc_config: The handle's ``RTCConfiguration``.
        trickle: Trickle ICE.
        plugin: The handle class (a subclass, or a stand-in in tests).
        **options: Passed to ``subscribe_to_publisher`` (``use_msid``, ``private_id`` ...).

    Returns:
        An operator from sessions to subscribed handles.
    """
    from ._watch import watch_

    return watch_(
        room_id,
        feed_id,
        streams=streams,
        pc_config=pc_config,
        trickle=trickle,
        plugin=plugin,
        **options,
    )


def share_latest() -> Callable[[Observable[T]], Observable[T]]:
    """Share one subscription, give late observers the latest value, start over after the end.

    ```text
    source:    --a-----b-----|       (subscribed once for A and B)
    A:         --a-----b-----|
    B (late):      a---b-----|       (gets the latest at once)
    C (after):               --a'--b'--   (a new subscription; never the dead a)
    ```

    For resources shared by several consumers, e.g. one session for many handles
    or web requests. The latest value is forgotten when the source ends or the
    last observer leaves.

    Returns:
        The operator.
    """
    from ._share import share_latest_

    return share_latest_()


# ----------------------------------------------------- Janus event-handler streams


def of_session(session_id: int) -> Callable[[Observable[JanusEvent]], Observable[JanusEvent]]:
    """Keep the events of one session; complete after it is destroyed or times out.

    ```text
    events:   --c1--h1--x--s1:created--h1--x--s1:destroyed--c1--
    result:   --c1--h1-----s1:created--h1-----s1:destroyed|
    ```

    (``c1``, ``h1``: events of session 1 and of its handles; ``x``: others.)

    Args:
        session_id: The session, as the client saw it (``session.session_id``).

    Returns:
        An operator on [`JanusEvent`][rxjanus.eventhandlers.events.JanusEvent]s.
    """
    from ._of_session import of_session_

    return of_session_(session_id)


def of_handle(handle_id: int) -> Callable[[Observable[JanusEvent]], Observable[JanusEvent]]:
    """Keep the events of one handle; complete after it is detached.

    ```text
    events:   --h:attached--x--h:jsep--h:webrtc--x--h:detached--h--
    result:   --h:attached-----h:jsep--h:webrtc-----h:detached|
    ```

    Args:
        handle_id: The handle, as the client saw it (``plugin.id``).

    Returns:
        An operator on [`JanusEvent`][rxjanus.eventhandlers.events.JanusEvent]s.
    """
    from ._of_handle import of_handle_

    return of_handle_(handle_id)


def media_quality(
    window: float, *, max_media: int = 10_000, scheduler: abc.SchedulerBase | None = None
) -> Callable[[Observable[JanusEvent]], Observable[MediaQuality]]:
    """Per handle and medium, what Janus' media stats say about each window.

    ```text
    events:   --s1---s2--d---s3-----s4-------   (s: stats of a handle's video)
    window:   ----------|----------|---------|
    result:   ----------q1---------q2--------q3  (q1 from s1..s2, q2 from s2..s3 ...)
    ```

    Each window emits one [`MediaQuality`][rxjanus.eventhandlers.derived.MediaQuality]
    per medium that had stats in it: packets, loss, bitrates in and out, RTT,
    jitter and NACKs since the stats before. Janus sends stats every
    ``stats_period`` seconds (``janus.jcfg``, default 5): pick a window at least
    that long. A handle's detach (``d``) forgets it after its last window; at
    most ``max_media`` media are remembered (the least recent go first, logged).

    Args:
        window: Seconds per window.
        max_media: The most (handle, medium) baselines kept.
        scheduler: The window timer's scheduler (default: the running asyncio loop's).

    Returns:
        An operator from events to media quality.
    """
    from ._media_quality import media_quality_

    return media_quality_(window, max_media=max_media, scheduler=scheduler)


def alerts(
    no_media_after: float, *, scheduler: abc.SchedulerBase | None = None
) -> Callable[[Observable[JanusEvent]], Observable[Alert]]:
    """Raise alerts: slow links, ICE and DTLS failures, handles without media.

    ```text
    events:   --up----st----sl----------------ice:failed--
    timer:          |--N--|restart    |--N--|
    result:   ----------------a:slowlink----a:no-media--a:ice-failed--
    ```

    Each is an [`Alert`][rxjanus.eventhandlers.derived.Alert]. ``slowlink``,
    ``ice-failed`` and ``dtls-failed`` come with their event. A
    handle whose PeerConnection is up (``webrtcup``) and whose stats show no new
    incoming packets (and no ``receiving: true``) for ``no_media_after`` seconds
    raises ``no-media`` once, again after media came back and stopped again;
    hangup or detach stops watching it. Janus reports packets with its stats,
    every ``stats_period`` seconds: make ``no_media_after`` longer.

    Args:
        no_media_after: Seconds without incoming media before ``no-media``.
        scheduler: The timers' scheduler (default: the running asyncio loop's).

    Returns:
        An operator from events to alerts.
    """
    from ._alerts import alerts_

    return alerts_(no_media_after, scheduler=scheduler)


def with_admin_view(
    snapshots: Observable[ServerSnapshot],
) -> Callable[[Observable[JanusEvent]], Observable[ViewedEvent]]:
    """Pair each event with the Admin API's latest view of the server.

    ```text
    snapshots: ----S1-----------S2------
    events:    --a----b----c-------d----
    result:    --(a,-)(b,S1)(c,S1)(d,S2)
    ```

    ``snapshots`` is typically ``admin.watch(1.0, handles=True)``; each
    [`ViewedEvent`][rxjanus.eventhandlers.derived.ViewedEvent] says whether the
    server listed the event's session (and handle) then: events of sessions it no
    longer lists, or listed sessions that stay silent, stand out. Disposal
    disposes both subscriptions; the result ends with the events, or with an
    error of either.

    Args:
        snapshots: The Admin API's [`ServerSnapshot`][rxjanus.admin.ServerSnapshot]s.

    Returns:
        An operator from events to viewed events.
    """
    from ._with_admin_view import with_admin_view_

    return with_admin_view_(snapshots)


def bounded(
    maxsize: int, scheduler: abc.SchedulerBase | None = None
) -> Callable[[Observable[T]], BoundedObservable[T]]:
    """Deliver through a buffer of ``maxsize``; a consumer that falls behind loses the oldest.

    ```text
    source:   --(abcd)------e--        (a burst, e.g. one batch of events)
    bounded(2), delivered one a turn:
    result:   ------c-d-----e--        (a, b dropped: dropped == 2)
    ```

    Values are delivered on ``scheduler``, one per turn, so a producer keeps
    running between them; whatever arrives while ``maxsize`` values wait pushes
    out the oldest. The result's ``dropped`` counts the losses (all
    subscriptions), and the first drop, then every 1000th, is logged. Memory
    stays bounded however slow the consumer (``rxjanus.aio.iterate`` does the
    same for ``async for`` loops).

    Args:
        maxsize: The most values waiting per subscription.
        scheduler: Where values are delivered (default: the running asyncio loop).

    Returns:
        An operator whose result has a ``dropped`` counter.
    """
    from ._bounded import bounded_

    return bounded_(maxsize, scheduler)
