"""AudioBridge against the real Janus: room admin, a mixed call with real audio, errors."""

from __future__ import annotations

import array
import asyncio
import json
import math
import random
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import pytest
from reactivex import operators as ops

import rxjanus
from rxjanus import JanusSession, PluginError, aio
from rxjanus.exceptions import InvalidStateError
from rxjanus.operators import attach, join
from rxjanus.plugins.audiobridge import (
    AudioBridgeError,
    AudioBridgeEventType,
    JanusAudioBridgePlugin,
    audiobridge_event_type,
)
from rxjanus.testing import (
    JanusServer,
    SyntheticAudioTrack,
    enable_loopback_ice,
    loopback_rtc_configuration,
)

from .helpers import Recorder

API = Path(__file__).resolve().parent / "janus_api" / "janus.plugin.audiobridge.json"
SECRET = "s3cret"
NO_SUCH_ROOM = 485
UNAUTHORIZED = 489
UNKNOWN_REQUEST = 482
LOUD = 500.0
"""RMS (of s16 samples) that counts as hearing a tone; silence decodes to 0."""
QUIET = 50.0
QUIET_FRAMES = 25
"""Consecutive frames (0.5 s) under QUIET that count as silence."""
WAIT = 30.0


@pytest.fixture(autouse=True)
def loopback_ice() -> None:
    enable_loopback_ice()


def new_plugin() -> JanusAudioBridgePlugin:
    return JanusAudioBridgePlugin(pc_config=loopback_rtc_configuration())


def random_room() -> int:
    return random.randint(10_000, 2**52)


def rms(frame: av.AudioFrame) -> float:
    """Root mean square of a decoded frame's s16 samples."""
    samples = array.array("h", bytes(frame.planes[0]))
    return math.sqrt(sum(s * s for s in samples) / len(samples)) if samples else 0.0


def loud(levels: Recorder) -> bool:
    return bool(levels.values) and levels.values[-1] > LOUD


def quiet(levels: Recorder) -> bool:
    tail = levels.values[-QUIET_FRAMES:]
    return len(tail) == QUIET_FRAMES and max(tail) < QUIET


class SwitchableTone(SyntheticAudioTrack):
    """The synthetic tone, sending silence instead while ``silent`` is set."""

    silent = False

    async def recv(self) -> av.AudioFrame:
        frame = await super().recv()
        if self.silent:
            frame.planes[0].update(bytes(frame.planes[0].buffer_size))
        return frame


def room_event(kind: AudioBridgeEventType, **fields: Any) -> Callable[[Any], bool]:
    """A predicate for Recorder.wait_value: an AudioBridge event of ``kind`` with ``fields``."""

    def matches(message: Any) -> bool:
        if not isinstance(message, dict) or audiobridge_event_type(message) is not kind:
            return False
        data = message["plugindata"]["data"]
        return all(data.get(key) == value for key, value in fields.items())

    return matches


def participant_change(participant_id: int | None, **fields: Any) -> Callable[[Any], bool]:
    """A predicate: a ``participants`` event that shows ``participant_id`` with ``fields``."""

    def matches(message: Any) -> bool:
        if not room_event(AudioBridgeEventType.PARTICIPANTS)(message):
            return False
        for entry in message["plugindata"]["data"]["participants"]:
            if entry["id"] == participant_id:
                return all(entry.get(key) == value for key, value in fields.items())
        return False

    return matches


def make_opus_tone(path: Path, seconds: float = 20.0, frequency: float = 330.0) -> Path:
    """Write an Ogg Opus file of a tone (what ``play_file`` accepts)."""
    rate, samples = 48_000, 960
    with av.open(str(path), "w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=rate)
        stream.layout = "mono"
        period = [
            int(9000 * math.sin(2 * math.pi * frequency * i / rate)).to_bytes(
                2, "little", signed=True
            )
            for i in range(rate)
        ]
        for index in range(int(seconds * rate / samples)):
            frame = av.AudioFrame(format="s16", layout="mono", samples=samples)
            start = (index * samples) % rate
            frame.planes[0].update(b"".join(period[start : start + samples]))
            frame.sample_rate = rate
            frame.pts = index * samples
            frame.time_base = Fraction(1, rate)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


async def as_admin(janus: JanusServer, call: Callable[[JanusAudioBridgePlugin], Any]) -> Any:
    """Run one admin call on a session of its own, closed at once."""
    async with JanusSession(base_url=janus.ws_url) as session:
        admin = JanusAudioBridgePlugin()
        await admin.attach(session)
        return await call(admin)


@pytest.fixture
async def room(janus: JanusServer) -> AsyncIterator[int]:
    """A fresh room (secret SECRET, talking events), destroyed afterwards if still there."""
    room_id = random_room()

    async def create(admin: JanusAudioBridgePlugin) -> int:
        return await admin.create_room(
            room_id, secret=SECRET, audiolevel_event=True, audio_active_packets=25
        )

    assert await as_admin(janus, create) == room_id
    yield room_id

    async def destroy(admin: JanusAudioBridgePlugin) -> None:
        if await admin.exists(room_id):
            await admin.destroy_room(room_id, secret=SECRET)

    await as_admin(janus, destroy)


def test_the_class_covers_the_documented_api() -> None:
    documented = json.loads(API.read_text())
    assert documented["plugin"] == JanusAudioBridgePlugin.name
    assert set(JanusAudioBridgePlugin.janus_requests) == set(documented["requests"])
    assert set(JanusAudioBridgePlugin.janus_events) == set(documented["events"])
    for method in JanusAudioBridgePlugin.janus_requests.values():
        assert callable(getattr(JanusAudioBridgePlugin, method)), method


def test_events_are_classified() -> None:
    assert audiobridge_event_type({"audiobridge": "event", "room": 1, "leaving": 2}) is (
        AudioBridgeEventType.LEAVING
    )
    assert audiobridge_event_type({"audiobridge": "event", "room": 1, "kicked": 2}) is (
        AudioBridgeEventType.KICKED
    )
    assert audiobridge_event_type({"audiobridge": "event", "room": 1, "muted": True}) is (
        AudioBridgeEventType.MUTED
    )
    assert audiobridge_event_type({"audiobridge": "event", "result": "ok"}) is (
        AudioBridgeEventType.CONFIGURED
    )
    assert audiobridge_event_type({"audiobridge": "event", "error_code": 485}) is (
        AudioBridgeEventType.ERROR
    )
    wrapped = {"janus": "event", "plugindata": {"data": {"audiobridge": "stopped-talking"}}}
    assert audiobridge_event_type(wrapped) is AudioBridgeEventType.STOPPED_TALKING
    assert audiobridge_event_type({"audiobridge": "success"}) is None
    assert audiobridge_event_type({"audiobridge": "event"}) is None
    assert audiobridge_event_type({"janus": "webrtcup"}) is None


async def test_room_admin_round_trip(url: str, janus: JanusServer) -> None:
    room_id = random_room()
    async with JanusSession(base_url=url) as session:
        admin = JanusAudioBridgePlugin()
        await admin.attach(session)
        created = await admin.create_room(
            room_id, description="before", secret="s", pin="1", sampling_rate=48_000
        )
        assert created == room_id
        assert await admin.exists(room_id)
        [listed] = [r for r in await admin.list_rooms() if r["room"] == room_id]
        assert (listed["description"], listed["pin_required"]) == ("before", True)
        assert (listed["sampling_rate"], listed["num_participants"]) == (48_000, 0)

        edited = await admin.edit(room_id, secret="s", description="after", pin="")
        assert edited["audiobridge"] == "edited"
        [listed] = [r for r in await admin.list_rooms() if r["room"] == room_id]
        assert (listed["description"], listed["pin_required"]) == ("after", False)
        assert await admin.list_participants(room_id) == []
        assert await admin.list_forwarders(room_id, secret="s") == []

        acl = await admin.allowed(room_id, "add", ["token-a"], secret="s")
        assert acl["allowed"] == ["token-a"]
        await admin.allowed(room_id, "enable", secret="s")
        with pytest.raises(AudioBridgeError) as no_token:
            await admin.join(room_id, "guest")
        assert no_token.value.code == UNAUTHORIZED
        joined = await admin.join(room_id, "guest", "token-a")
        [guest] = await admin.list_participants(room_id)
        assert (guest["id"], guest["display"]) == (joined["id"], "guest")
        assert (await admin.leave())["audiobridge"] == "left"
        recording = await admin.enable_recording(
            room_id, record_dir=str(janus.recordings_dir), secret="s"
        )
        assert recording["audiobridge"] == "success"
        assert (await admin.enable_recording(room_id, record=False, secret="s"))["audiobridge"]
        mjrs = await admin.enable_mjrs(room_id, mjrs_dir=str(janus.recordings_dir), secret="s")
        assert mjrs["audiobridge"] == "success"

        with pytest.raises(AudioBridgeError) as wrong_secret:
            await admin.destroy_room(room_id, secret="wrong")
        assert wrong_secret.value.code == UNAUTHORIZED
        destroyed = await admin.destroy_room(room_id, secret="s")
        assert destroyed["audiobridge"] == "destroyed"
        assert not await admin.exists(room_id)

        private = await admin.create_room(is_private=True)  # the id chosen by Janus
        assert private not in [r["room"] for r in await admin.list_rooms()]
        await admin.destroy_room(private)
    assert janus.list_sessions() == []


async def test_errors_are_typed(janus: JanusServer, room: int) -> None:
    async with JanusSession(base_url=janus.ws_url) as session:
        plugin = new_plugin()
        await plugin.attach(session)
        missing = random_room()
        with pytest.raises(PluginError) as raised:
            await plugin.join(missing, "nobody")
        assert isinstance(raised.value, AudioBridgeError)
        assert raised.value.code == raised.value.error_code == NO_SUCH_ROOM
        assert raised.value.plugin == "janus.plugin.audiobridge"
        assert str(raised.value).startswith("AudioBridge error 485")
        assert not plugin.joined
        with pytest.raises(AudioBridgeError) as with_media:
            await plugin.join(missing, "nobody", media=True)
        assert with_media.value.code == NO_SUCH_ROOM
        with pytest.raises(InvalidStateError):
            await plugin.publish_stream()
        assert await plugin.leave() == {}  # in no room: nothing to leave
        with pytest.raises(AudioBridgeError) as not_admin:
            await plugin.play_file(room, "/nonexistent.opus", secret="wrong")
        assert not_admin.value.code == UNAUTHORIZED
        # Janus 1.2 requests: a 1.1 server says it does not know them.
        with pytest.raises(AudioBridgeError) as newer:
            await plugin.stop_all_files(room, secret=SECRET)
        assert newer.value.code == UNKNOWN_REQUEST
    assert janus.list_sessions() == []


async def test_two_participants_hear_each_other_mute_and_rename(
    janus: JanusServer, room: int, tmp_path: Path
) -> None:
    async with (
        JanusSession(base_url=janus.ws_url) as session_a,
        JanusSession(base_url=janus.ws_url) as session_b,
    ):
        alice, bob = new_plugin(), new_plugin()
        await alice.attach(session_a)
        await bob.attach(session_b)
        alice_events, bob_events = Recorder(alice.events), Recorder(bob.events)
        alice_hears = Recorder(alice.frames("audio").pipe(ops.map(rms)))

        # Alice: join and offer in one request; Bob: join, then offer with configure.
        alice_tone = SwitchableTone(440.0)
        joined = await alice.join(room, "alice", source=alice_tone)
        assert joined["participants"] == []
        assert alice.participant_id == joined["id"]
        bob_tone = SyntheticAudioTrack(660.0)
        joined = await bob.join(room, "bob")
        assert [(p["id"], p["display"]) for p in joined["participants"]] == [
            (alice.participant_id, "alice")
        ]
        await alice_events.wait_value(room_event(AudioBridgeEventType.JOINED), WAIT)
        bob_hears = Recorder(bob.frames("audio").pipe(ops.map(rms)))
        configured = await bob.publish_stream(bob_tone)
        assert configured == {"audiobridge": "event", "result": "ok"}

        await bob_hears.wait_for(loud, WAIT)
        await alice_hears.wait_for(loud, WAIT)
        await bob_events.wait_value(
            room_event(AudioBridgeEventType.TALKING, id=alice.participant_id), WAIT
        )
        participants = {p["display"]: p for p in await bob.list_participants(room)}
        assert set(participants) == {"alice", "bob"}
        assert [participants[n]["muted"] for n in ("alice", "bob")] == [False, False]
        assert [participants[n]["setup"] for n in ("alice", "bob")] == [True, True]

        # Bob renames himself: Alice sees it.
        await bob.configure(display="bobby")
        await alice_events.wait_value(participant_change(bob.participant_id, display="bobby"))
        assert bob.display_name == "bobby"
        assert {p["display"] for p in await alice.list_participants(room)} == {"alice", "bobby"}

        # Alice at half volume: Bob hears her about half as loud.
        full = max(bob_hears.values[-QUIET_FRAMES:])
        await alice.configure(volume=50, quality=8)
        await bob_hears.wait_for(lambda r: max(r.values[-QUIET_FRAMES:]) < 0.7 * full, WAIT)
        half = sum(bob_hears.values[-QUIET_FRAMES:]) / QUIET_FRAMES
        assert half > 0.3 * full
        await alice.configure(volume=100)

        # Bob records his own audio to an .mjr file on the server.
        recording = tmp_path / "bob"
        await bob.configure(record=True, filename=str(recording))
        heard = len(alice_hears.values)
        await alice_hears.wait_for(lambda r: len(r.values) >= heard + QUIET_FRAMES, WAIT)
        await bob.configure(record=False)
        mjr = tmp_path / "bob-audio.mjr"
        assert mjr.read_bytes().startswith(b"MJR00002")

        # Alice mutes herself: Bob is told, and hears near-silence (his own tone is not
        # in his mix); Alice still hears Bob.
        await alice.configure(muted=True)
        await bob_events.wait_value(participant_change(alice.participant_id, muted=True), WAIT)
        loud_level = bob_hears.values[-1]
        await bob_hears.wait_for(quiet, WAIT)
        await alice_hears.wait_for(loud, WAIT)
        muted = {p["display"]: p["muted"] for p in await bob.list_participants(room)}
        assert muted == {"alice": True, "bobby": False}
        assert alice.muted is True

        # The room's admin unmutes her: she hears of it too, and Bob hears her again.
        heard = len(bob_hears.values)
        assert alice.participant_id is not None
        await bob.unmute_participant(room, alice.participant_id, secret=SECRET)
        await alice_events.wait_value(participant_change(alice.participant_id, muted=False))
        await bob_hears.wait_for(lambda r: len(r.values) > heard and loud(r), WAIT)
        assert alice.muted is False

        assert (await alice.reset_decoder())["audiobridge"] == "success"
        assert bob.participant_id is not None
        await alice.mute_participant(room, bob.participant_id, secret=SECRET)
        await bob_events.wait_value(participant_change(bob.participant_id, muted=True))
        assert bob.muted is True
        await alice_hears.wait_for(quiet, WAIT)

        await bob.mute_room(room, secret=SECRET)
        await alice_events.wait_value(room_event(AudioBridgeEventType.MUTED, muted=True))
        await bob.unmute_room(room, secret=SECRET)
        await alice_events.wait_value(room_event(AudioBridgeEventType.MUTED, muted=False))

        # Alice goes quiet without muting: the room hears that she stopped talking.
        stopped = room_event(AudioBridgeEventType.STOPPED_TALKING, id=alice.participant_id)
        assert not any(stopped(message) for message in bob_events.values)
        alice_tone.silent = True
        await bob_events.wait_value(stopped, WAIT)
        await bob_hears.wait_for(quiet, WAIT)
        print(
            f"\nbob heard {len(bob_hears.values)} frames; tone RMS {loud_level:.0f}, "
            f"at half volume {half:.0f} (of {full:.0f}), "
            f"muted RMS max {max(bob_hears.values[heard - QUIET_FRAMES : heard]):.0f}; "
            f"alice heard {len(alice_hears.values)} frames"
        )

        left = await alice.leave()
        assert left["audiobridge"] == "left"
        assert not alice.joined
        await bob_events.wait_value(room_event(AudioBridgeEventType.LEAVING))
        await bob.leave()
        assert await bob.list_participants(room) == []
    assert janus.list_sessions() == []


async def test_an_announcement_is_heard_and_the_mix_forwarded_over_rtp(
    janus: JanusServer, room: int, tmp_path: Path
) -> None:
    tone = make_opus_tone(tmp_path / "announcement.opus")
    loop = asyncio.get_running_loop()
    packets: list[bytes] = []
    got_packet = asyncio.Event()

    class Sink(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
            packets.append(data)
            got_packet.set()

    transport, _ = await loop.create_datagram_endpoint(Sink, local_addr=("127.0.0.1", 0))
    port = transport.get_extra_info("sockname")[1]
    try:
        async with JanusSession(base_url=janus.ws_url) as session:
            listener = new_plugin()
            await listener.attach(session)
            events = Recorder(listener.events)
            # Janus makes the offer here (reversed roles); we answer, receiving only.
            joined = await listener.join(room, "listener", generate_offer=True)
            assert joined["audiobridge"] == "joined"
            hears = Recorder(listener.frames("audio").pipe(ops.map(rms)))
            await hears.wait_for(quiet, WAIT)

            file_id = await listener.play_file(room, str(tone), file_id="hello", secret=SECRET)
            assert file_id == "hello"
            await events.wait_value(
                room_event(AudioBridgeEventType.ANNOUNCEMENT_STARTED, file_id="hello"), WAIT
            )
            await hears.wait_for(loud, WAIT)
            assert await listener.is_playing(room, "hello", secret=SECRET)

            forwarder = await listener.rtp_forward(room, "127.0.0.1", port, secret=SECRET)
            stream_id = forwarder["stream_id"]
            [listed] = await listener.list_forwarders(room, secret=SECRET)
            assert (listed["stream_id"], listed["port"], listed["codec"]) == (
                stream_id,
                port,
                "opus",
            )
            async with asyncio.timeout(WAIT):
                while len(packets) < 50:
                    got_packet.clear()
                    await got_packet.wait()
            headers = {(p[0] >> 6, p[1] & 0x7F, int.from_bytes(p[8:12], "big")) for p in packets}
            assert headers == {(2, 100, forwarder["stream_id"])}  # RTP v2, Opus PT, its SSRC
            await listener.stop_rtp_forward(room, stream_id, secret=SECRET)
            assert await listener.list_forwarders(room, secret=SECRET) == []

            await listener.stop_file(room, "hello", secret=SECRET)
            await events.wait_value(
                room_event(AudioBridgeEventType.ANNOUNCEMENT_STOPPED, file_id="hello"), WAIT
            )
            assert not await listener.is_playing(room, "hello", secret=SECRET)
            await hears.wait_for(quiet, WAIT)
            print(f"\nlistener heard {len(hears.values)} frames; forwarder sent {len(packets)}")

            # The plugin's own hangup: Janus closes the PeerConnection and takes us out.
            await listener.hangup()
            await hears.wait_for(lambda r: r.completed, WAIT)
            assert not listener.joined
            await events.wait_value(lambda message: message.get("janus") == "hangup", WAIT)
            assert await listener.list_participants(room) == []
            assert await listener.leave() == {}
    finally:
        transport.close()
    assert janus.list_sessions() == []


async def test_change_room_kick_and_destroy(url: str, janus: JanusServer, room: int) -> None:
    other_room = await as_admin(janus, lambda admin: admin.create_room(secret=SECRET))
    async with JanusSession(base_url=url) as session_a, JanusSession(base_url=url) as session_b:
        alice, bob = new_plugin(), new_plugin()
        await alice.attach(session_a)
        await bob.attach(session_b)
        alice_events, bob_events = Recorder(alice.events), Recorder(bob.events)
        await alice.join(room, "alice")
        # Janus's kick closes the PeerConnection, which takes the participant out:
        # Bob needs one (receive only) for the kick to reach him.
        await bob.join(room, "bob", media=True)
        bob_frames = Recorder(bob.frames("audio"))

        changed = await bob.change_room(other_room, "bob2")
        assert changed["audiobridge"] == "roomchanged"
        assert (bob.room_id, bob.participant_id) == (other_room, changed["id"])
        await alice_events.wait_value(room_event(AudioBridgeEventType.LEAVING), WAIT)
        [moved] = await alice.list_participants(other_room)
        assert (moved["id"], moved["display"]) == (bob.participant_id, "bob2")

        kicked_id = bob.participant_id
        assert kicked_id is not None
        await alice.kick_participant(other_room, kicked_id, secret=SECRET)
        await bob_events.wait_value(room_event(AudioBridgeEventType.KICKED, kicked=kicked_id), WAIT)
        await bob_events.wait_value(lambda message: message.get("janus") == "hangup", WAIT)
        await bob_frames.wait_for(lambda r: r.completed, WAIT)  # our side closed too
        assert not bob.joined
        assert await alice.list_participants(other_room) == []
        assert await bob.leave() == {}  # Janus: not in a room

        await bob.destroy_room(room, secret=SECRET)
        await alice_events.wait_value(room_event(AudioBridgeEventType.DESTROYED, room=room), WAIT)
        assert not alice.joined

        alice_id = (await alice.join(other_room, "alice", media=True))["id"]
        await bob.kick_all(other_room, secret=SECRET)
        await alice_events.wait_value(
            room_event(AudioBridgeEventType.KICKED_ALL, kicked_all=alice_id), WAIT
        )
        assert not alice.joined
        await alice.leave()  # no-op (487 -> {}) once Janus has taken her out
        assert await alice.list_participants(other_room) == []
        await alice.destroy_room(other_room, secret=SECRET)
    assert janus.list_sessions() == []


async def test_join_operator_joins_with_audio_and_leaves_on_disposal(
    janus: JanusServer, room: int
) -> None:
    bots = rxjanus.session(janus.ws_url, keepalive_interval=None).pipe(
        attach(JanusAudioBridgePlugin, pc_config=loopback_rtc_configuration()),
        join(room, "bot", source=SyntheticAudioTrack()),
    )
    joined = Recorder(bots)
    await joined.wait_for(lambda r: bool(r.values) or r.ended, WAIT)
    [bot] = joined.values
    assert isinstance(bot, JanusAudioBridgePlugin)
    assert bot.room_id == room

    async def participants(admin: JanusAudioBridgePlugin) -> list[Any]:
        return await admin.list_participants(room)

    [listed] = await as_admin(janus, participants)
    assert (listed["id"], listed["display"], listed["setup"]) == (bot.participant_id, "bot", True)

    joined.subscription.dispose()
    async with asyncio.timeout(WAIT):
        await aio.settle()
    assert not bot.attached
    assert await as_admin(janus, participants) == []
    assert janus.list_sessions() == []


def test_bot_example_is_heard_then_muted(janus: JanusServer) -> None:
    script = Path(__file__).resolve().parent.parent / "examples" / "audiobridge_bot.py"
    room = str(random_room())
    done = subprocess.run(
        [sys.executable, str(script), janus.ws_url, "--room", room, "--demo"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    levels = [float(n) for n in re.findall(r"frames with the bot \w+: (\d+)", done.stdout)]
    assert len(levels) == 2, done.stdout
    talking, muted = levels
    assert talking > LOUD, done.stdout
    assert muted < QUIET, done.stdout
    assert "bot: listener is in the room" in done.stdout
    assert janus.list_sessions() == []
