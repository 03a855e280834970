"""Transports: how rxjanus reaches Janus, chosen from the URL scheme.

``ws://`` and ``wss://`` use
[`JanusTransportWebsocket`][rxjanus.transports.websocket.JanusTransportWebsocket]; ``http://`` and
``https://`` use [`JanusTransportHTTP`][rxjanus.transports.http.JanusTransportHTTP];
``unix:///path/janus.sock`` uses [`JanusTransportUnix`][rxjanus.transports.unix.JanusTransportUnix]
(the pfunix transport); ``mqtt://`` and ``mqtts://`` use
[`JanusTransportMQTT`][rxjanus.transports.mqtt.JanusTransportMQTT] (Janus' MQTT transport through a
broker; it needs the optional aiomqtt, ``pip install rxjanus[mqtt]``, imported only when such a
transport is made); ``amqp://`` and ``amqps://`` use `JanusTransportRabbitMQ` (Janus' RabbitMQ
transport; it needs the optional aio-pika, ``pip install rxjanus[amqp]``, imported likewise).
`register_transport(cls, *schemes)` adds a scheme of your own; janus_client's
`JanusTransport.register_transport(protocol_matcher, cls)` a class for the URLs a function accepts.
Both feed one registry, which `JanusTransport.create_transport` (also `create_transport`) reads.
"""

from __future__ import annotations

from .base import EventTarget, JanusTransport, redact_url, register_schemes
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

register_transport = register_schemes
"""Use a transport class for URLs with these schemes (default: its ``schemes``)."""

create_transport = JanusTransport.create_transport
"""Make the transport for a URL (see `JanusTransport.create_transport`)."""

register_transport(JanusTransportWebsocket)
register_transport(JanusTransportHTTP)
register_transport(JanusTransportUnix)
register_transport(JanusTransportMQTT)
register_transport(JanusTransportRabbitMQ)
