"""Reconnect and claim: faults put between the client and the real Janus by tests/proxy.py.

The client reaches Janus through :class:`tests.proxy.FaultyProxy`; peer connections go
straight to Janus over UDP, as they would through a real load balancer, so cutting the
proxy cuts signalling only. Deterministic policy cases (what is retried, what waits)
run against the scripted server of tests/scripted.py. Waits are by event, with generous
bounds; measured figures are printed (``pytest -s`` shows them).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import random
import signal
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection

import rxjanus
from rxjanus import (
    JanusEchoTestPlugin,
    JanusPlugin,
    JanusSession,
    JanusTimeoutError,
    ServerUnreachable,
    SessionLost,
    SessionNotFound,
    TransportClosed,
    aio,
)
from rxjanus.operators import retry_with_backoff
from rxjanus.protocol import RECONNECT_JITTER, Expect, messages
from rxjanus.testing import (
    JanusServer,
    SyntheticVideoTrack,
    enable_loopback_ice,
    loopback_rtc_configuration,
)
from rxjanus.transports.base import attempt_delays, is_retryable

from .helpers import Recorder
from .proxy import FaultyProxy, port_of
from .scripted import reply, scripted_janus, well_behaved

FAST: dict[str, Any] = {"retry_delay": 0.05, "max_retries": 4, "keepalive_interval": None}
"""Small, bounded retries: each test knows within about a second."""


def fast_session(url: str, **options: Any) -> JanusSession:
    """A session that retries briefly (0, 50, 100, 200, 400 ms) and sends no keepalives."""
    return JanusSession(url, **{**FAST, **options})


@pytest.fixture(autouse=True)
def loopback_ice() -> None:
    enable_loopback_ice()


@pytest.fixture(scope="module")
def reclaiming_janus() -> Iterator[JanusServer]:
    """Keeps a session 10 s after its WebSocket goes, so that a new one can claim it."""
    with JanusServer(reclaim_session_timeout=10) as server:
        yield server
        assert server.list_sessions() == []


@pytest.fixture(scope="module")
def forgetful_janus() -> Iterator[JanusServer]:
    """Destroys a session as soon as its WebSocket goes (reclaim_session_timeout = 0)."""
    with JanusServer(reclaim_session_timeout=0, loopback_ice=False) as server:
        yield server
        assert server.list_sessions() == []


def now() -> float:
    return asyncio.get_running_loop().time()


# -- the policy, as pure functions -------------------------------------------------------


def test_reconnect_attempts_start_at_once_then_back_off() -> None:
    assert list(attempt_delays(0.5, 3, jitter=0)) == [0.0, 0.5, 1.0, 2.0]
    assert list(attempt_delays(1.0, 0)) == [0.0]
    with pytest.raises(ValueError, match="max_retries"):
        attempt_delays(1.0, -1)
    with pytest.raises(ValueError, match="backoff"):
        attempt_delays(-1.0, 2)


def test_reconnect_delays_are_jittered_by_default() -> None:
    """Many clients cut off at once must not come back in step."""
    nominal = [0.0, 0.5, 1.0, 2.0, 4.0]
    runs = [list(attempt_delays(0.5, 4, rng=random.Random(seed))) for seed in range(2)]
    runs.append(list(attempt_delays(0.5, 4)))  # the default random source
    for delays in runs:
        assert delays[0] == 0.0  # the first attempt goes at once
        for delay, full in zip(delays[1:], nominal[1:], strict=True):
            assert full * (1 - RECONNECT_JITTER) <= delay <= full
    assert runs[0] != runs[1]
    assert runs[0] == list(attempt_delays(0.5, 4, rng=random.Random(0)))  # injectable


async def test_connection_retries_are_told_at_info(
    unused_tcp_port_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="rxjanus")
    session = JanusSession(unused_tcp_port_url, max_retries=2, retry_delay=0.01)
    with pytest.raises(ServerUnreachable, match="after 3 attempts: "):
        async with session:
            pass
    told = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert len(told) == 3, told
    assert all(f"connecting to {unused_tcp_port_url} failed" in line for line in told)
    assert "(attempt 1 of 3)" in told[0]
    assert "trying again in" in told[0]
    assert "(attempt 3 of 3)" in told[2]
    assert "giving up" in told[2]
    with pytest.raises(ServerUnreachable, match="after 1 attempt: "):
        await JanusSession(unused_tcp_port_url, max_retries=0).create()


async def test_reconnect_attempts_are_told_at_info_and_the_loss_at_warning(
    forgetful_janus: JanusServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="rxjanus")
    async with FaultyProxy(port_of(forgetful_janus.ws_url)) as proxy:
        session = fast_session(proxy.ws_url)
        await session.create()
        events = Recorder(session.events)
        proxy.refuse()
        proxy.cut()
        await events.wait_for(lambda r: r.ended)
        await session.destroy()
    told = [(r.levelno, r.getMessage()) for r in caplog.records if r.name.startswith("rxjanus")]
    warnings = [text for level, text in told if level == logging.WARNING]
    attempts = [text for level, text in told if "reconnecting to" in text]
    assert any("reconnecting" in text for text in warnings)  # the drop
    assert len(attempts) == 5, told  # max_retries=4: one line per attempt, at INFO
    assert all(level == logging.INFO for level, text in told if "reconnecting to" in text)
    assert "(attempt 5 of 5)" in attempts[-1]
    assert "giving up" in attempts[-1]
    assert any("after 5 attempts" in text for text in warnings)  # the loss
    assert forgetful_janus.list_sessions() == []


def test_only_idempotent_requests_are_sent_again() -> None:
    assert is_retryable(messages.keepalive(1))
    assert is_retryable(messages.claim(1))
    assert is_retryable(messages.info())
    assert is_retryable(messages.ping())
    assert not is_retryable(messages.message(1, 2, {"request": "list"}))
    assert not is_retryable(messages.attach(1, "janus.plugin.echotest"))
    assert not is_retryable(messages.create())
    assert not is_retryable(messages.destroy(1))
    assert not is_retryable(messages.trickle(1, 2))
    # The Admin API's reads are sent again, its writes are not.
    for read in ("list_sessions", "list_handles", "handle_info", "get_status", "list_tokens"):
        assert is_retryable(messages.Request({"janus": read}, messages.Expect.SUCCESS))
    for write in ("destroy_session", "detach_handle", "set_log_level", "message_plugin"):
        assert not is_retryable(messages.Request({"janus": write}, messages.Expect.SUCCESS))


# -- (a) cut mid-EchoTest: reconnect, claim, media carries on --------------------------


async def test_cut_mid_echotest_reclaims_the_session_and_frames_keep_coming(
    reclaiming_janus: JanusServer,
) -> None:
    janus = reclaiming_janus
    async with FaultyProxy(port_of(janus.ws_url)) as proxy:
        session = fast_session(proxy.ws_url)
        try:
            await session.create()
            session_id = session.session_id
            assert session_id is not None
            events = Recorder(session.events)
            plugin = JanusEchoTestPlugin(pc_config=loopback_rtc_configuration())
            await plugin.attach(session)
            handle_id = plugin.id
            plugin_events = Recorder(plugin.events)
            arrivals: list[float] = []
            plugin.frames("video").subscribe(lambda _: arrivals.append(now()))
            frames = Recorder(plugin.frames("video"))
            source = SyntheticVideoTrack(320, 240, fps=30)
            await plugin.start(source, audio=False)
            await frames.wait_for(lambda r: len(r.values) >= 30, timeout=20)

            cut_at = now()
            assert proxy.cut() == 1
            await events.wait_for(lambda r: "reconnected" in r.kinds() or r.ended, timeout=15)
            reconnected_after = now() - cut_at
            assert events.kinds() == ["reconnecting", "reconnected"]
            assert not events.ended
            assert session.transport.connected
            assert proxy.connections_accepted == 2

            # Same session, same handle, on the server and here.
            assert session.session_id == session_id
            assert plugin.id == handle_id
            assert janus.list_sessions() == [session_id]
            assert janus.list_handles(session_id) == [handle_id]

            # Frames arrive after the reconnect.
            at_reconnect = len(frames.values)
            await frames.wait_for(lambda r: len(r.values) >= at_reconnect + 30, timeout=10)
            first_after_cut = next(t for t in arrivals if t > cut_at) - cut_at
            around = [t for t in arrivals if t >= cut_at - 1]
            longest_silence = max(b - a for a, b in itertools.pairwise(around))
            print(
                f"\ncut mid-EchoTest: reconnected and reclaimed after {reconnected_after:.3f} s; "
                f"first frame {first_after_cut * 1000:.0f} ms after the cut; longest gap "
                f"between frames around the cut {longest_silence * 1000:.0f} ms"
            )
            assert first_after_cut < 1.0
            assert not frames.ended

            # The handle works over the new link: a request, and an unsolicited event.
            assert (await plugin.configure(bitrate=256_000))["result"] == "ok"
            await plugin.hangup()
            await plugin_events.wait_value(lambda m: m.get("janus") == "hangup")
            assert not plugin_events.ended
        finally:
            await session.destroy()
    assert janus.list_sessions() == []


async def test_async_for_over_session_events_sees_the_reconnect_and_disposes_on_break(
    reclaiming_janus: JanusServer,
) -> None:
    janus = reclaiming_janus
    async with (
        FaultyProxy(port_of(janus.ws_url)) as proxy,
        fast_session(proxy.ws_url) as session,
    ):

        async def until_reconnected() -> list[str]:
            kinds = []
            async for event in session.events:
                kinds.append(event["janus"])
                if event["janus"] == "reconnected":
                    break
            return kinds

        loop = asyncio.ensure_future(until_reconnected())
        await asyncio.sleep(0)  # the loop subscribes on its first step
        proxy.cut()
        assert await loop == ["reconnecting", "reconnected"]
        assert session._events.observers == []  # the loop was left: disposed
        await session.keepalive()
    assert janus.list_sessions() == []


async def test_half_closed_link_is_reconnected_and_reclaimed(
    reclaiming_janus: JanusServer,
) -> None:
    janus = reclaiming_janus
    async with (
        FaultyProxy(port_of(janus.ws_url)) as proxy,
        fast_session(proxy.ws_url) as session,
    ):
        session_id = session.session_id
        assert session_id is not None
        events = Recorder(session.events)
        plugin = JanusPlugin(plugin_id="janus.plugin.echotest")
        await plugin.attach(session)
        proxy.half_close("to_client")  # the client reads EOF; Janus still hears it
        await events.wait_for(lambda r: "reconnected" in r.kinds() or r.ended)
        assert events.kinds() == ["reconnecting", "reconnected"]
        assert session.session_id == session_id
        assert janus.list_handles(session_id) == [plugin.id]
        assert (await plugin.request({"audio": False}))["result"] == "ok"
    assert janus.list_sessions() == []


async def test_stalled_link_times_requests_out_and_flows_again(
    reclaiming_janus: JanusServer,
) -> None:
    janus = reclaiming_janus
    async with (
        FaultyProxy(port_of(janus.ws_url)) as proxy,
        fast_session(proxy.ws_url) as session,
    ):
        assert session.session_id is not None
        events = Recorder(session.events)
        proxy.stall()
        with pytest.raises(JanusTimeoutError):
            await session.request(messages.keepalive(session.session_id), timeout=0.3)
        proxy.resume()
        await session.keepalive()
        assert events.values == []  # a stall is no drop: nothing to reconnect
    assert janus.list_sessions() == []


async def test_delayed_link_still_works(reclaiming_janus: JanusServer) -> None:
    janus = reclaiming_janus
    async with (
        FaultyProxy(port_of(janus.ws_url)) as proxy,
        fast_session(proxy.ws_url) as session,
    ):
        proxy.delay = 0.05
        started = now()
        await session.keepalive()
        assert now() - started >= 0.1  # 50 ms each way
    assert janus.list_sessions() == []


async def test_http_long_poll_survives_a_cut(reclaiming_janus: JanusServer) -> None:
    janus = reclaiming_janus
    async with (
        FaultyProxy(port_of(janus.http_url)) as proxy,
        fast_session(proxy.http_url()) as session,
    ):
        session_id = session.session_id
        events = Recorder(session.events)
        plugin = JanusPlugin(plugin_id="janus.plugin.echotest")
        await plugin.attach(session)
        # aiohttp quietly retries a GET once on a reused connection that was cut, so
        # refuse new connections for a while to make the long poll itself fail.
        proxy.refuse()
        proxy.cut()
        await events.wait_for(lambda r: "reconnecting" in r.kinds() or r.ended)
        proxy.refuse(False)
        await events.wait_for(lambda r: "reconnected" in r.kinds() or r.ended)
        assert events.kinds() == ["reconnecting", "reconnected"]
        assert session.session_id == session_id
        # Requests go through again. (Not the plugin's event: Janus does not notice that
        # the cut long poll is dead, as its connection is suspended, and gives the next
        # events to it, until its 30 s timeout. A limit of Janus's HTTP transport.)
        reply = await plugin.send({"audio": False}, expect=Expect.ACK)
        assert reply["janus"] == "ack"
        await session.keepalive()
    assert janus.list_sessions() == []


async def test_http_idempotent_requests_right_after_a_cut_go_through(
    reclaiming_janus: JanusServer,
) -> None:
    """aiohttp reuses a pooled connection the cut reset: the request goes again, once."""
    janus = reclaiming_janus
    async with (
        FaultyProxy(port_of(janus.http_url)) as proxy,
        fast_session(proxy.http_url()) as session,
    ):
        for request in ("keepalive", "info", "ping", "keepalive"):
            await session.keepalive()  # a connection to pool
            proxy.cut()
            if request == "keepalive":
                await session.keepalive()
            elif request == "info":
                assert (await session.transport.info())["janus"] == "server_info"
            else:
                assert (await session.transport.ping())["janus"] == "pong"
    assert janus.list_sessions() == []


# -- (b) the server forgot the session: SessionLost everywhere ----------------------------


async def test_cut_when_the_server_forgets_the_session_ends_it_with_session_lost(
    forgetful_janus: JanusServer,
) -> None:
    janus = forgetful_janus
    async with FaultyProxy(port_of(janus.ws_url)) as proxy:
        session = fast_session(proxy.ws_url)
        await session.create()
        events = Recorder(session.events)
        plugin = JanusPlugin(plugin_id="janus.plugin.echotest")
        await plugin.attach(session)
        plugin_events = Recorder(plugin.events)

        # Hold the reconnection back, so that a request is made while it is under way.
        proxy.refuse()
        cut_at = now()
        proxy.cut()
        await events.wait_for(lambda r: "reconnecting" in r.kinds() or r.ended)
        assert session.transport.reconnecting
        waiting = asyncio.ensure_future(session.send({"janus": "keepalive"}))
        proxy.refuse(False)

        await events.wait_for(lambda r: r.ended)
        lost_after = now() - cut_at
        print(f"\nserver forgot the session: lost {lost_after:.3f} s after the cut")
        assert events.kinds() == ["reconnecting", "transport_lost"]
        assert isinstance(events.error, SessionLost)
        assert isinstance(events.error.__cause__, SessionNotFound)
        await plugin_events.wait_for(lambda r: r.ended)
        assert isinstance(plugin_events.error, SessionLost)
        assert not plugin.attached

        # Awaitables raise SessionLost: the one that waited, and any made after.
        with pytest.raises(SessionLost):
            await waiting
        with pytest.raises(SessionLost):
            await session.keepalive()
        with pytest.raises(SessionLost):
            await session.send({"janus": "keepalive"})
        with pytest.raises(SessionLost):
            await JanusPlugin(plugin_id="janus.plugin.echotest").attach(session)

        assert session.transport.connected  # the link itself is back
        assert session.transport.pending_count == 0
        await session.destroy()
    assert janus.list_sessions() == []


async def test_reconnect_false_ends_the_session_at_the_first_drop(
    reclaiming_janus: JanusServer,
) -> None:
    janus = reclaiming_janus
    async with FaultyProxy(port_of(janus.ws_url)) as proxy:
        session = fast_session(proxy.ws_url, reconnect=False)
        await session.create()
        session_id = session.session_id
        events = Recorder(session.events)
        proxy.cut()
        await events.wait_for(lambda r: r.ended)
        assert events.kinds() == ["transport_lost"]
        assert isinstance(events.error, SessionLost)
        assert isinstance(events.error.__cause__, TransportClosed)
        assert proxy.connections_accepted == 1  # no reconnection was tried
        await session.destroy()
        # Janus keeps the orphan until its reclaim timeout: claim and destroy it here.
        async with JanusSession(janus.ws_url, keepalive_interval=None) as cleaner:
            assert session_id is not None
            await cleaner.request(messages.claim(session_id))
            await cleaner.request(messages.destroy(session_id))
    assert janus.list_sessions() == []


# -- (c) Janus killed: typed errors, no hang ---------------------------------------------


@pytest.mark.parametrize("how", ["sigint", "sigkill"])
async def test_janus_killed_gives_typed_errors_without_hanging(how: str) -> None:
    with JanusServer(reclaim_session_timeout=10, loopback_ice=False) as server:
        session = fast_session(server.ws_url, timeout=2)
        await session.create()
        events = Recorder(session.events)
        plugin = JanusPlugin(plugin_id="janus.plugin.echotest")
        await plugin.attach(session)
        plugin_events = Recorder(plugin.events)

        killed_at = now()
        if how == "sigkill":
            assert server.pid is not None
            os.kill(server.pid, signal.SIGKILL)
        server.stop()  # after a SIGKILL: just reaps it
        in_flight = [asyncio.ensure_future(plugin.request({"audio": True})) for _ in range(3)]
        await events.wait_for(lambda r: r.ended)
        lost_after = now() - killed_at

        assert events.kinds() == ["reconnecting", "transport_lost"]
        assert isinstance(events.error, SessionLost)
        assert isinstance(events.error.__cause__, ServerUnreachable)
        await plugin_events.wait_for(lambda r: r.ended)
        assert isinstance(plugin_events.error, SessionLost)
        async with asyncio.timeout(5):
            results = await asyncio.gather(*in_flight, return_exceptions=True)
        # Sent before the drop was seen: TransportClosed; made while reconnecting: SessionLost.
        assert all(isinstance(r, TransportClosed | SessionLost) for r in results), results
        with pytest.raises(SessionLost):
            await session.keepalive()
        assert session.transport.pending_count == 0
        await session.destroy()

        # A new session to the dead server: ServerUnreachable, after bounded retries.
        started = now()
        fresh = fast_session(session.base_url, timeout=2)
        async with asyncio.timeout(10):
            with pytest.raises(ServerUnreachable):
                await fresh.create()
        await fresh.destroy()
        print(
            f"\nJanus killed ({how}): session lost {lost_after:.3f} s after; a new session "
            f"gave up after {now() - started:.3f} s"
        )


# -- (d) Janus restarted: a retry flow re-creates the session -----------------------------


async def test_restarted_janus_a_retry_flow_makes_a_new_session() -> None:
    server = JanusServer(loopback_ice=False, reclaim_session_timeout=10)
    server.start()
    try:
        # The client always dials the proxy; the restarted Janus gets fresh ports and the
        # proxy follows it, so to the client it is the same address.
        async with FaultyProxy(port_of(server.ws_url)) as proxy:
            sessions = rxjanus.session(proxy.ws_url, timeout=2, **FAST).pipe(
                retry_with_backoff(20, initial_delay=0.1, max_delay=0.5)
            )
            emitted = Recorder(sessions)
            await emitted.wait_for(lambda r: len(r.values) == 1 or r.ended)
            first = emitted.values[0]
            first_events = Recorder(first.events)
            assert server.list_sessions() == [first.session_id]

            restarted_at = now()
            server.stop()
            server.start()
            proxy.retarget(port_of(server.ws_url))
            await emitted.wait_for(lambda r: len(r.values) == 2 or r.ended, timeout=30)
            recovered_after = now() - restarted_at
            assert not emitted.ended
            second = emitted.values[1]
            assert second is not first
            assert server.list_sessions() == [second.session_id]
            # The old session ended typed: the restarted server did not know it (458), or
            # it could not be reached while down.
            assert isinstance(first_events.error, SessionLost)
            assert isinstance(first_events.error.__cause__, SessionNotFound | ServerUnreachable)
            print(f"\nJanus restarted: a new session {recovered_after:.3f} s after the restart")

            emitted.subscription.dispose()
            async with asyncio.timeout(5):
                await aio.settle()
            assert server.list_sessions() == []
    finally:
        server.stop()


# -- the policy against a scripted server ------------------------------------------------


class ScriptedJanus:
    """Answers like Janus, plus ``claim``; drops the first link on the first ``message``."""

    def __init__(self, claim_delay: float | None = 0.0, claim_error: int | None = None) -> None:
        self.claim_delay = claim_delay  # None: hold claims until ``release`` is set
        self.release = asyncio.Event()
        self.claim_error = claim_error
        self.claims: list[int] = []
        self.links: list[ServerConnection] = []
        self.keepalive_seen = asyncio.Event()

    async def __call__(self, request: dict[str, Any], connection: ServerConnection) -> None:
        if connection not in self.links:
            self.links.append(connection)
        first_link = connection is self.links[0]
        kind = request["janus"]
        if kind == "claim":
            if self.claim_delay is None:
                await self.release.wait()
            else:
                await asyncio.sleep(self.claim_delay)
            self.claims.append(request["session_id"])
            if self.claim_error is not None:
                error = {"code": self.claim_error, "reason": "No such session"}
                await connection.send(reply(request, "error", error=error))
            else:
                await connection.send(reply(request, "success", session_id=1111))
        elif kind == "keepalive" and first_link:
            self.keepalive_seen.set()  # held: never answered on the first link
        elif kind == "message" and first_link:
            await connection.close()
        else:
            await well_behaved(request, connection)


async def test_at_a_drop_idempotent_requests_are_sent_again_and_others_fail() -> None:
    script = ScriptedJanus()
    async with scripted_janus(script) as url:
        session = fast_session(url, timeout=5)
        await session.create()
        events = Recorder(session.events)
        plugin = JanusPlugin(plugin_id="janus.plugin.echotest")
        await plugin.attach(session)
        kept = asyncio.ensure_future(session.keepalive())
        async with asyncio.timeout(5):
            await script.keepalive_seen.wait()
        with pytest.raises(TransportClosed, match="'message' was in flight"):
            await plugin.send({"audio": True})  # its link drops under it
        async with asyncio.timeout(5):
            await kept  # answered on the new link
        await events.wait_for(lambda r: "reconnected" in r.kinds())
        assert events.kinds() == ["reconnecting", "reconnected"]
        assert script.claims == [1111]
        assert len(script.links) == 2
        assert session.transport.pending_count == 0
        await session.destroy()


async def test_requests_made_while_reconnecting_wait_within_their_timeout() -> None:
    script = ScriptedJanus(claim_delay=1.0)
    async with scripted_janus(script) as url:
        session = fast_session(url, timeout=5)
        await session.create()
        assert session.session_id is not None
        events = Recorder(session.events)
        plugin = JanusPlugin(plugin_id="janus.plugin.echotest")
        await plugin.attach(session)
        with pytest.raises(TransportClosed):
            await plugin.send({"audio": True})
        assert session.transport.reconnecting  # the claim takes a second
        started = now()
        with pytest.raises(JanusTimeoutError, match="still reconnecting"):
            await session.request(messages.keepalive(session.session_id), timeout=0.2)
        assert now() - started < 0.5
        await session.request(messages.keepalive(session.session_id), timeout=5)
        assert events.kinds() == ["reconnecting", "reconnected"]
        assert session.transport.pending_count == 0
        await session.destroy()


async def test_destroy_while_a_claim_hangs_returns_within_the_timeout() -> None:
    script = ScriptedJanus(claim_delay=None)
    async with scripted_janus(script) as url:
        session = fast_session(url, timeout=0.5)
        await session.create()
        events = Recorder(session.events)
        plugin = JanusPlugin(plugin_id="janus.plugin.echotest")
        await plugin.attach(session)
        with pytest.raises(TransportClosed):
            await plugin.send({"audio": True})
        started = now()
        async with asyncio.timeout(3):
            await session.destroy()
        assert now() - started < 1.5  # one request timeout, not the retries
        assert events.kinds() == ["reconnecting"]
        assert events.completed
        assert session.transport.closed
        assert session.transport.pending_count == 0
        script.release.set()  # let the scripted server shut down


async def test_a_refused_claim_loses_the_session_and_the_waiting_request() -> None:
    script = ScriptedJanus(claim_delay=0.3, claim_error=458)
    async with scripted_janus(script) as url:
        session = fast_session(url, timeout=5)
        await session.create()
        events = Recorder(session.events)
        plugin = JanusPlugin(plugin_id="janus.plugin.echotest")
        await plugin.attach(session)
        plugin_events = Recorder(plugin.events)
        with pytest.raises(TransportClosed):
            await plugin.send({"audio": True})
        assert session.transport.reconnecting
        with pytest.raises(SessionLost) as caught:
            await session.send({"janus": "keepalive"})  # waits, then the session is gone
        assert isinstance(caught.value.__cause__, SessionNotFound)
        assert events.kinds() == ["reconnecting", "transport_lost"]
        assert "no longer knows" in str(events.error)
        assert isinstance(plugin_events.error, SessionLost)
        await session.destroy()


async def test_listeners_hear_reconnecting_reconnected_and_lost() -> None:
    script = ScriptedJanus()
    async with scripted_janus(script) as url:
        session = fast_session(url, timeout=5)
        await session.create()
        events = Recorder(session.events)
        heard: list[tuple[str, list[int]]] = []
        remove = session.transport.add_listener(
            lambda e: heard.append((e.state.value, sorted(e.sessions)))
        )
        lost: list[Exception] = []
        session.transport.on_lost(lost.append)
        plugin = JanusPlugin(plugin_id="janus.plugin.echotest")
        await plugin.attach(session)
        with pytest.raises(TransportClosed):
            await plugin.send({"audio": True})
        await events.wait_for(lambda r: "reconnected" in r.kinds())
        assert heard == [("reconnecting", [1111]), ("reconnected", [1111])]
        assert lost == []
        remove()
        remove()  # idempotent
        await session.destroy()
        assert json.dumps(heard)  # plain data
