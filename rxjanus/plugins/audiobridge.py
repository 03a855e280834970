"""The AudioBridge plugin: audio conference rooms that Janus mixes (an MCU for Opus).

Each participant sends its audio to Janus and receives the mix of everyone
else in the room on one PeerConnection. Room management (create, edit,
destroy, list, kick, mute, recording, RTP forwarders, announcements played
from Opus files) works on any handle.

Requests and events are as the header of Janus's ``janus_audiobridge.c``
(v1.1.x) describes them. Replies to our requests are returned; everything
unsolicited (another participant's ``joined``, ``leaving``, updated
``participants``, ``talking``, ``kicked``, ``destroyed``,
``announcement-started``...) goes to ``events``, and to the handlers of
[`JanusAudioBridgePlugin.on_event`][rxjanus.plugins.base.JanusPlugin.on_event].
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from ..exceptions import PluginError
from ..media import MediaKind, MediaSource, WebRTCPeer
from ..protocol import JSON, plugin_data
from .base import classify, event_data, request_body, sends
from .rooms import RoomPlugin, participant_request, room_request

__all__ = [
    "AudioBridgeError",
    "AudioBridgeEventType",
    "JanusAudioBridgePlugin",
    "audiobridge_event_type",
]

logger = logging.getLogger(__name__)

NOT_JOINED = 487


class AudioBridgeError(PluginError):
    """An error the AudioBridge plugin answered with.

    Codes from Janus: 482 invalid request, 483 missing element, 484 invalid element, 485 no such
    room, 486 room exists, 487 not joined, 489 unauthorized, 490 id exists, 491 already joined,
    492 no such user, 493 invalid SDP, 494 no such group.
    """

    label = "AudioBridge"


class AudioBridgeEventType(enum.Enum):
    """Kinds of AudioBridge messages, for `JanusAudioBridgePlugin.on_event`."""

    JOINED = "joined"
    """Our join's reply, or another participant joining (``participants`` lists it)."""
    PARTICIPANTS = "participants"
    """Participants changed: muted, display, setup... (an ``event`` with ``participants``)."""
    LEAVING = "leaving"
    """Another participant left (``leaving`` is its id)."""
    LEFT = "left"
    """Our ``leave`` was done."""
    ROOM_CHANGED = "roomchanged"
    """Our ``changeroom`` was done."""
    CONFIGURED = "configured"
    """Our ``configure`` was done (``result: ok``)."""
    TALKING = "talking"
    """A participant started talking (rooms with ``audiolevel_event``)."""
    STOPPED_TALKING = "stopped-talking"
    """A participant stopped talking."""
    KICKED = "kicked"
    """A participant was kicked (``kicked`` is its id)."""
    KICKED_ALL = "kicked_all"
    """Everyone was kicked (each participant gets its own id in ``kicked_all``)."""
    MUTED = "muted"
    """The whole room was muted or unmuted (``muted`` is a boolean)."""
    DESTROYED = "destroyed"
    """The room was destroyed."""
    ANNOUNCEMENT_STARTED = "announcement-started"
    """A file began to play in the room (``file_id``)."""
    ANNOUNCEMENT_STOPPED = "announcement-stopped"
    """A file stopped playing (it ended, or ``stop_file``)."""
    HANGINGUP = "hangingup"
    """Our ``hangup`` request was done."""
    ERROR = "error"
    """An error event (``error_code`` and ``error``)."""


_REPLIES = (
    "joined",
    "left",
    "roomchanged",
    "talking",
    "stopped-talking",
    "destroyed",
    "announcement-started",
    "announcement-stopped",
    "hangingup",
)
_EVENT_KEYS = {
    "leaving": "leaving",
    "kicked": "kicked",
    "kicked_all": "kicked_all",
    "participants": "participants",
    "muted": "muted",
    "result": "configured",
}


def audiobridge_event_type(message: JSON) -> AudioBridgeEventType | None:
    """Classify an AudioBridge message (a whole Janus message or its plugin data).

    Example:
        >>> audiobridge_event_type({"audiobridge": "event", "room": 1, "leaving": 42})
        <AudioBridgeEventType.LEAVING: 'leaving'>

    Returns:
        The message's kind, or None for replies such as ``success`` or ``created``.
    """
    kinds = AudioBridgeEventType
    return classify(message, "audiobridge", kinds, keys=_EVENT_KEYS, replies=_REPLIES)


class JanusAudioBridgePlugin(RoomPlugin):
    """A handle on ``janus.plugin.audiobridge``: room admin and one participant.

    A participant joins a room, then sends its audio and hears the room's mix
    on one PeerConnection: ``join(room, "alice", source=track)`` does both in
    one request (the offer goes with ``join``); ``join(room, "alice")`` then
    [`publish_stream`][rxjanus.plugins.audiobridge.JanusAudioBridgePlugin.publish_stream] does it in
    two (the offer goes with ``configure``). The mix is on ``frames("audio")``.

    Plugin errors raise [`AudioBridgeError`][rxjanus.plugins.audiobridge.AudioBridgeError] (a
    [`PluginError`][rxjanus.exceptions.PluginError]).

    Janus 1.2 added ``suspend``, ``resume``, ``stop_all_files`` and
    ``listannouncements``:
    [`suspend_participant`][rxjanus.plugins.audiobridge.JanusAudioBridgePlugin.suspend_participant],
    [`resume_participant`][rxjanus.plugins.audiobridge.JanusAudioBridgePlugin.resume_participant],
    [`stop_all_files`][rxjanus.plugins.audiobridge.JanusAudioBridgePlugin.stop_all_files] and
    [`list_announcements`][rxjanus.plugins.audiobridge.JanusAudioBridgePlugin.list_announcements]
    send them (a 1.1.x server answers 482).

    Example:
        >>> bridge = JanusAudioBridgePlugin()  # doctest: +SKIP
        >>> await bridge.attach(session)  # doctest: +SKIP
        >>> room = await bridge.create_room(description="call")  # doctest: +SKIP
        >>> await bridge.join(room, "alice", source="voice.wav")  # doctest: +SKIP
        >>> bridge.frames("audio").subscribe(print)  # doctest: +SKIP
    """

    name = "janus.plugin.audiobridge"
    error_class = AudioBridgeError
    classify_event = staticmethod(audiobridge_event_type)
    answer_request = "configure"
    forwarders_key = "rtp_forwarders"

    janus_events: ClassVar[Mapping[str, str]] = {
        "created": "the reply of create_room (its room id)",
        "edited": "the reply of edit",
        "destroyed": "the reply of destroy_room; events (AudioBridgeEventType.DESTROYED)",
        "success": "the reply of exists, allowed, kick, mute, rtp_forward, play_file...",
        "participants": "the reply of list_participants; "
        "events (AudioBridgeEventType.PARTICIPANTS) for changes",
        "forwarders": "the reply of list_forwarders",
        "joined": "the reply of join; events (AudioBridgeEventType.JOINED) for others",
        "roomchanged": "the reply of change_room (AudioBridgeEventType.ROOM_CHANGED)",
        "configured": "the reply of configure, result ok (AudioBridgeEventType.CONFIGURED)",
        "left": "the reply of leave (AudioBridgeEventType.LEFT)",
        "leaving": "events (AudioBridgeEventType.LEAVING)",
        "talking": "events (AudioBridgeEventType.TALKING)",
        "stopped-talking": "events (AudioBridgeEventType.STOPPED_TALKING)",
        "kicked": "events (AudioBridgeEventType.KICKED)",
        "kicked_all": "events (AudioBridgeEventType.KICKED_ALL)",
        "muted": "events (AudioBridgeEventType.MUTED)",
        "announcement-started": "events (AudioBridgeEventType.ANNOUNCEMENT_STARTED)",
        "announcement-stopped": "events (AudioBridgeEventType.ANNOUNCEMENT_STOPPED)",
        "hangingup": "the reply of hangup (AudioBridgeEventType.HANGINGUP)",
        "error": "AudioBridgeError raised by the request; events (AudioBridgeEventType.ERROR)",
    }

    _participant_id: int | None = None
    _muted: bool | None = None

    # -- state ----------------------------------------------------------------------

    @property
    def participant_id(self) -> int | None:
        """Our participant id in the room, or None."""
        return self._participant_id

    @property
    def muted(self) -> bool | None:
        """Whether Janus has us muted (None before we joined)."""
        return self._muted

    @property
    def joined(self) -> bool:
        """Whether we are in a room."""
        return self._room_id is not None

    # -- room administration --------------------------------------------------------

    @sends("create")
    async def create_room(
        self,
        room_id: int | None = None,
        description: str | None = None,
        secret: str | None = None,
        pin: str | None = None,
        is_private: bool = False,
        sampling_rate: int | None = None,
        allowed: list[str] | None = None,
        audiolevel_event: bool | None = None,
        audio_active_packets: int | None = None,
        audio_level_average: int | None = None,
        record: bool = False,
        record_file: str | None = None,
        record_dir: str | None = None,
        permanent: bool = False,
        admin_key: str | None = None,
        timeout: float | None = None,
        **options: Any,
    ) -> int:
        """Create a room; Janus picks the id when ``room_id`` is None.

        Args:
            room_id: The room's id.
            description: Its pretty name.
            secret: Needed to edit or destroy it, and to play files in it.
            pin: Needed to join it.
            is_private: Leave it out of `list_rooms`.
            sampling_rate: The mixer's rate (16000 by default).
            allowed: Tokens that may join (an ACL).
            audiolevel_event: Send ``talking``/``stopped-talking`` events.
            audio_active_packets: Packets looked at per talking decision (default 100).
            audio_level_average: Average level that counts as talking (127 silent,
                0 loud; default 25).
            record: Record the mix to a .wav on the server.
            record_file: That recording's path.
            record_dir: Where recordings go.
            permanent: Save it in the plugin's config file.
            admin_key: The plugin's ``admin_key``, if it has one.
            timeout: Seconds to wait (default: the session's).
            **options: Any other ``create`` field (``spatial_audio``,
                ``default_prebuffering``, ``groups``, ``mjrs``...).

        Returns:
            The room's id.
        """
        data = await self._call(
            "create",
            options,
            is_private=is_private,
            record=record,
            permanent=permanent,
            room=room_id,
            description=description,
            secret=secret,
            pin=pin,
            sampling_rate=sampling_rate,
            allowed=allowed,
            audiolevel_event=audiolevel_event,
            audio_active_packets=audio_active_packets,
            audio_level_average=audio_level_average,
            record_file=record_file,
            record_dir=record_dir,
            admin_key=admin_key,
            timeout=timeout,
        )
        return int(data["room"])

    kick_all = room_request("kick_all", "Kick everyone out of a room.")
    mute_participant = participant_request(
        "mute", "Mute a participant (the room sees it in a ``participants`` event)."
    )
    unmute_participant = participant_request("unmute", "Unmute a participant.")
    mute_room = room_request("mute_room", "Mute everyone but the room's admins (``muted: true``).")
    unmute_room = room_request("unmute_room", "Unmute the room (a ``muted: false`` event).")

    async def suspend_participant(
        self,
        room_id: int,
        participant_id: int,
        secret: str | None = None,
        pause_events: bool | None = None,
        stop_record: bool | None = None,
        timeout: float | None = None,
    ) -> JSON:
        """Take a participant out of the mix without kicking it (Janus 1.2 and later)."""
        return await self._call(
            "suspend",
            room=room_id,
            id=participant_id,
            secret=secret,
            pause_events=pause_events,
            stop_record=stop_record,
            timeout=timeout,
        )

    async def resume_participant(
        self,
        room_id: int,
        participant_id: int,
        secret: str | None = None,
        record: bool | None = None,
        filename: str | None = None,
        timeout: float | None = None,
    ) -> JSON:
        """Bring a suspended participant back into the mix (Janus 1.2 and later)."""
        return await self._call(
            "resume",
            room=room_id,
            id=participant_id,
            secret=secret,
            record=record,
            filename=filename,
            timeout=timeout,
        )

    @sends("enable_recording")
    async def enable_recording(
        self,
        room_id: int,
        record: bool = True,
        record_file: str | None = None,
        record_dir: str | None = None,
        secret: str | None = None,
        timeout: float | None = None,
    ) -> JSON:
        """Start or stop recording the room's mix to a .wav on the server."""
        return await self._call(
            "enable_recording",
            room=room_id,
            record=record,
            record_file=record_file,
            record_dir=record_dir,
            secret=secret,
            timeout=timeout,
        )

    @sends("enable_mjrs")
    async def enable_mjrs(
        self,
        room_id: int,
        mjrs: bool = True,
        mjrs_dir: str | None = None,
        secret: str | None = None,
        timeout: float | None = None,
    ) -> JSON:
        """Start or stop recording each participant to its own .mjr file."""
        return await self._call(
            "enable_mjrs",
            room=room_id,
            mjrs=mjrs,
            mjrs_dir=mjrs_dir,
            secret=secret,
            timeout=timeout,
        )

    # -- forwarders -----------------------------------------------------------------

    @sends("rtp_forward")
    async def rtp_forward(
        self,
        room_id: int,
        host: str,
        port: int,
        *,
        group: str | None = None,
        ssrc: int | None = None,
        codec: Literal["opus", "pcma", "pcmu"] | None = None,
        ptype: int | None = None,
        host_family: Literal["ipv4", "ipv6"] | None = None,
        srtp_suite: Literal[32, 80] | None = None,
        srtp_crypto: str | None = None,
        always_on: bool | None = None,
        secret: str | None = None,
        admin_key: str | None = None,
        timeout: float | None = None,
    ) -> JSON:
        """Forward the room's mix as plain (or SRTP) RTP to ``host:port``.

        Returns:
            The plugin's data; ``stream_id`` names the forwarder.
        """
        return await self._call(
            "rtp_forward",
            room=room_id,
            host=host,
            port=port,
            group=group,
            ssrc=ssrc,
            codec=codec,
            ptype=ptype,
            host_family=host_family,
            srtp_suite=srtp_suite,
            srtp_crypto=srtp_crypto,
            always_on=always_on,
            secret=secret,
            admin_key=admin_key,
            timeout=timeout,
        )

    @sends("stop_rtp_forward")
    async def stop_rtp_forward(
        self,
        room_id: int,
        stream_id: int,
        secret: str | None = None,
        admin_key: str | None = None,
        timeout: float | None = None,
    ) -> JSON:
        """Stop an RTP forwarder."""
        return await self._call(
            "stop_rtp_forward",
            room=room_id,
            stream_id=stream_id,
            secret=secret,
            admin_key=admin_key,
            timeout=timeout,
        )

    # -- announcements --------------------------------------------------------------

    @sends("play_file")
    async def play_file(
        self,
        room_id: int,
        filename: str,
        *,
        file_id: str | None = None,
        loop: bool = False,
        group: str | None = None,
        secret: str | None = None,
        admin_key: str | None = None,
        timeout: float | None = None,
    ) -> str:
        """Play an Ogg Opus file (a path Janus can read) into the room's mix.

        The room gets ``announcement-started`` now and ``announcement-stopped``
        when it ends (or on `stop_file`).

        Returns:
            The announcement's ``file_id`` (ours, or one Janus picked).
        """
        data = await self._call(
            "play_file",
            room=room_id,
            filename=filename,
            file_id=file_id,
            loop=loop,
            group=group,
            secret=secret,
            admin_key=admin_key,
            timeout=timeout,
        )
        return str(data["file_id"])

    @sends("is_playing")
    async def is_playing(
        self,
        room_id: int,
        file_id: str,
        secret: str | None = None,
        timeout: float | None = None,
    ) -> bool:
        """Return whether an announcement still plays."""
        data = await self._call(
            "is_playing", room=room_id, file_id=file_id, secret=secret, timeout=timeout
        )
        return bool(data.get("playing", False))

    @sends("stop_file")
    async def stop_file(
        self,
        room_id: int,
        file_id: str,
        secret: str | None = None,
        timeout: float | None = None,
    ) -> JSON:
        """Stop an announcement."""
        return await self._call(
            "stop_file", room=room_id, file_id=file_id, secret=secret, timeout=timeout
        )

    async def stop_all_files(
        self, room_id: int, secret: str | None = None, timeout: float | None = None
    ) -> JSON:
        """Stop every announcement in a room (Janus 1.2 and later)."""
        return await self._call("stop_all_files", room=room_id, secret=secret, timeout=timeout)

    async def list_announcements(
        self, room_id: int, secret: str | None = None, timeout: float | None = None
    ) -> list[JSON]:
        """List the announcements playing in a room (Janus 1.2 and later)."""
        data = await self._call("listannouncements", room=room_id, secret=secret, timeout=timeout)
        return list(data.get("announcements", []))

    # -- participant ----------------------------------------------------------------

    @sends("join")
    async def join(
        self,
        room_id: int,
        username: str | None = None,
        token: str | None = None,
        *,
        source: MediaSource | None = None,
        media: bool | None = None,
        participant_id: int | None = None,
        pin: str | None = None,
        muted: bool | None = None,
        codec: Literal["opus", "pcma", "pcmu"] | None = None,
        bitrate: int | None = None,
        quality: int | None = None,
        volume: int | None = None,
        timeout: float | None = None,
        **options: Any,
    ) -> JSON:
        """Join a room as ``username``; with media, send our offer in the same request.

        Args:
            room_id: The room.
            username: Our display name.
            token: An invitation token, if the room has an ACL.
            source: What to send (a file path, ``MediaPlayer`` or audio track);
                implies ``media``.
            media: Set up the PeerConnection now (we hear the mix). Default:
                only when ``source`` is given; else call `publish_stream`.
            participant_id: The id to take; Janus picks one if None.
            pin: The room's PIN, if it has one.
            muted: Start muted.
            codec: ``opus`` (default), ``pcma`` or ``pcmu``.
            bitrate: Our Opus bitrate in bps.
            quality: Opus complexity, 0-10.
            volume: Gain in percent (100: unchanged).
            timeout: Seconds to wait for the reply (and for ``webrtcup``).
            **options: Any other ``join`` field (``group``, ``prebuffer``,
                ``expected_loss``, ``spatial_position``, ``secret``, ``record``,
                ``filename``, ``generate_offer``...).

        Returns:
            The ``joined`` data: our ``id`` and the other ``participants``.

        Raises:
            AudioBridgeError: E.g. 485 when the room does not exist.
        """
        body = request_body(
            "join",
            options,
            room=room_id,
            id=participant_id,
            display=username,
            token=token,
            pin=pin,
            muted=muted,
            codec=codec,
            bitrate=bitrate,
            quality=quality,
            volume=volume,
        )
        if media is None:
            media = source is not None
        data = await self._send_audio(body, source, timeout, media=media)
        self._room_id = int(data.get("room", room_id))
        self._participant_id = data.get("id")
        self._display_name = username
        self._muted = bool(muted)
        return data

    @sends("configure")
    async def configure(
        self,
        muted: bool | None = None,
        display: str | None = None,
        volume: int | None = None,
        quality: int | None = None,
        bitrate: int | None = None,
        record: bool | None = None,
        filename: str | None = None,
        *,
        source: MediaSource | None = None,
        timeout: float | None = None,
        **options: Any,
    ) -> JSON:
        """Change our participation: mute, display name, gain, Opus settings, recording.

        Fields left None are not sent. With ``source``, our offer goes along
        (sending it; see `publish_stream`).

        Args:
            muted: Mute (True) or unmute (False) ourselves.
            display: A new display name (the room sees a ``participants`` event).
            volume: Gain in percent (100: unchanged).
            quality: Opus complexity, 0-10.
            bitrate: Our Opus bitrate in bps.
            record: Record our own audio to an .mjr file on the server.
            filename: That recording's base name.
            source: Audio to send, negotiating the PeerConnection.
            timeout: Seconds to wait.
            **options: Any other ``configure`` field (``prebuffer``,
                ``expected_loss``, ``spatial_position``, ``group``...).

        Returns:
            The plugin's data (``{"audiobridge": "event", "result": "ok"}``).
        """
        body = request_body(
            "configure",
            options,
            muted=muted,
            display=display,
            volume=volume,
            quality=quality,
            bitrate=bitrate,
            record=record,
            filename=filename,
        )
        data = await self._send_audio(body, source, timeout, media=source is not None)
        if muted is not None:
            self._muted = muted
        if display is not None:
            self._display_name = display
        return data

    async def publish_stream(
        self,
        source: MediaSource | None = None,
        *,
        muted: bool | None = None,
        timeout: float | None = None,
        **options: Any,
    ) -> JSON:
        """Set up our PeerConnection in the room joined (``configure`` with our offer).

        Returns once Janus reports it up. We hear the mix on ``frames("audio")``.

        Args:
            source: What to send (a file path, ``MediaPlayer`` or audio track);
                None: only listen.
            muted: Mute (True) or unmute (False) ourselves at the same time.
            timeout: Seconds to wait for the answer and for ``webrtcup``.
            **options: Any other ``configure`` field.

        Returns:
            The plugin's data (``{"audiobridge": "event", "result": "ok"}``).

        Raises:
            InvalidStateError: We have not joined a room.
        """
        if self._room_id is None:
            raise self._misuse("join a room before sending media")
        data = await self._send_audio(
            request_body("configure", options, muted=muted), source, timeout
        )
        if muted is not None:
            self._muted = muted
        return data

    async def close_stream(self, timeout: float | None = None) -> None:
        """Close our PeerConnection on both sides (janus_client's name).

        Janus takes us out of the room with it (the others see ``leaving``).
        """
        if self._peer is not None and not self._peer.closed:
            self._reset_state()
        await self.hangup_media(timeout=timeout)

    @sends("changeroom")
    async def change_room(
        self,
        room_id: int,
        username: str | None = None,
        *,
        participant_id: int | None = None,
        token: str | None = None,
        pin: str | None = None,
        muted: bool | None = None,
        timeout: float | None = None,
        **options: Any,
    ) -> JSON:
        """Move to another room on the same PeerConnection (``changeroom``).

        Returns:
            The ``roomchanged`` data: our new ``id`` and the room's ``participants``.
        """
        data = await self._call(
            "changeroom",
            options,
            room=room_id,
            id=participant_id,
            display=username,
            token=token,
            pin=pin,
            muted=muted,
            timeout=timeout,
        )
        self._room_id = int(data.get("room", room_id))
        self._participant_id = data.get("id")
        if username is not None:
            self._display_name = username
        if muted is not None:
            self._muted = muted
        return data

    @sends("leave")
    async def leave(self, room_id: int | None = None, timeout: float | None = None) -> JSON:
        """Leave the room and close our PeerConnection.

        If Janus says we are in no room (error 487: we never joined, or were
        kicked, or the room was destroyed) only the PeerConnection is closed
        and ``{}`` is returned.

        Args:
            room_id: Ignored (janus_client passes the room); Janus knows ours.
            timeout: Seconds to wait.

        Returns:
            The plugin's data (``{"audiobridge": "left", ...}``), or ``{}``.
        """
        del room_id
        try:
            data = await self._call("leave", timeout=timeout)
        except AudioBridgeError as exc:
            if exc.code != NOT_JOINED:
                raise
            data = {}
        self._reset_state()
        await self.hangup_media(timeout=timeout)
        return data

    @sends("hangup")
    async def hangup(self, timeout: float | None = None) -> JSON:
        """Ask the plugin to close our PeerConnection (its ``hangup`` request).

        With a PeerConnection, Janus takes us out of the room too (the others
        see ``leaving``).

        Returns:
            The plugin's data (``hangingup``).
        """
        had_media = self._peer is not None and not self._peer.closed
        self._up_peer = None
        data = await self._call("hangup", timeout=timeout)
        if had_media:
            self._reset_state()
        await self._close_peer()
        return data

    async def hangup_media(self, timeout: float | None = None) -> None:
        """Close our PeerConnection on both sides, if we have one."""
        if self._peer is None or self._peer.closed:
            return
        self._up_peer = None
        if self.attached:
            await self._call("hangup", timeout=timeout)
        await self._close_peer()

    @sends("resetdecoder")
    async def reset_decoder(self, timeout: float | None = None) -> JSON:
        """Have Janus recreate the Opus decoder of our audio (if it sounds garbled)."""
        return await self._call("resetdecoder", timeout=timeout)

    # -- internals ------------------------------------------------------------------

    async def _send_audio(
        self, body: JSON, source: MediaSource | None, timeout: float | None, *, media: bool = True
    ) -> JSON:
        """Send ``body``; with ``media``, our audio offer goes with it."""
        if not media:
            return plugin_data(await self._reply(body, timeout=timeout)) or {}
        receive: tuple[MediaKind, ...] = () if source is not None else ("audio",)
        return await self._negotiate(
            body, source=source, video=False, receive=receive, timeout=timeout
        )

    def _reset_state(self) -> None:
        self._room_id = None
        self._participant_id = None
        self._display_name = None
        self._muted = None

    def _on_event(self, message: JSON) -> None:
        super()._on_event(message)
        if message.get("janus") == "event":
            self._on_room_event(event_data(message))

    def _on_janus_hangup(self, peer: WebRTCPeer) -> None:
        if peer is self._peer:
            # Janus takes a participant whose PeerConnection went out of its room.
            self._reset_state()
        super()._on_janus_hangup(peer)

    def _on_room_event(self, data: JSON) -> None:
        """Follow the room's unsolicited events that change our participation."""
        if self._room_id is None or data.get("room") != self._room_id:
            return
        event_type = audiobridge_event_type(data)
        me = self._participant_id
        if event_type is AudioBridgeEventType.DESTROYED:
            logger.info("room %s was destroyed", self._room_id)
            self._reset_state()
        elif event_type is AudioBridgeEventType.KICKED_ALL or (
            event_type is AudioBridgeEventType.KICKED and data.get("kicked") == me
        ):
            logger.info("kicked out of room %s", self._room_id)
            self._reset_state()
        elif event_type is AudioBridgeEventType.PARTICIPANTS:
            for participant in data.get("participants", []):
                if isinstance(participant, dict) and participant.get("id") == me:
                    if "muted" in participant:
                        self._muted = bool(participant["muted"])
                    if "display" in participant:
                        self._display_name = participant["display"]

    async def _teardown(self) -> None:
        self._reset_state()
        await super()._teardown()
