"""The RabbitMQ transport (Janus ``janus.transport.rabbitmq``), over AMQP 0-9-1, with aio-pika.

Janus' RabbitMQ transport (1.1.2) is one AMQP client of the broker. It consumes
the queue ``to_janus`` (default ``to-janus``, declared by Janus with its
``queue_durable``, ``queue_exclusive`` and ``queue_autodelete``) and publishes
every reply and every event to its ``janus_exchange`` with the routing key
``from_janus`` (default ``from-janus``). Without a ``janus_exchange`` (Janus'
default) that is the default exchange, so everything lands in the *queue*
``from-janus``, which Janus declares (``declare_outgoing_queue``). The Admin
API has its own pair (``to-janus-admin``, ``from-janus-admin``); Janus tells an
Admin request by its routing key. Janus copies a request's ``correlation_id``
to its reply and ignores ``reply_to``; rxjanus does not need either, the JSON
``transaction`` correlates.

This transport publishes each request to the default exchange with the routing
key ``to_janus`` and reads replies and events in one of two ways:

* Without ``exchange`` in the URL (Janus' default setup) it consumes the queue
  ``from_janus``. A queue hands each message to **one** consumer: only one client
  may read it, as Janus' config sample warns; several clients of one Janus
  would each get some of the others' replies and miss some of their own.
* With ``?exchange=NAME`` (Janus' ``janus_exchange``, best with
  ``declare_outgoing_queue = false``), each transport binds a private queue
  (server-named, exclusive, deleted with the connection) to that exchange with
  the key ``from_janus``, so every client sees every message, as on MQTT.

In both ways the messages of other clients (and stale ones left in a queue)
are dropped, as for MQTT (see [rxjanus.transports.broker][]), and a message
that is not JSON is logged and dropped. The broker isolates nothing: whoever
may read ``from_janus`` reads every session's events.

A dropped broker link is reconnected and the sessions claimed, as for the
WebSocket (see [rxjanus.transports.base][]); Janus reconnects on its own
schedule (100 ms growing by 1.5 times to 5 s between attempts), so the
transport pings Janus until it answers before the claims go out. Janus' RabbitMQ
transport keeps its sessions when the broker goes away, so they are claimed
back while Janus' ``session_timeout`` allows. Janus 1.1.2 reads only the last
body frame of a request's length, so a request must fit one AMQP frame (its
``frame_max`` is 128 KiB).

aio-pika is an optional dependency: ``pip install rxjanus[amqp]``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl as ssl_module
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import unquote

from ..auth import redact
from ..exceptions import TransportClosed
from ..protocol import Outgoing
from .base import Waiter, redact_url
from .broker import BrokerTransport, parse_broker_url

if TYPE_CHECKING:
    from aio_pika.abc import (
        AbstractChannel,
        AbstractConnection,
        AbstractQueue,
    )
    from aiormq.abc import AbstractChannel as AmqpChannel
    from aiormq.abc import DeliveredMessage

__all__ = [
    "DEFAULT_ADMIN_QUEUES",
    "DEFAULT_QUEUES",
    "AmqpSettings",
    "JanusTransportRabbitMQ",
    "amqp_settings",
]

logger = logging.getLogger(__name__)

DEFAULT_QUEUES: Final = ("to-janus", "from-janus")
"""Janus' default ``to_janus`` and ``from_janus`` (``janus.transport.rabbitmq.jcfg``)."""

DEFAULT_ADMIN_QUEUES: Final = ("to-janus-admin", "from-janus-admin")
"""Janus' default ``to_janus_admin`` and ``from_janus_admin``."""

_PORTS: Final = {"amqp": 5672, "amqps": 5671}
_QUERY_KEYS: Final = frozenset({"to_janus", "from_janus", "exchange", "exchange_type", "heartbeat"})
_EXCHANGE_TYPES: Final = ("fanout", "direct", "topic")
_CLOSE_TIMEOUT: Final = 5.0


@dataclass(frozen=True, slots=True)
class AmqpSettings:
    """Where and how to reach Janus over RabbitMQ, parsed from the URL.

    Attributes:
        host: The broker's host.
        port: The broker's port (5672 for ``amqp``, 5671 for ``amqps``).
        tls: Whether to speak TLS (``amqps``).
        username: From the URL's userinfo (default ``guest``, as AMQP's).
        password: From the URL's userinfo (default ``guest``).
        vhost: The virtual host, from the URL's path (default ``/``).
        to_janus: The queue requests go to (the routing key on the default exchange).
        from_janus: The queue replies are read from, or with ``exchange`` the
            routing key Janus publishes them with.
        exchange: Janus' ``janus_exchange``, or None for the default exchange.
        exchange_type: Its type (Janus' ``janus_exchange_type``, default ``fanout``).
        heartbeat: The AMQP heartbeat in seconds (0: none).
    """

    host: str
    port: int
    tls: bool
    username: str
    password: str = field(repr=False)  # never in a repr
    vhost: str
    to_janus: str
    from_janus: str
    exchange: str | None
    exchange_type: str
    heartbeat: int


def _name(value: str, name: str) -> str:
    if not value or len(value.encode()) > 255:
        raise ValueError(f"AMQP {name}={value!r} must be 1 to 255 bytes")
    return value


def amqp_settings(base_url: str, *, admin: bool = False) -> AmqpSettings:
    """Parse an ``amqp://`` or ``amqps://`` URL.

    ``amqp://[user[:password]@]host[:port][/vhost][?query]``; the query may give
    ``to_janus`` and ``from_janus`` (default: Janus' defaults, or the Admin API's
    with ``admin``), ``exchange`` (Janus' ``janus_exchange``; default none: read
    the queue ``from_janus``), ``exchange_type`` (``fanout``, the default, as
    Janus', ``direct`` or ``topic``) and ``heartbeat`` (seconds, default 60).
    ``%``-escapes are decoded (the vhost ``/`` is the default; write ``%2F`` for
    a vhost starting with one).

    Args:
        base_url: The URL.
        admin: Default to the Admin API's queues.

    Returns:
        The settings.

    Raises:
        ValueError: Not an AMQP URL, no host, a bad port, an unknown or repeated
            query key or a bad value.
    """
    url = parse_broker_url(base_url, "AMQP", _PORTS, _QUERY_KEYS)
    path = url.parts.path[1:] if url.parts.path.startswith("/") else url.parts.path
    vhost = unquote(path) if path else "/"
    given = url.query
    default_to, default_from = DEFAULT_ADMIN_QUEUES if admin else DEFAULT_QUEUES
    exchange = given.get("exchange") or None
    exchange_type = given.get("exchange_type", "fanout")
    if exchange_type not in _EXCHANGE_TYPES:
        raise ValueError(f"exchange_type={exchange_type!r}: use {', '.join(_EXCHANGE_TYPES)}")
    try:
        heartbeat = int(given.get("heartbeat", "60"))
    except ValueError as exc:
        raise ValueError(f"heartbeat must be an integer: {exc}") from None
    if heartbeat < 0:
        raise ValueError(f"heartbeat={heartbeat}: must not be negative")
    username, password = url.parts.username, url.parts.password
    return AmqpSettings(
        host=url.host,
        port=url.port,
        tls=url.scheme == "amqps",
        username="guest" if username is None else unquote(username),
        password="guest" if password is None else unquote(password),
        vhost=vhost,
        to_janus=_name(given.get("to_janus", default_to), "to_janus"),
        from_janus=_name(given.get("from_janus", default_from), "from_janus"),
        exchange=None if exchange is None else _name(exchange, "exchange"),
        exchange_type=exchange_type,
        heartbeat=heartbeat,
    )


class _RedactFrames(logging.Filter):
    """Keeps credentials out of aiormq's DEBUG lines, which show every frame sent.

    aiormq logs each outgoing frame's bytes (request bodies with ``apisecret``
    or ``token``, the login with the password) and has no logger parameter:
    this filter sits on its loggers and redacts each record, also the literal
    passwords of the transports made so far.
    """

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        cleaned = redact(text, self.secrets)
        if cleaned != text:
            record.msg, record.args = cleaned, None
        return True


_FRAME_FILTER: Final = _RedactFrames()
_FILTERED_LOGGERS: Final = ("aiormq.connection", "aiormq.channel", "aio_pika.connection")


def import_aio_pika(password: str) -> Any:
    """Import aio-pika (or say how to install it), with ``password`` kept out of its frame logs."""
    try:
        import aio_pika
    except ImportError as exc:
        raise ImportError(
            "the RabbitMQ transport (amqp:// and amqps:// URLs) needs aio-pika: "
            "pip install rxjanus[amqp]"
        ) from exc
    for name in _FILTERED_LOGGERS:
        target = logging.getLogger(name)
        if _FRAME_FILTER not in target.filters:
            target.addFilter(_FRAME_FILTER)
    _FRAME_FILTER.secrets.add(password)
    return aio_pika


def _library_tasks() -> set[asyncio.Task[Any]]:
    """The unfinished tasks running aio-pika's or aiormq's code, but for message deliveries.

    A closing link's own tasks are among them; so are other links' (of other
    transports) which end as soon, except the one aio-pika starts for each message
    delivered, which another busy link starts all the time.
    """
    tasks = set()
    for task in asyncio.all_tasks():
        code = getattr(task.get_coro(), "cr_code", None)
        if code is None or task.done() or code.co_name == "consumer":
            continue
        if "aio_pika" in code.co_filename or "aiormq" in code.co_filename:
            tasks.add(task)
    return tasks


async def connect_amqp(
    aio_pika: Any,
    settings: AmqpSettings,
    ssl: ssl_module.SSLContext | None,
    timeout: float,
    name: str,
) -> AbstractConnection:
    """Open an aio-pika connection to the broker of ``settings``, named ``name``.

    Made here, not with `aio_pika.connect()`: a failed attempt is closed at once
    (unreferenced, aio-pika's `__del__` would start a task to close it later), and
    its error raised as it is.
    """
    ssl_context = (ssl or ssl_module.create_default_context()) if settings.tls else None
    url = aio_pika.connection.make_url(
        host=settings.host,
        port=settings.port,
        login=settings.username,
        password=settings.password,
        virtualhost=settings.vhost,
        ssl=settings.tls,
        heartbeat=settings.heartbeat,
    )
    connection: AbstractConnection = aio_pika.Connection(
        url,
        ssl_context=ssl_context,
        client_properties={"connection_name": name},
        heartbeat=settings.heartbeat,
    )
    try:
        await connection.connect(timeout=timeout)
    except BaseException:
        await asyncio.shield(connection.close())
        raise
    return connection


async def declare_reading_queue(
    channel: AbstractChannel, settings: AmqpSettings, routing_key: str
) -> AbstractQueue:
    """Declare the queue to read what Janus publishes with ``routing_key``.

    With an exchange in ``settings``: a private queue bound to it (the exchange
    declared as Janus declares it, so either may come first); else the queue
    named ``routing_key`` itself, declared as Janus declares it.
    """
    if settings.exchange is None:
        return await channel.declare_queue(
            routing_key, durable=False, exclusive=False, auto_delete=False
        )
    exchange = await channel.declare_exchange(
        settings.exchange, settings.exchange_type, durable=False, auto_delete=False
    )
    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    await queue.bind(exchange, routing_key=routing_key)
    return queue


async def close_amqp(connection: AbstractConnection, where: str) -> None:
    """Close an aio-pika connection and wait for the tasks it leaves closing (5 s at most).

    aio-pika and aiormq end their writer and run the close callbacks in tasks of
    their own, after ``close()`` returns: those are awaited too, so that nothing
    of the link outlives the call. A failure is logged at DEBUG, not raised.
    """
    before = _library_tasks()
    try:
        async with asyncio.timeout(_CLOSE_TIMEOUT):
            await connection.close()
            while spawned := _library_tasks() - before:
                await asyncio.wait(spawned)
    except Exception as exc:
        logger.debug("closing the AMQP link to %s: %r", where, exc)


class JanusTransportRabbitMQ(BrokerTransport):
    """Talks to Janus over its RabbitMQ transport, through a broker (aio-pika, AMQP 0-9-1).

    One AMQP connection and channel per link: requests are published to the
    default exchange with the routing key ``to_janus``; replies and events are
    consumed from the queue ``from_janus`` or, with ``exchange``, from a private
    queue bound to it (see the module docstring). Other clients' messages are
    dropped quietly and counted in `foreign_messages`.

    Example:
        ```python
        async with JanusSession(base_url="amqp://127.0.0.1:5672") as session:
            ...
        ```

    Args:
        base_url: ``amqp://[user:password@]host[:port][/vhost][?to_janus=...&from_janus=...]``
            or ``amqps://`` for TLS; see [amqp_settings][rxjanus.transports.rabbitmq.amqp_settings]
            for the query. The password never reaches a log line or an error message.
        admin: Default to the Admin API's queues (``to-janus-admin``,
            ``from-janus-admin``). Default: when ``admin_secret`` is given, as
            [JanusAdminMonitorClient][rxjanus.admin.JanusAdminMonitorClient] does.
        **options: See [JanusTransport][rxjanus.transports.base.JanusTransport]; ``ssl``
            is the TLS context for ``amqps`` (default: verify with the system's
            trust store).

    Raises:
        ValueError: ``base_url`` is not a valid AMQP URL.
        ImportError: aio-pika is not installed (``pip install rxjanus[amqp]``).
    """

    schemes = ("amqp", "amqps")

    def __init__(self, base_url: str, *, admin: bool | None = None, **options: Any) -> None:
        super().__init__(base_url, **options)
        if admin is None:
            admin = options.get("admin_secret") is not None
        self.settings = amqp_settings(base_url, admin=admin)
        self._aio_pika = import_aio_pika(self.settings.password)
        from pamqp.commands import Basic  # the AMQP spec of aiormq, aio-pika's client

        self._properties = Basic.Properties(content_type="application/json")
        self._connection: AbstractConnection | None = None
        self._channel: AbstractChannel | None = None
        self._queue: AbstractQueue | None = None
        self._underlay: AmqpChannel | None = None
        self._live: object | None = None  # the current link's token, until it is lost

    @property
    def where(self) -> str:
        """The broker and the queues, for logs and errors (no credentials)."""
        s = self.settings
        via = f"exchange {s.exchange!r} key " if s.exchange else "queue "
        return f"{redact_url(self.base_url)} ({s.to_janus!r} -> {via}{s.from_janus!r})"

    # -- the link -----------------------------------------------------------------

    async def _open(self) -> None:
        if self._connection is not None:
            await self._close()  # what is left of a link that dropped
        s = self.settings
        try:
            connection = await connect_amqp(self._aio_pika, s, self.ssl, self.timeout, "rxjanus")
        except Exception as exc:
            if isinstance(exc, OSError | TimeoutError):
                raise
            # aiormq's refusals (login, vhost) are not OSErrors
            raise TransportClosed(
                f"cannot connect to the AMQP broker {self.where}: {exc!r}"
            ) from None
        self._connection = connection
        live = self._live = object()
        on_closed = functools.partial(self._on_link_closed, live)
        connection.close_callbacks.add(on_closed)
        try:
            channel = await connection.channel(publisher_confirms=False)
            self._channel = channel
            channel.close_callbacks.add(on_closed)
            queue = await declare_reading_queue(channel, s, s.from_janus)
            self._queue = queue
            # Straight on aio-pika's own aiormq channel: no aio-pika message objects,
            # no second task per message.
            underlay = await channel.get_underlay_channel()
            self._underlay = underlay
            await underlay.basic_consume(queue.name, self._on_delivery, no_ack=True)
            if self.reconnecting:
                await self._until_janus_answers(self._publish)
        except (OSError, TimeoutError, TransportClosed):
            await self._close()
            raise
        except Exception as exc:
            await self._close()
            raise TransportClosed(f"AMQP broker {self.where}: {exc!r}") from exc
        except BaseException:
            await self._close()
            raise
        logger.debug("connected to the AMQP broker %s", self.where)

    async def _on_delivery(self, message: DeliveredMessage) -> None:
        self._on_message(message.body)

    def _on_link_closed(
        self, live: object, sender: object, error: BaseException | None = None
    ) -> None:
        """The connection or the channel closed: unless we closed it, the link is lost."""
        if live is not self._live:
            return  # closed by us, told already (connection and channel), or an old link
        self._live = None
        why = f": {error!r}" if error is not None else ""
        lost = TransportClosed(f"the link to the AMQP broker {self.where} was lost{why}")
        self._fail_probe(lost)
        if not self._closed:
            self._connection_lost(lost)

    async def _publish(self, text: str) -> None:
        underlay = self._underlay
        if underlay is None or underlay.is_closed:
            raise TransportClosed(f"the link to the AMQP broker {self.where} is not open")
        try:
            # Not mandatory: with no queue to_janus (Janus not on the broker) the request
            # is dropped and times out, as on MQTT, instead of aiormq logging the return.
            await underlay.basic_publish(
                text.encode(),
                routing_key=self.settings.to_janus,
                properties=self._properties,
                mandatory=False,
            )
        except (OSError, RuntimeError, self._aio_pika.exceptions.AMQPError) as exc:
            raise TransportClosed(
                f"publishing to {self.settings.to_janus!r} on {redact_url(self.base_url)} "
                f"failed: {exc!r}"
            ) from None

    async def _transmit(self, outgoing: Outgoing, waiter: Waiter) -> None:
        self._track(outgoing, waiter)
        await self._publish(outgoing.text)

    async def _close(self) -> None:
        connection, self._connection = self._connection, None
        self._channel = self._queue = self._underlay = self._live = None
        if connection is None:
            return
        await close_amqp(connection, self.where)
        logger.debug("closed the AMQP link to %s", self.where)
