"""The VideoRoom plugin: rooms of publishers and multistream subscribers (an SFU).

One handle is either a *publisher* (a participant: joins a room, gets its
events, may publish media) or a *subscriber* (receives streams of one or more
publishers on one PeerConnection). Room management (create, edit, destroy,
list...) works on any handle.

Requests and events are as the header of Janus's ``janus_videoroom.c``
describes them (Janus 1.x, multistream). Replies to our requests are returned;
everything unsolicited (``publishers``, ``unpublished``, ``leaving``,
``talking``, ``destroyed``, a renegotiation's ``updated``...) goes to
``events``, and to the janus_client-style handlers of
[`on_event`][rxjanus.plugins.base.JanusPlugin.on_event].
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal

from aiortc.contrib.media import MediaRecorder

from ..exceptions import JanusClientPluginError
from ..media import MediaSource
from ..protocol import JSON
from .base import classify, event_data, request_body, sends
from .rooms import RoomPlugin

__all__ = [
    "JanusVideoRoomPlugin",
    "ParticipantType",
    "VideoRoomError",
    "VideoRoomEventType",
    "videoroom_event_type",
]

logger = logging.getLogger(__name__)


class VideoRoomError(JanusClientPluginError):
    """An error the VideoRoom plugin answered with (e.g. 426: no such room)."""

    label = "VideoRoom"


class VideoRoomEventType(enum.Enum):
    """Kinds of VideoRoom events (janus_client's names), for `on_event`."""

    JOINED = "joined"
    JOINING = "joining"
    PUBLISHERS = "publishers"
    UNPUBLISHED = "unpublished"
    LEAVING = "leaving"
    DESTROYED = "destroyed"
    CONFIGURED = "configured"
    ATTACHED = "attached"
    UPDATED = "updated"
    STARTED = "started"
    SWITCHED = "switched"
    TALKING = "talking"
    STOPPED_TALKING = "stopped-talking"
    ERROR = "error"


class ParticipantType(enum.Enum):
    """What a handle is in its room."""

    PUBLISHER = "publisher"
    SUBSCRIBER = "subscriber"


_EVENT_KEYS = (
    "publishers",
    "unpublished",
    "leaving",
    "joining",
    "configured",
    "started",
    "switched",
)
_REPLIES = ("joined", "attached", "updated", "destroyed", "talking", "stopped-talking")


def videoroom_event_type(message: JSON) -> VideoRoomEventType | None:
    """Classify a VideoRoom message (a whole Janus message or its plugin data).

    Example:
        >>> videoroom_event_type({"videoroom": "event", "leaving": 42})
        <VideoRoomEventType.LEAVING: 'leaving'>

    Returns:
        The event's kind, or None if it is none of
        [`VideoRoomEventType`][rxjanus.plugins.videoroom.VideoRoomEventType].
    """
    kinds = VideoRoomEventType
    return classify(message, "videoroom", kinds, keys=_EVENT_KEYS, replies=_REPLIES)


class JanusVideoRoomPlugin(RoomPlugin):
    """A handle on ``janus.plugin.videoroom``: room admin, publishing, subscribing.

    Use one handle to publish (and to receive the room's events) and another
    to subscribe. Subscriptions are multistream: ``streams`` lists what to
    receive, e.g. ``[{"feed": publisher_id}]`` or ``[{"feed": id, "mid": "0"}]``.
    When Janus offers a new SDP (after ``subscribe``/``unsubscribe``, or on its
    own when a publisher goes away), the handle answers it with ``start``.

    Plugin errors raise [`VideoRoomError`][rxjanus.plugins.videoroom.VideoRoomError] (a
    [`PluginError`][rxjanus.exceptions.PluginError]).

    Example:
        >>> publisher = JanusVideoRoomPlugin()  # doctest: +SKIP
        >>> await publisher.attach(session)  # doctest: +SKIP
        >>> room = await publisher.create_room(description="demo")  # doctest: +SKIP
        >>> await publisher.join(room, "alice")  # doctest: +SKIP
        >>> await publisher.publish("input.mp4")  # doctest: +SKIP
    """

    name = "janus.plugin.videoroom"
    error_class = VideoRoomError
    classify_event = staticmethod(videoroom_event_type)
    answer_request = "start"
    forwarders_key = "publishers"

    janus_events: ClassVar[Mapping[str, str]] = {
        "created": "returned by create_room() (the room id)",
        "edited": "returned by edit()",
        "destroyed": "returned by destroy_room(); the room's participants get it on events "
        "(VideoRoomEventType.DESTROYED)",
        "success": "returned by exists(), list_rooms(), allowed(), kick_participant(), "
        "moderate_participant(), enable_recording()",
        "participants": "returned by list_participants()",
        "joined": "returned by join(), join_as_publisher(), join_and_configure(); "
        "on_event(VideoRoomEventType.JOINED)",
        "joining": "events (VideoRoomEventType.JOINING), in rooms with notify_joining",
        "configured": "returned by publish() and configure(); "
        "on_event(VideoRoomEventType.CONFIGURED)",
        "publishers": "events (VideoRoomEventType.PUBLISHERS); the joined data lists those "
        "already there",
        "unpublished": "returned by unpublish() (`ok`); the room's participants get it on "
        "events (VideoRoomEventType.UNPUBLISHED)",
        "talking": "events (VideoRoomEventType.TALKING), in rooms with audiolevel_event",
        "stopped-talking": "events (VideoRoomEventType.STOPPED_TALKING), in rooms with "
        "audiolevel_event",
        "rtp_forward": "returned by rtp_forward() (the forwarders and their stream_id)",
        "stop_rtp_forward": "returned by stop_rtp_forward()",
        "forwarders": "returned by list_forwarders()",
        "leaving": "returned by leave() (`ok`); the room's participants, and a kicked one, "
        "get it on events (VideoRoomEventType.LEAVING)",
        "attached": "returned by subscribe_to_publisher(), whose offer the handle answers "
        "with start",
        "started": "returned by start(); on_event(VideoRoomEventType.STARTED) when the "
        "handle answers an offer",
        "updated": "returned by subscribe(), unsubscribe(), update(); events "
        "(VideoRoomEventType.UPDATED) when Janus renegotiates on its own (answered by the "
        "handle)",
        "updating": "returned by subscribe(), unsubscribe(), update() when Janus postpones "
        "the new offer",
        "paused": "returned by pause()",
        "switched": "returned by switch_publisher(); on_event(VideoRoomEventType.SWITCHED)",
        "left": "returned by leave() on a subscriber",
        "error": "raised as VideoRoomError (a PluginError) by the method that sent the "
        "request; events (VideoRoomEventType.ERROR) if unsolicited",
    }

    _participant_type: ParticipantType | None = None
    _publisher_id: int | None = None
    _private_id: int | None = None
    _is_publishing: bool = False

    # -- state ----------------------------------------------------------------------

    @property
    def publisher_id(self) -> int | None:
        """Our participant id in the room, once joined as a publisher."""
        return self._publisher_id

    @property
    def private_id(self) -> int | None:
        """Our private id in the room (to pass to subscriptions), once joined."""
        return self._private_id

    @property
    def participant_type(self) -> ParticipantType | None:
        """Whether the handle joined as publisher or subscriber; None if neither."""
        return self._participant_type

    @property
    def is_publishing(self) -> bool:
        """Whether we publish media now."""
        return self._is_publishing

    # -- room administration --------------------------------------------------------

    @sends("create")
    async def create_room(
        self,
        room_id: int | None = None,
        description: str | None = None,
        secret: str | None = None,
        pin: str | None = None,
        is_private: bool = False,
        publishers: int = 3,
        bitrate: int | None = None,
        fir_freq: int = 0,
        audiocodec: str | None = None,
        videocodec: str | None = None,
        record: bool = False,
        rec_dir: str | None = None,
        permanent: bool = False,
        admin_key: str | None = None,
        timeout: float | None = None,
        **options: Any,
    ) -> int:
        """Create a room; Janus picks the id when ``room_id`` is None.

        Args:
            room_id: The room's id.
            description: Its pretty name.
            secret: Needed to edit or destroy it.
            pin: Needed to join it.
            is_private: Leave it out of ``list_rooms``.
            publishers: How many may publish at once.
            bitrate: The video bitrate cap of its publishers.
            fir_freq: Seconds between keyframe requests to publishers (0: never).
            audiocodec: Allowed audio codecs, e.g. ``"opus"``.
            videocodec: Allowed video codecs, e.g. ``"vp8,h264"``.
            record: Record every publisher on the server.
            rec_dir: Where the server records.
            permanent: Save it in the plugin's config file.
            admin_key: The plugin's ``admin_key``, if it has one.
            timeout: Seconds to wait (default: the session's).
            **options: Any other ``create`` field (``notify_joining``,
                ``require_pvtid``, ``audiolevel_event``...).

        Returns:
            The room's id.
        """
        data = await self._call(
            "create",
            options,
            is_private=is_private,
            publishers=publishers,
            fir_freq=fir_freq,
            record=record,
            permanent=permanent,
            room=room_id,
            description=description,
            secret=secret,
            pin=pin,
            bitrate=bitrate,
            audiocodec=audiocodec,
            videocodec=videocodec,
            rec_dir=rec_dir,
            admin_key=admin_key,
            timeout=timeout,
        )
        return int(data["room"])

    @sends("moderate")
    async def moderate_participant(
        self,
        room_id: int,
        participant_id: int,
        mid: str,
        mute: bool,
        secret: str | None = None,
        timeout: float | None = None,
    ) -> JSON:
        """Mute or unmute one of a participant's published streams (by ``mid``)."""
        return await self._call(
            "moderate",
            room=room_id,
            id=participant_id,
            mid=mid,
            mute=mute,
            secret=secret,
            timeout=timeout,
        )

    @sends("enable_recording")
    async def enable_recording(
        self,
        room_id: int,
        record: bool,
        secret: str | None = None,
        timeout: float | None = None,
    ) -> JSON:
        """Start or stop recording every publisher of a room (``enable_recording``).

        Returns:
            The plugin's data (``{"videoroom": "success", "record": ...}``).
        """
        return await self._call(
            "enable_recording", room=room_id, record=record, secret=secret, timeout=timeout
        )

    @sends("rtp_forward")
    async def rtp_forward(
        self,
        room_id: int,
        publisher_id: int,
        streams: list[JSON],
        host: str | None = None,
        *,
        host_family: Literal["ipv4", "ipv6"] | None = None,
        secret: str | None = None,
        admin_key: str | None = None,
        srtp_suite: int | None = None,
        srtp_crypto: str | None = None,
        timeout: float | None = None,
    ) -> JSON:
        """Forward a publisher's streams as plain (or SRTP) RTP to ``host``.

        Args:
            room_id: The room the publisher is in.
            publisher_id: The publisher.
            streams: One object per stream: ``{"mid": "0", "port": 5004}``, with
                optional ``host``, ``ssrc``, ``pt``, ``rtcp_port``, ``simulcast``...
            host: Where to send every stream that names no ``host`` of its own.
            host_family: Resolve ``host`` as ``ipv4`` or ``ipv6``.
            secret: The room's secret, if it has one.
            admin_key: The plugin's ``admin_key``, if it guards RTP forwarding.
            srtp_suite: 32 or 80: encrypt with SRTP (with ``srtp_crypto``).
            srtp_crypto: The base64 SRTP key (as in SDES).
            timeout: Seconds to wait.

        Returns:
            The ``rtp_forward`` data: its ``forwarders``, each with a ``stream_id``.
        """
        return await self._call(
            "rtp_forward",
            room=room_id,
            publisher_id=publisher_id,
            streams=streams,
            host=host,
            host_family=host_family,
            secret=secret,
            admin_key=admin_key,
            srtp_suite=srtp_suite,
            srtp_crypto=srtp_crypto,
            timeout=timeout,
        )

    @sends("stop_rtp_forward")
    async def stop_rtp_forward(
        self,
        room_id: int,
        publisher_id: int,
        stream_id: int,
        *,
        secret: str | None = None,
        admin_key: str | None = None,
        timeout: float | None = None,
    ) -> JSON:
        """Stop one RTP forwarder (by the ``stream_id`` `rtp_forward` returned)."""
        return await self._call(
            "stop_rtp_forward",
            room=room_id,
            publisher_id=publisher_id,
            stream_id=stream_id,
            secret=secret,
            admin_key=admin_key,
            timeout=timeout,
        )

    # -- publisher ------------------------------------------------------------------

    # "join" with ptype "subscriber" is sent by subscribe_to_publisher().
    @sends("join")
    async def join(
        self,
        room_id: int,
        username: str | None = None,
        *,
        publisher_id: int | None = None,
        token: str | None = None,
        pin: str | None = None,
        timeout: float | None = None,
    ) -> JSON:
        """Join a room as a participant (a publisher not yet publishing), named ``username``.

        Returns:
            The ``joined`` data: our ``id``, ``private_id`` and the active ``publishers``.
        """
        return await self.join_as_publisher(
            room_id, publisher_id, username, token, timeout, pin=pin
        )

    async def join_as_publisher(
        self,
        room_id: int,
        publisher_id: int | None = None,
        display: str | None = None,
        token: str | None = None,
        timeout: float | None = None,
        *,
        pin: str | None = None,
    ) -> JSON:
        """Join a room as a publisher (janus_client's name and arguments).

        Args:
            room_id: The room.
            publisher_id: The id to take; Janus picks one if None.
            display: Our display name.
            token: An invitation token, if the room has an ACL.
            timeout: Seconds to wait.
            pin: The room's PIN, if it has one.

        Returns:
            The ``joined`` data: our ``id``, ``private_id`` and the active ``publishers``.

        Raises:
            VideoRoomError: E.g. 426 when the room does not exist.
        """
        data = await self._call(
            "join",
            ptype="publisher",
            room=room_id,
            id=publisher_id,
            display=display,
            token=token,
            pin=pin,
            timeout=timeout,
            then=lambda data: self._joined(ParticipantType.PUBLISHER, room_id, data, display),
        )
        return data

    @sends("joinandconfigure")
    async def join_and_configure(
        self,
        room_id: int,
        player: MediaSource,
        display: str | None = None,
        *,
        publisher_id: int | None = None,
        token: str | None = None,
        pin: str | None = None,
        audio: bool = True,
        video: bool = True,
        trickle: bool | None = None,
        timeout: float | None = None,
        **options: Any,
    ) -> JSON:
        """Join a room as a publisher and publish at once (``joinandconfigure``).

        Returns once the PeerConnection is up.

        Args:
            room_id: The room.
            player: What to send: a file path or URL, a ``MediaPlayer`` or a track.
            display: Our display name.
            publisher_id: The id to take; Janus picks one if None.
            token: An invitation token, if the room has an ACL.
            pin: The room's PIN, if it has one.
            audio: Send the player's audio.
            video: Send the player's video.
            trickle: Trickle ICE (True) or full gathering (False); None keeps
                the handle's setting.
            timeout: Seconds to wait for the answer and for ``webrtcup``.
            **options: Any ``publish`` field (``bitrate``, ``record``,
                ``descriptions``...).

        Returns:
            The ``joined`` data: our ``id``, ``private_id`` and the active ``publishers``.

        Raises:
            VideoRoomError: The handle already joined a room (an InvalidStateError too).
            VideoRoomError: E.g. 426 when the room does not exist.
        """
        if self._participant_type is not None:
            raise self._misuse("the handle already joined a room")
        body = request_body(
            "joinandconfigure",
            options,
            ptype="publisher",
            room=room_id,
            id=publisher_id,
            display=display,
            token=token,
            pin=pin,
        )
        self._use_trickle(trickle)
        data = await self._negotiate(body, source=player, audio=audio, video=video, timeout=timeout)
        self._joined(ParticipantType.PUBLISHER, room_id, data, display)
        self._is_publishing = True
        return data

    @sends("publish")
    async def publish(
        self,
        player: MediaSource,
        audiocodec: str | None = None,
        videocodec: str | None = None,
        bitrate: int | None = None,
        record: bool | None = None,
        filename: str | None = None,
        descriptions: list[dict[str, str]] | None = None,
        trickle: bool | None = None,
        timeout: float | None = None,
        *,
        audio: bool = True,
        video: bool = True,
        display: str | None = None,
        **options: Any,
    ) -> JSON:
        """Publish media in the room joined; return once the PeerConnection is up.

        Args:
            player: What to send: a file path or URL, an aiortc ``MediaPlayer``
                or a track (e.g. ``SyntheticVideoTrack``).
            audiocodec: The audio codec to prefer.
            videocodec: The video codec to prefer.
            bitrate: A bitrate cap for this publisher.
            record: Record this publisher on the server.
            filename: The base name of that recording.
            descriptions: ``[{"mid": ..., "description": ...}]`` for the streams.
            trickle: Trickle ICE (True) or full gathering (False); None keeps
                the handle's setting.
            timeout: Seconds to wait for the answer and for ``webrtcup``.
            audio: Send the player's audio.
            video: Send the player's video.
            display: A new display name.
            **options: Any other ``publish`` field.

        Returns:
            The plugin's data (``{"videoroom": "event", "configured": "ok"}``).

        Raises:
            VideoRoomError: The handle has not joined a room as a publisher (janus_client's
                code -1 and wording; an InvalidStateError too).
        """
        if self._participant_type is not ParticipantType.PUBLISHER:
            raise self._misuse("Must join as publisher before publishing", -1)
        body = request_body(
            "publish",
            options,
            audiocodec=audiocodec,
            videocodec=videocodec,
            bitrate=bitrate,
            record=record,
            filename=filename,
            descriptions=descriptions,
            display=display,
        )
        self._use_trickle(trickle)
        data = await self._negotiate(body, source=player, audio=audio, video=video, timeout=timeout)
        self._is_publishing = True
        if display is not None:
            self._display_name = display
        return data

    @sends("configure")
    async def configure(
        self,
        bitrate: int | None = None,
        keyframe: bool = False,
        record: bool | None = None,
        filename: str | None = None,
        display: str | None = None,
        streams: list[JSON] | None = None,
        descriptions: list[dict[str, str]] | None = None,
        timeout: float | None = None,
        **options: Any,
    ) -> JSON:
        """Change a publisher's or subscriber's settings (``configure``).

        Publishers: ``bitrate``, ``keyframe``, ``record``, ``display``, ``mid``
        with ``send``, ``descriptions``... Subscribers: ``mid`` with ``send``,
        ``substream``, ``temporal``, ``restart`` (an ICE restart: Janus's new
        offer is answered)... Fields left None are not sent.

        Returns:
            The plugin's data (``{"videoroom": "event", "configured": "ok"}``).
        """
        data = await self._call(
            "configure",
            options,
            bitrate=bitrate,
            keyframe=keyframe or None,
            record=record,
            filename=filename,
            display=display,
            streams=streams,
            descriptions=descriptions,
            timeout=timeout,
        )
        if display is not None:
            self._display_name = display
        return data

    @sends("unpublish")
    async def unpublish(self, timeout: float | None = None) -> JSON:
        """Stop publishing (and close our PeerConnection); stay in the room."""
        data = await self._call("unpublish", timeout=timeout)
        self._is_publishing = False
        await self._close_peer()
        return data

    # -- subscriber -----------------------------------------------------------------

    async def subscribe_to_publisher(
        self,
        room_id: int,
        streams: list[JSON],
        recorder: str | Path | MediaRecorder | None = None,
        private_id: int | None = None,
        use_msid: bool = False,
        autoupdate: bool = True,
        trickle: bool | None = None,
        timeout: float | None = None,
    ) -> JSON:
        """Subscribe to publishers' streams; return once the PeerConnection is up.

        Janus offers the streams in its ``attached`` reply; we answer with
        ``start``. Received frames are on [`frames`][rxjanus.plugins.webrtc.WebRTCPlugin.frames].

        Args:
            room_id: The room.
            streams: What to receive: ``[{"feed": publisher_id}]`` for all of a
                publisher's streams, ``{"feed": id, "mid": "1"}`` for one.
            recorder: Record what we receive to this file (or ``MediaRecorder``);
                the file is finished when the PeerConnection closes.
            private_id: Our publisher handle's ``private_id``, to tie the two.
            use_msid: Have the SDP's msid name the publisher.
            autoupdate: Let Janus renegotiate when a subscribed publisher goes away.
            trickle: Trickle ICE (True) or full gathering (False); None keeps
                the handle's setting.
            timeout: Seconds to wait for each step.

        Returns:
            The ``attached`` data (the ``streams`` of the subscription).

        Raises:
            VideoRoomError: The handle joined as a publisher (an InvalidStateError too).
            VideoRoomError: E.g. 426 (no such room) or 428 (no such feed).
        """
        if self._participant_type is ParticipantType.PUBLISHER:
            raise self._misuse(
                f"Can only be either publisher or subscriber. Now {self._participant_type}", -1
            )
        self._use_trickle(trickle)
        if recorder is not None and recorder != "":
            self.peer.record_to(recorder)
        async with self._connecting(timeout):
            data = await self._call(
                "join",
                ptype="subscriber",
                room=room_id,
                streams=streams,
                use_msid=use_msid,
                autoupdate=autoupdate,
                private_id=private_id,
                timeout=timeout,
                then=lambda data: self._joined(
                    ParticipantType.SUBSCRIBER, room_id, data, None, private_id
                ),
            )
        return data

    @sends("start")
    async def start(self, trickle: bool | None = None, timeout: float | None = None) -> JSON:
        """Resume the media after [`pause`][..pause] (``start`` without an SDP).

        Janus's offers are answered with ``start`` by the handle itself.

        Args:
            trickle: Trickle ICE in later negotiations; None keeps the setting.
            timeout: Seconds to wait.

        Returns:
            The plugin's data (``{"videoroom": "event", "started": "ok"}``).
        """
        self._use_trickle(trickle)
        return await self._call("start", timeout=timeout)

    @sends("pause")
    async def pause(self, timeout: float | None = None) -> JSON:
        """Pause the media of the subscription."""
        return await self._call("pause", timeout=timeout)

    @sends("subscribe")
    async def subscribe(self, streams: list[JSON], timeout: float | None = None) -> JSON:
        """Add streams to the subscription (Janus's new offer is answered).

        Returns:
            The ``updated`` data (or ``updating``, when Janus postpones the offer).
        """
        return await self._call("subscribe", streams=streams, timeout=timeout)

    @sends("unsubscribe")
    async def unsubscribe(self, streams: list[JSON], timeout: float | None = None) -> JSON:
        """Remove streams from the subscription (by ``feed``, ``mid`` or ``sub_mid``).

        Returns:
            The ``updated`` data (or ``updating``).
        """
        return await self._call("unsubscribe", streams=streams, timeout=timeout)

    @sends("update")
    async def update(
        self,
        subscribe: list[JSON] | None = None,
        unsubscribe: list[JSON] | None = None,
        timeout: float | None = None,
    ) -> JSON:
        """Add and remove streams in one renegotiation (the ``update`` request)."""
        return await self._call(
            "update", subscribe=subscribe, unsubscribe=unsubscribe, timeout=timeout
        )

    @sends("switch")
    async def switch_publisher(self, streams: list[JSON], timeout: float | None = None) -> JSON:
        """Feed subscription streams from other publishers without renegotiating.

        Args:
            streams: ``[{"feed": id, "mid": publisher_mid, "sub_mid": our_mid}]``.
            timeout: Seconds to wait.

        Returns:
            The ``switched`` data (``changes`` and the ``streams`` now).
        """
        return await self._call("switch", streams=streams, timeout=timeout)

    # -- both -----------------------------------------------------------------------

    @sends("leave")
    async def leave(self, timeout: float | None = None) -> JSON:
        """Leave the room (publisher) or end the subscription (subscriber).

        Closes the PeerConnection, which finishes a recording.

        Returns:
            The plugin's data (``leaving: ok`` or ``left: ok``).
        """
        data = await self._call("leave", timeout=timeout, then=lambda _: self._reset_state())
        await self._close_peer()
        return data

    # -- internals ------------------------------------------------------------------

    def _joined(
        self,
        participant_type: ParticipantType,
        room_id: int,
        data: JSON,
        display: str | None,
        private_id: int | None = None,
    ) -> None:
        self._participant_type = participant_type
        self._room_id = room_id
        if participant_type is ParticipantType.PUBLISHER:
            self._publisher_id = data.get("id")
            private_id = data.get("private_id")
        self._private_id = private_id
        self._display_name = display

    def _reset_state(self) -> None:
        self._participant_type = None
        self._room_id = None
        self._publisher_id = None
        self._private_id = None
        self._display_name = None
        self._is_publishing = False

    def _on_event(self, message: JSON) -> None:
        super()._on_event(message)
        if message.get("janus") == "event":
            self._on_room_event(event_data(message))

    def _on_room_event(self, data: JSON) -> None:
        """Follow the room's unsolicited events that end our participation."""
        if data.get("videoroom") == "destroyed" and data.get("room") == self._room_id:
            logger.info("room %s was destroyed", self._room_id)
            self._reset_state()
        elif data.get("leaving") == "ok" and data.get("reason") == "kicked":
            logger.info("kicked out of room %s", self._room_id)
            self._reset_state()

    async def _teardown(self) -> None:
        self._reset_state()
        await super()._teardown()
