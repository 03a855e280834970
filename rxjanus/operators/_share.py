from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from reactivex import Observable, abc
from reactivex.disposable import Disposable
from reactivex.subject import Subject

T = TypeVar("T")


class _Connection(Generic[T]):
    """One shared subscription to the source, its observers and (maybe) its latest value."""

    def __init__(self) -> None:
        self.subject: Subject[T] = Subject()
        self.latest: list[T] = []  # empty until the source emits
        self.upstream: abc.DisposableBase | None = None
        self.observers = 0


def share_resettable_() -> Callable[[Observable[T]], Observable[T]]:
    return _shared(replay_latest=False)


def share_latest_() -> Callable[[Observable[T]], Observable[T]]:
    return _shared(replay_latest=True)


def _shared(*, replay_latest: bool) -> Callable[[Observable[T]], Observable[T]]:
    """One subscription to the source for all observers, made anew after it ends."""

    def _share(source: Observable[T]) -> Observable[T]:
        live: list[_Connection[T]] = []  # the current connection, if any

        def subscribe(
            observer: abc.ObserverBase[T], scheduler: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            fresh = not live
            if fresh:
                live.append(_Connection())
            connection = live[0]
            connection.observers += 1
            inner = connection.subject.subscribe(observer, scheduler=scheduler)

            def end() -> None:
                if live and live[0] is connection:
                    live.clear()
                connection.latest.clear()

            if fresh:

                def on_next(value: T) -> None:
                    if replay_latest:
                        connection.latest[:] = [value]
                    connection.subject.on_next(value)

                def on_error(error: Exception) -> None:
                    end()
                    connection.subject.on_error(error)

                def on_completed() -> None:
                    end()
                    connection.subject.on_completed()

                connection.upstream = source.subscribe(
                    on_next, on_error, on_completed, scheduler=scheduler
                )
            elif connection.latest:
                observer.on_next(connection.latest[0])
            disposed = False

            def dispose() -> None:
                nonlocal disposed
                if disposed:
                    return
                disposed = True
                inner.dispose()
                connection.observers -= 1
                if connection.observers == 0:
                    end()
                    if connection.upstream is not None:
                        connection.upstream.dispose()

            return Disposable(dispose)

        return Observable(subscribe)

    return _share
