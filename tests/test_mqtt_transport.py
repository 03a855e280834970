"""The MQTT transport against the real Janus MQTT transport and a real Mosquitto broker.

Two Janus instances share one broker on separate topics: one with Janus' default
MQTT 3.1.1 (every reply of every client on one topic), one with MQTT 5 (replies
on each request's response topic). The broker-restart and credential tests start
their own broker and Janus, since they disturb them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import av
import pytest

from rxjanus import JanusEchoTestPlugin, JanusPlugin, JanusSession
from rxjanus.admin import JanusAdminMonitorClient
from rxjanus.exceptions import JanusTimeoutError, ServerUnreachable
from rxjanus.protocol import messages as msg
from rxjanus.protocol import plugin_data
from rxjanus.testing import (
    JanusServer,
    SyntheticVideoTrack,
    enable_loopback_ice,
    loopback_rtc_configuration,
)
from rxjanus.testing.mosquitto import MosquittoBroker, mosquitto_available
from rxjanus.transports import create_transport
from rxjanus.transports.base import ConnectionEvent, ConnectionState
from rxjanus.transports.mqtt import JanusTransportMQTT, mqtt_settings

from .helpers import Recorder
from .tls_ca import make_test_ca

pytestmark = pytest.mark.skipif(
    not mosquitto_available(), reason="Mosquitto is not installed (apt-get install mosquitto)"
)

VERSIONS = ("3.1.1", "5")


@pytest.fixture(scope="module")
def broker() -> Iterator[MosquittoBroker]:
    # Mosquitto's default of 20 QoS 1 messages in flight per client is also the "receive
    # maximum" it grants MQTT 5 clients: Janus 1.1.2 on MQTT 5 then holds its replies to
    # a burst of requests back in steps of about 1 s (measured: 50 requests, 3 s).
    with MosquittoBroker(extra_config="max_inflight_messages 1000") as running:
        yield running


@pytest.fixture(scope="module")
def mqtt_servers(broker: MosquittoBroker) -> Iterator[dict[str, JanusServer]]:
    """A Janus per MQTT version, both on the module's broker, each on its own topics."""
    with (
        JanusServer(mqtt_url=broker.url, mqtt_version="3.1.1", mqtt_topic_prefix="v311/") as v311,
        JanusServer(mqtt_url=broker.url, mqtt_version="5", mqtt_topic_prefix="v5/") as v5,
    ):
        yield {"3.1.1": v311, "5": v5}


@pytest.fixture(params=VERSIONS, ids=["janus-mqtt-3.1.1", "janus-mqtt-5"])
def server(
    request: pytest.FixtureRequest, mqtt_servers: dict[str, JanusServer]
) -> Iterator[JanusServer]:
    """A Janus with its MQTT transport on; every test must leave no session on it."""
    janus = mqtt_servers[request.param]
    yield janus
    assert janus.list_sessions() == []


@pytest.fixture
def mqtt_url(server: JanusServer) -> str:
    assert server.mqtt_url is not None
    return server.mqtt_url


def rxjanus_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("rxjanus") and r.levelno >= logging.WARNING
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# -- URLs (no broker needed) ----------------------------------------------------------


def test_url_defaults_are_janus_defaults() -> None:
    s = mqtt_settings("mqtt://127.0.0.1")
    assert (s.host, s.port, s.tls) == ("127.0.0.1", 1883, False)
    assert (s.to_janus, s.from_janus) == ("to-janus", "from-janus")
    assert (s.protocol, s.qos, s.keepalive) == ("5", 1, 20)
    assert s.client_id.startswith("rxjanus-")
    assert s.response_topic == f"from-janus/{s.client_id}"
    assert (s.username, s.password) == (None, None)
    assert mqtt_settings("mqtt://127.0.0.1").client_id != s.client_id  # random per transport
    admin = mqtt_settings("mqtt://127.0.0.1", admin=True)
    assert (admin.to_janus, admin.from_janus) == ("to-janus-admin", "from-janus-admin")


def test_url_with_everything() -> None:
    s = mqtt_settings(
        "MQTTS://al%40ice:p%3Ass@broker.example:8884/?to_janus=site%2Fin&from_janus=site/out"
        "&client_id=me&qos=0&keepalive=5&response_topic=site/replies/me"
    )
    assert (s.host, s.port, s.tls) == ("broker.example", 8884, True)
    assert (s.username, s.password) == ("al@ice", "p:ss")
    assert (s.to_janus, s.from_janus, s.response_topic) == (
        "site/in",
        "site/out",
        "site/replies/me",
    )
    assert (s.client_id, s.qos, s.keepalive) == ("me", 0, 5)
    assert "p:ss" not in repr(s)
    assert mqtt_settings("mqtts://h").port == 8883


def test_url_mqtt_3_1_1_and_no_response_topic() -> None:
    assert mqtt_settings("mqtt://h?protocol=3.1.1").response_topic is None
    assert mqtt_settings("mqtt://h?response_topic=").response_topic is None


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("ws://h", "not an mqtt"),
        ("mqtt://", "no broker host"),
        ("mqtt://h/janus", "no path"),
        ("mqtt://h?topic=x", "unknown MQTT URL parameter"),
        ("mqtt://h?qos=1&qos=2", "given twice"),
        ("mqtt://h?qos=3", "qos=3"),
        ("mqtt://h?qos=one", "integers"),
        ("mqtt://h?keepalive=0", "keepalive"),
        ("mqtt://h?to_janus=a/%2B/b", "wildcard"),
        ("mqtt://h?from_janus=a/%23", "wildcard"),
        ("mqtt://h?client_id=x%23", "wildcard"),
        ("mqtt://h?protocol=4", "protocol"),
        ("mqtt://h?protocol=3.1.1&response_topic=r", "needs protocol=5"),
        ("mqtt://h:99999", "bad port"),
    ],
)
def test_bad_urls_are_refused(url: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        mqtt_settings(url)


def test_scheme_is_registered_and_credentials_stay_out_of_repr() -> None:
    transport = create_transport("mqtt://bob:hunter2@127.0.0.1:1883?to_janus=t")
    assert isinstance(transport, JanusTransportMQTT)
    assert "hunter2" not in repr(transport)
    assert "hunter2" not in transport.where
    assert isinstance(create_transport("mqtts://127.0.0.1"), JanusTransportMQTT)
    # Made by JanusAdminMonitorClient (it passes admin_secret): the Admin API's topics.
    admin = JanusAdminMonitorClient("mqtt://127.0.0.1", "secret").transport
    assert isinstance(admin, JanusTransportMQTT)
    assert admin.settings.to_janus == "to-janus-admin"
    # Also without a secret (a Janus whose Admin API has none): still the admin topics.
    no_secret = JanusAdminMonitorClient("mqtt://127.0.0.1", None).transport
    assert isinstance(no_secret, JanusTransportMQTT)
    assert no_secret.settings.from_janus == "from-janus-admin"


def test_importing_rxjanus_does_not_import_aiomqtt() -> None:
    code = (
        "import sys, rxjanus, rxjanus.transports; "
        "assert 'aiomqtt' not in sys.modules and 'paho' not in sys.modules, sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_missing_aiomqtt_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "aiomqtt", None)  # import aiomqtt raises ImportError
    with pytest.raises(ImportError, match=r"pip install rxjanus\[mqtt\]"):
        JanusTransportMQTT("mqtt://127.0.0.1")


async def test_other_clients_messages_are_dropped_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """What another client's traffic on the shared topic looks like to this transport."""
    caplog.set_level(logging.INFO)
    transport = JanusTransportMQTT("mqtt://127.0.0.1")
    ours: list[dict[str, object]] = []
    transport.add_session(1, ours.append)
    transport.add_handle(7, ours.append)
    foreign = [
        {"janus": "success", "transaction": "theirs", "data": {"id": 5}},
        {"janus": "ack", "transaction": "theirs", "session_id": 1},  # even on our session
        {"janus": "error", "transaction": "theirs", "error": {"code": 458, "reason": "x"}},
        {"janus": "pong", "transaction": "theirs"},
        {"janus": "server_info", "transaction": "theirs", "name": "Janus"},
        {"janus": "event", "session_id": 2, "sender": 3, "plugindata": {}},
        {"janus": "webrtcup", "session_id": 2, "sender": 3},
        {"janus": "detached", "session_id": 2, "sender": 3, "transaction": "theirs"},
    ]
    for message in foreign:
        transport._on_message(json.dumps(message).encode())
    assert transport.foreign_messages == len(foreign)
    event = {"janus": "hangup", "session_id": 1, "sender": 7, "reason": "x"}
    transport._on_message(json.dumps(event).encode())
    assert ours == [event]
    assert rxjanus_warnings(caplog) == []
    transport.remove_session(1)
    transport._on_message(json.dumps(event).encode())
    assert transport.foreign_messages == len(foreign) + 1
    # Neither ours nor anyone's: the protocol judges it (and says so).
    transport._on_message(b"not json")
    assert any("malformed" in w for w in rxjanus_warnings(caplog))


# -- against the real Janus and broker ------------------------------------------------


async def test_info_names_the_mqtt_transport(mqtt_url: str, server: JanusServer) -> None:
    async with JanusTransportMQTT(mqtt_url) as transport:
        info = await transport.info()
        assert info["server-name"] == server.server_name
        assert "janus.transport.mqtt" in info["transports"]
        assert (await transport.ping())["janus"] == "pong"


async def test_session_lifecycle_and_the_admin_api_sees_it_go(
    mqtt_url: str, server: JanusServer, caplog: pytest.LogCaptureFixture
) -> None:
    async with JanusAdminMonitorClient(server.admin_http_url, server.admin_secret) as admin:
        session = JanusSession(base_url=mqtt_url, keepalive_interval=None)
        await session.create()
        session_id = session.session_id
        assert isinstance(session.transport, JanusTransportMQTT)
        assert session_id in await admin.list_sessions()
        await session.keepalive()
        echo = JanusEchoTestPlugin()
        await echo.attach(session)
        assert await admin.list_handles(session_id) == [echo.id]
        reply = await echo.send({"audio": True})
        assert reply["plugindata"]["data"]["result"] == "ok"
        await echo.detach()
        assert await admin.list_handles(session_id) == []
        await session.destroy()
        assert session_id not in await admin.list_sessions()
        await session.transport.close()
    assert rxjanus_warnings(caplog) == []


async def test_admin_api_over_mqtt(server: JanusServer) -> None:
    assert server.mqtt_admin_url is not None
    async with (
        JanusSession(base_url=server.mqtt_url or "", keepalive_interval=None) as session,
        JanusAdminMonitorClient(server.mqtt_admin_url, server.admin_secret) as admin,
    ):
        assert isinstance(admin.transport, JanusTransportMQTT)
        assert admin.transport.settings.to_janus.endswith("to-janus-admin")
        assert await admin.list_sessions() == [session.session_id]


async def test_many_concurrent_requests(mqtt_url: str) -> None:
    async with JanusSession(base_url=mqtt_url, keepalive_interval=None) as session:
        plugin = JanusPlugin(plugin_id="janus.plugin.echotest")
        await plugin.attach(session)
        replies, _ = await asyncio.gather(
            asyncio.gather(*(plugin.send({"audio": i % 2 == 0}) for i in range(50))),
            asyncio.gather(*(session.keepalive() for _ in range(50))),
        )
        assert all(r["plugindata"]["data"]["result"] == "ok" for r in replies)
        assert session.transport.pending_count == 0


async def test_two_clients_on_one_broker_see_only_their_own(
    mqtt_url: str, server: JanusServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Both get every reply and event on the shared topic; each acts only on its own."""
    alice = JanusSession(base_url=mqtt_url, keepalive_interval=None)
    bob = JanusSession(base_url=mqtt_url, keepalive_interval=None)
    async with alice, bob:
        alice_events, bob_events = Recorder(alice.events), Recorder(bob.events)
        plugins = {}
        handle_ids: dict[str, int | None] = {}
        for name, session in (("alice", alice), ("bob", bob)):
            plugin = JanusPlugin(plugin_id="janus.plugin.echotest")
            await plugin.attach(session)
            plugins[name] = (plugin, Recorder(plugin.events))
            handle_ids[name] = plugin.id
        # Interleaved requests of both, on the same topics, at the same time.
        await asyncio.gather(
            *(plugins[n][0].send({"audio": i % 2 == 0}) for i in range(10) for n in plugins),
            *(s.keepalive() for _ in range(10) for s in (alice, bob)),
        )
        for plugin, _ in plugins.values():
            await plugin.detach()  # Janus publishes 'detached' on the shared topic
        assert alice.session_id != bob.session_id
        transports = [alice.transport, bob.transport]
        assert all(isinstance(t, JanusTransportMQTT) for t in transports)
        foreign = [t.foreign_messages for t in transports if isinstance(t, JanusTransportMQTT)]
    assert alice_events.values == bob_events.values == []
    for name, (_, recorder) in plugins.items():
        # Only its own handle's end: 'detached', and EchoTest's "done" event that Janus may
        # publish before the reply to detach (both seen, depending on timing).
        for event in recorder.values:
            assert event["sender"] == handle_ids[name], event
            done = plugin_data(event) == {"echotest": "event", "result": "done"}
            assert event["janus"] == "detached" or done, event
    # They saw each other's traffic: with 3.1.1 each gets every reply; with 5 only events
    # are shared, and the last one ('detached' of the second handle) may come after the
    # first client has stopped looking.
    if server.mqtt_topics["to-janus"].startswith("v311/"):
        assert all(n > 0 for n in foreign), foreign
    else:
        assert any(n > 0 for n in foreign), foreign
    assert rxjanus_warnings(caplog) == []


async def test_request_times_out_when_janus_is_not_subscribed(broker: MosquittoBroker) -> None:
    url = f"{broker.url}?to_janus=nobody/listens&from_janus=nobody/answers"
    session = JanusSession(base_url=url, timeout=1.0, keepalive_interval=None)
    began = asyncio.get_running_loop().time()
    with pytest.raises(TimeoutError) as caught:
        await session.create()
    assert isinstance(caught.value, JanusTimeoutError)
    assert 0.9 < asyncio.get_running_loop().time() - began < 10
    assert session.transport.connected  # the broker took the request; nobody answered
    assert session.transport.pending_count == 0
    await session.transport.close()


async def test_unreachable_broker_is_a_connection_error_naming_the_url(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    port = free_port()
    session = JanusSession(
        base_url=f"mqtt://carol:s3cr3t-pw@127.0.0.1:{port}?to_janus=x",
        max_retries=1,
        retry_delay=0.01,
        keepalive_interval=None,
    )
    with pytest.raises(ConnectionError) as caught:
        await session.create()
    assert isinstance(caught.value, ServerUnreachable)
    text = str(caught.value)
    assert f"mqtt://127.0.0.1:{port}" in text
    assert "after 2 attempts" in text
    assert "s3cr3t-pw" not in text
    assert "carol" not in text
    assert all("s3cr3t-pw" not in r.getMessage() for r in caplog.records)
    await session.transport.close()


async def test_broker_restart_reconnects_and_claims_the_session(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with MosquittoBroker() as own_broker, JanusServer(mqtt_url=own_broker.url) as janus:
        assert janus.mqtt_url is not None
        session = JanusSession(base_url=janus.mqtt_url, retry_delay=0.05, keepalive_interval=None)
        async with session:
            plugin = JanusPlugin(plugin_id="janus.plugin.echotest")
            await plugin.attach(session)
            events: asyncio.Queue[ConnectionEvent] = asyncio.Queue()
            session.transport.add_listener(events.put_nowait)
            loop = asyncio.get_running_loop()
            began = loop.time()
            await asyncio.to_thread(own_broker.restart)
            first = await asyncio.wait_for(events.get(), 20)
            assert first.state is ConnectionState.RECONNECTING
            pending_keepalive = asyncio.create_task(session.keepalive())
            second = await asyncio.wait_for(events.get(), 20)
            assert second.state is ConnectionState.RECONNECTED
            assert second.sessions == {session.session_id}
            took = loop.time() - began
            await pending_keepalive  # made while reconnecting: waited, then sent
            # The same session and handle carry on, through Janus' own reconnected client.
            await session.keepalive()
            reply = await plugin.send({"audio": True})
            assert reply["plugindata"]["data"]["result"] == "ok"
            assert janus.list_sessions() == [session.session_id]
            assert janus.list_handles(session.session_id or 0) == [plugin.id]
        assert janus.list_sessions() == []
        assert janus.log_text().count("Connected to MQTT broker") >= 2
    assert took < 20
    warnings = rxjanus_warnings(caplog)
    assert any("reconnected" in w for w in warnings), warnings


async def test_echotest_media_over_mqtt_signalling(
    mqtt_servers: dict[str, JanusServer], tmp_path: Path
) -> None:
    janus = mqtt_servers["3.1.1"]
    assert janus.mqtt_url is not None
    enable_loopback_ice()
    source = SyntheticVideoTrack(320, 240, fps=30)
    async with JanusSession(base_url=janus.mqtt_url) as session:
        plugin = JanusEchoTestPlugin(pc_config=loopback_rtc_configuration())
        await plugin.attach(session)
        received = Recorder(plugin.frames("video"))
        events = Recorder(plugin.events)
        await plugin.start(source, tmp_path / "output.mp4", audio=False)
        await events.wait_value(lambda e: e.get("janus") == "webrtcup", timeout=20)
        await source.wait_sent(60)  # 2 s at 30 fps
        source.stop()
        sent = source.frames_sent
        await received.wait_for(lambda r: len(r.values) >= int(sent * 0.9), timeout=20)
        await plugin.close_stream()
        frames = received.values
    assert len(frames) >= 0.9 * sent
    assert all(isinstance(f, av.VideoFrame) for f in frames)
    assert janus.list_sessions() == []


async def test_raw_requests_use_the_response_topic_with_mqtt_5(
    mqtt_servers: dict[str, JanusServer],
) -> None:
    """With Janus on MQTT 5, a reply goes to our response topic, not the shared one."""
    import aiomqtt

    janus = mqtt_servers["5"]
    assert janus.mqtt_url is not None
    broker_port = int(janus.mqtt_url.split(":")[2].split("?")[0])
    shared = janus.mqtt_topics["from-janus"]
    async with (
        aiomqtt.Client("127.0.0.1", broker_port) as spy,
        JanusTransportMQTT(janus.mqtt_url) as transport,
    ):
        await spy.subscribe(shared)
        reply = await transport.request(msg.info())
        assert reply["server-name"] == janus.server_name
        # A 3.1.1 client names no response topic: its reply comes on the shared topic.
        url_311 = janus.mqtt_url + "&protocol=3.1.1"
        async with JanusTransportMQTT(url_311) as old:
            await old.request(msg.ping())
        async with asyncio.timeout(20):
            message = await anext(aiter(spy.messages))
        payload = message.payload
        assert isinstance(payload, bytes)
        assert b'"pong"' in payload  # the 3.1.1 ping's reply, not our earlier info reply


async def test_credentials_and_tls_to_the_broker(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Janus logs in on the plain listener; rxjanus over mqtts:// with user:password@."""
    caplog.set_level(logging.DEBUG)
    ca = make_test_ca(tmp_path)
    users = {"janus": "j-pass", "ann": "p@ss:w0rd"}
    with (
        MosquittoBroker(users=users, tls_cert=ca.cert, tls_key=ca.key) as secured,
        JanusServer(
            mqtt_url=secured.url.replace("//", "//janus:j-pass@"), loopback_ice=False
        ) as janus,
    ):
        tls_url = secured.tls_url.replace("//", "//ann:p%40ss%3Aw0rd@")
        async with JanusSession(
            base_url=tls_url, ssl=ca.client_context(), keepalive_interval=None
        ) as session:
            assert isinstance(session.transport, JanusTransportMQTT)
            assert session.transport.settings.tls
            assert (await session.transport.info())["server-name"] == janus.server_name
            assert janus.list_sessions() == [session.session_id]
        assert janus.list_sessions() == []
        # Not trusting the broker's certificate: refused, like a wrong password.
        for url, options in (
            (tls_url, {}),
            (secured.url.replace("//", "//ann:wrong-pw@"), {}),
        ):
            refused = JanusSession(base_url=url, max_retries=0, keepalive_interval=None, **options)
            with pytest.raises(ServerUnreachable) as caught:
                await refused.create()
            assert "p@ss" not in str(caught.value)
            assert "wrong-pw" not in str(caught.value)
            await refused.transport.close()
        assert "Not authorized" in str(caught.value)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "connected to the MQTT broker" in logged  # DEBUG lines were captured
    assert "p@ss" not in logged
    assert "w0rd" not in logged
    assert "wrong-pw" not in logged


async def test_a_broker_that_never_answers_connect_times_out_cleanly() -> None:
    """TCP accepted, no CONNACK: each attempt ends at the timeout and its socket is closed."""
    accepted: list[asyncio.StreamReader] = []
    writers: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(reader)
        writers.append(writer)

    listener = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    transport = JanusTransportMQTT(
        f"mqtt://127.0.0.1:{port}", timeout=0.5, max_retries=1, retry_delay=0.01
    )
    with pytest.raises(ServerUnreachable, match="after 2 attempts"):
        await transport.connect()
    await transport.close()
    assert len(accepted) == 2
    for reader in accepted:  # each attempt's socket is closed: the broker reads to the end
        connect = await asyncio.wait_for(reader.read(), 20)
        assert connect[:1] == b"\x10"  # the CONNECT that was never answered
        assert reader.at_eof()
    for writer in writers:
        writer.close()
    listener.close()
    await listener.wait_closed()
