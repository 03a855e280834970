from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from reactivex import Observable, abc
from reactivex.disposable import SerialDisposable
from reactivex.scheduler.eventloop import AsyncIOScheduler

from ..protocol import backoff

T = TypeVar("T")


def retry_with_backoff_(
    max_retries: int | None = None,
    *,
    initial_delay: float = 1.0,
    factor: float = 2.0,
    max_delay: float = 30.0,
    should_retry: Callable[[Exception], bool] | None = None,
    scheduler: abc.SchedulerBase | None = None,
) -> Callable[[Observable[T]], Observable[T]]:
    def _retry(source: Observable[T]) -> Observable[T]:
        def subscribe(
            observer: abc.ObserverBase[T], scheduler_: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            timer_scheduler = scheduler or scheduler_
            serial = SerialDisposable()
            state = {"failures": 0}
            delays = [backoff(initial_delay, factor=factor, max_delay=max_delay)]

            def on_next(value: T) -> None:
                state["failures"] = 0
                delays[0] = backoff(initial_delay, factor=factor, max_delay=max_delay)
                observer.on_next(value)

            def on_error(error: Exception) -> None:
                retryable = should_retry is None or should_retry(error)
                if not retryable or (max_retries is not None and state["failures"] >= max_retries):
                    observer.on_error(error)
                    return
                state["failures"] += 1
                delay = next(delays[0])
                runner = timer_scheduler or _asyncio_scheduler()
                serial.disposable = runner.schedule_relative(delay, resubscribe)

            def resubscribe(*_: Any) -> None:
                serial.disposable = source.subscribe(
                    on_next, on_error, observer.on_completed, scheduler=scheduler_
                )

            resubscribe()
            return serial

        return Observable(subscribe)

    return _retry


def _asyncio_scheduler() -> abc.SchedulerBase:
    import asyncio

    return AsyncIOScheduler(asyncio.get_running_loop())
