"""Receive Janus' RabbitMQ event handler (``janus.eventhandler.rabbitmqevh``) with aio-pika.

Janus 1.1.2's rabbitmqevh is one AMQP client of the broker. It publishes each
batch of events (a JSON array of up to 100 with ``grouping``, else one event)
with the routing key ``route_key`` (default ``janus-events``) to its
``exchange``, declared by Janus with its ``exchange_type`` (non-durable), or
without one to the default exchange, so into the *queue* ``route_key``, which
Janus declares (non-durable, not exclusive, not auto-deleted) unless
``declare_outgoing_queue = false``. This receiver reads them in one of two ways:

* Without ``exchange`` in the URL (Janus' default) it declares the queue
  ``route_key`` as Janus does and consumes it. A queue hands each message to
  **one** consumer: run one receiver per queue. The queue outlives both, and
  what Janus publishes while no receiver runs waits there.
* With ``?exchange=NAME`` (and ``exchange_type``: ``fanout``, the default, as
  Janus', ``direct`` or ``topic``) it declares the exchange as Janus does and
  binds a private queue (server-named, exclusive) to it with the key
  ``route_key``: every receiver sees every event, and nothing piles up.

Messages that are not Janus events are logged and dropped. A dropped broker
link is reconnected at growing intervals (0.1 s doubling to 5 s). Janus
reconnects on its own only with a ``heartbeat`` (it checks the link every
``heartbeat / 2`` seconds, then retries every 5 s; its shutdown waits for the
check, so the receiver gives Janus a short one); what it publishes while the
broker is away, or before the queue is declared again, is lost.

aio-pika is an optional dependency: ``pip install rxjanus[amqp]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import ssl as ssl_module
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qs, urlsplit

from ..exceptions import TransportClosed
from ..protocol.backoff import backoff
from ..transports.base import redact_url
from ..transports.rabbitmq import (
    amqp_settings,
    close_amqp,
    connect_amqp,
    declare_reading_queue,
    import_aio_pika,
)
from .base import EventReceiver
from .events import MalformedEvent

if TYPE_CHECKING:
    from aio_pika.abc import AbstractConnection
    from aiormq.abc import DeliveredMessage

__all__ = ["DEFAULT_ROUTE_KEY", "RabbitMQEvhReceiver"]

logger = logging.getLogger(__name__)

DEFAULT_ROUTE_KEY: Final = "janus-events"
"""rabbitmqevh's default ``route_key``."""

_TRANSPORT_ONLY: Final = frozenset({"to_janus", "from_janus"})


class RabbitMQEvhReceiver(EventReceiver):
    """An AMQP consumer of Janus' ``rabbitmqevh`` event handler.

    Args:
        url: The broker, ``amqp://[user:password@]host[:port][/vhost]`` or
            ``amqps://``; the query may give ``exchange``, ``exchange_type`` and
            ``heartbeat`` as for the RabbitMQ transport (see
            [`amqp_settings`][rxjanus.transports.rabbitmq.amqp_settings]). Never
            logged with its password.
        route_key: rabbitmqevh's ``route_key``: the queue, or with an exchange
            the routing key of the events.
        ssl: The TLS context for ``amqps://`` (default: the system's trust store).
        timeout: Seconds to wait for the broker when connecting.
        janus_heartbeat: The ``heartbeat`` for Janus' own link (seconds, at least 2).
            rabbitmqevh checks its link every ``heartbeat / 2`` seconds, reconnects
            only then, and its shutdown waits for that check: Janus stops within
            about half of it. (Without a heartbeat Janus never reconnects.)

    Raises:
        ValueError: Not a valid AMQP URL, a transport-only parameter
            (``to_janus``, ``from_janus``), a bad ``route_key`` or ``janus_heartbeat``.
        ImportError: aio-pika is not installed (``pip install rxjanus[amqp]``).
    """

    janus_name = "rabbitmqevh"

    def __init__(
        self,
        url: str,
        *,
        route_key: str = DEFAULT_ROUTE_KEY,
        ssl: ssl_module.SSLContext | None = None,
        timeout: float = 10.0,
        janus_heartbeat: int = 4,
    ) -> None:
        super().__init__()
        self.settings = amqp_settings(url)
        given = set(parse_qs(urlsplit(url).query, keep_blank_values=True)) & _TRANSPORT_ONLY
        if given:
            raise ValueError(
                f"AMQP URL parameter(s) {', '.join(sorted(given))} are for the transport, "
                "not the event handler receiver"
            )
        if not route_key or len(route_key.encode()) > 255:
            raise ValueError(f"route_key={route_key!r} must be 1 to 255 bytes")
        if not 2 <= janus_heartbeat <= 65535:
            raise ValueError(f"janus_heartbeat={janus_heartbeat}: use 2 to 65535 seconds")
        self._url = url  # with the password: never logged (see `where`)
        self.janus_heartbeat = janus_heartbeat
        self.route_key = route_key
        self._ssl = ssl
        self._timeout = timeout
        self._aio_pika = import_aio_pika(self.settings.password)
        self._connection: AbstractConnection | None = None
        self._lost: asyncio.Event | None = None  # set when the current link drops
        self._runner: asyncio.Task[None] | None = None
        self.queue_name: str | None = None
        self.reconnects = 0

    @property
    def where(self) -> str:
        """The broker and what is read, for log lines (no credentials)."""
        s = self.settings
        via = f"exchange {s.exchange!r} key " if s.exchange else "queue "
        return f"{redact_url(self._url)} ({via}{self.route_key!r})"

    def janus_settings(self) -> dict[str, str | int | bool]:
        """Settings for ``janus.eventhandler.rabbitmqevh.jcfg``: every event, grouped, compact.

        Returns:
            ``events``, ``grouping``, ``json``, ``host``, ``port``, ``vhost``,
            ``username``, ``password``, ``route_key``, ``heartbeat``
            (``janus_heartbeat``), with an exchange
            ``exchange``, ``exchange_type`` and ``declare_outgoing_queue = false``,
            and with ``amqps`` ``ssl_enable`` (add ``ssl_cacert`` and
            ``ssl_verify_peer`` for Janus to check the broker's certificate).
        """
        s = self.settings
        settings: dict[str, str | int | bool] = {
            "events": "all",
            "grouping": True,
            "json": "compact",
            "host": s.host,
            "port": s.port,
            "vhost": s.vhost,
            "username": s.username,
            "password": s.password,
            "route_key": self.route_key,
            "heartbeat": self.janus_heartbeat,
        }
        if s.exchange is not None:
            settings["exchange"] = s.exchange
            settings["exchange_type"] = s.exchange_type
            settings["declare_outgoing_queue"] = False
        if s.tls:
            settings["ssl_enable"] = True
        return settings

    async def _open(self) -> None:
        await self._connect()
        self._runner = asyncio.get_running_loop().create_task(
            self._run(), name=f"rxjanus-rabbitmqevh {self.where}"
        )

    async def _close(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)
        await self._disconnect()

    async def _connect(self) -> None:
        """Connect, declare, consume; raise ``TransportClosed`` on failure (nothing left open)."""
        s = self.settings
        try:
            connection = await connect_amqp(
                self._aio_pika, s, self._ssl, self._timeout, "rxjanus-rabbitmqevh"
            )
        except Exception as exc:
            raise TransportClosed(
                f"cannot connect to the AMQP broker {self.where}: {exc!r}"
            ) from None
        self._connection = connection
        lost = self._lost = asyncio.Event()
        on_closed = functools.partial(_set_lost, lost)
        connection.close_callbacks.add(on_closed)
        try:
            channel = await connection.channel(publisher_confirms=False)
            channel.close_callbacks.add(on_closed)
            queue = await declare_reading_queue(channel, s, self.route_key)
            self.queue_name = queue.name
            # Straight on aio-pika's own aiormq channel: no message objects to ack.
            underlay = await channel.get_underlay_channel()
            await underlay.basic_consume(queue.name, self._on_delivery, no_ack=True)
        except BaseException as exc:
            await self._disconnect()
            if isinstance(exc, Exception) and not isinstance(exc, TransportClosed):
                raise TransportClosed(f"AMQP broker {self.where}: {exc!r}") from None
            raise
        logger.debug("consuming %s", self.where)

    async def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        self._lost = None
        if connection is None:
            return
        await close_amqp(connection, self.where)

    async def _run(self) -> None:
        """Wait for the link to drop; reconnect, until stopped."""
        while True:
            lost = self._lost
            if lost is not None:
                await lost.wait()
            logger.warning("lost the AMQP broker %s; reconnecting", self.where)
            await self._disconnect()
            for delay in backoff(0.1, max_delay=5.0):
                await asyncio.sleep(delay)
                try:
                    await self._connect()
                except TransportClosed as exc:
                    logger.debug("reconnect to %s failed: %s", self.where, exc)
                    continue
                except Exception:  # never end silently: log it and try again
                    logger.exception("reconnecting to the AMQP broker %s failed", self.where)
                    continue
                self.reconnects += 1
                logger.info("reconnected to the AMQP broker %s", self.where)
                break

    async def _on_delivery(self, message: DeliveredMessage) -> None:
        source = f"rabbitmqevh queue {self.queue_name!r}"
        with contextlib.suppress(MalformedEvent):  # feed logged it
            self.feed(message.body, source)


def _set_lost(lost: asyncio.Event, sender: Any, error: BaseException | None = None) -> None:
    lost.set()
