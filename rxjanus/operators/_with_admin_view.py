from __future__ import annotations

from collections.abc import Callable

from reactivex import Observable, abc
from reactivex.disposable import CompositeDisposable

from ..admin.snapshots import ServerSnapshot
from ..eventhandlers.derived import ViewedEvent
from ..eventhandlers.events import JanusEvent


def with_admin_view_(
    snapshots: Observable[ServerSnapshot],
) -> Callable[[Observable[JanusEvent]], Observable[ViewedEvent]]:
    def _with_admin_view(source: Observable[JanusEvent]) -> Observable[ViewedEvent]:
        def subscribe(
            observer: abc.ObserverBase[ViewedEvent], scheduler: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            latest: list[ServerSnapshot] = []

            def on_snapshot(snapshot: ServerSnapshot) -> None:
                latest[:] = [snapshot]

            def on_next(event: JanusEvent) -> None:
                observer.on_next(ViewedEvent(event, latest[0] if latest else None))

            views = snapshots.subscribe(on_snapshot, observer.on_error, scheduler=scheduler)
            events = source.subscribe(
                on_next, observer.on_error, observer.on_completed, scheduler=scheduler
            )
            return CompositeDisposable(views, events)

        return Observable(subscribe)

    return _with_admin_view
