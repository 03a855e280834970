"""What every event-handler receiver shares: one hot observable of typed events.

A receiver ([`SampleEvhReceiver`][rxjanus.eventhandlers.http.SampleEvhReceiver],
[`WsEvhReceiver`][rxjanus.eventhandlers.websocket.WsEvhReceiver],
[`MqttEvhReceiver`][rxjanus.eventhandlers.mqtt.MqttEvhReceiver],
[`RabbitMQEvhReceiver`][rxjanus.eventhandlers.rabbitmq.RabbitMQEvhReceiver]) decodes what
its Janus event handler sends and hands each message to
[`EventReceiver.feed`][rxjanus.eventhandlers.base.EventReceiver.feed], which
emits one typed event per item on ``events``, drops malformed items with a log
line and counts what it dropped. Other event handlers (Nanomsg, GELF) would subclass
[`EventReceiver`][rxjanus.eventhandlers.base.EventReceiver] and implement
``_open`` and ``_close``.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from types import TracebackType

from reactivex import Observable
from reactivex.subject import Subject

from .events import JanusEvent, MalformedEvent, UnknownEvent, decode_payload, parse_event

__all__ = ["EventReceiver"]

logger = logging.getLogger(__name__)


class EventReceiver(ABC):
    """Base of the receivers: a hot ``events`` stream and a clean start/stop.

    Use as an async context manager (``async with SampleEvhReceiver() as rx:``)
    or call [`start`][rxjanus.eventhandlers.base.EventReceiver.start] and
    [`stop`][rxjanus.eventhandlers.base.EventReceiver.stop]. ``events`` is hot:
    subscribe before Janus sends what you want to see. It completes when the
    receiver stops. Observers run on the event loop's thread, synchronously as
    each message is decoded; put a bounded buffer (``rxjanus.operators.bounded``
    or ``rxjanus.aio.iterate``) in front of slow work.

    Attributes:
        received: Events emitted so far.
        malformed: Messages or batch items dropped as not Janus events (each logged).
        unknown: Events of an unknown type, emitted as ``UnknownEvent`` (each logged).
    """

    def __init__(self) -> None:
        self._subject: Subject[JanusEvent] = Subject()
        self._started = False
        self._stopped = False
        self.received = 0
        self.malformed = 0
        self.unknown = 0

    @property
    def events(self) -> Observable[JanusEvent]:
        """The typed events, hot; completes when the receiver stops."""
        return self._subject

    @property
    def running(self) -> bool:
        """Whether the receiver has started and not stopped."""
        return self._started and not self._stopped

    async def start(self) -> EventReceiver:
        """Start listening (bind, connect, subscribe).

        Returns:
            This receiver.

        Raises:
            RuntimeError: Started before.
        """
        if self._started:
            raise RuntimeError(f"{type(self).__name__} was started already")
        self._started = True
        try:
            await self._open()
        except BaseException:
            await self.stop()
            raise
        return self

    async def stop(self) -> None:
        """Stop listening, release every socket and task, complete ``events``. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        try:
            await self._close()
        finally:
            self._subject.on_completed()

    async def __aenter__(self) -> EventReceiver:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    janus_name: str = ""
    """The event handler's short name in Janus (``"sampleevh"``): its config is
    ``janus.eventhandler.<janus_name>.jcfg``."""

    @abstractmethod
    def janus_settings(self) -> dict[str, str | int | bool]:
        """The ``general`` settings Janus' event handler needs to reach this receiver.

        For [`JanusServer`][rxjanus.testing.JanusServer]'s ``event_handlers`` or
        your own ``janus.eventhandler.<janus_name>.jcfg`` (plus ``enabled = true``).
        Call it once started. Holds credentials when the receiver has some.
        """

    @abstractmethod
    async def _open(self) -> None:
        """Start the transport; called once by ``start``."""

    @abstractmethod
    async def _close(self) -> None:
        """Release everything ``_open`` made; called once by ``stop``, even after a failed open."""

    def feed(self, payload: bytes | str, source: str) -> int:
        """Decode one message (a batch or one event) and emit its events.

        Items that are not Janus events are dropped with a log line; the
        others are emitted in order.

        Args:
            payload: The message as received.
            source: Where it came from, for log lines (never a credential).

        Returns:
            How many events were emitted.

        Raises:
            MalformedEvent: The whole message is not a Janus event or batch
                (already logged and counted).
        """
        try:
            items = decode_payload(payload)
        except MalformedEvent as exc:
            self.malformed += 1
            logger.warning("dropped a message from %s: %s", source, exc)
            raise
        events: list[JanusEvent] = []
        for index, item in enumerate(items):
            try:
                event = parse_event(item)
            except MalformedEvent as exc:
                self.malformed += 1
                logger.warning("dropped item %d of a message from %s: %s", index, source, exc)
                continue
            if isinstance(event, UnknownEvent):
                self.unknown += 1
                logger.warning(
                    "unknown Janus event type %d from %s, passed on as UnknownEvent",
                    event.type,
                    source,
                )
            events.append(event)
        if not events:
            if not items:
                self.malformed += 1
                logger.warning("dropped an empty batch from %s", source)
            raise MalformedEvent(f"no Janus event in the message from {source}")
        for event in events:
            self.emit(event)
        return len(events)

    def emit(self, event: JanusEvent) -> None:
        """Emit one event to the observers (after ``stop``: dropped with a log line)."""
        if self._stopped:
            logger.debug("receiver stopped; dropped a type %d event", event.type)
            return
        self.received += 1
        try:
            self._subject.on_next(event)
        except Exception:  # an observer's error must not take the receiver down
            logger.exception("an observer of the Janus events raised; the stream goes on")
