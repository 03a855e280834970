"""Faults that the real Janus cannot produce on demand, against a scripted server."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection

from rxjanus import JanusPlugin, JanusSession, JanusTimeoutError, TransportClosed
from rxjanus.protocol import messages
from rxjanus.transports import create_transport

from .scripted import reply, scripted_janus, well_behaved

JUNK_FRAMES = [
    "{not json",
    json.dumps({"janus": "success", "transaction": "nobody-sent-this", "data": {"id": 1}}),
    json.dumps({"janus": "error", "error": {"code": 490, "reason": "no transaction"}}),
    json.dumps({"janus": "surprise", "transaction": "x"}),
    json.dumps([1, 2, 3]),
    json.dumps("just a string"),
]


async def test_a_request_with_no_reply_times_out_cleanly() -> None:
    async def silent_on_keepalive(request: dict[str, Any], connection: ServerConnection) -> None:
        if request["janus"] != "keepalive":
            await well_behaved(request, connection)

    async with scripted_janus(silent_on_keepalive) as url:
        session = JanusSession(base_url=url, timeout=0.3, keepalive_interval=None)
        async with session:
            with pytest.raises(TimeoutError) as caught:
                await session.keepalive()
            assert isinstance(caught.value, JanusTimeoutError)
            assert "keepalive" in str(caught.value)
            assert session.transport.pending_count == 0
            # A per-call timeout overrides the session's.
            with pytest.raises(TimeoutError):
                await session.transport.ping()


async def test_junk_frames_are_logged_and_dropped_and_requests_go_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def junk_before_every_reply(
        request: dict[str, Any], connection: ServerConnection
    ) -> None:
        for frame in JUNK_FRAMES:
            await connection.send(frame)
        await well_behaved(request, connection)

    caplog.set_level(logging.WARNING, logger="rxjanus")
    async with (
        scripted_janus(junk_before_every_reply) as url,
        JanusSession(base_url=url, keepalive_interval=None) as session,
    ):
        await session.keepalive()
        await session.keepalive()
        assert session.session_id == 1111
    dropped = [r.getMessage() for r in caplog.records if "dropped a message" in r.getMessage()]
    assert any("malformed JSON" in m for m in dropped)
    assert any("unknown transaction" in m for m in dropped)
    assert any("error reply for no pending request" in m for m in dropped)
    assert any("unexpected janus kind 'surprise'" in m for m in dropped)
    assert any("not a JSON object" in m for m in dropped)


async def test_event_before_ack_resolves_the_message_once() -> None:
    async def event_first(request: dict[str, Any], connection: ServerConnection) -> None:
        if request["janus"] == "message":
            data = {"plugin": "janus.plugin.echotest", "data": {"result": "ok"}}
            await connection.send(
                reply(request, "event", session_id=1111, sender=2222, plugindata=data)
            )
            await connection.send(reply(request, "ack", session_id=1111))
        else:
            await well_behaved(request, connection)

    async with (
        scripted_janus(event_first) as url,
        JanusSession(base_url=url, keepalive_interval=None) as session,
    ):
        plugin = JanusPlugin(plugin_id="janus.plugin.echotest")
        await plugin.attach(session)
        first = await plugin.request({"audio": True})
        second = await plugin.request({"audio": False})
        assert first == second == {"result": "ok"}
        assert session.transport.pending_count == 0


async def test_connection_loss_fails_every_pending_request_at_once() -> None:
    seen: list[str] = []

    async def drop_after_three_keepalives(
        request: dict[str, Any], connection: ServerConnection
    ) -> None:
        if request["janus"] == "keepalive":
            seen.append(request["transaction"])
            if len(seen) == 3:
                await connection.close()
            return
        await well_behaved(request, connection)

    async with scripted_janus(drop_after_three_keepalives) as url:
        session = JanusSession(base_url=url, timeout=30, keepalive_interval=None, reconnect=False)
        await session.create()
        results = await asyncio.wait_for(
            asyncio.gather(*(session.keepalive() for _ in range(3)), return_exceptions=True),
            timeout=5,
        )
        assert all(isinstance(r, TransportClosed) for r in results), results
        assert all(isinstance(r, ConnectionError) for r in results)
        assert session.transport.pending_count == 0
        await session.destroy()


async def test_a_short_per_call_timeout_fires_before_a_long_one() -> None:
    async def silent_on_keepalive(request: dict[str, Any], connection: ServerConnection) -> None:
        if request["janus"] != "keepalive":
            await well_behaved(request, connection)

    async with scripted_janus(silent_on_keepalive) as url:
        session = JanusSession(base_url=url, timeout=30, keepalive_interval=None)
        async with session:
            assert session.session_id is not None
            slow = asyncio.ensure_future(session.keepalive())  # waits up to 30 s
            await asyncio.sleep(0)
            with pytest.raises(JanusTimeoutError, match=r"within 0\.2 s"):
                await session.request(messages.keepalive(session.session_id), timeout=0.2)
            assert not slow.done()
            slow.cancel()
            with pytest.raises(asyncio.CancelledError):
                await slow
            assert session.transport.pending_count == 0


def plugin_event(request: dict[str, Any], data: dict[str, Any], **ids: Any) -> str:
    """A plugin ``event`` answering ``request`` (ids default to the request's own)."""
    fields = {"session_id": request["session_id"], "sender": request["handle_id"], **ids}
    plugindata = {"plugin": "janus.plugin.echotest", "data": data}
    return reply(request, "event", plugindata=plugindata, **fields)


async def test_cross_session_and_duplicate_replies_never_resolve_or_leak(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A reply is matched on its transaction *and* its ids; copies and strangers are dropped."""

    async def hostile(request: dict[str, Any], connection: ServerConnection) -> None:
        kind = request["janus"]
        if kind == "keepalive":  # answered for another session only
            await connection.send(reply(request, "ack", session_id=request["session_id"] + 1))
        elif kind == "message" and request["body"]["step"] == "cross":
            await connection.send(reply(request, "ack", session_id=request["session_id"]))
            wrong_session = request["session_id"] + 1
            await connection.send(plugin_event(request, {"r": 1}, session_id=wrong_session))
            await connection.send(plugin_event(request, {"r": 2}, sender=request["handle_id"] + 1))
            await connection.send(plugin_event(request, {"r": "right"}))
        elif kind == "message":
            answer = plugin_event(request, {"r": "answer"})
            await connection.send(reply(request, "ack", session_id=request["session_id"]))
            await connection.send(answer)
            await connection.send(answer)  # a second copy
            stranger = {**json.loads(answer), "transaction": "never-issued"}
            await connection.send(json.dumps(stranger))
            await connection.send(plugin_event(request, {"r": "later"}))  # SIP-like, legitimate
        else:
            await well_behaved(request, connection)

    caplog.set_level(logging.WARNING, logger="rxjanus")
    async with (
        scripted_janus(hostile) as url,
        JanusSession(base_url=url, keepalive_interval=None, timeout=5) as session,
    ):
        plugin = JanusPlugin(plugin_id="janus.plugin.echotest")
        await plugin.attach(session)
        seen: list[dict[str, Any]] = []
        later = asyncio.Event()

        def on_event(message: dict[str, Any]) -> None:
            seen.append(message["plugindata"]["data"])
            if message["plugindata"]["data"] == {"r": "later"}:
                later.set()

        subscription = plugin.events.subscribe(on_event)
        assert await plugin.request({"step": "cross"}) == {"r": "right"}
        assert await plugin.request({"step": "dup"}) == {"r": "answer"}
        await later.wait()
        subscription.dispose()
        assert seen == [{"r": "later"}]  # no copy, no stranger, nothing of the cross replies
        with pytest.raises(JanusTimeoutError):
            await session.request(messages.keepalive(1111), timeout=0.2)
        assert session.transport.pending_count == 0
        protocol = session.transport._protocol
        assert protocol._awaiting_ack == set()
    dropped = [r.getMessage() for r in caplog.records if "dropped a message" in r.getMessage()]
    assert sum("does not fit its request: session_id 1112" in m for m in dropped) == 2
    assert sum("does not fit its request: sender 2223" in m for m in dropped) == 1
    assert sum("a second copy" in m for m in dropped) == 1
    assert sum("never issued" in m for m in dropped) == 1


async def test_every_junk_kind_leaves_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    """JSON that is no object, ids that are no integers, events for nobody: one line each."""
    junk = {
        "42": "frame is not a JSON object: 42",
        "null": "frame is not a JSON object: None",
        '"s"': "frame is not a JSON object: 's'",
        "true": "frame is not a JSON object: True",
        "[]": "frame is not a JSON object: []",
        json.dumps({"janus": "event", "session_id": "1111"}): "session_id that is not an integer",
        json.dumps({"janus": "event", "session_id": 1111, "sender": 2.5}): "sender that is not",
        json.dumps({"janus": "webrtcup", "session_id": 4444}): "for no known session or handle",
        json.dumps({"janus": "media", "session_id": 1111, "sender": 9999}): "for no known",
    }

    async def junk_before_the_ack(request: dict[str, Any], connection: ServerConnection) -> None:
        if request["janus"] == "keepalive":
            for frame in junk:
                await connection.send(frame)
        await well_behaved(request, connection)

    caplog.set_level(logging.DEBUG, logger="rxjanus")
    async with (
        scripted_janus(junk_before_the_ack) as url,
        JanusSession(base_url=url, keepalive_interval=None) as session,
    ):
        await session.keepalive()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    for frame, line in junk.items():
        assert sum(line in w for w in warnings) >= 1, (frame, warnings)
    assert len(warnings) == len(junk), warnings


async def test_a_late_event_of_a_destroyed_session_is_logged_at_debug(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def late_timeout(request: dict[str, Any], connection: ServerConnection) -> None:
        if request["janus"] == "ping":  # sent once the session is destroyed
            await connection.send(json.dumps({"janus": "timeout", "session_id": 1111}))
            await connection.send(reply(request, "pong"))
            return
        await well_behaved(request, connection)

    caplog.set_level(logging.DEBUG, logger="rxjanus.protocol")
    async with scripted_janus(late_timeout) as url, create_transport(url) as transport:
        async with JanusSession(transport=transport, keepalive_interval=None):
            pass
        await transport.ping()  # the link is ordered: the late event comes before the pong
    late = [r for r in caplog.records if "late 'timeout'" in r.getMessage()]
    assert [r.levelno for r in late] == [logging.DEBUG]
