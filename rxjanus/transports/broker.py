"""What the broker transports share: one shared reply channel, filtered per client.

Janus' MQTT and RabbitMQ transports are each one client of a message broker:
Janus reads requests from one topic or queue and publishes every reply and
every event of every session to one other, so a client of a shared channel
sees other clients' traffic.
[BrokerTransport][rxjanus.transports.broker.BrokerTransport] keeps only its own:
a reply whose ``transaction`` is one of its requests still waiting, an event
whose ``session_id`` is one of its routed sessions; the rest is counted in
`BrokerTransport.foreign_messages` and dropped with a DEBUG line.

After the broker restarts, Janus reconnects on its own schedule; a reconnected
transport pings Janus (`BrokerTransport._until_janus_answers`) before
the base class claims the sessions.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import itertools
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import SplitResult, parse_qs, urlsplit

from ..exceptions import JanusError
from ..protocol import Outgoing
from .base import EventTarget, JanusTransport, Waiter, redact_url

__all__ = ["BrokerTransport", "BrokerUrl", "parse_broker_url"]

logger = logging.getLogger(__name__)

_REPLY_KINDS: Final = frozenset({"success", "ack", "pong", "server_info", "error"})
"""Kinds that only ever answer a request: with a transaction not ours, someone else's."""

_PROBE_FIRST_WAIT: Final = 0.05
_PROBE_MAX_WAIT: Final = 1.0


@dataclass(frozen=True, slots=True)
class BrokerUrl:
    """The parts of a broker URL that the MQTT and AMQP settings share.

    Attributes:
        parts: The split URL (its ``path``, ``username`` and ``password``).
        scheme: The scheme, lower case.
        host: The broker's host.
        port: The URL's port, or the scheme's default.
        query: Each query key given, with its one value.
    """

    parts: SplitResult
    scheme: str
    host: str
    port: int
    query: dict[str, str]


def parse_broker_url(
    base_url: str, protocol: str, ports: Mapping[str, int], keys: frozenset[str]
) -> BrokerUrl:
    """Split a broker URL, check its scheme, host, port and query keys.

    Args:
        base_url: The URL.
        protocol: ``MQTT`` or ``AMQP``, for the messages.
        ports: Each scheme it may have, with its default port.
        keys: The query keys it may have (each at most once).

    Raises:
        ValueError: Another scheme, no host, a bad port, an unknown or repeated query key.
    """
    parts = urlsplit(base_url)
    scheme = parts.scheme.lower()
    if scheme not in ports:
        schemes = " or ".join(f"{name}://" for name in ports)
        raise ValueError(f"not an {schemes} URL: {redact_url(base_url)!r}")
    if not parts.hostname:
        raise ValueError(f"no broker host in {redact_url(base_url)!r}")
    try:
        port = parts.port or ports[scheme]
    except ValueError as exc:  # out of range or not a number (redact_url would raise too)
        raise ValueError(f"bad port in the {protocol} URL of {parts.hostname!r}: {exc}") from None
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = set(query) - keys
    if unknown:
        raise ValueError(
            f"unknown {protocol} URL parameter(s) {', '.join(sorted(unknown))}: "
            f"use {', '.join(sorted(keys))}"
        )
    repeated = sorted(key for key, values in query.items() if len(values) > 1)
    if repeated:
        raise ValueError(f"{protocol} URL parameter(s) given twice: {', '.join(repeated)}")
    given = {key: values[0] for key, values in query.items()}
    return BrokerUrl(parts, scheme, parts.hostname, port, given)


class BrokerTransport(JanusTransport):
    """A transport whose replies and events come on a channel shared with other clients.

    Subclasses call `_track` for each request they publish and
    `_on_message` for each message they receive, and may await
    `_until_janus_answers` when reconnecting.
    """

    def __init__(self, base_url: str, **options: Any) -> None:
        super().__init__(base_url, **options)
        self._waiting: set[str] = set()  # transactions of our requests awaiting a reply
        self._routed: set[int] = set()  # our sessions
        self._probe: tuple[str, asyncio.Future[None]] | None = None
        self.foreign_messages = 0
        """How many messages were not for this transport and were dropped: other clients'
        replies and events on the shared channel, and late replies to requests given up on."""

    @property
    @abc.abstractmethod
    def where(self) -> str:
        """Where the transport talks to Janus, for logs and errors (no credentials)."""

    # -- routing (kept here too: the reader tells our events from other clients') --

    def add_session(self, session_id: int, target: EventTarget) -> None:
        """Deliver unsolicited messages of ``session_id`` to ``target``."""
        super().add_session(session_id, target)
        self._routed.add(session_id)

    def remove_session(self, session_id: int) -> None:
        """Stop delivering messages of ``session_id``."""
        super().remove_session(session_id)
        self._routed.discard(session_id)

    def _track(self, outgoing: Outgoing, waiter: Waiter) -> None:
        """Note a request about to be published: its reply is ours until it completes."""
        transaction = outgoing.transaction
        if transaction not in self._waiting:
            self._waiting.add(transaction)
            waiter.add_done_callback(lambda _: self._waiting.discard(transaction))

    # -- receiving ----------------------------------------------------------------

    def _on_message(self, payload: str | bytes) -> None:
        """Hand one message to the protocol, unless it is another client's; never raises."""
        message = self._protocol.decode(payload)  # malformed JSON: logged and dropped there
        if isinstance(message, dict):
            transaction = message.get("transaction")
            probe = self._probe
            if (
                probe is not None
                and isinstance(transaction, str)
                and transaction.startswith(probe[0])
            ):
                if not probe[1].done():
                    probe[1].set_result(None)
                return
            if not self._is_ours(message, transaction):
                self.foreign_messages += 1
                if logger.isEnabledFor(logging.DEBUG):
                    logger.debug(
                        "ignored another client's %r on %s", message.get("janus"), self.where
                    )
                return
        self._receive_decoded(message)

    def _is_ours(self, message: dict[str, Any], transaction: object) -> bool:
        if isinstance(transaction, str):
            if transaction in self._waiting:
                return True
            if message.get("janus") in _REPLY_KINDS:
                return False  # a reply to a request not ours (or given up on: dropped anyway)
        session_id = message.get("session_id")
        if isinstance(session_id, int) and not isinstance(session_id, bool):
            return session_id in self._routed
        return True  # neither ours nor anyone's: the protocol judges (and logs) it

    # -- reconnecting ---------------------------------------------------------------

    async def _until_janus_answers(self, publish: Callable[[str], Awaitable[None]]) -> None:
        """Ping Janus until it answers: after a broker restart it reconnects on its own schedule.

        Bounded by the attempt's timeout (the base's); pings go out through
        ``publish`` at growing intervals (50 ms doubling to 1 s). Late pongs are
        dropped as foreign.

        Raises:
            JanusError: The link dropped meanwhile (what `_fail_probe` was given).
        """
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        prefix = f"rxjanus-probe-{secrets.token_hex(4)}-"
        self._probe = (prefix, future)
        wait = _PROBE_FIRST_WAIT
        try:
            for n in itertools.count():
                await publish(json.dumps({"janus": "ping", "transaction": f"{prefix}{n:x}"}))
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await asyncio.shield(future)
                if future.done():
                    future.result()  # the link dropped meanwhile: raises
                    logger.debug("Janus answers on %s again (%d pings)", self.where, n + 1)
                    return
                wait = min(wait * 2, _PROBE_MAX_WAIT)
        finally:
            self._probe = None
            if not future.done():
                future.cancel()

    def _fail_probe(self, error: JanusError) -> None:
        """The link dropped: a ping waiting for Janus fails with ``error``."""
        if self._probe is not None and not self._probe[1].done():
            self._probe[1].set_exception(error)
