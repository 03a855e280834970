"""Shared fixtures: one real Janus for the suite, and the URLs to reach it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from rxjanus.admin import JanusAdminMonitorClient
from rxjanus.testing import JanusServer


async def sessions_left(server: JanusServer) -> list[int]:
    """The sessions ``server`` still holds, read with rxjanus's own Admin API client."""
    async with JanusAdminMonitorClient(server.admin_http_url, server.admin_secret) as admin:
        return await admin.list_sessions()


@pytest.fixture(scope="session")
def janus() -> Iterator[JanusServer]:
    """The real Janus the suite runs against; at the end it must hold no session."""
    with JanusServer() as server:
        yield server
        left = asyncio.run(sessions_left(server))
        assert left == [], f"the tests left sessions on the server: {left}"


@pytest.fixture(params=["ws", "http"])
def url(request: pytest.FixtureRequest, janus: JanusServer) -> str:
    """The server's URL, once over WebSocket and once over HTTP."""
    return janus.ws_url if request.param == "ws" else janus.http_url


@pytest.fixture
def unused_tcp_port_url() -> str:
    """A ws:// URL on a loopback port nothing listens on."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"ws://127.0.0.1:{port}"
