"""The EchoTest plugin: Janus sends back what it receives."""

from __future__ import annotations

import logging
from pathlib import Path

from aiortc.contrib.media import MediaRecorder

from ..media import MediaSource
from ..protocol import JSON
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

    async def start(
        self,
        play_from: MediaSource,
        record_to: str | Path | MediaRecorder | None = None,
        *,
        audio: bool = True,
        video: bool = True,
        bitrate: int | None = None,
        timeout: float | None = None,
    ) -> None:
        """Send ``play_from`` to Janus and receive its echo; return once media flows.

        Args:
            play_from: A file path or URL, a ``MediaPlayer`` or a track.
            record_to: Where to record the echo (a file or a ``MediaRecorder``).
            audio: Send and echo audio.
            video: Send and echo video.
            bitrate: A cap for the echoed video, in bits per second.
            timeout: Seconds to wait for the answer and for ``webrtcup``.
        """
        if record_to is not None and record_to != "":
            self.peer.record_to(record_to)
        body: JSON = {"audio": audio, "video": video}
        if bitrate is not None:
            body["bitrate"] = bitrate
        await self.send_offer(body, source=play_from, audio=audio, video=video, timeout=timeout)
        await self.wait_webrtcup(timeout)

    async def configure(
        self,
        *,
        audio: bool | None = None,
        video: bool | None = None,
        bitrate: int | None = None,
        record: bool | None = None,
        filename: str | None = None,
    ) -> JSON:
        """Switch audio or video on or off, cap the bitrate, or record on the server.

        Returns:
            The plugin's data (``{"echotest": "event", "result": "ok"}``).
        """
        body: JSON = {
            key: value
            for key, value in (
                ("audio", audio),
                ("video", video),
                ("bitrate", bitrate),
                ("record", record),
                ("filename", filename),
            )
            if value is not None
        }
        return await self.request(body)

    def _on_event(self, message: JSON) -> None:
        super()._on_event(message)
        if message.get("janus") == "hangup":
            # Janus closed the PeerConnection (a hangup request, ICE failure, DTLS alert...):
            # close ours too, which ends the frame streams and finishes the recording.
            self._spawn(self.reset_connection())

    async def close_stream(self) -> None:
        """Stop the media: close the PeerConnection, player and recorder."""
        await self.reset_connection()
