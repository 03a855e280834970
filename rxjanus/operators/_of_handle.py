from __future__ import annotations

from collections.abc import Callable

from reactivex import Observable
from reactivex import operators as ops

from ..eventhandlers.events import HandleEvent, JanusEvent


def of_handle_(handle_id: int) -> Callable[[Observable[JanusEvent]], Observable[JanusEvent]]:
    def ours(event: JanusEvent) -> bool:
        return event.handle_id == handle_id

    def going_on(event: JanusEvent) -> bool:
        return not (isinstance(event, HandleEvent) and event.name == "detached")

    def _of_handle(source: Observable[JanusEvent]) -> Observable[JanusEvent]:
        return source.pipe(ops.filter(ours), ops.take_while(going_on, inclusive=True))

    return _of_handle
