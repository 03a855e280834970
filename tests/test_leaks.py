"""No leaks: 10,000 handles attached and detached, 1,000 sessions created and destroyed.

Against the suite's real Janus, over WebSocket (and some sessions over HTTP).
Before and after, we count what a leak would grow: requests still pending (and
the protocol's routing tables), asyncio tasks, file descriptors of this
process, its RSS, and what the server still holds (Admin API). Plugin, session
and transport objects are watched through weak references: each must be
garbage once used, which RSS alone would not show (keeping all 10,000 detached
plugin objects alive adds only ~4.5 MB). ``pytest -s`` prints the figures;
failed assertions carry them too.
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
import weakref
from collections.abc import Iterable
from dataclasses import dataclass

import pytest

from rxjanus import JanusPlugin, JanusSession
from rxjanus.testing import JanusServer
from rxjanus.transports import JanusTransport

HANDLES = 10_000
HANDLE_SESSIONS = 4
SESSIONS = 1_000
CHUNK = 200
"""Handles attached (then detached) at once; sessions are made 50 at a time."""
SESSION_CHUNK = 50

HANDLES_RSS_LIMIT_MB = 30.0
SESSIONS_RSS_LIMIT_MB = 30.0
SLACK = 2
"""Tasks and file descriptors that may come and go for reasons of their own."""


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def protocol_tables(transport: JanusTransport) -> dict[str, int]:
    """Sizes of the per-request and per-route tables a transport keeps.

    Read from the internals where they are, so a leak inside them shows even
    when ``pending_count`` stays right; tables that do not exist are skipped.
    """
    sizes = {"pending": transport.pending_count}
    protocol = getattr(transport, "_protocol", None)
    for name in ("_pending", "_awaiting_ack", "_sessions", "_handles"):
        table = getattr(protocol, name, None)
        if table is not None:
            sizes[name.lstrip("_")] = len(table)
    for name in ("_flights", "_polls"):
        table = getattr(transport, name, None)
        if table is not None:
            sizes[name.lstrip("_")] = len(table)
    return sizes


@dataclass
class Figures:
    tasks: int
    fds: int
    rss_mb: float
    tables: dict[str, int]

    @classmethod
    def now(cls, transports: Iterable[JanusTransport] = ()) -> Figures:
        gc.collect()
        tables: dict[str, int] = {}
        for transport in transports:
            for name, size in protocol_tables(transport).items():
                tables[name] = tables.get(name, 0) + size
        return cls(len(asyncio.all_tasks()), open_fds(), rss_mb(), tables)

    def __str__(self) -> str:
        tables = " ".join(f"{k}={v}" for k, v in self.tables.items())
        return f"tasks={self.tasks} fds={self.fds} rss={self.rss_mb:.1f} MB {tables}".strip()


def report(title: str, count: int, seconds: float, before: Figures, after: Figures) -> str:
    text = (
        f"{title}: {count} in {seconds:.1f} s ({count / seconds:,.0f}/s)\n"
        f"  before: {before}\n  after:  {after}\n"
        f"  growth: tasks {after.tasks - before.tasks:+d}, fds {after.fds - before.fds:+d}, "
        f"RSS {after.rss_mb - before.rss_mb:+.1f} MB"
    )
    print(f"\n{text}")
    return text


def alive(watched: weakref.WeakSet[object]) -> int:
    """How many watched objects are still alive after a full collection."""
    gc.collect()
    return len(watched)


async def attach_and_detach(
    sessions: list[JanusSession], count: int, watched: weakref.WeakSet[object]
) -> None:
    """Attach ``count`` EchoTest handles spread over ``sessions``, then detach them all."""
    plugins = [JanusPlugin(plugin_id="janus.plugin.echotest") for _ in range(count)]
    watched.update(plugins)
    await asyncio.gather(
        *(plugin.attach(sessions[i % len(sessions)]) for i, plugin in enumerate(plugins))
    )
    await asyncio.gather(*(plugin.detach() for plugin in plugins))


async def test_attaching_and_detaching_10000_handles_leaks_nothing(janus: JanusServer) -> None:
    sessions = [JanusSession(janus.ws_url, keepalive_interval=None) for _ in range(HANDLE_SESSIONS)]
    await asyncio.gather(*(session.create() for session in sessions))
    transports = [session.transport for session in sessions]
    plugins: weakref.WeakSet[object] = weakref.WeakSet()
    try:
        await attach_and_detach(sessions, CHUNK, weakref.WeakSet())  # warm up caches and pools
        before = Figures.now(transports)
        started = time.perf_counter()
        for _ in range(HANDLES // CHUNK):
            await attach_and_detach(sessions, CHUNK, plugins)
        seconds = time.perf_counter() - started
        # Janus's late "detached" events are still arriving; they must be dropped, not kept.
        await asyncio.gather(*(session.keepalive() for session in sessions))
        after = Figures.now(transports)
        text = report(
            f"{HANDLES} handles on {HANDLE_SESSIONS} sessions", HANDLES, seconds, before, after
        )
        assert all(session.plugin_handles == {} for session in sessions), text
        assert alive(plugins) == 0, f"{alive(plugins)} detached plugins still referenced\n{text}"
        for session in sessions:
            assert session.session_id is not None
            assert janus.list_handles(session.session_id) == [], text
        assert after.tables == before.tables, text
        assert after.tables["pending"] == 0, text
        assert after.tasks <= before.tasks + SLACK, text
        assert after.fds <= before.fds + SLACK, text
        assert after.rss_mb - before.rss_mb < HANDLES_RSS_LIMIT_MB, text
    finally:
        await asyncio.gather(*(session.destroy() for session in sessions))
    assert janus.list_sessions() == []


async def create_and_destroy(url: str, watched: weakref.WeakSet[object]) -> None:
    async with JanusSession(url) as session:  # its own transport, and keepalive task
        watched.update((session, session.transport))
        await session.keepalive()


@pytest.mark.parametrize(("transport", "count"), [("ws", SESSIONS), ("http", SESSIONS // 5)])
async def test_creating_and_destroying_sessions_leaks_nothing(
    janus: JanusServer, transport: str, count: int
) -> None:
    url = janus.ws_url if transport == "ws" else janus.http_url
    watched: weakref.WeakSet[object] = weakref.WeakSet()
    await asyncio.gather(*(create_and_destroy(url, watched) for _ in range(SESSION_CHUNK)))
    before = Figures.now()
    started = time.perf_counter()
    for _ in range(count // SESSION_CHUNK):
        await asyncio.gather(*(create_and_destroy(url, watched) for _ in range(SESSION_CHUNK)))
    seconds = time.perf_counter() - started
    after = Figures.now()
    text = report(f"{count} sessions over {transport}", count, seconds, before, after)
    assert janus.list_sessions() == [], text
    assert alive(watched) == 0, f"{alive(watched)} sessions/transports still referenced\n{text}"
    assert after.tasks <= before.tasks + SLACK, text
    assert after.fds <= before.fds + SLACK, text
    assert after.rss_mb - before.rss_mb < SESSIONS_RSS_LIMIT_MB, text


async def test_sessions_on_one_transport_leave_no_routes_or_tasks(janus: JanusServer) -> None:
    """1,000 sessions on one shared transport: its routing tables end as they began."""
    from rxjanus import create_transport

    watched: weakref.WeakSet[object] = weakref.WeakSet()
    async with create_transport(janus.ws_url) as transport:
        before = Figures.now([transport])
        started = time.perf_counter()
        for _ in range(SESSIONS // CHUNK):
            sessions = [JanusSession(transport=transport) for _ in range(CHUNK)]
            watched.update(sessions)
            await asyncio.gather(*(session.create() for session in sessions))
            await asyncio.gather(*(session.destroy() for session in sessions))
        del sessions
        seconds = time.perf_counter() - started
        after = Figures.now([transport])
        text = report(f"{SESSIONS} sessions on one transport", SESSIONS, seconds, before, after)
        assert transport.connected, text
        assert alive(watched) == 0, f"{alive(watched)} sessions still referenced\n{text}"
        assert after.tables == before.tables, text
        assert after.tasks <= before.tasks + SLACK, text
        assert after.fds <= before.fds + SLACK, text
    assert janus.list_sessions() == [], text
