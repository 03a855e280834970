from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from reactivex import Observable
from reactivex import operators as ops

from ..protocol import JSON, plugin_data


class _HasEvents(Protocol):
    @property
    def events(self) -> Observable[JSON]: ...


def event_kinds(message: JSON) -> set[str]:
    """The names a message answers to.

    Its ``janus`` kind, and for plugin events the plugin's event type
    (``"joined"``) and the keys of its data (``"publishers"``).
    """
    kinds = {str(message.get("janus"))}
    data = plugin_data(message)
    if data is not None:
        kinds.update(data)
        kinds.update(value for value in data.values() if isinstance(value, str))
    return kinds


def events_(*kinds: str) -> Callable[[Observable[Any]], Observable[JSON]]:
    wanted = frozenset(kinds)

    def select(source: _HasEvents) -> Observable[JSON]:
        stream = source.events
        if not wanted:
            return stream

        def matches(message: JSON) -> bool:
            return not wanted.isdisjoint(event_kinds(message))

        return stream.pipe(ops.filter(matches))

    return ops.flat_map(select)
