"""Marble tests (reactivex TestScheduler) of the operators over Janus event-handler streams.

Events are built from the JSON Janus 1.1.2 sends (shapes taken from a real run,
see tests/test_event_handlers.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from reactivex.testing import ReactiveTest, TestScheduler

from rxjanus.admin import ServerSnapshot
from rxjanus.eventhandlers import JanusEvent, parse_event
from rxjanus.eventhandlers.derived import Alert, MediaQuality
from rxjanus.operators import alerts, bounded, media_quality, of_handle, of_session, with_admin_view

on_next, on_completed, on_error = (
    ReactiveTest.on_next,
    ReactiveTest.on_completed,
    ReactiveTest.on_error,
)
subscribe = ReactiveTest.subscribe


def event(
    type_: int,
    body: Any,
    *,
    session: int | None = None,
    handle: int | None = None,
    subtype: int | None = None,
    ts: int = 0,
) -> JanusEvent:
    raw: dict[str, Any] = {"emitter": "test", "type": type_, "timestamp": ts, "event": body}
    if subtype is not None:
        raw["subtype"] = subtype
    if session is not None:
        raw["session_id"] = session
    if handle is not None:
        raw["handle_id"] = handle
    return parse_event(raw)


def session_event(name: str, session: int) -> JanusEvent:
    return event(1, {"name": name}, session=session)


def handle_event(name: str, session: int, handle: int) -> JanusEvent:
    return event(
        2, {"name": name, "plugin": "janus.plugin.echotest"}, session=session, handle=handle
    )


def webrtc(body: dict[str, Any], handle: int, subtype: int = 6) -> JanusEvent:
    return event(16, body, session=1, handle=handle, subtype=subtype)


def stats(handle: int, ts_s: float, **counters: int) -> JanusEvent:
    body = {"mid": "0", "mindex": 0, "media": "video", "codec": "vp8"}
    body.update({key.replace("_", "-"): value for key, value in counters.items()})
    return event(32, body, session=1, handle=handle, subtype=3, ts=int(ts_s * 1_000_000))


def test_of_session_keeps_one_sessions_events_and_completes_when_it_is_destroyed() -> None:
    scheduler = TestScheduler()
    created, attached = session_event("created", 1), handle_event("attached", 1, 10)
    other, destroyed = session_event("created", 2), session_event("destroyed", 1)
    core = event(256, {"status": "started"}, subtype=1)
    xs = scheduler.create_hot_observable(
        on_next(210, core),
        on_next(220, created),
        on_next(230, other),
        on_next(240, attached),
        on_next(250, destroyed),
        on_next(260, session_event("created", 1)),
    )
    results = scheduler.start(lambda: xs.pipe(of_session(1)))
    assert results.messages == [
        on_next(220, created),
        on_next(240, attached),
        on_next(250, destroyed),
        on_completed(250),
    ]
    assert xs.subscriptions == [subscribe(200, 250)]


def test_of_session_completes_on_a_timeout_too() -> None:
    scheduler = TestScheduler()
    timeout = session_event("timeout", 1)
    xs = scheduler.create_hot_observable(on_next(210, timeout))
    results = scheduler.start(lambda: xs.pipe(of_session(1)))
    assert results.messages == [on_next(210, timeout), on_completed(210)]


def test_of_handle_keeps_one_handles_events_and_completes_when_it_is_detached() -> None:
    scheduler = TestScheduler()
    attached, up = handle_event("attached", 1, 10), webrtc({"connection": "webrtcup"}, 10)
    other, detached = webrtc({"connection": "webrtcup"}, 11), handle_event("detached", 1, 10)
    xs = scheduler.create_hot_observable(
        on_next(210, attached), on_next(220, other), on_next(230, up), on_next(240, detached)
    )
    results = scheduler.start(lambda: xs.pipe(of_handle(10)))
    assert results.messages == [
        on_next(210, attached),
        on_next(230, up),
        on_next(240, detached),
        on_completed(240),
    ]


def test_media_quality_reports_each_window_against_the_stats_before() -> None:
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        # first window (200-300): a first sample, then one 1 s later
        on_next(210, stats(10, 1.0, packets_received=100, bytes_received=10_000, lost=0)),
        on_next(250, stats(10, 2.0, packets_received=200, bytes_received=20_000, nacks_sent=1)),
        # second window (300-400): 2 s later, 10 packets lost of 110
        on_next(
            350,
            stats(
                10, 4.0, packets_received=300, bytes_received=45_000, lost=10, rtt=7, nacks_sent=3
            ),
        ),
        # third window: nothing; fourth: the handle goes, after one last sample
        on_next(510, stats(10, 5.0, packets_received=310, bytes_received=46_000, lost=10)),
        on_next(520, handle_event("detached", 1, 10)),
        on_next(
            610, stats(10, 1.0, packets_received=5, bytes_received=500, bytes_received_lastsec=400)
        ),
    )
    results = scheduler.start(
        lambda: xs.pipe(media_quality(100, scheduler=scheduler)), disposed=750
    )
    values: list[MediaQuality] = [m.value.value for m in results.messages]
    assert [m.time for m in results.messages] == [300, 400, 600, 700]
    first, second, fourth, fresh = values
    # No baseline: counted from the PeerConnection's start, over 1 s between samples.
    assert (first.handle_id, first.mid, first.media, first.samples) == (10, "0", "video", 2)
    assert (first.packets_received, first.nacks_sent, first.start) == (200, 1, None)
    assert first.bitrate_in == 0.0  # no lastsec counter given in the first window's last sample
    assert (second.packets_received, second.lost, second.rtt, second.nacks_sent) == (100, 10, 7, 2)
    assert second.bitrate_in == pytest.approx(25_000 * 8 / 2.0)
    assert second.loss == pytest.approx(10 / 110)
    assert (second.start, second.end) == (2_000_000, 4_000_000)
    assert (fourth.packets_received, fourth.lost) == (10, 0)
    # After the detach the handle is forgotten: a new sample starts from zero.
    assert (fresh.packets_received, fresh.start, fresh.bitrate_in) == (5, None, 3200.0)


def test_media_quality_flushes_on_completion_and_stops_its_timer_on_dispose() -> None:
    scheduler = TestScheduler()
    sample = stats(10, 1.0, packets_received=3)
    xs = scheduler.create_hot_observable(on_next(210, sample), on_completed(220))
    results = scheduler.start(lambda: xs.pipe(media_quality(100, scheduler=scheduler)))
    assert [(m.time, m.value.kind) for m in results.messages] == [(220, "N"), (220, "C")]
    assert results.messages[0].value.value.packets_received == 3
    assert xs.subscriptions == [subscribe(200, 220)]


def test_alerts_for_slowlink_ice_and_dtls_failures() -> None:
    scheduler = TestScheduler()
    slow = event(
        32,
        {"mid": "0", "media": "video", "slow_link": "uplink", "lost_lastsec": 12},
        session=1,
        handle=10,
        subtype=2,
    )
    ice = webrtc({"ice": "failed", "stream_id": 1, "component_id": 1}, 10, subtype=1)
    dtls = webrtc({"dtls": "failed", "stream_id": 1, "component_id": 1}, 11, subtype=5)
    fine = webrtc({"ice": "connected", "stream_id": 1, "component_id": 1}, 10, subtype=1)
    xs = scheduler.create_hot_observable(
        on_next(210, slow), on_next(220, fine), on_next(230, ice), on_next(240, dtls)
    )
    results = scheduler.start(lambda: xs.pipe(alerts(1000, scheduler=scheduler)))
    got: list[Alert] = [m.value.value for m in results.messages]
    assert [(a.kind, a.handle_id) for a in got] == [
        ("slowlink", 10),
        ("ice-failed", 10),
        ("dtls-failed", 11),
    ]
    assert got[0].detail == "video uplink: 12 lost in the last second"
    assert got[0].event is slow


def test_alerts_no_media_after_n_seconds_of_no_new_packets() -> None:
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(210, webrtc({"connection": "webrtcup"}, 10)),  # timer: due at 310
        on_next(280, stats(10, 1, packets_received=50)),  # new packets: due at 380
        on_next(350, stats(10, 2, packets_received=50)),  # none new: still due at 380
        # 380: no-media
        on_next(500, stats(10, 3, packets_received=80)),  # back: due at 600
        on_next(550, webrtc({"connection": "hangup"}, 10)),  # no longer watched
        on_next(560, webrtc({"connection": "webrtcup"}, 11)),  # due at 660
        on_next(600, handle_event("detached", 1, 11)),  # no longer watched
    )
    results = scheduler.start(lambda: xs.pipe(alerts(100, scheduler=scheduler)), disposed=1000)
    assert [(m.time, m.value.value.kind, m.value.value.handle_id) for m in results.messages] == [
        (380, "no-media", 10)
    ]
    assert results.messages[0].value.value.detail == "no media received for 100 s"


def test_alerts_cancel_their_timers_on_dispose() -> None:
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(on_next(210, webrtc({"connection": "webrtcup"}, 10)))
    results = scheduler.start(lambda: xs.pipe(alerts(100, scheduler=scheduler)), disposed=250)
    scheduler.advance_by(1000)
    assert results.messages == []
    assert xs.subscriptions == [subscribe(200, 250)]


def test_with_admin_view_pairs_events_with_the_latest_snapshot() -> None:
    scheduler = TestScheduler()
    s1 = ServerSnapshot(sessions=(1,), handles={1: (10,)})
    s2 = ServerSnapshot(sessions=(), handles={})
    snapshots = scheduler.create_hot_observable(on_next(220, s1), on_next(260, s2))
    a, b = session_event("created", 1), handle_event("attached", 1, 10)
    c, d = handle_event("attached", 1, 99), session_event("destroyed", 1)
    core = event(256, {"status": "started"})
    xs = scheduler.create_hot_observable(
        on_next(210, a),
        on_next(230, b),
        on_next(240, c),
        on_next(250, core),
        on_next(270, d),
        on_completed(280),
    )
    results = scheduler.start(lambda: xs.pipe(with_admin_view(snapshots)))
    views = [m.value.value for m in results.messages if m.value.kind == "N"]
    assert [(v.event, v.snapshot, v.listed) for v in views] == [
        (a, None, None),
        (b, s1, True),
        (c, s1, False),
        (core, s1, None),
        (d, s2, False),
    ]
    assert results.messages[-1] == on_completed(280)
    assert snapshots.subscriptions == [subscribe(200, 280)]


def test_bounded_drops_the_oldest_when_a_burst_outruns_the_consumer() -> None:
    scheduler = TestScheduler()
    delivery = TestScheduler()  # the consumer's turns: not run until we say
    xs = scheduler.create_hot_observable(
        on_next(210, "a"),
        on_next(210, "b"),
        on_next(210, "c"),
        on_next(210, "d"),
        on_next(300, "e"),
        on_completed(400),
    )
    stream = xs.pipe(bounded(2, delivery))
    seen: list[str] = []
    ended: list[bool] = []
    stream.subscribe(seen.append, on_completed=lambda: ended.append(True))
    scheduler.advance_to(250)
    assert (seen, stream.dropped) == ([], 2)  # a and b pushed out by c and d
    delivery.advance_by(1)
    assert seen == ["c", "d"]
    scheduler.advance_to(500)
    delivery.advance_by(1)
    assert (seen, ended, stream.dropped) == (["c", "d", "e"], [True], 2)


def test_bounded_delivers_one_value_a_turn_and_passes_errors_after_the_values() -> None:
    scheduler = TestScheduler()
    error = RuntimeError("gone")
    xs = scheduler.create_hot_observable(
        on_next(210, 1), on_next(210, 2), on_next(210, 3), on_error(210, error)
    )
    results = scheduler.start(lambda: xs.pipe(bounded(2, scheduler)))
    assert results.messages == [on_next(210, 2), on_next(210, 3), on_error(210, error)]


def test_operator_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="maxsize"):
        bounded(0)
    with pytest.raises(ValueError, match="window"):
        media_quality(0)
    with pytest.raises(ValueError, match="no_media_after"):
        alerts(0)
