"""Receive Janus' MQTT event handler (``janus.eventhandler.mqttevh``) with aiomqtt.

Janus publishes each event on its own (mqttevh never groups) to
``<topic>/<type label>`` (``/janus/events/sessions``, ``.../handles``,
``.../jsep``, ``.../webrtc``, ``.../media``, ``.../plugins``, ``.../transports``,
``.../core``, ``.../external``; Janus 1.1.2 always adds the label, whatever
``addevent`` says) with an extra ``eventtype`` member, and a status message
(``{"event": "connected", ...}``, retained) to ``<topic>/status``. This
receiver subscribes to ``<topic>/#`` (which matches ``<topic>`` too); status messages are
logged, not emitted; anything else that is not a Janus event is logged and
dropped. A dropped broker link is reconnected at growing intervals (0.1 s
doubling to 5 s); what Janus published meanwhile at QoS 0 is lost.

aiomqtt is an optional dependency: ``pip install rxjanus[mqtt]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl as ssl_module
from typing import TYPE_CHECKING, Any, Final

from ..exceptions import TransportClosed
from ..protocol.backoff import backoff
from ..transports.mqtt import (
    connect_mqtt,
    disconnect_mqtt,
    import_aiomqtt,
    mqtt_settings,
    subscribe_mqtt,
    until_connected,
)
from .base import EventReceiver
from .events import MalformedEvent

if TYPE_CHECKING:
    import aiomqtt

__all__ = ["DEFAULT_TOPIC", "MqttEvhReceiver"]

logger = logging.getLogger(__name__)

DEFAULT_TOPIC: Final = "/janus/events"
"""mqttevh's default base ``topic``."""

_STATUS: Final = "status"


class MqttEvhReceiver(EventReceiver):
    """An MQTT subscription to Janus' ``mqttevh`` event handler.

    Args:
        url: The broker, ``mqtt://[user:password@]host[:port]`` or ``mqtts://``;
            the query may give ``client_id``, ``protocol`` (``5`` or ``3.1.1``),
            ``qos`` and ``keepalive`` as for the MQTT transport. Never logged
            with its password.
        topic: mqttevh's base ``topic``.
        ssl: The TLS context for ``mqtts://`` (default: the system's trust store).
        timeout: Seconds to wait for the broker when connecting.
    """

    def __init__(
        self,
        url: str,
        *,
        topic: str = DEFAULT_TOPIC,
        ssl: ssl_module.SSLContext | None = None,
        timeout: float = 10.0,
    ) -> None:
        super().__init__()
        if not topic or any(ch in topic for ch in "+#\0"):
            raise ValueError("topic must be non-empty and hold no MQTT wildcard")
        self.settings = mqtt_settings(url)
        self.topic = topic.rstrip("/") or "/"
        self._ssl = ssl
        self._timeout = timeout
        self._aiomqtt = import_aiomqtt()
        self._client: aiomqtt.Client | None = None
        self._runner: asyncio.Task[None] | None = None
        self.reconnects = 0

    @property
    def where(self) -> str:
        """The broker, for log lines (no credentials)."""
        return f"{self.settings.host}:{self.settings.port}"

    janus_name = "mqttevh"

    def janus_settings(self) -> dict[str, str | int | bool]:
        """Settings for ``janus.eventhandler.mqttevh.jcfg``: every event, compact, QoS 1.

        Returns:
            ``events``, ``json``, ``url`` (Paho's ``tcp://``/``ssl://``),
            ``client_id``, ``topic``, ``qos``, ``max_inflight``, ``max_buffered``
            and the broker login, if any.
        """
        s = self.settings
        host = f"[{s.host}]" if ":" in s.host else s.host
        settings: dict[str, str | int | bool] = {
            "events": "all",
            "json": "compact",
            "url": f"{'ssl' if s.tls else 'tcp'}://{host}:{s.port}",
            "client_id": f"janus-evh-{s.client_id}",
            "topic": self.topic,
            "qos": 1,
            # Paho C's defaults (10 in flight, 100 buffered) hold bursts back by about
            # 1 s a step and drop what is past 100 (measured with the MQTT transport).
            "max_inflight": 100,
            "max_buffered": 1000,
        }
        if s.username is not None:
            settings["username"] = s.username
        if s.password is not None:
            settings["password"] = s.password
        return settings

    async def _open(self) -> None:
        client = await self._connect()
        self._runner = asyncio.get_running_loop().create_task(
            self._run(client), name=f"rxjanus-mqttevh {self.where}"
        )

    async def _close(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)
        await self._disconnect()

    async def _connect(self) -> aiomqtt.Client:
        """Connect and subscribe; raise ``TransportClosed`` on failure (nothing left open)."""
        lib = self._aiomqtt
        s = self.settings
        client, entering = connect_mqtt(lib, s, self._ssl, self._timeout)
        await until_connected(lib, client, entering, self.where)
        self._client = client
        try:
            # "<topic>/#" matches "<topic>" itself too: one subscription, no duplicates.
            await subscribe_mqtt(client, [(f"{self.topic.rstrip('/')}/#", s.qos)], self.where)
        except BaseException as exc:
            await self._disconnect()
            if isinstance(exc, lib.MqttError):
                raise TransportClosed(f"MQTT broker {self.where}: {exc}") from exc
            raise
        logger.debug("subscribed to %r/# on %s", self.topic, self.where)
        return client

    async def _disconnect(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        await disconnect_mqtt(self._aiomqtt, client, self.where)

    async def _run(self, client: aiomqtt.Client) -> None:
        """Read messages; reconnect when the broker link drops, until stopped."""
        while True:
            try:
                async for message in client.messages:
                    self._on_message(str(message.topic), message.payload)
            except self._aiomqtt.MqttError as exc:
                logger.warning("lost the MQTT broker %s: %s; reconnecting", self.where, exc)
            await self._disconnect()
            for delay in backoff(0.1, max_delay=5.0):
                await asyncio.sleep(delay)
                try:
                    client = await self._connect()
                except TransportClosed as exc:
                    logger.debug("reconnect to %s failed: %s", self.where, exc)
                    continue
                except Exception:  # never end silently: log it and try again
                    logger.exception("reconnecting to the MQTT broker %s failed", self.where)
                    continue
                self.reconnects += 1
                logger.info("reconnected to the MQTT broker %s", self.where)
                break

    def _on_message(self, topic: str, payload: Any) -> None:
        source = f"mqttevh topic {topic!r}"
        if not isinstance(payload, bytes | str):
            self.malformed += 1
            logger.warning("dropped a message on %s: no payload", source)
            return
        if topic == f"{self.topic.rstrip('/')}/{_STATUS}":
            logger.info("mqttevh status on %s: %s", self.where, _short(payload))
            return
        with contextlib.suppress(MalformedEvent):  # feed logged it
            self.feed(payload, source)


def _short(payload: bytes | str, limit: int = 200) -> str:
    text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."
