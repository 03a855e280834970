"""janus_client 0.9's transport API and extension point, the janus_client way, on the real Janus.

The custom transports here are written as janus_client's docs/transport.md says
(subclass `JanusTransport`, implement `_connect`, `_disconnect` and
`_send(message)`, hand what arrives to `receive`, register a protocol matcher);
one speaks WebSocket, the other HTTP with a long poll per session started from
`dispatch_session_created`, as janus_client's own HTTP transport does.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from rxjanus import JanusPlugin, JanusSession
from rxjanus.janus_client.transport import JanusTransport
from rxjanus.janus_client.transport_http import JanusTransportHTTP
from rxjanus.janus_client.transport_http import protocol_matcher as http_matcher
from rxjanus.janus_client.transport_websocket import JanusTransportWebsocket
from rxjanus.janus_client.transport_websocket import protocol_matcher as ws_matcher
from rxjanus.testing import JanusServer

from .helpers import Recorder


class MyWebsocketTransport(JanusTransport):
    """janus_client's extension point over a WebSocket (``compatws://``)."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(base_url, **kwargs)
        self.ws: ClientConnection | None = None
        self.reader: asyncio.Task[None] | None = None

    async def _connect(self) -> None:
        url = self.base_url.replace("compatws://", "ws://", 1)
        self.ws = await connect(url, subprotocols=[Subprotocol("janus-protocol")])
        self.reader = asyncio.create_task(self.read(self.ws))

    async def read(self, ws: ClientConnection) -> None:
        try:
            async for frame in ws:
                await self.receive(json.loads(frame))
        finally:
            self.connected = False  # as janus_client's transports say when the link ends

    async def _disconnect(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
            await asyncio.gather(self.reader, return_exceptions=True)
        if self.ws is not None:
            await self.ws.close()

    async def _send(self, message: dict[str, Any]) -> None:
        if self.ws is None:
            raise ConnectionError("Not connected")
        await self.ws.send(json.dumps(message))


class MyHttpTransport(JanusTransport):
    """janus_client's extension point over HTTP (``compathttp://``), polling each session."""

    def __init__(
        self, base_url: str, api_secret: str | None = None, token: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(base_url=base_url, api_secret=api_secret, token=token, **kwargs)
        self.root = base_url.replace("compathttp://", "http://", 1).rstrip("/")
        self.http: aiohttp.ClientSession | None = None
        self.polls: dict[int, asyncio.Task[None]] = {}
        self.created: list[int] = []
        self.destroyed: list[int] = []

    async def _connect(self) -> None:
        self.http = aiohttp.ClientSession()

    async def _disconnect(self) -> None:
        for poll in self.polls.values():
            poll.cancel()
        await asyncio.gather(*self.polls.values(), return_exceptions=True)
        self.polls.clear()
        if self.http is not None:
            await self.http.close()

    async def _send(self, message: dict[str, Any]) -> None:
        assert self.http is not None
        url = self.root
        if "session_id" in message:
            url += f"/{message['session_id']}"
            if "handle_id" in message:
                url += f"/{message['handle_id']}"
        async with self.http.post(url, json=message) as response:
            await self.receive(await response.json())

    async def dispatch_session_created(self, session_id: int) -> None:
        self.created.append(session_id)
        self.polls[session_id] = asyncio.create_task(self.poll(session_id))

    async def dispatch_session_destroyed(self, session_id: int) -> None:
        self.destroyed.append(session_id)
        poll = self.polls.pop(session_id)
        poll.cancel()
        await asyncio.gather(poll, return_exceptions=True)

    async def poll(self, session_id: int) -> None:
        assert self.http is not None
        while True:
            async with self.http.get(f"{self.root}/{session_id}") as response:
                message = await response.json()
            if message["janus"] != "keepalive":
                await self.receive(message)


JanusTransport.register_transport(lambda url: url.startswith("compatws://"), MyWebsocketTransport)
JanusTransport.register_transport(
    protocol_matcher=lambda url: url.startswith("compathttp://"), transport_cls=MyHttpTransport
)


def custom_url(url: str) -> str:
    return "compat" + url


async def test_create_transport_picks_the_transport_by_url(url: str) -> None:
    # janus_client tests/test_transport.py: test_sanity, test_info
    transport = JanusTransport.create_transport(
        base_url=url, api_secret=None, token=None, config={}
    )
    expected = JanusTransportWebsocket if url.startswith("ws") else JanusTransportHTTP
    assert type(transport) is expected
    assert ws_matcher(url) == (expected is JanusTransportWebsocket)
    assert http_matcher(url) == (expected is JanusTransportHTTP)
    await transport.connect()
    assert transport.connected
    response = await transport.ping()
    assert response["janus"] == "pong"
    response = await transport.info()
    assert response["janus"] == "server_info"
    assert response["name"] == "Janus WebRTC Server"
    tx = await transport.send({"janus": "info"})
    assert (await tx.get())["janus"] == "server_info"
    await tx.done()
    await transport.disconnect()
    assert not transport.connected


async def test_create_session_through_the_transport(url: str, janus: JanusServer) -> None:
    transport = JanusTransport.create_transport(base_url=url)
    session = JanusSession(transport=transport)
    session_id = await transport.create_session(session)
    assert session_id == session.session_id
    assert session_id in janus.list_sessions()
    await session.destroy()
    await transport.disconnect()
    assert janus.list_sessions() == []


async def test_a_custom_transport_written_for_janus_client_runs_a_session(
    url: str, janus: JanusServer
) -> None:
    session = JanusSession(base_url=custom_url(url))
    transport = session.transport
    assert type(transport) is (MyWebsocketTransport if url.startswith("ws") else MyHttpTransport)
    async with session:
        session_id = session.session_id
        assert session_id in janus.list_sessions()
        message_transaction = await session.send({"janus": "keepalive"})
        assert (await message_transaction.get({"janus": "ack"}, 5))["janus"] == "ack"
        await message_transaction.done()

        plugin = JanusPlugin(plugin_id="janus.plugin.echotest")
        await plugin.attach(session)
        assert janus.list_handles(session_id) == [plugin.id]
        # Over HTTP the plugin's event comes through the custom long poll.
        reply = await plugin.send({"audio": False})
        assert reply["plugindata"]["data"]["result"] == "ok"
        info = await transport.info()
        assert info["janus"] == "server_info"
    assert janus.list_sessions() == []
    assert not transport.connected
    if isinstance(transport, MyHttpTransport):
        assert transport.created == [session_id]
        assert transport.destroyed == [session_id]
        assert transport.polls == {}
    else:
        assert isinstance(transport, MyWebsocketTransport)
        assert transport.reader is not None
        assert transport.reader.done()


async def test_a_custom_transport_without_send_cannot_be_made() -> None:
    class Incomplete(JanusTransport):
        async def _connect(self) -> None:
            pass

        async def _disconnect(self) -> None:
            pass

    with pytest.raises(TypeError, match="Can't instantiate abstract class Incomplete"):
        Incomplete(base_url="compatnone://127.0.0.1")


def test_urls_no_transport_or_two_transports_match() -> None:
    with pytest.raises(Exception, match="No protocol matched"):
        JanusTransport.create_transport(base_url="nothing://127.0.0.1")
    ambiguous = f"ws://127.0.0.1:1/{uuid.uuid4().hex}"
    JanusTransport.register_transport(lambda url: url == ambiguous, MyWebsocketTransport)
    with pytest.raises(Exception, match="Matched to more than 1 protocol"):
        JanusTransport.create_transport(base_url=ambiguous)


@pytest.fixture(scope="module")
def reclaim_janus() -> Iterator[JanusServer]:
    """A Janus that keeps a session 10 s after its connection drops, to be claimed."""
    with JanusServer(reclaim_session_timeout=10, loopback_ice=False) as server:
        yield server


async def test_a_custom_transport_that_reports_its_link_lost_is_reconnected(
    reclaim_janus: JanusServer,
) -> None:
    session = JanusSession(base_url=custom_url(reclaim_janus.ws_url))
    async with session:
        transport = session.transport
        assert isinstance(transport, MyWebsocketTransport)
        events = Recorder(session.events)
        first = transport.ws
        assert first is not None
        await first.close()  # the link drops: the reader ends and says so
        await events.wait_for(lambda r: "reconnected" in r.kinds() or r.ended)
        assert events.kinds() == ["reconnecting", "reconnected"]
        assert transport.ws is not first
        assert transport.connected
        tx = await session.send({"janus": "keepalive"})
        assert tx["session_id"] == session.session_id
        assert reclaim_janus.list_sessions() == [session.session_id]
    assert reclaim_janus.list_sessions() == []
