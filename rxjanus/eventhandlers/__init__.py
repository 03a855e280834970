"""Janus' event handlers as observables: the whole server's telemetry as a stream.

Janus reports what happens on it (sessions and handles created and gone, SDPs,
ICE and DTLS states, media stats per handle, plugin and transport events, core
start and shutdown) to its event handlers. Enable them with ``broadcast = true``
in the ``events`` section of ``janus.jcfg`` and one config file per handler;
each receiver here is the other end of one of them and yields one hot
observable of typed events (``receiver.events``):

* [`SampleEvhReceiver`][rxjanus.eventhandlers.http.SampleEvhReceiver]: an HTTP
  endpoint for ``janus.eventhandler.sampleevh`` (basic auth, grouped batches).
* [`WsEvhReceiver`][rxjanus.eventhandlers.websocket.WsEvhReceiver]: a WebSocket
  server for ``janus.eventhandler.wsevh`` (subprotocol ``janus-event-handlers``).
* [`MqttEvhReceiver`][rxjanus.eventhandlers.mqtt.MqttEvhReceiver]: an MQTT
  subscription for ``janus.eventhandler.mqttevh`` (needs ``rxjanus[mqtt]``).
* [`RabbitMQEvhReceiver`][rxjanus.eventhandlers.rabbitmq.RabbitMQEvhReceiver]: an
  AMQP consumer for ``janus.eventhandler.rabbitmqevh`` (needs ``rxjanus[amqp]``).

Other transports subclass
[`EventReceiver`][rxjanus.eventhandlers.base.EventReceiver]. The operators
``of_session``, ``of_handle``, ``media_quality``, ``alerts``, ``with_admin_view``
and ``bounded`` (in `rxjanus.operators`) build the common pipelines.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .base import EventReceiver
from .events import (
    CoreEvent,
    CoreSubtype,
    EventType,
    ExternalEvent,
    HandleEvent,
    JanusEvent,
    JsepEvent,
    MalformedEvent,
    MediaEvent,
    MediaStats,
    MediaSubtype,
    PluginEvent,
    SessionEvent,
    TransportEvent,
    UnknownEvent,
    WebRTCEvent,
    WebRTCSubtype,
    decode_payload,
    parse_event,
)
from .http import SampleEvhReceiver
from .websocket import WsEvhReceiver

if TYPE_CHECKING:
    from .mqtt import MqttEvhReceiver
    from .rabbitmq import RabbitMQEvhReceiver

__all__ = [
    "CoreEvent",
    "CoreSubtype",
    "EventReceiver",
    "EventType",
    "ExternalEvent",
    "HandleEvent",
    "JanusEvent",
    "JsepEvent",
    "MalformedEvent",
    "MediaEvent",
    "MediaStats",
    "MediaSubtype",
    "MqttEvhReceiver",
    "PluginEvent",
    "RabbitMQEvhReceiver",
    "SampleEvhReceiver",
    "SessionEvent",
    "TransportEvent",
    "UnknownEvent",
    "WebRTCEvent",
    "WebRTCSubtype",
    "WsEvhReceiver",
    "decode_payload",
    "parse_event",
]

_LAZY = {"MqttEvhReceiver": ".mqtt", "RabbitMQEvhReceiver": ".rabbitmq"}


def __getattr__(name: str) -> Any:
    """Import the MQTT and RabbitMQ receivers on first use (aiomqtt, aio-pika are optional)."""
    module = _LAZY.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module, __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
