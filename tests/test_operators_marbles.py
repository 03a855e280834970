"""Marble tests of the operators in virtual time (reactivex TestScheduler).

Each asserts on the messages and on the source's subscriptions, which prove when
teardown happened. Operators whose work is a Janus request (attach, join,
publish) run their requests on asyncio: their tests drive the source in virtual
time, then let the loop settle and check what was released.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from reactivex import Observable
from reactivex.subject import Subject
from reactivex.testing import ReactiveTest, TestScheduler

from rxjanus import aio
from rxjanus.operators import (
    attach,
    events,
    frames,
    join,
    keepalive,
    publish,
    retry_with_backoff,
    share_latest,
    share_resettable,
    watch,
)

on_next, on_completed, on_error = (
    ReactiveTest.on_next,
    ReactiveTest.on_completed,
    ReactiveTest.on_error,
)
subscribe = ReactiveTest.subscribe


class FakeSession:
    """Counts keepalives; stands in for a JanusSession in virtual time."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.keepalives = 0

    def keepalive(self) -> Any:
        self.keepalives += 1
        return asyncio.sleep(0)


class FakeHandle:
    """Stands in for a plugin handle: events, frames, join/leave, publish/unpublish."""

    def __init__(self) -> None:
        self.events: Subject[dict[str, Any]] = Subject()
        self.video: Subject[str] = Subject()
        self.calls: list[str] = []
        self.attached = True

    def frames(self, kind: str) -> Observable[str]:
        return self.video

    async def join(self, room: int, username: str | None) -> None:
        self.calls.append(f"join {room} {username}")

    async def leave(self) -> None:
        self.calls.append("leave")

    async def publish(self, source: Any) -> None:
        self.calls.append(f"publish {source}")

    async def unpublish(self) -> None:
        self.calls.append("unpublish")


async def test_keepalive_beats_while_subscribed_and_stops_on_dispose() -> None:
    scheduler = TestScheduler()
    session = FakeSession("s")
    xs = scheduler.create_hot_observable(on_next(250, session))
    results = scheduler.start(lambda: xs.pipe(keepalive(100, scheduler=scheduler)), disposed=700)
    # Beats at 350, 450, 550, 650; none after disposal at 700.
    assert session.keepalives == 4
    scheduler.advance_by(1000)
    assert session.keepalives == 4
    await aio.settle()
    assert results.messages == [on_next(250, session)]
    assert xs.subscriptions == [subscribe(200, 700)]


def test_keepalive_rejects_a_non_positive_interval() -> None:
    with pytest.raises(ValueError, match="positive"):
        keepalive(0)


def test_events_filters_by_janus_kind_and_plugin_event() -> None:
    scheduler = TestScheduler()
    handle = FakeHandle()
    webrtcup = {"janus": "webrtcup"}
    joined = {
        "janus": "event",
        "plugindata": {"plugin": "janus.plugin.videoroom", "data": {"videoroom": "joined"}},
    }
    publishers = {
        "janus": "event",
        "plugindata": {"plugin": "x", "data": {"videoroom": "event", "publishers": []}},
    }
    media = {"janus": "media"}
    xs = scheduler.create_hot_observable(on_next(210, handle))
    scheduler.schedule_absolute(300, lambda *_: handle.events.on_next(webrtcup))
    scheduler.schedule_absolute(400, lambda *_: handle.events.on_next(media))
    scheduler.schedule_absolute(500, lambda *_: handle.events.on_next(joined))
    scheduler.schedule_absolute(600, lambda *_: handle.events.on_next(publishers))
    results = scheduler.start(
        lambda: xs.pipe(events("webrtcup", "joined", "publishers")), disposed=800
    )
    assert results.messages == [
        on_next(300, webrtcup),
        on_next(500, joined),
        on_next(600, publishers),
    ]
    assert xs.subscriptions == [subscribe(200, 800)]


def test_events_without_kinds_passes_everything_and_ends_with_the_stream() -> None:
    scheduler = TestScheduler()
    handle = FakeHandle()
    xs = scheduler.create_hot_observable(on_next(210, handle), on_completed(220))
    scheduler.schedule_absolute(300, lambda *_: handle.events.on_next({"janus": "media"}))
    scheduler.schedule_absolute(400, lambda *_: handle.events.on_completed())
    results = scheduler.start(lambda: xs.pipe(events()))
    assert results.messages == [on_next(300, {"janus": "media"}), on_completed(400)]
    assert xs.subscriptions == [subscribe(200, 220)]


def test_frames_switches_to_the_handles_frames() -> None:
    scheduler = TestScheduler()
    handle = FakeHandle()
    xs = scheduler.create_hot_observable(on_next(210, handle))
    for time, frame in ((300, "f1"), (333, "f2"), (366, "f3")):
        scheduler.schedule_absolute(time, lambda *_, f=frame: handle.video.on_next(f))
    results = scheduler.start(lambda: xs.pipe(frames("video")), disposed=350)
    assert results.messages == [on_next(300, "f1"), on_next(333, "f2")]
    assert xs.subscriptions == [subscribe(200, 350)]
    assert not handle.video.observers  # the frame stream was left on disposal


def test_retry_with_backoff_resubscribes_after_growing_delays() -> None:
    scheduler = TestScheduler()
    error = RuntimeError("lost")
    xs = scheduler.create_cold_observable(on_next(10, "a"), on_error(20, error))
    results = scheduler.start(
        lambda: xs.pipe(
            retry_with_backoff(2, initial_delay=100, factor=2, max_delay=1000, scheduler=scheduler)
        ),
        disposed=2000,
    )
    # a at 210, error at 220; retry at 320 (delay reset by "a"): a at 330, error 340;
    # retry at 440: a at 450 ... never given up, since each "a" resets the count.
    assert results.messages[:3] == [on_next(210, "a"), on_next(330, "a"), on_next(450, "a")]
    assert xs.subscriptions[:3] == [subscribe(200, 220), subscribe(320, 340), subscribe(440, 460)]


def test_retry_with_backoff_gives_up_after_max_retries_without_values() -> None:
    scheduler = TestScheduler()
    error = RuntimeError("unreachable")
    xs = scheduler.create_cold_observable(on_error(10, error))
    results = scheduler.start(
        lambda: xs.pipe(
            retry_with_backoff(2, initial_delay=100, factor=2, max_delay=1000, scheduler=scheduler)
        )
    )
    # Errors at 210, retry at 310 -> error 320, retry at 520 -> error 530: given up.
    assert results.messages == [on_error(530, error)]
    assert xs.subscriptions == [subscribe(200, 210), subscribe(310, 320), subscribe(520, 530)]


def test_retry_with_backoff_passes_on_errors_it_should_not_retry() -> None:
    scheduler = TestScheduler()
    error = ValueError("bad input")
    xs = scheduler.create_cold_observable(on_error(10, error))
    results = scheduler.start(
        lambda: xs.pipe(
            retry_with_backoff(
                should_retry=lambda e: isinstance(e, ConnectionError), scheduler=scheduler
            )
        )
    )
    assert results.messages == [on_error(210, error)]
    assert xs.subscriptions == [subscribe(200, 210)]


def test_share_resettable_shares_one_subscription_and_starts_over_after_completion() -> None:
    scheduler = TestScheduler()
    xs = scheduler.create_cold_observable(on_next(10, "a"), on_next(20, "b"), on_completed(30))
    shared = xs.pipe(share_resettable())
    first = scheduler.create_observer()
    second = scheduler.create_observer()
    late = scheduler.create_observer()
    scheduler.schedule_absolute(200, lambda *_: shared.subscribe(first))
    scheduler.schedule_absolute(215, lambda *_: shared.subscribe(second))
    scheduler.schedule_absolute(400, lambda *_: shared.subscribe(late))
    scheduler.start()
    assert first.messages == [on_next(210, "a"), on_next(220, "b"), on_completed(230)]
    assert second.messages == [on_next(220, "b"), on_completed(230)]
    assert late.messages == [on_next(410, "a"), on_next(420, "b"), on_completed(430)]
    assert xs.subscriptions == [subscribe(200, 230), subscribe(400, 430)]


def test_share_resettable_disconnects_when_the_last_observer_leaves() -> None:
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(on_next(250, "a"), on_next(350, "b"))
    shared = xs.pipe(share_resettable())
    observers = [scheduler.create_observer() for _ in range(2)]
    subscriptions: list[Any] = []
    scheduler.schedule_absolute(
        200, lambda *_: subscriptions.extend(shared.subscribe(o) for o in observers)
    )
    scheduler.schedule_absolute(300, lambda *_: subscriptions[0].dispose())
    scheduler.schedule_absolute(320, lambda *_: subscriptions[1].dispose())
    scheduler.start()
    assert observers[0].messages == [on_next(250, "a")]
    assert observers[1].messages == [on_next(250, "a")]
    assert xs.subscriptions == [subscribe(200, 320)]


def test_share_resettable_starts_over_after_an_error() -> None:
    scheduler = TestScheduler()
    error = RuntimeError("boom")
    xs = scheduler.create_cold_observable(on_next(10, "a"), on_error(20, error))
    shared = xs.pipe(share_resettable())
    first, again = scheduler.create_observer(), scheduler.create_observer()
    scheduler.schedule_absolute(200, lambda *_: shared.subscribe(first))
    scheduler.schedule_absolute(300, lambda *_: shared.subscribe(again))
    scheduler.start()
    assert first.messages == [on_next(210, "a"), on_error(220, error)]
    assert again.messages == [on_next(310, "a"), on_error(320, error)]
    assert xs.subscriptions == [subscribe(200, 220), subscribe(300, 320)]


async def test_attach_detaches_on_dispose_and_the_source_subscription_ends_with_it() -> None:
    scheduler = TestScheduler()
    made: list[Any] = []

    class Plugin:
        def __init__(self, **options: Any) -> None:
            self.options = options
            self.calls: list[str] = []
            self.events: Subject[Any] = Subject()
            made.append(self)

        async def attach(self, session: Any) -> None:
            self.calls.append(f"attach {session.name}")

        async def detach(self) -> None:
            self.calls.append("detach")

    session = FakeSession("s1")
    xs = scheduler.create_hot_observable(on_next(250, session))
    results = scheduler.start(lambda: xs.pipe(attach(Plugin, flavour=1)), disposed=600)  # type: ignore[arg-type]
    await aio.settle()
    assert xs.subscriptions == [subscribe(200, 600)]
    assert results.messages == []  # the attach ran on asyncio, after the disposal
    assert [p.calls for p in made] == [["attach s1", "detach"]]
    assert made[0].options == {"flavour": 1}


async def test_attach_emits_the_attached_handle() -> None:
    session = FakeSession("s")

    class Plugin:
        def __init__(self) -> None:
            self.events: Subject[Any] = Subject()
            self.detached = False

        async def attach(self, session: Any) -> None:
            pass

        async def detach(self) -> None:
            self.detached = True

    source: Subject[Any] = Subject()
    stream = source.pipe(attach(Plugin))  # type: ignore[arg-type]
    waiting = asyncio.ensure_future(aio.first(stream))
    await asyncio.sleep(0)
    source.on_next(session)
    handle = await waiting
    await aio.settle()
    assert isinstance(handle, Plugin)
    assert handle.detached  # aio.first disposed the subscription: detached


async def test_join_leaves_and_publish_unpublishes_on_dispose(tmp_path: Path) -> None:
    feed = tmp_path / "feed.mp4"  # publish checks that a file source exists
    feed.touch()
    scheduler = TestScheduler()
    handle = FakeHandle()
    xs = scheduler.create_hot_observable(on_next(250, handle))
    scheduler.start(lambda: xs.pipe(join(1234, "bot"), publish(str(feed))), disposed=600)
    # The join and publish requests ran on asyncio after the virtual run: let them
    # finish, then let their releases run.
    await aio.settle()
    assert handle.calls == ["join 1234 bot", "leave"]
    assert xs.subscriptions == [subscribe(200, 600)]


def test_share_latest_gives_late_observers_the_latest_and_forgets_it_after_the_end() -> None:
    scheduler = TestScheduler()
    xs = scheduler.create_cold_observable(on_next(10, "a"), on_next(30, "b"), on_completed(50))
    shared = xs.pipe(share_latest())
    first, late, after = (scheduler.create_observer() for _ in range(3))
    scheduler.schedule_absolute(200, lambda *_: shared.subscribe(first))
    scheduler.schedule_absolute(220, lambda *_: shared.subscribe(late))
    scheduler.schedule_absolute(400, lambda *_: shared.subscribe(after))
    scheduler.start()
    assert first.messages == [on_next(210, "a"), on_next(230, "b"), on_completed(250)]
    assert late.messages == [on_next(220, "a"), on_next(230, "b"), on_completed(250)]
    assert after.messages == [on_next(410, "a"), on_next(430, "b"), on_completed(450)]
    assert xs.subscriptions == [subscribe(200, 250), subscribe(400, 450)]


def test_share_latest_disconnects_when_the_last_observer_leaves() -> None:
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(on_next(250, "a"), on_next(350, "b"))
    shared = xs.pipe(share_latest())
    observers = [scheduler.create_observer() for _ in range(2)]
    subscriptions: list[Any] = []
    scheduler.schedule_absolute(
        200, lambda *_: subscriptions.append(shared.subscribe(observers[0]))
    )
    scheduler.schedule_absolute(
        260, lambda *_: subscriptions.append(shared.subscribe(observers[1]))
    )
    scheduler.schedule_absolute(300, lambda *_: [s.dispose() for s in subscriptions])
    scheduler.start()
    assert observers[0].messages == [on_next(250, "a")]
    assert observers[1].messages == [on_next(260, "a")]
    assert xs.subscriptions == [subscribe(200, 300)]


async def test_watch_subscribes_a_new_handle_and_leaves_then_detaches_on_dispose() -> None:
    scheduler = TestScheduler()
    made: list[Any] = []

    class Subscriber:
        def __init__(self, pc_config: Any, *, trickle: bool) -> None:
            self.calls: list[str] = []
            self.events: Subject[Any] = Subject()
            self.attached = False
            made.append(self)

        async def attach(self, session: Any) -> None:
            self.attached = True
            self.calls.append(f"attach {session.name}")

        async def subscribe_to_publisher(self, room: int, streams: Any, **options: Any) -> None:
            self.calls.append(f"subscribe {room} {streams}")

        async def leave(self) -> None:
            self.calls.append("leave")

        async def detach(self) -> None:
            self.attached = False
            self.calls.append("detach")

    xs = scheduler.create_hot_observable(on_next(250, FakeSession("s1")))
    scheduler.start(
        lambda: xs.pipe(watch(1234, 7, plugin=Subscriber)),  # type: ignore[arg-type]
        disposed=600,
    )
    await aio.settle()
    assert xs.subscriptions == [subscribe(200, 600)]
    assert [h.calls for h in made] == [
        ["attach s1", "subscribe 1234 [{'feed': 7}]", "leave", "detach"]
    ]


async def test_watch_detaches_when_the_subscription_fails() -> None:
    made: list[Any] = []

    class Refused:
        def __init__(self, pc_config: Any, *, trickle: bool) -> None:
            self.calls: list[str] = []
            self.events: Subject[Any] = Subject()
            self.attached = False
            made.append(self)

        async def attach(self, session: Any) -> None:
            self.attached = True

        async def subscribe_to_publisher(self, room: int, streams: Any, **options: Any) -> None:
            raise LookupError("no such feed")

        async def leave(self) -> None:
            self.calls.append("leave")

        async def detach(self) -> None:
            self.attached = False
            self.calls.append("detach")

    source: Subject[Any] = Subject()
    waiting = asyncio.ensure_future(aio.first(source.pipe(watch(1, 2, plugin=Refused))))  # type: ignore[arg-type]
    await asyncio.sleep(0)
    source.on_next(FakeSession("s"))
    with pytest.raises(LookupError):
        await waiting
    await aio.settle()
    assert [h.calls for h in made] == [["detach"]]
