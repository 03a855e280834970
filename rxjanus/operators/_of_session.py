from __future__ import annotations

from collections.abc import Callable

from reactivex import Observable
from reactivex import operators as ops

from ..eventhandlers.events import JanusEvent, SessionEvent

_ENDS = frozenset({"destroyed", "timeout"})


def of_session_(session_id: int) -> Callable[[Observable[JanusEvent]], Observable[JanusEvent]]:
    def ours(event: JanusEvent) -> bool:
        return event.session_id == session_id

    def going_on(event: JanusEvent) -> bool:
        return not (isinstance(event, SessionEvent) and event.name in _ENDS)

    def _of_session(source: Observable[JanusEvent]) -> Observable[JanusEvent]:
        return source.pipe(ops.filter(ours), ops.take_while(going_on, inclusive=True))

    return _of_session
