"""Typed Janus event-handler events: one frozen dataclass per Janus event type.

Janus (``src/events.c``) sends every event as a JSON object:

```python
{"emitter": "server-name", "type": 32, "subtype": 3, "timestamp": 1700000000000000,
 "session_id": 1, "handle_id": 2, "opaque_id": "...", "event": {...}}
```

``type`` is one bit of Janus' event mask (1 session, 2 handle, 4 external, 8
JSEP, 16 WebRTC, 32 media, 64 plugin, 128 transport, 256 core); ``subtype``
refines core, WebRTC and media events; ``event`` is the type's body.
[`parse_event`][rxjanus.eventhandlers.events.parse_event] turns one object into
the matching class; every class keeps the decoded object as ``raw``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Final

__all__ = [
    "CoreEvent",
    "CoreSubtype",
    "EventType",
    "ExternalEvent",
    "HandleEvent",
    "JanusEvent",
    "JsepEvent",
    "MalformedEvent",
    "MediaEvent",
    "MediaStats",
    "MediaSubtype",
    "PluginEvent",
    "SessionEvent",
    "TransportEvent",
    "UnknownEvent",
    "WebRTCEvent",
    "WebRTCSubtype",
    "decode_payload",
    "parse_event",
]

logger = logging.getLogger(__name__)


class EventType(IntEnum):
    """Janus' event types (``JANUS_EVENT_TYPE_*`` in ``events/eventhandler.h``)."""

    SESSION = 1
    HANDLE = 2
    EXTERNAL = 4
    JSEP = 8
    WEBRTC = 16
    MEDIA = 32
    PLUGIN = 64
    TRANSPORT = 128
    CORE = 256


class CoreSubtype(IntEnum):
    """Subtypes of core events."""

    STARTUP = 1
    SHUTDOWN = 2


class WebRTCSubtype(IntEnum):
    """Subtypes of WebRTC events."""

    ICE = 1
    LOCAL_CANDIDATE = 2
    REMOTE_CANDIDATE = 3
    SELECTED_PAIR = 4
    DTLS = 5
    STATE = 6


class MediaSubtype(IntEnum):
    """Subtypes of media events."""

    STATE = 1
    SLOWLINK = 2
    STATS = 3


class MalformedEvent(ValueError):
    """A payload or an item of a batch that is not a Janus event."""


@dataclass(frozen=True, slots=True)
class JanusEvent:
    """One event from a Janus event handler.

    Attributes:
        type: The event type (an [`EventType`][rxjanus.eventhandlers.events.EventType] value).
        subtype: The subtype, or None.
        timestamp: Janus' real-time clock when the event happened, in microseconds.
        emitter: The server's ``server_name``, or None.
        session_id: The session, or None (core and external events, some plugin
            and transport events).
        handle_id: The handle, or None.
        opaque_id: The handle's opaque id, or None.
        body: The type's body (Janus' ``event`` member): an object, or for
            combined media stats a list.
        raw: The whole decoded event as Janus sent it.
    """

    type: int
    subtype: int | None
    timestamp: int
    emitter: str | None
    session_id: int | None
    handle_id: int | None
    opaque_id: str | None
    body: Any
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    def _get(self, key: str) -> Any:
        return self.body.get(key) if isinstance(self.body, Mapping) else None


@dataclass(frozen=True, slots=True)
class SessionEvent(JanusEvent):
    """A session was created, destroyed or timed out (type 1)."""

    @property
    def name(self) -> str | None:
        """``"created"``, ``"destroyed"`` or ``"timeout"``."""
        return _str(self._get("name"))

    @property
    def transport(self) -> Mapping[str, Any] | None:
        """The transport that created the session (``transport``, ``id``), if given."""
        value = self._get("transport")
        return value if isinstance(value, Mapping) else None


@dataclass(frozen=True, slots=True)
class HandleEvent(JanusEvent):
    """A handle was attached or detached (type 2)."""

    @property
    def name(self) -> str | None:
        """``"attached"`` or ``"detached"``."""
        return _str(self._get("name"))

    @property
    def plugin(self) -> str | None:
        """The plugin's package name (``"janus.plugin.echotest"``)."""
        return _str(self._get("plugin"))


@dataclass(frozen=True, slots=True)
class JsepEvent(JanusEvent):
    """An SDP offer or answer went through Janus (type 8)."""

    @property
    def owner(self) -> str | None:
        """``"local"`` (Janus sent it) or ``"remote"`` (the user sent it)."""
        return _str(self._get("owner"))

    @property
    def sdp_type(self) -> str | None:
        """``"offer"`` or ``"answer"``."""
        jsep = self._get("jsep")
        return _str(jsep.get("type")) if isinstance(jsep, Mapping) else None

    @property
    def sdp(self) -> str | None:
        """The SDP."""
        jsep = self._get("jsep")
        return _str(jsep.get("sdp")) if isinstance(jsep, Mapping) else None


@dataclass(frozen=True, slots=True)
class WebRTCEvent(JanusEvent):
    """ICE, DTLS, candidates and PeerConnection state (type 16)."""

    @property
    def ice(self) -> str | None:
        """The ICE state (``"connecting"``, ``"ready"``, ``"failed"`` ...), if this is one."""
        return _str(self._get("ice"))

    @property
    def dtls(self) -> str | None:
        """The DTLS state (``"trying"``, ``"connected"``, ``"failed"`` ...), if this is one."""
        return _str(self._get("dtls"))

    @property
    def connection(self) -> str | None:
        """``"webrtcup"`` or ``"hangup"`` for PeerConnection state events."""
        return _str(self._get("connection"))

    @property
    def reason(self) -> str | None:
        """The hangup reason, if any."""
        return _str(self._get("reason"))


@dataclass(frozen=True, slots=True)
class MediaStats:
    """One medium's counters from a media stats event (cumulative since the start).

    Attributes:
        mid: The m-line's mid.
        media: ``"audio"``, ``"video"``, ``"data"`` (or ``"video-sim1"``/``"video-sim2"``).
        codec: The codec, or None.
        packets_received: Packets Janus received from the peer.
        packets_sent: Packets Janus sent to the peer.
        bytes_received: Bytes Janus received.
        bytes_sent: Bytes Janus sent.
        bytes_received_lastsec: Bytes received in the last second.
        bytes_sent_lastsec: Bytes sent in the last second.
        lost: Packets lost on the way in (from Janus' RTCP context).
        lost_by_remote: Packets the peer reported lost.
        rtt: The round-trip time in milliseconds (0 until RTCP has told).
        jitter_local: Jitter of what Janus receives.
        jitter_remote: Jitter the peer reports.
        nacks_received: NACKs the peer sent Janus.
        nacks_sent: NACKs Janus sent the peer.
        retransmissions_received: Retransmitted packets Janus received.
    """

    mid: str | None
    media: str | None
    codec: str | None
    packets_received: int
    packets_sent: int
    bytes_received: int
    bytes_sent: int
    bytes_received_lastsec: int
    bytes_sent_lastsec: int
    lost: int
    lost_by_remote: int
    rtt: int
    jitter_local: int
    jitter_remote: int
    nacks_received: int
    nacks_sent: int
    retransmissions_received: int

    @classmethod
    def from_json(cls, info: Mapping[str, Any]) -> MediaStats:
        """Read one medium's stats object (missing counters are 0)."""

        def count(key: str) -> int:
            value = info.get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else 0

        return cls(
            mid=_str(info.get("mid")),
            media=_str(info.get("media")),
            codec=_str(info.get("codec")),
            packets_received=count("packets-received"),
            packets_sent=count("packets-sent"),
            bytes_received=count("bytes-received"),
            bytes_sent=count("bytes-sent"),
            bytes_received_lastsec=count("bytes-received-lastsec"),
            bytes_sent_lastsec=count("bytes-sent-lastsec"),
            lost=count("lost"),
            lost_by_remote=count("lost-by-remote"),
            rtt=count("rtt"),
            jitter_local=count("jitter-local"),
            jitter_remote=count("jitter-remote"),
            nacks_received=count("nacks-received"),
            nacks_sent=count("nacks-sent"),
            retransmissions_received=count("retransmissions-received"),
        )


@dataclass(frozen=True, slots=True)
class MediaEvent(JanusEvent):
    """Media state, slow link and stats of a handle (type 32)."""

    @property
    def media(self) -> str | None:
        """The medium of a state or slow-link event (``"audio"``, ``"video"``)."""
        return _str(self._get("media"))

    @property
    def receiving(self) -> bool | None:
        """For a media state event: whether Janus receives that medium now."""
        value = self._get("receiving")
        return value if isinstance(value, bool) else None

    @property
    def slow_link(self) -> str | None:
        """For a slow-link event: ``"uplink"`` or ``"downlink"``."""
        return _str(self._get("slow_link"))

    @property
    def lost_lastsec(self) -> int | None:
        """For a slow-link event: packets lost in the last second."""
        value = self._get("lost_lastsec")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def stats(self) -> tuple[MediaStats, ...]:
        """For a stats event: one entry per medium (one, or all with ``combine_media_stats``)."""
        if self.subtype != MediaSubtype.STATS:
            return ()
        items = self.body if isinstance(self.body, list) else [self.body]
        return tuple(MediaStats.from_json(item) for item in items if isinstance(item, Mapping))


@dataclass(frozen=True, slots=True)
class PluginEvent(JanusEvent):
    """An event a plugin reported (type 64)."""

    @property
    def plugin(self) -> str | None:
        """The plugin's package name."""
        return _str(self._get("plugin"))

    @property
    def data(self) -> Any:
        """What the plugin reported (its own format)."""
        return self._get("data")


@dataclass(frozen=True, slots=True)
class TransportEvent(JanusEvent):
    """An event a transport reported, e.g. a WebSocket connecting (type 128)."""

    @property
    def transport(self) -> str | None:
        """The transport's package name (``"janus.transport.websockets"``)."""
        return _str(self._get("transport"))

    @property
    def transport_id(self) -> str | None:
        """Janus' hashed id of the transport instance (connection)."""
        return _str(self._get("id"))

    @property
    def data(self) -> Any:
        """What the transport reported."""
        return self._get("data")


@dataclass(frozen=True, slots=True)
class CoreEvent(JanusEvent):
    """The server started or is shutting down (type 256)."""

    @property
    def status(self) -> str | None:
        """``"started"`` or ``"shutdown"``."""
        return _str(self._get("status"))


@dataclass(frozen=True, slots=True)
class ExternalEvent(JanusEvent):
    """An event pushed through the Admin API's ``custom_event`` (type 4)."""

    @property
    def schema(self) -> str | None:
        """The schema the sender named."""
        return _str(self._get("schema"))

    @property
    def data(self) -> Any:
        """The sender's data."""
        return self._get("data")


@dataclass(frozen=True, slots=True)
class UnknownEvent(JanusEvent):
    """An event of a type this version of rxjanus does not know; see ``raw``."""


_CLASSES: Final[Mapping[int, type[JanusEvent]]] = {
    EventType.SESSION: SessionEvent,
    EventType.HANDLE: HandleEvent,
    EventType.EXTERNAL: ExternalEvent,
    EventType.JSEP: JsepEvent,
    EventType.WEBRTC: WebRTCEvent,
    EventType.MEDIA: MediaEvent,
    EventType.PLUGIN: PluginEvent,
    EventType.TRANSPORT: TransportEvent,
    EventType.CORE: CoreEvent,
}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(item: Mapping[str, Any], key: str, *, required: bool = False) -> int | None:
    value = item.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise MalformedEvent(f"{key!r} must be an integer, got {type(value).__name__}")
    return value


def parse_event(item: object) -> JanusEvent:
    """Turn one decoded Janus event into its typed class.

    An event of a type not in [`EventType`][rxjanus.eventhandlers.events.EventType]
    becomes an [`UnknownEvent`][rxjanus.eventhandlers.events.UnknownEvent]
    (the caller logs it).

    Args:
        item: One decoded JSON value.

    Returns:
        The typed event.

    Raises:
        MalformedEvent: Not an object, no integer ``type``, or an id that is not
            an integer.
    """
    if not isinstance(item, Mapping):
        raise MalformedEvent(f"an event must be a JSON object, got {type(item).__name__}")
    event_type = _int(item, "type", required=True)
    assert event_type is not None
    opaque = item.get("opaque_id")
    emitter = item.get("emitter")
    cls = _CLASSES.get(event_type, UnknownEvent)
    return cls(
        type=event_type,
        subtype=_int(item, "subtype"),
        timestamp=_int(item, "timestamp") or 0,
        emitter=emitter if isinstance(emitter, str) else None,
        session_id=_int(item, "session_id"),
        handle_id=_int(item, "handle_id"),
        opaque_id=opaque if isinstance(opaque, str) else None,
        body=item.get("event"),
        raw=item,
    )


def decode_payload(payload: bytes | str) -> list[Any]:
    """Decode one message of an event handler: a grouped batch (a list) or one event.

    Args:
        payload: The message as received.

    Returns:
        The decoded items, not yet checked one by one.

    Raises:
        MalformedEvent: Not UTF-8 JSON, or neither a list nor an object.
    """
    try:
        decoded = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedEvent(f"not JSON: {exc}") from None
    if isinstance(decoded, dict):
        return [decoded]
    if isinstance(decoded, list):
        return decoded
    raise MalformedEvent(f"expected a JSON list or object, got {type(decoded).__name__}")
