"""The Record&Play plugin: record WebRTC media on the server and play it back.

The wire protocol (``janus.plugin.recordplay``, the header of Janus's
``janus_recordplay.c``, v1.1.x): ``list`` and ``update`` are answered at once;
``record`` (with our offer), ``play`` (Janus answers with its offer), ``start``
(with our answer) and ``stop`` are answered by an event with a ``result``
whose ``status`` says what happened (``recording``, ``preparing``,
``playing``, ``stopped``). When the PeerConnection goes away (a ``stop``, or a
playout reaching its end) Janus sends an unsolicited ``"result": "done"``;
only then are a recording's ``.mjr`` files closed and its ``.nfo`` written,
and only then does ``list`` show it.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import enum
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from aiortc import RTCConfiguration

from ..exceptions import InvalidStateError, JanusError, PluginError, ProtocolError
from ..media import MediaSource
from ..protocol import JSON, plugin_data
from .base import classify, plugin_errors, request_body, sends
from .webrtc import JANUS_HANGUP_WAIT, WebRTCPlugin

__all__ = [
    "JanusRecordPlayPlugin",
    "RecordPlayError",
    "RecordPlayEventType",
    "Recording",
    "recordplay_event_type",
]

logger = logging.getLogger(__name__)


class RecordPlayError(PluginError):
    """An error the Record&Play plugin answered with.

    Codes from Janus: 411 no message, 412 invalid JSON, 413 invalid request, 414 invalid
    element, 415 missing element, 416 no such recording, 417 invalid recording (its files cannot
    be read), 418 invalid state, 419 invalid SDP, 420 recording exists, 499 unknown.
    """

    label = "Record&Play"


class RecordPlayEventType(enum.Enum):
    """Kinds of Record&Play events: the ``result.status`` Janus reports, ``done`` and errors."""

    RECORDING = "recording"
    PREPARING = "preparing"
    RESTARTING = "restarting"
    PLAYING = "playing"
    STOPPED = "stopped"
    PAUSED = "paused"
    RESUMED = "resumed"
    SLOW_LINK = "slow_link"
    DONE = "done"
    ERROR = "error"


def recordplay_event_type(message: JSON) -> RecordPlayEventType | None:
    """Classify a Record&Play message (a whole Janus message or its plugin data).

    Example:
        >>> recordplay_event_type({"recordplay": "event", "result": "done"})
        <RecordPlayEventType.DONE: 'done'>

    Returns:
        The event's kind, or None if it is none of
        [`RecordPlayEventType`][rxjanus.plugins.recordplay.RecordPlayEventType].
    """
    return classify(message, "recordplay", RecordPlayEventType, _status)


def _status(data: JSON) -> Any:
    result = data.get("result")
    return result.get("status") if isinstance(result, dict) else result


@dataclass(frozen=True)
class Recording:
    """One recording ``list`` shows.

    Attributes:
        id: The recording's id (for
            [`JanusRecordPlayPlugin.play`][rxjanus.plugins.recordplay.JanusRecordPlayPlugin.play]).
        name: Its pretty name.
        date: When it was recorded (Janus's ``YYYY-MM-DD HH:MM:SS``).
        audio: Whether it has audio.
        video: Whether it has video.
        data: Whether it has data channel messages.
        audio_codec: The audio codec, if any (e.g. ``"opus"``).
        video_codec: The video codec, if any (e.g. ``"vp8"``).
        raw: The entry as Janus sent it.
    """

    id: int
    name: str
    date: str
    audio: bool = False
    video: bool = False
    data: bool = False
    audio_codec: str | None = None
    video_codec: str | None = None
    raw: JSON = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_janus(cls, entry: JSON) -> Recording:
        """Build one from an entry of Janus's ``list``."""
        audio_codec = entry.get("audio_codec")
        video_codec = entry.get("video_codec")
        return cls(
            id=int(entry["id"]),
            name=str(entry.get("name", "")),
            date=str(entry.get("date", "")),
            # Janus 1.1 says true/false; older ones the file name (documented so).
            audio=bool(entry.get("audio")),
            video=bool(entry.get("video")),
            data=bool(entry.get("data")),
            audio_codec=audio_codec if isinstance(audio_codec, str) else None,
            video_codec=video_codec if isinstance(video_codec, str) else None,
            raw=dict(entry),
        )


def _result(data: JSON) -> JSON:
    result = data.get("result")
    return result if isinstance(result, dict) else {}


class JanusRecordPlayPlugin(WebRTCPlugin):
    """A handle on ``janus.plugin.recordplay``: record media, list and play recordings.

    One handle does one thing at a time: record
    ([`record`][rxjanus.plugins.recordplay.JanusRecordPlayPlugin.record], then
    [`stop`][rxjanus.plugins.recordplay.JanusRecordPlayPlugin.stop]) or play
    ([`play`][rxjanus.plugins.recordplay.JanusRecordPlayPlugin.play], which answers Janus's offer
    with ``start``; a playout stops by itself at the end of the recording, or with
    [`stop`][rxjanus.plugins.recordplay.JanusRecordPlayPlugin.stop]). Replies are returned;
    unsolicited messages (``done``, ``slow_link``, the core's ``webrtcup``/``hangup``...) reach
    [`events`][rxjanus.plugins.base.JanusPlugin.events]. When Janus hangs up, the local
    PeerConnection is closed too, which ends the frame streams of
    [`frames`][rxjanus.plugins.webrtc.WebRTCPlugin.frames].

    Plugin errors raise [`RecordPlayError`][rxjanus.plugins.recordplay.RecordPlayError].

    Example:
        >>> recorder = JanusRecordPlayPlugin()  # doctest: +SKIP
        >>> await recorder.attach(session)  # doctest: +SKIP
        >>> rec_id = await recorder.record("input.mp4", "my recording")  # doctest: +SKIP
        >>> await recorder.stop()  # doctest: +SKIP
        >>> await recorder.wait_done()  # doctest: +SKIP
        >>> await player.play(rec_id)  # doctest: +SKIP
        >>> player.frames("video").subscribe(print)  # doctest: +SKIP
    """

    name = "janus.plugin.recordplay"
    error_class = RecordPlayError
    classify_event = staticmethod(recordplay_event_type)

    janus_events: ClassVar[Mapping[str, str]] = {
        "list": "list_recordings() returns it (Recording objects)",
        "ok": "update() returns it",
        "recording": "record() returns its id (recordplay_event_type: RECORDING)",
        "preparing": "play(start=False) returns it (recordplay_event_type: PREPARING)",
        "playing": "play() and start() return it (recordplay_event_type: PLAYING)",
        "stopped": "stop() returns it (recordplay_event_type: STOPPED)",
        "done": "events (RecordPlayEventType.DONE); wait_done() returns; the local "
        "PeerConnection closes with the hangup that follows",
        "error": "raised as RecordPlayError (a PluginError) by the method that sent the request",
    }

    _offer: JSON | None = None
    _recording_id: int | None = None

    def __init__(self, pc_config: RTCConfiguration | None = None, *, trickle: bool = True) -> None:
        super().__init__(pc_config, trickle=trickle)
        self._done = asyncio.Event()
        self._done.set()

    # -- state ----------------------------------------------------------------------

    @property
    def recording_id(self) -> int | None:
        """The recording being recorded or played, or None."""
        return self._recording_id

    # -- synchronous requests -------------------------------------------------------

    @sends("list")
    async def list_recordings(self, timeout: float | None = None) -> builtins.list[Recording]:
        """List the finished recordings (the ``list`` request).

        A recording under way is not listed; one shows once its ``done`` came.
        """
        data = await self._call("list", timeout=timeout)
        return [Recording.from_janus(entry) for entry in data.get("list", [])]

    async def list(self, timeout: float | None = None) -> builtins.list[Recording]:
        """The ``list`` request under its Janus name (see `list_recordings`)."""
        return await self.list_recordings(timeout=timeout)

    @sends("update")
    async def update(self, timeout: float | None = None) -> JSON:
        """Make the plugin scan its folder again (for recordings copied there by hand).

        Returns:
            The plugin's data (``{"recordplay": "ok"}``).
        """
        return await self._call("update", timeout=timeout)

    async def configure(
        self,
        *,
        video_bitrate_max: int | None = None,
        video_keyframe_interval: int | None = None,
        timeout: float | None = None,
    ) -> JSON:
        """Set the bitrate cap and keyframe interval (ms) asked of a peer we record.

        Janus 1.1 answers this request though its header does not document it.

        Returns:
            The plugin's data; ``settings`` holds the values now in force.
        """
        settings = {
            "video-bitrate-max": video_bitrate_max,
            "video-keyframe-interval": video_keyframe_interval,
        }
        set_ = {key: value for key, value in settings.items() if value is not None}
        return await self._call("configure", set_, timeout=timeout)

    # -- recording ------------------------------------------------------------------

    @sends("record")
    async def record(
        self,
        source: MediaSource,
        name: str,
        *,
        recording_id: int | None = None,
        filename: str | None = None,
        audiocodec: str | None = None,
        videocodec: str | None = None,
        videoprofile: str | None = None,
        opusred: bool | None = None,
        textdata: bool | None = None,
        audio: bool = True,
        video: bool = True,
        timeout: float | None = None,
    ) -> int:
        """Offer our media with ``record``; return the recording's id once media flows.

        Args:
            source: What to record: a file path or URL, a ``MediaPlayer``, a
                track, or several of them (e.g. a video and an audio track).
            name: The recording's pretty name (required by Janus).
            recording_id: The id to use; Janus picks one if None (420 if taken).
            filename: The base name of the files in the plugin's folder
                (Janus adds ``-audio.mjr``/``-video.mjr``); default
                ``rec-<id>``.
            audiocodec: The audio codec to prefer.
            videocodec: The video codec to prefer.
            videoprofile: A video profile (VP9 ``"2"``, H.264 ``"42e01f"``).
            opusred: Negotiate RED for audio, if offered.
            textdata: Record data channel messages as text (default) or binary.
            audio: Send the players' audio.
            video: Send the players' video.
            timeout: Seconds to wait for the answer and for ``webrtcup``.

        Returns:
            The recording's id.

        Raises:
            RecordPlayError: E.g. 420 when ``recording_id`` exists already.
        """
        body = request_body(
            "record",
            name=name,
            id=recording_id,
            filename=filename,
            audiocodec=audiocodec,
            videocodec=videocodec,
            videoprofile=videoprofile,
            opusred=opusred,
            textdata=textdata,
        )
        await self._wait_idle()
        self.peer.add_source(source, audio=audio, video=video)
        self._begin()
        try:
            with plugin_errors(RecordPlayError):
                reply = await self.send_offer(body, timeout=timeout)
        except BaseException:
            await self._give_up(hangup=True)
            raise
        result = _result(plugin_data(reply) or {})
        if result.get("status") != "recording" or not isinstance(result.get("id"), int):
            raise ProtocolError(f"record was answered without a recording id: {result}")
        self._recording_id = int(result["id"])
        await self.wait_webrtcup(timeout)
        return self._recording_id

    # -- playing --------------------------------------------------------------------

    @sends("play")
    async def play(
        self,
        recording_id: int,
        *,
        start: bool = True,
        timeout: float | None = None,
    ) -> JSON:
        """Ask to play a recording; Janus offers its media, which we answer with ``start``.

        Args:
            recording_id: The recording (see
                [`list_recordings`][rxjanus.plugins.recordplay.JanusRecordPlayPlugin.list_recordings]).
            start: Answer Janus's offer with
                [`start`][rxjanus.plugins.recordplay.JanusRecordPlayPlugin.start] at once (default);
                False returns the ``preparing`` data and keeps the offer.
            timeout: Seconds to wait for each reply.

        Returns:
            The ``playing`` data, or the ``preparing`` data with ``start=False``.

        Raises:
            RecordPlayError: E.g. 416 when there is no such recording.
        """
        await self._wait_idle()
        _ = self.peer  # made now, so that Janus's trickled candidates find it
        self._begin()
        try:
            reply = await self._reply({"request": "play", "id": recording_id}, timeout=timeout)
        except BaseException:
            await self._give_up()
            raise
        offer = reply.get("jsep")
        if not isinstance(offer, dict) or offer.get("type") != "offer":
            await self._give_up()
            raise ProtocolError("play was answered without an offer")
        self._offer = offer
        self._recording_id = recording_id
        data = plugin_data(reply) or {}
        warning = _result(data).get("warning")
        if warning:
            logger.warning("recording %d: %s", recording_id, warning)
        if not start:
            return data
        return await self.start(timeout=timeout)

    @sends("start")
    async def start(self, timeout: float | None = None) -> JSON:
        """Answer the offer of the last [`play`][..play] (the ``start`` request).

        Returns once Janus reports the PeerConnection up.

        Returns:
            The ``playing`` data.

        Raises:
            InvalidStateError: No [`play`][rxjanus.plugins.recordplay.JanusRecordPlayPlugin.play]
                offer waits for an answer.
        """
        offer, self._offer = self._offer, None
        if offer is None:
            raise InvalidStateError("start answers the offer of play(); call play() first")
        with plugin_errors(RecordPlayError):
            reply = await self.send_answer({"request": "start"}, offer, timeout=timeout)
        await self.wait_webrtcup(timeout)
        return plugin_data(reply) or {}

    # -- both -----------------------------------------------------------------------

    @sends("stop")
    async def stop(self, timeout: float | None = None) -> JSON:
        """Stop recording or playing; Janus tears the PeerConnection down.

        The ``done`` event that follows (see
        [`wait_done`][rxjanus.plugins.recordplay.JanusRecordPlayPlugin.wait_done]) means the
        recording's files are closed and its ``.nfo`` written.

        Returns:
            The ``stopped`` data (its ``result.id`` is the recording's id).
        """
        self._offer = None
        return await self._call("stop", timeout=timeout)

    async def pause(self, timeout: float | None = None) -> JSON:
        """Pause a recording (Janus 1.1 has it though its header does not document it)."""
        return await self._call("pause", timeout=timeout)

    async def resume(self, timeout: float | None = None) -> JSON:
        """Resume a paused recording (see [`pause`][..pause])."""
        return await self._call("resume", timeout=timeout)

    async def wait_done(self, timeout: float | None = None) -> None:
        """Wait for the ``done`` of the last [`record`][..record] or [`play`][..play].

        Janus sends it when the PeerConnection is gone: after
        [`stop`][rxjanus.plugins.recordplay.JanusRecordPlayPlugin.stop], at the end of a playout, or
        when the peer hangs up.
        """
        self._require_attached()
        seconds = timeout if timeout is not None else self._default_timeout()
        async with asyncio.timeout(seconds):
            await self._done.wait()

    # -- internals ------------------------------------------------------------------

    async def _wait_idle(self) -> None:
        """Let Janus finish closing the last PeerConnection before a new one."""
        await self._wait_janus_idle()
        peer = self._peer
        if peer is not None and (
            peer.pc.localDescription is not None or peer.pc.remoteDescription is not None
        ):
            # A peer of an earlier negotiation; a fresh one (tracks added, frames
            # subscribed to beforehand) is kept.
            await self.reset_connection()

    def _begin(self) -> None:
        self._done.clear()
        self._janus_idle.clear()
        self._recording_id = None

    async def _give_up(self, *, hangup: bool = False) -> None:
        """Forget a refused ``record``/``play`` and drop our peer.

        With ``hangup`` (a refused offer, for which Janus set up half a
        PeerConnection), hang that up and wait for its ``done``, so that it
        cannot be taken for the ``done`` of what comes next.
        """
        self._offer = None
        await self.reset_connection()
        if hangup and self.attached:
            self._done.clear()
            with contextlib.suppress(JanusError, TimeoutError):
                await self.hangup()
                async with asyncio.timeout(JANUS_HANGUP_WAIT):
                    await self._done.wait()
        self._done.set()
        self._janus_idle.set()

    def _on_event(self, message: JSON) -> None:
        super()._on_event(message)  # a hangup closes our side too (WebRTCPlugin)
        if recordplay_event_type(message) is RecordPlayEventType.DONE:
            self._done.set()

    async def _teardown(self) -> None:
        self._offer = None
        self._done.set()
        await super()._teardown()
