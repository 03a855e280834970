"""VoiceMail against the real Janus: record a generated tone, find the .opus file, decode it."""

from __future__ import annotations

import array
import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import pytest

from rxjanus import JanusSession, PluginError
from rxjanus.exceptions import InvalidStateError
from rxjanus.plugins.voicemail import (
    MAX_SECONDS,
    JanusVoiceMailPlugin,
    VoiceMailError,
    VoiceMailEventType,
    VoiceMailRecording,
    voicemail_event_type,
)
from rxjanus.testing import (
    JanusServer,
    SyntheticAudioTrack,
    SyntheticVideoTrack,
    enable_loopback_ice,
    loopback_rtc_configuration,
    make_opus_file,
)

from .helpers import Recorder

WAIT = 30.0
RATE = 48_000
TONE = 440.0
AMPLITUDE = 0.3
# aiortc encodes stereo Opus: its upmix puts the mono tone in each channel at
# -3 dB, so a channel's RMS is AMPLITUDE * 32767 / sqrt(2) (the sine) / sqrt(2).
CHANNEL_RMS = AMPLITUDE * 32767 / 2
ALREADY_RECORDING = 465
INVALID_REQUEST = 462


@pytest.fixture(autouse=True)
def loopback_ice() -> None:
    enable_loopback_ice()


def new_plugin() -> JanusVoiceMailPlugin:
    return JanusVoiceMailPlugin(pc_config=loopback_rtc_configuration())


def of_kind(kind: VoiceMailEventType) -> Any:
    """A predicate for Recorder.wait_value: a VoiceMail event of ``kind``."""
    return lambda message: isinstance(message, dict) and voicemail_event_type(message) is kind


def plugin_state(janus: JanusServer, plugin: JanusVoiceMailPlugin) -> dict[str, Any]:
    """What the plugin itself says about the handle (Admin API ``handle_info``)."""
    assert plugin.session is not None
    assert plugin.session.session_id is not None
    assert plugin.id is not None
    info = janus.handle_info(plugin.session.session_id, plugin.id)
    state: dict[str, Any] = info["plugin_specific"]
    return state


@dataclass
class Decoded:
    """What PyAV makes of an .opus file: its frames, and its first channel as s16."""

    frames: int
    samples: int
    rms: float
    crossings: int

    @property
    def seconds(self) -> float:
        return self.samples / RATE

    @property
    def frequency(self) -> float:
        """The tone's frequency, from the rate of zero crossings (two a period)."""
        return self.crossings / 2 / self.seconds


def decode(path: Path) -> Decoded:
    """Decode ``path`` with PyAV (libopus) and measure the audio in it.

    The samples are made packed s16 without mixing channels down (a downmix
    would scale them); the first channel is measured.
    """
    resampler = av.AudioResampler(format="s16", rate=RATE)
    interleaved = array.array("h")
    frames = channels = 0
    with av.open(str(path)) as container:
        [stream] = container.streams.audio
        assert stream.codec_context.name == "opus"
        for frame in container.decode(stream):
            frames += 1
            for packed in resampler.resample(frame):
                channels = len(packed.layout.channels)
                interleaved.frombytes(bytes(packed.planes[0])[: packed.samples * channels * 2])
    assert interleaved, f"{path} decodes to no audio"
    samples = interleaved[::channels]
    rms = math.sqrt(sum(value * value for value in samples) / len(samples))
    crossings = sum(1 for a, b in itertools.pairwise(samples) if (a < 0) != (b < 0))
    return Decoded(frames=frames, samples=len(samples), rms=rms, crossings=crossings)


def exists(recording: str) -> bool:
    return Path(recording).exists()


def check_file(janus: JanusServer, message: VoiceMailRecording, recording_id: int | None) -> Path:
    """The ``done`` names the .opus file in the configured folder; return its path."""
    assert recording_id is not None
    assert message.id == recording_id
    assert message.filename == f"janus-voicemail-{recording_id}.opus"
    assert message.recording == str(janus.voicemail_dir / message.filename)
    path = Path(message.recording)
    assert path.is_file()
    assert path.read_bytes()[:4] == b"OggS"
    return path


async def test_record_a_tone_stop_and_decode_the_file(janus: JanusServer) -> None:
    tone = SyntheticAudioTrack(TONE, AMPLITUDE)
    async with JanusSession(base_url=janus.ws_url) as session:
        mail = new_plugin()
        await mail.attach(session)
        events = Recorder(mail.events)

        # record() offers our audio; Janus answers "starting", then "started" when media is up.
        await mail.record(tone, timeout=WAIT)
        assert any(of_kind(VoiceMailEventType.STARTED)(m) for m in events.values)
        state = plugin_state(janus, mail)
        assert state["state"] == "recording"
        assert state["id"] == mail.recording_id
        assert Path(state["filename"]).name == f"janus-voicemail-{mail.recording_id}.opus"

        sent0 = tone.frames_sent
        await tone.wait_sent(sent0 + 125)  # 2.5 s of 20 ms frames
        sent = tone.frames_sent - sent0
        message = await mail.stop(WAIT)

        # Janus ends the handle after done: stop() returned once it was gone.
        assert not mail.attached
        assert "detached" in events.kinds()
        assert mail.result == message
        assert await mail.wait_done(WAIT) == message
        assert voicemail_event_type(message.raw) is VoiceMailEventType.DONE
        # stop's done was its reply, so it is not also an event.
        assert not any(of_kind(VoiceMailEventType.DONE)(m) for m in events.values)
        with pytest.raises(InvalidStateError):
            await mail.record(tone)  # one message per handle

    path = check_file(janus, message, mail.recording_id)
    decoded = decode(path)
    print(
        f"\nsent {sent} frames ({sent / 50:.2f} s) after started; {path.name} decodes to "
        f"{decoded.frames} frames, {decoded.seconds:.2f} s, RMS {decoded.rms:.0f}, "
        f"{decoded.frequency:.0f} Hz"
    )
    # One 20 ms Opus packet a frame. Janus 1.1.2 closes the file without flushing
    # the Ogg stream, so the packets of the last, unfinished page (up to ~13 here,
    # 0.26 s) are lost, and what goes out while stop is on its way is recorded.
    assert sent - 20 <= decoded.frames <= sent + 50
    assert decoded.samples == decoded.frames * RATE // 50
    assert abs(decoded.rms - CHANNEL_RMS) < 0.1 * CHANNEL_RMS
    assert abs(decoded.frequency - TONE) < 0.05 * TONE
    assert janus.list_sessions() == []


async def test_record_a_file_and_a_video_track_audio_only(
    janus: JanusServer, tmp_path: Path
) -> None:
    greeting = make_opus_file(tmp_path / "greeting.opus", seconds=2.0, tone_hz=400.0)
    camera = SyntheticVideoTrack(160, 120)
    async with JanusSession(base_url=janus.ws_url) as session:
        mail = new_plugin()
        await mail.attach(session)
        events = Recorder(mail.events)
        # The video track is left out (Janus records audio only); the file's audio goes.
        await mail.record([camera, greeting], timeout=WAIT)
        sending = [sender.track.kind for sender in mail.pc.getSenders() if sender.track]
        assert sending == ["audio"]
        # The file ends: Janus reports no more audio, and we stop.
        await events.wait_value(lambda m: m.get("janus") == "media" and not m["receiving"], WAIT)
        message = await mail.stop(WAIT)
        assert camera.frames_sent == 0
        with pytest.raises(ValueError, match="no audio"):
            await new_plugin().record(camera)  # nothing it could record

    decoded = decode(check_file(janus, message, mail.recording_id))
    print(
        f"\na 2 s file recorded: {decoded.frames} frames, {decoded.seconds:.2f} s, "
        f"RMS {decoded.rms:.0f}, {decoded.frequency:.0f} Hz"
    )
    assert 1.5 <= decoded.seconds <= 2.1
    assert decoded.rms > 1000
    assert abs(decoded.frequency - 400.0) < 0.05 * 400.0
    assert janus.list_sessions() == []


async def test_janus_ends_the_message_after_10_seconds(janus: JanusServer) -> None:
    tone = SyntheticAudioTrack(TONE, AMPLITUDE)
    async with JanusSession(base_url=janus.ws_url) as session:
        mail = new_plugin()
        await mail.attach(session)
        events = Recorder(mail.events)
        await mail.record(tone, timeout=WAIT)
        sent0 = tone.frames_sent

        # No stop: the done comes by itself, as an event, and Janus ends the handle.
        message = await mail.wait_done(WAIT)
        sent = tone.frames_sent - sent0
        done = await events.wait_value(of_kind(VoiceMailEventType.DONE), WAIT)
        assert VoiceMailRecording.from_janus(done["plugindata"]["data"]) == message
        assert not mail.attached
        assert "detached" in events.kinds()
        assert await mail.stop(WAIT) == message  # nothing left to stop: the same done

    decoded = decode(check_file(janus, message, mail.recording_id))
    print(
        f"\nsent {sent} frames ({sent / 50:.2f} s) until done; the file decodes to "
        f"{decoded.frames} frames, {decoded.seconds:.2f} s, RMS {decoded.rms:.0f}"
    )
    assert MAX_SECONDS - 0.5 <= decoded.seconds <= MAX_SECONDS + 0.5
    assert abs(decoded.rms - CHANNEL_RMS) < 0.1 * CHANNEL_RMS
    assert janus.list_sessions() == []


async def test_errors_and_what_janus_answers(url: str, janus: JanusServer) -> None:
    async with JanusSession(base_url=url) as session:
        # The header's flow: record with no offer. Janus opens the file and
        # answers "starting", but offers nothing, so nothing would ever start.
        mail = new_plugin()
        await mail.attach(session)
        reply = await mail.send({"request": "record"})
        assert "jsep" not in reply
        assert voicemail_event_type(reply) is VoiceMailEventType.STARTING
        assert plugin_state(janus, mail)["state"] == "recording"

        # Recording twice on one handle: a typed error, and the handle carries on.
        with pytest.raises(VoiceMailError) as twice:
            await mail.record(SyntheticAudioTrack(), timeout=WAIT)
        error = twice.value
        assert isinstance(error, PluginError)
        assert (error.code, error.reason) == (ALREADY_RECORDING, "Already recording")
        assert error.plugin == "janus.plugin.voicemail"
        assert str(error) == "VoiceMail error 465: Already recording"
        assert mail.attached
        with pytest.raises(PluginError) as unknown:
            await mail.send({"request": "rewind"})
        assert unknown.value.code == INVALID_REQUEST

        # stop with nothing recorded is no error to Janus: a done that names a
        # file never written, and the handle is ended all the same.
        idle = new_plugin()
        await idle.attach(session)
        with pytest.raises(TimeoutError):
            await idle.wait_done(0)  # nothing done yet
        message = await idle.stop(WAIT)
        assert message.recording is not None
        assert message.recording.startswith(f"{janus.voicemail_dir}/janus-voicemail-")
        assert not exists(message.recording)
        assert not idle.attached
        assert await idle.stop() == message  # ended: the same done, nothing sent
        with pytest.raises(InvalidStateError):
            await new_plugin().wait_done()  # never attached
        assert mail.attached
    assert janus.list_sessions() == []


def test_event_types_are_classified() -> None:
    def event(data: dict[str, Any]) -> dict[str, Any]:
        return {"janus": "event", "plugindata": {"plugin": "janus.plugin.voicemail", "data": data}}

    assert voicemail_event_type(event({"voicemail": "event", "status": "starting"})) is (
        VoiceMailEventType.STARTING
    )
    assert voicemail_event_type({"voicemail": "event", "status": "started"}) is (
        VoiceMailEventType.STARTED
    )
    done = {"voicemail": "event", "status": "done", "recording": "/vm/janus-voicemail-42.opus"}
    assert voicemail_event_type(event(done)) is VoiceMailEventType.DONE
    assert voicemail_event_type({"voicemail": "event", "error_code": 465, "error": "x"}) is (
        VoiceMailEventType.ERROR
    )
    assert voicemail_event_type({"voicemail": "event", "status": "rewinding"}) is None
    assert voicemail_event_type({"voicemail": "event"}) is None
    assert voicemail_event_type({"janus": "hangup"}) is None
    message = VoiceMailRecording.from_janus(done)
    assert (message.recording, message.id, message.filename) == (
        "/vm/janus-voicemail-42.opus",
        42,
        "janus-voicemail-42.opus",
    )
    url = VoiceMailRecording.from_janus(
        {**done, "recording": "https://x/vm/janus-voicemail-7.opus"}
    )
    assert (url.id, url.filename) == (7, "janus-voicemail-7.opus")
    assert VoiceMailRecording.from_janus({"voicemail": "event", "status": "done"}) == (
        VoiceMailRecording(recording=None)
    )
