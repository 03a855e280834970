"""Run a real, throwaway Janus instance on loopback for tests and demos.

[`JanusServer`][rxjanus.testing.server.JanusServer] writes a private set of Janus configs (from the
templates in ``rxjanus/testing/templates``), picks four free loopback TCP ports (Janus API
and Admin API, each over HTTP and WebSocket), starts ``janus`` and waits until
every transport answers with this instance's unique server name:

```python
with JanusServer() as server:
    client = connect(server.ws_url)
    ...
    assert server.list_sessions() == []
```

Every method is blocking (``subprocess`` and ``urllib``). They are quick
(start ~0.05 s plus ~0.1 s the first time the shim is built, stop ~0.1-0.2 s,
an Admin API call ~1 ms), so calling them from an async test is acceptable;
wrap them in ``asyncio.to_thread`` if blocking the event loop matters.

Run ``python -m rxjanus.testing.server`` to start one from the shell: it
prints the URLs as one JSON line and runs until SIGINT or SIGTERM. ``rxjanus
server`` does the same for people, on Janus's standard ports by default.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import glob
import json
import logging
import os
import shutil
import signal
import socket
import ssl
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

from .rabbitmq import JanusRabbitMQ
from .shim import build_loopback_shim

__all__ = [
    "JanusAdminError",
    "JanusServer",
    "JanusStartError",
    "main",
]

logger = logging.getLogger(__name__)

_HOST: Final = "127.0.0.1"
_START_ATTEMPTS: Final = 3
_POLL_INTERVAL: Final = 0.02
_PROBE_TIMEOUT: Final = 0.5
_STOP_GRACE: Final = 5.0
_UNIX_PATH_MAX: Final = 107  # sun_path is 108 bytes including the NUL
_LOG_TAIL_LINES: Final = 40
_WS_DATA: Final = frozenset({Opcode.TEXT, Opcode.BINARY, Opcode.CONT})
_PFUNIX_RACE: Final = "Unix Sockets thread ended"

# Modules rxjanus tests use. Everything else found in the module folders (and
# the known extras below, in case the folders cannot be listed) is disabled.
_WANTED_PLUGINS: Final = frozenset(
    {
        "libjanus_echotest.so",
        "libjanus_videoroom.so",
        "libjanus_videocall.so",
        "libjanus_textroom.so",
        "libjanus_streaming.so",
        "libjanus_audiobridge.so",
        "libjanus_recordplay.so",
        "libjanus_sip.so",
        "libjanus_nosip.so",
        "libjanus_lua.so",
        "libjanus_duktape.so",
        "libjanus_voicemail.so",
    }
)
_WANTED_TRANSPORTS: Final = frozenset(
    {"libjanus_http.so", "libjanus_websockets.so", "libjanus_pfunix.so"}
)
_MQTT_MODULE: Final = "libjanus_mqtt.so"
_RABBITMQ_MODULE: Final = "libjanus_rabbitmq.so"
_MQTT_VERSIONS: Final = ("3.1", "3.1.1", "5")
_KNOWN_UNWANTED: Final[Mapping[str, frozenset[str]]] = {
    "plugins": frozenset(),
    "transports": frozenset({"libjanus_mqtt.so", "libjanus_rabbitmq.so", "libjanus_nanomsg.so"}),
    "loggers": frozenset({"libjanus_jsonlog.so"}),
    "events": frozenset(
        {
            "libjanus_gelfevh.so",
            "libjanus_mqttevh.so",
            "libjanus_nanomsgevh.so",
            "libjanus_rabbitmqevh.so",
            "libjanus_sampleevh.so",
            "libjanus_wsevh.so",
        }
    ),
}
_WANTED: Final[Mapping[str, frozenset[str]]] = {
    "plugins": _WANTED_PLUGINS,
    "transports": _WANTED_TRANSPORTS,
    "loggers": frozenset(),
    "events": frozenset(),
}
_TEMPLATES: Final = (
    "janus.jcfg",
    "janus.transport.http.jcfg",
    "janus.transport.websockets.jcfg",
    "janus.transport.pfunix.jcfg",
    "janus.plugin.echotest.jcfg",
    "janus.plugin.videoroom.jcfg",
    "janus.plugin.videocall.jcfg",
    "janus.plugin.textroom.jcfg",
    "janus.plugin.streaming.jcfg",
    "janus.plugin.audiobridge.jcfg",
    "janus.plugin.recordplay.jcfg",
    "janus.plugin.sip.jcfg",
    "janus.plugin.nosip.jcfg",
    "janus.plugin.lua.jcfg",
    "janus.plugin.duktape.jcfg",
    "janus.plugin.voicemail.jcfg",
)

# Never send loopback requests through an HTTP proxy from the environment.
_OPENER: Final = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class JanusStartError(RuntimeError):
    """Janus did not start, or did not become ready in time.

    Attributes:
        log_tail: The last lines of the Janus log (may be empty).
        port_clash: Whether the failure looks like a port taken by someone else
            (those are retried with fresh ports).
    """

    def __init__(self, message: str, log_tail: str = "", *, port_clash: bool = False) -> None:
        text = f"{message}\n--- Janus log tail ---\n{log_tail}" if log_tail else message
        super().__init__(text)
        self.log_tail = log_tail
        self.port_clash = port_clash


class JanusAdminError(RuntimeError):
    """The Janus Admin API answered ``{"janus": "error"}``.

    Attributes:
        code: The Janus error code (403 for a wrong ``admin_secret``).
        reason: The reason text Janus gave.
    """

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"Janus Admin API error {code}: {reason}")
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class _Ports:
    http: int
    ws: int
    admin_http: int
    admin_ws: int
    https: int | None = None
    wss: int | None = None


class _Running:
    """State of one started instance; owned by a finalizer so it never leaks."""

    def __init__(self, proc: subprocess.Popen[bytes], output: IO[bytes]) -> None:
        self.proc = proc
        self.output = output

    def terminate(self) -> int | None:
        """Stop the process (SIGINT, then SIGKILL after a grace period).

        Returns:
            The exit code.
        """
        proc = self.proc
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=_STOP_GRACE)
            except subprocess.TimeoutExpired:
                logger.warning(
                    "Janus pid %d ignored SIGINT for %.0f s; killing", proc.pid, _STOP_GRACE
                )
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                proc.wait()
        self.output.close()
        return proc.returncode


def _cleanup(running: _Running | None, tmpdir: Path | None) -> None:
    if running is not None:
        running.terminate()
    if tmpdir is not None:
        shutil.rmtree(tmpdir, ignore_errors=True)


def _pick_ports(tls: bool = False) -> _Ports:
    """Pick distinct free loopback TCP ports by binding to port 0.

    Four (HTTP, WebSocket, Admin HTTP, Admin WebSocket), and two more for
    HTTPS and secure WebSocket with ``tls``.
    """
    socks: list[socket.socket] = []
    try:
        for _ in range(6 if tls else 4):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(s)
            s.bind((_HOST, 0))
        ports = [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()
    return _Ports(*ports)


def _probe_ssl_context() -> ssl.SSLContext:
    """A TLS context for readiness probes: the probe checks the server name, not the cert."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _jcfg_string(value: str) -> str:
    """Escape a value for use inside a double-quoted libconfig string."""
    if any(ord(ch) < 0x20 for ch in value):
        raise ValueError(f"control characters are not allowed in Janus config values: {value!r}")
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _find_modules_dir(janus_binary: str) -> Path | None:
    """Find the folder holding plugins/, transports/, events/ and loggers/."""
    resolved = shutil.which(janus_binary) or janus_binary
    prefix = Path(os.path.realpath(resolved)).parent.parent
    patterns = [
        str(prefix / "lib" / "*" / "janus"),
        str(prefix / "lib" / "janus"),
        str(prefix / "lib64" / "janus"),
    ]
    for pattern in patterns:
        for candidate in sorted(glob.glob(pattern)):
            if Path(candidate, "plugins").is_dir() and Path(candidate, "transports").is_dir():
                return Path(candidate)
    return None


def _disabled(
    kind: str, modules_dir: Path | None, also_wanted: frozenset[str] = frozenset()
) -> str:
    names = set(_KNOWN_UNWANTED[kind])
    if modules_dir is not None and (modules_dir / kind).is_dir():
        names.update(p.name for p in (modules_dir / kind).glob("*.so"))
    return ",".join(sorted(names - _WANTED[kind] - also_wanted))


def _jcfg_value(value: str | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return f'"{_jcfg_string(value)}"'


def _event_handler_configs(
    handlers: Mapping[str, Mapping[str, str | int | bool]],
) -> dict[str, str]:
    """Render each event handler's ``general`` settings (``enabled`` is added)."""
    rendered: dict[str, str] = {}
    for name, settings in handlers.items():
        if not name.isidentifier():
            raise ValueError(f"not an event handler name: {name!r} (e.g. 'sampleevh')")
        lines = ["\tenabled = true\n"]
        for key, value in settings.items():
            if not key.isidentifier() or key == "enabled":
                raise ValueError(f"bad event handler setting {key!r} for {name}")
            lines.append(f"\t{key} = {_jcfg_value(value)}\n")
        rendered[name] = "".join(lines)
    return rendered


def _read_tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _http_json(
    url: str,
    body: Mapping[str, Any] | None,
    timeout: float,
    context: ssl.SSLContext | None = None,
) -> dict[str, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    opener = _OPENER
    if context is not None:
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
        )
    try:
        with opener.open(request, timeout=timeout) as response:
            raw: bytes = response.read()
    except urllib.error.HTTPError as exc:
        # Janus puts a JSON error in the body of some non-2xx replies.
        raw = exc.read()
        exc.close()
        if not raw:
            raise
    reply = json.loads(raw)
    if not isinstance(reply, dict):
        raise ValueError(f"expected a JSON object from {url}, got {type(reply).__name__}")
    return reply


def _ws_info(
    port: int, subprotocol: str, timeout: float, context: ssl.SSLContext | None = None
) -> dict[str, Any]:
    """Send ``info`` over a WebSocket (over TLS with ``context``) and return the reply.

    websockets' Sans-I/O client does the handshake and the framing; this thread
    alone reads and writes the socket. (websockets' sync client reads in a thread
    of its own while the caller writes: one TLS socket used from two threads at
    once, which OpenSSL does not allow and which crashed CPython's ssl module in CI.)
    """
    protocol = ClientProtocol(
        parse_uri(f"{'ws' if context is None else 'wss'}://{_HOST}:{port}"),
        subprotocols=[Subprotocol(subprotocol)],
    )
    protocol.send_request(protocol.connect())
    message = bytearray()
    reply: bytes | None = None
    with contextlib.ExitStack() as stack:
        sock = stack.enter_context(socket.create_connection((_HOST, port), timeout=timeout))
        if context is not None:
            sock = stack.enter_context(context.wrap_socket(sock, server_hostname=_HOST))
        while reply is None:
            for data in protocol.data_to_send():
                sock.sendall(data)
            chunk = sock.recv(65536)
            if chunk:
                protocol.receive_data(chunk)
            else:
                protocol.receive_eof()
            for event in protocol.events_received():
                if isinstance(event, Response) and protocol.state is State.OPEN:
                    request = {"janus": "info", "transaction": "rxjanus-probe"}
                    protocol.send_text(json.dumps(request).encode())
                elif isinstance(event, Frame) and event.opcode in _WS_DATA and reply is None:
                    message.extend(event.data)
                    if event.fin:
                        reply = bytes(message)
            if reply is None and protocol.handshake_exc is not None:
                raise ConnectionError(f"WebSocket handshake refused: {protocol.handshake_exc}")
            if reply is None and (protocol.state is not State.OPEN or not chunk):
                raise ConnectionError("WebSocket closed before the info reply")
        protocol.send_close(1000)
        with contextlib.suppress(OSError):
            for data in protocol.data_to_send():
                sock.sendall(data)
    decoded = json.loads(reply)
    if not isinstance(decoded, dict):
        raise ValueError("expected a JSON object")
    return decoded


def _unix_info(path: str, timeout: float) -> dict[str, Any]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as sock:
        sock.settimeout(timeout)
        sock.connect(path)
        sock.sendall(json.dumps({"janus": "info", "transaction": "rxjanus-probe"}).encode())
        raw = sock.recv(1 << 20)
    reply = json.loads(raw)
    if not isinstance(reply, dict):
        raise ValueError("expected a JSON object")
    return reply


@dataclass(frozen=True)
class _MqttBroker:
    """Where Janus' MQTT transport connects, parsed from ``mqtt_url``."""

    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> _MqttBroker:
        parts = urllib.parse.urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError("mqtt_url must be mqtt://host[:port] or mqtts://host[:port]")
        tls = scheme == "mqtts"
        return cls(
            host=parts.hostname,
            port=parts.port or (8883 if tls else 1883),
            tls=tls,
            username=None if parts.username is None else urllib.parse.unquote(parts.username),
            password=None if parts.password is None else urllib.parse.unquote(parts.password),
        )

    @property
    def janus_url(self) -> str:
        """The broker as Janus (Paho C) spells it: ``tcp://`` or ``ssl://``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'ssl' if self.tls else 'tcp'}://{host}:{self.port}"


class _ClosingSSLSocket(ssl.SSLSocket):
    """An SSL socket that closes itself when its TLS handshake fails.

    paho-mqtt 2.x runs the handshake itself and drops the socket unclosed when it fails.
    """

    def do_handshake(self, block: bool = False) -> None:
        try:
            super().do_handshake(block)
        except BaseException:
            self.close()
            raise


def _mqtt_info(
    broker: _MqttBroker, to_janus: str, from_janus: str, timeout: float
) -> dict[str, Any]:
    """Send ``info`` to Janus over MQTT 3.1.1 (paho-mqtt) and return the reply.

    Subscribes to ``from_janus``, publishes to ``to_janus`` once subscribed and waits
    for the reply carrying its own transaction (Janus publishes every reply on one
    topic). paho's ``loop()`` runs in this thread; its sockets are closed on every
    way out.

    Raises:
        ImportError: paho-mqtt is not installed.
        ConnectionError: The broker refused the login or the subscription, or
            dropped the connection.
        TimeoutError: No reply before ``timeout``.
    """
    try:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion
    except ImportError as exc:
        raise ImportError(
            "JanusServer(mqtt_url=...) checks Janus' MQTT transport with paho-mqtt: "
            "pip install rxjanus[mqtt]"
        ) from exc
    transaction = f"rxjanus-probe-{uuid.uuid4().hex}"
    request = json.dumps({"janus": "info", "transaction": transaction})
    replies: list[dict[str, Any]] = []
    refused: list[str] = []

    def on_connect(
        client: mqtt.Client, userdata: Any, flags: Any, code: Any, properties: Any
    ) -> None:
        if code.is_failure:
            refused.append(f"CONNACK {code}")
        else:
            client.subscribe(from_janus)

    def on_subscribe(
        client: mqtt.Client, userdata: Any, mid: int, codes: list[Any], properties: Any
    ) -> None:
        if any(code.is_failure for code in codes):
            refused.append(f"SUBACK {', '.join(map(str, codes))}")
        else:
            client.publish(to_janus, request)

    def on_message(client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        with contextlib.suppress(ValueError):
            reply = json.loads(message.payload)
            if isinstance(reply, dict) and reply.get("transaction") == transaction:
                replies.append(reply)

    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=f"rxjanus-probe-{uuid.uuid4().hex[:12]}",
        protocol=mqtt.MQTTv311,
    )
    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    client.connect_timeout = timeout
    if broker.username is not None:
        client.username_pw_set(broker.username, broker.password)
    if broker.tls:
        context = _probe_ssl_context()
        context.sslsocket_class = _ClosingSSLSocket
        client.tls_set_context(context)
    deadline = time.monotonic() + timeout
    try:
        client.connect(broker.host, broker.port, keepalive=10)
        while not replies:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no reply on MQTT topic {from_janus!r} within {timeout} s")
            code = client.loop(remaining)
            if refused:
                raise ConnectionError(f"the MQTT broker refused the probe ({refused[0]})")
            if code != mqtt.MQTT_ERR_SUCCESS:
                raise ConnectionError(f"MQTT broker connection lost: {mqtt.error_string(code)}")
        return replies[0]
    finally:
        if client.socket() is not None:
            client.disconnect()
        # paho closes the socket pair loop() made only in Client.__del__.
        with contextlib.suppress(AttributeError):
            client._reset_sockets()


class JanusServer:
    """A private Janus instance on 127.0.0.1, started and stopped by the test.

    Use it as a context manager (``with JanusServer() as server:``) or call
    [`start`][rxjanus.testing.server.JanusServer.start] and
    [`stop`][rxjanus.testing.server.JanusServer.stop]. All calls block; see the module docstring.

    Args:
        api_secret: If set, written as ``api_secret``: every Janus API request
            except ``info`` and ``ping`` must carry it as ``apisecret``.
        admin_secret: The Admin API secret; [`admin`][rxjanus.testing.server.JanusServer.admin]
            sends it for you.
        token_auth: Enable token-based authentication (``token_auth = true``).
        token_auth_secret: With ``token_auth``, verify HMAC-signed tokens with
            this secret instead of tokens stored with ``add_token``.
        session_timeout: Seconds before an idle session times out (0: never).
        reclaim_session_timeout: Seconds a session survives its transport going
            away, so that another connection can ``claim`` it (0: destroyed at once).
        loopback_ice: Preload the loopback-ICE shim so Janus offers 127.0.0.1
            host candidates (needs ``gcc`` once). Set False for signalling-only tests.
        janus_binary: The ``janus`` executable.
        workdir: Where to put configs, logs, sockets and recordings. Default: a
            fresh temp dir, removed by [`stop`][rxjanus.testing.server.JanusServer.stop]. A given
            dir is kept.
        debug_level: Janus log verbosity, 0-7.
        start_timeout: Seconds to wait for readiness at each start attempt.
        tls_cert: A PEM certificate (chain) for 127.0.0.1. With ``tls_key``, Janus
            also serves its API over HTTPS and secure WebSocket, on the ports of
            [`https_url`][rxjanus.testing.server.JanusServer.https_url] and
            [`wss_url`][rxjanus.testing.server.JanusServer.wss_url] (the Admin API stays plain).
        tls_key: The unencrypted PEM private key of ``tls_cert``.
        mqtt_url: An MQTT broker, ``mqtt://[user:password@]host[:port]`` (or
            ``mqtts://``): enables Janus' MQTT transport (``janus.transport.mqtt``,
            Janus API and Admin API) connected to it. Default None: disabled. The
            broker must be running; [`start`][rxjanus.testing.server.JanusServer.start] waits until
            Janus answers on it.
        mqtt_version: The MQTT version Janus speaks: ``"3.1.1"`` (Janus' default),
            ``"3.1"`` or ``"5"``.
        mqtt_topic_prefix: Put before Janus' default topic names (``to-janus``,
            ``from-janus``, ``to-janus-admin``, ``from-janus-admin``), so that several
            servers can share a broker. Default "": Janus' own defaults.
        rabbitmq_url: A RabbitMQ broker, ``amqp://[user:password@]host[:port][/vhost]``:
            enables Janus' RabbitMQ transport (``janus.transport.rabbitmq``, Janus API
            and Admin API) connected to it; see
            [JanusRabbitMQ][rxjanus.testing.rabbitmq.JanusRabbitMQ]. Default None.
        rabbitmq_queue_prefix: Put before Janus' default queue names.
        rabbitmq_exchange: Janus' ``janus_exchange`` (fanout; each client binds a
            queue of its own), or None for Janus' default shared queue ``from-janus``.
        event_handlers: Event handlers to enable, by short name (``"sampleevh"``,
            ``"wsevh"``, ``"mqttevh"`` ...) with the settings of their ``general``
            section, e.g. ``{"sampleevh": receiver.janus_settings()}``; turns on
            ``broadcast`` in ``janus.jcfg``. Default None: no event handler.
        events_stats_period: Seconds between media stats events (Janus' default 5).
        http_port: The Janus API's HTTP port (default: a free one; Janus's own is 8088).
        ws_port: The Janus API's WebSocket port (default: a free one; Janus's own is 8188).
        admin_http_port: The Admin API's HTTP port (default: a free one; Janus's own is 7088).
        admin_ws_port: The Admin API's WebSocket port (default: a free one; Janus's own
            is 7188).
    """

    def __init__(
        self,
        *,
        api_secret: str | None = None,
        admin_secret: str = "rxjanus-admin-secret",
        token_auth: bool = False,
        token_auth_secret: str | None = None,
        session_timeout: int = 60,
        reclaim_session_timeout: int = 0,
        loopback_ice: bool = True,
        janus_binary: str = "/usr/bin/janus",
        workdir: Path | None = None,
        debug_level: int = 4,
        start_timeout: float = 10.0,
        tls_cert: Path | None = None,
        tls_key: Path | None = None,
        mqtt_url: str | None = None,
        mqtt_version: str = "3.1.1",
        mqtt_topic_prefix: str = "",
        rabbitmq_url: str | None = None,
        rabbitmq_queue_prefix: str = "",
        rabbitmq_exchange: str | None = None,
        event_handlers: Mapping[str, Mapping[str, str | int | bool]] | None = None,
        events_stats_period: int = 5,
        http_port: int | None = None,
        ws_port: int | None = None,
        admin_http_port: int | None = None,
        admin_ws_port: int | None = None,
    ) -> None:
        fixed = {"http": http_port, "ws": ws_port, "admin_http": admin_http_port}
        fixed["admin_ws"] = admin_ws_port
        self._fixed_ports = {name: port for name, port in fixed.items() if port is not None}
        if len(set(self._fixed_ports.values())) != len(self._fixed_ports):
            raise ValueError("the fixed ports must differ")
        if not all(0 < port < 65536 for port in self._fixed_ports.values()):
            raise ValueError("a port must be in 1..65535")
        if (tls_cert is None) != (tls_key is None):
            raise ValueError("tls_cert and tls_key go together")
        if mqtt_version not in _MQTT_VERSIONS:
            raise ValueError(f"mqtt_version must be one of {', '.join(_MQTT_VERSIONS)}")
        if any(ch in mqtt_topic_prefix for ch in "+#\0"):
            raise ValueError("mqtt_topic_prefix must not hold MQTT wildcards")
        if token_auth_secret is not None and not token_auth:
            raise ValueError("token_auth_secret needs token_auth=True")
        if not 0 <= debug_level <= 7:
            raise ValueError("debug_level must be in 0..7")
        self._api_secret = api_secret
        self._admin_secret = admin_secret
        self._token_auth = token_auth
        self._token_auth_secret = token_auth_secret
        self._session_timeout = int(session_timeout)
        self._reclaim_session_timeout = int(reclaim_session_timeout)
        self._loopback_ice = loopback_ice
        self._janus_binary = janus_binary
        self._given_workdir = workdir
        self._debug_level = debug_level
        self._start_timeout = start_timeout
        self._tls_cert = None if tls_cert is None else Path(tls_cert).resolve()
        self._tls_key = None if tls_key is None else Path(tls_key).resolve()
        self._server_name = f"rxjanus-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._workdir: Path | None = None
        self._tmpdir: Path | None = None
        self._ports: _Ports | None = None
        self._unix_path: Path | None = None
        self._unix_admin_path: Path | None = None
        self._shim_path: Path | None = None
        self._running: _Running | None = None
        self._finalizer: weakref.finalize[[_Running | None, Path | None], JanusServer] | None = None
        self._start_duration: float | None = None
        self._mqtt_url = mqtt_url
        self._mqtt = None if mqtt_url is None else _MqttBroker.parse(mqtt_url)
        self._mqtt_version = mqtt_version
        self._mqtt_topics = {
            name: f"{mqtt_topic_prefix}{name}"
            for name in ("to-janus", "from-janus", "to-janus-admin", "from-janus-admin")
        }
        self._rabbitmq = (
            None
            if rabbitmq_url is None
            else JanusRabbitMQ(rabbitmq_url, rabbitmq_queue_prefix, rabbitmq_exchange)
        )
        self._event_handlers = _event_handler_configs(event_handlers or {})
        if events_stats_period < 1:
            raise ValueError("events_stats_period must be at least 1 second")
        self._events_stats_period = events_stats_period

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> JanusServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"pid={self.pid} ws_url={self.ws_url}" if self.running else "stopped"
        return f"<JanusServer {self._server_name} {state}>"

    def start(self) -> JanusServer:
        """Write the configs, start Janus and wait until every transport answers.

        A failure that looks like a port taken by another process is retried
        with fresh ports, up to three attempts in all.

        Returns:
            This server, for chaining.

        Raises:
            JanusStartError: Janus exited, logged ``[FATAL]`` or was not ready in time.
            ShimBuildError: ``loopback_ice`` is set and the shim cannot be built.
            FileNotFoundError: The Janus binary does not exist.
        """
        if self._running is not None:
            raise RuntimeError("JanusServer is already started")
        binary = shutil.which(self._janus_binary)
        if binary is None:
            raise FileNotFoundError(
                f"Janus binary {self._janus_binary!r} not found (apt-get install janus)"
            )
        began = time.monotonic()
        if self._loopback_ice:
            self._shim_path = build_loopback_shim()
        if self._given_workdir is not None:
            self._workdir = self._given_workdir.resolve()
            self._workdir.mkdir(parents=True, exist_ok=True)
            self._tmpdir = None
        else:
            self._tmpdir = Path(tempfile.mkdtemp(prefix="rxjanus-")).resolve()
            self._workdir = self._tmpdir
        self._finalizer = weakref.finalize(self, _cleanup, None, self._tmpdir)
        try:
            for attempt in range(1, _START_ATTEMPTS + 1):
                try:
                    self._start_once(binary, attempt)
                    break
                except JanusStartError as exc:
                    if not exc.port_clash or attempt == _START_ATTEMPTS:
                        raise
                    logger.warning(
                        "Janus start attempt %d failed, retrying with new ports: %s",
                        attempt,
                        str(exc).split("\n", 1)[0],
                    )
                    with contextlib.suppress(OSError):
                        self.log_path.replace(self.workdir / f"janus.attempt{attempt}.log")
        except BaseException:
            self.stop()
            raise
        self._start_duration = time.monotonic() - began
        logger.info(
            "Janus %s ready in %.3f s (pid %d, ws %s)",
            self._server_name,
            self._start_duration,
            self.pid,
            self.ws_url,
        )
        return self

    def stop(self) -> int | None:
        """Stop Janus (SIGINT, SIGKILL after 5 s) and remove the temp work dir.

        Safe to call more than once and on a server that never started.

        Returns:
            Janus' exit code, or None if it was not running.
        """
        running, self._running = self._running, None
        code = None
        if running is not None:
            code = running.terminate()
            logger.info("Janus %s stopped (exit %s)", self._server_name, code)
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None
        self._ports = None
        return code

    def _start_once(self, binary: str, attempt: int) -> None:
        assert self._workdir is not None
        workdir = self._workdir
        ports = self._choose_ports()
        conf_dir = workdir / "conf"
        if conf_dir.exists():
            shutil.rmtree(conf_dir)
        conf_dir.mkdir(parents=True)
        recordings = workdir / "recordings"
        recordings.mkdir(exist_ok=True)
        self.voicemail_dir.mkdir(exist_ok=True)
        log_path = workdir / "janus.log"
        log_path.unlink(missing_ok=True)
        unix_path = workdir / "janus.sock"
        unix_admin_path = workdir / "janus-admin.sock"
        for p in (unix_path, unix_admin_path):
            p.unlink(missing_ok=True)
        unix_ok = len(os.fsencode(unix_admin_path)) <= _UNIX_PATH_MAX
        if not unix_ok:
            logger.warning("work dir path too long for Unix sockets; pfunix transport disabled")
        self._write_configs(conf_dir, ports, recordings, unix_path, unix_admin_path, unix_ok)

        env = dict(os.environ)
        if self._shim_path is not None:
            preload = env.get("LD_PRELOAD", "")
            env["LD_PRELOAD"] = f"{self._shim_path} {preload}".strip()
        cmd = [
            binary,
            "-F",
            str(conf_dir),
            "-C",
            str(conf_dir / "janus.jcfg"),
            "--disable-colors",
            "--disable-stdout",
            f"--log-file={log_path}",
        ]
        output_path = workdir / "janus.output.log"
        output = output_path.open("ab")
        logger.debug("starting Janus (attempt %d): %s", attempt, " ".join(cmd))
        try:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=workdir,
                env=env,
                start_new_session=True,
            )
        except BaseException:
            output.close()
            raise
        running = _Running(proc, output)
        self._running = running
        self._ports = ports
        self._unix_path = unix_path if unix_ok else None
        self._unix_admin_path = unix_admin_path if unix_ok else None
        if self._finalizer is not None:
            self._finalizer.detach()
        self._finalizer = weakref.finalize(self, _cleanup, running, self._tmpdir)
        try:
            self._wait_ready(proc, ports, log_path, output_path)
        except BaseException:
            self._running = None
            self._ports = None
            running.terminate()
            raise

    def _choose_ports(self) -> _Ports:
        """Free ports for what was not given a fixed port, none equal to a fixed one.

        Raises:
            OSError: A fixed port is taken (EADDRINUSE), before Janus is started.
        """
        fixed = self._fixed_ports
        for name, port in fixed.items():
            with socket.socket() as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Janus does
                try:
                    probe.bind((_HOST, port))
                except OSError as exc:
                    raise OSError(exc.errno, f"{_HOST}:{port} (the {name} port) is in use") from exc
        while True:
            ports = _pick_ports(tls=True) if self.tls else _pick_ports()
            picked = {getattr(ports, field.name) for field in dataclasses.fields(ports)}
            if not picked & set(fixed.values()):
                return dataclasses.replace(ports, **fixed)

    def _write_configs(
        self,
        conf_dir: Path,
        ports: _Ports,
        recordings: Path,
        unix_path: Path,
        unix_admin_path: Path,
        unix_ok: bool,
    ) -> None:
        modules_dir = _find_modules_dir(self._janus_binary)
        folders = ""
        if modules_dir is not None:
            for kind in ("plugins", "transports", "events", "loggers"):
                folder = _jcfg_string(str(modules_dir / kind))
                folders += f'\t{kind}_folder = "{folder}"\n'
        else:
            logger.warning("Janus module folders not found; using Janus' compiled-in defaults")
        auth = ""
        if self._api_secret is not None:
            auth += f'\tapi_secret = "{_jcfg_string(self._api_secret)}"\n'
        if self._token_auth:
            auth += "\ttoken_auth = true\n"
            if self._token_auth_secret is not None:
                auth += f'\ttoken_auth_secret = "{_jcfg_string(self._token_auth_secret)}"\n'
        tls: dict[str, str] = {
            "https_enabled": "false",
            "https_settings": "",
            "wss_enabled": "false",
            "wss_settings": "",
            "certificate_settings": "",
        }
        if self._tls_cert is not None and self._tls_key is not None:
            assert ports.https is not None
            assert ports.wss is not None
            tls = {
                "https_enabled": "true",
                "https_settings": f'\tsecure_port = {ports.https}\n\tsecure_ip = "{_HOST}"\n',
                "wss_enabled": "true",
                "wss_settings": f'\twss_port = {ports.wss}\n\twss_ip = "{_HOST}"\n',
                "certificate_settings": (
                    f'\tcert_pem = "{_jcfg_string(str(self._tls_cert))}"\n'
                    f'\tcert_key = "{_jcfg_string(str(self._tls_key))}"\n'
                ),
            }
        values: dict[str, str] = {
            **tls,
            "conf_dir": _jcfg_string(str(conf_dir)),
            "folder_settings": folders,
            "debug_level": str(self._debug_level),
            "server_name": _jcfg_string(self._server_name),
            "admin_secret": _jcfg_string(self._admin_secret),
            "session_timeout": str(self._session_timeout),
            "reclaim_session_timeout": str(self._reclaim_session_timeout),
            "auth_settings": auth,
            "disabled_plugins": _disabled("plugins", modules_dir),
            "disabled_transports": _disabled(
                "transports",
                modules_dir,
                (frozenset() if self._mqtt is None else frozenset({_MQTT_MODULE}))
                | (frozenset() if self._rabbitmq is None else frozenset({_RABBITMQ_MODULE})),
            ),
            "disabled_loggers": _disabled("loggers", modules_dir),
            "disabled_events": _disabled(
                "events",
                modules_dir,
                frozenset(f"libjanus_{name}.so" for name in self._event_handlers),
            ),
            "events_broadcast": "true" if self._event_handlers else "false",
            "events_stats_period": str(self._events_stats_period),
            "http_port": str(ports.http),
            "admin_http_port": str(ports.admin_http),
            "ws_port": str(ports.ws),
            "admin_ws_port": str(ports.admin_ws),
            "unix_enabled": "true" if unix_ok else "false",
            "unix_admin_enabled": "true" if unix_ok else "false",
            "unix_path": _jcfg_string(str(unix_path)),
            "unix_admin_path": _jcfg_string(str(unix_admin_path)),
            "recordings_dir": _jcfg_string(str(recordings)),
            "voicemail_dir": _jcfg_string(str(self.voicemail_dir)),
        }
        names: tuple[str, ...] = _TEMPLATES
        if self._mqtt is not None:
            names = (*names, "janus.transport.mqtt.jcfg")
            values.update(self._mqtt_values(self._mqtt))
        if self._rabbitmq is not None:
            names = (*names, "janus.transport.rabbitmq.jcfg")
            values.update(self._rabbitmq.template_values())
        templates = resources.files(__package__ or "rxjanus.testing").joinpath("templates")
        for name in names:
            text = templates.joinpath(name).read_text(encoding="utf-8")
            rendered = string.Template(text).substitute(values)
            (conf_dir / name).write_text(rendered, encoding="utf-8")
        evh_template = templates.joinpath("janus.eventhandler.jcfg").read_text(encoding="utf-8")
        for handler, settings in self._event_handlers.items():
            rendered = string.Template(evh_template).substitute(settings=settings)
            (conf_dir / f"janus.eventhandler.{handler}.jcfg").write_text(rendered, "utf-8")

    def _mqtt_values(self, broker: _MqttBroker) -> dict[str, str]:
        """The template values of ``janus.transport.mqtt.jcfg``."""
        credentials = ""
        if broker.username is not None:
            credentials += f'\tusername = "{_jcfg_string(broker.username)}"\n'
        if broker.password is not None:
            credentials += f'\tpassword = "{_jcfg_string(broker.password)}"\n'
        topics = self._mqtt_topics
        return {
            "mqtt_broker": _jcfg_string(broker.janus_url),
            "mqtt_version": self._mqtt_version,
            "mqtt_client_id": _jcfg_string(self._server_name),
            "mqtt_credentials": credentials,
            "mqtt_to_janus": _jcfg_string(topics["to-janus"]),
            "mqtt_from_janus": _jcfg_string(topics["from-janus"]),
            "mqtt_to_janus_admin": _jcfg_string(topics["to-janus-admin"]),
            "mqtt_from_janus_admin": _jcfg_string(topics["from-janus-admin"]),
        }

    def _wait_ready(
        self, proc: subprocess.Popen[bytes], ports: _Ports, log_path: Path, output_path: Path
    ) -> None:
        name = self._server_name
        probes: dict[str, Any] = {
            "http": lambda: _http_json(
                f"http://{_HOST}:{ports.http}/janus/info", None, _PROBE_TIMEOUT
            ),
            "ws": lambda: _ws_info(ports.ws, "janus-protocol", _PROBE_TIMEOUT),
            "admin_http": lambda: _http_json(
                f"http://{_HOST}:{ports.admin_http}/admin",
                {"janus": "info", "transaction": "rxjanus-probe"},
                _PROBE_TIMEOUT,
            ),
            "admin_ws": lambda: _ws_info(ports.admin_ws, "janus-admin-protocol", _PROBE_TIMEOUT),
        }
        if ports.https is not None and ports.wss is not None:
            https, wss, context = ports.https, ports.wss, _probe_ssl_context()
            probes["https"] = lambda: _http_json(
                f"https://{_HOST}:{https}/janus/info", None, _PROBE_TIMEOUT, context
            )
            probes["wss"] = lambda: _ws_info(wss, "janus-protocol", _PROBE_TIMEOUT, context)
        if self._unix_path is not None and self._unix_admin_path is not None:
            unix_path = str(self._unix_path)
            unix_admin_path = str(self._unix_admin_path)
            probes["unix"] = lambda: _unix_info(unix_path, _PROBE_TIMEOUT)
            probes["unix_admin"] = lambda: _unix_info(unix_admin_path, _PROBE_TIMEOUT)
        if self._mqtt is not None:
            broker, topics = self._mqtt, self._mqtt_topics
            probes["mqtt"] = lambda: _mqtt_info(
                broker, topics["to-janus"], topics["from-janus"], _PROBE_TIMEOUT
            )
            probes["mqtt_admin"] = lambda: _mqtt_info(
                broker, topics["to-janus-admin"], topics["from-janus-admin"], _PROBE_TIMEOUT
            )
        rabbitmq = self._rabbitmq
        if rabbitmq is not None:
            probes["rabbitmq"] = lambda: rabbitmq.info(timeout=_PROBE_TIMEOUT)
            probes["rabbitmq_admin"] = lambda: rabbitmq.info(admin=True, timeout=_PROBE_TIMEOUT)
        pending = dict(probes)
        last_error: dict[str, str] = {}
        deadline = time.monotonic() + self._start_timeout

        def tail() -> str:
            out = _read_tail(output_path, 10)
            log = _read_tail(log_path)
            return f"{log}\n--- stdout/stderr ---\n{out}" if out else log

        def fatal_lines() -> list[str]:
            try:
                text = log_path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                return []
            return [line for line in text.splitlines() if "[FATAL]" in line]

        while True:
            code = proc.poll()
            if code is not None:
                raise JanusStartError(f"Janus exited with code {code} during start", tail())
            fatal = fatal_lines()
            if fatal:
                clash = any(
                    word in line.lower()
                    for line in fatal
                    for word in ("transports/", "port", "bind", "address already in use", "vhost")
                )
                raise JanusStartError(
                    "Janus logged [FATAL] during start: " + " | ".join(fatal),
                    tail(),
                    port_clash=clash,
                )
            if "unix" in pending and _PFUNIX_RACE in _read_tail(log_path, 200):
                # Janus 1.1.2's pfunix starts its thread before it sets `initialized`;
                # when the thread runs first it ends at once and unlinks its sockets.
                raise JanusStartError(
                    "Janus' Unix Sockets thread ended during start (a Janus 1.1.2 race)",
                    tail(),
                    port_clash=True,
                )
            for key, probe in list(pending.items()):
                try:
                    reply = probe()
                except (OSError, ValueError) as exc:
                    last_error[key] = f"{type(exc).__name__}: {exc}"
                    continue
                got = reply.get("server-name")
                if got != name:
                    raise JanusStartError(
                        f"the {key} port answered as server {got!r}, expected {name!r}: "
                        "another process holds that port",
                        tail(),
                        port_clash=True,
                    )
                del pending[key]
            if not pending:
                # A transport that failed to bind logs [FATAL] while loading;
                # look once more now that every transport has answered.
                fatal = fatal_lines()
                if fatal:
                    raise JanusStartError("Janus logged [FATAL]: " + " | ".join(fatal), tail())
                return
            if time.monotonic() >= deadline:
                detail = "; ".join(f"{k}: {last_error.get(k, 'no answer')}" for k in pending)
                raise JanusStartError(
                    f"Janus not ready after {self._start_timeout:.1f} s ({detail})",
                    tail(),
                    port_clash=True,
                )
            time.sleep(_POLL_INTERVAL)

    # ----------------------------------------------------------------- properties

    def _need_ports(self) -> _Ports:
        if self._ports is None:
            raise RuntimeError("JanusServer is not running; call start() first")
        return self._ports

    @property
    def running(self) -> bool:
        """Whether the Janus process was started and is still alive."""
        return self._running is not None and self._running.proc.poll() is None

    @property
    def pid(self) -> int | None:
        """The Janus process id, or None when not started."""
        return None if self._running is None else self._running.proc.pid

    @property
    def ws_url(self) -> str:
        """Janus API over WebSocket (subprotocol ``janus-protocol``)."""
        return f"ws://{_HOST}:{self._need_ports().ws}"

    @property
    def http_url(self) -> str:
        """Janus API over HTTP (``POST`` to create sessions, long-poll ``GET``)."""
        return f"http://{_HOST}:{self._need_ports().http}/janus"

    @property
    def tls(self) -> bool:
        """Whether the server was given ``tls_cert`` and ``tls_key``."""
        return self._tls_cert is not None

    @property
    def wss_url(self) -> str:
        """Janus API over secure WebSocket (needs ``tls_cert`` and ``tls_key``)."""
        port = self._need_ports().wss
        if port is None:
            raise RuntimeError("JanusServer was started without tls_cert and tls_key")
        return f"wss://{_HOST}:{port}"

    @property
    def https_url(self) -> str:
        """Janus API over HTTPS (needs ``tls_cert`` and ``tls_key``)."""
        port = self._need_ports().https
        if port is None:
            raise RuntimeError("JanusServer was started without tls_cert and tls_key")
        return f"https://{_HOST}:{port}/janus"

    @property
    def admin_http_url(self) -> str:
        """Admin API over HTTP."""
        return f"http://{_HOST}:{self._need_ports().admin_http}/admin"

    @property
    def admin_ws_url(self) -> str:
        """Admin API over WebSocket (subprotocol ``janus-admin-protocol``)."""
        return f"ws://{_HOST}:{self._need_ports().admin_ws}"

    @property
    def unix_path(self) -> Path | None:
        """Janus API over a ``SOCK_SEQPACKET`` Unix socket, or None if disabled."""
        self._need_ports()
        return self._unix_path

    @property
    def unix_admin_path(self) -> Path | None:
        """Admin API over a ``SOCK_SEQPACKET`` Unix socket, or None if disabled."""
        self._need_ports()
        return self._unix_admin_path

    @property
    def mqtt_url(self) -> str | None:
        """Janus API over MQTT, as an rxjanus URL with the topics; None without ``mqtt_url``."""
        return self._mqtt_client_url("to-janus", "from-janus")

    @property
    def mqtt_admin_url(self) -> str | None:
        """Admin API over MQTT, as an rxjanus URL with the topics; None without ``mqtt_url``."""
        return self._mqtt_client_url("to-janus-admin", "from-janus-admin")

    @property
    def mqtt_topics(self) -> dict[str, str]:
        """Janus' MQTT topics, keyed by their default names (``to-janus`` ...)."""
        return dict(self._mqtt_topics)

    @property
    def rabbitmq_url(self) -> str | None:
        """Janus API over RabbitMQ, as an rxjanus URL with the queues; None without one."""
        return None if self._rabbitmq is None else self._rabbitmq.client_url()

    @property
    def rabbitmq_admin_url(self) -> str | None:
        """Admin API over RabbitMQ, as an rxjanus URL with the queues; None without one."""
        return None if self._rabbitmq is None else self._rabbitmq.client_url(admin=True)

    def _mqtt_client_url(self, to_janus: str, from_janus: str) -> str | None:
        if self._mqtt_url is None:
            return None
        base = self._mqtt_url.split("?", 1)[0].rstrip("/")
        query = urllib.parse.urlencode(
            {"to_janus": self._mqtt_topics[to_janus], "from_janus": self._mqtt_topics[from_janus]}
        )
        return f"{base}?{query}"

    @property
    def server_name(self) -> str:
        """The unique ``server-name`` this instance reports in ``info``."""
        return self._server_name

    @property
    def workdir(self) -> Path:
        """The directory holding configs, logs, sockets and recordings."""
        if self._workdir is None:
            raise RuntimeError("JanusServer has no work dir yet; call start() first")
        return self._workdir

    @property
    def conf_dir(self) -> Path:
        """The folder with the rendered ``*.jcfg`` files."""
        return self.workdir / "conf"

    @property
    def recordings_dir(self) -> Path:
        """Where the Record&Play plugin keeps its recordings."""
        return self.workdir / "recordings"

    @property
    def voicemail_dir(self) -> Path:
        """Where the VoiceMail plugin writes its ``.opus`` files.

        Its ``base`` is this folder too, so the ``recording`` of a ``done``
        event is the file's path.
        """
        return self.workdir / "voicemail"

    @property
    def log_path(self) -> Path:
        """The Janus log file."""
        return self.workdir / "janus.log"

    @property
    def admin_secret(self) -> str:
        """The Admin API secret."""
        return self._admin_secret

    @property
    def api_secret(self) -> str | None:
        """The Janus API secret, or None."""
        return self._api_secret

    @property
    def token_auth_secret(self) -> str | None:
        """The HMAC secret for signed tokens, or None."""
        return self._token_auth_secret

    @property
    def shim_path(self) -> Path | None:
        """The preloaded loopback-ICE shim, or None without ``loopback_ice``."""
        return self._shim_path

    @property
    def start_duration(self) -> float | None:
        """Seconds the last [`start`][rxjanus.testing.server.JanusServer.start] took, or None."""
        return self._start_duration

    def urls(self) -> dict[str, Any]:
        """Return the endpoints and secrets of this instance, JSON-ready.

        Returns:
            A dict with ``ws_url``, ``http_url``, ``wss_url`` and ``https_url``
            (None without TLS), ``admin_http_url``, ``admin_ws_url``,
            ``unix_path``, ``unix_admin_path``, ``mqtt_url`` and ``mqtt_admin_url``
            (None without MQTT), ``server_name``,
            ``admin_secret``, ``api_secret``, ``log_path``, ``workdir`` and ``pid``.
        """
        return {
            "ws_url": self.ws_url,
            "http_url": self.http_url,
            "wss_url": self.wss_url if self.tls else None,
            "https_url": self.https_url if self.tls else None,
            "admin_http_url": self.admin_http_url,
            "admin_ws_url": self.admin_ws_url,
            "unix_path": None if self.unix_path is None else str(self.unix_path),
            "unix_admin_path": None if self.unix_admin_path is None else str(self.unix_admin_path),
            "mqtt_url": self.mqtt_url,
            "mqtt_admin_url": self.mqtt_admin_url,
            "server_name": self.server_name,
            "admin_secret": self.admin_secret,
            "api_secret": self.api_secret,
            "log_path": str(self.log_path),
            "workdir": str(self.workdir),
            "pid": self.pid,
        }

    def log_text(self) -> str:
        """Return the Janus log so far.

        Returns:
            The log file's text ("" if there is none).
        """
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    # ------------------------------------------------------------------ Admin API

    def admin(self, request: str, *, timeout: float = 5.0, **fields: Any) -> dict[str, Any]:
        """Send one Admin API request over HTTP and return the reply (blocking).

        ``transaction`` and ``admin_secret`` are added; any of ``fields``
        (``session_id``, ``handle_id``, ``token``, even ``admin_secret``) go in
        the request body as given.

        Args:
            request: The Admin API verb, e.g. ``"list_sessions"``.
            timeout: Seconds to wait for the reply.
            **fields: Further members of the request.

        Returns:
            The decoded reply.

        Raises:
            JanusAdminError: Janus answered ``{"janus": "error"}``.
        """
        body: dict[str, Any] = {
            "janus": request,
            "transaction": uuid.uuid4().hex,
            "admin_secret": self._admin_secret,
        }
        body.update(fields)
        reply = _http_json(self.admin_http_url, body, timeout)
        if reply.get("janus") == "error":
            error = reply.get("error") or {}
            raise JanusAdminError(int(error.get("code", 0)), str(error.get("reason", "")))
        return reply

    def list_sessions(self) -> list[int]:
        """Return the ids of the sessions Janus holds now.

        Returns:
            Session ids.
        """
        return [int(s) for s in self.admin("list_sessions").get("sessions", [])]

    def list_handles(self, session_id: int) -> list[int]:
        """Return the ids of the handles attached in one session.

        Args:
            session_id: The session to look into.

        Returns:
            Handle ids.

        Raises:
            JanusAdminError: No such session (458).
        """
        reply = self.admin("list_handles", session_id=session_id)
        return [int(h) for h in reply.get("handles", [])]

    def handle_info(self, session_id: int, handle_id: int) -> dict[str, Any]:
        """Return Janus' view of one handle (plugin, WebRTC and ICE state...).

        Args:
            session_id: The session of the handle.
            handle_id: The handle.

        Returns:
            The ``info`` member of the reply.

        Raises:
            JanusAdminError: No such session (458) or handle (459).
        """
        reply = self.admin("handle_info", session_id=session_id, handle_id=handle_id)
        info = reply.get("info", {})
        if not isinstance(info, dict):
            raise ValueError("handle_info reply has no info object")
        return info


# ----------------------------------------------------------------------- CLI


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m rxjanus.testing.server",
        description=(
            "Start a throwaway Janus on 127.0.0.1, print its URLs as one JSON line "
            "and run until SIGINT or SIGTERM."
        ),
    )
    parser.add_argument("--api-secret", default=None)
    parser.add_argument("--admin-secret", default="rxjanus-admin-secret")
    parser.add_argument("--token-auth", action="store_true")
    parser.add_argument("--token-auth-secret", default=None)
    parser.add_argument("--session-timeout", type=int, default=60)
    parser.add_argument("--reclaim-session-timeout", type=int, default=0)
    parser.add_argument(
        "--no-loopback-ice",
        dest="loopback_ice",
        action="store_false",
        help="do not preload the loopback-ICE shim (no media over 127.0.0.1)",
    )
    parser.add_argument("--janus-binary", default="/usr/bin/janus")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--debug-level", type=int, default=4)
    parser.add_argument("--tls-cert", type=Path, default=None, help="PEM certificate for 127.0.0.1")
    parser.add_argument("--tls-key", type=Path, default=None, help="its unencrypted PEM key")
    parser.add_argument(
        "--mqtt-url",
        default=None,
        help="enable the MQTT transport on this broker (mqtt://host:port)",
    )
    parser.add_argument("--mqtt-version", default="3.1.1", choices=_MQTT_VERSIONS)
    parser.add_argument(
        "--event-handler",
        nargs="+",
        action="append",
        default=[],
        metavar=("NAME", "KEY=VALUE"),
        help="enable an event handler with its settings, e.g. --event-handler sampleevh "
        "events=all backend=http://127.0.0.1:7777/janus-events (repeatable)",
    )
    parser.add_argument("--events-stats-period", type=int, default=5)
    for name in ("--http-port", "--ws-port", "--admin-http-port", "--admin-ws-port"):
        parser.add_argument(name, type=int, default=None, help="default: a free port")
    parser.add_argument("-v", "--verbose", action="store_true", help="log rxjanus debug output")
    args = parser.parse_args(argv)
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together")
    handlers: dict[str, dict[str, str | int | bool]] = {}
    for name, *pairs in args.event_handler:
        settings: dict[str, str | int | bool] = {}
        for pair in pairs:
            key, sep, value = pair.partition("=")
            if not sep:
                parser.error(f"--event-handler {name}: {pair!r} is not KEY=VALUE")
            settings[key] = value
        handlers[name] = settings
    args.event_handlers = handlers
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI.

    Args:
        argv: Arguments (default: ``sys.argv[1:]``).

    Returns:
        The process exit code.
    """
    args = _parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    stop_requested = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop_requested.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    server = JanusServer(
        api_secret=args.api_secret,
        admin_secret=args.admin_secret,
        token_auth=args.token_auth,
        token_auth_secret=args.token_auth_secret,
        session_timeout=args.session_timeout,
        reclaim_session_timeout=args.reclaim_session_timeout,
        loopback_ice=args.loopback_ice,
        janus_binary=args.janus_binary,
        workdir=args.workdir,
        debug_level=args.debug_level,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        mqtt_url=args.mqtt_url,
        mqtt_version=args.mqtt_version,
        event_handlers=args.event_handlers,
        events_stats_period=args.events_stats_period,
        http_port=args.http_port,
        ws_port=args.ws_port,
        admin_http_port=args.admin_http_port,
        admin_ws_port=args.admin_ws_port,
    )
    try:
        try:
            server.start()
        except (JanusStartError, FileNotFoundError, RuntimeError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(json.dumps(server.urls()), flush=True)
        while not stop_requested.wait(0.5):
            if not server.running:
                print("error: Janus exited unexpectedly", file=sys.stderr)
                print(_read_tail(server.log_path), file=sys.stderr)
                return 1
        return 0
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


if __name__ == "__main__":
    sys.exit(main())
