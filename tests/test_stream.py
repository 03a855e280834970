"""``async for`` directly on event and frame streams: bounded, disposed when the loop is left."""

from __future__ import annotations

import asyncio
from typing import Any

import av
import pytest
from reactivex import operators as ops
from reactivex.subject import Subject

from rxjanus import JanusEchoTestPlugin, JanusSession
from rxjanus.stream import Stream
from rxjanus.testing import (
    JanusServer,
    SyntheticVideoTrack,
    enable_loopback_ice,
    loopback_rtc_configuration,
)


@pytest.fixture(autouse=True)
def loopback_ice() -> None:
    enable_loopback_ice()


async def test_a_stream_iterates_until_completion_and_is_still_an_observable() -> None:
    subject: Subject[int] = Subject()
    stream = Stream(subject)
    seen: list[int] = []
    stream.pipe(ops.map(lambda x: x * 10)).subscribe(seen.append)

    async def loop() -> list[int]:
        return [value async for value in stream]

    task = asyncio.ensure_future(loop())
    await asyncio.sleep(0)  # the loop subscribes on its first step
    for value in (1, 2, 3):
        subject.on_next(value)
    subject.on_completed()
    assert await task == [1, 2, 3]
    assert seen == [10, 20, 30]


async def test_a_stream_raises_the_error_and_is_disposed_when_the_loop_is_left() -> None:
    subject: Subject[int] = Subject()
    stream = Stream(subject)

    async def first_two() -> list[int]:
        got = []
        async for value in stream:
            got.append(value)
            if len(got) == 2:
                break
        return got

    task = asyncio.ensure_future(first_two())
    await asyncio.sleep(0)
    assert len(subject.observers) == 1
    for value in (1, 2, 3):
        subject.on_next(value)
    assert await task == [1, 2]
    assert subject.observers == []  # left the loop: unsubscribed

    async def until_error() -> None:
        async for _ in stream:
            pass

    failing = asyncio.ensure_future(until_error())
    await asyncio.sleep(0)
    subject.on_error(ValueError("boom"))
    with pytest.raises(ValueError, match="boom"):
        await failing
    assert subject.observers == []


async def test_a_slow_loop_keeps_only_the_latest_values() -> None:
    subject: Subject[int] = Subject()
    iterator = aiter(Stream(subject, maxsize=3))
    first = asyncio.ensure_future(anext(iterator))
    await asyncio.sleep(0)
    for value in range(10):
        subject.on_next(value)
    assert [await first, await anext(iterator), await anext(iterator)] == [7, 8, 9]
    assert iterator.dropped == 7
    await iterator.aclose()
    with pytest.raises(ValueError, match="maxsize"):
        Stream(subject, maxsize=0)


async def test_session_events_end_the_loop_when_the_session_is_destroyed(url: str) -> None:
    session = JanusSession(url, keepalive_interval=None)
    await session.create()

    async def loop() -> list[Any]:
        return [event async for event in session.events]

    task = asyncio.ensure_future(loop())
    await asyncio.sleep(0)
    await session.destroy()
    assert await task == []


async def test_async_for_over_echoed_frames(janus: JanusServer) -> None:
    source = SyntheticVideoTrack(320, 240, fps=30)
    async with JanusSession(base_url=janus.ws_url) as session:
        plugin = JanusEchoTestPlugin(pc_config=loopback_rtc_configuration())
        await plugin.attach(session)
        frames = plugin.frames("video")
        await plugin.start(source, audio=False)
        received = []
        async for frame in frames:  # a plugin's frame stream is a Stream itself
            received.append(frame)
            if len(received) == 5:
                break
        assert all(isinstance(frame, av.VideoFrame) for frame in received)
        assert (received[-1].width, received[-1].height) == (320, 240)
        assert plugin.peer.frames("video").observers == []  # type: ignore[attr-defined]
        source.stop()
    assert janus.list_sessions() == []


async def test_async_for_over_a_plugins_events_ends_when_it_detaches(url: str) -> None:
    async with JanusSession(base_url=url) as session:
        plugin = JanusEchoTestPlugin()
        await plugin.attach(session)

        async def loop() -> list[Any]:
            return [event async for event in plugin.events]

        task = asyncio.ensure_future(loop())
        await asyncio.sleep(0)  # the loop subscribes
        await plugin.detach()
        # The loop ends by itself when the handle is detached (a hang here fails the test).
        received = await asyncio.wait_for(task, 10)
    assert isinstance(received, list)  # whatever came before the end (Janus's own events)
