"""Plain RTP sources for the Streaming plugin, made on the spot (tests and demos only).

[`RtpSource`][rxjanus.testing.rtp.RtpSource] encodes generated VP8 video and Opus audio with PyAV
and sends them as RTP (FFmpeg's RTP muxer) to UDP ports on loopback, from a
thread, counting what it sent; it can also send short text datagrams for a
mountpoint's data stream. Point a Streaming mountpoint at its ports:

```python
video = rtp_media("video", "v", pt=96, codec="vp8", iface="127.0.0.1")
created = await streaming.create_mountpoint(media=[video])
with RtpSource(video_port=created["stream"]["ports"][0]["port"]) as source:
    await streaming.watch(created["stream"]["id"])
    await source.wait_sent("video", 60)
```

[`make_opus_file`][rxjanus.testing.rtp.make_opus_file] writes an Ogg Opus tone for
``live``/``ondemand`` mountpoints, and [`read_mjr`][rxjanus.testing.rtp.read_mjr] reads a Janus
``.mjr`` recording back. Nothing here reaches past 127.0.0.1 unless you give it another host.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import json
import logging
import math
import socket
import struct
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Literal

import av

__all__ = [
    "MjrRecording",
    "RtpKind",
    "RtpSource",
    "audio_level",
    "make_opus_file",
    "read_mjr",
]

logger = logging.getLogger(__name__)

RtpKind = Literal["video", "audio", "data"]

AUDIO_RATE: Final = 48_000
AUDIO_FRAME: Final = 960  # 20 ms of Opus at 48 kHz
_MJR_MAGIC: Final = b"MJR00002"
_MJR_FRAME: Final = b"MEET"


def _tone(tone_hz: float, amplitude: int, samples: int, channels: int, start: int = 0) -> bytes:
    """Signed 16-bit interleaved samples of a sine tone."""
    values = array.array("h")
    step = 2 * math.pi * tone_hz / AUDIO_RATE
    for index in range(start, start + samples):
        value = int(amplitude * math.sin(step * index))
        values.extend([value] * channels)
    return values.tobytes()


class RtpSource:
    """Generated VP8 video, Opus audio and text data sent as RTP from a thread.

    Each kind goes to its own UDP port (as a Streaming mountpoint expects);
    kinds given no port are not sent. Frames are paced in real time.

    Args:
        host: Where to send.
        video_port: The UDP port for VP8 video (RTP), or None.
        audio_port: The UDP port for Opus audio (RTP), or None.
        data_port: The UDP port for text datagrams (``"<prefix> <n>"``), or None.
        width: Video width.
        height: Video height.
        fps: Video frames a second.
        keyframe_interval: Frames between VP8 keyframes (default: one a second),
            so a viewer that joins late starts quickly.
        video_pt: The RTP payload type of the video.
        audio_pt: The RTP payload type of the audio.
        tone_hz: The audio tone's frequency.
        data_interval: Seconds between data datagrams.
        data_prefix: The text data datagrams start with.
        simulcast: More VP8 encodings of the same picture, each ``(port,
            width, height)``: with ``video_port`` as the lowest, a simulcast
            source for a mountpoint with ``simulcast``, ``port2`` and
            ``port3``. Their frames are not counted apart from ``video``.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        video_port: int | None = None,
        audio_port: int | None = None,
        data_port: int | None = None,
        width: int = 320,
        height: int = 240,
        fps: int = 30,
        keyframe_interval: int | None = None,
        video_pt: int = 96,
        audio_pt: int = 111,
        tone_hz: float = 400.0,
        data_interval: float = 0.2,
        data_prefix: str = "rxjanus",
        simulcast: Sequence[tuple[int, int, int]] = (),
    ) -> None:
        if video_port is None and audio_port is None and data_port is None:
            raise ValueError("RtpSource needs at least one of video_port, audio_port, data_port")
        if simulcast and video_port is None:
            raise ValueError("simulcast layers go with a video_port")
        self.host = host
        self.video_port = video_port
        self.audio_port = audio_port
        self.data_port = data_port
        self.width = width
        self.height = height
        self.fps = fps
        self.keyframe_interval = keyframe_interval or fps
        self.video_pt = video_pt
        self.audio_pt = audio_pt
        self.tone_hz = tone_hz
        self.data_interval = data_interval
        self.data_prefix = data_prefix
        self.simulcast = tuple(simulcast)
        self._sent: dict[str, int] = {"video": 0, "audio": 0, "data": 0}
        self._lock = threading.Lock()
        self._waiters: list[tuple[str, int, asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._stop = threading.Event()
        self._started = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def __repr__(self) -> str:
        ports = ", ".join(
            f"{kind}={port}"
            for kind, port in (
                ("video", self.video_port),
                ("audio", self.audio_port),
                ("data", self.data_port),
            )
            if port is not None
        )
        return f"<RtpSource {self.host} {ports} sent={self.frames_sent}>"

    # -- state ----------------------------------------------------------------------

    @property
    def frames_sent(self) -> dict[str, int]:
        """Video frames, audio frames and data datagrams sent so far."""
        with self._lock:
            return dict(self._sent)

    def sent(self, kind: RtpKind) -> int:
        """How many ``kind`` frames (or data datagrams) were sent so far."""
        with self._lock:
            return self._sent[kind]

    @property
    def running(self) -> bool:
        """Whether the sending thread runs."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def error(self) -> BaseException | None:
        """What stopped the thread, if it failed."""
        return self._error

    # -- lifecycle ------------------------------------------------------------------

    def start(self) -> RtpSource:
        """Open the outputs and start sending (returns once the outputs are open).

        Opening the encoders takes milliseconds, during which the caller
        (even an event loop) waits.

        Raises:
            RuntimeError: Already started, or the outputs could not be opened.
        """
        if self._thread is not None:
            raise RuntimeError(f"{self!r} was already started")
        self._thread = threading.Thread(target=self._run, name="rxjanus-rtp-source", daemon=True)
        self._thread.start()
        self._started.wait()
        if self._error is not None:
            self._thread.join()
            raise RuntimeError(f"RtpSource could not start: {self._error}") from self._error
        return self

    def stop(self) -> None:
        """Stop sending and close the outputs; safe to call twice."""
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join()
        self._fail_waiters(RuntimeError("the RtpSource stopped"))

    def __enter__(self) -> RtpSource:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    async def wait_sent(self, kind: RtpKind, count: int) -> None:
        """Wait until ``count`` ``kind`` frames were sent in all (woken by each frame).

        Raises:
            RuntimeError: The source stopped or failed first.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        entry = (kind, count, loop, future)
        with self._lock:
            if self._sent[kind] >= count:
                return
            stopped = self._stop.is_set() or self._error is not None
            if not stopped:
                self._waiters.append(entry)
        if stopped:
            raise RuntimeError(f"{self!r} is not sending") from self._error
        try:
            await future
        finally:
            with self._lock, contextlib.suppress(ValueError):
                self._waiters.remove(entry)

    # -- the thread -----------------------------------------------------------------

    def _run(self) -> None:
        senders: list[_Sender] = []
        try:
            if self.video_port is not None:
                senders.append(_VideoSender(self, self.video_port, self.width, self.height))
                for port, width, height in self.simulcast:
                    senders.append(_VideoSender(self, port, width, height, counted=False))
            if self.audio_port is not None:
                senders.append(_AudioSender(self, self.audio_port))
            if self.data_port is not None:
                senders.append(_DataSender(self, self.data_port))
        except BaseException as exc:
            self._error = exc
            for sender in senders:
                sender.close()
            self._started.set()
            return
        self._started.set()
        logger.debug("%r sending", self)
        try:
            start = time.monotonic()
            while not self._stop.is_set():
                now = time.monotonic() - start
                for sender in senders:
                    while sender.due <= now and not self._stop.is_set():
                        sender.send()
                        if sender.counted:
                            self._count(sender.kind)
                wait = min(sender.due for sender in senders) - (time.monotonic() - start)
                if wait > 0:
                    self._stop.wait(wait)
        except Exception as exc:
            logger.exception("%r failed", self)
            self._error = exc
            self._fail_waiters(RuntimeError(f"the RtpSource failed: {exc}"))
        finally:
            for sender in senders:
                sender.close()
            logger.debug("%r stopped", self)

    def _count(self, kind: str) -> None:
        with self._lock:
            self._sent[kind] += 1
            total = self._sent[kind]
            ready = [w for w in self._waiters if w[0] == kind and w[1] <= total]
            for waiter in ready:
                self._waiters.remove(waiter)
        for _, _, loop, future in ready:
            _resolve(loop, future, None)

    def _fail_waiters(self, error: Exception) -> None:
        with self._lock:
            waiters, self._waiters = self._waiters, []
        for _, _, loop, future in waiters:
            _resolve(loop, future, error)


def _resolve(
    loop: asyncio.AbstractEventLoop, future: asyncio.Future[None], error: Exception | None
) -> None:
    def settle() -> None:
        if future.done():
            return
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)

    with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
        loop.call_soon_threadsafe(settle)


class _Sender:
    """One kind of media going to one port; ``due`` is when its next frame is."""

    kind: str = ""

    def __init__(self, interval: float, *, counted: bool = True) -> None:
        self.interval = interval
        self.index = 0
        self.counted = counted

    @property
    def due(self) -> float:
        return self.index * self.interval

    def send(self) -> None:
        self._send(self.index)
        self.index += 1

    def _send(self, index: int) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class _RtpOutput(_Sender):
    """An FFmpeg RTP muxer with one encoded stream; its RTCP goes to a socket we own."""

    def __init__(
        self, host: str, port: int, payload_type: int, interval: float, *, counted: bool = True
    ) -> None:
        super().__init__(interval, counted=counted)
        # RTCP would go to port + 1 (maybe another mountpoint's port): send it here instead.
        self._rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self._rtcp.bind((host, 0))
            rtcp_port = self._rtcp.getsockname()[1]
            url = f"rtp://{host}:{port}?rtcpport={rtcp_port}&pkt_size=1200"
            self.container: Any = av.open(
                url, "w", format="rtp", options={"payload_type": str(payload_type)}
            )
        except BaseException:
            self._rtcp.close()
            raise

    def _mux(self, packets: Any) -> None:
        for packet in packets:
            self.container.mux(packet)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.container.close()
        self._rtcp.close()


class _VideoSender(_RtpOutput):
    kind = "video"

    def __init__(
        self, source: RtpSource, port: int, width: int, height: int, *, counted: bool = True
    ) -> None:
        super().__init__(source.host, port, source.video_pt, 1 / source.fps, counted=counted)
        self.width, self.height = width, height
        self.time_base = Fraction(1, source.fps)
        stream = self.container.add_stream("libvpx", rate=source.fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        context = stream.codec_context
        context.gop_size = source.keyframe_interval
        context.bit_rate = 300_000
        context.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
        self.stream = stream

    def _send(self, index: int) -> None:
        frame = av.VideoFrame(self.width, self.height, "yuv420p")
        luma = 16 + (index * 7) % 220
        for plane, value in zip(frame.planes, (luma, 128, 128), strict=True):
            plane.update(bytes([value]) * plane.buffer_size)
        frame.pts = index
        frame.time_base = self.time_base
        self._mux(self.stream.encode(frame))


class _AudioSender(_RtpOutput):
    kind = "audio"

    def __init__(self, source: RtpSource, port: int) -> None:
        super().__init__(source.host, port, source.audio_pt, AUDIO_FRAME / AUDIO_RATE)
        stream = self.container.add_stream("libopus", rate=AUDIO_RATE)
        stream.codec_context.layout = "stereo"
        stream.codec_context.format = "s16"
        stream.codec_context.bit_rate = 64_000
        self.stream = stream
        self.time_base = Fraction(1, AUDIO_RATE)
        # A whole number of periods in one frame, so one buffer serves every frame.
        periods = max(1, round(source.tone_hz * AUDIO_FRAME / AUDIO_RATE))
        self.tone_hz = periods * AUDIO_RATE / AUDIO_FRAME
        self.samples = _tone(self.tone_hz, 8000, AUDIO_FRAME, 2)

    def _send(self, index: int) -> None:
        frame = av.AudioFrame(format="s16", layout="stereo", samples=AUDIO_FRAME)
        frame.planes[0].update(self.samples)
        frame.sample_rate = AUDIO_RATE
        frame.pts = index * AUDIO_FRAME
        frame.time_base = self.time_base
        self._mux(self.stream.encode(frame))


class _DataSender(_Sender):
    kind = "data"

    def __init__(self, source: RtpSource, port: int) -> None:
        super().__init__(source.data_interval)
        self.prefix = source.data_prefix
        self.address = (source.host, port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def _send(self, index: int) -> None:
        self.sock.sendto(f"{self.prefix} {index}".encode(), self.address)

    def close(self) -> None:
        self.sock.close()


# -- files --------------------------------------------------------------------------


def make_opus_file(path: str | Path, seconds: float = 3.0, tone_hz: float = 400.0) -> Path:
    """Write an Ogg Opus file of a sine tone (for ``live``/``ondemand`` mountpoints).

    Janus's Streaming plugin picks the format by the name: keep the ``.opus`` suffix.

    Returns:
        The path written.
    """
    path = Path(path)
    frames = max(1, round(seconds * AUDIO_RATE / AUDIO_FRAME))
    with av.open(str(path), "w", format="ogg") as container:
        stream: Any = container.add_stream("libopus", rate=AUDIO_RATE)
        stream.codec_context.layout = "stereo"
        stream.codec_context.format = "s16"
        stream.codec_context.bit_rate = 64_000
        for index in range(frames):
            frame = av.AudioFrame(format="s16", layout="stereo", samples=AUDIO_FRAME)
            frame.planes[0].update(_tone(tone_hz, 8000, AUDIO_FRAME, 2, index * AUDIO_FRAME))
            frame.sample_rate = AUDIO_RATE
            frame.pts = index * AUDIO_FRAME
            frame.time_base = Fraction(1, AUDIO_RATE)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


@dataclass
class MjrRecording:
    """A Janus ``.mjr`` recording read back.

    Attributes:
        info: The JSON header (``t``: ``"v"``/``"a"``/``"d"``, ``c``: the codec...).
        packets: The RTP packets (or data messages) in the order recorded.
    """

    info: dict[str, Any]
    packets: list[bytes] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """``"video"``, ``"audio"`` or ``"data"``."""
        return {"v": "video", "a": "audio", "d": "data"}.get(str(self.info.get("t")), "?")

    @property
    def codec(self) -> str:
        """The codec's name, e.g. ``"vp8"`` or ``"opus"``."""
        return str(self.info.get("c", ""))

    def payload_types(self) -> set[int]:
        """The RTP payload types of the packets (empty for data)."""
        if self.kind == "data":
            return set()
        return {packet[1] & 0x7F for packet in self.packets if len(packet) >= 12}


def read_mjr(path: str | Path) -> MjrRecording:
    """Read a Janus ``.mjr`` recording (the MJR00002 format).

    Raises:
        ValueError: Not an MJR00002 file, or a truncated one.
    """
    data = Path(path).read_bytes()
    if not data.startswith(_MJR_MAGIC):
        raise ValueError(f"{path} is not an MJR00002 recording")
    offset = len(_MJR_MAGIC)
    (length,) = struct.unpack_from("!H", data, offset)
    offset += 2
    info = json.loads(data[offset : offset + length])
    offset += length
    recording = MjrRecording(info)
    skip = 8 if info.get("t") == "d" else 0  # data frames carry a 64-bit time first
    while offset < len(data):
        if data[offset : offset + 4] != _MJR_FRAME or offset + 10 > len(data):
            raise ValueError(f"{path}: bad frame header at byte {offset}")
        (size,) = struct.unpack_from("!H", data, offset + 8)
        start = offset + 10
        if start + size > len(data):
            raise ValueError(f"{path}: truncated frame at byte {offset}")
        recording.packets.append(data[start + skip : start + size])
        offset = start + size
    return recording


def audio_level(frame: Any) -> int:
    """The peak absolute sample of a decoded ``s16`` audio frame (0 for silence).

    Raises:
        ValueError: The frame is not packed signed 16-bit audio.
    """
    if frame.format.name != "s16":
        raise ValueError(f"audio_level reads s16 frames, not {frame.format.name}")
    samples = array.array("h")
    samples.frombytes(bytes(frame.planes[0])[: frame.samples * len(frame.layout.channels) * 2])
    return max((abs(value) for value in samples), default=0)
