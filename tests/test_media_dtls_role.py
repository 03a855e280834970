"""Where Janus offers, rxjanus answers as the DTLS server and Janus runs the handshake.

aiortc on its own answers an ``actpass`` offer with ``a=setup:active`` and sends
its ClientHello as soon as its ICE check succeeds, before Janus has finished
ICE; Janus drops it and aiortc resends after 1 s, so the first frame waited a
second (issue 12). These tests read back, from Janus's Admin API, which side
ran the handshake.
"""

from __future__ import annotations

import random
from typing import Any

from rxjanus import JanusSession
from rxjanus.media import answer_as_dtls_server
from rxjanus.plugins.base import JanusPlugin
from rxjanus.plugins.streaming import JanusStreamingPlugin, rtp_media
from rxjanus.plugins.videoroom import JanusVideoRoomPlugin
from rxjanus.testing import (
    JanusServer,
    SyntheticVideoTrack,
    enable_loopback_ice,
    loopback_rtc_configuration,
)
from rxjanus.testing.rtp import RtpSource

from .helpers import Recorder

WAIT = 30.0


def sdp(*sections: tuple[str, str]) -> str:
    """A minimal SDP with one m-section per ``(kind, setup)``."""
    lines = ["v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "t=0 0"]
    for kind, setup in sections:
        lines += [f"m={kind} 9 UDP/TLS/RTP/SAVPF 96", "c=IN IP4 0.0.0.0", f"a=setup:{setup}"]
    return "\r\n".join(lines) + "\r\n"


def test_the_answer_to_actpass_takes_the_server_role() -> None:
    offer = sdp(("audio", "actpass"), ("video", "actpass"))
    answer = sdp(("audio", "active"), ("video", "active"))
    assert answer_as_dtls_server(answer, offer) == sdp(("audio", "passive"), ("video", "passive"))


def test_an_offer_that_chose_a_role_keeps_the_answer_as_aiortc_made_it() -> None:
    offer = sdp(("audio", "passive"), ("video", "actpass"))
    answer = sdp(("audio", "active"), ("video", "active"))
    assert answer_as_dtls_server(answer, offer) == sdp(("audio", "active"), ("video", "passive"))
    assert answer_as_dtls_server(sdp(("audio", "passive")), sdp(("audio", "active"))) == sdp(
        ("audio", "passive")
    )


def test_a_session_level_actpass_counts_for_every_m_section() -> None:
    offer = (
        sdp(("audio", "x"))
        .replace("a=setup:x\r\n", "")
        .replace("t=0 0", "t=0 0\r\na=setup:actpass")
    )
    assert answer_as_dtls_server(sdp(("audio", "active")), offer) == sdp(("audio", "passive"))


def dtls_of(janus: JanusServer, plugin: JanusPlugin) -> dict[str, Any]:
    """Janus's DTLS view of the handle's PeerConnection (Admin API ``handle_info``)."""
    assert plugin.session is not None
    assert plugin.session.session_id is not None
    assert plugin.id is not None
    info = janus.handle_info(plugin.session.session_id, plugin.id)
    dtls: dict[str, Any] = info["webrtc"]["dtls"]
    return dtls


async def test_a_streaming_viewer_answers_passive_and_janus_runs_the_handshake(
    janus: JanusServer,
) -> None:
    enable_loopback_ice()
    mountpoint_id = random.randint(10_000, 2**52)
    async with JanusSession(base_url=janus.ws_url) as session:
        admin = JanusStreamingPlugin()
        await admin.attach(session)
        created = await admin.create_mountpoint(
            mountpoint_id,
            media=[rtp_media("video", "v", pt=96, codec="vp8", iface="127.0.0.1", bufferkf=True)],
            secret="s3cret",
        )
        [port] = [entry["port"] for entry in created["stream"]["ports"]]
        try:
            with RtpSource(video_port=port):
                viewer = JanusStreamingPlugin(pc_config=loopback_rtc_configuration())
                await viewer.attach(session)
                frames = Recorder(viewer.frames("video"))
                await viewer.watch(mountpoint_id)
                await frames.wait_for(lambda r: len(r.values) >= 1, WAIT)
                setups = {
                    line
                    for line in viewer.peer.pc.localDescription.sdp.splitlines()
                    if line.startswith("a=setup:")
                }
                assert setups == {"a=setup:passive"}
                dtls = dtls_of(janus, viewer)
                # Janus's own role: "active" is the DTLS client, which sent the ClientHello.
                assert (dtls["dtls-role"], dtls["dtls-state"]) == ("active", "connected"), dtls
                await viewer.stop()
        finally:
            await admin.destroy_mountpoint(mountpoint_id, secret="s3cret")


async def test_a_videoroom_subscriber_answers_passive_and_janus_runs_the_handshake(
    janus: JanusServer,
) -> None:
    enable_loopback_ice()
    async with JanusSession(base_url=janus.ws_url) as session:
        admin = JanusVideoRoomPlugin()
        await admin.attach(session)
        room = await admin.create_room(random.randint(10_000, 2**52))
        try:
            publisher = JanusVideoRoomPlugin(pc_config=loopback_rtc_configuration())
            await publisher.attach(session)
            await publisher.join_as_publisher(room, display="feed")
            await publisher.publish(SyntheticVideoTrack(320, 240), audio=False)

            subscriber = JanusVideoRoomPlugin(pc_config=loopback_rtc_configuration())
            await subscriber.attach(session)
            frames = Recorder(subscriber.frames("video"))
            assert publisher.publisher_id is not None
            await subscriber.subscribe_to_publisher(room, [{"feed": publisher.publisher_id}])
            await frames.wait_for(lambda r: len(r.values) >= 1, WAIT)
            assert "a=setup:passive" in subscriber.pc.localDescription.sdp.splitlines()
            dtls = dtls_of(janus, subscriber)
            assert (dtls["dtls-role"], dtls["dtls-state"]) == ("active", "connected"), dtls
            await subscriber.leave()
            await publisher.leave()
        finally:
            await admin.destroy_room(room)
