from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import reactivex
from reactivex import Observable, abc
from reactivex.disposable import CompositeDisposable
from reactivex.scheduler.eventloop import AsyncIOScheduler

from .._tasks import spawn


class _KeptAlive(Protocol):
    def keepalive(self) -> Any: ...


S = TypeVar("S", bound=_KeptAlive)


def keepalive_(
    interval: float, scheduler: abc.SchedulerBase | None = None
) -> Callable[[Observable[S]], Observable[S]]:
    if interval <= 0:
        raise ValueError("keepalive interval must be positive")

    def _keepalive(source: Observable[S]) -> Observable[S]:
        def subscribe(
            observer: abc.ObserverBase[S], scheduler_: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            timer_scheduler = (
                scheduler or scheduler_ or AsyncIOScheduler(asyncio.get_running_loop())
            )
            timers = CompositeDisposable()

            def on_next(session: S) -> None:
                def beat(_: int) -> None:
                    spawn(session.keepalive(), what="a keepalive")

                timers.add(reactivex.interval(interval, timer_scheduler).subscribe(beat))
                observer.on_next(session)

            subscription = source.subscribe(
                on_next, observer.on_error, observer.on_completed, scheduler=scheduler_
            )
            return CompositeDisposable(timers, subscription)

        return Observable(subscribe)

    return _keepalive
