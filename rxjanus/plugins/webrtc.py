"""Plugin handles that carry WebRTC media through an aiortc PeerConnection."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from ..exceptions import JanusApiError, JanusError, ProtocolError
from ..media import MediaKind, MediaSource, WebRTCPeer
from ..media.checks import wait_media_up
from ..protocol import JSON, plugin_data
from ..stream import Stream
from .base import JanusPlugin, plugin_errors

__all__ = ["WebRTCPlugin"]

logger = logging.getLogger(__name__)

JANUS_HANGUP_WAIT = 5.0
"""Seconds to wait for Janus to close the last PeerConnection before making a new one."""


class WebRTCPlugin(JanusPlugin):
    """A plugin handle with one PeerConnection ([`WebRTCPeer`][rxjanus.media.peer.WebRTCPeer]).

    When Janus hangs up a PeerConnection that was up (a hangup request, ICE or
    DTLS failure, the plugin ending the media), the handle closes its own side
    too, which ends the frame streams and finishes recordings; the next
    negotiation makes a new one.

    Args:
        pc_config: The aiortc ``RTCConfiguration`` for the PeerConnection (its
            ICE servers). None: no STUN/TURN server (aiortc alone would use Google's).
        trickle: Trickle our ICE candidates after the SDP (default) or put them
            all in the SDP (full gathering).
        plugin_id: The plugin's package name, if the class does not set one.
    """

    answer_request: ClassVar[str | None] = None
    """The request that carries our answer to an offer Janus makes (None: it makes none)."""

    def __init__(
        self,
        pc_config: RTCConfiguration | None = None,
        *,
        trickle: bool = True,
        plugin_id: str | None = None,
    ) -> None:
        super().__init__(plugin_id=plugin_id)
        self.pc_config = pc_config
        self.trickle_ice = trickle
        self._peer: WebRTCPeer | None = None
        # The peer Janus last reported up: its events come in order, so the next
        # core hangup of this handle is for that peer (never for a newer one).
        self._up_peer: WebRTCPeer | None = None
        self._closing: dict[WebRTCPeer, asyncio.Future[None]] = {}
        self._webrtcup = asyncio.Event()
        self._negotiation = asyncio.Lock()
        # Clear from the SDP we send until Janus's core hangup of that PeerConnection.
        self._janus_idle = asyncio.Event()
        self._janus_idle.set()

    @property
    def peer(self) -> WebRTCPeer:
        """The handle's peer; made on first use, and anew after a hangup."""
        if self._peer is None or self._peer.closed:
            self._peer = WebRTCPeer(self.pc_config, trickle=self.trickle_ice)
            self._webrtcup = asyncio.Event()
        return self._peer

    @property
    def pc(self) -> RTCPeerConnection:
        """The aiortc PeerConnection (janus_client's name)."""
        return self.peer.pc

    @property
    def webrtcup_event(self) -> asyncio.Event:
        """Set when Janus reports the current PeerConnection up (janus_client's name)."""
        return self._webrtcup

    async def create_jsep(self, pc: RTCPeerConnection, trickle: bool = False) -> JSON:
        """A JSEP of ``pc``'s local description (janus_client's helper)."""
        description = pc.localDescription
        return {"sdp": description.sdp, "trickle": trickle, "type": description.type}

    async def on_receive_jsep(self, jsep: JSON) -> None:
        """Apply a JSEP from Janus to `pc` (janus_client's helper).

        Raises:
            Exception: The PeerConnection is closed (janus_client's wording).
        """
        if self.pc.signalingState == "closed":
            raise Exception("Received JSEP when PeerConnection is closed")
        await self.pc.setRemoteDescription(
            RTCSessionDescription(sdp=jsep["sdp"], type=jsep["type"])
        )

    def frames(self, kind: MediaKind) -> Stream[Any]:
        """The remote ``kind`` frames as an observable (see `WebRTCPeer.frames`).

        Also an async iterator: `async for frame in plugin.frames("video")` (bounded,
        latest wins).
        """
        return Stream(self.peer.frames(kind))

    async def wait_webrtcup(self, timeout: float | None = None) -> None:
        """Wait until Janus reports the PeerConnection up (``webrtcup``).

        Raises:
            MediaTimeout: Not up in time; says how far ICE and DTLS got (a
                `TimeoutError`).
        """
        self._require_attached()
        seconds = timeout if timeout is not None else self._default_timeout()
        await wait_media_up(self._webrtcup, seconds, self._peer)

    async def reset_connection(self) -> None:
        """Close the PeerConnection; the next negotiation makes a new one."""
        await self._close_peer()

    # -- negotiation ----------------------------------------------------------------

    async def send_offer(
        self,
        body: JSON,
        *,
        source: MediaSource | None = None,
        audio: bool = True,
        video: bool = True,
        receive: tuple[MediaKind, ...] = (),
        timeout: float | None = None,
    ) -> JSON:
        """Offer media with ``body``, apply Janus's answer, and trickle our candidates.

        Args:
            body: The plugin request that carries the offer.
            source: What to send (file, player or track), if anything.
            audio: Send the source's audio.
            video: Send the source's video.
            receive: Kinds to receive without sending them.
            timeout: Seconds to wait for the answer.

        Returns:
            The plugin's reply (the event that carried the answer).
        """
        peer = self._add_media(source, audio=audio, video=video, receive=receive)
        offer = await peer.create_offer()
        self._janus_idle.clear()
        reply = await self.send(body, offer, timeout=timeout)
        answer = reply.get("jsep")
        if not isinstance(answer, dict):
            raise ProtocolError(f"{self.name} answered an offer without a jsep")
        await peer.set_remote_description(answer)
        await self._trickle_candidates()
        return reply

    async def send_answer(
        self,
        body: JSON,
        offer: JSON,
        *,
        source: MediaSource | None = None,
        audio: bool = True,
        video: bool = True,
        timeout: float | None = None,
    ) -> JSON:
        """Answer Janus's ``offer`` with ``body`` and trickle our candidates.

        Returns:
            The plugin's reply to the request carrying the answer.
        """
        peer = self.peer
        if source is not None:
            peer.add_source(source, audio=audio, video=video)
        answer = await peer.create_answer(offer)
        self._janus_idle.clear()
        reply = await self.send(body, answer, timeout=timeout)
        await self._trickle_candidates()
        return reply

    async def _negotiate(
        self, body: JSON, *, offer: JSON | None = None, timeout: float | None = None, **media: Any
    ) -> JSON:
        """Send ``body`` with our offer (or our answer to ``offer``) and wait for ``webrtcup``.

        ``media`` are `send_offer`'s (or `send_answer`'s) ``source``, ``audio``,
        ``video`` and ``receive``. One negotiation at a time; the plugin's errors are raised as its
        ``error_class``; the ``on_event`` handlers see the reply; on any
        failure (cancellation included) the PeerConnection is reset.

        Returns:
            The plugin's data of the reply.
        """
        async with self._connecting(timeout):
            async with self._negotiation:
                with plugin_errors(self.error_class):
                    if offer is None:
                        reply = await self.send_offer(body, timeout=timeout, **media)
                    else:
                        reply = await self.send_answer(body, offer, timeout=timeout, **media)
            self._trigger(reply)
        return plugin_data(reply) or {}

    @contextlib.asynccontextmanager
    async def _connecting(self, timeout: float | None) -> AsyncIterator[None]:
        """Set up a PeerConnection in the block; then wait for ``webrtcup``; reset on failure."""
        try:
            yield
            await self.wait_webrtcup(timeout)
        except BaseException:
            await self.reset_connection()
            raise

    async def _on_reply(self, reply: JSON, timeout: float | None) -> None:
        """Answer the offer a reply carries, with ``answer_request``; wait for ``webrtcup``."""
        offer = reply.get("jsep")
        if self.answer_request and isinstance(offer, dict) and offer.get("type") == "offer":
            await self._answer(offer, timeout=timeout)
            await self.wait_webrtcup(timeout)

    async def _answer(self, offer: JSON, *, timeout: float | None = None) -> JSON:
        """Answer Janus's ``offer`` with ``answer_request``; return the reply."""
        assert self.answer_request is not None
        self._prepare_answer(offer)
        async with self._negotiation:
            with plugin_errors(self.error_class):
                reply = await self.send_answer(
                    {"request": self.answer_request}, offer, timeout=timeout
                )
        self._trigger(reply)
        return reply

    def _prepare_answer(self, offer: JSON) -> None:
        """Ready the peer for Janus's ``offer`` before answering it; for subclasses."""

    async def _wait_janus_idle(self) -> None:
        """Wait (a little) for Janus to close the last PeerConnection before a new one."""
        if self._janus_idle.is_set():
            return
        try:
            async with asyncio.timeout(JANUS_HANGUP_WAIT):
                await self._janus_idle.wait()
        except TimeoutError:
            logger.debug("%r: no core hangup from Janus; negotiating anyway", self)
        self._janus_idle.set()

    async def _trickle_quietly(self) -> None:
        """Trickle our candidates; the call may be gone already, so failures are logged."""
        try:
            await self._trickle_candidates()
        except JanusApiError as exc:  # e.g. 471 once the other side hung up
            logger.debug("%r: trickling after the media ended: %s", self, exc)

    def _add_media(
        self,
        source: MediaSource | None,
        *,
        audio: bool = True,
        video: bool = True,
        receive: tuple[MediaKind, ...] = (),
    ) -> WebRTCPeer:
        """Send ``source``, and receive the kinds in ``receive`` it does not send."""
        peer = self.peer
        sent: set[str] = set()
        if source is not None:
            sent = {track.kind for track in peer.add_source(source, audio=audio, video=video)}
        for kind in receive:
            if kind not in sent:
                peer.receive(kind)
        return peer

    async def hangup_peer_connection(self) -> None:
        """Ask the Janus core to hang up this handle's PeerConnection.

        The same as `hangup` in plugins that have no ``hangup`` request of their own.
        """
        await JanusPlugin.hangup(self)

    async def _abandon(self, request: str | None = None) -> None:
        """Give up a negotiation: reset our side, and hang up Janus's; errors are logged.

        Args:
            request: The plugin's own hangup request; None: the core ``hangup``.
        """
        await self.reset_connection()
        if not self.attached:
            return
        try:
            if request is None:
                await JanusPlugin.hangup(self)
            else:
                await self._reply({"request": request})
        except (JanusError, TimeoutError) as exc:
            logger.debug("%r: hanging up what we gave up: %s", self, exc)

    async def _trickle_candidates(self) -> None:
        if not self.trickle_ice or self._peer is None:
            return
        candidates = self._peer.local_candidates()
        if candidates:
            await self.trickle(candidates=candidates)
        await self.trickle()  # end-of-candidates

    # -- peers ----------------------------------------------------------------------

    async def _close_peer(self, peer: WebRTCPeer | None = None) -> None:
        """Close ``peer`` (default: the current one) and forget it if it is current.

        Every caller waits for the one close of a peer (a hangup and a request
        of the user may both close it).
        """
        target = self._peer if peer is None else peer
        if target is None:
            return
        if self._up_peer is target:
            self._up_peer = None
        if self._peer is target:
            self._peer = None
        self._forget_peer(target)
        closing = self._closing.get(target)
        if closing is None:
            closing = asyncio.ensure_future(target.close())
            self._closing[target] = closing
            closing.add_done_callback(lambda _: self._closing.pop(target, None))
        await asyncio.shield(closing)

    def _forget_peer(self, peer: WebRTCPeer) -> None:
        """Drop what the subclass keeps about ``peer``, which is being closed."""

    def _on_janus_hangup(self, peer: WebRTCPeer) -> None:
        """Janus closed ``peer``'s PeerConnection: close ours; subclasses add their state."""
        self._spawn(self._close_peer(peer))

    def _use_trickle(self, trickle: bool | None) -> None:
        """Trickle (True) or gather fully (False) from now on; None keeps the setting."""
        if trickle is None:
            return
        self.trickle_ice = trickle
        if self._peer is not None and not self._peer.closed:
            self._peer.trickle = trickle

    # -- events ---------------------------------------------------------------------

    def _on_event(self, message: JSON) -> None:
        kind = message.get("janus")
        if kind == "webrtcup":
            self._webrtcup.set()
            self._up_peer = self._peer
        elif kind == "hangup":
            self._janus_idle.set()
            peer, self._up_peer = self._up_peer, None
            if peer is not None:
                self._on_janus_hangup(peer)
        elif kind == "trickle" and self._peer is not None:
            candidate = message.get("candidate")
            if isinstance(candidate, dict):
                self._spawn(self._peer.add_remote_candidate(candidate))
        offer = message.get("jsep")
        if self.answer_request and isinstance(offer, dict) and offer.get("type") == "offer":
            # Janus renegotiates on its own (e.g. a subscribed publisher went away).
            self._spawn(self._answer(offer))

    async def _teardown(self) -> None:
        await super()._teardown()
        self._janus_idle.set()
        self._up_peer = None
        await self._close_peer()
        await asyncio.gather(*self._closing.values(), return_exceptions=True)
