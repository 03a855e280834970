"""The MQTT transport (Janus ``janus.transport.mqtt``), over a broker, with aiomqtt.

Janus' MQTT transport is one MQTT client of the broker: it subscribes to one
topic (its ``subscribe_topic``, default ``to-janus``) and publishes every reply
and every event of every session on one other (``publish_topic``, default
``from-janus``); the Admin API has its own pair (``to-janus-admin``,
``from-janus-admin``). rxjanus publishes requests to the first and subscribes to
the second, so **every client of that Janus receives every other client's
replies and events**. This transport acts only on its own: a reply is taken if
its ``transaction`` is one of this transport's requests still waiting, an event
if its ``session_id`` is one of the sessions routed on it; anything else is
counted in
[`JanusTransportMQTT.foreign_messages`][rxjanus.transports.broker.BrokerTransport.foreign_messages]
and dropped without a log line above DEBUG (transaction ids carry a random prefix per connection).
The broker isolates nothing: a client that may subscribe to ``from_janus`` reads every session's
events, SDPs included; clients that do not trust each other need broker ACLs or Janus instances of
their own.

MQTT 5: with ``mqtt_version = "5"`` in Janus' config, Janus publishes the reply
to a request (and a plugin's events carrying that request's transaction, for
``vacuum_interval`` seconds) to the request's *response topic*. This transport
speaks MQTT 5 by default and names a response topic of its own
(``<from_janus>/<client_id>``), so such replies reach it alone; unsolicited
events (``webrtcup``, ``hangup``, ``detached`` ...) still go to the shared topic.
With Janus on MQTT 3.1.1 (its default) the broker drops the property and every
reply comes on the shared topic, which works the same. Correlation data is not
used: Janus' JSON ``transaction`` already correlates.

A dropped broker link is reconnected and the sessions claimed, as for the
WebSocket (see [`rxjanus.transports.base`][rxjanus.transports.base]). Janus' own MQTT client
reconnects on its own schedule (Paho C's automatic reconnect, at growing
intervals: about 4 s after a quick broker restart, measured), so after
reconnecting this transport pings Janus until it answers (within the attempt's
timeout) before the claims go out. Janus' MQTT transport never ends a session
because a client's link dropped, so the claim succeeds while Janus'
``session_timeout`` allows.

Janus 1.1.2 and Mosquitto 2.0, measured on loopback: a request at QoS 1 (the
default, as Janus') takes about 44 ms, at ``qos=0`` 0.5 ms (Janus' Paho C
client sends its PUBACK and its reply in separate small writes); Mosquitto's
default ``set_tcp_nodelay false`` adds another 44 ms. Janus' defaults
``max_inflight = 10`` and ``max_buffered = 100`` hold back replies to bursts in
steps of about 1 s and drop those past 100 (``Can't publish ... return code:
-12`` in Janus' log); on MQTT 5 the broker's receive maximum (Mosquitto's
``max_inflight_messages``, 20) does the same.

aiomqtt (on paho-mqtt) is an optional dependency: ``pip install rxjanus[mqtt]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import secrets
import socket
import ssl as ssl_module
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import unquote

from ..exceptions import TransportClosed
from ..protocol import Outgoing
from .base import Waiter, redact_url
from .broker import BrokerTransport, parse_broker_url

if TYPE_CHECKING:
    import aiomqtt
    from paho.mqtt.properties import Properties

__all__ = [
    "DEFAULT_ADMIN_TOPICS",
    "DEFAULT_TOPICS",
    "JanusTransportMQTT",
    "MqttSettings",
    "mqtt_settings",
]

logger = logging.getLogger(__name__)

_CLIENT_LOG = logging.getLogger(f"{__name__}.client")
"""What aiomqtt and paho-mqtt log (packets at DEBUG: topics and sizes, never credentials)."""

DEFAULT_TOPICS: Final = ("to-janus", "from-janus")
"""Janus' default ``subscribe_topic`` and ``publish_topic`` (``janus.transport.mqtt.jcfg``)."""

DEFAULT_ADMIN_TOPICS: Final = ("to-janus-admin", "from-janus-admin")
"""Janus' default topics of the Admin API over MQTT."""

_PORTS: Final = {"mqtt": 1883, "mqtts": 8883}
_VERSIONS: Final = ("5", "3.1.1")
_QUERY_KEYS: Final = frozenset(
    {"to_janus", "from_janus", "response_topic", "client_id", "protocol", "qos", "keepalive"}
)

_CLOSE_TIMEOUT: Final = 5.0


@dataclass(frozen=True, slots=True)
class MqttSettings:
    """Where and how to reach Janus over MQTT, parsed from the URL.

    Attributes:
        host: The broker's host.
        port: The broker's port (1883 for ``mqtt``, 8883 for ``mqtts``).
        tls: Whether to speak TLS (``mqtts``).
        username: From the URL's userinfo, or None.
        password: From the URL's userinfo, or None.
        to_janus: The topic requests are published to (Janus' ``subscribe_topic``).
        from_janus: The topic Janus publishes replies and events on (its ``publish_topic``).
        response_topic: MQTT 5 only: the response topic named in each request, or None.
        client_id: The MQTT client identifier.
        protocol: ``"5"`` or ``"3.1.1"``.
        qos: The QoS of the requests and of the subscriptions.
        keepalive: The MQTT keepalive in seconds: a silent broker is noticed after 1.5 times it.
    """

    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None = field(repr=False)  # never in a repr
    to_janus: str
    from_janus: str
    response_topic: str | None
    client_id: str
    protocol: str
    qos: int
    keepalive: int


def _topic(value: str, name: str) -> str:
    if not value or any(ch in value for ch in "+#\0"):
        raise ValueError(f"MQTT topic {name}={value!r} must be non-empty and hold no wildcard")
    return value


def mqtt_settings(base_url: str, *, admin: bool = False) -> MqttSettings:
    """Parse an ``mqtt://`` or ``mqtts://`` URL.

    ``mqtt://[user[:password]@]host[:port][?query]``; the query may give
    ``to_janus`` and ``from_janus`` (default: Janus' defaults, or the Admin API's
    with ``admin``), ``protocol`` (``5``, the default, or ``3.1.1``),
    ``response_topic`` (MQTT 5; default ``<from_janus>/<client_id>``, empty for
    none), ``client_id`` (default ``rxjanus-<random>``), ``qos`` (0, 1 the
    default, or 2) and ``keepalive`` (seconds, default 20). ``%``-escapes are
    decoded (a ``/`` in a topic may be written as is or as ``%2F``).

    Args:
        base_url: The URL.
        admin: Default to the Admin API's topics.

    Returns:
        The settings.

    Raises:
        ValueError: Not an MQTT URL, no host, an unknown or repeated query key,
            a bad value, or a topic with a wildcard.
    """
    url = parse_broker_url(base_url, "MQTT", _PORTS, _QUERY_KEYS)
    if url.parts.path not in ("", "/"):
        raise ValueError(
            f"an MQTT URL has no path ({redact_url(base_url)!r}): give the topics as "
            "?to_janus=...&from_janus=..."
        )
    given = url.query
    default_to, default_from = DEFAULT_ADMIN_TOPICS if admin else DEFAULT_TOPICS
    to_janus = _topic(given.get("to_janus", default_to), "to_janus")
    from_janus = _topic(given.get("from_janus", default_from), "from_janus")
    client_id = given.get("client_id") or f"rxjanus-{secrets.token_hex(8)}"
    protocol = given.get("protocol", "5")
    if protocol not in _VERSIONS:
        raise ValueError(f"protocol={protocol!r}: use 5 or 3.1.1")
    response_topic: str | None
    if "response_topic" in given:
        response_topic = given["response_topic"] or None
        if response_topic is not None:
            if protocol != "5":
                raise ValueError("response_topic needs protocol=5")
            _topic(response_topic, "response_topic")
    else:
        response_topic = f"{from_janus}/{client_id}" if protocol == "5" else None
        if response_topic is not None:
            _topic(response_topic, "response_topic (from from_janus and client_id)")
    try:
        qos = int(given.get("qos", "1"))
        keepalive = int(given.get("keepalive", "20"))
    except ValueError as exc:
        raise ValueError(f"qos and keepalive must be integers: {exc}") from None
    if qos not in (0, 1, 2):
        raise ValueError(f"qos={qos}: use 0, 1 or 2")
    if keepalive < 1:
        raise ValueError(f"keepalive={keepalive}: must be at least 1 second")
    username, password = url.parts.username, url.parts.password
    return MqttSettings(
        host=url.host,
        port=url.port,
        tls=url.scheme == "mqtts",
        username=None if username is None else unquote(username),
        password=None if password is None else unquote(password),
        to_janus=to_janus,
        from_janus=from_janus,
        response_topic=response_topic,
        client_id=client_id,
        protocol=protocol,
        qos=qos,
        keepalive=keepalive,
    )


class _ClosingTLS:
    """An SSL context for paho-mqtt that closes the socket of a failed TLS handshake.

    paho-mqtt (2.2) leaves the socket open when ``do_handshake`` fails (an
    untrusted certificate ...), so it is only closed by the garbage collector,
    with a ``ResourceWarning``. paho calls ``wrap_socket`` and reads
    ``check_hostname`` only; the given context itself is not changed.
    """

    def __init__(self, context: ssl_module.SSLContext) -> None:
        self._context = context

    @property
    def check_hostname(self) -> bool:
        return self._context.check_hostname

    def wrap_socket(self, sock: socket.socket, **options: Any) -> ssl_module.SSLSocket:
        wrapped = self._context.wrap_socket(sock, **options)
        handshake = wrapped.do_handshake

        def do_handshake(*args: Any) -> None:
            try:
                handshake(*args)
            except BaseException:
                wrapped.close()
                raise

        wrapped.do_handshake = do_handshake  # type: ignore[method-assign,assignment]
        return wrapped


_CLOSING: set[asyncio.Task[Any]] = set()
"""Disconnects of abandoned connect attempts, kept referenced until done."""


def _discard(client: aiomqtt.Client, entering: asyncio.Future[Any]) -> None:
    """Close what an abandoned or failed connect attempt of ``client`` left open.

    aiomqtt (2.5) leaves paho's socket and its housekeeping task behind when
    the CONNACK does not come in time; a connect that succeeded after we gave
    up on it is disconnected properly.
    """
    if not entering.cancelled() and entering.exception() is None:
        task = asyncio.get_running_loop().create_task(client.__aexit__(None, None, None))
        _CLOSING.add(task)
        task.add_done_callback(_CLOSING.discard)
        task.add_done_callback(lambda done: done.cancelled() or done.exception())
        return
    with contextlib.suppress(Exception):
        # paho's own close: aiomqtt's socket callback then drops its reader and task.
        client._client._sock_close()


def import_aiomqtt() -> Any:
    """Import aiomqtt, or say how to install it."""
    try:
        import aiomqtt
    except ImportError as exc:
        raise ImportError(
            "the MQTT transport (mqtt:// and mqtts:// URLs) needs aiomqtt: "
            "pip install rxjanus[mqtt]"
        ) from exc
    return aiomqtt


def connect_mqtt(
    aiomqtt: Any,
    settings: MqttSettings,
    ssl: ssl_module.SSLContext | None,
    timeout: float,
    *,
    client_logger: logging.Logger | None = None,
) -> tuple[aiomqtt.Client, asyncio.Future[Any]]:
    """Make an aiomqtt client for ``settings`` and start connecting it.

    Returns:
        The client and its connect attempt, to pass to `until_connected` (and to
        cancel if abandoned: the attempt then closes what it left open).
    """
    s = settings
    tls = None if not s.tls else _ClosingTLS(ssl or ssl_module.create_default_context())
    v5 = s.protocol == "5"
    client = aiomqtt.Client(
        s.host,
        s.port,
        username=s.username,
        password=s.password,
        identifier=s.client_id,
        protocol=aiomqtt.ProtocolVersion.V5 if v5 else aiomqtt.ProtocolVersion.V311,
        clean_session=None if v5 else True,
        keepalive=s.keepalive,
        timeout=timeout,
        tls_context=tls,
        logger=client_logger,
        socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
    )
    return client, asyncio.ensure_future(client.__aenter__())


async def until_connected(
    aiomqtt: Any, client: aiomqtt.Client, entering: asyncio.Future[Any], where: str
) -> None:
    """Wait for the connect attempt of `connect_mqtt`.

    Never cancelled half way (aiomqtt then leaves its socket open): on a timeout
    or a failure the attempt is discarded when it ends.

    Raises:
        TransportClosed: The broker refused or could not be reached.
    """
    try:
        await asyncio.shield(entering)
    except BaseException as exc:
        entering.add_done_callback(functools.partial(_discard, client))
        if isinstance(exc, aiomqtt.MqttError):
            raise TransportClosed(f"cannot connect to the MQTT broker {where}: {exc}") from exc
        raise


async def subscribe_mqtt(client: aiomqtt.Client, topics: list[tuple[str, int]], where: str) -> None:
    """Subscribe to ``topics`` (topic, QoS).

    Raises:
        TransportClosed: The broker refused a subscription.
        aiomqtt.MqttError: The link failed.
    """
    granted = await client.subscribe(topics)
    refused = [
        topic
        for (topic, _), code in zip(topics, granted, strict=False)
        if getattr(code, "is_failure", False) or (isinstance(code, int) and code >= 0x80)
    ]
    if refused:
        raise TransportClosed(
            f"the MQTT broker {where} refused the subscription to {', '.join(map(repr, refused))}"
        )


async def disconnect_mqtt(aiomqtt: Any, client: aiomqtt.Client, where: str) -> None:
    """Disconnect ``client`` (5 s at most); a failure is logged at DEBUG, not raised."""
    try:
        async with asyncio.timeout(_CLOSE_TIMEOUT):
            await client.__aexit__(None, None, None)
    except (aiomqtt.MqttError, TimeoutError) as exc:
        logger.debug("closing the MQTT link to %s: %r", where, exc)


class JanusTransportMQTT(BrokerTransport):
    """Talks to Janus over its MQTT transport, through a broker (aiomqtt, MQTT 5 or 3.1.1).

    One aiomqtt client per link: it subscribes to ``from_janus`` (and to its
    own response topic with MQTT 5) and publishes each request, one message, to
    ``to_janus``. One reader task takes each message: the replies to this
    transport's requests and the events of its sessions go to the protocol, the
    rest (other clients' traffic on the shared topic) is dropped quietly and
    counted in [`foreign_messages`][rxjanus.transports.broker.BrokerTransport.foreign_messages].

    Example:
        ```python
        async with JanusSession(base_url="mqtt://127.0.0.1:1883") as session:
            ...
        ```

    Args:
        base_url: ``mqtt://[user:password@]host[:port][?to_janus=...&from_janus=...]``
            or ``mqtts://`` for TLS; see [`mqtt_settings`][rxjanus.transports.mqtt.mqtt_settings]
            for the query. The credentials never reach a log line or an error message.
        admin: Default to the Admin API's topics (``to-janus-admin``,
            ``from-janus-admin``). Default: when ``admin_secret`` is given, as
            [`JanusAdminMonitorClient`][rxjanus.admin.client.JanusAdminMonitorClient] does.
        **options: See [`JanusTransport`][rxjanus.transports.base.JanusTransport]; ``ssl``
            is the TLS context for ``mqtts`` (default: verify with the system's
            trust store).

    Raises:
        ValueError: ``base_url`` is not a valid MQTT URL.
        ImportError: aiomqtt is not installed (``pip install rxjanus[mqtt]``).
    """

    schemes = ("mqtt", "mqtts")

    def __init__(self, base_url: str, *, admin: bool | None = None, **options: Any) -> None:
        super().__init__(base_url, **options)
        if admin is None:
            admin = options.get("admin_secret") is not None
        self.settings = mqtt_settings(base_url, admin=admin)
        self._aiomqtt = import_aiomqtt()
        self._client: aiomqtt.Client | None = None
        self._reader: asyncio.Task[None] | None = None
        self._entering: asyncio.Future[Any] | None = None  # the last connect attempt
        self._properties: Properties | None = None

    @property
    def where(self) -> str:
        """The broker and the topics, for logs and errors (no credentials)."""
        s = self.settings
        return f"{redact_url(self.base_url)} (topics {s.to_janus!r} -> {s.from_janus!r})"

    # -- the link -----------------------------------------------------------------

    async def _open(self) -> None:
        if self._client is not None or self._reader is not None:
            await self._close()  # what is left of a link that dropped
        aiomqtt = self._aiomqtt
        s = self.settings
        client, entering = connect_mqtt(
            aiomqtt, s, self.ssl, self.timeout, client_logger=_CLIENT_LOG
        )
        client.pending_calls_threshold = 1 << 30  # many requests in flight are normal here
        self._entering = entering
        await until_connected(aiomqtt, client, entering, self.where)
        self._client = client
        try:
            topics = [(s.from_janus, s.qos)]
            if s.response_topic is not None:
                topics.append((s.response_topic, s.qos))
            await subscribe_mqtt(client, topics, self.where)
            if s.protocol == "5" and s.response_topic is not None:
                from paho.mqtt.packettypes import PacketTypes
                from paho.mqtt.properties import Properties

                properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
                properties.ResponseTopic = s.response_topic
                self._properties = properties
            self._reader = asyncio.get_running_loop().create_task(
                self._read(client), name=f"rxjanus-mqtt-reader {redact_url(self.base_url)}"
            )
            if self.reconnecting:
                await self._until_janus_answers(
                    functools.partial(
                        client.publish,
                        s.to_janus,
                        qos=s.qos,
                        properties=self._properties,
                    )
                )
        except aiomqtt.MqttError as exc:
            await self._close()
            raise TransportClosed(f"MQTT broker {self.where}: {exc}") from exc
        except BaseException:
            await self._close()
            raise
        logger.debug("connected to the MQTT broker %s as %s", self.where, s.client_id)

    async def _read(self, client: aiomqtt.Client) -> None:
        reason = "closed"
        try:
            async for message in client.messages:
                if isinstance(message.payload, bytes | str):  # aiomqtt's type is wider
                    self._on_message(message.payload)
        except self._aiomqtt.MqttError as exc:
            cause = exc.__cause__
            reason = f"lost ({exc}{f': {cause}' if cause is not None else ''})"
        except Exception as exc:  # the reader must end with a clear error, never silently
            logger.exception("the MQTT reader failed")
            reason = f"failed: {exc!r}"
        error = TransportClosed(f"the link to the MQTT broker {self.where} {reason}")
        self._fail_probe(error)
        if not self._closed and client is self._client:  # not an old link we replaced already
            self._connection_lost(error)

    async def _transmit(self, outgoing: Outgoing, waiter: Waiter) -> None:
        client = self._client
        if client is None:
            raise TransportClosed(f"the link to the MQTT broker {self.where} is not open")
        self._track(outgoing, waiter)
        s = self.settings
        try:
            await client.publish(s.to_janus, outgoing.text, qos=s.qos, properties=self._properties)
        except self._aiomqtt.MqttError as exc:
            raise TransportClosed(
                f"publishing to {s.to_janus!r} on {redact_url(self.base_url)} failed: {exc}"
            ) from exc

    async def _close(self) -> None:
        entering, self._entering = self._entering, None
        if entering is not None and not entering.done():
            entering.cancel()  # an abandoned connect attempt: _discard closes its socket
        client, self._client = self._client, None
        reader, self._reader = self._reader, None
        self._properties = None
        if reader is not None and reader is not asyncio.current_task():
            if not reader.done():
                reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        if client is not None:
            await disconnect_mqtt(self._aiomqtt, client, self.where)
            logger.debug("closed the MQTT link to %s", self.where)
