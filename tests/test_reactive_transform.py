"""The transform pipeline: a VideoRoom feed's frames, transformed, republished in another room.

Marble tests of the two operators it needs (``watch_``: subscribe to a feed on a
new handle; ``share_latest_``: one session for several handles), then the whole
pipeline against the real Janus::

    session -> watch(room A, feed) -> frames("video") -> map(grey)
    session -> attach(VideoRoom) -> join(room B) -> publish(grey frames)

with a coloured synthetic source in room A and a second subscriber in room B
that must see grey frames (U and V planes at 128), and nothing left on the
server afterwards.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from fractions import Fraction
from typing import Any, ClassVar

import av
import pytest
from reactivex import Observable
from reactivex import operators as ops
from reactivex.subject import Subject
from reactivex.testing import ReactiveTest, TestScheduler

import rxjanus
from rxjanus import JanusSession, JanusVideoRoomPlugin, VideoRoomError, aio
from rxjanus.operators import attach, frames, join, keepalive, publish, share_resettable
from rxjanus.operators._share import share_latest_
from rxjanus.operators._watch import watch_
from rxjanus.testing import (
    JanusServer,
    SyntheticVideoTrack,
    enable_loopback_ice,
    loopback_rtc_configuration,
)

from .helpers import Recorder

on_next, on_completed, on_error = (
    ReactiveTest.on_next,
    ReactiveTest.on_completed,
    ReactiveTest.on_error,
)
subscribe = ReactiveTest.subscribe

NEUTRAL = 128
SOURCE_U, SOURCE_V = 64, 192


# -- fakes for the marble tests -------------------------------------------------------


class FakeSession:
    def __init__(self, name: str) -> None:
        self.name = name


class FakeSubscriber:
    """Stands in for JanusVideoRoomPlugin as ``watch_`` uses it; logs its calls."""

    made: ClassVar[list[FakeSubscriber]] = []
    fail_with: ClassVar[Exception | None] = None

    def __init__(self, pc_config: Any = None, *, trickle: bool = True) -> None:
        self.calls: list[str] = [f"new {pc_config} trickle={trickle}"]
        self.events: Subject[Any] = Subject()
        self.attached = False
        FakeSubscriber.made.append(self)

    async def attach(self, session: FakeSession) -> None:
        self.calls.append(f"attach {session.name}")
        self.attached = True

    async def subscribe_to_publisher(self, room: int, streams: Any, **options: Any) -> None:
        self.calls.append(f"subscribe {room} {streams} {options}")
        if FakeSubscriber.fail_with is not None:
            raise FakeSubscriber.fail_with

    async def leave(self) -> None:
        self.calls.append("leave")

    async def detach(self) -> None:
        if self.attached:
            self.calls.append("detach")
        self.attached = False

    def detached_by_janus(self) -> None:
        self.attached = False
        self.events.on_completed()


@pytest.fixture
async def fake_subscribers() -> AsyncIterator[list[FakeSubscriber]]:
    FakeSubscriber.made = []
    FakeSubscriber.fail_with = None
    yield FakeSubscriber.made
    await aio.settle()


# -- watch_ -----------------------------------------------------------------------------


async def test_watch_subscribes_a_new_handle_and_on_dispose_leaves_then_detaches(
    fake_subscribers: list[FakeSubscriber],
) -> None:
    scheduler = TestScheduler()
    session = FakeSession("s1")
    xs = scheduler.create_hot_observable(on_next(250, session))
    results = scheduler.start(
        lambda: xs.pipe(watch_(1234, 42, pc_config="cfg", plugin=FakeSubscriber)),  # type: ignore[arg-type]
        disposed=600,
    )
    await aio.settle()
    assert xs.subscriptions == [subscribe(200, 600)]
    assert results.messages == []  # the requests ran on asyncio, after the disposal
    # Released in order, inner first: the subscription is left, then the handle detached.
    assert [h.calls for h in fake_subscribers] == [
        ["new cfg trickle=True", "attach s1", "subscribe 1234 [{'feed': 42}] {}", "leave", "detach"]
    ]


async def test_watch_emits_the_subscribed_handle_and_ends_when_janus_detaches_it(
    fake_subscribers: list[FakeSubscriber],
) -> None:
    sessions: Subject[Any] = Subject()
    watched = Recorder(
        sessions.pipe(
            watch_(7, 1, streams=[{"feed": 1, "mid": "0"}], plugin=FakeSubscriber, use_msid=True)  # type: ignore[arg-type]
        )
    )
    sessions.on_next(FakeSession("s"))
    sessions.on_completed()
    await watched.wait_for(lambda r: bool(r.values))
    (handle,) = watched.values
    assert handle.calls == [
        "new None trickle=True",
        "attach s",
        "subscribe 7 [{'feed': 1, 'mid': '0'}] {'use_msid': True}",
    ]
    handle.detached_by_janus()
    await watched.wait_for(lambda r: r.ended)
    assert watched.completed
    await aio.settle()
    assert handle.calls[3:] == []  # nothing to leave or detach: Janus did it


async def test_watch_detaches_the_handle_when_the_subscription_fails(
    fake_subscribers: list[FakeSubscriber],
) -> None:
    FakeSubscriber.fail_with = VideoRoomError(428, "No such feed")
    sessions: Subject[Any] = Subject()
    watched = Recorder(sessions.pipe(watch_(7, 99, plugin=FakeSubscriber)))  # type: ignore[arg-type]
    sessions.on_next(FakeSession("s"))
    await watched.wait_for(lambda r: r.ended)
    assert isinstance(watched.error, VideoRoomError)
    await aio.settle()
    assert fake_subscribers[0].calls[1:] == ["attach s", "subscribe 7 [{'feed': 99}] {}", "detach"]


# -- share_latest_ --------------------------------------------------------------------


def test_share_latest_replays_the_latest_to_late_observers_and_starts_over_after_the_end() -> None:
    scheduler = TestScheduler()
    xs = scheduler.create_cold_observable(on_next(10, "a"), on_next(100, "b"), on_completed(200))
    shared = xs.pipe(share_latest_())
    first, late, after = (scheduler.create_observer() for _ in range(3))
    scheduler.schedule_absolute(200, lambda *_: shared.subscribe(first))
    scheduler.schedule_absolute(250, lambda *_: shared.subscribe(late))
    scheduler.schedule_absolute(500, lambda *_: shared.subscribe(after))
    scheduler.start()
    assert first.messages == [on_next(210, "a"), on_next(300, "b"), on_completed(400)]
    assert late.messages == [on_next(250, "a"), on_next(300, "b"), on_completed(400)]
    # After the end, a new subscription: never the old (dead) value.
    assert after.messages == [on_next(510, "a"), on_next(600, "b"), on_completed(700)]
    assert xs.subscriptions == [subscribe(200, 400), subscribe(500, 700)]


def test_share_latest_forgets_the_latest_when_the_last_observer_leaves() -> None:
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(on_next(250, "a"), on_next(450, "b"))
    shared = xs.pipe(share_latest_())
    first, second, again = (scheduler.create_observer() for _ in range(3))
    held: list[Any] = []
    scheduler.schedule_absolute(200, lambda *_: held.append(shared.subscribe(first)))
    scheduler.schedule_absolute(300, lambda *_: held.append(shared.subscribe(second)))
    scheduler.schedule_absolute(320, lambda *_: held[0].dispose())
    scheduler.schedule_absolute(330, lambda *_: held[1].dispose())
    scheduler.schedule_absolute(400, lambda *_: held.append(shared.subscribe(again)))
    scheduler.schedule_absolute(800, lambda *_: held[2].dispose())
    scheduler.start()
    assert first.messages == [on_next(250, "a")]
    assert second.messages == [on_next(300, "a")]
    assert again.messages == [on_next(450, "b")]  # not the "a" of the ended connection
    assert xs.subscriptions == [subscribe(200, 330), subscribe(400, 800)]


def test_share_latest_starts_over_after_an_error() -> None:
    scheduler = TestScheduler()
    error = RuntimeError("session lost")
    xs = scheduler.create_cold_observable(on_next(10, "s1"), on_error(50, error))
    shared = xs.pipe(share_latest_())
    first, late, after = (scheduler.create_observer() for _ in range(3))
    scheduler.schedule_absolute(200, lambda *_: shared.subscribe(first))
    scheduler.schedule_absolute(220, lambda *_: shared.subscribe(late))
    scheduler.schedule_absolute(300, lambda *_: shared.subscribe(after))
    scheduler.start()
    assert first.messages == [on_next(210, "s1"), on_error(250, error)]
    assert late.messages == [on_next(220, "s1"), on_error(250, error)]
    assert after.messages == [on_next(310, "s1"), on_error(350, error)]
    assert xs.subscriptions == [subscribe(200, 250), subscribe(300, 350)]


def test_share_resettable_gives_a_late_observer_no_session_which_is_why_share_latest() -> None:
    scheduler = TestScheduler()
    xs = scheduler.create_cold_observable(on_next(10, "session"))
    shared = xs.pipe(share_resettable())
    first, late = scheduler.create_observer(), scheduler.create_observer()
    scheduler.schedule_absolute(200, lambda *_: shared.subscribe(first))
    scheduler.schedule_absolute(250, lambda *_: shared.subscribe(late))
    scheduler.start()
    assert first.messages == [on_next(210, "session")]
    assert late.messages == []  # a handle attached through it would wait forever


# -- a known problem of chained resources -----------------------------------------------


async def test_attach_then_join_leaves_before_detaching() -> None:
    calls: list[str] = []

    class Plugin:
        def __init__(self) -> None:
            self.events: Subject[Any] = Subject()
            self.attached = False

        async def attach(self, session: Any) -> None:
            self.attached = True

        async def join(self, room: int, username: str | None) -> None:
            calls.append("join")

        async def leave(self) -> None:
            calls.append("leave")

        async def detach(self) -> None:
            calls.append("detach")

    sessions: Subject[Any] = Subject()
    joined = Recorder(sessions.pipe(attach(Plugin), join(1, "bot")))  # type: ignore[arg-type]
    sessions.on_next(FakeSession("s"))
    await joined.wait_for(lambda r: bool(r.values))
    joined.subscription.dispose()
    await aio.settle()
    assert calls == ["join", "leave", "detach"]


# -- against the real Janus -----------------------------------------------------------


@pytest.fixture(autouse=True)
def loopback_ice() -> None:
    enable_loopback_ice()


class ColourTrack(SyntheticVideoTrack):
    """Synthetic video with colour: moving luma, U and V far from neutral."""

    async def recv(self) -> av.VideoFrame:
        index = await self._pace()
        frame = av.VideoFrame(self.width, self.height, "yuv420p")
        luma = 16 + (index * 7) % 220
        for plane, value in zip(frame.planes, (luma, SOURCE_U, SOURCE_V), strict=True):
            plane.update(bytes([value]) * plane.buffer_size)
        frame.pts = index * 90_000 // int(self.rate)
        frame.time_base = Fraction(1, 90_000)
        self._count()
        return frame


def grey(frame: av.VideoFrame) -> av.VideoFrame:
    return frame.reformat(format="gray").reformat(format="yuv420p")


def plane_mean(plane: Any) -> float:
    data, stride = bytes(plane), plane.line_size  # rows may be padded past the width
    total = sum(sum(data[row * stride : row * stride + plane.width]) for row in range(plane.height))
    return total / (plane.width * plane.height)


def chroma(frame: av.VideoFrame) -> tuple[float, float]:
    return plane_mean(frame.planes[1]), plane_mean(frame.planes[2])


@pytest.fixture
async def rooms(janus: JanusServer) -> AsyncIterator[tuple[int, int]]:
    """Rooms A and B, made and destroyed with the awaitable API (no session held between)."""
    async with JanusSession(janus.ws_url, keepalive_interval=None) as admin:
        handle = JanusVideoRoomPlugin()
        await handle.attach(admin)
        room_a = await handle.create_room(description="transform source")
        room_b = await handle.create_room(description="transform target")
    yield room_a, room_b
    await aio.settle()
    async with JanusSession(janus.ws_url, keepalive_interval=None) as admin:
        handle = JanusVideoRoomPlugin()
        await handle.attach(admin)
        for room in (room_a, room_b):
            await handle.destroy_room(room)


def colour_publisher(url: str, room: int, source: ColourTrack) -> Observable[Any]:
    return rxjanus.session(url, keepalive_interval=None).pipe(
        attach(JanusVideoRoomPlugin, pc_config=loopback_rtc_configuration()),
        join(room, "colour"),
        publish(source, audio=False),
    )


def grey_relay(url: str, room_a: int, feed: int, room_b: int, transformed: list[Any]) -> Any:
    """Both handles on one session: the feed subscriber in A, the publisher in B."""
    config = loopback_rtc_configuration()
    sessions = rxjanus.session(url, keepalive_interval=None).pipe(keepalive(5), share_latest_())

    def transform(frame: av.VideoFrame) -> av.VideoFrame:
        transformed.append(frame.pts)
        return grey(frame)

    grey_frames = sessions.pipe(
        watch_(room_a, feed, pc_config=config), frames("video"), ops.map(transform)
    )
    return sessions.pipe(
        attach(JanusVideoRoomPlugin, pc_config=config),
        join(room_b, "grey"),
        publish(grey_frames, audio=False),
    )


def viewer(url: str, room: int, feed: int, count: int) -> Observable[tuple[float, float]]:
    return rxjanus.session(url, keepalive_interval=None).pipe(
        watch_(room, feed, pc_config=loopback_rtc_configuration()),
        frames("video"),
        ops.take(count),
        ops.map(chroma),
    )


def session_of(handle: JanusVideoRoomPlugin) -> int:
    assert handle.session is not None
    assert handle.session.session_id is not None
    return handle.session.session_id


async def settled(janus: JanusServer) -> list[int]:
    async with asyncio.timeout(2):
        await aio.settle()
    return janus.list_sessions()


async def test_grey_relay_delivers_grey_frames_to_a_second_subscriber_and_leaves_nothing(
    url: str, janus: JanusServer, rooms: tuple[int, int]
) -> None:
    room_a, room_b = rooms
    source = ColourTrack(320, 240)
    publisher = Recorder(colour_publisher(url, room_a, source))
    await publisher.wait_for(lambda r: bool(r.values) or r.ended)
    feed = publisher.values[0].publisher_id

    transformed: list[Any] = []
    relay = Recorder(grey_relay(url, room_a, feed, room_b, transformed))
    await relay.wait_for(lambda r: bool(r.values) or r.ended)
    grey_feed = relay.values[0].publisher_id

    original = Recorder(viewer(url, room_a, feed, 10))
    seen = Recorder(viewer(url, room_b, grey_feed, 30))
    await original.wait_for(lambda r: r.ended, timeout=15)
    await seen.wait_for(lambda r: r.ended, timeout=15)
    assert original.completed
    assert seen.completed

    # The source has colour; what the second subscriber gets is grey.
    for u, v in original.values:
        assert (u, v) == (pytest.approx(SOURCE_U, abs=4), pytest.approx(SOURCE_V, abs=4))
    for u, v in seen.values:
        assert (u, v) == (pytest.approx(NEUTRAL, abs=2), pytest.approx(NEUTRAL, abs=2))
    assert len(transformed) >= 30  # every frame seen in B went through the transform

    # The viewers completed (take): their sessions are gone. The relay holds one session.
    assert sorted(await settled(janus)) == sorted(
        [session_of(publisher.values[0]), session_of(relay.values[0])]
    )
    # Disposing the relay ends the feed subscription it pulled its frames from too.
    relay.subscription.dispose()
    assert await settled(janus) == [session_of(publisher.values[0])]
    publisher.subscription.dispose()
    assert await settled(janus) == []
    assert source.readyState == "ended"
    assert not relay.ended  # disposal is silent
    assert not publisher.ended


async def test_watch_leaves_and_detaches_without_a_failed_release(
    janus: JanusServer, rooms: tuple[int, int], caplog: pytest.LogCaptureFixture
) -> None:
    room_a, _ = rooms
    source = ColourTrack(160, 120)
    publisher = Recorder(colour_publisher(janus.ws_url, room_a, source))
    await publisher.wait_for(lambda r: bool(r.values) or r.ended)
    feed = publisher.values[0].publisher_id
    watching = Recorder(viewer(janus.ws_url, room_a, feed, 1_000_000))
    try:
        await watching.wait_for(lambda r: len(r.values) >= 5 or r.ended)
        with caplog.at_level(logging.WARNING, logger="rxjanus"):
            watching.subscription.dispose()
            assert await settled(janus) == [session_of(publisher.values[0])]
        # Ours only: aiortc may log a VP8 frame it could not decode as the feed stops.
        ours = [r.getMessage() for r in caplog.records if r.name.startswith("rxjanus")]
        assert ours == []
    finally:
        watching.subscription.dispose()  # disposing twice is a no-op
        publisher.subscription.dispose()
        assert await settled(janus) == []


async def test_an_error_in_the_transform_errors_the_relay(
    janus: JanusServer, rooms: tuple[int, int]
) -> None:
    room_a, room_b = rooms
    source = ColourTrack(160, 120)
    publisher = Recorder(colour_publisher(janus.ws_url, room_a, source))
    await publisher.wait_for(lambda r: bool(r.values) or r.ended)
    feed = publisher.values[0].publisher_id
    failed = asyncio.Event()
    config = loopback_rtc_configuration()

    def transform(frame: av.VideoFrame) -> av.VideoFrame:
        failed.set()
        raise ValueError("bad frame")

    frames_in = rxjanus.session(janus.ws_url, keepalive_interval=None).pipe(
        watch_(room_a, feed, pc_config=config), frames("video"), ops.map(transform)
    )
    relay = Recorder(
        rxjanus.session(janus.ws_url, keepalive_interval=None).pipe(
            attach(JanusVideoRoomPlugin, pc_config=config),
            join(room_b, "grey"),
            publish(frames_in, audio=False),
        )
    )
    try:
        async with asyncio.timeout(10):
            await failed.wait()
        await relay.wait_for(lambda r: r.ended, timeout=10)
        assert isinstance(relay.error, ValueError)
    finally:
        relay.subscription.dispose()
        publisher.subscription.dispose()
        assert await settled(janus) == []
