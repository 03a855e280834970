"""janus_client 0.9's Admin/Monitor client, the janus_client way, on the real Janus.

The usage follows janus_client's tests/test_admin.py with only the import changed,
over the Admin API's HTTP and WebSocket endpoints.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rxjanus import JanusAdminMonitorClient
from rxjanus.testing import JanusServer

ECHOTEST = "janus.plugin.echotest"
STREAMING = "janus.plugin.streaming"


@pytest.fixture(scope="module")
def token_janus() -> Iterator[JanusServer]:
    """A Janus with stored-token authentication, for the token requests."""
    with JanusServer(token_auth=True, loopback_ice=False) as server:
        yield server


def admin_url(server: JanusServer, kind: str) -> str:
    return server.admin_ws_url if kind == "ws" else server.admin_http_url


@pytest.mark.parametrize("kind", ["ws", "http"])
async def test_server_requests(kind: str, janus: JanusServer) -> None:
    admin_client = JanusAdminMonitorClient(
        base_url=admin_url(janus, kind), admin_secret=janus.admin_secret
    )
    await admin_client.connect()
    assert (await admin_client.ping())["janus"] == "pong"
    response = await admin_client.info()
    assert response["janus"] == "server_info"
    assert response["name"] == "Janus WebRTC Server"
    assert await admin_client.loops_info() == []
    settings = await admin_client.get_settings()
    assert settings["log_colors"] is False
    response = await admin_client.send_wrapper(
        message={"janus": "list_sessions"}, matcher={"janus": "success", "sessions": None}
    )
    assert response["sessions"] == []
    await admin_client.disconnect()


SETTERS = [
    ("set_session_timeout", "session_timeout", lambda value: value + 1),
    ("set_log_level", "log_level", lambda value: value + 1),
    ("set_log_timestamps", "log_timestamps", lambda value: not value),
    ("set_log_colors", "log_colors", lambda value: not value),
    ("set_libnice_debug", "libnice_debug", lambda value: not value),
    ("set_min_nack_queue", "min_nack_queue", lambda value: value + 1),
    ("set_no_media_timer", "no_media_timer", lambda value: value + 1),
    ("set_slowlink_threshold", "slowlink_threshold", lambda value: value + 1),
]


@pytest.mark.parametrize("kind", ["ws", "http"])
async def test_each_setting_is_set_and_restored(kind: str, janus: JanusServer) -> None:
    admin_client = JanusAdminMonitorClient(admin_url(janus, kind), janus.admin_secret)
    await admin_client.connect()
    try:
        for method, key, change in SETTERS:
            settings = await admin_client.get_settings()
            changed = change(settings[key])
            assert await getattr(admin_client, method)(changed) == changed, method
            assert (await admin_client.get_settings())[key] == changed, method
            assert await getattr(admin_client, method)(settings[key]) == settings[key], method
    finally:
        await admin_client.disconnect()


@pytest.mark.parametrize("kind", ["ws", "http"])
async def test_tokens(kind: str, token_janus: JanusServer) -> None:
    admin_client = JanusAdminMonitorClient(admin_url(token_janus, kind), token_janus.admin_secret)
    await admin_client.connect()
    try:
        assert await admin_client.list_tokens() == []
        token_test = "123123"
        assert await admin_client.add_token(token=token_test, plugins=[ECHOTEST]) == token_test
        plugin_permissions = [ECHOTEST, STREAMING]
        response = await admin_client.allow_token(token=token_test, plugins=plugin_permissions)
        assert sorted(response) == sorted(plugin_permissions)
        response = await admin_client.disallow_token(token=token_test, plugins=[STREAMING])
        assert response == [ECHOTEST]
        assert [t["token"] for t in await admin_client.list_tokens()] == [token_test]
        assert await admin_client.remove_token(token=token_test) is True
        assert await admin_client.list_tokens() == []
    finally:
        await admin_client.disconnect()
