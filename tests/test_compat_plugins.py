"""janus_client 0.9's plugin usage, the janus_client way, on the real Janus (ws and http).

Ported from janus_client's tests (test_plugin.py, test_plugin_video_call.py,
test_plugin_video_room.py, test_plugin_textroom.py) with only the import changed,
loopback ICE instead of a public STUN server, generated media instead of public
videos, and waits on events instead of sleeps.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import av
import pytest

from rxjanus import (
    JanusEchoTestPlugin,
    JanusSession,
    JanusTextRoomPlugin,
    JanusTransport,
    JanusVideoCallPlugin,
    JanusVideoRoomPlugin,
    ParticipantType,
    PluginAttachFail,
    VideoCallError,
    VideoRoomError,
)
from rxjanus.janus_client.media import MediaPlayer
from rxjanus.testing import (
    JanusServer,
    enable_loopback_ice,
    loopback_rtc_configuration,
    make_test_video,
)

from .helpers import Recorder


@pytest.fixture(autouse=True)
def loopback_ice() -> None:
    enable_loopback_ice()


@pytest.fixture
async def session(url: str) -> JanusSession:
    transport = JanusTransport.create_transport(base_url=url, api_secret="")
    await transport.connect()
    session = JanusSession(transport=transport)
    yield session  # type: ignore[misc]
    await session.destroy()
    await transport.disconnect()


# -- EchoTest (test_plugin.py) ------------------------------------------------------------


async def test_plugin_create_fail(session: JanusSession) -> None:
    plugin = JanusEchoTestPlugin()
    plugin.name = "dummy_name"  # type: ignore[misc]
    with pytest.raises(PluginAttachFail):
        await plugin.attach(session=session)


async def test_plugin_echotest_create(
    session: JanusSession, janus: JanusServer, tmp_path: Path
) -> None:
    source = make_test_video(tmp_path / "input.mp4", seconds=3)
    output_filename = tmp_path / "output.mp4"
    plugin_handle = JanusEchoTestPlugin(pc_config=loopback_rtc_configuration())
    await plugin_handle.attach(session=session)
    echoed = Recorder(plugin_handle.frames("video"))  # instead of janus_client's sleep(15)
    await plugin_handle.start(play_from=str(source), record_to=str(output_filename))
    await plugin_handle.wait_webrtcup()
    response = await session.transport.ping()
    assert response["janus"] == "pong"
    await echoed.wait_for(lambda r: len(r.values) >= 30)
    await plugin_handle.close_stream()
    assert output_filename.exists(), "the stream's record file is not created"
    with av.open(str(output_filename)) as container:  # close_stream finished the recording
        assert sum(1 for _ in container.decode(video=0)) > 0
    await plugin_handle.destroy()
    assert janus.list_handles(session.session_id) == []


async def test_echotest_plays_a_janus_client_media_player(
    session: JanusSession, tmp_path: Path
) -> None:
    player = MediaPlayer(str(make_test_video(tmp_path / "input.mp4", seconds=3)))
    plugin_handle = JanusEchoTestPlugin(pc_config=loopback_rtc_configuration())
    await plugin_handle.attach(session=session)
    await plugin_handle.start(play_from=player)
    await plugin_handle.wait_webrtcup()
    await plugin_handle.close_stream()
    await plugin_handle.destroy()
    player.stop()


# -- VideoCall (test_plugin_video_call.py) ----------------------------------------------


async def test_videocall_register_then_list(session: JanusSession) -> None:
    plugin_handle = JanusVideoCallPlugin()
    await plugin_handle.attach(session=session)
    assert type(await plugin_handle.list_users()) is list
    results = await asyncio.gather(plugin_handle.list_users(), plugin_handle.list_users())
    assert all(type(result) is list for result in results)
    username = f"test_user_{uuid.uuid4().hex[:8]}"
    assert await plugin_handle.register(username=username)
    assert plugin_handle.username == username
    assert username in await plugin_handle.list_users()
    await plugin_handle.destroy()


async def test_videocall_double_register_error(session: JanusSession) -> None:
    plugin_handle = JanusVideoCallPlugin()
    await plugin_handle.attach(session=session)
    username = f"test_user_{uuid.uuid4().hex[:8]}"
    await plugin_handle.register(username=username)
    with pytest.raises(VideoCallError) as context:
        await plugin_handle.register(username=f"another_{username}")
    assert "Already registered" in str(context.value)
    await plugin_handle.destroy()


async def test_videocall_call_without_register_error(session: JanusSession) -> None:
    plugin_handle = JanusVideoCallPlugin()
    await plugin_handle.attach(session=session)
    try:
        with pytest.raises(VideoCallError) as context:
            await plugin_handle.call(username="someone")
        assert "Must register" in str(context.value)
    finally:
        await plugin_handle.destroy()


async def test_videocall_accept_without_register_error(session: JanusSession) -> None:
    plugin_handle = JanusVideoCallPlugin()
    await plugin_handle.attach(session=session)
    try:
        with pytest.raises(VideoCallError) as context:
            await plugin_handle.accept(jsep={"type": "offer", "sdp": "fake_sdp"})
        assert "Must register" in str(context.value)
    finally:
        await plugin_handle.destroy()


async def test_videocall_accept_without_an_incoming_call_error(session: JanusSession) -> None:
    plugin_handle = JanusVideoCallPlugin()
    await plugin_handle.attach(session=session)
    try:
        await plugin_handle.register(username=f"test_user_{uuid.uuid4().hex[:8]}")
        with pytest.raises(VideoCallError) as context:
            await plugin_handle.accept()
        assert "No incoming call to accept" in str(context.value)
    finally:
        await plugin_handle.destroy()


# -- VideoRoom (test_plugin_video_room.py) ----------------------------------------------


async def test_videoroom_create_and_destroy_room(session: JanusSession) -> None:
    plugin = JanusVideoRoomPlugin()
    await plugin.attach(session=session)
    room_id = await plugin.create_room(
        description="Test VideoRoom", is_private=False, publishers=3, bitrate=128000, fir_freq=10
    )
    assert isinstance(room_id, int)
    with pytest.raises(VideoRoomError) as context:
        await plugin.create_room(room_id=room_id, description="Test VideoRoom")
    assert "already exists" in context.value.error_message
    assert await plugin.exists(room_id)
    assert room_id in [room["room"] for room in await plugin.list_rooms()]
    await plugin.destroy_room(room_id=room_id)
    with pytest.raises(VideoRoomError) as context:
        await plugin.destroy_room(room_id=room_id)
    assert "No such room" in context.value.error_message
    assert not await plugin.exists(room_id)
    await plugin.destroy()


async def test_videoroom_join_as_publisher_and_publish(
    session: JanusSession, tmp_path: Path
) -> None:
    plugin = JanusVideoRoomPlugin(pc_config=loopback_rtc_configuration())
    await plugin.attach(session=session)
    room_id = await plugin.create_room(description="Publisher Test Room", is_private=False)
    join_result = await plugin.join_as_publisher(room_id=room_id, display="Test Publisher")
    assert isinstance(join_result, dict)
    assert join_result["room"] == room_id
    assert plugin.participant_type == ParticipantType.PUBLISHER
    assert plugin.publisher_id is not None
    assert plugin.private_id is not None
    participants = await plugin.list_participants(room_id)
    assert [p["display"] for p in participants if p["id"] == plugin.publisher_id] == [
        "Test Publisher"
    ]

    player = MediaPlayer(str(make_test_video(tmp_path / "input.mp4", seconds=3)))
    publish_result = await plugin.publish(player=player)
    assert publish_result["configured"] == "ok"
    await plugin.webrtcup_event.wait()  # only really published once WebRTC is up
    await plugin.unpublish()

    await plugin.leave()
    assert plugin.participant_type is None
    assert plugin.room_id is None
    await plugin.destroy_room(room_id=room_id)
    await plugin.destroy()
    player.stop()


async def test_videoroom_publish_without_join(session: JanusSession, tmp_path: Path) -> None:
    plugin = JanusVideoRoomPlugin(pc_config=loopback_rtc_configuration())
    await plugin.attach(session=session)
    player = MediaPlayer(str(make_test_video(tmp_path / "input.mp4", seconds=1)))
    try:
        with pytest.raises(VideoRoomError) as context:
            await plugin.publish(player=player)
        assert any(
            text in context.value.error_message
            for text in ("Invalid request on unconfigured participant", "Must join as publisher")
        )
    finally:
        await plugin.destroy()
        player.stop()


# -- TextRoom (test_plugin_textroom.py) ---------------------------------------------------


async def test_textroom_setup_create_join_send_leave(session: JanusSession) -> None:
    plugin = JanusTextRoomPlugin(pc_config=loopback_rtc_configuration())
    await plugin.attach(session=session)
    assert plugin.id is not None
    await plugin.setup(timeout=30.0)
    assert plugin.pc.localDescription is not None
    assert isinstance(await plugin.list_rooms(), list)
    room_id = await plugin.create_room(description="Test Room", is_private=False, history=10)
    assert isinstance(room_id, int)
    assert room_id in [room["room"] for room in await plugin.list_rooms()]
    username = f"user_{uuid.uuid4().hex[:8]}"
    participants = await plugin.join_room(room=room_id, username=username, display="Test User")
    assert isinstance(participants, list)
    await plugin.send_message(room=room_id, text="Hello, TextRoom!")
    await plugin.leave_room(room=room_id)
    await plugin.destroy_room(room=room_id)
    assert room_id not in [room["room"] for room in await plugin.list_rooms()]
    await plugin.destroy()
