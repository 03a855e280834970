"""Transports: how rxjanus reaches Janus, chosen from the URL scheme.

``ws://`` and ``wss://`` use :class:`JanusTransportWebsocket`; ``http://`` and
``https://`` use :class:`JanusTransportHTTP`; ``unix:///path/janus.sock`` uses
:class:`JanusTransportUnix` (the pfunix transport); ``mqtt://`` and ``mqtts://`` use
:class:`JanusTransportMQTT` (Janus' MQTT transport through a broker; it needs the optional
aiomqtt, ``pip install rxjanus[mqtt]``, imported only when such a transport is made);
``amqp://`` and ``amqps://`` use `JanusTransportRabbitMQ` (Janus' RabbitMQ transport;
it needs the optional aio-pika, ``pip install rxjanus[amqp]``, imported likewise).
:func:`register_transport` adds a scheme of your own.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .base import EventTarget, JanusTransport, redact_url
from .http import JanusTransportHTTP
from .mqtt import JanusTransportMQTT
from .rabbitmq import JanusTransportRabbitMQ
from .unix import JanusTransportUnix
from .websocket import JanusTransportWebsocket

__all__ = [
    "EventTarget",
    "JanusTransport",
    "JanusTransportHTTP",
    "JanusTransportMQTT",
    "JanusTransportRabbitMQ",
    "JanusTransportUnix",
    "JanusTransportWebsocket",
    "create_transport",
    "redact_url",
    "register_transport",
]

_REGISTRY: dict[str, type[JanusTransport]] = {}


def register_transport(transport_class: type[JanusTransport], *schemes: str) -> None:
    """Use ``transport_class`` for URLs with these schemes (default: its ``schemes``)."""
    for scheme in schemes or transport_class.schemes:
        _REGISTRY[scheme.lower()] = transport_class


def create_transport(base_url: str, **options: Any) -> JanusTransport:
    """Make the transport for ``base_url`` from its scheme.

    Args:
        base_url: The server URL.
        **options: Passed to the transport (``timeout``, ``max_retries`` ...).

    Returns:
        A transport, not yet connected.

    Raises:
        ValueError: No transport is registered for the URL's scheme.
    """
    scheme = urlsplit(base_url).scheme.lower()
    transport_class = _REGISTRY.get(scheme)
    if transport_class is None:
        known = ", ".join(sorted(_REGISTRY))
        raise ValueError(
            f"no transport for {redact_url(base_url)!r}: the scheme must be one of {known}"
        )
    return transport_class(base_url, **options)


register_transport(JanusTransportWebsocket)
register_transport(JanusTransportHTTP)
register_transport(JanusTransportUnix)
register_transport(JanusTransportMQTT)
register_transport(JanusTransportRabbitMQ)
