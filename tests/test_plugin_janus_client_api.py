"""janus_client 0.9's plugin-level API on rxjanus's plugin classes, against the real Janus.

Each test is written the way janus_client's own code and tests use its plugins
(``name``, ``on_receive``, ``create_jsep``, ``on_receive_jsep``,
``trickle(sdpMLineIndex, candidate)``, ``send`` of a whole Janus message,
``on_event``, the plugins' misuse errors and their wording), with rxjanus's
classes in place of janus_client's.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest

from rxjanus import JanusSession
from rxjanus.exceptions import InvalidStateError
from rxjanus.plugins import (
    JanusEchoTestPlugin,
    JanusTextRoomPlugin,
    JanusVideoCallPlugin,
    JanusVideoRoomPlugin,
    TextRoomError,
    VideoCallError,
    VideoCallEventType,
    VideoRoomError,
    VideoRoomEventType,
)
from rxjanus.plugins.base import JanusPlugin
from rxjanus.plugins.webrtc import WebRTCPlugin
from rxjanus.testing import (
    JanusServer,
    SyntheticVideoTrack,
    enable_loopback_ice,
    loopback_rtc_configuration,
)

WAIT = 20.0


@pytest.fixture(autouse=True)
def loopback_ice() -> None:
    enable_loopback_ice()


async def reply_of(sent: Any) -> dict[str, Any]:
    """The reply of ``await plugin.send(message)``: a transaction's (janus_client) or itself."""
    if inspect.iscoroutinefunction(getattr(type(sent), "get", None)):
        reply: dict[str, Any] = await sent.get({"janus": "event"}, WAIT)
        await sent.done()
        return reply
    assert isinstance(sent, dict)
    return sent


class EchoClient(WebRTCPlugin):
    """A plugin written against janus_client's extension point: ``name`` and ``on_receive``."""

    name = "janus.plugin.echotest"

    def __init__(self, pc_config: Any = None) -> None:
        super().__init__(pc_config)
        self.received: list[dict[str, Any]] = []
        self.webrtcup = asyncio.Event()

    async def on_receive(self, response: dict[str, Any]) -> None:
        self.received.append(response)
        if response["janus"] == "webrtcup":
            self.webrtcup.set()


async def test_a_custom_plugin_written_for_janus_client_echoes_media(
    url: str, janus: JanusServer
) -> None:
    async with JanusSession(base_url=url) as session:
        plugin = EchoClient(loopback_rtc_configuration())
        assert plugin.id is None
        await plugin.attach(session)
        assert plugin.id in janus.admin("list_handles", session_id=session.session_id)["handles"]
        frames: list[Any] = []
        got_frame = asyncio.Event()
        readers: list[asyncio.Task[None]] = []

        @plugin.pc.on("track")
        def on_track(track: Any) -> None:
            async def read() -> None:
                frames.append(await track.recv())
                got_frame.set()

            readers.append(asyncio.ensure_future(read()))

        plugin.pc.addTrack(SyntheticVideoTrack(160, 120))
        await plugin.pc.setLocalDescription(await plugin.pc.createOffer())
        jsep = await plugin.create_jsep(plugin.pc)
        assert (jsep["type"], jsep["trickle"]) == ("offer", False)
        message = {"janus": "message", "body": {"audio": False, "video": True}, "jsep": jsep}
        reply = await reply_of(await plugin.send(message))
        assert reply["plugindata"]["data"]["result"] == "ok"
        await plugin.on_receive_jsep(reply["jsep"])
        await asyncio.wait_for(plugin.webrtcup.wait(), WAIT)
        await asyncio.wait_for(got_frame.wait(), WAIT)
        assert (frames[0].width, frames[0].height) == (160, 120)
        # on_receive sees what Janus sends unasked, not the replies to our requests.
        kinds = [m["janus"] for m in plugin.received]
        assert "webrtcup" in kinds
        assert "event" not in kinds
        await plugin.destroy()
        assert plugin.id is None
        await asyncio.gather(*readers)
    assert janus.list_sessions() == []


async def test_a_media_less_custom_plugin_subclasses_janus_plugin(janus: JanusServer) -> None:
    class ListRooms(JanusPlugin):
        name = "janus.plugin.videoroom"

        async def on_receive(self, response: dict[str, Any]) -> None:
            pass

    async with JanusSession(base_url=janus.ws_url) as session:
        plugin = ListRooms()
        await plugin.attach(session)
        sent = await plugin.send({"janus": "message", "body": {"request": "list"}})
        reply = await reply_of(sent)
        assert reply["plugindata"]["data"]["videoroom"] == "success"
        await plugin.destroy()


async def test_trickle_takes_janus_client_arguments(janus: JanusServer) -> None:
    async with JanusSession(base_url=janus.ws_url) as session:
        plugin = JanusEchoTestPlugin(loopback_rtc_configuration(), trickle=True)
        await plugin.attach(session)
        peer = plugin.peer
        peer.add_source(SyntheticVideoTrack(160, 120), audio=False)
        offer = await peer.create_offer()
        candidates = peer.local_candidates()
        assert candidates
        assert "a=candidate" not in offer["sdp"]  # they go by trickle
        body = {"janus": "message", "body": {"audio": False, "video": True}, "jsep": offer}
        reply = await reply_of(await plugin.send(body))
        await peer.set_remote_description(reply["jsep"])
        for candidate in candidates:
            await plugin.trickle(candidate["sdpMLineIndex"], candidate["candidate"])
        await plugin.trickle(0)  # janus_client's end-of-candidates
        await plugin.wait_webrtcup(WAIT)
        info = janus.admin("handle_info", session_id=session.session_id, handle_id=plugin.id)
        flags = info["info"]["flags"]
        assert flags["got-offer"]
        assert flags["all-trickles"]  # Janus took our end-of-candidates
        await plugin.detach()


async def test_echotest_as_janus_client_drives_it(janus: JanusServer) -> None:
    async with JanusSession(base_url=janus.ws_url) as session:
        plugin = JanusEchoTestPlugin(pc_config=loopback_rtc_configuration())
        await plugin.attach(session)
        await plugin.start(SyntheticVideoTrack(160, 120))
        await plugin.wait_webrtcup()
        assert plugin.webrtcup_event.is_set()
        await plugin.close_stream()
        await plugin.destroy()


async def test_videoroom_publish_before_joining_raises_videoroomerror(janus: JanusServer) -> None:
    async with JanusSession(base_url=janus.ws_url) as session:
        plugin = JanusVideoRoomPlugin(pc_config=loopback_rtc_configuration())
        await plugin.attach(session)
        with pytest.raises(VideoRoomError) as raised:
            await plugin.publish(SyntheticVideoTrack(160, 120))
        assert raised.value.error_code == -1
        assert raised.value.error_message == "Must join as publisher before publishing"
        assert str(raised.value) == "VideoRoom error -1: Must join as publisher before publishing"
        assert isinstance(raised.value, InvalidStateError)  # rxjanus's name for it
        assert plugin.pc.localDescription is None  # nothing was offered

        room = await plugin.create_room(description="jc api")
        await plugin.join_as_publisher(room, display="alice")
        with pytest.raises(VideoRoomError, match="Can only be either publisher or subscriber"):
            await plugin.subscribe_to_publisher(room, [{"feed": 1}])
        await plugin.leave()
        await plugin.destroy_room(room)
        await plugin.destroy()


async def test_videoroom_on_event_sees_joined_and_publishers(janus: JanusServer) -> None:
    async with JanusSession(base_url=janus.ws_url) as session:
        listener = JanusVideoRoomPlugin(pc_config=loopback_rtc_configuration())
        publisher = JanusVideoRoomPlugin(pc_config=loopback_rtc_configuration())
        await listener.attach(session)
        await publisher.attach(session)
        room = await listener.create_room(description="jc events")
        joined: list[dict[str, Any]] = []
        publishers: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

        async def on_publishers(data: dict[str, Any]) -> None:
            await publishers.put(data)

        listener.on_event(VideoRoomEventType.JOINED, joined.append)
        listener.on_event(VideoRoomEventType.PUBLISHERS, on_publishers)
        await listener.join_as_publisher(room, display="listener")
        assert [d["videoroom"] for d in joined] == ["joined"]  # our own join's reply
        await publisher.join_as_publisher(room, display="alice")
        await publisher.publish(SyntheticVideoTrack(160, 120), audio=False)
        data = await asyncio.wait_for(publishers.get(), WAIT)
        assert [p["display"] for p in data["publishers"]] == ["alice"]
        await publisher.leave()
        await listener.leave()
        await listener.destroy_room(room)


async def test_videocall_accept_without_a_call_raises_before_sending(janus: JanusServer) -> None:
    async with JanusSession(base_url=janus.ws_url) as session:
        bob = JanusVideoCallPlugin(pc_config=loopback_rtc_configuration())
        await bob.attach(session)
        with pytest.raises(VideoCallError) as unregistered:
            await bob.accept()
        assert str(unregistered.value) == "VideoCall error 0: Must register a username first"
        registered: list[dict[str, Any]] = []
        bob.on_event(VideoCallEventType.REGISTERED, registered.append)
        assert await bob.register("jc-bob")
        assert [d["event"] for d in registered] == ["registered"]
        with pytest.raises(VideoCallError) as no_call:
            await bob.accept()
        assert (no_call.value.error_code, no_call.value.error_message) == (
            0,
            "No incoming call to accept",
        )
        assert bob.pc.localDescription is None  # no answer was made, nothing sent
        assert isinstance(no_call.value, InvalidStateError)  # rxjanus's name for misuse
        with pytest.raises(VideoCallError, match="Already registered as 'jc-bob'"):
            await bob.register("jc-bob")
        # A Janus error has janus_client's class and attributes too (478: no such user).
        with pytest.raises(VideoCallError) as refused:
            await bob.call("nobody-here", SyntheticVideoTrack(160, 120))
        assert refused.value.error_code == 478
        assert bob.in_call is False
        await bob.destroy()


async def test_textroom_janus_client_helpers(janus: JanusServer) -> None:
    async with JanusSession(base_url=janus.ws_url) as session:
        plugin = JanusTextRoomPlugin(pc_config=loopback_rtc_configuration())
        await plugin.attach(session)
        with pytest.raises(TextRoomError) as no_channel:
            await plugin.send_message(1234, "before setup")
        assert str(no_channel.value) == "TextRoom error 0: DataChannel not established"
        reply = await plugin.send_wrapper({"request": "list"}, {"textroom": "success"}, WAIT)
        assert reply["plugindata"]["data"]["textroom"] == "success"
        plugin.check_error_in_response(reply)  # no error: nothing raised
        with pytest.raises(TextRoomError) as raised:
            await plugin.send_wrapper({"request": "destroy", "room": 987_654}, {}, WAIT)
        assert raised.value.error_code == 417  # no such room
        error_reply = {
            "janus": "success",
            "plugindata": {"plugin": plugin.name, "data": {"error_code": 417, "error": "x"}},
        }
        with pytest.raises(TextRoomError, match="TextRoom error 417: x"):
            plugin.check_error_in_response(error_reply)
        with pytest.raises(TextRoomError, match="TextRoom error 458: gone"):
            plugin.check_error_in_response(
                {"janus": "error", "error": {"code": 458, "reason": "gone"}}
            )
        await plugin.destroy()
