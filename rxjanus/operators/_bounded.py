from __future__ import annotations

import asyncio
import collections
import logging
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from reactivex import Observable, abc
from reactivex.disposable import CompositeDisposable, Disposable, SerialDisposable
from reactivex.scheduler.eventloop import AsyncIOScheduler

logger = logging.getLogger("rxjanus.operators.bounded")

T = TypeVar("T")

_END: Any = object()


class BoundedObservable(Observable[T], Generic[T]):
    """An observable delivering through a bounded buffer; counts what it dropped.

    Attributes:
        maxsize: The most values one subscription keeps waiting.
    """

    def __init__(
        self, source: Observable[T], maxsize: int, scheduler: abc.SchedulerBase | None
    ) -> None:
        super().__init__()
        self.maxsize = maxsize
        self._source = source
        self._scheduler = scheduler
        self._dropped = 0
        self._buffered = 0

    @property
    def buffered(self) -> int:
        """Values waiting now to be delivered (all subscriptions); never over ``maxsize`` each."""
        return self._buffered

    @property
    def dropped(self) -> int:
        """Values dropped so far because a consumer fell ``maxsize`` behind (all subscriptions)."""
        return self._dropped

    def _subscribe_core(
        self, observer: abc.ObserverBase[T], scheduler: abc.SchedulerBase | None = None
    ) -> abc.DisposableBase:
        delivery = self._scheduler or scheduler or AsyncIOScheduler(asyncio.get_running_loop())
        waiting: collections.deque[T] = collections.deque()
        ending: list[Exception | None] = []
        drain = SerialDisposable()
        lock = threading.Lock()
        scheduled = False
        dropped = 0

        def deliver(_: abc.SchedulerBase, __: Any = None) -> None:
            # One value a turn, so that the producer runs in between.
            nonlocal scheduled
            with lock:
                if waiting:
                    value, end = waiting.popleft(), None
                    self._buffered -= 1
                elif ending:
                    value, end = _END, ending
                else:
                    scheduled = False
                    return
            if end is None:
                observer.on_next(value)
                with lock:
                    drain.disposable = delivery.schedule(deliver)
            elif end[0] is None:
                observer.on_completed()
            else:
                observer.on_error(end[0])

        def push(value: T) -> None:
            nonlocal scheduled, dropped
            with lock:
                if value is not _END:
                    if len(waiting) >= self.maxsize:
                        waiting.popleft()
                        self._buffered -= 1
                        self._dropped += 1
                        dropped += 1
                        if dropped == 1 or dropped % 1000 == 0:
                            logger.warning(
                                "a slow consumer fell %d values behind: %d dropped so far "
                                "(oldest first)",
                                self.maxsize,
                                dropped,
                            )
                    waiting.append(value)
                    self._buffered += 1
                if not scheduled:
                    scheduled = True
                    drain.disposable = delivery.schedule(deliver)

        def on_error(error: Exception) -> None:
            ending.append(error)
            push(_END)

        def on_completed() -> None:
            ending.append(None)
            push(_END)

        subscription = self._source.subscribe(push, on_error, on_completed, scheduler=scheduler)

        def clear() -> None:
            with lock:
                self._buffered -= len(waiting)
                waiting.clear()

        return CompositeDisposable(subscription, drain, Disposable(clear))


def bounded_(
    maxsize: int, scheduler: abc.SchedulerBase | None = None
) -> Callable[[Observable[T]], BoundedObservable[T]]:
    if maxsize < 1:
        raise ValueError("maxsize must be at least 1")
    return lambda source: BoundedObservable(source, maxsize, scheduler)
