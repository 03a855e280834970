"""The Unix-socket transport (Janus pfunix, SOCK_SEQPACKET) against the real Janus.

The connection-loss tests use a tiny fake Janus on a socket of their own, which
answers only when told: that makes "a request is in flight" a fact, not a race.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import av
import pytest

from rxjanus import (
    JanusEchoTestPlugin,
    JanusPlugin,
    JanusSession,
    ServerUnreachable,
    TransportClosed,
    register_transport,
)
from rxjanus.exceptions import JanusError, TransportSpecificError, UnknownRequest
from rxjanus.protocol import messages as msg
from rxjanus.testing import (
    JanusServer,
    SyntheticVideoTrack,
    enable_loopback_ice,
    loopback_rtc_configuration,
)
from rxjanus.transports.base import ConnectionEvent, ConnectionState
from rxjanus.transports.unix import MAX_REQUEST_SIZE, JanusTransportUnix, unix_socket_path

from .helpers import Recorder


@pytest.fixture(scope="module", autouse=True)
def _registered() -> None:
    # Until rxjanus.transports registers it: idempotent once it does.
    register_transport(JanusTransportUnix)


@pytest.fixture
def socket_path(janus: JanusServer) -> Path:
    path = janus.unix_path
    if path is None:
        pytest.skip("the Janus work dir is too long for a Unix socket path")
    return path


@pytest.fixture(params=["unix://", "unix:"], ids=["unix-triple-slash", "unix-single-slash"])
def unix_url(request: pytest.FixtureRequest, socket_path: Path) -> str:
    """The server's Unix socket, as ``unix:///abs/path`` and as ``unix:/abs/path``."""
    return f"{request.param}{socket_path}"


@pytest.fixture(autouse=True)
def _no_session_left(janus: JanusServer) -> Iterator[None]:
    yield
    assert janus.list_sessions() == []


# -- URLs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("unix:///run/janus/janus.sock", "/run/janus/janus.sock"),
        ("unix:/run/janus/janus.sock", "/run/janus/janus.sock"),
        ("UNIX:///tmp/my%20dir/janus.sock", "/tmp/my dir/janus.sock"),
    ],
)
def test_socket_path_from_url(url: str, path: str) -> None:
    assert unix_socket_path(url) == path
    assert JanusTransportUnix(url).path == path


@pytest.mark.parametrize("url", ["unix://host/janus.sock", "unix:", "unix://", "ws:///x.sock"])
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="unix"):
        JanusTransportUnix(url)


# -- against the real Janus -----------------------------------------------------------


async def test_session_create_keepalive_info_destroy(unix_url: str, janus: JanusServer) -> None:
    async with JanusTransportUnix(unix_url) as transport:
        assert transport.connected
        info = await transport.info()
        assert info["janus"] == "server_info"
        assert info["server-name"] == janus.server_name
        assert "janus.transport.pfunix" in info["transports"]
        assert (await transport.ping())["janus"] == "pong"
        session = JanusSession(transport=transport, keepalive_interval=None)
        await session.create()
        session_id = session.session_id
        assert session_id is not None
        assert session_id in janus.list_sessions()
        await session.keepalive()
        await session.destroy()
        assert session_id not in janus.list_sessions()
        assert transport.connected  # not the session's to close
    assert not transport.connected
    assert transport.pending_count == 0


async def test_session_from_a_unix_url_owns_its_transport(
    unix_url: str, janus: JanusServer
) -> None:
    async with JanusSession(base_url=unix_url, keepalive_interval=None) as session:
        assert isinstance(session.transport, JanusTransportUnix)
        assert janus.list_sessions() == [session.session_id]
        await session.keepalive()
    assert session.session_id is None
    assert not session.transport.connected


async def test_attach_and_plugin_event(socket_path: Path, janus: JanusServer) -> None:
    async with JanusSession(base_url=f"unix://{socket_path}") as session:
        plugin = JanusPlugin(plugin_id="janus.plugin.echotest")
        await plugin.attach(session)
        assert session.session_id is not None
        assert janus.list_handles(session.session_id) == [plugin.id]
        events = Recorder(plugin.events)
        reply = await plugin.send({"audio": True})
        assert reply["janus"] == "event"
        assert reply["plugindata"]["plugin"] == "janus.plugin.echotest"
        assert reply["plugindata"]["data"]["result"] == "ok"
        assert events.values == []  # our own reply is not also an event
    assert not plugin.attached
    assert events.completed


async def test_janus_error_reply_is_typed(socket_path: Path) -> None:
    async with JanusSession(base_url=f"unix://{socket_path}") as session:
        with pytest.raises(UnknownRequest) as caught:
            await session.send({"janus": "no-such-request"})
        assert caught.value.code == 453
        await session.keepalive()  # the session and the socket carry on


async def test_many_concurrent_requests_each_one_packet(socket_path: Path) -> None:
    async with JanusSession(base_url=f"unix://{socket_path}", keepalive_interval=None) as session:
        plugin = JanusPlugin(plugin_id="janus.plugin.echotest")
        await plugin.attach(session)
        replies, _ = await asyncio.gather(
            asyncio.gather(*(plugin.send({"audio": i % 2 == 0}) for i in range(100))),
            asyncio.gather(*(session.keepalive() for _ in range(100))),
        )
        assert len(replies) == 100
        assert all(r["plugindata"]["data"]["result"] == "ok" for r in replies)
        assert session.transport.pending_count == 0


async def test_oversized_request_fails_unsent_and_the_link_carries_on(socket_path: Path) -> None:
    async with JanusSession(base_url=f"unix://{socket_path}") as session:
        plugin = JanusPlugin(plugin_id="janus.plugin.echotest")
        await plugin.attach(session)
        with pytest.raises(TransportSpecificError, match=str(MAX_REQUEST_SIZE)) as caught:
            await plugin.send({"audio": True, "padding": "x" * MAX_REQUEST_SIZE})
        assert caught.value.code == 450
        assert session.transport.pending_count == 0
        assert (await plugin.send({"audio": True}))["plugindata"]["data"]["result"] == "ok"


async def test_missing_socket_is_server_unreachable_naming_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "no-janus-here.sock"
    session = JanusSession(base_url=f"unix://{missing}", max_retries=2, retry_delay=0.01)
    with pytest.raises(ConnectionError) as caught:
        async with session:
            pass
    assert isinstance(caught.value, ServerUnreachable)
    assert str(missing) in str(caught.value)
    assert "after 3 attempts" in str(caught.value)
    assert isinstance(caught.value.__cause__, FileNotFoundError)


async def test_a_socket_nobody_listens_on_is_server_unreachable(tmp_path: Path) -> None:
    path = tmp_path / "stale.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as stale:
        stale.bind(str(path))  # bound, never listening: what a crashed Janus leaves
    transport = JanusTransportUnix(f"unix://{path}", max_retries=0)
    with pytest.raises(ServerUnreachable, match="after 1 attempt: ") as caught:
        await transport.connect()
    assert isinstance(caught.value.__cause__, ConnectionRefusedError)
    await transport.close()


@pytest.mark.parametrize("trickle", [True, False], ids=["trickle", "full-gathering"])
async def test_echotest_returns_the_video_frames_sent(
    socket_path: Path, janus: JanusServer, tmp_path: Path, trickle: bool
) -> None:
    enable_loopback_ice()
    source = SyntheticVideoTrack(320, 240, fps=30)
    output = tmp_path / "output.mp4"
    async with JanusSession(base_url=f"unix://{socket_path}") as session:
        plugin = JanusEchoTestPlugin(pc_config=loopback_rtc_configuration(), trickle=trickle)
        await plugin.attach(session)
        received = Recorder(plugin.frames("video"))
        events = Recorder(plugin.events)
        await plugin.start(source, output, audio=False)
        await events.wait_value(lambda e: e.get("janus") == "webrtcup")
        await source.wait_sent(60)  # 2 s at 30 fps
        source.stop()
        sent = source.frames_sent
        await received.wait_for(lambda r: len(r.values) >= int(sent * 0.9), timeout=20)
        await plugin.close_stream()
        frames = received.values
    assert len(frames) >= 0.9 * sent
    assert all(isinstance(f, av.VideoFrame) for f in frames)
    assert (frames[-1].width, frames[-1].height) == (320, 240)
    assert janus.list_sessions() == []


# -- connection loss, with a fake Janus that answers only when told -------------------


class FakeJanus:
    """A ``SOCK_SEQPACKET`` listener: accepts clients, reads packets, answers on demand."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.listener.bind(str(path))
        self.listener.listen()
        self.listener.setblocking(False)
        self.clients: list[socket.socket] = []

    @property
    def url(self) -> str:
        return f"unix://{self.path}"

    async def accept(self) -> socket.socket:
        client, _ = await asyncio.get_running_loop().sock_accept(self.listener)
        client.setblocking(False)
        self.clients.append(client)
        return client

    @staticmethod
    async def receive(client: socket.socket) -> dict[str, Any]:
        """One packet: it must be one whole JSON request."""
        packet = await asyncio.get_running_loop().sock_recv(client, 1 << 20)
        request = json.loads(packet)
        assert isinstance(request, dict)
        return request

    @staticmethod
    async def answer(client: socket.socket, reply: dict[str, Any]) -> None:
        await asyncio.get_running_loop().sock_sendall(client, json.dumps(reply).encode())

    def close(self) -> None:
        for client in self.clients:
            client.close()
        self.listener.close()


@pytest.fixture
async def fake(tmp_path: Path) -> AsyncIterator[FakeJanus]:
    server = FakeJanus(tmp_path / "fake-janus.sock")
    yield server
    server.close()


async def test_close_fails_pending_requests_with_transport_closed(fake: FakeJanus) -> None:
    transport = JanusTransportUnix(fake.url, timeout=30)
    await transport.connect()
    client = await fake.accept()
    info = asyncio.create_task(transport.request(msg.info()))
    keepalive = asyncio.create_task(transport.request(msg.keepalive(1234)))
    received = {(await fake.receive(client))["janus"], (await fake.receive(client))["janus"]}
    assert received == {"info", "keepalive"}
    assert transport.pending_count == 2
    await transport.close()
    for task in (info, keepalive):
        with pytest.raises(TransportClosed):
            await task
    assert transport.pending_count == 0
    assert transport.state == "closed"
    # Closed by us: the fake sees the end of the stream.
    assert await asyncio.get_running_loop().sock_recv(client, 1 << 20) == b""


async def test_replies_are_matched_whatever_their_order(fake: FakeJanus) -> None:
    async with JanusTransportUnix(fake.url) as transport:
        client = await fake.accept()
        first = asyncio.create_task(transport.request(msg.info()))
        second = asyncio.create_task(transport.request(msg.ping()))
        one, two = await fake.receive(client), await fake.receive(client)
        for request in (two, one):  # answer the last first
            kind = "server_info" if request["janus"] == "info" else "pong"
            await fake.answer(client, {"janus": kind, "transaction": request["transaction"]})
        assert (await first)["janus"] == "server_info"
        assert (await second)["janus"] == "pong"


async def test_janus_closing_the_socket_without_reconnect_loses_the_connection(
    fake: FakeJanus,
) -> None:
    transport = JanusTransportUnix(fake.url, reconnect=False)
    lost: asyncio.Future[JanusError] = asyncio.get_running_loop().create_future()

    def on_lost(error: JanusError) -> None:
        if not lost.done():
            lost.set_result(error)

    transport.on_lost(on_lost)
    await transport.connect()
    client = await fake.accept()
    pending = asyncio.create_task(transport.request(msg.info()))
    await fake.receive(client)
    client.close()  # Janus goes away
    error = await asyncio.wait_for(lost, 5)
    assert isinstance(error, TransportClosed)
    assert str(fake.path) in str(error)
    with pytest.raises(TransportClosed):
        await pending
    assert not transport.connected
    await transport.close()


async def test_janus_closing_the_socket_reconnects(fake: FakeJanus) -> None:
    transport = JanusTransportUnix(fake.url, retry_delay=0.01)
    events: asyncio.Queue[ConnectionEvent] = asyncio.Queue()
    transport.add_listener(events.put_nowait)
    async with transport:
        (await fake.accept()).close()  # the first link drops
        assert (await asyncio.wait_for(events.get(), 5)).state is ConnectionState.RECONNECTING
        client = await fake.accept()
        assert (await asyncio.wait_for(events.get(), 5)).state is ConnectionState.RECONNECTED
        ping = asyncio.create_task(transport.request(msg.ping()))
        request = await fake.receive(client)
        await fake.answer(client, {"janus": "pong", "transaction": request["transaction"]})
        assert (await ping)["janus"] == "pong"
