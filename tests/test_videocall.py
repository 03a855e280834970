"""VideoCall between two users on two sessions, with real media, against the real Janus."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from reactivex import operators as ops

from rxjanus import JanusSession, PluginError
from rxjanus.plugins.videocall import JanusVideoCallPlugin, VideoCallError, event_result
from rxjanus.testing import (
    JanusServer,
    SyntheticVideoTrack,
    enable_loopback_ice,
    loopback_rtc_configuration,
)

from .helpers import Recorder

FRAMES_WANTED = 80


@pytest.fixture(autouse=True)
def loopback_ice() -> None:
    enable_loopback_ice()


def videocall_event(name: str) -> Any:
    """A predicate for a VideoCall event named ``name`` on ``events``."""

    def matches(message: dict[str, Any]) -> bool:
        return (event_result(message) or {}).get("event") == name

    return matches


def new_user() -> JanusVideoCallPlugin:
    return JanusVideoCallPlugin(pc_config=loopback_rtc_configuration())


async def test_two_users_call_exchange_video_and_hang_up(url: str, janus: JanusServer) -> None:
    async with JanusSession(base_url=url) as one, JanusSession(base_url=url) as two:
        alice, bob = new_user(), new_user()
        await alice.attach(one)
        await bob.attach(two)
        assert await alice.register("alice-media")
        assert await bob.register("bob-media")
        assert {"alice-media", "bob-media"} <= set(await alice.list_users())
        assert (alice.username, bob.username) == ("alice-media", "bob-media")

        alice_events, bob_events = Recorder(alice.events), Recorder(bob.events)
        # Keep only the frame sizes: holding ~150 decoded frames each way is ~100 MB.
        at_alice = Recorder(alice.frames("video").pipe(ops.map(lambda f: (f.width, f.height))))
        at_bob = Recorder(bob.frames("video").pipe(ops.map(lambda f: (f.width, f.height))))
        alice_track, bob_track = SyntheticVideoTrack(320, 240), SyntheticVideoTrack(320, 240)

        async def answer() -> bool:
            call = await bob.wait_incoming_call(timeout=10)
            assert call.username == "alice-media"
            assert call.jsep["type"] == "offer"
            assert bob.in_call
            return await bob.accept(call.jsep, player=bob_track)

        called, accepted = await asyncio.gather(alice.call("bob-media", alice_track), answer())
        assert called
        assert accepted
        assert alice.in_call
        assert bob.in_call
        await bob_events.wait_value(videocall_event("incomingcall"))
        accepted_event = await alice_events.wait_value(videocall_event("accepted"))
        assert accepted_event["jsep"]["type"] == "answer"

        await asyncio.gather(
            at_alice.wait_for(lambda r: len(r.values) >= FRAMES_WANTED, timeout=20),
            at_bob.wait_for(lambda r: len(r.values) >= FRAMES_WANTED, timeout=20),
        )
        assert at_alice.values[-1] == (320, 240)
        assert at_bob.values[-1] == (320, 240)
        print(
            f"frames: alice->bob {len(at_bob.values)} (sent {alice_track.frames_sent}), "
            f"bob->alice {len(at_alice.values)} (sent {bob_track.frames_sent})"
        )

        assert await alice.set_media(bitrate=256_000, video=True)
        assert await alice.hangup()
        hangup = await bob_events.wait_value(videocall_event("hangup"))
        assert event_result(hangup)["username"] == "alice-media"
        assert not alice.in_call
        assert not bob.in_call
        # The hung-up call's media streams ended on both sides.
        await at_alice.wait_for(lambda r: r.ended, timeout=20)
        await at_bob.wait_for(lambda r: r.ended, timeout=20)
    assert not alice.attached
    assert not bob.attached
    assert janus.list_sessions() == []


async def test_calling_an_unknown_user_raises_the_plugin_error(
    url: str, janus: JanusServer
) -> None:
    async with JanusSession(base_url=url) as session:
        carol = new_user()
        await carol.attach(session)
        with pytest.raises(VideoCallError, match="Must register"):
            await carol.call("nobody", SyntheticVideoTrack(160, 120))
        assert await carol.register("carol-unknown")
        with pytest.raises(PluginError) as caught:
            await carol.call("nobody-here", SyntheticVideoTrack(160, 120))
        assert caught.value.code == 478  # JANUS_VIDEOCALL_ERROR_NO_SUCH_USERNAME
        assert caught.value.plugin == "janus.plugin.videocall"
        assert isinstance(caught.value, VideoCallError)
        assert caught.value.error_code == 478
        assert not carol.in_call
        # The handle stays usable: the next refused call raises the same way.
        with pytest.raises(PluginError) as again:
            await carol.call("nobody-either", SyntheticVideoTrack(160, 120))
        assert again.value.code == 478
    assert janus.list_sessions() == []


async def test_register_twice_and_a_taken_name_are_refused(url: str, janus: JanusServer) -> None:
    async with JanusSession(base_url=url) as session:
        dave, other = new_user(), new_user()
        await dave.attach(session)
        await other.attach(session)
        assert await dave.register("dave-names")
        with pytest.raises(VideoCallError) as twice:
            await dave.register("dave-again")
        assert twice.value.code == 0
        with pytest.raises(VideoCallError) as taken:
            await other.register("dave-names")
        assert taken.value.code == 476  # JANUS_VIDEOCALL_ERROR_USERNAME_TAKEN
        assert other.username is None
    assert janus.list_sessions() == []


async def test_a_declined_call_returns_false_to_the_caller(janus: JanusServer) -> None:
    async with (
        JanusSession(base_url=janus.ws_url) as one,
        JanusSession(base_url=janus.ws_url) as two,
    ):
        erin, frank = new_user(), new_user()
        await erin.attach(one)
        await frank.attach(two)
        await erin.register("erin-declined")
        await frank.register("frank-declines")
        erin_events = Recorder(erin.events)

        async def decline() -> bool:
            call = await frank.wait_incoming_call(timeout=10)
            assert call.username == "erin-declined"
            return await frank.hangup()

        called, declined = await asyncio.gather(
            erin.call("frank-declines", SyntheticVideoTrack(160, 120), timeout=10), decline()
        )
        assert declined
        assert called is False
        assert not erin.in_call
        assert not frank.in_call
        await erin_events.wait_value(videocall_event("hangup"))
    assert janus.list_sessions() == []


async def test_the_same_handles_call_again_after_a_hangup(url: str, janus: JanusServer) -> None:
    async with JanusSession(base_url=url) as one, JanusSession(base_url=url) as two:
        gina, hank = new_user(), new_user()
        await gina.attach(one)
        await hank.attach(two)
        await gina.register("gina-again")
        await hank.register("hank-again")
        # Each round a fresh PeerConnection; whoever answered hangs up, then the
        # other one calls back at once.
        for caller, callee in ((gina, hank), (hank, gina), (gina, hank)):
            assert callee.username is not None
            frames = Recorder(caller.frames("video"))

            async def answer(callee: JanusVideoCallPlugin = callee) -> bool:
                call = await callee.wait_incoming_call(timeout=10)
                return await callee.accept(call.jsep, player=SyntheticVideoTrack(160, 120))

            results = await asyncio.gather(
                caller.call(callee.username, SyntheticVideoTrack(160, 120), timeout=10), answer()
            )
            assert results == [True, True]
            await frames.wait_for(lambda r: len(r.values) >= 15, timeout=20)
            assert await callee.hangup()
            await frames.wait_for(lambda r: r.ended, timeout=20)
            assert not caller.in_call
            assert not callee.in_call
    assert janus.list_sessions() == []


async def test_renegotiating_a_call_keeps_the_media_flowing(janus: JanusServer) -> None:
    async with (
        JanusSession(base_url=janus.ws_url) as one,
        JanusSession(base_url=janus.ws_url) as two,
    ):
        ivy, jack = new_user(), new_user()
        await ivy.attach(one)
        await jack.attach(two)
        await ivy.register("ivy-renegotiates")
        await jack.register("jack-answers")
        with pytest.raises(VideoCallError) as no_call:
            await ivy.renegotiate()
        assert no_call.value.code == 0
        at_jack = Recorder(jack.frames("video").pipe(ops.map(lambda f: (f.width, f.height))))
        jack_events = Recorder(jack.events)

        async def answer() -> bool:
            call = await jack.wait_incoming_call(timeout=20)
            return await jack.accept(call.jsep, player=SyntheticVideoTrack(160, 120))

        results = await asyncio.gather(
            ivy.call("jack-answers", SyntheticVideoTrack(320, 240), timeout=30), answer()
        )
        assert results == [True, True]
        await at_jack.wait_for(lambda r: len(r.values) >= 15, timeout=30)

        # Ivy offers again; Jack's handle answers the update by itself.
        assert await ivy.renegotiate()
        update = await jack_events.wait_value(videocall_event("update"))
        assert update["jsep"]["type"] == "offer"
        mark = len(at_jack.values)
        await at_jack.wait_for(lambda r: len(r.values) >= mark + 30, timeout=30)
        assert at_jack.values[-1] == (320, 240)
        assert ivy.in_call
        assert jack.in_call
        assert await ivy.hangup()
    assert janus.list_sessions() == []
