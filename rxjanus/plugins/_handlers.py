"""janus_client-style ``on_event`` handlers, keyed by a plugin's event type."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Generic, TypeVar

from ..protocol import JSON, plugin_data

__all__ = ["EventHandler", "EventHandlers"]

logger = logging.getLogger(__name__)

E = TypeVar("E")

EventHandler = Callable[[JSON], Any]
"""A handler: called with the plugin data; may return an awaitable."""


class EventHandlers(Generic[E]):
    """The handlers of one plugin handle, called for the messages ``classify`` recognises.

    Args:
        classify: Maps a Janus message to the plugin's event type, or None.
        label: The plugin's name in log lines.
        spawn: Runs a handler's coroutine in the background (the handle's tasks).
    """

    def __init__(
        self,
        classify: Callable[[JSON], E | None],
        label: str,
        spawn: Callable[[Coroutine[Any, Any, None]], None],
    ) -> None:
        self._classify = classify
        self._label = label
        self._spawn = spawn
        self._handlers: dict[E, list[EventHandler]] = {}

    def add(self, event_type: E, handler: EventHandler) -> None:
        """Call ``handler(plugin_data)`` on each message of ``event_type``."""
        self._handlers.setdefault(event_type, []).append(handler)

    def trigger(self, message: JSON) -> None:
        """Call the handlers for this message, if it is an event of theirs."""
        event_type = self._classify(message)
        handlers = self._handlers.get(event_type) if event_type is not None else None
        if not handlers:
            return
        data = plugin_data(message) or {}
        for handler in list(handlers):
            try:
                result = handler(data)
                if inspect.isawaitable(result):
                    self._spawn(self._await_handler(result))
            except Exception:
                logger.exception("a %s %s handler failed", self._label, event_type)

    async def _await_handler(self, result: Awaitable[Any]) -> None:
        try:
            await result
        except Exception:
            logger.exception("a %s event handler failed", self._label)
