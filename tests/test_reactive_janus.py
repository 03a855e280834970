"""The reactive face against the real Janus: pipelines whose end tears down what they made."""

from __future__ import annotations

import asyncio
from typing import Any

import av
import pytest
from reactivex import operators as ops

import rxjanus
from rxjanus import JanusEchoTestPlugin, JanusSession, aio
from rxjanus.operators import attach, events, frames, keepalive, publish
from rxjanus.testing import (
    JanusServer,
    SyntheticVideoTrack,
    enable_loopback_ice,
    loopback_rtc_configuration,
)

from .helpers import Recorder


@pytest.fixture(autouse=True)
def loopback_ice() -> None:
    enable_loopback_ice()


def echo_frames(url: str, source: SyntheticVideoTrack) -> Any:
    return rxjanus.session(url, keepalive_interval=None).pipe(
        keepalive(5),
        attach(JanusEchoTestPlugin, pc_config=loopback_rtc_configuration()),
        publish(source, audio=False),
        frames("video"),
    )


async def settled_within_one_second(janus: JanusServer) -> None:
    """Teardown runs in tasks after completion or disposal: wait for them, 1 s at most."""
    async with asyncio.timeout(1):
        await aio.settle()
    assert janus.list_sessions() == []


async def test_session_is_cold_and_each_subscription_has_its_own(janus: JanusServer) -> None:
    sessions = rxjanus.session(janus.ws_url, keepalive_interval=None)
    assert janus.list_sessions() == []  # nothing before subscribe
    first = Recorder(sessions)
    second = Recorder(sessions)
    await first.wait_for(lambda r: len(r.values) == 1)
    await second.wait_for(lambda r: len(r.values) == 1)
    ids = {s.session_id for s in first.values + second.values}
    assert len(ids) == 2
    assert sorted(janus.list_sessions()) == sorted(ids)
    first.subscription.dispose()
    first.subscription.dispose()  # idempotent
    second.subscription.dispose()
    await settled_within_one_second(janus)


async def test_echo_pipeline_completes_after_30_frames_and_leaves_nothing(
    url: str, janus: JanusServer
) -> None:
    source = SyntheticVideoTrack(320, 240)
    received = Recorder(echo_frames(url, source).pipe(ops.take(30)))
    await received.wait_for(lambda r: r.ended, timeout=20)
    assert received.completed
    assert len(received.values) == 30
    assert all(isinstance(frame, av.VideoFrame) for frame in received.values)
    await settled_within_one_second(janus)
    assert source.readyState == "ended"  # the player side was stopped too


async def test_disposing_mid_stream_tears_down_handle_and_session(janus: JanusServer) -> None:
    source = SyntheticVideoTrack(320, 240)
    received = Recorder(echo_frames(janus.ws_url, source))
    await received.wait_for(lambda r: len(r.values) >= 10, timeout=20)
    assert len(janus.list_sessions()) == 1
    received.subscription.dispose()
    await settled_within_one_second(janus)
    assert not received.ended  # disposal is silent: no completion, no error


async def test_an_error_in_the_pipeline_tears_down_handle_and_session(
    janus: JanusServer,
) -> None:
    source = SyntheticVideoTrack(320, 240)
    seen: list[Any] = []

    def transform(frame: Any) -> Any:
        seen.append(frame)
        if len(seen) == 10:
            raise ValueError("bad frame")
        return frame

    received = Recorder(echo_frames(janus.ws_url, source).pipe(ops.map(transform)))
    await received.wait_for(lambda r: r.ended, timeout=20)
    assert isinstance(received.error, ValueError)
    assert len(received.values) == 9
    await settled_within_one_second(janus)


async def test_attach_failure_errors_the_stream_and_destroys_the_session(
    janus: JanusServer,
) -> None:
    pipeline = rxjanus.session(janus.ws_url, keepalive_interval=None).pipe(
        attach("janus.plugin.nosuchplugin")
    )
    received = Recorder(pipeline.pipe(ops.take(1)))
    await received.wait_for(lambda r: r.ended)
    assert isinstance(received.error, rxjanus.PluginAttachFail)
    assert received.error.code == 460
    # The session is still subscribed: the error ended the subscription, so it goes too.
    await settled_within_one_second(janus)


async def test_events_operator_sees_webrtcup_on_the_echo_handle(janus: JanusServer) -> None:
    source = SyntheticVideoTrack(320, 240)
    handles = rxjanus.session(janus.ws_url, keepalive_interval=None).pipe(
        attach(JanusEchoTestPlugin, pc_config=loopback_rtc_configuration()),
        ops.share(),
    )
    ups = Recorder(handles.pipe(events("webrtcup", "media"), ops.take(1)))
    started = Recorder(handles.pipe(publish(source, audio=False)))
    await ups.wait_for(lambda r: r.ended, timeout=20)
    assert ups.kinds() == ["webrtcup"]
    started.subscription.dispose()
    await settled_within_one_second(janus)


async def test_first_and_iterate_bridge_to_asyncio(janus: JanusServer) -> None:
    session = await aio.first(rxjanus.session(janus.ws_url, keepalive_interval=None))
    assert isinstance(session, JanusSession)
    # aio.first disposed its subscription once it had the value: the session is gone.
    await settled_within_one_second(janus)

    source = SyntheticVideoTrack(320, 240)
    count = 0
    async for frame in aio.iterate(echo_frames(janus.ws_url, source), maxsize=8):
        assert isinstance(frame, av.VideoFrame)
        count += 1
        if count == 15:
            break
    await settled_within_one_second(janus)


async def test_cancelling_the_awaiting_task_disposes_the_subscription(
    janus: JanusServer,
) -> None:
    source = SyntheticVideoTrack(320, 240)
    flowing = asyncio.Event()
    stream = echo_frames(janus.ws_url, source).pipe(ops.do_action(lambda _: flowing.set()))
    waiting = asyncio.ensure_future(aio.first(stream, lambda frame: False))  # never matches
    async with asyncio.timeout(20):
        await flowing.wait()
    assert len(janus.list_sessions()) == 1
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await settled_within_one_second(janus)


async def test_a_stalled_consumer_keeps_a_bounded_buffer(janus: JanusServer) -> None:
    source = SyntheticVideoTrack(320, 240)
    async with aio.iterate(echo_frames(janus.ws_url, source), maxsize=5) as stalled:
        await anext(stalled)  # subscribed, media flowing; then stop reading
        await source.wait_sent(source.frames_sent + 60)  # two more seconds of frames
        assert stalled.buffered == 5
        assert stalled.dropped >= 40
    await settled_within_one_second(janus)
