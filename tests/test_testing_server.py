"""Tests for rxjanus.testing: the throwaway Janus server, its shim and loopback ICE."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from rxjanus.testing import (
    JanusAdminError,
    JanusServer,
    disable_loopback_ice,
    enable_loopback_ice,
    loopback_ice_enabled,
    loopback_rtc_configuration,
)
from rxjanus.testing import server as server_module

pytestmark = [
    pytest.mark.janus,
    pytest.mark.skipif(shutil.which("janus") is None, reason="Janus is not installed"),
]

_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_REPO = Path(__file__).resolve().parent.parent


def _get(url: str) -> dict[str, Any]:
    with _NO_PROXY.open(url, timeout=5) as response:
        reply: dict[str, Any] = json.load(response)
    return reply


def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    with _NO_PROXY.open(request, timeout=5) as response:
        reply: dict[str, Any] = json.load(response)
    return reply


def _ws_request(url: str, subprotocol: str, body: dict[str, Any]) -> dict[str, Any]:
    with connect(url, subprotocols=[Subprotocol(subprotocol)], open_timeout=5) as ws:
        assert ws.subprotocol == subprotocol
        ws.send(json.dumps(body))
        reply: dict[str, Any] = json.loads(ws.recv(timeout=5))
    return reply


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); Popen.wait() reaps ours, so check state.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def server() -> Iterator[JanusServer]:
    with JanusServer() as s:
        yield s


def test_info_over_http_has_unique_server_name(server: JanusServer) -> None:
    info = _get(server.http_url + "/info")
    assert info["janus"] == "server_info"
    assert info["server-name"] == server.server_name
    assert server.server_name.startswith("rxjanus-")
    assert info["session-timeout"] == 60
    assert info["reclaim-session-timeout"] == 0
    assert info["api_secret"] is False
    assert "janus.plugin.echotest" in info["plugins"]
    assert "janus.plugin.voicemail" in info["plugins"]
    assert set(info["transports"]) == {
        "janus.transport.http",
        "janus.transport.websockets",
        "janus.transport.pfunix",
    }


def test_urls_have_the_documented_shapes(server: JanusServer) -> None:
    assert server.ws_url.startswith("ws://127.0.0.1:")
    assert server.admin_ws_url.startswith("ws://127.0.0.1:")
    assert server.http_url.startswith("http://127.0.0.1:")
    assert server.http_url.endswith("/janus")
    assert server.admin_http_url.endswith("/admin")
    ports = {
        int(url.rsplit(":", 1)[1].split("/")[0])
        for url in (server.ws_url, server.http_url, server.admin_http_url, server.admin_ws_url)
    }
    assert len(ports) == 4
    assert server.urls()["ws_url"] == server.ws_url
    assert server.running
    assert server.server_name in repr(server)


def test_all_four_ports_and_the_unix_socket_answer(server: JanusServer) -> None:
    name = server.server_name
    ws_info = _ws_request(server.ws_url, "janus-protocol", {"janus": "info", "transaction": "t"})
    assert ws_info["server-name"] == name
    admin_ws = _ws_request(
        server.admin_ws_url,
        "janus-admin-protocol",
        {"janus": "list_sessions", "transaction": "t", "admin_secret": server.admin_secret},
    )
    assert admin_ws["janus"] == "success"
    assert admin_ws["sessions"] == []
    admin_http = _post(server.admin_http_url, {"janus": "info", "transaction": "t"})
    assert admin_http["server-name"] == name

    assert server.unix_path is not None
    assert server.unix_path.is_socket()
    assert server.unix_path.parent == server.workdir
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as sock:
        sock.settimeout(5)
        sock.connect(str(server.unix_path))
        sock.sendall(json.dumps({"janus": "info", "transaction": "u"}).encode())
        assert json.loads(sock.recv(1 << 20))["server-name"] == name


def test_admin_reads_back_sessions_and_handles(server: JanusServer) -> None:
    assert server.list_sessions() == []
    session_id = _post(server.http_url, {"janus": "create", "transaction": "c"})["data"]["id"]
    try:
        assert server.list_sessions() == [session_id]
        assert server.list_handles(session_id) == []
        handle_id = _post(
            f"{server.http_url}/{session_id}",
            {"janus": "attach", "plugin": "janus.plugin.echotest", "transaction": "a"},
        )["data"]["id"]
        assert server.list_handles(session_id) == [handle_id]
        info = server.handle_info(session_id, handle_id)
        assert info["session_id"] == session_id
        assert info["handle_id"] == handle_id
        assert info["plugin"] == "janus.plugin.echotest"
        with pytest.raises(JanusAdminError) as excinfo:
            server.handle_info(session_id, handle_id + 1)
        assert excinfo.value.code == 459
    finally:
        _post(f"{server.http_url}/{session_id}", {"janus": "destroy", "transaction": "d"})
    assert server.list_sessions() == []
    with pytest.raises(JanusAdminError) as excinfo:
        server.list_handles(session_id)
    assert excinfo.value.code == 458


def test_bad_admin_secret_is_an_error(server: JanusServer) -> None:
    with pytest.raises(JanusAdminError) as excinfo:
        server.admin("list_sessions", admin_secret="not-the-secret")
    assert isinstance(excinfo.value, RuntimeError)
    assert excinfo.value.code == 403
    assert "403" in str(excinfo.value)
    assert "Unauthorized" in excinfo.value.reason


def test_unknown_admin_request_is_an_error(server: JanusServer) -> None:
    with pytest.raises(JanusAdminError) as excinfo:
        server.admin("no_such_request")
    assert excinfo.value.code == 457  # "Unhandled request ... at this path"


def test_loopback_ice_preloads_the_compiled_shim(server: JanusServer) -> None:
    shim = server.shim_path
    assert shim is not None
    assert shim.is_file()
    assert shim.suffix == ".so"
    pid = server.pid
    assert pid is not None
    assert str(shim) in Path(f"/proc/{pid}/maps").read_text()


def test_rendered_configs(server: JanusServer) -> None:
    conf = server.conf_dir
    texts = {p.name: p.read_text() for p in conf.glob("*.jcfg")}
    assert "janus.plugin.streaming.jcfg" in texts
    for name, text in texts.items():
        assert "${" not in text, name
    core = texts["janus.jcfg"]
    assert f'server_name = "{server.server_name}"' in core
    assert 'ice_enforce_list = "lo"' in core
    assert "api_secret" not in core
    assert "token_auth" not in core
    assert "stun_server" not in core
    assert "libjanus_voicemail.so" not in core
    assert "libjanus_nanomsg.so" in core
    assert "libjanus_jsonlog.so" in core
    assert "mountpoint" not in texts["janus.plugin.streaming.jcfg"].replace("mountpoints", "")
    assert "type =" not in texts["janus.plugin.streaming.jcfg"]
    assert str(server.recordings_dir) in texts["janus.plugin.recordplay.jcfg"]
    assert server.recordings_dir.is_dir()
    assert f'path = "{server.voicemail_dir}"' in texts["janus.plugin.voicemail.jcfg"]
    assert server.voicemail_dir.is_dir()
    assert server.log_path.is_file()
    assert "[FATAL]" not in server.log_text()


def test_two_servers_side_by_side(server: JanusServer) -> None:
    with JanusServer(loopback_ice=False) as other:
        assert other.server_name != server.server_name
        assert other.workdir != server.workdir
        mine = {server.ws_url, server.http_url, server.admin_http_url, server.admin_ws_url}
        theirs = {other.ws_url, other.http_url, other.admin_http_url, other.admin_ws_url}
        assert not mine & theirs
        assert _get(other.http_url + "/info")["server-name"] == other.server_name
        assert _get(server.http_url + "/info")["server-name"] == server.server_name
        assert other.shim_path is None
        pid = other.pid
        assert pid is not None
        assert "rxjanus-loopback-shim" not in Path(f"/proc/{pid}/maps").read_text()


def test_stop_leaves_no_process_and_removes_the_workdir() -> None:
    s = JanusServer(loopback_ice=False)
    assert s.stop() is None  # never started: a no-op
    s.start()
    pid = s.pid
    workdir = s.workdir
    assert pid is not None
    assert _pid_alive(pid)
    assert workdir.is_dir()
    assert s.stop() == 0  # SIGINT: clean exit
    assert not _pid_alive(pid)
    assert not workdir.exists()
    assert not s.running
    assert s.pid is None
    assert s.stop() is None  # idempotent
    with pytest.raises(RuntimeError):
        _ = s.ws_url


def test_given_workdir_is_kept(tmp_path: Path) -> None:
    workdir = tmp_path / "janus"
    with JanusServer(loopback_ice=False, workdir=workdir) as s:
        assert s.workdir == workdir.resolve()
        assert s.log_path.parent == workdir.resolve()
    assert (workdir / "janus.log").is_file()
    assert (workdir / "conf" / "janus.jcfg").is_file()


def test_secrets_and_timeouts_reach_janus() -> None:
    with JanusServer(
        loopback_ice=False,
        api_secret="api-s3cret",
        admin_secret="admin-s3cret",
        session_timeout=7,
        reclaim_session_timeout=3,
    ) as s:
        info = _get(s.http_url + "/info")
        assert info["api_secret"] is True
        assert info["session-timeout"] == 7
        assert info["reclaim-session-timeout"] == 3
        assert s.api_secret == "api-s3cret"
        assert s.admin_secret == "admin-s3cret"
        denied = _post(s.http_url, {"janus": "create", "transaction": "x"})
        assert denied["error"]["code"] == 403
        ok = _post(s.http_url, {"janus": "create", "transaction": "x", "apisecret": "api-s3cret"})
        assert ok["janus"] == "success"
        assert s.list_sessions() == [ok["data"]["id"]]
        status = s.admin("get_status")["status"]
        assert status["session_timeout"] == 7
        assert status["reclaim_session_timeout"] == 3


def test_token_auth_with_signed_tokens() -> None:
    with JanusServer(loopback_ice=False, token_auth=True, token_auth_secret="hmac") as s:
        assert _get(s.http_url + "/info")["auth_token"] is True
        assert s.token_auth_secret == "hmac"
        denied = _post(s.http_url, {"janus": "create", "transaction": "x"})
        assert denied["error"]["code"] == 403


def test_token_auth_secret_needs_token_auth() -> None:
    with pytest.raises(ValueError, match="token_auth"):
        JanusServer(token_auth_secret="x")


def test_port_clash_is_retried_with_fresh_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    real_pick = server_module._pick_ports
    held: list[socket.socket] = []
    picks: list[Any] = []

    def pick_with_a_taken_ws_port() -> Any:
        ports = real_pick()
        if not picks:
            squatter = socket.socket()
            squatter.bind(("127.0.0.1", ports.ws))
            squatter.listen()
            held.append(squatter)
        picks.append(ports)
        return ports

    monkeypatch.setattr(server_module, "_pick_ports", pick_with_a_taken_ws_port)
    try:
        with JanusServer(loopback_ice=False) as s:
            # At least one retry (another process may take a fresh pick too, rarely).
            assert len(picks) >= 2
            assert s.ws_url.endswith(f":{picks[-1].ws}")
            assert (s.workdir / "janus.attempt1.log").is_file()
            assert "[FATAL]" in (s.workdir / "janus.attempt1.log").read_text()
            assert _get(s.http_url + "/info")["server-name"] == s.server_name
    finally:
        for sock in held:
            sock.close()


def test_missing_binary_is_a_clear_error() -> None:
    with pytest.raises(FileNotFoundError, match="not found"):
        JanusServer(janus_binary="/nonexistent/janus").start()


def test_cli_prints_urls_and_stops_on_sigterm() -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_REPO), env.get("PYTHONPATH")]))
    proc = subprocess.Popen(
        [sys.executable, "-m", "rxjanus.testing.server", "--no-loopback-ice", "--api-secret", "k"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        urls = json.loads(line)
        assert urls["api_secret"] == "k"
        assert _get(urls["http_url"] + "/info")["server-name"] == urls["server_name"]
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=10)
        assert proc.returncode == 0, err
        assert not _pid_alive(urls["pid"])
        assert not Path(urls["workdir"]).exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_enable_loopback_ice_is_idempotent_and_reversible() -> None:
    import aioice.ice

    was_enabled = loopback_ice_enabled()
    disable_loopback_ice()
    pristine = aioice.ice.get_host_addresses
    try:
        enable_loopback_ice()
        enable_loopback_ice()
        assert loopback_ice_enabled()
        assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=True) == ["127.0.0.1"]
        disable_loopback_ice()
        assert not loopback_ice_enabled()
        assert aioice.ice.get_host_addresses is pristine
        disable_loopback_ice()  # a no-op now
        assert aioice.ice.get_host_addresses is pristine
    finally:
        if was_enabled:
            enable_loopback_ice()


def test_loopback_rtc_configuration_has_no_ice_servers() -> None:
    config = loopback_rtc_configuration()
    assert config.iceServers == []
