"""The RabbitMQ transport against the real Janus RabbitMQ transport and a real RabbitMQ.

One broker per module (RabbitMQ is Erlang: about 6-8 s to start), with a password,
and two Janus on it: one with Janus' default setup (replies in the shared queue
``from-janus``), one with a fanout ``janus_exchange`` (each client binds its own
queue) and an ``api_secret``. The broker-restart test comes last: it restarts the
module's broker.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import av
import pytest

from rxjanus import JanusEchoTestPlugin, JanusPlugin, JanusSession
from rxjanus.admin import JanusAdminMonitorClient
from rxjanus.exceptions import JanusApiError, JanusTimeoutError, ServerUnreachable
from rxjanus.protocol import messages as msg
from rxjanus.testing import (
    JanusServer,
    SyntheticVideoTrack,
    enable_loopback_ice,
    loopback_rtc_configuration,
)
from rxjanus.testing.rabbitmq import RabbitMQBroker, group_alive, rabbitmq_available
from rxjanus.transports import create_transport
from rxjanus.transports.base import ConnectionEvent, ConnectionState
from rxjanus.transports.rabbitmq import JanusTransportRabbitMQ, amqp_settings

from .helpers import Recorder
from .tls_ca import TestCA, make_test_ca

pytestmark = pytest.mark.skipif(
    not rabbitmq_available(), reason="RabbitMQ is not installed (apt-get install rabbitmq-server)"
)

PASSWORD = "s3cr3t-pw:x"
API_SECRET = "rmq-api-s3cret"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    return make_test_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def broker(ca: TestCA) -> Iterator[RabbitMQBroker]:
    with RabbitMQBroker(
        username="rxjanus", password=PASSWORD, tls_cert=ca.cert, tls_key=ca.key
    ) as running:
        yield running
        pid, workdir, ports = running.pid, running.workdir, running.ports
    # Stopped: no process of its group is left, nor its epmd, nor its temp dir.
    assert pid is not None
    assert not group_alive(pid)
    assert not any(listening(port) for port in ports)
    assert not workdir.exists()


@pytest.fixture(scope="module")
def janus(broker: RabbitMQBroker) -> Iterator[JanusServer]:
    """Janus' default RabbitMQ setup: replies and events in the queue ``from-janus``."""
    with JanusServer(rabbitmq_url=broker.url) as server:
        yield server


@pytest.fixture(scope="module")
def janus_exchange(broker: RabbitMQBroker) -> Iterator[JanusServer]:
    """Janus publishing to a fanout exchange, with an ``api_secret``."""
    with JanusServer(
        rabbitmq_url=broker.url,
        rabbitmq_queue_prefix="x/",
        rabbitmq_exchange="rxjanus-x",
        api_secret=API_SECRET,
        loopback_ice=False,
    ) as server:
        yield server


@pytest.fixture
def url(janus: JanusServer) -> Iterator[str]:
    assert janus.rabbitmq_url is not None
    yield janus.rabbitmq_url
    assert janus.list_sessions() == []


def rxjanus_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("rxjanus") and r.levelno >= logging.WARNING
    ]


def open_sockets() -> int:
    return sum(
        1 for fd in os.listdir("/proc/self/fd") if "socket" in _readlink(f"/proc/self/fd/{fd}")
    )


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _readlink(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return ""


# -- URLs (no broker needed) ----------------------------------------------------------


def test_url_defaults_are_janus_defaults() -> None:
    s = amqp_settings("amqp://127.0.0.1")
    assert (s.host, s.port, s.tls, s.vhost) == ("127.0.0.1", 5672, False, "/")
    assert (s.to_janus, s.from_janus, s.exchange) == ("to-janus", "from-janus", None)
    assert (s.username, s.password) == ("guest", "guest")
    admin = amqp_settings("amqp://127.0.0.1", admin=True)
    assert (admin.to_janus, admin.from_janus) == ("to-janus-admin", "from-janus-admin")
    assert amqp_settings("amqps://h").port == 5671


def test_url_with_everything() -> None:
    s = amqp_settings(
        "AMQPS://al%40ice:p%3Ass@broker.example:5673/site%2Fa?to_janus=in&from_janus=out"
        "&exchange=jx&exchange_type=topic&heartbeat=5"
    )
    assert (s.host, s.port, s.tls, s.vhost) == ("broker.example", 5673, True, "site/a")
    assert (s.username, s.password) == ("al@ice", "p:ss")
    assert (s.to_janus, s.from_janus, s.exchange, s.exchange_type) == ("in", "out", "jx", "topic")
    assert s.heartbeat == 5
    assert "p:ss" not in repr(s)


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        ("ws://h", "not an amqp"),
        ("amqp://", "no broker host"),
        ("amqp://h:99999", "bad port"),
        ("amqp://h?queue=x", "unknown AMQP URL parameter"),
        ("amqp://h?to_janus=a&to_janus=b", "given twice"),
        ("amqp://h?to_janus=", "1 to 255 bytes"),
        ("amqp://h?exchange_type=headers", "exchange_type"),
        ("amqp://h?heartbeat=x", "heartbeat"),
    ],
)
def test_bad_urls_are_refused(bad: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        amqp_settings(bad)


def test_scheme_is_registered_and_the_password_stays_out_of_repr() -> None:
    transport = create_transport("amqp://ann:pw-x@127.0.0.1:1")
    assert isinstance(transport, JanusTransportRabbitMQ)
    assert "pw-x" not in repr(transport)
    assert "pw-x" not in transport.where
    assert isinstance(create_transport("amqps://127.0.0.1"), JanusTransportRabbitMQ)


def test_importing_rxjanus_does_not_import_aio_pika() -> None:
    code = "import sys, rxjanus; print('aio_pika' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_missing_aio_pika_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "aio_pika", None)  # import aio_pika raises ImportError
    with pytest.raises(ImportError, match=r"pip install rxjanus\[amqp\]"):
        JanusTransportRabbitMQ("amqp://127.0.0.1")


# -- against the real Janus and broker ------------------------------------------------


def test_a_broker_never_stopped_is_killed_and_its_dir_removed() -> None:
    broker = RabbitMQBroker()
    broker.start()
    pid, workdir, ports = broker.pid, broker.workdir, broker.ports
    assert pid is not None
    assert listening(broker.port)
    assert broker.node.startswith("rxjanus-")
    assert broker.node in broker.log_text()
    del broker
    gc.collect()  # its finalizer runs
    assert not group_alive(pid)
    assert not any(listening(port) for port in ports)  # AMQP, distribution, epmd
    assert not workdir.exists()


def test_seed_custom_transport_options_example_over_amqp(url: str, janus: JanusServer) -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "seed" / "custom_transport_options.py"), url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Server info: {")
    assert janus.server_name in done.stdout
    assert "janus.transport.rabbitmq" in done.stdout


async def test_requests_events_and_errors(
    url: str, janus: JanusServer, caplog: pytest.LogCaptureFixture
) -> None:
    async with JanusAdminMonitorClient(janus.admin_http_url, janus.admin_secret) as admin:
        session = JanusSession(base_url=url, keepalive_interval=None)
        await session.create()
        session_id = session.session_id
        assert isinstance(session.transport, JanusTransportRabbitMQ)
        assert session_id in await admin.list_sessions()
        await session.keepalive()
        echo = JanusEchoTestPlugin()
        await echo.attach(session)
        events = Recorder(echo.events)
        reply = await echo.send({"audio": True})
        assert reply["plugindata"]["data"]["result"] == "ok"
        # An error: a handle Janus does not know.
        with pytest.raises(JanusApiError) as caught:
            await session.transport.request(msg.message(session_id or 0, 1, {"audio": True}))
        assert caught.value.code == 459  # no such handle
        await echo.detach()
        await events.wait_for(lambda r: r.ended, timeout=10)  # the handle's events end
        assert await admin.list_handles(session_id) == []
        await session.destroy()
        assert session_id not in await admin.list_sessions()
        await session.transport.close()
    assert rxjanus_warnings(caplog) == []


async def test_admin_api_over_rabbitmq(url: str, janus: JanusServer) -> None:
    assert janus.rabbitmq_admin_url is not None
    async with (
        JanusSession(base_url=url, keepalive_interval=None) as session,
        JanusAdminMonitorClient(janus.rabbitmq_admin_url, janus.admin_secret) as admin,
    ):
        assert isinstance(admin.transport, JanusTransportRabbitMQ)
        assert admin.transport.settings.to_janus == "to-janus-admin"
        assert await admin.list_sessions() == [session.session_id]


async def test_many_concurrent_requests(url: str) -> None:
    async with JanusSession(base_url=url, keepalive_interval=None) as session:
        replies = await asyncio.gather(*(session.transport.ping() for _ in range(200)))
        assert {r["janus"] for r in replies} == {"pong"}


async def test_garbage_on_the_queue_is_logged_and_dropped(
    url: str, janus: JanusServer, broker: RabbitMQBroker, caplog: pytest.LogCaptureFixture
) -> None:
    import aio_pika

    caplog.set_level(logging.DEBUG, logger="rxjanus")
    async with (
        JanusSession(base_url=url, keepalive_interval=None) as session,
        await aio_pika.connect(broker.url) as intruder,
    ):
        transport = session.transport
        assert isinstance(transport, JanusTransportRabbitMQ)
        channel = await intruder.channel()
        before = transport.foreign_messages
        garbage = [
            b"not json",
            b"\xff\xfe",
            b"[1, 2",
            json.dumps({"janus": "success", "transaction": "not-ours"}).encode(),
            json.dumps({"janus": "event", "session_id": 1, "sender": 2}).encode(),
        ]
        for body in garbage:
            await channel.default_exchange.publish(aio_pika.Message(body), routing_key="from-janus")
        # The queue is FIFO: the reply to this ping comes after all of the garbage.
        assert (await transport.ping())["janus"] == "pong"
        assert transport.foreign_messages == before + 2
        warnings = rxjanus_warnings(caplog)
        assert sum("malformed" in w for w in warnings) >= 2, warnings
        await session.keepalive()  # the session carries on


async def test_two_clients_through_the_exchange_each_get_their_own(
    janus_exchange: JanusServer,
) -> None:
    url = janus_exchange.rabbitmq_url
    assert url is not None
    assert "exchange=rxjanus-x" in url
    sessions = [
        JanusSession(base_url=url, api_secret=API_SECRET, keepalive_interval=None) for _ in range(2)
    ]
    for session in sessions:
        await session.create()
    try:
        for _ in range(3):
            await asyncio.gather(*(session.keepalive() for session in sessions))
        echoes = [JanusEchoTestPlugin() for _ in sessions]
        for echo, session in zip(echoes, sessions, strict=True):
            await echo.attach(session)
            reply = await echo.send({"audio": True})
            assert reply["plugindata"]["data"]["result"] == "ok"
        for session in sessions:
            transport = session.transport
            assert isinstance(transport, JanusTransportRabbitMQ)
            assert transport.foreign_messages > 0  # it saw the other's, and dropped them
        assert sorted(janus_exchange.list_sessions()) == sorted(s.session_id for s in sessions)
    finally:
        for session in sessions:
            await session.destroy()
            await session.transport.close()
    assert janus_exchange.list_sessions() == []


async def test_credentials_never_in_a_log_line(
    janus_exchange: JanusServer, broker: RabbitMQBroker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("rxjanus", "aiormq", "aio_pika", "asyncio"):
        caplog.set_level(logging.DEBUG, logger=name)
    url = janus_exchange.rabbitmq_url
    assert url is not None
    assert "s3cr3t-pw%3Ax" in url  # the password, escaped in the URL
    async with JanusSession(base_url=url, api_secret=API_SECRET) as session:
        echo = JanusEchoTestPlugin()
        await echo.attach(session)
        await echo.send({"audio": True})
        await echo.detach()
    wrong = url.replace("s3cr3t-pw%3Ax", "wrong-pw")
    sockets, tasks = open_sockets(), asyncio.all_tasks()
    refused = JanusSession(base_url=wrong, max_retries=0, keepalive_interval=None)
    with pytest.raises(ServerUnreachable) as caught:
        await refused.create()
    await refused.transport.close()
    assert open_sockets() == sockets  # the refused login's socket is closed
    assert asyncio.all_tasks() == tasks
    assert "wrong-pw" not in str(caught.value)
    logged = "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records)
    assert "connected to the AMQP broker" in logged  # our DEBUG lines were captured
    assert "aiormq" in logged  # and aiormq's frame lines
    for secret in (PASSWORD, "s3cr3t", API_SECRET, "wrong-pw"):
        assert secret not in logged, secret
    assert janus_exchange.list_sessions() == []


async def test_amqps_with_a_context_trusting_the_broker(
    janus: JanusServer, broker: RabbitMQBroker, ca: TestCA
) -> None:
    assert janus.rabbitmq_url is not None
    query = janus.rabbitmq_url.split("?", 1)[1]
    url = f"{broker.tls_url}?{query}"
    async with JanusSession(base_url=url, ssl=ca.client_context()) as session:
        transport = session.transport
        assert isinstance(transport, JanusTransportRabbitMQ)
        assert transport.settings.tls
        assert (await transport.info())["server-name"] == janus.server_name
        assert janus.list_sessions() == [session.session_id]
    # Verified with the system's trust store by default: our test CA is not in it.
    sockets, tasks = open_sockets(), asyncio.all_tasks()
    refused = JanusSession(base_url=url, max_retries=0, keepalive_interval=None)
    with pytest.raises(ServerUnreachable, match="CERTIFICATE_VERIFY_FAILED") as caught:
        await refused.create()
    await refused.transport.close()
    assert open_sockets() == sockets  # the failed handshake's socket is closed
    assert asyncio.all_tasks() == tasks
    assert "s3cr3t" not in str(caught.value)
    assert janus.list_sessions() == []


async def test_request_times_out_when_janus_is_not_on_the_queue(broker: RabbitMQBroker) -> None:
    url = f"{broker.url}?to_janus=nobody-reads&from_janus=nobody-writes"
    async with JanusTransportRabbitMQ(url, timeout=0.5) as transport:
        with pytest.raises(JanusTimeoutError):
            await transport.ping()


async def test_unreachable_broker_is_a_connection_error_naming_the_url() -> None:
    transport = JanusTransportRabbitMQ(
        f"amqp://ann:{PASSWORD}@127.0.0.1:1", max_retries=1, retry_delay=0.01
    )
    with pytest.raises(ServerUnreachable, match=r"amqp://127\.0\.0\.1:1") as caught:
        await transport.connect()
    assert PASSWORD not in str(caught.value)
    await transport.close()


async def test_echotest_media_over_rabbitmq_signalling(janus: JanusServer, tmp_path: Path) -> None:
    assert janus.rabbitmq_url is not None
    enable_loopback_ice()
    source = SyntheticVideoTrack(320, 240, fps=30)
    async with JanusSession(base_url=janus.rabbitmq_url) as session:
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


async def test_nothing_leaks_after_close(url: str) -> None:
    sockets = open_sockets()
    tasks = asyncio.all_tasks()
    for _ in range(3):
        async with JanusSession(base_url=url) as session:
            echo = JanusEchoTestPlugin()
            await echo.attach(session)
            await echo.send({"audio": True})
    transport = session.transport
    assert isinstance(transport, JanusTransportRabbitMQ)
    assert transport.closed
    assert asyncio.all_tasks() == tasks
    assert open_sockets() == sockets


# Last: it restarts the module's broker.
async def test_broker_restart_reclaims_the_session(
    broker: RabbitMQBroker, janus: JanusServer, caplog: pytest.LogCaptureFixture
) -> None:
    assert janus.rabbitmq_url is not None
    session = JanusSession(
        base_url=janus.rabbitmq_url,
        retry_delay=0.2,
        max_retries=30,
        timeout=60,
        keepalive_interval=None,
    )
    async with session:
        session_id = session.session_id
        plugin = JanusPlugin(plugin_id="janus.plugin.echotest")
        await plugin.attach(session)
        events: asyncio.Queue[ConnectionEvent] = asyncio.Queue()
        session.transport.add_listener(events.put_nowait)
        await asyncio.to_thread(broker.restart)
        first = await asyncio.wait_for(events.get(), 60)
        assert first.state is ConnectionState.RECONNECTING
        pending_keepalive = asyncio.create_task(session.keepalive())
        second = await asyncio.wait_for(events.get(), 60)
        assert second.state is ConnectionState.RECONNECTED
        assert second.sessions == {session_id}
        await pending_keepalive  # made while reconnecting: waited, then sent
        # The same session and handle carry on, through Janus' own reconnected client.
        assert session.session_id == session_id
        reply = await plugin.send({"audio": True})
        assert reply["plugindata"]["data"]["result"] == "ok"
        assert janus.list_sessions() == [session_id]
        assert janus.list_handles(session_id or 0) == [plugin.id]
    assert janus.list_sessions() == []
    warnings = rxjanus_warnings(caplog)
    assert any("reconnected" in w for w in warnings), warnings


async def test_a_broker_that_never_answers_times_out_cleanly() -> None:
    """TCP accepted, no AMQP greeting: each attempt ends at the timeout and its socket is closed."""
    accepted: list[asyncio.StreamReader] = []
    writers: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(reader)
        writers.append(writer)

    listener = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    tasks = asyncio.all_tasks()
    transport = JanusTransportRabbitMQ(
        f"amqp://127.0.0.1:{port}", timeout=0.5, max_retries=1, retry_delay=0.01
    )
    with pytest.raises(ServerUnreachable, match="after 2 attempts"):
        await transport.connect()
    await transport.close()
    assert asyncio.all_tasks() == tasks
    assert len(accepted) == 2
    for reader in accepted:  # each attempt's socket is closed: the broker reads to the end
        hello = await asyncio.wait_for(reader.read(), 20)
        assert hello.startswith(b"AMQP")  # the protocol header that was never answered
        assert reader.at_eof()
    for writer in writers:
        writer.close()
    listener.close()
    await listener.wait_closed()
