"""janus_client 0.9's session API, written the janus_client way, on the real Janus.

Each test is janus_client code (its tests/test_transport.py and docs/session.md
show the usage) with only the import changed: ``janus_client`` -> ``rxjanus``.
It runs over WebSocket and over HTTP.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import pytest

from rxjanus import JanusEchoTestPlugin, JanusPlugin, JanusSession, JanusTransport
from rxjanus.janus_client.message_transaction import MessageTransaction, is_subset
from rxjanus.janus_client.session import PluginAttachFail
from rxjanus.testing import JanusServer

from .helpers import Recorder

API_SECRET = "compat-api-secret"


@pytest.fixture(scope="module")
def secret_janus() -> Iterator[JanusServer]:
    """A Janus with an ``api_secret``, for janus_client's authentication usage."""
    with JanusServer(api_secret=API_SECRET, loopback_ice=False) as server:
        yield server


async def test_send_returns_a_transaction_to_get_the_ack_from(url: str, janus: JanusServer) -> None:
    # janus_client tests/test_transport.py, test_session
    transport = JanusTransport.create_transport(base_url=url, api_secret="")
    await transport.connect()
    session = JanusSession(transport=transport)

    message_transaction = await session.send({"janus": "keepalive"})
    response = await message_transaction.get({"janus": "ack"})
    await message_transaction.done()
    assert response["janus"] == "ack"
    assert session.session_id in janus.list_sessions()

    await session.destroy()
    await transport.disconnect()
    assert session.session_id is None
    assert janus.list_sessions() == []


async def test_the_transaction_is_also_the_reply_and_holds_what_janus_sent(url: str) -> None:
    async with JanusSession(url) as session:
        echo = JanusPlugin(plugin_id="janus.plugin.echotest")
        await echo.attach(session)
        tx = await session.send({"janus": "message", "body": {"audio": True}}, echo.id)
        assert isinstance(tx, MessageTransaction)
        # rxjanus's face: it is the reply.
        assert tx["janus"] == "event"
        assert tx.get("plugindata", {})["data"]["result"] == "ok"
        # janus_client's face: every message of the transaction, by matcher.
        ack = await tx.get({"janus": "ack"}, 5)
        event = await tx.get(lambda message: message["janus"] == "event", timeout=5)
        assert ack["transaction"] == event["transaction"] == tx.id
        assert is_subset(event, {"plugindata": {"plugin": "janus.plugin.echotest"}})
        # Nothing else will come for it: asking for more fails at once, with a TimeoutError.
        with pytest.raises(TimeoutError, match="complete"):
            await tx.get({"janus": "success"}, None)
        with pytest.raises(TypeError, match="matcher must be callable or dictionary"):
            tx.get(42)  # type: ignore[call-overload]
        await tx.done()


async def test_session_with_custom_transport_options(url: str) -> None:
    # docs/session.md, "Session with Custom Transport Options"
    session = JanusSession(
        base_url=url,
        timeout=30.0,
        max_retries=3,
        retry_delay=1.0,
        keepalive_interval=30,
    )
    async with session:
        info = await session.transport.info()
        assert info["name"] == "Janus WebRTC Server"
        await session.keepalive()
        ping_response = await session.transport.ping()  # docs/transport.md
        assert ping_response["janus"] == "pong"


async def test_manual_session_management(url: str, janus: JanusServer) -> None:
    # docs/session.md, "Manual Session Management" (with the EchoTest)
    session = JanusSession(base_url=url)
    await session.create()
    assert session.created
    plugin = JanusEchoTestPlugin()
    await plugin.attach(session)
    assert session.plugin_handles[plugin.id] is plugin
    await plugin.destroy()
    assert plugin.id not in session.plugin_handles
    await session.destroy()
    assert not session.created
    assert janus.list_sessions() == []


@pytest.mark.parametrize("kind", ["ws", "http"])
async def test_authentication_failure_and_success(kind: str, secret_janus: JanusServer) -> None:
    # janus_client tests/test_transport.py, test_session_fail_auth: the secret positionally
    url = secret_janus.ws_url if kind == "ws" else secret_janus.http_url
    session = JanusSession(url)
    with pytest.raises(Exception, match=re.escape("Create session fail: {'code': 403")):
        await session.create()
    await session.transport.disconnect()

    session = JanusSession(url, "asdewqzxc")
    with pytest.raises(Exception, match=re.escape("Create session fail: {'code': 403")):
        await session.create()
    await session.transport.disconnect()

    session = JanusSession(url, API_SECRET)
    await session.create()
    assert session.session_id in secret_janus.list_sessions()
    await session.destroy()


async def test_attach_failure_raises_plugin_attach_fail(url: str) -> None:
    class NoSuchPlugin(JanusPlugin):
        name = "janus.plugin.nosuchplugin"

    async with JanusSession(base_url=url) as session:
        plugin = NoSuchPlugin()
        expected = re.escape("Fail to attach plugin: {'code': 460")
        with pytest.raises(PluginAttachFail, match=expected):
            await plugin.attach(session)
        assert session.plugin_handles == {}


async def test_attach_plugin_and_detach_plugin(url: str, janus: JanusServer) -> None:
    async with JanusSession(base_url=url) as session:
        plugin = JanusEchoTestPlugin()
        with pytest.raises(Exception, match="Plugin not properly initialized"):
            session.detach_plugin(plugin)
        await plugin.attach(session)  # janus_client's attach calls session.attach_plugin
        handle_id = plugin.id
        assert handle_id is not None
        assert janus.list_handles(session.session_id) == [handle_id]
        # detach_plugin only forgets the handle locally, as in janus_client
        session.detach_plugin(plugin)
        assert handle_id not in session.plugin_handles
        with pytest.raises(KeyError):
            session.detach_plugin(plugin)
        assert janus.list_handles(session.session_id) == [handle_id]
        await plugin.destroy()
        assert janus.list_handles(session.session_id) == []

        other = JanusPlugin(plugin_id="janus.plugin.echotest")
        other_id = await session.attach_plugin(other)
        assert session.plugin_handles[other_id] is other
        assert other_id in janus.list_handles(session.session_id)
    assert janus.list_sessions() == []


async def test_on_receive_routes_a_message_like_janus_would(url: str) -> None:
    async with JanusSession(base_url=url) as session:
        plugin = JanusPlugin(plugin_id="janus.plugin.echotest")
        await plugin.attach(session)
        events = Recorder(plugin.events)
        message = {
            "janus": "event",
            "sender": plugin.id,
            "plugindata": {"plugin": "janus.plugin.echotest", "data": {"result": "compat"}},
        }
        await session.on_receive(message)
        await events.wait_for(lambda r: len(r.values) == 1)
        assert events.values[0]["plugindata"]["data"] == {"result": "compat"}
        assert events.values[0]["sender"] == plugin.id


async def test_send_drops_a_session_id_of_its_own(url: str, janus: JanusServer) -> None:
    async with JanusSession(base_url=url) as session:
        tx = await session.send({"janus": "keepalive", "session_id": 1})
        assert (await tx.get({"janus": "ack"}))["session_id"] == session.session_id
        with pytest.raises(ValueError, match='Must set "janus" field'):
            await session.send({"body": {}})


async def test_a_bare_transaction_is_fed_like_janus_client_feeds_it() -> None:
    tx = MessageTransaction()
    waiting = asyncio.ensure_future(tx.get({"janus": "event"}, timeout=5))
    tx.put_msg({"janus": "ack", "transaction": tx.id})
    tx.put_msg({"janus": "event", "transaction": tx.id, "plugindata": {}})
    assert (await waiting)["janus"] == "event"
    assert await tx.get({"janus": "ack"}) == {"janus": "ack", "transaction": tx.id}
    done: list[str] = []

    async def on_done() -> None:
        done.append(tx.id)

    tx.on_done = on_done  # type: ignore[method-assign]
    await tx.done()
    assert done == [tx.id]
    with pytest.raises(TimeoutError):
        await MessageTransaction().get({"janus": "ack"}, timeout=0.01)
