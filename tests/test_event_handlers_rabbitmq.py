"""Janus' RabbitMQ event handler (rabbitmqevh) into `RabbitMQEvhReceiver`, real Janus and broker.

One RabbitMQ broker per module (it takes 5-8 s to start), with a password. As
in ``test_event_handlers.py`` each test starts its receiver, then a Janus whose
rabbitmqevh points at it (stats every second), once with Janus' default setup
(the queue ``route_key``) and once with a fanout exchange. Each receiver has its
own route key, so no test reads what an earlier one left in the broker. The
broker-restart tests come last: they restart the module's broker (a live call's
stats come through again once Janus, with its short heartbeat, and the receiver
have reconnected).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import AsyncIterator, Iterator
from urllib.parse import quote

import pytest

from rxjanus import JanusEchoTestPlugin, JanusSession
from rxjanus.eventhandlers import (
    JanusEvent,
    MediaEvent,
    RabbitMQEvhReceiver,
    UnknownEvent,
    WebRTCEvent,
)
from rxjanus.exceptions import TransportClosed
from rxjanus.testing import (
    JanusServer,
    SyntheticVideoTrack,
    enable_loopback_ice,
    loopback_rtc_configuration,
)
from rxjanus.testing.rabbitmq import RabbitMQBroker, rabbitmq_available

from .helpers import Recorder
from .test_event_handlers import (
    Rig,
    destroyed,
    evh_warnings,
    open_fds,
)

# The same EchoTest call and stalled subscriber as over HTTP, WebSocket and MQTT,
# run here on this module's ``rig`` (pytest collects them under this module).
from .test_event_handlers import (
    test_a_stalled_subscriber_keeps_memory_bounded_and_counts_what_it_dropped as test_a_stalled_subscriber_keeps_memory_bounded,  # noqa: E501
)
from .test_event_handlers import (
    test_one_echotest_call_from_session_creation_to_destruction as test_one_echotest_call,
)

__all__ = ["test_a_stalled_subscriber_keeps_memory_bounded", "test_one_echotest_call"]

pytestmark = [
    pytest.mark.janus,
    pytest.mark.skipif(
        not rabbitmq_available(),
        reason="RabbitMQ is not installed (apt-get install rabbitmq-server)",
    ),
]

PASSWORD = "evh-amqp:s3cret"
MODES = ["queue", "exchange"]


@pytest.fixture(autouse=True)
def loopback_ice() -> None:
    enable_loopback_ice()


@pytest.fixture(scope="module")
def broker() -> Iterator[RabbitMQBroker]:
    with RabbitMQBroker(username="rxjanus", password=PASSWORD) as running:
        yield running


def make_receiver(broker: RabbitMQBroker, mode: str) -> RabbitMQEvhReceiver:
    """A receiver with a route key (and in ``exchange`` mode an exchange) of its own."""
    token = secrets.token_hex(4)
    url = broker.url if mode == "queue" else f"{broker.url}?exchange=rxjanus-evh-{token}"
    return RabbitMQEvhReceiver(url, route_key=f"rxjanus-evh-{token}")


@pytest.fixture(params=MODES)
async def rig(request: pytest.FixtureRequest, broker: RabbitMQBroker) -> AsyncIterator[Rig]:
    receiver = make_receiver(broker, request.param)
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
            code = await asyncio.to_thread(server.stop)
        # Janus stopped on SIGINT, not killed: its rabbitmqevh's heartbeat thread let it.
        assert code == 0
    assert not receiver.running
    assert events.completed  # stopping the receiver completed its stream


async def publish(
    broker: RabbitMQBroker, receiver: RabbitMQEvhReceiver, bodies: list[bytes]
) -> None:
    """Publish ``bodies`` as Janus would: to the receiver's exchange, or to its queue."""
    import aio_pika

    exchange_name = receiver.settings.exchange
    async with await aio_pika.connect(broker.url) as connection:
        channel = await connection.channel()
        if exchange_name is None:
            # Declared as Janus declares it: the messages wait there for the receiver.
            await channel.declare_queue(
                receiver.route_key, durable=False, exclusive=False, auto_delete=False
            )
            exchange = channel.default_exchange
        else:
            exchange = await channel.declare_exchange(
                exchange_name, receiver.settings.exchange_type, durable=False, auto_delete=False
            )
        for body in bodies:
            await exchange.publish(
                aio_pika.Message(body, content_type="application/json"),
                routing_key=receiver.route_key,
            )


async def test_garbage_is_dropped_with_a_log_line_and_the_stream_goes_on(
    rig: Rig, broker: RabbitMQBroker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    receiver = rig.receiver
    assert isinstance(receiver, RabbitMQEvhReceiver)
    unknown = json.dumps({"type": 4096, "timestamp": 1, "event": {"what": "future"}})
    half_good = json.dumps(
        [{"type": 4, "timestamp": 2, "event": {"schema": "rxjanus.test", "data": {}}}, "junk"]
    )
    garbage = [b"not json", b"\xff\xfe", b'{"no": "type"}', b"[]", unknown.encode()]
    await publish(broker, receiver, [*garbage, half_good.encode()])
    # The garbage ends with an unknown event and a half good batch: both come through.
    await rig.wait_event(lambda e: e.raw.get("event", {}).get("schema") == "rxjanus.test")
    assert any(isinstance(e, UnknownEvent) and e.type == 4096 for e in rig.events.values)
    assert receiver.unknown == 1
    warnings = evh_warnings(caplog)
    assert any("unknown Janus event type 4096" in w for w in warnings)
    assert sum("not JSON" in w for w in warnings) == 2
    assert any("'type' must be an integer" in w for w in warnings)
    assert any("dropped an empty batch" in w for w in warnings)
    assert any("dropped item 1" in w for w in warnings)
    assert receiver.malformed == 5  # not JSON twice, no type, the empty batch, the junk item
    assert all(PASSWORD not in r.getMessage() for r in caplog.records)  # not even aiormq's DEBUG
    # Janus' own events still come through.
    async with JanusSession(base_url=rig.server.ws_url) as session:
        session_id = session.session_id
    assert session_id is not None
    await rig.wait_event(destroyed(session_id))


@pytest.mark.parametrize("mode", MODES)
async def test_the_receiver_starts_and_stops_leaving_no_socket_or_task(
    mode: str, broker: RabbitMQBroker
) -> None:
    make_receiver(broker, mode)  # imports done before counting
    fds, tasks = open_fds(), len(asyncio.all_tasks())
    for _ in range(3):
        receiver = make_receiver(broker, mode)
        ended = Recorder(receiver.events)
        async with receiver:
            assert receiver.running
            assert receiver.queue_name is not None
            assert open_fds() > fds
        assert ended.completed
        with pytest.raises(RuntimeError, match="started already"):
            await receiver.start()
    await asyncio.sleep(0)  # let closed transports run their last callbacks
    assert (open_fds(), len(asyncio.all_tasks())) == (fds, tasks)


async def test_wrong_credentials_fail_the_start_with_no_password_logged_and_nothing_left(
    broker: RabbitMQBroker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wr0ng-pass:word"
    url = f"amqp://rxjanus:{quote(wrong, safe='')}@{broker.host}:{broker.port}"
    make_receiver(broker, "queue")  # imports done before counting
    fds, tasks = open_fds(), len(asyncio.all_tasks())
    receiver = RabbitMQEvhReceiver(url)
    ended = Recorder(receiver.events)
    with pytest.raises(TransportClosed, match="cannot connect to the AMQP broker"):
        await receiver.start()
    assert not receiver.running
    assert ended.completed
    await asyncio.sleep(0)
    assert (open_fds(), len(asyncio.all_tasks())) == (fds, tasks)
    assert caplog.records
    assert all(wrong not in r.getMessage() for r in caplog.records)
    assert all(quote(wrong, safe="") not in r.getMessage() for r in caplog.records)


def test_settings_for_janus_and_bad_arguments(broker: RabbitMQBroker) -> None:
    receiver = RabbitMQEvhReceiver(
        f"{broker.url}/v%2Fh?exchange=ex&exchange_type=topic&heartbeat=7", route_key="rk"
    )
    assert receiver.janus_settings() == {
        "events": "all",
        "grouping": True,
        "json": "compact",
        "host": "127.0.0.1",
        "port": broker.port,
        "vhost": "v/h",
        "username": "rxjanus",
        "password": PASSWORD,
        "route_key": "rk",
        "heartbeat": 4,
        "exchange": "ex",
        "exchange_type": "topic",
        "declare_outgoing_queue": False,
    }
    assert PASSWORD not in receiver.where
    assert PASSWORD not in repr(receiver.settings)
    with pytest.raises(ValueError, match="for the transport"):
        RabbitMQEvhReceiver(f"{broker.url}?to_janus=x")
    assert RabbitMQEvhReceiver(broker.url, janus_heartbeat=9).janus_settings()["heartbeat"] == 9
    with pytest.raises(ValueError, match="janus_heartbeat"):
        RabbitMQEvhReceiver(broker.url, janus_heartbeat=0)
    with pytest.raises(ValueError, match="route_key"):
        RabbitMQEvhReceiver(broker.url, route_key="")
    with pytest.raises(ValueError, match="not an amqp"):
        RabbitMQEvhReceiver("mqtt://127.0.0.1")


async def test_janus_and_the_receiver_come_back_after_a_broker_restart(
    broker: RabbitMQBroker,
) -> None:
    """Media stats of a live call reach the receiver again once both have reconnected."""
    async with make_receiver(broker, "exchange") as receiver:
        assert isinstance(receiver, RabbitMQEvhReceiver)
        events = Recorder(receiver.events)
        server = JanusServer(
            event_handlers={receiver.janus_name: receiver.janus_settings()},
            events_stats_period=1,
        )
        await asyncio.to_thread(server.start)
        try:
            await events.wait_value(lambda e: e.type == 256, timeout=20)
            async with JanusSession(base_url=server.ws_url) as session:
                plugin = JanusEchoTestPlugin(pc_config=loopback_rtc_configuration())
                await plugin.attach(session)
                handle_id = plugin.id

                def stats(event: JanusEvent) -> bool:
                    return (
                        isinstance(event, MediaEvent)
                        and event.handle_id == handle_id
                        and any(s.packets_received > 0 for s in event.stats)
                    )

                await plugin.start(SyntheticVideoTrack(320, 240, fps=30), None, audio=False)
                await events.wait_value(stats, timeout=20)
                await asyncio.to_thread(broker.restart)
                # Whatever is recorded from now on came through the restarted broker.
                before = len(events.values)
                await events.wait_for(
                    lambda r: any(stats(e) for e in r.values[before:]), timeout=60
                )
                assert receiver.reconnects == 1
                await plugin.close_stream()
                await events.wait_value(
                    lambda e: (
                        isinstance(e, WebRTCEvent)
                        and e.handle_id == handle_id
                        and e.connection == "hangup"
                    ),
                    timeout=20,
                )
        finally:
            code = await asyncio.to_thread(server.stop)
        assert code == 0


async def test_the_receiver_comes_back_after_a_broker_restart(broker: RabbitMQBroker) -> None:
    """Last in the module: it restarts the broker (non-durable queues are gone after)."""
    event = json.dumps({"type": 4, "timestamp": 1, "event": {"schema": "s", "data": {}}})
    async with make_receiver(broker, "queue") as receiver:
        assert isinstance(receiver, RabbitMQEvhReceiver)
        events = Recorder(receiver.events)
        await asyncio.to_thread(broker.restart)
        # Into the queue, declared again if need be: it waits there until the receiver is back.
        await publish(broker, receiver, [event.encode()])
        value: JanusEvent = await events.wait_value(lambda e: True, timeout=30)
        assert receiver.reconnects == 1
        assert value.raw["event"]["schema"] == "s"
