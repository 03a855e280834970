"""JanusSession against the real Janus, over WebSocket and HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from rxjanus import (
    JanusPlugin,
    JanusSession,
    PluginAttachFail,
    PluginError,
    ServerUnreachable,
    SessionLost,
    TransportClosed,
)
from rxjanus.exceptions import InvalidStateError, UnknownRequest
from rxjanus.testing import JanusServer

from .helpers import Recorder


async def test_async_with_creates_and_destroys_the_session(url: str, janus: JanusServer) -> None:
    async with JanusSession(base_url=url) as session:
        assert session.session_id in janus.list_sessions()
        session_id = session.session_id
    assert session_id not in janus.list_sessions()
    assert session.session_id is None
    assert not session.transport.connected


async def test_create_and_destroy_are_idempotent(url: str, janus: JanusServer) -> None:
    session = JanusSession(base_url=url)
    await session.destroy()  # before create: nothing to do
    await session.create()
    first = session.session_id
    await session.create()
    assert session.session_id == first
    assert janus.list_sessions().count(first) == 1
    await session.destroy()
    await session.destroy()
    assert first not in janus.list_sessions()


async def test_concurrent_creates_make_one_session(url: str, janus: JanusServer) -> None:
    session = JanusSession(base_url=url)
    try:
        await asyncio.gather(*(session.create() for _ in range(5)))
        assert session.session_id in janus.list_sessions()
        assert len(janus.list_sessions()) == 1
    finally:
        await session.destroy()


async def test_transport_info_and_ping(url: str, janus: JanusServer) -> None:
    async with JanusSession(base_url=url) as session:
        info = await session.transport.info()
        assert info["janus"] == "server_info"
        assert info["server-name"] == janus.server_name
        assert "janus.plugin.echotest" in info["plugins"]
        pong = await session.transport.ping()
        assert pong["janus"] == "pong"


async def test_keepalive_is_acknowledged(url: str) -> None:
    async with JanusSession(base_url=url, keepalive_interval=None) as session:
        await session.keepalive()  # one keepalive, acked, returns


async def test_background_keepalive_keeps_a_short_lived_session(
    short_timeout_janus: JanusServer,
) -> None:
    url = short_timeout_janus.ws_url
    async with JanusSession(base_url=url, keepalive_interval=0.3) as session:
        events = Recorder(session.events)
        watched = JanusSession(base_url=url, keepalive_interval=None)
        await watched.create()
        watched_events = Recorder(watched.events)
        # The unkept session times out on the server; the kept one is still there then.
        await watched_events.wait_for(lambda r: r.ended, timeout=15)
        assert session.session_id in short_timeout_janus.list_sessions()
        assert events.values == []
        await watched.destroy()


async def test_server_timeout_is_an_event_then_session_lost(
    short_timeout_janus: JanusServer,
) -> None:
    session = JanusSession(base_url=short_timeout_janus.ws_url, keepalive_interval=None)
    await session.create()
    events = Recorder(session.events)
    await events.wait_for(lambda r: r.ended, timeout=15)
    assert events.kinds() == ["timeout"]
    assert isinstance(events.error, SessionLost)
    with pytest.raises(SessionLost):
        await session.keepalive()
    await session.destroy()  # safe after the loss
    assert short_timeout_janus.list_sessions() == []


async def test_unreachable_server_raises_connection_error_naming_the_url(
    unused_tcp_port_url: str,
) -> None:
    session = JanusSession(base_url=unused_tcp_port_url, max_retries=2, retry_delay=0.2)
    with pytest.raises(ConnectionError) as caught:
        async with session:
            pass
    assert isinstance(caught.value, ServerUnreachable)
    assert unused_tcp_port_url in str(caught.value)
    assert "after 3 attempts" in str(caught.value)


async def test_attach_then_exit_detaches_every_handle(url: str, janus: JanusServer) -> None:
    async with JanusSession(base_url=url) as session:
        plugin = JanusPlugin(plugin_id="janus.plugin.echotest")
        await plugin.attach(session)
        assert session.session_id is not None
        assert janus.list_handles(session.session_id) == [plugin.id]
        events = Recorder(plugin.events)
    assert not plugin.attached
    assert events.completed
    assert janus.list_sessions() == []


async def test_attach_unknown_plugin_raises_plugin_attach_fail(url: str) -> None:
    async with JanusSession(base_url=url) as session:
        with pytest.raises(PluginAttachFail) as caught:
            await JanusPlugin(plugin_id="janus.plugin.nosuchthing").attach(session)
    assert caught.value.code == 460
    assert "janus.plugin.nosuchthing" in str(caught.value)


async def test_plugin_request_and_plugin_error(url: str) -> None:
    async with JanusSession(base_url=url) as session:
        plugin = JanusPlugin(plugin_id="janus.plugin.videoroom")
        await plugin.attach(session)
        data = await plugin.request({"request": "exists", "room": 987654321})
        assert data == {"videoroom": "success", "room": 987654321, "exists": False}
        with pytest.raises(PluginError) as caught:
            await plugin.request({"request": "destroy", "room": 987654321})
        assert caught.value.code == 426
        assert caught.value.plugin == "janus.plugin.videoroom"
        await plugin.detach()
        await plugin.detach()  # idempotent
        with pytest.raises(InvalidStateError):
            await plugin.request({"request": "list"})


async def test_asynchronous_plugin_event_resolves_the_request(url: str) -> None:
    # EchoTest answers with an ack, then an event (over HTTP via the long poll).
    async with JanusSession(base_url=url) as session:
        plugin = JanusPlugin(plugin_id="janus.plugin.echotest")
        await plugin.attach(session)
        events = Recorder(plugin.events)
        reply = await plugin.send({"audio": False})
        assert reply["janus"] == "event"
        assert reply["plugindata"]["data"]["result"] == "ok"
        assert events.values == []  # our own reply is not also an event


async def test_janus_error_reply_is_typed(url: str) -> None:
    async with JanusSession(base_url=url) as session:
        with pytest.raises(UnknownRequest) as caught:
            await session.send({"janus": "no-such-request"})
        assert caught.value.code == 453


async def test_unencodable_body_fails_before_sending(url: str) -> None:
    async with JanusSession(base_url=url) as session:
        plugin = JanusPlugin(plugin_id="janus.plugin.echotest")
        await plugin.attach(session)
        with pytest.raises(TypeError, match="JSON"):
            await plugin.send({"request": object()})
        assert session.transport.pending_count == 0
        assert (await plugin.send({"audio": True}))["plugindata"]["data"]["result"] == "ok"


async def test_sessions_on_one_shared_transport_are_independent(janus: JanusServer) -> None:
    from rxjanus import create_transport

    transport = create_transport(janus.ws_url)
    async with transport:
        first = JanusSession(transport=transport)
        second = JanusSession(transport=transport)
        await first.create()
        await second.create()
        await first.destroy()
        assert transport.connected  # not ours to close
        await second.keepalive()
        assert janus.list_sessions() == [second.session_id]
        await second.destroy()


# With reconnect (the default) the session first tries to reconnect and reclaim; the
# one reconnection attempt (max_retries=0) fails, so the cause is ServerUnreachable.
@pytest.mark.parametrize(
    ("reconnect", "kinds", "cause"),
    [
        (True, ["reconnecting", "transport_lost"], ServerUnreachable),
        (False, ["transport_lost"], TransportClosed),
    ],
    ids=["reconnect", "no-reconnect"],
)
async def test_lost_server_fails_pending_requests_and_ends_the_session(
    reconnect: bool, kinds: list[str], cause: type[Exception]
) -> None:
    with JanusServer(loopback_ice=False) as server:
        session = JanusSession(
            base_url=server.ws_url, keepalive_interval=None, max_retries=0, reconnect=reconnect
        )
        await session.create()
        events = Recorder(session.events)
        plugin = JanusPlugin(plugin_id="janus.plugin.echotest")
        await plugin.attach(session)
        plugin_events = Recorder(plugin.events)
        server.stop()
        await events.wait_for(lambda r: r.ended)
        assert events.kinds() == kinds
        assert isinstance(events.error, SessionLost)
        assert isinstance(events.error.__cause__, cause)
        await plugin_events.wait_for(lambda r: r.ended)
        assert isinstance(plugin_events.error, SessionLost)
        with pytest.raises(SessionLost):
            await session.keepalive()
        await session.destroy()


@pytest.fixture(scope="module")
def short_timeout_janus() -> Iterator[JanusServer]:
    with JanusServer(session_timeout=1, loopback_ice=False) as server:
        yield server
