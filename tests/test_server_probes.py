"""JanusServer's readiness probes: websockets' Sans-I/O client and paho-mqtt, nothing left open."""

from __future__ import annotations

import gc
import os
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rxjanus.testing import JanusServer
from rxjanus.testing.mosquitto import MosquittoBroker, mosquitto_available
from rxjanus.testing.server import (
    _mqtt_info,
    _MqttBroker,
    _probe_ssl_context,
    _ws_info,
)

from .tls_ca import make_test_ca

needs_mosquitto = pytest.mark.skipif(
    not mosquitto_available(), reason="Mosquitto is not installed (apt-get install mosquitto)"
)


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/", 1)[0].split("?", 1)[0])


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def no_leaks() -> Iterator[None]:
    """Without the garbage collector: no new fd and no new thread once the test is done."""
    threads = set(threading.enumerate())
    gc.collect()
    gc.disable()
    try:
        before = _open_fds()
        yield
        assert _open_fds() == before
        assert set(threading.enumerate()) == threads
    finally:
        gc.enable()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts TCP connections and never says a word."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        yield listener.getsockname()[1]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# ------------------------------------------------------------------ WebSocket


def test_ws_probe_uses_each_endpoints_subprotocol(janus: JanusServer, no_leaks: None) -> None:
    for url, subprotocol in (
        (janus.ws_url, "janus-protocol"),
        (janus.admin_ws_url, "janus-admin-protocol"),
    ):
        reply = _ws_info(_port(url), subprotocol, 2.0)
        assert reply["janus"] == "server_info"
        assert reply["server-name"] == janus.server_name
        assert reply["transaction"] == "rxjanus-probe"


def test_ws_probe_over_tls(tmp_path: Path) -> None:
    ca = make_test_ca(tmp_path)
    with JanusServer(tls_cert=ca.cert, tls_key=ca.key, loopback_ice=False) as server:
        gc.collect()
        before = _open_fds()
        for _ in range(20):
            reply = _ws_info(_port(server.wss_url), "janus-protocol", 2.0, _probe_ssl_context())
            assert reply["server-name"] == server.server_name
        # Plain WebSocket to the TLS port, TLS to a plain port: errors the start loop retries.
        with pytest.raises(ConnectionError):
            _ws_info(_port(server.wss_url), "janus-protocol", 2.0)
        with pytest.raises(ssl.SSLError):
            _ws_info(_port(server.ws_url), "janus-protocol", 2.0, _probe_ssl_context())
        gc.collect()
        assert _open_fds() == before


def test_ws_probe_errors_are_the_ones_the_start_loop_retries(
    janus: JanusServer, silent_port: int, no_leaks: None
) -> None:
    with pytest.raises(ConnectionRefusedError):
        _ws_info(_closed_port(), "janus-protocol", 2.0)
    with pytest.raises(TimeoutError):
        _ws_info(silent_port, "janus-protocol", 0.2)
    # Janus' HTTP port answers the upgrade with an HTTP error.
    with pytest.raises(ConnectionError, match="handshake refused"):
        _ws_info(_port(janus.http_url), "janus-protocol", 2.0)


# ----------------------------------------------------------------------- MQTT


def test_module_imports_and_servers_start_without_paho() -> None:
    code = (
        "import sys; sys.modules['paho'] = None; sys.modules['paho.mqtt'] = None\n"
        "from rxjanus.testing.server import JanusServer\n"
        "with JanusServer(loopback_ice=False) as server: print(server.server_name)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, capture_output=True)


def test_missing_paho_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "paho.mqtt.client", None)
    broker = _MqttBroker.parse("mqtt://127.0.0.1:1")
    with pytest.raises(ImportError, match=r"pip install rxjanus\[mqtt\]"):
        _mqtt_info(broker, "to-janus", "from-janus", 0.5)


@needs_mosquitto
def test_mqtt_probe_outcomes_leave_no_socket_or_thread(
    tmp_path: Path, silent_port: int, no_leaks: None
) -> None:
    ca = make_test_ca(tmp_path)
    users = {"janus": "j-pass", "ann": "p@ss:w0rd"}
    with (
        MosquittoBroker(users=users, tls_cert=ca.cert, tls_key=ca.key) as broker,
        JanusServer(
            mqtt_url=broker.url.replace("//", "//janus:j-pass@"),
            mqtt_topic_prefix="probe/",
            loopback_ice=False,
        ) as janus,
    ):
        topics = janus.mqtt_topics
        plain = broker.url.replace("//", "//ann:p%40ss%3Aw0rd@")
        tls = broker.tls_url.replace("//", "//ann:p%40ss%3Aw0rd@")

        def probe(url: str, timeout: float = 2.0, admin: bool = False) -> dict[str, Any]:
            suffix = "-admin" if admin else ""
            to, frm = topics[f"to-janus{suffix}"], topics[f"from-janus{suffix}"]
            return _mqtt_info(_MqttBroker.parse(url), to, frm, timeout)

        for _ in range(5):
            for url in (plain, tls):
                for admin in (False, True):
                    assert probe(url, admin=admin)["server-name"] == janus.server_name
        failures: list[tuple[Callable[[], object], type[OSError], str | None]] = [
            (lambda: probe(plain.replace("w0rd", "wrong")), ConnectionError, "refused"),
            # Nobody answers on the default topics.
            (
                lambda: _mqtt_info(_MqttBroker.parse(plain), "to-janus", "from-janus", 0.3),
                TimeoutError,
                "no reply",
            ),
            # The TLS handshake fails: paho itself would leave that socket open.
            (lambda: probe(plain.replace("mqtt://", "mqtts://")), OSError, None),
            (lambda: probe(tls.replace("mqtts://", "mqtt://")), OSError, None),
            (lambda: probe(f"mqtt://127.0.0.1:{_closed_port()}"), ConnectionRefusedError, None),
            # TCP accepted, never a CONNACK.
            (lambda: probe(f"mqtt://127.0.0.1:{silent_port}", 0.3), TimeoutError, None),
            (lambda: probe(f"mqtts://127.0.0.1:{silent_port}", 0.3), TimeoutError, None),
        ]
        for call, error, match in failures:
            with pytest.raises(error, match=match):
                call()
