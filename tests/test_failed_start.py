"""A failed ``async with JanusSession(...)`` leaves nothing behind, against real Janus servers.

``create()`` fails inside ``__aenter__`` (a wrong ``api_secret``, the Admin URL used
for a session): the transport the session made is closed (its tasks, sockets and
aiohttp session); a transport passed in is left open for its owner.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import secrets
from collections.abc import Iterator

import aiohttp
import pytest

from rxjanus import JanusError, JanusSession, Unauthorized
from rxjanus.testing import JanusServer
from rxjanus.transports import create_transport

API_SECRET = secrets.token_urlsafe(16)


@pytest.fixture(scope="module")
def secret_janus() -> Iterator[JanusServer]:
    """Janus with an ``api_secret``."""
    with JanusServer(api_secret=API_SECRET, loopback_ice=False) as server:
        yield server
        assert server.list_sessions() == []


def open_sockets() -> int:
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # closed meanwhile (the listing's own fd)
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
    return count


def open_aiohttp_sessions() -> int:
    gc.collect()
    return sum(type(o) is aiohttp.ClientSession and not o.closed for o in gc.get_objects())


def counts() -> tuple[int, int, int]:
    """Tasks, sockets and open aiohttp client sessions of this process."""
    return len(asyncio.all_tasks()), open_sockets(), open_aiohttp_sessions()


def url_for(server: JanusServer, case: str) -> str:
    return {
        "wrong-secret-ws": server.ws_url,
        "wrong-secret-http": server.http_url,
        "admin-url-http": server.admin_http_url,
        "admin-url-ws": server.admin_ws_url,
    }[case]


@pytest.mark.parametrize(
    "case", ["wrong-secret-ws", "wrong-secret-http", "admin-url-http", "admin-url-ws"]
)
async def test_a_failed_async_with_leaks_no_task_socket_or_http_session(
    secret_janus: JanusServer, case: str
) -> None:
    url = url_for(secret_janus, case)
    before = counts()
    session = JanusSession(url, api_secret="wrong", max_retries=0, keepalive_interval=None)
    with pytest.raises((JanusError, ConnectionError)) as caught:
        async with session:
            pytest.fail("the session was created")
    if case.startswith("wrong-secret") or case == "admin-url-http":
        assert isinstance(caught.value, Unauthorized)
    assert counts() == before
    assert session.transport.closed


@pytest.mark.parametrize("transport", ["ws", "http"])
async def test_a_failed_async_with_leaves_a_transport_passed_in_open(
    secret_janus: JanusServer, transport: str
) -> None:
    url = secret_janus.ws_url if transport == "ws" else secret_janus.http_url
    async with create_transport(url, api_secret="wrong") as shared:
        with pytest.raises(Unauthorized):
            async with JanusSession(transport=shared, keepalive_interval=None):
                pytest.fail("the session was created")
        assert not shared.closed
        assert await shared.ping()  # still usable by its owner
