"""Plugin handles that carry WebRTC media through an aiortc PeerConnection."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection
from reactivex import Observable

from ..exceptions import InvalidStateError, ProtocolError
from ..media import MediaKind, MediaSource, WebRTCPeer
from ..protocol import JSON
from .base import JanusPlugin

__all__ = ["WebRTCPlugin"]

logger = logging.getLogger(__name__)


class WebRTCPlugin(JanusPlugin):
    """A plugin handle with one PeerConnection (:class:`~rxjanus.media.WebRTCPeer`).

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
        self._tasks: set[asyncio.Task[None]] = set()

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

    def frames(self, kind: MediaKind) -> Observable[Any]:
        """The remote ``kind`` frames as an observable (see :meth:`WebRTCPeer.frames`)."""
        return self.peer.frames(kind)

    async def wait_webrtcup(self, timeout: float | None = None) -> None:
        """Wait until Janus reports the PeerConnection up (``webrtcup``)."""
        self._require_attached()
        seconds = timeout if timeout is not None else self._default_timeout()
        async with asyncio.timeout(seconds):
            await self._webrtcup.wait()

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
        peer = self.peer
        if source is not None:
            peer.add_source(source, audio=audio, video=video)
        for kind in receive:
            peer.receive(kind)
        offer = await peer.create_offer()
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
        reply = await self.send(body, answer, timeout=timeout)
        await self._trickle_candidates()
        return reply

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
            peer, self._up_peer = self._up_peer, None
            if peer is not None:
                self._on_janus_hangup(peer)
        elif kind == "trickle" and self._peer is not None:
            candidate = message.get("candidate")
            if isinstance(candidate, dict):
                self._spawn(self._peer.add_remote_candidate(candidate))

    def _spawn(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _teardown(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self._up_peer = None
        await self._close_peer()
        await asyncio.gather(*self._closing.values(), return_exceptions=True)

    def _default_timeout(self) -> float:
        session = self._session
        if session is None:
            raise InvalidStateError(f"{self!r} is not attached")
        return session.timeout
