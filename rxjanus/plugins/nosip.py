"""The NoSIP plugin: Janus bridges our WebRTC media to plain RTP; signalling is ours.

``generate`` takes our JSEP (offer or answer) and returns a *barebone* SDP for
a peer that only does plain RTP (a SIP phone, a media server...); ``process``
takes that peer's barebone SDP and returns the JSEP for our PeerConnection.
How the barebone SDPs travel (SIP, XMPP, a file...) is up to the application.

As a caller:

```python
barebone_offer = await nosip.generate(source)       # our offer -> plain SDP
...  # send it to the legacy peer, get its answer
await nosip.process("answer", legacy_answer_sdp)      # applied to our PC
```

As a callee:

```python
await nosip.process("offer", legacy_offer_sdp)        # Janus's offer kept
barebone_answer = await nosip.generate(source)        # our answer -> plain SDP
```

Every request is answered by one event (``generated``, ``processed``,
``hangingup``, ``recordingupdated``) with its transaction, as the header of
Janus's ``janus_nosip.c`` (v1.1.x) describes.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Literal

from ..exceptions import PluginError, ProtocolError
from ..media import MediaKind, MediaSource
from ..protocol import JSON
from .base import classify, event_data, request_body, sends
from .webrtc import WebRTCPlugin

__all__ = [
    "BareboneSdp",
    "JanusNoSipPlugin",
    "NoSipError",
    "NoSipEventType",
    "bridge",
    "nosip_event_type",
]

logger = logging.getLogger(__name__)

SdpType = Literal["offer", "answer"]
Srtp = Literal["sdes_optional", "sdes_mandatory"]


class NoSipError(PluginError):
    """An error from the NoSIP plugin (``error_code`` 440-499), or a local refusal (code 0)."""

    label = "NoSIP"


class NoSipEventType(enum.Enum):
    """The ``result.event`` names of NoSIP plugin messages (and ``error``)."""

    GENERATED = "generated"
    PROCESSED = "processed"
    HANGINGUP = "hangingup"
    RECORDINGUPDATED = "recordingupdated"
    ERROR = "error"


@dataclass(frozen=True)
class BareboneSdp:
    """A plain-RTP SDP for the legacy peer, as ``generate`` made it.

    Attributes:
        type: ``offer`` or ``answer``.
        sdp: The SDP text (no ICE, no DTLS; Janus's RTP ports on ``sdp_ip``).
        update: True when it renegotiates a session already set up.
    """

    type: SdpType
    sdp: str
    update: bool = False


def nosip_event_type(message: JSON) -> NoSipEventType | None:
    """Classify a NoSIP plugin message (a whole Janus message or its plugin data).

    Example:
        >>> nosip_event_type({"nosip": "event", "result": {"event": "generated"}})
        <NoSipEventType.GENERATED: 'generated'>
    """
    return classify(message, "nosip", NoSipEventType, lambda data: _result_of(data).get("event"))


def _result_of(message: JSON) -> JSON:
    result = event_data(message).get("result")
    return dict(result) if isinstance(result, dict) else {}


class JanusNoSipPlugin(WebRTCPlugin):
    """A handle on ``janus.plugin.nosip``: one WebRTC leg bridged to plain RTP.

    Plugin errors raise [`NoSipError`][rxjanus.plugins.nosip.NoSipError].
    """

    name = "janus.plugin.nosip"
    error_class = NoSipError
    classify_event = staticmethod(nosip_event_type)

    janus_events: ClassVar[Mapping[str, str]] = {
        "generated": "returned by generate() (a BareboneSdp)",
        "processed": "returned by process(); the JSEP it carries is applied to the "
        "PeerConnection (an answer) or kept for generate() (an offer)",
        "hangingup": "returned by hangup()",
        "recordingupdated": "returned by recording()",
        "error": "raised as NoSipError (a PluginError) by the method that sent the request",
    }

    _remote_offer: JSON | None = None

    @property
    def remote_offer(self) -> JSON | None:
        """Janus's offer from ``process("offer", ...)``, until ``generate`` answers it."""
        return self._remote_offer

    @sends("generate")
    async def generate(
        self,
        source: MediaSource | None = None,
        *,
        audio: bool = True,
        video: bool = True,
        receive: tuple[MediaKind, ...] = (),
        info: str | None = None,
        srtp: Srtp | None = None,
        srtp_profile: str | None = None,
        timeout: float | None = None,
    ) -> BareboneSdp:
        """Make our offer (or answer Janus's pending offer) and get the plain SDP for it.

        Args:
            source: What to send (file, ``MediaPlayer`` or track).
            audio: Send the source's audio.
            video: Send the source's video.
            receive: Kinds to receive without sending them (when offering).
            info: An opaque string for context (Janus logs it).
            srtp: Offer (``sdes_optional``) or require (``sdes_mandatory``) SDES-SRTP.
            srtp_profile: The SRTP profile to offer.
            timeout: Seconds to wait (default: the session's).

        Returns:
            The barebone SDP to give the legacy peer.
        """
        offer, self._remote_offer = self._remote_offer, None
        peer = self._add_media(
            source, audio=audio, video=video, receive=receive if not offer else ()
        )
        if offer is not None:
            local = await peer.create_answer(offer)
        else:
            local = await peer.create_offer()
        body = request_body("generate", info=info, srtp=srtp, srtp_profile=srtp_profile)
        self._janus_idle.clear()
        result = _result_of(await self._reply(body, local, timeout=timeout))
        await self._trickle_quietly()
        sdp = result.get("sdp")
        sdp_type = result.get("type")
        if not isinstance(sdp, str) or sdp_type not in ("offer", "answer"):
            raise ProtocolError("generated event without a barebone SDP")
        return BareboneSdp(sdp_type, sdp, bool(result.get("update", False)))

    @sends("process")
    async def process(
        self,
        type: SdpType,
        sdp: str,
        *,
        info: str | None = None,
        srtp: Srtp | None = None,
        srtp_profile: str | None = None,
        timeout: float | None = None,
    ) -> JSON:
        """Hand Janus the legacy peer's barebone SDP.

        An answer (to our ``generate``) is applied to the PeerConnection; an
        offer gives Janus's WebRTC offer, kept in
        [`remote_offer`][rxjanus.plugins.nosip.JanusNoSipPlugin.remote_offer] for the next
        [`generate`][rxjanus.plugins.nosip.JanusNoSipPlugin.generate] to answer.

        Returns:
            The ``processed`` result (``srtp`` if the peer offered SDES-SRTP).
        """
        body = request_body(
            "process", type=type, sdp=sdp, info=info, srtp=srtp, srtp_profile=srtp_profile
        )
        reply = await self._reply(body, timeout=timeout)
        result = _result_of(reply)
        jsep = reply.get("jsep")
        if not isinstance(jsep, dict):
            raise ProtocolError("processed event without a JSEP")
        if jsep.get("type") == "offer":
            self._remote_offer = jsep
        else:
            await self.peer.set_remote_description(jsep)
        return result

    @sends("hangup")
    async def hangup(self, timeout: float | None = None) -> JSON:
        """End the bridge: Janus closes the PeerConnection and stops relaying RTP.

        This is the NoSIP ``hangup`` request;
        [`hangup_peer_connection`][rxjanus.plugins.webrtc.WebRTCPlugin.hangup_peer_connection] is
        the Janus core's.

        Bridge again with new handles: in Janus 1.1.2 the plugin's RTP relay
        thread can outlive a hangup (it misses the short-lived "hanging up"
        flag) and then breaks the next negotiation on the same handle; only
        detaching the handle stops it.

        Returns:
            The ``hangingup`` result.
        """
        was_up = self._webrtcup.is_set()
        try:
            result = _result_of(await self._reply(request_body("hangup"), timeout=timeout))
            if was_up:
                # Janus's core hangup must not come later and close our next PeerConnection.
                await self._wait_janus_idle()
            return result
        finally:
            self._remote_offer = None
            await self.reset_connection()

    @sends("recording")
    async def recording(
        self,
        action: Literal["start", "stop"],
        *,
        audio: bool | None = None,
        video: bool | None = None,
        peer_audio: bool | None = None,
        peer_video: bool | None = None,
        filename: str | None = None,
        timeout: float | None = None,
    ) -> JSON:
        """Start or stop recording the bridged media on the server (.mjr files).

        Args:
            action: ``start`` or ``stop``.
            audio: Our audio.
            video: Our video.
            peer_audio: The legacy peer's audio.
            peer_video: The legacy peer's video.
            filename: The base path of the recordings.
            timeout: Seconds to wait.

        Returns:
            The ``recordingupdated`` result.
        """
        body = request_body(
            "recording",
            action=action,
            audio=audio,
            video=video,
            peer_audio=peer_audio,
            peer_video=peer_video,
            filename=filename,
        )
        return _result_of(await self._reply(body, timeout=timeout))

    # -- internals ------------------------------------------------------------------

    def _on_event(self, message: JSON) -> None:
        super()._on_event(message)
        if message.get("janus") == "hangup" and self._peer is not None:
            # Janus closed the PeerConnection (a hangup, ICE or DTLS failure).
            self._remote_offer = None
            self._spawn(self.reset_connection())

    async def _teardown(self) -> None:
        self._remote_offer = None
        await super()._teardown()


async def bridge(
    caller: JanusNoSipPlugin,
    callee: JanusNoSipPlugin,
    caller_source: MediaSource | None = None,
    callee_source: MediaSource | None = None,
    *,
    receive: tuple[MediaKind, ...] = ("audio", "video"),
    timeout: float | None = None,
) -> tuple[BareboneSdp, BareboneSdp]:
    """Connect two NoSIP handles back to back: plain RTP flows between their Janus legs.

    ``caller``'s barebone offer is the legacy offer ``callee`` processes, and
    ``callee``'s barebone answer the legacy answer ``caller`` processes.
    Use new handles for each bridge (see
    [`JanusNoSipPlugin.hangup`][rxjanus.plugins.nosip.JanusNoSipPlugin.hangup]).

    Returns:
        The barebone offer and answer that were exchanged.
    """
    offer = await caller.generate(caller_source, receive=receive, timeout=timeout)
    await callee.process("offer", offer.sdp, timeout=timeout)
    answer = await callee.generate(callee_source, timeout=timeout)
    await caller.process("answer", answer.sdp, timeout=timeout)
    await asyncio.gather(caller.wait_webrtcup(timeout), callee.wait_webrtcup(timeout))
    return offer, answer
