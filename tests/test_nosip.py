"""The NoSIP plugin against the real Janus: two handles bridged back to back over plain RTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from reactivex import operators as ops

from rxjanus import JanusSession
from rxjanus.plugins.nosip import (
    JanusNoSipPlugin,
    NoSipError,
    NoSipEventType,
    bridge,
    nosip_event_type,
)
from rxjanus.testing import (
    JanusServer,
    SyntheticAudioTrack,
    SyntheticVideoTrack,
    enable_loopback_ice,
    loopback_rtc_configuration,
)

from .helpers import Recorder

FRAMES_WANTED = 60


@pytest.fixture(autouse=True)
def loopback_ice() -> None:
    enable_loopback_ice()


def new_leg() -> JanusNoSipPlugin:
    return JanusNoSipPlugin(pc_config=loopback_rtc_configuration())


def recording_sizes(folder: Path) -> dict[str, int]:
    """The .mjr files in ``folder`` and their sizes."""
    return {path.name: path.stat().st_size for path in folder.glob("*.mjr")}


def size(frame: Any) -> tuple[int, int]:
    return (frame.width, frame.height)


async def test_two_legs_bridged_back_to_back_carry_video_both_ways(
    url: str, janus: JanusServer, tmp_path: Path
) -> None:
    async with JanusSession(base_url=url) as session:
        caller, callee = new_leg(), new_leg()
        await caller.attach(session)
        await callee.attach(session)
        at_caller = Recorder(caller.frames("video").pipe(ops.map(size)))
        at_callee = Recorder(callee.frames("video").pipe(ops.map(size)))
        caller_video, callee_video = SyntheticVideoTrack(320, 240), SyntheticVideoTrack(160, 120)

        # Caller: our offer becomes a plain-RTP SDP for the "legacy" side.
        offer = await caller.generate(caller_video, receive=("video",))
        assert offer.type == "offer"
        assert "m=video" in offer.sdp
        assert "RTP/AVP" in offer.sdp
        assert "a=ice-ufrag" not in offer.sdp
        assert "a=fingerprint" not in offer.sdp
        assert "c=IN IP4 127.0.0.1" in offer.sdp

        # Callee: the legacy offer gives a WebRTC offer, which generate() answers.
        processed = await callee.process("offer", offer.sdp)
        assert processed["event"] == "processed"
        assert callee.remote_offer is not None
        assert callee.remote_offer["type"] == "offer"
        assert "a=fingerprint" in callee.remote_offer["sdp"]
        answer = await callee.generate(callee_video)
        assert answer.type == "answer"
        assert callee.remote_offer is None
        assert "RTP/AVP" in answer.sdp

        # Caller: the legacy answer gives the WebRTC answer, applied to our PeerConnection.
        done = await caller.process("answer", answer.sdp)
        assert done["event"] == "processed"
        await caller.wait_webrtcup(30)
        await callee.wait_webrtcup(30)

        await at_callee.wait_for(lambda r: len(r.values) >= FRAMES_WANTED, timeout=30)
        await at_caller.wait_for(lambda r: len(r.values) >= FRAMES_WANTED, timeout=30)
        assert at_callee.values[-1] == (320, 240)
        assert at_caller.values[-1] == (160, 120)
        print(
            f"video over plain RTP: caller->callee {len(at_callee.values)} frames "
            f"(sent {caller_video.frames_sent}), callee->caller {len(at_caller.values)} "
            f"(sent {callee_video.frames_sent})"
        )

        # Recording on the server writes .mjr files for both directions. (On the
        # caller's leg: Janus 1.1.2 knows no codec names on a leg that processed
        # an offer, and its recorders there fail, though it answers recordingupdated.)
        base = tmp_path / "nosip-call"
        started = await caller.recording("start", video=True, peer_video=True, filename=str(base))
        assert started["event"] == "recordingupdated"
        frames_then = len(at_caller.values)
        await at_caller.wait_for(lambda r: len(r.values) >= frames_then + 30, timeout=30)
        stopped = await caller.recording("stop", video=True, peer_video=True)
        assert stopped["event"] == "recordingupdated"
        recordings = recording_sizes(tmp_path)
        assert sorted(recordings) == ["nosip-call-peer-video.mjr", "nosip-call-user-video.mjr"]
        assert min(recordings.values()) > 1000, recordings

        hung = await caller.hangup()
        assert hung["event"] == "hangingup"
        await at_caller.wait_for(lambda r: r.ended, timeout=10)
        await callee.hangup()
        await at_callee.wait_for(lambda r: r.ended, timeout=10)
    assert janus.list_sessions() == []


async def test_plugin_errors_are_typed(janus: JanusServer) -> None:
    async with JanusSession(base_url=janus.ws_url) as session:
        leg = new_leg()
        await leg.attach(session)
        with pytest.raises(NoSipError) as caught:
            await leg.process("offer", "not an sdp")
        assert caught.value.code == 446  # JANUS_NOSIP_ERROR_MISSING_SDP (parse error)
        assert caught.value.plugin == "janus.plugin.nosip"
        events = Recorder(leg.events)
        with pytest.raises(NoSipError) as bad_action:
            await leg.recording("pause", audio=True)  # type: ignore[arg-type]
        assert bad_action.value.code == 444
        assert events.values == []
        assert nosip_event_type({"nosip": "event", "error_code": 444}) is NoSipEventType.ERROR
    assert janus.list_sessions() == []


async def test_bridge_helper_connects_new_legs_after_a_hangup(janus: JanusServer) -> None:
    # Janus 1.1.2's NoSIP relay thread can outlive a hangup (it re-checks its
    # "hanging up" flag after hangup_media has already cleared it), and a
    # surviving thread breaks the next bridge on the same handle; only detaching
    # stops it. So a new bridge takes new handles, in the same session.
    async with JanusSession(base_url=janus.ws_url) as session:
        for _ in range(2):
            caller, callee = new_leg(), new_leg()
            await caller.attach(session)
            await callee.attach(session)
            at_callee = Recorder(callee.frames("audio").pipe(ops.map(lambda f: f.samples)))
            offer, answer = await bridge(
                caller, callee, SyntheticAudioTrack(), None, receive=("audio",), timeout=30
            )
            assert "m=audio" in offer.sdp
            assert "m=audio" in answer.sdp
            await at_callee.wait_for(lambda r: len(r.values) >= 50, timeout=30)
            await caller.hangup()
            await callee.hangup()
            await at_callee.wait_for(lambda r: r.ended, timeout=10)
            await caller.detach()
            await callee.detach()
    assert janus.list_sessions() == []
