"""The Streaming plugin: mountpoints that relay RTP (or files) to WebRTC viewers.

A *mountpoint* receives media from outside Janus (plain RTP on UDP ports, an
RTSP server, or an audio file for ``live``/``ondemand`` ones) and relays it
to every viewer. Mountpoint management (``list``, ``info``, ``create``,
``edit``, ``enable``, ``disable``, ``kick_all``, ``recording``, ``destroy``)
works on any handle; a handle *watches* one mountpoint at a time: Janus
offers, we answer with ``start``, and the frames arrive on
[`frames`][rxjanus.plugins.webrtc.WebRTCPlugin.frames].

Requests and events are as the header of Janus's ``janus_streaming.c``
describes them (Janus 1.1.x, multistream mountpoints with a ``media`` list).
Replies to our requests are returned; everything unsolicited (``started``
once media flows, ``stopped`` when the mountpoint goes, ``kicked_all``,
``edited`` with ``edited_event``, simulcast/SVC layer changes) goes to
``events``, and to the janus_client-style handlers of
[`on_event`][rxjanus.plugins.base.JanusPlugin.on_event].
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal

from aiortc import RTCConfiguration
from aiortc.contrib.media import MediaRecorder
from reactivex import Observable

from ..exceptions import InvalidStateError, PluginError, ProtocolError
from ..media import WebRTCPeer
from ..protocol import JSON, plugin_data
from .base import classify, event_data, request_body, sends
from .webrtc import WebRTCPlugin

__all__ = [
    "JanusStreamingPlugin",
    "StreamingError",
    "StreamingErrorCode",
    "StreamingEventType",
    "rtp_media",
    "streaming_event_type",
]

logger = logging.getLogger(__name__)


"""A janus_client-style event handler: takes the plugin data; may be async."""

MountpointType = Literal["rtp", "live", "ondemand", "rtsp"]
MediaType = Literal["audio", "video", "data"]


class StreamingError(PluginError):
    """An error the Streaming plugin answered with; its codes are `StreamingErrorCode`s."""

    label = "Streaming"


class StreamingErrorCode(enum.IntEnum):
    """The Streaming plugin's error codes (``JANUS_STREAMING_ERROR_*``)."""

    NO_MESSAGE = 450
    INVALID_JSON = 451
    INVALID_REQUEST = 452
    MISSING_ELEMENT = 453
    INVALID_ELEMENT = 454
    NO_SUCH_MOUNTPOINT = 455
    CANT_CREATE = 456
    UNAUTHORIZED = 457
    CANT_SWITCH = 458
    CANT_RECORD = 459
    INVALID_STATE = 460
    UNKNOWN_ERROR = 470


class StreamingEventType(enum.Enum):
    """Kinds of Streaming plugin messages, for `JanusStreamingPlugin.on_event`.

    ``PREPARING``, ``STARTING``, ``PAUSING``, ``STOPPING``, ``SWITCHED``,
    ``CONFIGURED`` and ``DESTROYED`` answer our own requests; ``STARTED``
    (media flows), ``STOPPED`` (the mountpoint was destroyed), ``KICKED_ALL``,
    ``EDITED`` and the layer changes (``SUBSTREAM``, ``TEMPORAL``,
    ``SPATIAL_LAYER``, ``TEMPORAL_LAYER``) come on their own.
    """

    PREPARING = "preparing"
    UPDATING = "updating"
    STARTING = "starting"
    STARTED = "started"
    PAUSING = "pausing"
    STOPPING = "stopping"
    STOPPED = "stopped"
    SWITCHED = "switched"
    CONFIGURED = "configured"
    KICKED_ALL = "kicked_all"
    EDITED = "edited"
    DESTROYED = "destroyed"
    SUBSTREAM = "substream"
    TEMPORAL = "temporal"
    SPATIAL_LAYER = "spatial_layer"
    TEMPORAL_LAYER = "temporal_layer"
    ERROR = "error"


_STATUSES = frozenset(
    {"preparing", "updating", "starting", "started", "pausing", "stopping", "stopped", "kicked_all"}
)
_RESULT_KEYS = ("switched", "substream", "temporal", "spatial_layer", "temporal_layer")


def streaming_event_type(message: JSON) -> StreamingEventType | None:
    """Classify a Streaming message (a whole Janus message or its plugin data).

    Example:
        >>> streaming_event_type({"streaming": "event", "result": {"status": "started"}})
        <StreamingEventType.STARTED: 'started'>

    Returns:
        The message's kind, or None if it is none of
        [`StreamingEventType`][rxjanus.plugins.streaming.StreamingEventType].
    """
    data = event_data(message)
    if "streaming" not in data and data.get("event") == "edited":
        return StreamingEventType.EDITED  # the viewers' notice of an edit (no "streaming" key)
    # destroyed, edited and kicked_all also answer destroy, edit and kick_all
    replies = ("destroyed", "edited", "kicked_all")
    return classify(data, "streaming", StreamingEventType, _result_kind, replies=replies)


def _result_kind(data: JSON) -> str | None:
    result = data.get("result")
    if not isinstance(result, dict):
        return None
    if result.get("status") in _STATUSES:
        return str(result["status"])
    if "switched" not in result and result.get("event") == "configured":
        return "configured"
    return next((key for key in _RESULT_KEYS if key in result), None)


def rtp_media(
    type: MediaType,
    mid: str,
    *,
    port: int = 0,
    pt: int | None = None,
    codec: str | None = None,
    iface: str | None = None,
    label: str | None = None,
    fmtp: str | None = None,
    rtcpport: int | None = None,
    **options: Any,
) -> JSON:
    """One entry of an RTP mountpoint's ``media`` list.

    Args:
        type: ``"audio"``, ``"video"`` or ``"data"``.
        mid: The stream's mid in the viewers' SDP (unique in the mountpoint).
        port: The UDP port to receive it on; 0 lets Janus pick one (read it
            back from ``create_mountpoint(...)["stream"]["ports"]``).
        pt: The RTP payload type (audio and video).
        codec: The codec's name, e.g. ``"opus"`` or ``"vp8"``.
        iface: The address to bind to, e.g. ``"127.0.0.1"`` (default: all).
        label: A text label for the stream.
        fmtp: The codec's SDP fmtp parameters.
        rtcpport: A port for RTCP with the source (keyframe requests).
        **options: Other fields: ``msid``, ``mcast``, ``skew``, ``bufferkf``,
            ``simulcast``, ``port2``, ``port3``, ``svc``, ``buffermsg``,
            ``datatype``...

    Example:
        >>> rtp_media("video", "v", pt=96, codec="vp8", iface="127.0.0.1")
        {'type': 'video', 'mid': 'v', 'port': 0, 'pt': 96, 'codec': 'vp8', 'iface': '127.0.0.1'}
    """
    fields = {"pt": pt, "codec": codec, "iface": iface, "label": label, "fmtp": fmtp}
    fields["rtcpport"] = rtcpport
    entry: JSON = {"type": type, "mid": mid, "port": port}
    entry.update((key, value) for key, value in fields.items() if value is not None)
    return entry | options


class JanusStreamingPlugin(WebRTCPlugin):
    """A handle on ``janus.plugin.streaming``: mountpoint admin and watching.

    Plugin errors raise [`StreamingError`][rxjanus.plugins.streaming.StreamingError] (a
    [`PluginError`][rxjanus.exceptions.PluginError]).

    Example:
        >>> streaming = JanusStreamingPlugin()  # doctest: +SKIP
        >>> await streaming.attach(session)  # doctest: +SKIP
        >>> created = await streaming.create_mountpoint(
        ...     media=[rtp_media("video", "v", pt=96, codec="vp8")]
        ... )  # doctest: +SKIP
        >>> mountpoint = created["stream"]  # doctest: +SKIP
        >>> await streaming.watch(mountpoint["id"])  # doctest: +SKIP
        >>> streaming.frames("video").subscribe(print)  # doctest: +SKIP
    """

    name = "janus.plugin.streaming"
    error_class = StreamingError
    classify_event = staticmethod(streaming_event_type)
    answer_request = "start"

    janus_events: ClassVar[Mapping[str, str]] = {
        "list": "returned by list_mountpoints() (the list)",
        "info": "returned by mountpoint_info() (the info)",
        "created": "returned by create_mountpoint() (with the stream's id and ports)",
        "edited": "returned by edit_mountpoint(); with edited_event=True the viewers get it "
        "on events (StreamingEventType.EDITED, with the new metadata)",
        "destroyed": "returned by destroy_mountpoint(); on_event(StreamingEventType.DESTROYED)",
        "ok": "returned by enable_mountpoint(), disable_mountpoint(), recording(), "
        "start_recording(), stop_recording()",
        "kicked_all": "returned by kick_all(); its viewers get it on events "
        "(StreamingEventType.KICKED_ALL), then a hangup",
        "preparing": "returned by watch(), whose offer the handle answers with start; "
        "on_event(StreamingEventType.PREPARING)",
        "starting": "returned by start() (and sent back for watch()'s answer); "
        "on_event(StreamingEventType.STARTING)",
        "pausing": "returned by pause(); on_event(StreamingEventType.PAUSING)",
        "switched": "returned by switch(); on_event(StreamingEventType.SWITCHED)",
        "stopping": "returned by stop(), which then waits for Janus's hangup",
        "error": "raised as StreamingError (a PluginError) by the method that sent the "
        "request; on_event(StreamingEventType.ERROR)",
        # Not in the header comment, but pushed by janus_streaming.c (1.1.2):
        "started": "events (StreamingEventType.STARTED) once Janus relays media; "
        "returned by start() after a pause",
        "stopped": "events (StreamingEventType.STOPPED) when the mountpoint is destroyed, "
        "then a hangup",
        "updating": "the reply to an ICE restart (watch with restart=True), classified as "
        "StreamingEventType.UPDATING; watch() does not ask for one (aiortc cannot restart ICE)",
        "configured": "returned by configure(); on_event(StreamingEventType.CONFIGURED)",
        "substream": "events (StreamingEventType.SUBSTREAM): the simulcast substream now relayed",
        "temporal": "events (StreamingEventType.TEMPORAL): the simulcast temporal layer now "
        "relayed",
        "spatial_layer": "events (StreamingEventType.SPATIAL_LAYER): the VP9-SVC spatial layer",
        "temporal_layer": "events (StreamingEventType.TEMPORAL_LAYER): the VP9-SVC temporal layer",
    }

    _mountpoint_id: int | str | None = None
    _paused: bool = False
    _channel_peer: WebRTCPeer | None = None

    def __init__(self, pc_config: RTCConfiguration | None = None, *, trickle: bool = True) -> None:
        super().__init__(pc_config, trickle=trickle)
        self._hungup = asyncio.Event()

    # -- state ----------------------------------------------------------------------

    @property
    def mountpoint_id(self) -> int | str | None:
        """The mountpoint watched (after [`watch`][..watch] or [`switch`][..switch]), or None."""
        return self._mountpoint_id

    @property
    def is_watching(self) -> bool:
        """Whether a watch's PeerConnection is up (until stop, hangup or kick)."""
        return self._mountpoint_id is not None and self._up_peer is not None

    @property
    def paused(self) -> bool:
        """Whether we paused the media with [`pause`][..pause]."""
        return self._paused

    @property
    def data_messages(self) -> Observable[str | bytes]:
        """Messages of the mountpoint's data stream (a data channel), as a hot observable.

        Completes when the PeerConnection closes; subscribe again after a new watch.
        """
        return self.peer.data_messages

    # -- mountpoint administration --------------------------------------------------

    @sends("list")
    async def list_mountpoints(
        self, admin_key: str | None = None, timeout: float | None = None
    ) -> list[JSON]:
        """List the public mountpoints (the private ones too with the ``admin_key``).

        Returns:
            One dict a mountpoint: ``id``, ``type``, ``description``,
            ``metadata``, ``enabled`` and its ``media`` (``mid``, ``type``,
            ``label``, ``age_ms``).
        """
        data = await self._call("list", admin_key=admin_key, timeout=timeout)
        return list(data.get("list", []))

    @sends("info")
    async def mountpoint_info(
        self,
        mountpoint_id: int | str,
        secret: str | None = None,
        timeout: float | None = None,
    ) -> JSON:
        """Return what Janus knows of a mountpoint (everything, with its ``secret``).

        Returns:
            The ``info`` object: ``id``, ``name``, ``description``, ``enabled``,
            ``viewers``, ``type``, ``media`` (``mid``, ``pt``, ``codec``,
            ``port`` with the secret...).
        """
        data = await self._call("info", id=mountpoint_id, secret=secret, timeout=timeout)
        return dict(data.get("info", {}))

    @sends("create")
    async def create_mountpoint(
        self,
        mountpoint_id: int | str | None = None,
        *,
        type: MountpointType = "rtp",
        name: str | None = None,
        description: str | None = None,
        metadata: str | None = None,
        secret: str | None = None,
        pin: str | None = None,
        is_private: bool = False,
        media: list[JSON] | None = None,
        filename: str | Path | None = None,
        permanent: bool = False,
        admin_key: str | None = None,
        timeout: float | None = None,
        **options: Any,
    ) -> JSON:
        """Create a mountpoint; Janus picks the id (and name) when not given.

        Args:
            mountpoint_id: The mountpoint's id.
            type: ``"rtp"`` (media from another tool, on UDP ports),
                ``"live"`` or ``"ondemand"`` (an audio file: ``.opus``,
                ``.alaw`` or ``.mulaw``), or ``"rtsp"`` (needs ``url``).
            name: Its unique name.
            description: Its pretty name.
            metadata: Any text for viewers (e.g. JSON).
            secret: Needed to query it in full, edit, record, enable, disable
                or destroy it.
            pin: Needed to watch it.
            is_private: Leave it out of
                [`list_mountpoints`][rxjanus.plugins.streaming.JanusStreamingPlugin.list_mountpoints].
            media: For ``rtp``: the streams, e.g. ``[rtp_media("video", "v",
                pt=96, codec="vp8"), rtp_media("audio", "a", pt=111,
                codec="opus")]``.
            filename: For ``live``/``ondemand``: the audio file (on the server).
                ``audio=True`` and ``audiocodec``/``audiopt`` go with it.
            permanent: Save it in the plugin's config file.
            admin_key: The plugin's ``admin_key``, if it has one.
            timeout: Seconds to wait (default: the session's).
            **options: Any other ``create`` field (``url``, ``threads``,
                ``collision``, ``playoutdelay_ext``, ``audiopt``...).

        Returns:
            The plugin's data: ``created`` (the name), ``permanent`` and
            ``stream`` (``id``, ``type``, ``description``, ``is_private`` and,
            for RTP, ``host`` and the ``ports`` bound).
        """
        return await self._call(
            "create",
            options,
            type=type,
            is_private=is_private,
            permanent=permanent,
            filename=None if filename is None else str(filename),
            audio=None if filename is None else True,
            id=mountpoint_id,
            name=name,
            description=description,
            metadata=metadata,
            secret=secret,
            pin=pin,
            media=media,
            admin_key=admin_key,
            timeout=timeout,
        )

    @sends("destroy")
    async def destroy_mountpoint(
        self,
        mountpoint_id: int | str,
        secret: str | None = None,
        permanent: bool = False,
        timeout: float | None = None,
    ) -> JSON:
        """Destroy a mountpoint; its viewers get ``stopped`` and a hangup.

        Returns:
            The plugin's data (``{"streaming": "destroyed", "destroyed": id}``).
        """
        return await self._call(
            "destroy", id=mountpoint_id, permanent=permanent, secret=secret, timeout=timeout
        )

    @sends("edit")
    async def edit_mountpoint(
        self,
        mountpoint_id: int | str,
        *,
        secret: str | None = None,
        permanent: bool = False,
        edited_event: bool | None = None,
        timeout: float | None = None,
        **changes: Any,
    ) -> JSON:
        """Change a mountpoint: ``edit_mountpoint(id, description="new", pin="1")``.

        Args:
            mountpoint_id: The mountpoint.
            secret: Its secret, if it has one.
            permanent: Change the plugin's config file too.
            edited_event: Tell the viewers (an ``edited`` event with the metadata).
            timeout: Seconds to wait.
            **changes: New values of ``description``, ``metadata``, ``secret``,
                ``pin`` (``""`` removes it), ``is_private``; sent with a
                ``new_`` prefix (which may also be written out).

        Returns:
            The plugin's data (``{"streaming": "edited", "id": ..., "permanent": ...}``).
        """
        new = {key if key.startswith("new_") else f"new_{key}": v for key, v in changes.items()}
        return await self._call(
            "edit",
            new,
            id=mountpoint_id,
            permanent=permanent,
            secret=secret,
            edited_event=edited_event,
            timeout=timeout,
        )

    @sends("enable")
    async def enable_mountpoint(
        self, mountpoint_id: int | str, secret: str | None = None, timeout: float | None = None
    ) -> JSON:
        """Let viewers have a disabled mountpoint's media again.

        Returns:
            The plugin's data (``{"streaming": "ok"}``).
        """
        return await self._call("enable", id=mountpoint_id, secret=secret, timeout=timeout)

    @sends("disable")
    async def disable_mountpoint(
        self,
        mountpoint_id: int | str,
        secret: str | None = None,
        stop_recording: bool = True,
        timeout: float | None = None,
    ) -> JSON:
        """Stop relaying a mountpoint's media to viewers, without destroying it.

        Janus 1.1.x crashes when ``disable`` closes the recordings of an RTP
        mountpoint that has a stream not being recorded (a NULL dereference
        in a log line, at the default ``debug_level`` 4). So with
        ``stop_recording`` this stops them first with a ``recording``
        request (which skips such streams) and sends ``disable`` with
        ``"stop_recording": false``.

        Args:
            mountpoint_id: The mountpoint.
            secret: Its secret, if it has one.
            stop_recording: Also stop its recordings (Janus's default).
            timeout: Seconds to wait for each request.

        Returns:
            The plugin's data (``{"streaming": "ok"}``).
        """
        if stop_recording:
            try:
                await self.recording(
                    mountpoint_id,
                    "stop",
                    secret=secret,
                    timeout=timeout,
                    audio=True,
                    video=True,
                    data=True,
                )
            except StreamingError as exc:
                if exc.code != StreamingErrorCode.INVALID_REQUEST:
                    raise
                # Not an RTP mountpoint: it has no recordings to stop.
        return await self._call(
            "disable", id=mountpoint_id, secret=secret, stop_recording=False, timeout=timeout
        )

    @sends("kick_all")
    async def kick_all(
        self, mountpoint_id: int | str, secret: str | None = None, timeout: float | None = None
    ) -> JSON:
        """Hang up every viewer of a mountpoint (they get ``kicked_all``); they may watch again.

        Returns:
            The plugin's data (``{"streaming": "kicked_all"}``).
        """
        return await self._call("kick_all", id=mountpoint_id, secret=secret, timeout=timeout)

    @sends("recording")
    async def recording(
        self,
        mountpoint_id: int | str,
        action: Literal["start", "stop"],
        media: list[JSON] | None = None,
        *,
        secret: str | None = None,
        timeout: float | None = None,
        **options: Any,
    ) -> JSON:
        """Start or stop recording a mountpoint's streams to ``.mjr`` files on the server.

        Args:
            mountpoint_id: The mountpoint.
            action: ``"start"`` or ``"stop"``.
            media: ``[{"mid": "v", "filename": "/path/base"}]`` to start (Janus
                adds ``.mjr``), ``[{"mid": "v"}]`` to stop.
            secret: The mountpoint's secret, if it has one.
            timeout: Seconds to wait.
            **options: The deprecated ``audio``/``video``/``data`` fields.

        Returns:
            The plugin's data (``{"streaming": "ok"}``).
        """
        return await self._call(
            "recording",
            options,
            action=action,
            id=mountpoint_id,
            media=media,
            secret=secret,
            timeout=timeout,
        )

    async def start_recording(
        self,
        mountpoint_id: int | str,
        files: Mapping[str, str | Path],
        *,
        secret: str | None = None,
        timeout: float | None = None,
    ) -> JSON:
        """Record streams of a mountpoint: ``files`` maps a mid to a base file name.

        Janus writes ``<base>.mjr``; give absolute paths (relative ones are
        relative to the server's working directory).
        """
        media: list[JSON] = [{"mid": mid, "filename": str(base)} for mid, base in files.items()]
        return await self.recording(mountpoint_id, "start", media, secret=secret, timeout=timeout)

    async def stop_recording(
        self,
        mountpoint_id: int | str,
        mids: Iterable[str],
        *,
        secret: str | None = None,
        timeout: float | None = None,
    ) -> JSON:
        """Stop recording the streams ``mids`` of a mountpoint (the files are closed)."""
        media: list[JSON] = [{"mid": mid} for mid in mids]
        return await self.recording(mountpoint_id, "stop", media, secret=secret, timeout=timeout)

    # -- viewer ---------------------------------------------------------------------

    @sends("watch")
    async def watch(
        self,
        mountpoint_id: int | str,
        *,
        pin: str | None = None,
        media: list[str] | None = None,
        recorder: str | Path | MediaRecorder | None = None,
        offer_audio: bool | None = None,
        offer_video: bool | None = None,
        offer_data: bool | None = None,
        trickle: bool | None = None,
        timeout: float | None = None,
        **options: Any,
    ) -> JSON:
        """Watch a mountpoint; return once the PeerConnection is up.

        Janus offers the mountpoint's streams; we answer with ``start`` (and
        open a data channel when the mountpoint has data). Frames are on
        [`frames`][rxjanus.plugins.webrtc.WebRTCPlugin.frames], data messages on
        [`data_messages`][rxjanus.plugins.streaming.JanusStreamingPlugin.data_messages]; ``started``
        comes on ``events`` once Janus relays media.

        Args:
            mountpoint_id: The mountpoint.
            pin: Its PIN, if it has one.
            media: The mids to receive (default: all).
            recorder: Record what we receive to this file (or ``MediaRecorder``);
                the file is finished when the PeerConnection closes.
            offer_audio: Deprecated by Janus: whether to receive audio.
            offer_video: Deprecated by Janus: whether to receive video.
            offer_data: Deprecated by Janus: whether to receive data.
            trickle: Trickle ICE (True) or full gathering (False); None keeps
                the handle's setting.
            timeout: Seconds to wait for each step.
            **options: Any other ``watch`` field.

        Returns:
            The ``preparing`` data (``{"streaming": "event", "result": {"status": "preparing"}}``).

        Raises:
            StreamingError: E.g. 455 (no such mountpoint) or 457 (wrong PIN).
            InvalidStateError: The handle already watches a mountpoint.
        """
        if self.is_watching:
            raise InvalidStateError(
                f"{self!r} already watches mountpoint {self._mountpoint_id}; stop() or switch()"
            )
        body = request_body(
            "watch",
            options,
            id=mountpoint_id,
            pin=pin,
            media=media,
            offer_audio=offer_audio,
            offer_video=offer_video,
            offer_data=offer_data,
        )
        self._use_trickle(trickle)
        if recorder is not None and recorder != "":
            self.peer.record_to(recorder)
        try:
            async with self._connecting(timeout):
                reply = await self._reply(body, timeout=timeout)  # answers the offer
                if not isinstance(reply.get("jsep"), dict):
                    raise ProtocolError("the Streaming plugin answered watch without an offer")
                self._mountpoint_id = mountpoint_id
                self._paused = False
        except BaseException:
            self._mountpoint_id = None
            if not self._janus_idle.is_set():  # we answered: Janus has a PeerConnection
                await self._abandon()
            raise
        return plugin_data(reply) or {}

    @sends("start")
    async def start(self, timeout: float | None = None) -> JSON:
        """Resume the media after [`pause`][..pause] (``start`` without an SDP).

        Returns:
            The plugin's data (``result.status``: ``started`` or ``starting``).
        """
        self._require_mountpoint("start")
        data = await self._call("start", timeout=timeout)
        self._paused = False
        return data

    @sends("pause")
    async def pause(self, timeout: float | None = None) -> JSON:
        """Pause the media, keeping the PeerConnection (resume with [`start`][..start]).

        Returns:
            The plugin's data (``result.status``: ``pausing``).
        """
        self._require_mountpoint("pause")
        data = await self._call("pause", timeout=timeout)
        self._paused = True
        return data

    @sends("configure")
    async def configure(
        self,
        mid: str | None = None,
        send: bool | None = None,
        *,
        substream: int | None = None,
        temporal: int | None = None,
        fallback: int | None = None,
        spatial_layer: int | None = None,
        temporal_layer: int | None = None,
        min_delay: int | None = None,
        max_delay: int | None = None,
        timeout: float | None = None,
        **options: Any,
    ) -> JSON:
        """Change what the watch relays: a stream on or off, simulcast or SVC layers.

        Args:
            mid: The stream the request is about (default: all of them).
            send: Relay that stream (True) or not (False).
            substream: The simulcast substream to receive (0-2).
            temporal: The simulcast temporal layers to receive (0-2).
            fallback: Microseconds without packets before dropping a substream.
            spatial_layer: The VP9-SVC spatial layer to receive (0-1).
            temporal_layer: The VP9-SVC temporal layers to receive (0-2).
            min_delay: The playout-delay extension's minimum (10 ms units).
            max_delay: The playout-delay extension's maximum (10 ms units).
            timeout: Seconds to wait.
            **options: Any other ``configure`` field.

        Returns:
            The plugin's data (``result.event``: ``configured``). Layer changes
            come later as events (``SUBSTREAM``, ``TEMPORAL``...).
        """
        self._require_mountpoint("configure")
        return await self._call(
            "configure",
            options,
            mid=mid,
            send=send,
            substream=substream,
            temporal=temporal,
            fallback=fallback,
            spatial_layer=spatial_layer,
            temporal_layer=temporal_layer,
            min_delay=min_delay,
            max_delay=max_delay,
            timeout=timeout,
        )

    @sends("switch")
    async def switch(self, mountpoint_id: int | str, timeout: float | None = None) -> JSON:
        """Watch another live RTP mountpoint on the same PeerConnection.

        The two mountpoints should carry the same media (codecs and payload
        types, in the same order).

        Returns:
            The plugin's data (``result``: ``{"switched": "ok", "id": ...}``).

        Raises:
            StreamingError: E.g. 455 (no such mountpoint) or 458 (can't switch).
        """
        self._require_mountpoint("switch")
        data = await self._call("switch", id=mountpoint_id, timeout=timeout)
        self._mountpoint_id = mountpoint_id
        self._paused = False
        return data

    @sends("stop")
    async def stop(self, timeout: float | None = None) -> JSON:
        """Stop watching: Janus closes the PeerConnection; so do we.

        Returns once Janus hung up (the frame streams have then completed and
        a recording is finished); the handle may watch again.

        Returns:
            The plugin's data (``result.status``: ``stopping``).

        Raises:
            InvalidStateError: Not watching (Janus would not answer).
        """
        if not self.is_watching:
            raise InvalidStateError(f"{self!r} is not watching a mountpoint")
        hungup, peer = self._hungup, self._up_peer
        data = await self._call("stop", timeout=timeout)
        self._mountpoint_id = None
        self._paused = False
        try:
            async with asyncio.timeout(timeout if timeout is not None else self._default_timeout()):
                await hungup.wait()
        finally:
            await self._close_peer(peer)
        return data

    # -- internals ------------------------------------------------------------------

    def _require_mountpoint(self, what: str) -> None:
        if self._mountpoint_id is None:
            raise InvalidStateError(f"{what}: {self!r} is not watching a mountpoint")

    def _prepare_answer(self, offer: JSON) -> None:
        """Open a data channel if Janus offers data (it relays data only on one we opened)."""
        peer = self.peer
        if "m=application" in str(offer.get("sdp", "")) and self._channel_peer is not peer:
            peer.create_data_channel()
            self._channel_peer = peer

    def _forget_peer(self, peer: WebRTCPeer) -> None:
        if self._channel_peer is peer:
            self._channel_peer = None

    def _on_janus_hangup(self, peer: WebRTCPeer) -> None:
        if peer is self._peer:
            self._mountpoint_id = None
            self._paused = False
        super()._on_janus_hangup(peer)

    def _on_event(self, message: JSON) -> None:
        kind = message.get("janus")
        if kind == "webrtcup":
            self._hungup = asyncio.Event()
        elif kind == "hangup":
            self._hungup.set()
        super()._on_event(message)
        event_type = streaming_event_type(message)
        if event_type in (StreamingEventType.STOPPED, StreamingEventType.KICKED_ALL):
            logger.info("mountpoint %s: %s", self._mountpoint_id, event_type.value)

    async def _teardown(self) -> None:
        self._mountpoint_id = None
        self._paused = False
        self._channel_peer = None
        self._hungup.set()
        await super()._teardown()
