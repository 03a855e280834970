"""The VoiceMail plugin: record up to 10 seconds of Opus audio into an ``.opus`` file.

The wire protocol (``janus.plugin.voicemail``, Janus's ``janus_voicemail.c``,
v1.1.x) has two requests, both answered by an event on their transaction:
``record`` and ``stop``. Janus 1.1.2 differs from its header comment, and the
code is what counts here:

* The header says never to send an offer and that the plugin offers in reply to
  ``record``. The plugin never offers: without a jsep ``record`` opens the file
  and answers ``starting`` with nothing to negotiate. The peer offers with
  ``record`` (as Janus's own demo does) and Janus answers: ``starting`` with an
  audio-only, Opus-only, ``recvonly`` SDP that rejects any video m-line.
* ``started`` comes unsolicited once the PeerConnection is up; the recording
  counts from then.
* ``done`` (with ``recording``: ``<base>/janus-voicemail-<id>.opus``) answers
  ``stop``, or comes unsolicited when audio arrives 10 s after ``started``.
  Either way Janus then ends the handle (a ``detached`` event follows): one
  handle records one message. A ``stop`` with nothing recorded is no error:
  it too answers ``done`` (naming a file that was never written) and ends the
  handle.
* A second ``record`` while one is under way fails with 465; the handle's
  recording id is picked when the handle is attached.
* The answer rejects a video m-line without ICE credentials, which aiortc
  refuses to apply, so rxjanus offers audio only.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, ClassVar

from aiortc import MediaStreamTrack, RTCConfiguration
from reactivex import Observable

from ..exceptions import InvalidStateError, PluginError, ProtocolError
from ..media import MediaSource, SingleMediaSource
from ..protocol import JSON, plugin_data
from .base import classify, plugin_errors, sends
from .webrtc import WebRTCPlugin

if TYPE_CHECKING:
    from ..janus_session import JanusSession

__all__ = [
    "JanusVoiceMailPlugin",
    "VoiceMailError",
    "VoiceMailEventType",
    "VoiceMailRecording",
    "voicemail_event_type",
]

logger = logging.getLogger(__name__)


MAX_SECONDS = 10.0
"""How long Janus records before it ends a message by itself (fixed in Janus 1.1)."""

_SDP_RECORDING_ID = re.compile(r"^s=VoiceMail (\d+)\r?$", re.MULTILINE)
_FILE_RECORDING_ID = re.compile(r"janus-voicemail-(\d+)\.opus$")


class VoiceMailError(PluginError):
    """An error the VoiceMail plugin answered with.

    Codes from Janus: 460 no message, 461 invalid JSON, 462 invalid request, 463 missing
    element, 464 invalid element, 465 already recording, 466 I/O error (the file cannot be
    opened), 467 libogg error, 468 invalid state, 499 unknown.
    """

    label = "VoiceMail"


class VoiceMailEventType(enum.Enum):
    """Kinds of VoiceMail events: the ``status`` Janus reports, and errors.

    ``UPDATING`` answers an ``update`` (a renegotiation), which Janus 1.1 has
    though its header does not document it.
    """

    STARTING = "starting"
    STARTED = "started"
    UPDATING = "updating"
    DONE = "done"
    ERROR = "error"


def voicemail_event_type(message: JSON) -> VoiceMailEventType | None:
    """Classify a VoiceMail message (a whole Janus message or its plugin data).

    Example:
        >>> voicemail_event_type({"voicemail": "event", "status": "started"})
        <VoiceMailEventType.STARTED: 'started'>

    Returns:
        The event's kind, or None if it is none of
        [`VoiceMailEventType`][rxjanus.plugins.voicemail.VoiceMailEventType].
    """
    return classify(message, "voicemail", VoiceMailEventType, lambda data: data.get("status"))


@dataclass(frozen=True)
class VoiceMailRecording:
    """A finished message, from the ``done`` event.

    Attributes:
        recording: Where Janus says the file is: the plugin's ``base``
            followed by the file name (a URL path, a URL, or a file path when
            ``base`` is the plugin's folder), or None if Janus named none.
        id: The recording's id, read from the file name.
        raw: The event's plugin data as Janus sent it.
    """

    recording: str | None
    id: int | None = None
    raw: JSON = field(default_factory=dict, compare=False, repr=False)

    @property
    def filename(self) -> str | None:
        """The file's name (``janus-voicemail-<id>.opus``), or None."""
        return PurePosixPath(self.recording).name if self.recording else None

    @classmethod
    def from_janus(cls, data: JSON) -> VoiceMailRecording:
        """Build one from the plugin data of a ``done`` event."""
        recording = data.get("recording")
        if not isinstance(recording, str):
            return cls(recording=None, raw=dict(data))
        match = _FILE_RECORDING_ID.search(recording)
        return cls(
            recording=recording,
            id=int(match.group(1)) if match else None,
            raw=dict(data),
        )


def _settle(future: asyncio.Future[Any]) -> None:
    """Cancel ``future``, or mark its exception seen, so it is never reported."""
    if not future.done():
        future.cancel()
    elif not future.cancelled():
        future.exception()


def _audio_sources(source: MediaSource) -> list[SingleMediaSource]:
    """``source`` without its video tracks and frame observables (Janus records audio only)."""
    items = list(source) if isinstance(source, (list, tuple)) else [source]
    kept: list[SingleMediaSource] = []
    for item in items:
        if isinstance(item, Observable) or (
            isinstance(item, MediaStreamTrack) and item.kind != "audio"
        ):
            logger.debug("not sending %r to the VoiceMail plugin: it records audio only", item)
        else:
            kept.append(item)
    return kept


def _is(kind: VoiceMailEventType) -> Callable[[JSON], bool]:
    """A predicate for ``_next_event``: a VoiceMail event of ``kind``."""
    return lambda message: message.get("janus") == "event" and voicemail_event_type(message) is kind


class JanusVoiceMailPlugin(WebRTCPlugin):
    """A handle on ``janus.plugin.voicemail``: leave one voice message of up to 10 s.

    [`record`][rxjanus.plugins.voicemail.JanusVoiceMailPlugin.record] offers our audio and returns
    once Janus records it (``started``);
    [`stop`][rxjanus.plugins.voicemail.JanusVoiceMailPlugin.stop] ends the message early, or Janus
    ends it after [`MAX_SECONDS`][rxjanus.plugins.voicemail.MAX_SECONDS]; either way the ``done``
    event names the ``.opus`` file ([`stop`][rxjanus.plugins.voicemail.JanusVoiceMailPlugin.stop]
    and [`wait_done`][rxjanus.plugins.voicemail.JanusVoiceMailPlugin.wait_done] return it as a
    [`VoiceMailRecording`][rxjanus.plugins.voicemail.VoiceMailRecording]) and Janus then ends the
    handle: attach again to record another message. Only audio is sent and recorded (Opus).
    Unsolicited messages (``started``, an automatic ``done``, the core's
    ``webrtcup``/``media``/``detached``...) reach
    [`events`][rxjanus.plugins.base.JanusPlugin.events].

    Plugin errors raise [`VoiceMailError`][rxjanus.plugins.voicemail.VoiceMailError].

    Example:
        >>> mail = JanusVoiceMailPlugin()  # doctest: +SKIP
        >>> await mail.attach(session)  # doctest: +SKIP
        >>> await mail.record("greeting.wav")  # doctest: +SKIP
        >>> message = await mail.stop()  # or: await mail.wait_done()  # doctest: +SKIP
        >>> print(message.recording)  # doctest: +SKIP
    """

    name = "janus.plugin.voicemail"
    error_class = VoiceMailError
    classify_event = staticmethod(voicemail_event_type)

    janus_events: ClassVar[Mapping[str, str]] = {
        "starting": "record() gets it with Janus's SDP answer (voicemail_event_type: "
        "STARTING) and waits on for started",
        "started": "events (VoiceMailEventType.STARTED); record() returns on it",
        "done": "stop() returns it as a VoiceMailRecording; at the 10 s limit it comes on "
        "events (VoiceMailEventType.DONE) and wait_done() returns it; Janus then ends "
        "the handle",
        "error": "raised as VoiceMailError (a PluginError) by the method that sent the request",
    }

    _recording_id: int | None = None
    _result: VoiceMailRecording | None = None
    _recording: bool = False

    def __init__(self, pc_config: RTCConfiguration | None = None, *, trickle: bool = True) -> None:
        super().__init__(pc_config, trickle=trickle)
        self._done = asyncio.Event()
        self._gone = asyncio.Event()

    # -- state ----------------------------------------------------------------------

    @property
    def recording_id(self) -> int | None:
        """The id of the message being recorded (from Janus's SDP), or None."""
        return self._recording_id

    @property
    def result(self) -> VoiceMailRecording | None:
        """The ``done`` of the last message, once it came."""
        return self._result

    async def attach(self, session: JanusSession) -> None:
        """Attach to ``session``; a new handle records a new message (see the base class)."""
        await super().attach(session)
        self._recording_id = None
        self._result = None
        self._recording = False
        self._done = asyncio.Event()
        self._gone = asyncio.Event()

    # -- requests -------------------------------------------------------------------

    @sends("record")
    async def record(self, source: MediaSource, *, timeout: float | None = None) -> None:
        """Offer our audio with ``record``; return once Janus records it (``started``).

        Args:
            source: What to record: a file path or URL, a ``MediaPlayer``, a
                track, or several of them. Only audio is sent: video tracks
                and the players' video are left out.
            timeout: Seconds to wait for the answer, and then for ``started``.

        Raises:
            VoiceMailError: E.g. 465 when Janus records on this handle already.
            InvalidStateError: This handle recorded already (attach anew).
            ValueError: ``source`` has no audio.
        """
        if self._recording or self._result is not None:
            raise InvalidStateError(f"{self!r} records one message; attach a new handle")
        peer = self.peer
        if not peer.add_source(_audio_sources(source), audio=True, video=False):
            await self.reset_connection()
            raise ValueError(f"nothing to record: {source!r} has no audio")
        started = self._next_event(_is(VoiceMailEventType.STARTED))
        self._recording = True
        try:
            with plugin_errors(VoiceMailError):
                reply = await self.send_offer({"request": "record"}, timeout=timeout)
            data = plugin_data(reply) or {}
            answer = reply.get("jsep")
            sdp = answer.get("sdp") if isinstance(answer, dict) else None
            found = _SDP_RECORDING_ID.search(sdp) if isinstance(sdp, str) else None
            self._recording_id = int(found.group(1)) if found else None
            status = voicemail_event_type(data)
            if status is VoiceMailEventType.STARTING:
                seconds = timeout if timeout is not None else self._default_timeout()
                async with asyncio.timeout(seconds):
                    await started
            elif status is not VoiceMailEventType.STARTED:
                raise ProtocolError(f"record was answered with {data}")
        except BaseException:
            self._recording = False
            await self._abandon()
            raise
        finally:
            _settle(started)
        logger.debug("%r records message %s", self, self._recording_id)

    @sends("stop")
    async def stop(self, timeout: float | None = None) -> VoiceMailRecording:
        """End the message now; return the ``done`` once Janus has ended the handle.

        Janus answers even with nothing recorded: a ``done`` naming a file that
        was never written. If the 10 s limit ends the message first, that
        ``done`` is returned (Janus drops a ``stop`` for a handle it is ending).
        Janus ends the handle on a timer of whole seconds: this takes up to ~1 s.

        Returns:
            The finished message (where Janus says its file is).
        """
        if self._result is None:
            self._require_attached()
            request = asyncio.ensure_future(self.send({"request": "stop"}, timeout=timeout))
            finished = asyncio.ensure_future(self._done.wait())
            try:
                await asyncio.wait({request, finished}, return_when=asyncio.FIRST_COMPLETED)
                if self._result is None:
                    with plugin_errors(VoiceMailError):
                        reply = await request
                    data = plugin_data(reply) or {}
                    if voicemail_event_type(data) is not VoiceMailEventType.DONE:
                        raise ProtocolError(f"stop was answered with {data}")
                    self._finish(data)
            finally:
                finished.cancel()
                _settle(request)
        await self._wait_gone(timeout)
        assert self._result is not None
        return self._result

    async def wait_done(self, timeout: float | None = None) -> VoiceMailRecording:
        """Wait for the message's ``done`` (after [`stop`][..stop], or the 10 s limit).

        Returns once Janus has ended the handle too.

        Returns:
            The finished message (where Janus says its file is).

        Raises:
            InvalidStateError: The handle ended without a ``done``.
            TimeoutError: No ``done`` in time.
        """
        if self._result is None and not self.attached:
            raise InvalidStateError(f"{self!r} is not attached and has no done")
        seconds = timeout if timeout is not None else self._timeout_or_default()
        async with asyncio.timeout(seconds):
            await self._done.wait()
        if self._result is None:
            raise InvalidStateError(f"{self!r} ended without a done")
        await self._wait_gone(seconds)
        return self._result

    # -- internals ------------------------------------------------------------------

    def _timeout_or_default(self) -> float:
        """The session's timeout while attached; after that, the waits are short anyway."""
        session = self._session
        return session.timeout if session is not None else MAX_SECONDS

    def _finish(self, data: JSON) -> None:
        if self._result is None:
            self._result = VoiceMailRecording.from_janus(data)
        self._recording = False
        self._done.set()

    async def _wait_gone(self, timeout: float | None) -> None:
        """Wait for Janus to end the handle after ``done``; detach it ourselves if not."""
        seconds = timeout if timeout is not None else self._timeout_or_default()
        try:
            async with asyncio.timeout(seconds):
                await self._gone.wait()
        except TimeoutError:
            logger.warning("%r: Janus did not end the handle after done; detaching", self)
            await self.detach()

    def _on_event(self, message: JSON) -> None:
        super()._on_event(message)  # a hangup closes our side too (WebRTCPlugin)
        kind = message.get("janus")
        if kind == "detached":
            self._gone.set()
        elif kind == "event" and voicemail_event_type(message) is VoiceMailEventType.DONE:
            self._finish(plugin_data(message) or {})

    async def _teardown(self) -> None:
        self._recording = False
        self._done.set()
        self._gone.set()
        await super()._teardown()
