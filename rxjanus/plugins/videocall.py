"""The VideoCall plugin: two registered users call each other through Janus.

The wire protocol (``janus.plugin.videocall``): every request is answered by an
event with the request's transaction. ``call`` carries our offer and is answered
by ``calling``; the callee gets an unsolicited ``incomingcall`` with the offer,
answers it with ``accept``; the caller then gets an unsolicited ``accepted``
carrying the answer. Either side ends the call with ``hangup``, and both get a
``hangup`` event.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from aiortc import RTCConfiguration
from aiortc.contrib.media import MediaRecorder

from ..exceptions import JanusClientPluginError, ProtocolError
from ..media import MediaKind, MediaSource
from ..protocol import JSON, plugin_data
from .base import request_body, sends
from .webrtc import JANUS_HANGUP_WAIT, WebRTCPlugin

__all__ = [
    "IncomingCall",
    "JanusVideoCallPlugin",
    "VideoCallError",
    "VideoCallEventType",
    "videocall_event_type",
]

logger = logging.getLogger(__name__)

RecordTarget = str | Path | MediaRecorder
"""Where to record the remote media: a file path or a ``MediaRecorder``."""

REMOTE_WEBRTC_HANGUP = "Remote WebRTC hangup"
"""The reason of the hangup event Janus sends when the other side's PeerConnection closed."""


class VideoCallError(JanusClientPluginError):
    """An error from the VideoCall plugin, or a local refusal (code 0: not registered...)."""

    label = "VideoCall"


class VideoCallEventType(enum.Enum):
    """The ``result.event`` values of VideoCall events (janus_client's enum)."""

    REGISTERED = "registered"
    CALLING = "calling"
    INCOMINGCALL = "incomingcall"
    ACCEPTED = "accepted"
    UPDATE = "update"
    HANGUP = "hangup"
    SET = "set"


@dataclass(frozen=True)
class IncomingCall:
    """A call offered to us: who calls, and their offer to answer with ``accept``.

    Attributes:
        username: The caller's registered name.
        jsep: The offer (``{"type": "offer", "sdp": ...}``).
        result: The event's whole ``result`` object.
    """

    username: str
    jsep: JSON
    result: JSON


def event_result(message: JSON) -> JSON | None:
    """Return the ``result`` of a VideoCall event, or None for anything else."""
    data = plugin_data(message)
    if data is None or data.get("videocall") != "event":
        return None
    result = data.get("result")
    return result if isinstance(result, dict) else None


def _event_name(message: JSON) -> str | None:
    result = event_result(message)
    name = result.get("event") if result is not None else None
    return name if isinstance(name, str) else None


def videocall_event_type(message: JSON) -> VideoCallEventType | None:
    """The kind of a VideoCall event (its ``result.event``), or None."""
    try:
        return VideoCallEventType(_event_name(message))
    except ValueError:
        return None


class JanusVideoCallPlugin(WebRTCPlugin):
    """A handle on ``janus.plugin.videocall``.

    Incoming calls, ``accepted``, ``update`` and ``hangup`` events from the
    other side reach [`events`][rxjanus.plugins.base.JanusPlugin.events] as Janus sent them;
    [`wait_incoming_call`][rxjanus.plugins.videocall.JanusVideoCallPlugin.wait_incoming_call] waits
    for the next incoming call.

    Example:
        >>> bob = JanusVideoCallPlugin()  # doctest: +SKIP
        >>> await bob.attach(session)  # doctest: +SKIP
        >>> await bob.register("bob")  # doctest: +SKIP
        >>> call = await bob.wait_incoming_call()  # doctest: +SKIP
        >>> await bob.accept(call.jsep, player="input.mp4")  # doctest: +SKIP
    """

    name = "janus.plugin.videocall"
    error_class = VideoCallError
    classify_event = staticmethod(videocall_event_type)

    janus_events: ClassVar[Mapping[str, str]] = {
        "list": "returned by list_users() (the registered names)",
        "registered": "register() returns True",
        "calling": "call() waits on past it while the callee's phone rings",
        "incomingcall": "wait_incoming_call() returns it (IncomingCall, with the offer); "
        "events, on_event(VideoCallEventType.INCOMINGCALL)",
        "accepted": "call() applies its answer and returns True; accept() returns True; "
        "events, on_event(VideoCallEventType.ACCEPTED)",
        "set": "set_media() returns True",
        "update": "events, on_event(VideoCallEventType.UPDATE); an offer in it is answered "
        "by the handle, an answer in it completes renegotiate()",
        "hangup": "hangup() returns True; events, on_event(VideoCallEventType.HANGUP); "
        "closes the local PeerConnection",
        "error": "raised as VideoCallError (a PluginError) by the method that sent the request",
    }

    _username: str | None = None
    _in_call: bool = False
    _incoming: IncomingCall | None = None

    def __init__(self, pc_config: RTCConfiguration | None = None, *, trickle: bool = True) -> None:
        super().__init__(pc_config, trickle=trickle)
        # Clear while the other side's PeerConnection of an answered call is open:
        # when Janus closes it, the plugin sends us "Remote WebRTC hangup" and
        # closes our PeerConnection, so a new call must wait for that to happen.
        self._peer_pc_closed = asyncio.Event()
        self._peer_pc_closed.set()

    @property
    def username(self) -> str | None:
        """The name this handle registered, if any."""
        return self._username

    @property
    def in_call(self) -> bool:
        """Whether a call is ringing or up on this handle."""
        return self._in_call

    # -- requests -------------------------------------------------------------------

    @sends("list")
    async def list_users(self, timeout: float = 15.0) -> list[str]:
        """Return the registered usernames."""
        result = await self._result("list", timeout=timeout)
        users = result.get("list")
        return [str(user) for user in users] if isinstance(users, list) else []

    @sends("register")
    async def register(self, username: str, timeout: float = 15.0) -> bool:
        """Register ``username`` so that others can call it.

        Returns:
            True once Janus confirms the registration.

        Raises:
            VideoCallError: Already registered (code 0), or the name is taken (476).
        """
        if self._username:
            raise self._misuse(f"Already registered as '{self._username}'")
        result = await self._result("register", username=username, timeout=timeout)
        if result.get("event") != "registered":
            return False
        self._username = username
        return True

    @sends("call")
    async def call(
        self,
        username: str,
        player: MediaSource | None = None,
        recorder: RecordTarget | None = None,
        trickle: bool | None = None,
        timeout: float = 30.0,
        *,
        audio: bool = True,
        video: bool = True,
    ) -> bool:
        """Call ``username``; return once the callee accepted and its answer is applied.

        Args:
            username: Whom to call.
            player: What to send (file, ``MediaPlayer`` or track). Without one
                we offer to receive audio and video only.
            recorder: Where to record what the callee sends.
            trickle: Trickle our candidates (default: the handle's setting).
            timeout: Seconds to wait for the whole call setup, ringing included.
            audio: Send the player's audio.
            video: Send the player's video.

        Returns:
            True once the call is up; False if the callee was busy or hung up
            instead of answering.

        Raises:
            VideoCallError: Not registered or already in a call (code 0), or
                the plugin refused (e.g. 478, no such username).
            TimeoutError: No answer in time (the attempt is hung up).
        """
        if not self._username:
            raise self._misuse("Must register a username first")
        if self._in_call:
            raise self._misuse("Already in a call")
        self._use_trickle(trickle)
        await self._wait_janus_idle()
        if recorder is not None and recorder != "":
            self.peer.record_to(recorder)
        receive: tuple[MediaKind, ...] = ("audio", "video") if player is None else ()
        peer = self._add_media(player, audio=audio, video=video, receive=receive)
        offer = await peer.create_offer()
        ringing = False

        def answered(message: JSON) -> bool:
            # A hangup before our call rings is a late one from the last call.
            name = _event_name(message)
            return name == "accepted" or (name == "hangup" and ringing)

        outcome = self._next_event(answered)
        try:
            async with asyncio.timeout(timeout):
                self._janus_idle.clear()
                result = await self._result("call", username=username, jsep=offer, timeout=timeout)
                if result.get("event") != "calling":  # "hangup": the callee is busy
                    logger.info("call to %s refused: %s", username, result.get("reason"))
                    await self.reset_connection()
                    return False
                self._in_call = ringing = True
                await self._trickle_quietly()
                event = await outcome
        except TimeoutError:
            logger.info("call to %s timed out; hanging up", username)
            await self._abandon_call()
            raise
        except BaseException:
            self._in_call = False
            await self.reset_connection()
            raise
        finally:
            outcome.cancel()
        if _event_name(event) != "accepted":
            await self.reset_connection()
            return False
        answer = event.get("jsep")
        if not isinstance(answer, dict):
            await self._abandon_call()
            raise VideoCallError(0, "the accepted event carried no answer")
        await peer.set_remote_description(answer)
        return True

    @sends("accept")
    async def accept(
        self,
        jsep: JSON | None = None,
        player: MediaSource | None = None,
        recorder: RecordTarget | None = None,
        trickle: bool | None = None,
        timeout: float = 30.0,
        *,
        audio: bool = True,
        video: bool = True,
    ) -> bool:
        """Answer an incoming call.

        Args:
            jsep: The caller's offer (default: the last incoming call's).
            player: What to send back (file, ``MediaPlayer`` or track), if anything.
            recorder: Where to record what the caller sends.
            trickle: Trickle our candidates (default: the handle's setting).
            timeout: Seconds to wait for Janus's reply.
            audio: Send the player's audio.
            video: Send the player's video.

        Returns:
            True once Janus confirms the call is accepted.

        Raises:
            VideoCallError: Not registered or no incoming call (code 0), or the
                plugin refused (e.g. 481).
        """
        if not self._username:
            raise self._misuse("Must register a username first")
        offer = jsep if jsep is not None else (self._incoming.jsep if self._incoming else None)
        if offer is None:
            raise self._misuse("No incoming call to accept")
        self._use_trickle(trickle)
        await self._wait_janus_idle()
        peer = self.peer
        if recorder is not None and recorder != "":
            peer.record_to(recorder)
        if player is not None:
            peer.add_source(player, audio=audio, video=video)
        try:
            answer = await peer.create_answer(offer)
            self._janus_idle.clear()
            self._peer_pc_closed.clear()
            result = await self._result("accept", jsep=answer, timeout=timeout)
        except BaseException:
            self._peer_pc_closed.set()
            await self.reset_connection()
            raise
        self._incoming = None
        await self._trickle_quietly()
        accepted = result.get("event") == "accepted"
        if not accepted:
            self._peer_pc_closed.set()
        self._in_call = accepted
        return accepted

    async def wait_incoming_call(self, timeout: float | None = None) -> IncomingCall:
        """Wait for a call to us (or return the one ringing now).

        Args:
            timeout: Seconds to wait (default: the session's ``timeout``).

        Raises:
            TimeoutError: Nobody called in time.
        """
        if self._incoming is not None:
            return self._incoming
        await self._wait_event(lambda m: _event_name(m) == "incomingcall", timeout)
        if self._incoming is None:  # _on_event stores it before the event is emitted
            raise ProtocolError("an incomingcall event without an offer")
        return self._incoming

    @sends("set")
    async def set_media(
        self,
        audio: bool | None = None,
        video: bool | None = None,
        bitrate: int | None = None,
        record: bool | None = None,
        filename: str | None = None,
        substream: int | None = None,
        temporal: int | None = None,
        fallback: int | None = None,
        jsep: JSON | None = None,
        timeout: float = 15.0,
    ) -> bool:
        """Change what Janus relays for us (the ``set`` request).

        Args:
            audio: Relay our audio or not.
            video: Relay our video or not.
            bitrate: A cap for the bitrate the other side may send us.
            record: Record our side on the server.
            filename: The base path of the server's recording.
            substream: The simulcast substream to receive (0-2).
            temporal: The simulcast temporal layer to receive (0-2).
            fallback: Microseconds without packets before dropping a substream.
            jsep: An offer or answer to renegotiate with.
            timeout: Seconds to wait for Janus's reply.

        Returns:
            True once Janus confirms (a ``set`` event).
        """
        result = await self._result(
            "set",
            audio=audio,
            video=video,
            bitrate=bitrate,
            record=record,
            filename=filename,
            substream=substream,
            temporal=temporal,
            fallback=fallback,
            jsep=jsep,
            timeout=timeout,
        )
        return result.get("event") == "set"

    async def renegotiate(self, timeout: float = 30.0) -> bool:
        """Offer the call's media anew (a ``set`` with an offer); return once answered.

        The other side gets our offer in an ``update`` event and (an rxjanus
        handle does it by itself) answers it with a ``set``; its answer comes
        back to us in an ``update`` event, which is applied here.

        Returns:
            True once the other side's answer is applied.

        Raises:
            VideoCallError: No call is up (code 0), or the plugin refused.
            TimeoutError: No answer in time.
        """
        if not self._in_call or self._peer is None or self._peer.closed:
            raise self._misuse("No call to renegotiate")
        peer = self._peer

        def answered(message: JSON) -> bool:
            jsep = message.get("jsep")
            return (
                _event_name(message) == "update"
                and isinstance(jsep, dict)
                and (jsep.get("type") == "answer")
            )

        answer = self._next_event(answered)
        try:
            async with asyncio.timeout(timeout):
                offer = await peer.create_offer()
                result = await self._result("set", jsep=offer, timeout=timeout)
                if result.get("event") != "set":
                    return False
                await self._trickle_quietly()
                event = await answer
        finally:
            answer.cancel()
        await peer.set_remote_description(event["jsep"])
        return True

    @sends("hangup")
    async def hangup(self, timeout: float | None = 15.0) -> bool:
        """Hang up the call, decline the incoming one, or cancel our attempt.

        This is the VideoCall ``hangup`` request (janus_client's meaning); the
        core hangup of the PeerConnection is
        [`hangup_peer_connection`][rxjanus.plugins.webrtc.WebRTCPlugin.hangup_peer_connection].

        Returns:
            True once Janus confirms (a ``hangup`` event).
        """
        try:
            result = await self._result("hangup", timeout=timeout)
        finally:
            self._in_call = False
            self._incoming = None
            await self.reset_connection()
        return result.get("event") == "hangup"

    # -- internals ------------------------------------------------------------------

    async def _result(
        self, request: str, *, jsep: JSON | None = None, timeout: float | None, **fields: Any
    ) -> JSON:
        """Send a request and return its event's ``result``."""
        reply = await self._reply(request_body(request, **fields), jsep, timeout=timeout)
        return event_result(reply) or {}

    def _event_data(self, message: JSON) -> JSON:
        """The event's ``result``, with the ``jsep`` if it carries one (janus_client's)."""
        result = dict(event_result(message) or {})
        if "jsep" in message:
            result["jsep"] = message["jsep"]
        return result

    async def _wait_janus_idle(self) -> None:
        """Also wait for the other side's PeerConnection of the last call to close.

        When Janus closes it, the plugin sends us "Remote WebRTC hangup" and
        closes our PeerConnection, so a new call must wait for that to happen.
        """
        if not self._peer_pc_closed.is_set():
            try:
                async with asyncio.timeout(JANUS_HANGUP_WAIT):
                    await self._peer_pc_closed.wait()
            except TimeoutError:
                logger.debug("%r: the last call's remote hangup did not come", self)
            self._peer_pc_closed.set()
        await super()._wait_janus_idle()

    async def _answer_update(self, offer: JSON) -> None:
        """Answer the other side's renegotiation offer with a ``set``; errors are logged."""
        try:
            answer = await self.peer.create_answer(offer)
            await self._result("set", jsep=answer, timeout=None)
            await self._trickle_quietly()
        except Exception:
            logger.exception("%r could not answer the other side's new offer", self)

    async def _abandon_call(self) -> None:
        """Hang up a call attempt we give up on; errors are only logged."""
        self._in_call = False
        await self._abandon("hangup")

    def _on_event(self, message: JSON) -> None:
        super()._on_event(message)
        result = event_result(message)
        name = result.get("event") if result is not None else None
        if result is None or name is None:
            return
        if name == "hangup" and result.get("reason") == REMOTE_WEBRTC_HANGUP:
            self._peer_pc_closed.set()
        if name == "incomingcall":
            jsep = message.get("jsep")
            caller = result.get("username")
            self._in_call = True
            if isinstance(jsep, dict):
                self._incoming = IncomingCall(str(caller), jsep, result)
        elif name == "accepted":
            self._in_call = True
            self._peer_pc_closed.clear()
        elif name == "update":
            jsep = message.get("jsep")
            if isinstance(jsep, dict) and jsep.get("type") == "offer":
                self._spawn(self._answer_update(jsep))
        elif name == "hangup" and (self._in_call or self._incoming is not None):
            logger.info(
                "%s: call hung up by %s (%s)",
                self.name,
                result.get("username"),
                result.get("reason"),
            )
            self._in_call = False
            self._incoming = None
            self._spawn(self.reset_connection())

    async def _teardown(self) -> None:
        self._username = None
        self._in_call = False
        self._incoming = None
        await super()._teardown()
