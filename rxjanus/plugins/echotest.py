"""The EchoTest plugin: Janus sends back what it receives."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from aiortc.contrib.media import MediaRecorder

from ..media import MediaSource
from ..protocol import JSON
from .base import request_body, sends
from .webrtc import WebRTCPlugin

__all__ = ["JanusEchoTestPlugin"]

logger = logging.getLogger(__name__)


class JanusEchoTestPlugin(WebRTCPlugin):
    """A handle on ``janus.plugin.echotest``.

    Example:
        >>> plugin = JanusEchoTestPlugin()  # doctest: +SKIP
        >>> await plugin.attach(session)  # doctest: +SKIP
        >>> await plugin.start("input.mp4", "output.mp4")  # doctest: +SKIP
    """

    name = "janus.plugin.echotest"

    janus_events: ClassVar[Mapping[str, str]] = {
        "ok": "returned by start() and configure() (plugin data `result: ok`)",
        "done": "events (plugin data `result: done` when the PeerConnection is gone)",
        "error": "raised as PluginError by start() and configure()",
    }

    async def start(
        self,
        play_from: MediaSource,
        record_to: str | Path | MediaRecorder | None = None,
        *,
        audio: bool = True,
        video: bool = True,
        bitrate: int | None = None,
        timeout: float | None = None,
        audiocodec: str | None = None,
        videocodec: str | None = None,
        videoprofile: str | None = None,
        record: bool | None = None,
        filename: str | None = None,
    ) -> None:
        """Send ``play_from`` to Janus and receive its echo; return once media flows.

        Args:
            play_from: A file path or URL, a ``MediaPlayer`` or a track.
            record_to: Where to record the echo (a file or a ``MediaRecorder``).
            audio: Send and echo audio.
            video: Send and echo video.
            bitrate: A cap for the echoed video, in bits per second.
            timeout: Seconds to wait for the answer and for ``webrtcup``.
            audiocodec: The audio codec Janus should pick from our offer.
            videocodec: The video codec Janus should pick from our offer.
            videoprofile: The VP9 or H.264 profile to force.
            record: Record our media on the server too (``.mjr`` files).
            filename: The base path of that recording.
        """
        if record_to is not None and record_to != "":
            self.peer.record_to(record_to)
        body = request_body(
            "",
            audio=audio,
            video=video,
            bitrate=bitrate,
            audiocodec=audiocodec,
            videocodec=videocodec,
            videoprofile=videoprofile,
            record=record,
            filename=filename,
        )
        await self._negotiate(body, source=play_from, audio=audio, video=video, timeout=timeout)

    # EchoTest has one unnamed request; with an SDP offer it starts the echo.
    @sends("(unnamed request)")
    async def configure(
        self,
        *,
        audio: bool | None = None,
        video: bool | None = None,
        bitrate: int | None = None,
        record: bool | None = None,
        filename: str | None = None,
        substream: int | None = None,
        temporal: int | None = None,
        timeout: float | None = None,
    ) -> JSON:
        """Switch audio or video on or off, cap the bitrate, or record on the server.

        This is EchoTest's one (unnamed) request without an SDP; fields left
        None are not sent.

        Args:
            audio: Echo our audio or drop it.
            video: Echo our video or drop it.
            bitrate: A cap for the echoed video, in bits per second (REMB).
            record: Start or stop recording our media on the server.
            filename: The base path of that recording (``-video.mjr``... appended).
            substream: The simulcast substream to echo (0-2).
            temporal: The simulcast temporal layer to echo (0-2).
            timeout: Seconds to wait (default: the session's).

        Returns:
            The plugin's data (``{"echotest": "event", "result": "ok"}``).
        """
        return await self._call(
            "",
            audio=audio,
            video=video,
            bitrate=bitrate,
            record=record,
            filename=filename,
            substream=substream,
            temporal=temporal,
            timeout=timeout,
        )

    def _on_event(self, message: JSON) -> None:
        super()._on_event(message)
        if message.get("janus") == "hangup":
            # Janus closed the PeerConnection (a hangup request, ICE failure, DTLS alert...):
            # close ours too, which ends the frame streams and finishes the recording.
            self._spawn(self.reset_connection())

    async def close_stream(self) -> None:
        """Stop the media: close the PeerConnection, player and recorder."""
        await self.reset_connection()
