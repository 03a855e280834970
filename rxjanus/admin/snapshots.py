"""Polling server state into an observable of snapshots, emitted when they change."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

import reactivex
from reactivex import Observable, abc
from reactivex import operators as ops
from reactivex.disposable import Disposable
from reactivex.scheduler.eventloop import AsyncIOScheduler

from .._tasks import spawn

__all__ = ["ServerSnapshot", "from_async", "poll_changes"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ServerSnapshot:
    """The sessions (and, if asked for, their handles) a Janus server held at one poll.

    Two snapshots are equal when they list the same sessions and handles.

    Attributes:
        sessions: The session ids, sorted.
        handles: The sorted handle ids of each session in ``sessions``, when the
            poll asked for handles; empty otherwise.
    """

    sessions: tuple[int, ...]
    handles: Mapping[int, tuple[int, ...]] = field(default_factory=dict)

    @property
    def handle_count(self) -> int:
        """How many handles the snapshot holds (0 when handles were not polled)."""
        return sum(len(ids) for ids in self.handles.values())

    def __contains__(self, session_id: object) -> bool:
        return session_id in self.sessions


def from_async(factory: Callable[[], Awaitable[T]]) -> Observable[T]:
    """A cold observable that awaits ``factory()`` per subscription and emits its result.

    Disposal cancels the work if it is still running. Needs a running event loop
    at subscribe time.

    ```text
    factory():  -----r|
    result:     -----r|     (or #, its exception)
    ```

    Args:
        factory: Makes the awaitable (e.g. ``lambda: client.list_sessions()``).

    Returns:
        The observable.
    """

    def subscribe(
        observer: abc.ObserverBase[T], scheduler: abc.SchedulerBase | None = None
    ) -> abc.DisposableBase:
        disposed = False

        async def run() -> None:
            try:
                result = await factory()
            except Exception as exc:
                if not disposed:
                    observer.on_error(exc)
                return
            if not disposed:
                observer.on_next(result)
                observer.on_completed()

        task = spawn(run(), what="a polled request")

        def dispose() -> None:
            nonlocal disposed
            disposed = True
            task.cancel()

        return Disposable(dispose)

    return Observable(subscribe)


def poll_changes(
    fetch: Callable[[], Observable[T]],
    interval: float,
    *,
    scheduler: abc.SchedulerBase | None = None,
) -> Observable[T]:
    """Fetch at once and then every ``interval`` seconds; emit each result that differs.

    A tick that comes while a fetch is still running is skipped (no pile-up on a
    slow server). The first error of a fetch ends the stream with that error;
    pipe ``retry_with_backoff`` in front of your subscriber to go on polling.
    Disposal stops the ticks and cancels a fetch in flight.

    ```text
    ticks:    t---------t---------t---------t---
    fetch():  -a|       -a|       -b|       -b|
    result:   -a------------------b-------------
    ```

    Args:
        fetch: Makes one fetch, as a cold observable of one value (e.g.
            [`from_async`][rxjanus.admin.snapshots.from_async] around a request).
        interval: Seconds between fetches (ticks of ``scheduler``).
        scheduler: The scheduler of the ticks; default: the one given at
            subscribe time, else an ``AsyncIOScheduler`` on the running loop.

    Returns:
        The observable of distinct results.

    Raises:
        ValueError: ``interval`` is not positive.
    """
    if interval <= 0:
        raise ValueError("the polling interval must be positive")

    def subscribe(
        observer: abc.ObserverBase[T], scheduler_: abc.SchedulerBase | None = None
    ) -> abc.DisposableBase:
        ticks_on = scheduler or scheduler_ or AsyncIOScheduler(asyncio.get_running_loop())
        ticks: Observable[int] = reactivex.timer(0.0, interval, scheduler=ticks_on)
        fetches: Observable[Observable[T]] = ticks.pipe(
            ops.map(lambda _: reactivex.defer(lambda _scheduler: fetch()))
        )
        results: Observable[T] = fetches.pipe(ops.exclusive(), ops.distinct_until_changed())
        return results.subscribe(observer, scheduler=scheduler_)

    return Observable(subscribe)
