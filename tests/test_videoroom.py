"""VideoRoom against the real Janus: room admin, publishing, multistream subscribing."""

from __future__ import annotations

import asyncio
import random
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import av
import pytest
from reactivex import operators as ops

from rxjanus import JanusSession, PluginError
from rxjanus.exceptions import InvalidStateError
from rxjanus.plugins.videoroom import (
    JanusVideoRoomPlugin,
    ParticipantType,
    VideoRoomError,
    VideoRoomEventType,
    videoroom_event_type,
)
from rxjanus.testing import (
    JanusServer,
    SyntheticAudioTrack,
    SyntheticVideoTrack,
    enable_loopback_ice,
    loopback_rtc_configuration,
)

from .helpers import Recorder

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NO_SUCH_ROOM = 426


@pytest.fixture(autouse=True)
def loopback_ice() -> None:
    enable_loopback_ice()


def new_plugin() -> JanusVideoRoomPlugin:
    return JanusVideoRoomPlugin(pc_config=loopback_rtc_configuration())


def random_room() -> int:
    return random.randint(10_000, 2**52)


def room_event(kind: VideoRoomEventType, **fields: Any) -> Any:
    """A predicate for Recorder.wait_value: a VideoRoom event of ``kind`` with ``fields``."""

    def matches(message: Any) -> bool:
        if not isinstance(message, dict) or videoroom_event_type(message) is not kind:
            return False
        data = message["plugindata"]["data"]
        return all(data.get(key) == value for key, value in fields.items())

    return matches


def frame_size(frame: av.VideoFrame) -> tuple[int, int]:
    return (frame.width, frame.height)


def decoded_video_frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


async def as_admin(janus: JanusServer, body: dict[str, Any]) -> dict[str, Any]:
    """Send one VideoRoom request on a session of its own, closed at once."""
    async with JanusSession(base_url=janus.ws_url) as session:
        admin = JanusVideoRoomPlugin()
        await admin.attach(session)
        return await admin.request(body)


@pytest.fixture
async def room(janus: JanusServer) -> AsyncIterator[int]:
    """A fresh room (secret "s3cret"), destroyed afterwards; no session held meanwhile."""
    room_id = random_room()
    create = {"request": "create", "room": room_id, "secret": "s3cret", "publishers": 6}
    assert (await as_admin(janus, create))["room"] == room_id
    yield room_id
    await as_admin(janus, {"request": "destroy", "room": room_id, "secret": "s3cret"})


async def test_room_admin_round_trip(url: str, janus: JanusServer) -> None:
    room_id = random_room()
    async with JanusSession(base_url=url) as session:
        plugin = JanusVideoRoomPlugin()
        await plugin.attach(session)
        created = await plugin.create_room(room_id, description="before", secret="s", pin="1")
        assert created == room_id
        assert await plugin.exists(room_id)
        [listed] = [r for r in await plugin.list_rooms() if r["room"] == room_id]
        assert listed["description"] == "before"
        assert listed["pin_required"] is True
        assert listed["max_publishers"] == 3

        edited = await plugin.edit(room_id, secret="s", description="after", new_publishers=5)
        assert edited == {"videoroom": "edited", "room": room_id, "permanent": False}
        [listed] = [r for r in await plugin.list_rooms() if r["room"] == room_id]
        assert (listed["description"], listed["max_publishers"]) == ("after", 5)
        assert await plugin.list_participants(room_id) == []

        acl = await plugin.allowed(room_id, "add", ["token-a"], secret="s")
        assert acl["allowed"] == ["token-a"]

        with pytest.raises(VideoRoomError) as wrong_secret:
            await plugin.destroy_room(room_id, secret="wrong")
        assert wrong_secret.value.code == 433  # unauthorized
        destroyed = await plugin.destroy_room(room_id, secret="s")
        assert destroyed["videoroom"] == "destroyed"
        assert not await plugin.exists(room_id)
        assert room_id not in [r["room"] for r in await plugin.list_rooms()]

        private = await plugin.create_room(is_private=True)  # the id chosen by Janus
        assert private not in [r["room"] for r in await plugin.list_rooms()]
        await plugin.destroy_room(private)
    assert janus.list_sessions() == []


async def test_joining_a_missing_room_raises_plugin_error_426(url: str, janus: JanusServer) -> None:
    async with JanusSession(base_url=url) as session:
        plugin = new_plugin()
        await plugin.attach(session)
        missing = random_room()
        with pytest.raises(PluginError) as raised:
            await plugin.join(missing, "nobody")
        assert raised.value.code == NO_SUCH_ROOM
        assert raised.value.plugin == "janus.plugin.videoroom"
        assert isinstance(raised.value, VideoRoomError)
        assert raised.value.error_code == NO_SUCH_ROOM  # janus_client's attribute names
        assert plugin.room_id is None
        assert plugin.participant_type is None
        with pytest.raises(PluginError) as subscribing:
            await plugin.subscribe_to_publisher(missing, [{"feed": 1}])
        assert subscribing.value.code == NO_SUCH_ROOM
    assert janus.list_sessions() == []


async def test_subscriber_on_another_session_gets_the_publishers_frames(
    url: str, janus: JanusServer, room: int, tmp_path: Path
) -> None:
    source = SyntheticVideoTrack(640, 480, fps=30)
    output = tmp_path / "subscriber.mp4"
    loop = asyncio.get_running_loop()
    async with JanusSession(base_url=url) as pub_session, JanusSession(base_url=url) as sub_session:
        # The watching side: a participant handle for the room's events...
        listener = new_plugin()
        await listener.attach(sub_session)
        room_events = Recorder(listener.events)
        joined = await listener.join(room, "watcher")
        assert joined["publishers"] == []

        publisher = new_plugin()
        await publisher.attach(pub_session)
        await publisher.join_as_publisher(room, display="alice")
        assert publisher.participant_type is ParticipantType.PUBLISHER
        assert publisher.display_name == "alice"
        configured = await publisher.publish(source, audio=False)
        assert configured["configured"] == "ok"
        assert publisher.is_publishing
        announced = await room_events.wait_value(room_event(VideoRoomEventType.PUBLISHERS))
        [feed] = announced["plugindata"]["data"]["publishers"]
        assert (feed["id"], feed["display"]) == (publisher.publisher_id, "alice")
        assert [s["type"] for s in feed["streams"]] == ["video"]

        # ...and a subscriber handle on the same (other) session.
        subscriber = new_plugin()
        await subscriber.attach(sub_session)
        sizes = Recorder(subscriber.frames("video").pipe(ops.map(frame_size)))
        sub_events = Recorder(subscriber.events)
        started = asyncio.Event()
        subscriber.on_event(VideoRoomEventType.STARTED, lambda data: started.set())
        attached = await subscriber.subscribe_to_publisher(
            room, [{"feed": feed["id"]}], recorder=output, private_id=listener.private_id
        )
        assert [(s["feed_id"], s["type"]) for s in attached["streams"]] == [(feed["id"], "video")]
        assert started.is_set()  # our answer went with "start"
        assert subscriber.participant_type is ParticipantType.SUBSCRIBER

        # Count frames over a window that starts once the first frame is in.
        await sizes.wait_for(lambda r: len(r.values) >= 1)
        start, received0, sent0 = loop.time(), len(sizes.values), source.frames_sent
        await source.wait_sent(sent0 + 90)  # 3 s at 30 fps
        elapsed = loop.time() - start
        received, sent = len(sizes.values) - received0, source.frames_sent - sent0
        print(
            f"\n{url.split(':')[0]}: sent {sent} ({sent / elapsed:.1f} fps), "
            f"received {received} ({received / elapsed:.1f} fps) in {elapsed:.2f} s"
        )
        assert received >= 0.85 * sent, (received, sent)
        assert sizes.values[-1] == (640, 480)

        # The publisher goes: the room says so, and Janus renegotiates the subscription.
        started.clear()
        await publisher.unpublish()
        assert not publisher.is_publishing
        await room_events.wait_value(
            room_event(VideoRoomEventType.UNPUBLISHED, unpublished=feed["id"])
        )
        await sub_events.wait_value(room_event(VideoRoomEventType.UPDATED))
        async with asyncio.timeout(10):
            await started.wait()  # the handle answered the new offer itself
        await publisher.leave()
        assert publisher.room_id is None
        await room_events.wait_value(room_event(VideoRoomEventType.LEAVING, leaving=feed["id"]))

        total = len(sizes.values)
        left = await subscriber.leave()
        assert left.get("left") == "ok"
        assert sizes.completed  # the PeerConnection closed; the recording is finished
        await listener.leave()
    assert janus.list_sessions() == []
    assert decoded_video_frames(output) >= 0.85 * total


async def test_subscribe_and_unsubscribe_renegotiate(
    url: str, janus: JanusServer, room: int
) -> None:
    alice_video, bob_video = SyntheticVideoTrack(320, 240), SyntheticVideoTrack(320, 240)
    async with JanusSession(base_url=url) as pub_session, JanusSession(base_url=url) as sub_session:
        alice, bob = new_plugin(), new_plugin()
        for plugin, name, track in ((alice, "alice", alice_video), (bob, "bob", bob_video)):
            await plugin.attach(pub_session)
            await plugin.join(room, name)
            await plugin.publish(track)
        subscriber = new_plugin()
        await subscriber.attach(sub_session)
        frames = Recorder(subscriber.frames("video").pipe(ops.map(frame_size)))

        await subscriber.subscribe_to_publisher(room, [{"feed": alice.publisher_id}])
        await frames.wait_for(lambda r: len(r.values) >= 10)
        assert len(subscriber.peer.remote_tracks) == 1

        updated = await subscriber.subscribe([{"feed": bob.publisher_id}])
        assert updated["videoroom"] == "updated"
        assert [s["feed_id"] for s in updated["streams"]] == [
            alice.publisher_id,
            bob.publisher_id,
        ]
        # Both streams flow on the one PeerConnection: frames come at twice the rate.
        mark, sent = len(frames.values), alice_video.frames_sent
        await alice_video.wait_sent(sent + 60)
        both = len(frames.values) - mark
        assert len(subscriber.peer.remote_tracks) == 2
        assert both >= 1.5 * 60, both

        updated = await subscriber.unsubscribe([{"feed": alice.publisher_id}])
        assert [s.get("feed_id") for s in updated["streams"] if s["active"]] == [bob.publisher_id]
        await alice_video.wait_sent(alice_video.frames_sent + 15)  # let the change settle
        mark, sent = len(frames.values), bob_video.frames_sent
        await bob_video.wait_sent(sent + 60)
        one = len(frames.values) - mark
        assert 0.8 * 60 <= one <= 1.2 * 60, one

        paused = await subscriber.pause()
        assert paused["paused"] == "ok"
        resumed = await subscriber.start()
        assert resumed["started"] == "ok"
        await subscriber.leave()
        for plugin in (alice, bob):
            await plugin.leave()
    assert janus.list_sessions() == []


async def test_kick_and_moderate(janus: JanusServer, room: int) -> None:
    async with JanusSession(base_url=janus.ws_url) as session:
        admin, guest = JanusVideoRoomPlugin(), new_plugin()
        await admin.attach(session)
        await guest.attach(session)
        guest_events = Recorder(guest.events)
        joined = await guest.join(room, "guest")
        await guest.publish(SyntheticVideoTrack(320, 240))
        [me] = await admin.list_participants(room)
        assert (me["id"], me["display"], me["publisher"]) == (joined["id"], "guest", True)

        muted = await admin.moderate_participant(room, joined["id"], "0", True, secret="s3cret")
        assert muted["videoroom"] == "success"
        with pytest.raises(VideoRoomError):
            await admin.kick_participant(room, joined["id"], secret="wrong")
        await admin.kick_participant(room, joined["id"], secret="s3cret")
        await guest_events.wait_value(room_event(VideoRoomEventType.LEAVING, reason="kicked"))
        assert guest.room_id is None
        assert await admin.list_participants(room) == []
    assert janus.list_sessions() == []


async def test_a_cancelled_join_still_joined_and_the_handle_follows(
    url: str, janus: JanusServer, room: int
) -> None:
    async with JanusSession(base_url=url) as session:
        admin, guest = JanusVideoRoomPlugin(), new_plugin()
        await admin.attach(session)
        await guest.attach(session)
        joining = asyncio.ensure_future(guest.join(room, "guest"))
        while session.transport.pending_count == 0:  # noqa: ASYNC110 - until the join is out
            await asyncio.sleep(0)
        joining.cancel()
        with pytest.raises(asyncio.CancelledError):
            await joining
        # Cancelling is local: Janus joined all the same. The VideoRoom plugin answers a
        # handle's asynchronous requests in order, so once this configure is answered the
        # join's answer is in, and the handle's state says what the server did.
        configured = await guest.configure(display="still-guest")
        assert configured["configured"] == "ok"
        assert guest.room_id == room
        assert guest.participant_type is ParticipantType.PUBLISHER
        [me] = await admin.list_participants(room)
        assert (me["id"], me["display"]) == (guest.publisher_id, "still-guest")
        # A cancelled leave left, and the handle follows too.
        leaving = asyncio.ensure_future(guest.leave())
        while session.transport.pending_count == 0:  # noqa: ASYNC110 - yields, no timed wait
            await asyncio.sleep(0)
        leaving.cancel()
        with pytest.raises(asyncio.CancelledError):
            await leaving
        with pytest.raises(VideoRoomError):  # not in a room any more: Janus says so
            await guest.configure(display="gone")
        assert guest.room_id is None
        assert await admin.list_participants(room) == []
    assert janus.list_sessions() == []


async def run_script(*args: str, timeout: float = 30) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(timeout):
            out, err = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_seed_manual_session_management_joins_room_1234(url: str, janus: JanusServer) -> None:
    async with JanusSession(base_url=url) as session:
        watcher = JanusVideoRoomPlugin()
        await watcher.attach(session)
        await watcher.create_room(1234, notify_joining=True)
        try:
            events = Recorder(watcher.events)
            await watcher.join(1234, "watcher")
            code, out, err = await run_script(
                str(EXAMPLES / "seed" / "manual_session_management.py"), url
            )
            assert (code, out) == (0, ""), err  # the seed prints "Error: ..." on failure
            joining = await events.wait_value(lambda m: "joining" in m["plugindata"]["data"])
            user = joining["plugindata"]["data"]["joining"]
            assert user["display"] == "user1"
            await events.wait_value(room_event(VideoRoomEventType.LEAVING, leaving=user["id"]))
        finally:
            await watcher.destroy_room(1234)
    assert janus.list_sessions() == []


async def test_publisher_and_subscriber_examples(janus: JanusServer, tmp_path: Path) -> None:
    room_id = random_room()
    output = tmp_path / "feed.mp4"
    common = ("--room", str(room_id), "--loopback")
    subscriber = asyncio.create_task(
        run_script(
            str(EXAMPLES / "videoroom_subscriber.py"),
            janus.ws_url,
            *common,
            "--output",
            str(output),
            "--seconds",
            "20",
            "--wait",
            "20",
        )
    )
    publisher = await run_script(
        str(EXAMPLES / "videoroom_publisher.py"), janus.ws_url, *common, "--seconds", "3"
    )
    sub_code, sub_out, sub_err = await subscriber
    assert publisher[0] == 0, publisher[2]
    assert sub_code == 0, sub_err
    assert "sent 90 video frames" in publisher[1]
    assert "received" in sub_out
    assert decoded_video_frames(output) > 30
    await as_admin(janus, {"request": "destroy", "room": room_id})
    assert janus.list_sessions() == []


class RtpSink(asyncio.DatagramProtocol):
    """A UDP socket of the test's own that keeps the RTP packets it receives."""

    def __init__(self) -> None:
        self.packets: list[bytes] = []
        self._changed = asyncio.Event()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.packets.append(data)
        self._changed.set()

    async def wait_count(self, count: int, timeout: float = 30.0) -> None:
        async with asyncio.timeout(timeout):
            while len(self.packets) < count:
                self._changed.clear()
                await self._changed.wait()


def rtp_header(packet: bytes) -> tuple[int, int, int]:
    """(version, payload type, SSRC) of an RTP packet."""
    return packet[0] >> 6, packet[1] & 0x7F, int.from_bytes(packet[8:12], "big")


async def test_rtp_forward_list_and_stop(janus: JanusServer, room: int) -> None:
    loop = asyncio.get_running_loop()
    transport, sink = await loop.create_datagram_endpoint(RtpSink, local_addr=("127.0.0.1", 0))
    port = transport.get_extra_info("sockname")[1]
    try:
        async with JanusSession(base_url=janus.ws_url) as session:
            publisher, admin = new_plugin(), JanusVideoRoomPlugin()
            await publisher.attach(session)
            await admin.attach(session)
            joined = await publisher.join(room, "forwarded")
            await publisher.publish(SyntheticVideoTrack(320, 240), audio=False)
            assert await admin.list_forwarders(room, secret="s3cret") == []
            with pytest.raises(VideoRoomError) as unauthorized:
                await admin.rtp_forward(
                    room, joined["id"], [{"mid": "0", "port": port}], "127.0.0.1", secret="no"
                )
            assert unauthorized.value.code == 433

            forward = await admin.rtp_forward(
                room,
                joined["id"],
                [{"mid": "0", "port": port, "pt": 111, "ssrc": 4242}],
                host="127.0.0.1",
                secret="s3cret",
            )
            assert (forward["videoroom"], forward["publisher_id"]) == ("rtp_forward", joined["id"])
            [forwarder] = forward["forwarders"]
            assert (forwarder["type"], forwarder["port"]) == ("video", port)
            # The publisher's video arrives as plain RTP with the payload type and SSRC asked for.
            await sink.wait_count(100)
            assert {rtp_header(p) for p in sink.packets} == {(2, 111, 4242)}
            print(f"\nrtp_forward: {len(sink.packets)} RTP packets on 127.0.0.1:{port}")

            [listed] = await admin.list_forwarders(room, secret="s3cret")
            assert listed["publisher_id"] == joined["id"]
            assert [f["stream_id"] for f in listed["forwarders"]] == [forwarder["stream_id"]]
            assert listed["forwarders"][0]["port"] == port

            stopped = await admin.stop_rtp_forward(
                room, joined["id"], forwarder["stream_id"], secret="s3cret"
            )
            assert stopped["videoroom"] == "stop_rtp_forward"
            assert stopped["stream_id"] == forwarder["stream_id"]
            assert await admin.list_forwarders(room, secret="s3cret") == []
            with pytest.raises(VideoRoomError):
                await admin.stop_rtp_forward(
                    room, joined["id"], forwarder["stream_id"], secret="s3cret"
                )
            await publisher.leave()
    finally:
        transport.close()
    assert janus.list_sessions() == []


def recordings(folder: Path) -> dict[str, int]:
    """The Janus recordings (.mjr, version 2) in ``folder``, with their RTP packet counts."""
    found = {}
    for path in folder.glob("*.mjr"):
        data = path.read_bytes()
        assert data.startswith(b"MJR00002"), path.name
        offset = 10 + int.from_bytes(data[8:10], "big")  # the JSON info header
        packets = 0
        while offset + 10 <= len(data):
            assert data[offset : offset + 4] == b"MEET", (path.name, offset)
            offset += 10 + int.from_bytes(data[offset + 8 : offset + 10], "big")
            packets += 1
        found[path.name] = packets
    return found


async def test_enable_recording_records_every_publisher_on_the_server(
    janus: JanusServer, tmp_path: Path
) -> None:
    source = SyntheticVideoTrack(320, 240)
    async with JanusSession(base_url=janus.ws_url) as session:
        admin, publisher = JanusVideoRoomPlugin(), new_plugin()
        await admin.attach(session)
        await publisher.attach(session)
        room_id = await admin.create_room(secret="rec", rec_dir=str(tmp_path))
        try:
            await publisher.join(room_id, "recorded")
            await publisher.publish(source, audio=False)
            assert await asyncio.to_thread(recordings, tmp_path) == {}
            with pytest.raises(VideoRoomError) as unauthorized:
                await admin.enable_recording(room_id, True, secret="wrong")
            assert unauthorized.value.code == 433

            started = await admin.enable_recording(room_id, True, secret="rec")
            assert started == {"videoroom": "success", "record": True}
            [listed] = [r for r in await admin.list_rooms() if r["room"] == room_id]
            assert listed["record"] is True
            await source.wait_sent(source.frames_sent + 90)
            stopped = await admin.enable_recording(room_id, False, secret="rec")
            assert stopped["record"] is False
            [(name, packets)] = (await asyncio.to_thread(recordings, tmp_path)).items()
            print(f"\nenable_recording: {name}, {packets} RTP packets")
            assert "video" in name
            assert packets >= 60  # 90 frames sent while recording; at least a packet each
            await publisher.leave()
        finally:
            await admin.destroy_room(room_id, secret="rec")
    assert janus.list_sessions() == []


async def test_join_and_configure_then_update_and_switch_a_subscription(
    janus: JanusServer, room: int
) -> None:
    async with (
        JanusSession(base_url=janus.ws_url) as pub_session,
        JanusSession(base_url=janus.ws_url) as sub_session,
    ):
        listener, alice, bob = new_plugin(), new_plugin(), new_plugin()
        await listener.attach(sub_session)
        await alice.attach(pub_session)
        await bob.attach(pub_session)
        room_events = Recorder(listener.events)
        await listener.join(room, "listener")

        # joinandconfigure: join and publish in one request.
        joined = await alice.join_and_configure(room, SyntheticVideoTrack(320, 240), "alice")
        assert joined["videoroom"] == "joined"
        assert alice.participant_type is ParticipantType.PUBLISHER
        assert alice.is_publishing
        assert alice.publisher_id == joined["id"]
        announced = await room_events.wait_value(room_event(VideoRoomEventType.PUBLISHERS))
        assert [p["display"] for p in announced["plugindata"]["data"]["publishers"]] == ["alice"]
        with pytest.raises(InvalidStateError):
            await alice.join_and_configure(room, SyntheticVideoTrack(160, 120), "again")
        await bob.join(room, "bob")
        await bob.publish(SyntheticVideoTrack(160, 120), audio=False)
        participants = await listener.list_participants(room)
        assert {(p["display"], p["publisher"]) for p in participants} == {
            ("listener", False),
            ("alice", True),
            ("bob", True),
        }

        subscriber = new_plugin()
        await subscriber.attach(sub_session)
        sizes = Recorder(subscriber.frames("video").pipe(ops.map(frame_size)))
        await subscriber.subscribe_to_publisher(room, [{"feed": alice.publisher_id}])
        await sizes.wait_for(lambda r: (320, 240) in r.values, timeout=30)

        # update: drop alice and subscribe to bob, in one renegotiation.
        updated = await subscriber.update(
            subscribe=[{"feed": bob.publisher_id}], unsubscribe=[{"feed": alice.publisher_id}]
        )
        assert updated["videoroom"] in ("updated", "updating")
        if updated["videoroom"] == "updated":
            active = [s["feed_id"] for s in updated["streams"] if s["active"]]
            assert active == [bob.publisher_id]
        # Janus 1.1.2 recycles m-line 0 for bob without asking bob for a keyframe, and
        # bob's delta frames decode (as garbage) at alice's size until one comes: ask.
        await bob.configure(keyframe=True)
        mark = len(sizes.values)
        await sizes.wait_for(lambda r: (160, 120) in r.values[mark:], timeout=30)

        # switch: the same m-line carries alice again, with no renegotiation.
        switched = await subscriber.switch_publisher(
            [{"feed": alice.publisher_id, "mid": "0", "sub_mid": "0"}]
        )
        assert (switched["switched"], switched["changes"]) == ("ok", 1)
        assert [s["feed_id"] for s in switched["streams"]] == [alice.publisher_id]
        mark = len(sizes.values)
        await sizes.wait_for(lambda r: (320, 240) in r.values[mark:], timeout=30)
        await subscriber.leave()
        for plugin in (alice, bob, listener):
            await plugin.leave()
    assert janus.list_sessions() == []


async def test_joining_talking_and_destroyed_reach_the_events(janus: JanusServer) -> None:
    async with JanusSession(base_url=janus.ws_url) as session:
        listener, speaker = new_plugin(), new_plugin()
        await listener.attach(session)
        await speaker.attach(session)
        heard = Recorder(listener.events)
        kinds: list[VideoRoomEventType] = []
        for kind in (VideoRoomEventType.JOINING, VideoRoomEventType.DESTROYED):
            listener.on_event(kind, lambda _data, kind=kind: kinds.append(kind))
        room_id = await listener.create_room(
            notify_joining=True, audiolevel_event=True, audio_active_packets=25
        )
        await listener.join(room_id, "listener")
        joined = await speaker.join(room_id, "speaker")
        joining = await heard.wait_value(room_event(VideoRoomEventType.JOINING))
        new = {"id": joined["id"], "display": "speaker"}
        assert joining["plugindata"]["data"]["joining"] == new

        # A loud tone (about -10 dBov, under the room's average of 25) is talking...
        await speaker.publish(SyntheticAudioTrack(), video=False)
        talking = await heard.wait_value(
            room_event(VideoRoomEventType.TALKING, id=joined["id"]), timeout=30
        )
        level = talking["plugindata"]["data"]["audio-level-dBov-avg"]
        assert level < 25
        # ...until the speaker's own threshold is set below it.
        await speaker.configure(audio_level_average=1)
        await heard.wait_value(
            room_event(VideoRoomEventType.STOPPED_TALKING, id=joined["id"]), timeout=30
        )
        print(f"\ntalking at {level:.1f} dBov")

        await speaker.destroy_room(room_id)
        await heard.wait_value(room_event(VideoRoomEventType.DESTROYED, room=room_id))
        assert listener.room_id is None
        assert kinds == [VideoRoomEventType.JOINING, VideoRoomEventType.DESTROYED]
    assert janus.list_sessions() == []
