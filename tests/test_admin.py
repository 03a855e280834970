"""The Admin/Monitor API client against the real Janus, over HTTP and WebSocket.

Global settings (timeouts, log level, accepting sessions, tokens) are changed on a
private Janus with stored-token authentication, never on the suite's shared one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import socket
import struct
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from aioice import stun
from reactivex import Observable
from reactivex.testing import ReactiveTest, TestScheduler
from websockets.asyncio.server import ServerConnection, serve
from websockets.typing import Subprotocol

from rxjanus import aio
from rxjanus.admin import (
    ADMIN_SUBPROTOCOL,
    JanusAdminMonitorClient,
    ResolvedAddress,
    ServerSnapshot,
    poll_changes,
)
from rxjanus.exceptions import (
    HandleNotFound,
    InvalidElementType,
    JanusApiError,
    JanusTimeoutError,
    NotAcceptingSessions,
    PluginAttachFail,
    PluginError,
    PluginNotFound,
    ServerUnreachable,
    SessionLost,
    SessionNotFound,
    TransportClosed,
    Unauthorized,
    UnknownJanusError,
)
from rxjanus.janus_session import JanusSession
from rxjanus.plugins.base import JanusPlugin
from rxjanus.plugins.echotest import JanusEchoTestPlugin
from rxjanus.protocol import Expect, JanusProtocol, Request
from rxjanus.testing import (
    JanusServer,
    SyntheticVideoTrack,
    enable_loopback_ice,
    loopback_rtc_configuration,
)
from rxjanus.transports import JanusTransportWebsocket

from .helpers import Recorder
from .proxy import FaultyProxy, port_of

on_next, on_completed, on_error = (
    ReactiveTest.on_next,
    ReactiveTest.on_completed,
    ReactiveTest.on_error,
)
subscribe = ReactiveTest.subscribe

ECHOTEST = "janus.plugin.echotest"
VIDEOROOM = "janus.plugin.videoroom"

# Every request janus_process_incoming_admin_request handles in Janus 1.1.2 (src/janus.c).
JANUS_ADMIN_REQUESTS = {
    "info", "ping", "get_status", "set_session_timeout", "set_log_level",
    "set_locking_debug", "set_refcount_debug", "set_log_timestamps", "set_log_colors",
    "set_libnice_debug", "set_min_nack_queue", "set_nack_optimizations",
    "set_no_media_timer", "set_slowlink_threshold", "accept_new_sessions",
    "message_plugin", "query_transport", "query_eventhandler", "query_logger",
    "custom_event", "custom_logline", "list_sessions", "add_token", "list_tokens",
    "allow_token", "disallow_token", "remove_token", "resolve_address", "test_stun",
    "loops_info", "destroy_session", "list_handles", "detach_handle", "hangup_webrtc",
    "start_pcap", "start_text2pcap", "stop_pcap", "stop_text2pcap", "handle_info",
}  # fmt: skip


def admin_url_of(server: JanusServer, kind: str) -> str:
    return server.admin_http_url if kind == "http" else server.admin_ws_url


@pytest.fixture(params=["http", "ws"])
def admin_kind(request: pytest.FixtureRequest) -> str:
    """Which Admin API transport a test uses: once HTTP, once WebSocket."""
    return str(request.param)


@pytest.fixture
async def admin(janus: JanusServer, admin_kind: str) -> AsyncIterator[JanusAdminMonitorClient]:
    """A connected client of the shared Janus's Admin API."""
    async with JanusAdminMonitorClient(admin_url_of(janus, admin_kind), janus.admin_secret) as c:
        yield c


@pytest.fixture(scope="module")
def private_janus() -> Iterator[JanusServer]:
    """A Janus of this module's own, with stored tokens, for global settings and tokens."""
    with JanusServer(token_auth=True, loopback_ice=False) as server:
        yield server
        left = asyncio.run(sessions_on(server))
        assert left == [], f"the tests left sessions on the private Janus: {left}"


async def sessions_on(server: JanusServer) -> list[int]:
    async with JanusAdminMonitorClient(server.admin_ws_url, server.admin_secret) as client:
        return await client.list_sessions()


@pytest.fixture
async def private_admin(
    private_janus: JanusServer, admin_kind: str
) -> AsyncIterator[JanusAdminMonitorClient]:
    url = admin_url_of(private_janus, admin_kind)
    async with JanusAdminMonitorClient(url, private_janus.admin_secret) as client:
        yield client


@pytest.fixture(params=["ws", "http"])
def url_kind(request: pytest.FixtureRequest) -> str:
    """Which Janus API transport a session uses on the private Janus."""
    return str(request.param)


async def create_fails(url: str, **options: Any) -> JanusApiError:
    """Try to create a session that Janus must refuse; return the typed error."""
    session = JanusSession(url, **options)
    try:
        with pytest.raises(JanusApiError) as refused:
            await session.create()
    finally:
        await session.destroy()  # closes the transport it made
    return refused.value


# -- coverage of the Janus Admin API ------------------------------------------------


def test_every_janus_admin_request_has_a_method() -> None:
    assert set(JanusAdminMonitorClient.janus_requests) == JANUS_ADMIN_REQUESTS
    for method in JanusAdminMonitorClient.janus_requests.values():
        assert callable(getattr(JanusAdminMonitorClient, method))


def test_janus_client_names_are_kept() -> None:
    # janus_client 0.9's JanusAdminMonitorClient methods.
    for name in (
        "connect", "disconnect", "ping", "info", "loops_info", "get_settings",
        "set_session_timeout", "set_log_level", "set_log_timestamps", "set_log_colors",
        "set_locking_debug", "set_refcount_debug", "set_libnice_debug", "set_min_nack_queue",
        "set_no_media_timer", "set_slowlink_threshold", "list_tokens", "add_token",
        "remove_token", "allow_token", "disallow_token",
    ):  # fmt: skip
        assert callable(getattr(JanusAdminMonitorClient, name)), name


def test_the_protocol_adds_the_admin_secret_only_to_authenticated_requests() -> None:
    protocol: JanusProtocol[object, object] = JanusProtocol(admin_secret="adm1n")
    sent = json.loads(protocol.send(Request({"janus": "list_sessions"}, Expect.SUCCESS), 1).text)
    assert sent["admin_secret"] == "adm1n"
    assert "apisecret" not in sent
    assert "token" not in sent
    ping = json.loads(protocol.send(Request({"janus": "ping"}, Expect.PONG, False), 2).text)
    assert "admin_secret" not in ping


# -- server ---------------------------------------------------------------------------


async def test_info_ping_status_and_loops(
    admin: JanusAdminMonitorClient, janus: JanusServer
) -> None:
    info = await admin.info()
    assert info["janus"] == "server_info"
    assert info["server-name"] == janus.server_name
    assert ECHOTEST in info["plugins"]
    assert (await admin.ping())["janus"] == "pong"
    status = await admin.get_status()
    assert status["session_timeout"] == info["session-timeout"]
    assert status["token_auth"] is False
    assert await admin.get_settings() == status
    assert await admin.loops_info() == []  # no static event loops configured
    assert "connected" in repr(admin)


async def test_info_and_ping_need_no_secret_but_the_rest_does(
    janus: JanusServer, admin_kind: str
) -> None:
    async with JanusAdminMonitorClient(admin_url_of(janus, admin_kind), "wrong") as client:
        assert (await client.ping())["janus"] == "pong"
        assert (await client.info())["server-name"] == janus.server_name
        with pytest.raises(Unauthorized) as refused:
            await client.list_sessions()
        with pytest.raises(Unauthorized):
            await client.get_status()
    assert refused.value.code == 403
    assert isinstance(refused.value, JanusApiError)


async def test_no_secret_at_all_is_unauthorized(janus: JanusServer, admin_kind: str) -> None:
    async with JanusAdminMonitorClient(admin_url_of(janus, admin_kind)) as client:
        with pytest.raises(Unauthorized):
            await client.list_sessions()


@pytest.mark.parametrize("scheme", ["http", "ws"])
async def test_an_unreachable_server_is_a_connection_error_naming_the_url(scheme: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/admin" if scheme == "http" else f"ws://127.0.0.1:{port}"
    client = JanusAdminMonitorClient(url, "s3cret-admin", max_retries=1, retry_delay=0.01)
    with pytest.raises(ServerUnreachable) as failed:
        await client.list_sessions()
    await client.close()
    assert isinstance(failed.value, ConnectionError)
    assert url in str(failed.value)
    assert "s3cret-admin" not in str(failed.value)


async def test_a_silent_server_is_a_timeout_error() -> None:
    received: list[dict[str, Any]] = []

    async def silent(connection: ServerConnection) -> None:
        async for frame in connection:
            received.append(json.loads(frame))

    async with serve(
        silent, "127.0.0.1", 0, subprotocols=[Subprotocol(ADMIN_SUBPROTOCOL)]
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        async with JanusAdminMonitorClient(f"ws://127.0.0.1:{port}", "k", timeout=0.3) as client:
            with pytest.raises(JanusTimeoutError) as late:
                await client.list_sessions()
            assert client.transport.pending_count == 0
    assert isinstance(late.value, TimeoutError)
    assert received[0]["janus"] == "list_sessions"
    assert received[0]["admin_secret"] == "k"


# -- sessions and handles ---------------------------------------------------------------


async def test_sessions_and_handles_are_listed_while_they_live(
    admin: JanusAdminMonitorClient, url: str
) -> None:
    async with JanusSession(url) as session:
        handle = JanusPlugin(plugin_id=ECHOTEST)
        await handle.attach(session)
        session_id, handle_id = session.session_id, handle.id
        assert session_id is not None
        assert handle_id is not None
        assert session_id in await admin.list_sessions()
        assert await admin.list_handles(session_id) == [handle_id]
        info = await admin.handle_info(session_id, handle_id)
        assert info["plugin"] == ECHOTEST
        assert info["handle_id"] == handle_id
        assert "flags" in info
        assert info["session_transport"] in ("janus.transport.http", "janus.transport.websockets")
        only = await admin.handle_info(session_id, handle_id, plugin_only=True)
        assert only["plugin"] == ECHOTEST
        assert "flags" not in only
        snapshot = await admin.snapshot(handles=True)
        assert snapshot.handles[session_id] == (handle_id,)
        assert session_id in snapshot
        with pytest.raises(HandleNotFound):
            await admin.handle_info(session_id, handle_id + 1)
    assert session_id not in await admin.list_sessions()
    with pytest.raises(SessionNotFound):
        await admin.list_handles(session_id)
    with pytest.raises(SessionNotFound):
        await admin.handle_info(session_id, handle_id)


async def test_destroy_session_ends_the_clients_session(
    admin: JanusAdminMonitorClient, url: str
) -> None:
    session = JanusSession(url, keepalive_interval=None)
    await session.create()
    handle = JanusPlugin(plugin_id=ECHOTEST)
    await handle.attach(session)
    session_events = Recorder(session.events)
    handle_events = Recorder(handle.events)
    session_id = session.session_id
    assert session_id is not None
    try:
        await admin.destroy_session(session_id)
        assert session_id not in await admin.list_sessions()
        # Over HTTP the long poll learns it at once; over WebSocket the next request does.
        with contextlib.suppress(SessionNotFound, SessionLost):
            await session.keepalive()
        await session_events.wait_for(lambda r: r.ended, timeout=30)
        assert isinstance(session_events.error, SessionLost)
        assert isinstance(handle_events.error, SessionLost)
        assert not session.created
        with pytest.raises(SessionNotFound):
            await admin.destroy_session(session_id)
    finally:
        await session.destroy()


async def test_detach_handle_completes_the_handles_events(
    admin: JanusAdminMonitorClient, url: str
) -> None:
    async with JanusSession(url) as session:
        handle = JanusPlugin(plugin_id=ECHOTEST)
        await handle.attach(session)
        events = Recorder(handle.events)
        session_id, handle_id = session.session_id, handle.id
        assert session_id is not None
        assert handle_id is not None
        await admin.detach_handle(session_id, handle_id)
        await events.wait_for(lambda r: r.ended, timeout=30)
        assert events.completed
        assert events.kinds()[-1] == "detached"
        assert not handle.attached
        assert await admin.list_handles(session_id) == []
        assert session_id in await admin.list_sessions()  # the session lives on
        with pytest.raises(HandleNotFound):
            await admin.detach_handle(session_id, handle_id)


async def test_pcap_and_text2pcap_dump_a_handles_media(
    janus: JanusServer, admin: JanusAdminMonitorClient, tmp_path: Path
) -> None:
    enable_loopback_ice()
    source = SyntheticVideoTrack(320, 240, fps=30)
    async with JanusSession(janus.ws_url) as session:
        echo = JanusEchoTestPlugin(pc_config=loopback_rtc_configuration())
        await echo.attach(session)
        session_id, handle_id = session.session_id, echo.id
        assert session_id is not None
        assert handle_id is not None
        frames = Recorder(echo.frames("video"))
        events = Recorder(echo.events)
        await echo.start(source, audio=False)
        await admin.start_pcap(session_id, handle_id, folder=str(tmp_path), filename="rtp.pcap")
        with pytest.raises(UnknownJanusError, match="already started"):
            await admin.start_pcap(session_id, handle_id, folder=str(tmp_path))
        await frames.wait_for(lambda r: len(r.values) >= 30, timeout=30)
        await admin.stop_pcap(session_id, handle_id)
        with pytest.raises(UnknownJanusError, match="not started"):
            await admin.stop_pcap(session_id, handle_id)
        await admin.start_text2pcap(
            session_id, handle_id, folder=str(tmp_path), filename="rtp.txt", truncate=64
        )
        seen = len(frames.values)
        await frames.wait_for(lambda r: len(r.values) >= seen + 30, timeout=30)
        await admin.stop_text2pcap(session_id, handle_id)
        # hangup_webrtc: Janus tears the PeerConnection down; the handle is told.
        await admin.hangup_webrtc(session_id, handle_id)
        await events.wait_for(lambda r: "hangup" in r.kinds(), timeout=30)
        hangup = next(e for e in events.values if e.get("janus") == "hangup")
        assert hangup["reason"] == "Admin API"
        assert (await admin.handle_info(session_id, handle_id))["plugin"] == ECHOTEST
        source.stop()
    packets = pcap_records(tmp_path / "rtp.pcap")
    assert packets >= 30  # at least one RTP packet per echoed frame, in and out
    lines = (tmp_path / "rtp.txt").read_text().splitlines()
    assert sum(1 for line in lines if line[:2] in ("I ", "O ")) >= 30


def pcap_records(path: Path) -> int:
    """Count the packet records of a pcap file (after its 24-byte global header)."""
    data = path.read_bytes()
    assert data[:4] in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4")  # the pcap magic number
    offset, count = 24, 0
    while offset + 16 <= len(data):
        (included,) = struct.unpack_from("<I", data, offset + 8)
        offset += 16 + included
        count += 1
    return count


# -- plugins, transports, event handlers, loggers ----------------------------------------


async def test_message_plugin_creates_lists_and_destroys_a_videoroom(
    admin: JanusAdminMonitorClient,
) -> None:
    room = secrets.randbelow(10**9) + 10**6
    created = await admin.message_plugin(
        VIDEOROOM, {"request": "create", "room": room, "description": "admin"}
    )
    assert created["videoroom"] == "created"
    try:
        listed = await admin.message_plugin(VIDEOROOM, {"request": "list"})
        rooms = {entry["room"]: entry for entry in listed["list"]}
        assert rooms[room]["description"] == "admin"
    finally:
        await admin.message_plugin(VIDEOROOM, {"request": "destroy", "room": room})
    listed = await admin.message_plugin(VIDEOROOM, {"request": "list"})
    assert room not in {entry["room"] for entry in listed["list"]}
    with pytest.raises(PluginError) as missing:
        await admin.message_plugin(VIDEOROOM, {"request": "destroy", "room": room})
    assert missing.value.code == 426  # no such room
    assert missing.value.plugin == VIDEOROOM
    with pytest.raises(PluginNotFound):
        await admin.message_plugin("janus.plugin.nosuch", {"request": "list"})


async def test_query_transport_counts_connections(
    admin: JanusAdminMonitorClient, admin_kind: str
) -> None:
    http = await admin.query_transport("janus.transport.http", {"request": "connections"})
    ws = await admin.query_transport("janus.transport.websockets", {"request": "connections"})
    assert http["result"] == ws["result"] == 200
    if admin_kind == "http":
        assert http["connections"]["admin_http"] >= 1
    else:
        assert ws["connections"] >= 1  # our admin WebSocket
    with pytest.raises(PluginNotFound):
        await admin.query_transport("janus.transport.nosuch")
    with pytest.raises(PluginError) as refused:
        await admin.query_transport("janus.transport.http", {"request": "nosuch"})
    assert refused.value.plugin == "janus.transport.http"


async def test_event_handlers_and_loggers_none_enabled(admin: JanusAdminMonitorClient) -> None:
    # The suite's Janus enables no event handler and no logger plugin: 460 for both.
    with pytest.raises(PluginNotFound) as handler:
        await admin.query_eventhandler("janus.eventhandler.sampleevh", {"request": "x"})
    with pytest.raises(PluginNotFound):
        await admin.query_logger("janus.logger.jsonlog", {"request": "x"})
    assert handler.value.code == 460
    # Janus takes a custom event even with no handler to hand it to.
    await admin.custom_event("rxjanus.test", {"hello": "admin"})
    assert (await admin.info())["event_handlers"] is False


async def test_custom_logline_reaches_the_log(tmp_path: Path, admin_kind: str) -> None:
    line = f"rxjanus custom logline {secrets.token_hex(6)}"
    with JanusServer(loopback_ice=False, workdir=tmp_path) as server:
        async with JanusAdminMonitorClient(
            admin_url_of(server, admin_kind), server.admin_secret
        ) as client:
            await client.custom_logline(line)
            await client.custom_logline(line + " verbose", level=7)  # above the log level
    log = (tmp_path / "janus.log").read_text()  # complete: the server has exited
    assert line in log
    assert line + " verbose" not in log


# -- network helpers ------------------------------------------------------------------------


async def test_resolve_address(admin: JanusAdminMonitorClient) -> None:
    literal = await admin.resolve_address("127.0.0.1")
    assert literal.ip == "127.0.0.1"
    assert literal.elapsed >= 0
    assert isinstance(literal, ResolvedAddress)
    assert (await admin.resolve_address("localhost")).ip in ("127.0.0.1", "::1")
    with pytest.raises(UnknownJanusError, match="resolve"):
        await admin.resolve_address("no-such-host.invalid")


class StunResponder(asyncio.DatagramProtocol):
    """A STUN server on loopback answering Binding requests (or garbage, if told)."""

    def __init__(self, *, garbage: bool = False) -> None:
        self.garbage = garbage
        self.seen: list[tuple[str, int]] = []
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        assert self.transport is not None
        self.seen.append(addr)
        if self.garbage:
            self.transport.sendto(b"not a STUN message at all", addr)
            return
        request = stun.parse_message(data)
        response = stun.Message(
            message_method=stun.Method.BINDING,
            message_class=stun.Class.RESPONSE,
            transaction_id=request.transaction_id,
        )
        response.attributes["XOR-MAPPED-ADDRESS"] = addr
        self.transport.sendto(bytes(response), addr)


async def stun_server(garbage: bool = False) -> tuple[StunResponder, int]:
    transport, protocol = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: StunResponder(garbage=garbage), local_addr=("127.0.0.1", 0)
    )
    return protocol, transport.get_extra_info("sockname")[1]


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_test_stun_against_a_loopback_stun_server(
    private_admin: JanusAdminMonitorClient,
) -> None:
    responder, port = await stun_server()
    try:
        localport = free_udp_port()
        result = await private_admin.test_stun("127.0.0.1", port, localport=localport)
        assert (result.public_ip, result.public_port) == ("127.0.0.1", localport)
        assert responder.seen == [("127.0.0.1", localport)]
        any_port = await private_admin.test_stun("127.0.0.1", port)
        assert any_port.public_port == responder.seen[-1][1]
    finally:
        assert responder.transport is not None
        responder.transport.close()


async def test_test_stun_with_a_bad_answer_is_a_typed_error(
    private_admin: JanusAdminMonitorClient,
) -> None:
    responder, port = await stun_server(garbage=True)
    try:
        with pytest.raises(UnknownJanusError, match="STUN request failed"):
            await private_admin.test_stun("127.0.0.1", port)
        assert len(responder.seen) == 1
    finally:
        assert responder.transport is not None
        responder.transport.close()


# -- settings (on the private Janus) -----------------------------------------------------------


async def test_session_timeout_and_log_level_read_back(
    private_admin: JanusAdminMonitorClient,
) -> None:
    before = await private_admin.get_status()
    try:
        assert await private_admin.set_session_timeout(before["session_timeout"] + 17) == (
            before["session_timeout"] + 17
        )
        assert await private_admin.set_log_level(5) == 5
        status = await private_admin.get_status()
        assert status["session_timeout"] == before["session_timeout"] + 17
        assert status["log_level"] == 5
        assert (await private_admin.info())["session-timeout"] == before["session_timeout"] + 17
        with pytest.raises(InvalidElementType):
            await private_admin.set_log_level(99)
    finally:
        await private_admin.set_session_timeout(before["session_timeout"])
        await private_admin.set_log_level(before["log_level"])
    assert await private_admin.get_status() == before


async def test_every_runtime_setting_reads_back(private_admin: JanusAdminMonitorClient) -> None:
    before = await private_admin.get_status()
    flags = {
        "log_timestamps": private_admin.set_log_timestamps,
        "log_colors": private_admin.set_log_colors,
        "locking_debug": private_admin.set_locking_debug,
        "refcount_debug": private_admin.set_refcount_debug,
        "libnice_debug": private_admin.set_libnice_debug,
        "nack-optimizations": private_admin.set_nack_optimizations,
    }
    numbers = {
        "min_nack_queue": private_admin.set_min_nack_queue,
        "no_media_timer": private_admin.set_no_media_timer,
        "slowlink_threshold": private_admin.set_slowlink_threshold,
    }
    try:
        for key, set_flag in flags.items():
            assert await set_flag(not before[key]) is (not before[key]), key
            assert (await private_admin.get_status())[key] is (not before[key]), key
            assert await set_flag(before[key]) is before[key], key
        for key, set_number in numbers.items():
            assert await set_number(before[key] + 3) == before[key] + 3, key
            assert (await private_admin.get_status())[key] == before[key] + 3, key
    finally:
        for key, set_number in numbers.items():
            await set_number(before[key])
        for key, set_flag in flags.items():
            await set_flag(before[key])
    assert await private_admin.get_status() == before


async def test_one_sessions_timeout(
    private_janus: JanusServer, private_admin: JanusAdminMonitorClient
) -> None:
    token = await private_admin.add_token(plugins=[ECHOTEST])
    try:
        async with JanusSession(private_janus.ws_url, token=token) as session:
            handle = JanusPlugin(plugin_id=ECHOTEST)
            await handle.attach(session)
            assert session.session_id is not None
            assert handle.id is not None
            assert await private_admin.set_session_timeout(123, session.session_id) == 123
            info = await private_admin.handle_info(session.session_id, handle.id)
            assert info["session_timeout"] == 123
            assert info["token"] == token
    finally:
        await private_admin.remove_token(token)


async def test_accept_new_sessions_off_refuses_create_until_on_again(
    private_janus: JanusServer, private_admin: JanusAdminMonitorClient
) -> None:
    token = await private_admin.add_token()
    try:
        assert await private_admin.accept_new_sessions(False) is False
        try:
            assert (await private_admin.info())["accepting-new-sessions"] is False
            refused = await create_fails(private_janus.ws_url, token=token)
            assert isinstance(refused, NotAcceptingSessions)
            assert refused.code == 472
        finally:
            assert await private_admin.accept_new_sessions(True) is True
        async with JanusSession(private_janus.ws_url, token=token) as session:
            assert session.session_id in await private_admin.list_sessions()
    finally:
        await private_admin.remove_token(token)


# -- tokens (on the private Janus) ----------------------------------------------------------


async def test_stored_tokens_add_list_allow_disallow_remove(
    private_janus: JanusServer, private_admin: JanusAdminMonitorClient, url_kind: str
) -> None:
    url = private_janus.ws_url if url_kind == "ws" else private_janus.http_url
    token = await private_admin.add_token(f"rxjanus-{secrets.token_hex(8)}", [ECHOTEST])
    listed = {
        entry["token"]: entry["allowed_plugins"] for entry in await private_admin.list_tokens()
    }
    assert listed[token] == [ECHOTEST]
    async with JanusSession(url, token=token) as session:
        assert session.session_id in await private_admin.list_sessions()
        echo = JanusPlugin(plugin_id=ECHOTEST)
        await echo.attach(session)
        with pytest.raises(PluginAttachFail) as not_allowed:
            await JanusPlugin(plugin_id=VIDEOROOM).attach(session)
        assert not_allowed.value.code == 405
        assert sorted(await private_admin.allow_token(token, [VIDEOROOM])) == sorted(
            [ECHOTEST, VIDEOROOM]
        )
        room = JanusPlugin(plugin_id=VIDEOROOM)
        await room.attach(session)
        await room.detach()
        assert await private_admin.disallow_token(token, [VIDEOROOM]) == [ECHOTEST]
        with pytest.raises(PluginAttachFail):
            await JanusPlugin(plugin_id=VIDEOROOM).attach(session)
        with pytest.raises(InvalidElementType):
            await private_admin.allow_token(token, ["janus.plugin.nosuch"])
    assert await private_admin.remove_token(token) is True
    assert token not in {entry["token"] for entry in await private_admin.list_tokens()}
    refused = await create_fails(url, token=token)
    assert isinstance(refused, Unauthorized)
    assert refused.code == 403
    with pytest.raises(UnknownJanusError):
        await private_admin.remove_token(token)
    with pytest.raises(ValueError, match="plugin names"):
        await private_admin.allow_token(token, [])


async def test_add_token_makes_a_random_token_for_every_plugin(
    private_admin: JanusAdminMonitorClient,
) -> None:
    first, second = await private_admin.add_token(), await private_admin.add_token()
    try:
        assert first != second
        listed = {e["token"]: e["allowed_plugins"] for e in await private_admin.list_tokens()}
        assert ECHOTEST in listed[first]
        assert VIDEOROOM in listed[first]
    finally:
        await private_admin.remove_token(first)
        await private_admin.remove_token(second)


async def test_tokens_without_stored_token_auth_are_a_typed_error(
    admin: JanusAdminMonitorClient,
) -> None:
    with pytest.raises(UnknownJanusError, match="Stored-Token") as disabled:
        await admin.list_tokens()
    assert disabled.value.code == 490
    with pytest.raises(UnknownJanusError):
        await admin.add_token()


# -- secrets stay out of logs -----------------------------------------------------------------


async def test_the_admin_secret_is_never_logged(
    janus: JanusServer, admin_kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = admin_url_of(janus, admin_kind)
    async with JanusAdminMonitorClient(url, janus.admin_secret) as client:
        await client.list_sessions()
        await client.get_status()
        text = repr(client)
    async with JanusAdminMonitorClient(url, "wrong-admin-secret-x") as wrong:
        with pytest.raises(Unauthorized) as refused:
            await wrong.list_sessions()
        text += repr(wrong) + str(refused.value)
    logged = "\n".join(record.getMessage() for record in caplog.records) + text
    assert any("list_sessions" in record.getMessage() for record in caplog.records)
    if admin_kind == "ws":  # websockets logs each frame at DEBUG: redacted
        assert '"admin_secret":"***"' in logged
    assert janus.admin_secret not in logged
    assert "wrong-admin-secret-x" not in logged


# -- watching ------------------------------------------------------------------------------------


async def test_watch_sees_a_session_come_and_go(
    janus: JanusServer, admin: JanusAdminMonitorClient
) -> None:
    snapshots = Recorder(admin.watch(0.05, handles=True))
    try:
        async with JanusSession(janus.ws_url) as session:
            handle = JanusPlugin(plugin_id=ECHOTEST)
            await handle.attach(session)
            session_id, handle_id = session.session_id, handle.id
            seen = await snapshots.wait_value(lambda s: session_id in s, timeout=30)
            assert seen.handles[session_id] == (handle_id,)
            after = snapshots.values.index(seen) + 1
        await snapshots.wait_for(
            lambda r: r.ended or any(session_id not in s for s in r.values[after:]), timeout=30
        )
    finally:
        snapshots.subscription.dispose()
    await aio.settle()
    assert snapshots.error is None
    assert admin.transport.pending_count == 0
    # Distinct until changed: no two snapshots in a row are equal.
    assert all(a != b for a, b in zip(snapshots.values, snapshots.values[1:], strict=False))
    assert all(isinstance(s, ServerSnapshot) for s in snapshots.values)


async def test_watch_ends_with_the_error_of_a_failed_poll(janus: JanusServer) -> None:
    client = JanusAdminMonitorClient(janus.admin_http_url, "wrong")
    snapshots = Recorder(client.watch(0.05))
    await snapshots.wait_for(lambda r: r.ended, timeout=30)
    assert isinstance(snapshots.error, Unauthorized)
    assert snapshots.values == []
    await aio.settle()
    await client.close()


def test_poll_changes_emits_distinct_results_and_stops_on_dispose() -> None:
    scheduler = TestScheduler()
    results = iter("aabba")
    fetches: list[Observable[str]] = []

    def fetch() -> Observable[str]:
        value = next(results)
        fetched = scheduler.create_cold_observable(on_next(10, value), on_completed(10))
        fetches.append(fetched)
        return fetched

    observed = scheduler.start(lambda: poll_changes(fetch, 100, scheduler=scheduler), disposed=650)
    # Ticks at 200, 300, 400, 500, 600; each fetch answers 10 ticks later.
    assert observed.messages == [on_next(210, "a"), on_next(410, "b"), on_next(610, "a")]
    assert [f.subscriptions for f in fetches] == [  # type: ignore[attr-defined]
        [subscribe(t, t + 10)] for t in (200, 300, 400, 500, 600)
    ]
    scheduler.advance_by(1000)
    assert len(fetches) == 5  # disposal stopped the polling


def test_poll_changes_skips_ticks_while_a_fetch_runs_and_disposal_cuts_one() -> None:
    scheduler = TestScheduler()
    fetches: list[Observable[int]] = []

    def fetch() -> Observable[int]:
        fetched = scheduler.create_cold_observable(on_next(150, len(fetches)), on_completed(150))
        fetches.append(fetched)
        return fetched

    observed = scheduler.start(lambda: poll_changes(fetch, 100, scheduler=scheduler), disposed=700)
    # A fetch takes 150 ticks: the one from 200 runs over the tick at 300, which is
    # skipped; the next starts at 400; the one from 600 is cut by disposal at 700.
    assert observed.messages == [on_next(350, 0), on_next(550, 1)]
    assert [f.subscriptions for f in fetches] == [  # type: ignore[attr-defined]
        [subscribe(200, 350)],
        [subscribe(400, 550)],
        [subscribe(600, 700)],
    ]


def test_poll_changes_ends_with_a_fetch_error() -> None:
    scheduler = TestScheduler()
    failure = ConnectionError("gone")
    answers = iter(
        [[on_next(5, 1), on_completed(5)], [on_error(5, failure)], [on_next(5, 2), on_completed(5)]]
    )
    fetched: list[Observable[int]] = []

    def fetch() -> Observable[int]:
        fetched.append(scheduler.create_cold_observable(*next(answers)))
        return fetched[-1]

    observed = scheduler.start(lambda: poll_changes(fetch, 100, scheduler=scheduler))
    assert observed.messages == [on_next(205, 1), on_error(305, failure)]
    assert len(fetched) == 2  # no poll after the error


def test_poll_changes_needs_a_positive_interval() -> None:
    with pytest.raises(ValueError, match="positive"):
        poll_changes(lambda: Observable(), 0)


def test_a_snapshot_compares_by_content() -> None:
    assert ServerSnapshot((1, 2), {1: (3,), 2: ()}) == ServerSnapshot((1, 2), {1: (3,), 2: ()})
    assert ServerSnapshot((1,)) != ServerSnapshot((1, 2))
    assert ServerSnapshot((1, 2), {1: (3, 4), 2: (5,)}).handle_count == 3
    assert 2 in ServerSnapshot((1, 2))


async def test_a_given_transport_is_left_open(janus: JanusServer) -> None:
    transport = JanusTransportWebsocket(
        janus.admin_ws_url, subprotocol=ADMIN_SUBPROTOCOL, admin_secret=janus.admin_secret
    )
    async with JanusAdminMonitorClient(transport=transport) as client:
        assert isinstance(await client.list_sessions(), list)
    assert transport.connected
    await transport.close()
    with pytest.raises(ValueError, match="base_url"):
        JanusAdminMonitorClient()


async def test_a_closed_client_connects_again(janus: JanusServer, admin_kind: str) -> None:
    client = JanusAdminMonitorClient(admin_url_of(janus, admin_kind), janus.admin_secret)
    await client.connect()
    first = client.transport
    await client.close()
    assert "closed" in repr(client)
    assert isinstance(await client.list_sessions(), list)  # a new connection
    assert client.transport is not first
    await client.disconnect()  # janus_client's name
    assert client.transport.closed


async def test_reads_in_flight_at_a_drop_are_sent_again_once_reconnected(
    janus: JanusServer,
) -> None:
    async with (
        FaultyProxy(port_of(janus.admin_ws_url)) as proxy,
        JanusSession(base_url=janus.ws_url) as session,
        JanusAdminMonitorClient(
            f"ws://127.0.0.1:{proxy.port}", janus.admin_secret, retry_delay=0.05
        ) as client,
    ):
        await client.ping()
        proxy.stall()  # the next request is sent but never reaches Janus
        listing = asyncio.ensure_future(client.list_sessions())
        await proxy.wait_held()
        assert proxy.cut() == 1
        proxy.resume()
        async with asyncio.timeout(10):
            assert session.session_id in await listing
        assert proxy.connections_accepted == 2
        # A request that is not a read is not sent twice: it fails.
        proxy.stall()
        destroying = asyncio.ensure_future(client.destroy_session(1))
        await proxy.wait_held()
        proxy.cut()
        proxy.resume()
        with pytest.raises(TransportClosed, match="in flight"):
            await destroying


async def test_the_admin_api_over_the_pfunix_admin_socket(janus: JanusServer) -> None:
    if janus.unix_admin_path is None:
        pytest.skip("the pfunix transport is off (work dir path too long)")
    url = f"unix://{janus.unix_admin_path}"
    async with JanusAdminMonitorClient(url, janus.admin_secret) as client:
        async with JanusSession(janus.ws_url) as session:
            session_id = session.session_id
            assert session_id in await client.list_sessions()
        assert session_id not in await client.list_sessions()
    async with JanusAdminMonitorClient(url, "wrong") as wrong:
        with pytest.raises(Unauthorized):
            await wrong.list_sessions()
