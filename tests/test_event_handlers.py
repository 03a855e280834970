"""Janus' event handlers (sampleevh, wsevh, mqttevh) into rxjanus receivers, real Janus.

Each test starts its receiver, then a Janus whose event handler points at it
(``JanusServer(event_handlers=...)``, stats every second), so nothing Janus
says is missed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterator

import aiohttp
import av
import pytest
import reactivex
import websockets
from aiortc.mediastreams import MediaStreamError
from reactivex.testing import TestScheduler

from rxjanus import JanusEchoTestPlugin, JanusSession
from rxjanus.admin import JanusAdminMonitorClient
from rxjanus.eventhandlers import (
    EventReceiver,
    HandleEvent,
    JanusEvent,
    JsepEvent,
    MediaEvent,
    SampleEvhReceiver,
    SessionEvent,
    UnknownEvent,
    WebRTCEvent,
    WsEvhReceiver,
)
from rxjanus.eventhandlers.derived import Alert, MediaQuality, ViewedEvent
from rxjanus.operators import alerts, bounded, media_quality, of_handle, of_session, with_admin_view
from rxjanus.testing import (
    JanusServer,
    MosquittoBroker,
    SyntheticVideoTrack,
    enable_loopback_ice,
    loopback_rtc_configuration,
    mosquitto_available,
)

from .helpers import Recorder

pytestmark = pytest.mark.janus

KINDS = ["http", "ws", "mqtt"]
USER, PASSWORD = "janus-evh", "evh-secret-7d1f"
EVH_LOGGERS = ("rxjanus.eventhandlers", "rxjanus.operators")


@pytest.fixture(autouse=True)
def loopback_ice() -> None:
    enable_loopback_ice()


@pytest.fixture(scope="module")
def broker() -> Iterator[MosquittoBroker]:
    if not mosquitto_available():
        pytest.skip("mosquitto is not installed")
    with MosquittoBroker() as running:
        yield running


def make_receiver(kind: str, broker: Callable[[], MosquittoBroker]) -> EventReceiver:
    if kind == "http":
        return SampleEvhReceiver(username=USER, password=PASSWORD)
    if kind == "ws":
        return WsEvhReceiver()
    from rxjanus.eventhandlers import MqttEvhReceiver

    return MqttEvhReceiver(broker().url, topic="/rxjanus-test/events")


class Rig:
    """A receiver, everything it emitted, and a Janus whose event handler points at it."""

    def __init__(self, receiver: EventReceiver, server: JanusServer, events: Recorder) -> None:
        self.receiver = receiver
        self.server = server
        self.events = events

    async def wait_event(self, predicate: Callable[[JanusEvent], bool]) -> JanusEvent:
        value: JanusEvent = await self.events.wait_value(predicate, timeout=20)
        return value


@pytest.fixture(params=KINDS)
async def rig(request: pytest.FixtureRequest) -> AsyncIterator[Rig]:
    kind = request.param
    receiver = make_receiver(kind, lambda: request.getfixturevalue("broker"))
    async with receiver:
        events = Recorder(receiver.events)
        server = JanusServer(
            event_handlers={receiver.janus_name: receiver.janus_settings()},
            events_stats_period=1,
        )
        await asyncio.to_thread(server.start)
        try:
            # Janus' core "started" event: its event handler reaches us.
            await events.wait_value(lambda e: e.type == 256, timeout=20)
            yield Rig(receiver, server, events)
            assert server.list_sessions() == []
        finally:
            await asyncio.to_thread(server.stop)
    assert not receiver.running
    assert events.completed  # stopping the receiver completed its stream


def destroyed(session_id: int | None) -> Callable[[JanusEvent], bool]:
    """Matches the event of ``session_id``'s end."""
    return lambda e: (
        isinstance(e, SessionEvent) and e.session_id == session_id and e.name == "destroyed"
    )


class FiniteVideo(SyntheticVideoTrack):
    """Synthetic video that ends after ``limit`` frames (aiortc's sender stops there)."""

    def __init__(self, limit: int) -> None:
        super().__init__(320, 240, fps=30)
        self.limit = limit

    async def recv(self) -> av.VideoFrame:
        if self.frames_sent >= self.limit:
            self.stop()
            raise MediaStreamError
        return await super().recv()


def evh_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith(EVH_LOGGERS) and r.levelno >= logging.WARNING
    ]


async def test_one_echotest_call_from_session_creation_to_destruction(rig: Rig) -> None:
    source = FiniteVideo(60)
    everything = Recorder(rig.receiver.events)
    quality = Recorder(rig.receiver.events.pipe(media_quality(1.0)))
    silent = Recorder(rig.receiver.events.pipe(alerts(2.5)))
    admin = JanusAdminMonitorClient(rig.server.admin_http_url, rig.server.admin_secret)
    async with admin, JanusSession(base_url=rig.server.ws_url) as session:
        viewed = Recorder(rig.receiver.events.pipe(with_admin_view(admin.watch(0.1, handles=True))))
        plugin = JanusEchoTestPlugin(pc_config=loopback_rtc_configuration())
        await plugin.attach(session)
        session_id, handle_id = session.session_id, plugin.id
        assert session_id is not None
        assert handle_id is not None
        await plugin.start(source, None, audio=False)
        await source.wait_sent(60)
        sent = source.frames_sent

        # Janus counts at least one RTP packet per frame it got: wait for stats that say so.
        def all_frames_in(event: JanusEvent) -> bool:
            return (
                isinstance(event, MediaEvent)
                and event.handle_id == handle_id
                and any(s.media == "video" and s.packets_received >= sent for s in event.stats)
            )

        stats = await rig.wait_event(all_frames_in)
        # No new packets once the source stopped: the alert fires for our handle.
        no_media = await silent.wait_value(lambda a: a.handle_id == handle_id, timeout=20)
        # Stats keep coming every second while the handle lives, and the Admin API
        # (polled every 0.1 s) lists it meanwhile.
        listed: ViewedEvent = await viewed.wait_value(
            lambda v: v.event.handle_id == handle_id and v.listed is True, timeout=20
        )
        viewed.subscription.dispose()
        await plugin.close_stream()
        # Janus reports the hangup (the DTLS alert of our close) unless the handle is
        # detached first, which would race it: wait for it before leaving.
        await rig.wait_event(
            lambda e: (
                isinstance(e, WebRTCEvent) and e.handle_id == handle_id and e.connection == "hangup"
            )
        )
    await rig.wait_event(destroyed(session_id))
    # The session's and the handle's events, picked by the operators from all recorded.
    ours = Recorder(reactivex.from_iterable(everything.values).pipe(of_session(session_id)))
    handle = Recorder(reactivex.from_iterable(everything.values).pipe(of_handle(handle_id)))
    assert ours.completed
    assert handle.completed

    events: list[JanusEvent] = ours.values
    assert all(e.session_id == session_id for e in events)
    assert all(e.handle_id in (None, handle_id) for e in events)

    def summary(e: JanusEvent) -> str:
        return f"{type(e).__name__}({e.subtype}, {str(e.body)[:60]})"

    def first(predicate: Callable[[JanusEvent], bool]) -> int:
        found = next((i for i, e in enumerate(events) if predicate(e)), None)
        assert found is not None, "\n".join(summary(e) for e in events)
        return found

    steps = [
        first(lambda e: isinstance(e, SessionEvent) and e.name == "created"),
        first(
            lambda e: (
                isinstance(e, HandleEvent)
                and e.name == "attached"
                and e.plugin == "janus.plugin.echotest"
            )
        ),
        first(lambda e: isinstance(e, JsepEvent) and (e.owner, e.sdp_type) == ("remote", "offer")),
        first(lambda e: isinstance(e, JsepEvent) and (e.owner, e.sdp_type) == ("local", "answer")),
        first(lambda e: isinstance(e, WebRTCEvent) and e.ice == "connected"),
        first(lambda e: isinstance(e, WebRTCEvent) and e.dtls == "connected"),
        first(lambda e: isinstance(e, WebRTCEvent) and e.connection == "webrtcup"),
        first(lambda e: isinstance(e, MediaEvent) and e.receiving is True),
        first(lambda e: isinstance(e, MediaEvent) and bool(e.stats)),
        first(lambda e: isinstance(e, WebRTCEvent) and e.connection == "hangup"),
        first(lambda e: isinstance(e, HandleEvent) and e.name == "detached"),
        len(events) - 1,
    ]
    assert steps == sorted(steps), [type(events[i]).__name__ for i in steps]
    last = events[-1]
    assert isinstance(last, SessionEvent)
    assert last.name == "destroyed"
    assert isinstance(events[0], SessionEvent)
    assert events[0].transport is not None
    assert events[0].transport["transport"] == "janus.transport.websockets"
    assert all(e.raw["emitter"] == rig.server.server_name for e in events)
    offer = next(e for e in events if isinstance(e, JsepEvent))
    assert offer.sdp is not None
    assert offer.sdp.startswith("v=0")

    video = next(s for s in stats.stats if s.media == "video")  # type: ignore[attr-defined]
    assert video.codec == "vp8"
    assert video.packets_sent > 0  # echoed back
    assert video.bytes_received > 0
    assert isinstance(no_media, Alert)
    assert (no_media.kind, no_media.session_id) == ("no-media", session_id)

    assert handle.values == [e for e in events if e.handle_id == handle_id]
    assert isinstance(handle.values[-1], HandleEvent)
    assert handle.values[-1].name == "detached"
    assert listed.snapshot is not None
    assert handle_id in listed.snapshot.handles[session_id]

    windows: list[MediaQuality] = [q for q in quality.values if q.handle_id == handle_id]
    assert sum(q.packets_received for q in windows) >= sent
    assert any(q.bitrate_in > 0 for q in windows)


async def send_garbage(kind: str, receiver: EventReceiver, broker: MosquittoBroker | None) -> None:
    """Send each receiver what it must refuse or drop, checking the answers it gives."""
    unknown = json.dumps({"type": 4096, "timestamp": 1, "event": {"what": "future"}})
    half_good = json.dumps(
        [{"type": 4, "timestamp": 2, "event": {"schema": "rxjanus.test", "data": {}}}, "junk"]
    )
    if kind == "http":
        assert isinstance(receiver, SampleEvhReceiver)
        url = receiver.url
        good = {"Authorization": aiohttp.encode_basic_auth(USER, PASSWORD)}
        wrong = {"Authorization": aiohttp.encode_basic_auth(USER, "wrong")}
        async with aiohttp.ClientSession() as http:
            answers = []
            for body, headers in [
                ("not json", good),
                ('{"no": "type"}', good),
                ("[]", good),
                ("42", good),
                (unknown, {}),  # no credentials
                (unknown, wrong),
                (unknown, good),
                (half_good, good),
            ]:
                async with http.post(url, data=body, headers=headers) as response:
                    answers.append(response.status)
            async with http.get(url, headers=good) as response:
                answers.append(response.status)
        assert answers == [400, 400, 400, 400, 401, 401, 200, 200, 405]
    elif kind == "ws":
        assert isinstance(receiver, WsEvhReceiver)
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(receiver.url, proxy=None):
                pass
        assert refused.value.response.status_code == 400  # no subprotocol offered
        async with websockets.connect(
            receiver.url, subprotocols=[websockets.Subprotocol("janus-event-handlers")], proxy=None
        ) as ws:
            for message in ["not json", b"\xff\xfe", '{"no": "type"}', unknown, half_good]:
                await ws.send(message)
            await ws.ping()  # answered after the messages before it were handled
    else:
        import aiomqtt

        assert broker is not None
        async with aiomqtt.Client(broker.host, broker.port) as client:
            for message in [b"not json", b'{"no": "type"}', unknown.encode(), half_good.encode()]:
                await client.publish("/rxjanus-test/events/garbage", message, qos=1)


async def test_garbage_is_refused_or_dropped_with_a_log_line_and_the_stream_goes_on(
    rig: Rig, request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    kind = request.node.callspec.params["rig"]
    broker = request.getfixturevalue("broker") if kind == "mqtt" else None
    receiver = rig.receiver
    await send_garbage(kind, receiver, broker)
    # The garbage ends with an unknown event and a half good batch: both come through.
    await rig.wait_event(lambda e: e.raw.get("event", {}).get("schema") == "rxjanus.test")
    assert any(isinstance(e, UnknownEvent) and e.type == 4096 for e in rig.events.values)
    assert receiver.unknown == 1
    warnings = evh_warnings(caplog)
    assert any("unknown Janus event type 4096" in w for w in warnings)
    assert any("not JSON" in w for w in warnings)
    assert any("'type' must be an integer" in w for w in warnings)
    assert any("dropped item 1" in w for w in warnings)
    if kind == "http":
        assert receiver.malformed == 5  # not JSON, no type, empty batch, 42, the junk item
        assert sum("missing or wrong credentials" in w for w in warnings) == 2
    elif kind == "ws":
        assert receiver.malformed == 4  # not JSON twice, no type, the junk item
    else:
        assert receiver.malformed == 3  # not JSON, no type, the junk item
    assert all(PASSWORD not in w for w in warnings)
    # Janus' own events still come through.
    async with JanusSession(base_url=rig.server.ws_url) as session:
        session_id = session.session_id
    assert session_id is not None
    await rig.wait_event(destroyed(session_id))


async def test_a_stalled_subscriber_keeps_memory_bounded_and_counts_what_it_dropped(
    rig: Rig,
) -> None:
    consumer = TestScheduler()  # the subscriber's turns: stalled until advanced
    stream = rig.receiver.events.pipe(bounded(16, consumer))
    seen: list[JanusEvent] = []
    stream.subscribe(seen.append)
    emitted = Recorder(rig.receiver.events)
    last_id = None
    for _ in range(30):  # each: created, destroyed, and transport events
        async with JanusSession(base_url=rig.server.http_url) as session:
            last_id = session.session_id
    await emitted.wait_value(destroyed(last_id))
    total = len(emitted.values)
    assert total >= 60
    assert (stream.buffered, stream.dropped) == (16, total - 16)
    consumer.advance_by(1)
    # The subscriber gets the 16 latest, in order, and nothing is kept any more.
    assert seen == emitted.values[-16:]
    assert stream.buffered == 0
    emitted.subscription.dispose()


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.parametrize("kind", KINDS)
async def test_receivers_start_and_stop_leaving_no_socket_or_task(
    kind: str, request: pytest.FixtureRequest
) -> None:
    def broker() -> MosquittoBroker:
        running: MosquittoBroker = request.getfixturevalue("broker")
        return running

    if kind == "mqtt":
        broker()  # started before counting: its log file is open
    make_receiver(kind, broker)  # imports done before counting
    fds, tasks = open_fds(), len(asyncio.all_tasks())
    for _ in range(3):
        receiver = make_receiver(kind, broker)
        ended = Recorder(receiver.events)
        async with receiver:
            assert receiver.running
            assert open_fds() > fds
        assert ended.completed
        with pytest.raises(RuntimeError, match="started already"):
            await receiver.start()
    await asyncio.sleep(0)  # let closed transports run their last callbacks
    assert (open_fds(), len(asyncio.all_tasks())) == (fds, tasks)


async def test_a_receiver_on_a_taken_port_fails_to_start_and_leaves_nothing() -> None:
    async with SampleEvhReceiver() as first:
        port = int(first.url.rsplit(":", 1)[1].split("/")[0])
        fds = open_fds()
        second = SampleEvhReceiver(port=port)
        with pytest.raises(OSError, match=r"(?i)address already in use"):
            await second.start()
        assert not second.running
        assert open_fds() == fds


async def test_the_mqtt_receiver_comes_back_after_a_broker_restart(
    broker: MosquittoBroker,
) -> None:
    from rxjanus.eventhandlers import MqttEvhReceiver

    event = json.dumps({"type": 4, "timestamp": 1, "event": {"schema": "s", "data": {}}})
    async with MqttEvhReceiver(broker.url, topic="/restart-test") as receiver:
        events = Recorder(receiver.events)
        await asyncio.to_thread(broker.restart)
        import aiomqtt

        # Retained: the broker hands it over whenever the receiver has subscribed again.
        async with aiomqtt.Client(broker.host, broker.port) as client:
            await client.publish("/restart-test/external", event, qos=1, retain=True)
        await events.wait_for(lambda r: bool(r.values), timeout=30)
        assert receiver.reconnects == 1
        assert isinstance(events.values[0], JanusEvent)


def test_janus_server_checks_event_handler_settings_and_the_cli_parses_them() -> None:
    from rxjanus.testing.server import _parse_args

    with pytest.raises(ValueError, match="event handler name"):
        JanusServer(event_handlers={"../x": {}})
    with pytest.raises(ValueError, match="bad event handler setting 'enabled'"):
        JanusServer(event_handlers={"wsevh": {"enabled": False}})
    with pytest.raises(ValueError, match="events_stats_period"):
        JanusServer(events_stats_period=0)
    args = _parse_args(
        [
            "--event-handler",
            "sampleevh",
            "events=all",
            "backend=http://h/p?a=b",
            "--events-stats-period",
            "2",
        ]
    )
    assert args.event_handlers == {"sampleevh": {"events": "all", "backend": "http://h/p?a=b"}}
    assert args.events_stats_period == 2
    with pytest.raises(SystemExit):
        _parse_args(["--event-handler", "sampleevh", "events"])
