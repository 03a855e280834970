"""One aiortc PeerConnection per plugin handle, with its media sources and sinks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any, Literal

from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCDataChannel,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.contrib.media import MediaPlayer, MediaRecorder, MediaRelay
from aiortc.mediastreams import MediaStreamError
from reactivex import Observable
from reactivex.subject import Subject

from ..protocol import JSON
from .frame_track import ObservableTrack
from .recording import recorder_tracks
from .sdp import (
    answer_as_dtls_server,
    candidate_from_janus,
    candidates_in_sdp,
    without_candidates,
)

__all__ = ["MediaKind", "MediaSource", "SingleMediaSource", "WebRTCPeer"]

logger = logging.getLogger(__name__)

MediaKind = Literal["audio", "video"]

SingleMediaSource = str | Path | MediaPlayer | MediaStreamTrack | Observable[Any]
"""One thing to send: a file path or URL (opened with aiortc's ``MediaPlayer``),
a ``MediaPlayer``, any aiortc ``MediaStreamTrack``, or an observable of video
frames (published through [`ObservableTrack`][rxjanus.media.frame_track.ObservableTrack])."""

MediaSource = SingleMediaSource | list[SingleMediaSource] | tuple[SingleMediaSource, ...]
"""What can be sent: one source, or a list or tuple of them (e.g. a microphone
track and a camera track)."""


class WebRTCPeer:
    """The PeerConnection of one handle: offers, answers, ICE, sources and sinks.

    Remote tracks are always drained, so a handle nobody listens to does not
    pile up frames; ``frames(kind)`` shares them as hot observables where the
    latest frame wins for a slow observer.

    Args:
        configuration: The aiortc ``RTCConfiguration`` (ICE servers). None means
            no STUN or TURN server: host candidates only, and nothing is sent to a
            third party unless you configure it.
        trickle: Send our candidates in ``trickle`` requests after the SDP
            (True) or inside the SDP with ``"trickle": false`` (full gathering).
    """

    def __init__(
        self, configuration: RTCConfiguration | None = None, *, trickle: bool = True
    ) -> None:
        if configuration is None:
            # No public STUN server unless asked for (aiortc's own default is Google's).
            configuration = RTCConfiguration(iceServers=[])
        self.pc = RTCPeerConnection(configuration)
        self.trickle = trickle
        self.remote_tracks: list[MediaStreamTrack] = []
        self.local_tracks: list[MediaStreamTrack] = []
        self._relay = MediaRelay()
        self._frames: dict[str, Subject[Any]] = {"audio": Subject(), "video": Subject()}
        self._pumps: list[asyncio.Task[None]] = []
        self._players: list[MediaPlayer] = []
        self._recorder: MediaRecorder | None = None
        self._recorder_started = False
        self._early_candidates: list[JSON] = []
        self._remote_set = False
        self._closed = False
        self._channel: RTCDataChannel | None = None
        self._channel_open = asyncio.Event()
        self._data: Subject[str | bytes] = Subject()
        self.pc.on("track", self._on_track)
        self.pc.on("datachannel", self._on_datachannel)

    def __repr__(self) -> str:
        return (
            f"<WebRTCPeer {self.pc.connectionState} local={len(self.local_tracks)} "
            f"remote={len(self.remote_tracks)}>"
        )

    @property
    def closed(self) -> bool:
        """Whether [`close`][rxjanus.media.peer.WebRTCPeer.close] has run."""
        return self._closed

    # -- sources and sinks ----------------------------------------------------------

    def add_source(
        self, source: MediaSource, *, audio: bool = True, video: bool = True
    ) -> list[MediaStreamTrack]:
        """Send ``source``'s audio and/or video.

        Args:
            source: A file path or URL, a ``MediaPlayer``, a track, an
                observable of video frames, or a list or tuple of these.
            audio: Take the players' audio tracks.
            video: Take the players' video tracks.

        Returns:
            The tracks added.
        """
        if isinstance(source, (list, tuple)):
            return [
                track for one in source for track in self.add_source(one, audio=audio, video=video)
            ]
        if isinstance(source, MediaStreamTrack):
            self.add_track(source)
            return [source]
        if isinstance(source, Observable):
            published = ObservableTrack(source, "video")
            self.add_track(published)
            return [published]
        if not isinstance(source, MediaPlayer):
            from .checks import check_source  # checks imports this module

            check_source(source)  # a clear MediaSourceNotFound, not PyAV's error
        player = source if isinstance(source, MediaPlayer) else MediaPlayer(str(source))
        self._players.append(player)
        tracks = [
            track
            for track, wanted in ((player.audio, audio), (player.video, video))
            if track is not None and wanted
        ]
        for track in tracks:
            self.add_track(track)
        return tracks

    def add_track(self, track: MediaStreamTrack) -> None:
        """Send one track."""
        self.pc.addTrack(track)
        self.local_tracks.append(track)

    def receive(self, kind: MediaKind) -> None:
        """Ask to receive ``kind`` without sending it (a recvonly transceiver)."""
        self.pc.addTransceiver(kind, direction="recvonly")

    def record_to(self, sink: str | Path | MediaRecorder) -> None:
        """Write every remote track to a file (or a ``MediaRecorder`` you made).

        Recording starts with the remote description; with video, the audio is
        written from the first video frame on (see `recorder_tracks`).
        """
        self._recorder = sink if isinstance(sink, MediaRecorder) else MediaRecorder(str(sink))

    def frames(self, kind: MediaKind) -> Observable[Any]:
        """The remote ``kind`` frames (``av.VideoFrame`` or ``av.AudioFrame``).

        Hot: a subscriber sees the frames that arrive after it subscribed. The
        stream completes when the peer closes.
        """
        return self._frames[kind]

    # -- data channel ---------------------------------------------------------------

    def create_data_channel(self, label: str = "JanusDataChannel") -> RTCDataChannel:
        """Open a data channel from our side (before making an offer)."""
        self._on_datachannel(self.pc.createDataChannel(label))
        assert self._channel is not None
        return self._channel

    @property
    def data_messages(self) -> Observable[str | bytes]:
        """Messages received on the data channel, as a hot observable."""
        return self._data

    async def wait_data_channel(self) -> RTCDataChannel:
        """Wait until the data channel is open and return it."""
        await self._channel_open.wait()
        assert self._channel is not None
        return self._channel

    def send_data(self, data: str | bytes) -> None:
        """Send on the open data channel.

        Raises:
            RuntimeError: No data channel is open.
        """
        channel = self._channel
        if channel is None or channel.readyState != "open":
            raise RuntimeError("no open data channel")
        channel.send(data)

    def _on_datachannel(self, channel: RTCDataChannel) -> None:
        self._channel = channel
        channel.on("message", self._data.on_next)
        if channel.readyState == "open":
            self._channel_open.set()
        else:
            channel.on("open", self._channel_open.set)

    # -- offer and answer -----------------------------------------------------------

    async def create_offer(self) -> JSON:
        """Make our offer and return it as a Janus ``jsep``."""
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.local_jsep()

    async def create_answer(self, offer: JSON) -> JSON:
        """Apply Janus's offer, make our answer and return it as a ``jsep``.

        On the first negotiation we answer as the DTLS server where the offer
        lets us choose (see `answer_as_dtls_server`): Janus then starts the DTLS
        handshake once its ICE is ready, and the first frame comes without
        waiting for aiortc's 1 s DTLS retransmit. A renegotiation keeps the role
        the transport already has.
        """
        first = self.pc.localDescription is None
        await self.set_remote_description(offer)
        answer = await self.pc.createAnswer()
        if first:
            answer = RTCSessionDescription(
                sdp=answer_as_dtls_server(answer.sdp, str(offer["sdp"])), type=answer.type
            )
        await self.pc.setLocalDescription(answer)
        return self.local_jsep()

    async def set_remote_description(self, jsep: JSON) -> None:
        """Apply Janus's offer or answer, then the candidates that came before it."""
        await self.pc.setRemoteDescription(
            RTCSessionDescription(sdp=str(jsep["sdp"]), type=str(jsep["type"]))
        )
        self._remote_set = True
        early, self._early_candidates = self._early_candidates, []
        for candidate in early:
            await self.add_remote_candidate(candidate)
        if self._recorder is not None and not self._recorder_started:
            self._recorder_started = True
            # Video first, and audio only from the first video frame on (see recorder_tracks).
            subscribed = [self._relay.subscribe(track) for track in self.remote_tracks]
            for track in recorder_tracks(subscribed):
                self._recorder.addTrack(track)
            await self._recorder.start()

    def local_jsep(self) -> JSON:
        """Our local description as a Janus ``jsep``, with or without candidates."""
        description = self.pc.localDescription
        if self.trickle:
            return {"type": description.type, "sdp": without_candidates(description.sdp)}
        return {"type": description.type, "sdp": description.sdp, "trickle": False}

    def local_candidates(self) -> list[JSON]:
        """Our gathered candidates, to send in ``trickle`` requests."""
        description = self.pc.localDescription
        return candidates_in_sdp(description.sdp) if description is not None else []

    async def add_remote_candidate(self, candidate: JSON) -> None:
        """Apply a candidate from a Janus ``trickle`` event (kept until the SDP is set)."""
        if not self._remote_set:
            self._early_candidates.append(candidate)
            return
        try:
            parsed = candidate_from_janus(candidate)
        except ValueError as exc:
            logger.warning("ignored a bad trickle candidate: %s", exc)
            return
        await self.pc.addIceCandidate(parsed)

    # -- teardown -------------------------------------------------------------------

    async def close(self) -> None:
        """Close the PeerConnection, stop players and pumps, finish the recording."""
        if self._closed:
            return
        self._closed = True
        for player in self._players:
            for track in (player.audio, player.video):
                if track is not None:
                    track.stop()
        for track in self.local_tracks:
            track.stop()
        if self._recorder is not None and self._recorder_started:
            with contextlib.suppress(Exception):
                await self._recorder.stop()
        # Shielded: a cancelled teardown must not break aiortc's shared close.
        await asyncio.shield(self.pc.close())
        for pump in self._pumps:
            pump.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)
        self._pumps.clear()
        for subject in self._frames.values():
            subject.on_completed()
        self._data.on_completed()

    # -- internals ------------------------------------------------------------------

    def _on_track(self, track: MediaStreamTrack) -> None:
        self.remote_tracks.append(track)
        if self._recorder is not None and self._recorder_started:
            self._recorder.addTrack(self._relay.subscribe(track))
        self._pumps.append(
            asyncio.create_task(
                self._pump(self._relay.subscribe(track, buffered=False), track.kind),
                name=f"rxjanus-frames {track.kind}",
            )
        )

    async def _pump(self, track: MediaStreamTrack, kind: str) -> None:
        subject = self._frames[kind]
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            try:
                subject.on_next(frame)
            except Exception:
                logger.exception("a %s frame observer failed", kind)
