"""asyncio bridges: await an observable, iterate over one, wait for teardowns.

Cancelling the awaiting task disposes the subscription.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator, Callable
from typing import TypeVar

from reactivex import Observable

from ._tasks import pending_count, settle

__all__ = ["first", "iterate", "pending_count", "settle"]

T = TypeVar("T")


class SequenceEmpty(LookupError):
    """The observable completed without the value awaited."""


async def first(source: Observable[T], predicate: Callable[[T], bool] | None = None) -> T:
    """Subscribe, return the first value (matching ``predicate``), then dispose.

    Raises:
        SequenceEmpty: The observable completed first.
        Exception: The observable's error.
    """
    future: asyncio.Future[T] = asyncio.get_running_loop().create_future()

    def on_next(value: T) -> None:
        if not future.done() and (predicate is None or predicate(value)):
            future.set_result(value)

    def on_error(error: Exception) -> None:
        if not future.done():
            future.set_exception(error)

    def on_completed() -> None:
        if not future.done():
            future.set_exception(SequenceEmpty("the observable completed without a value"))

    subscription = source.subscribe(on_next, on_error, on_completed)
    try:
        return await future
    finally:
        subscription.dispose()


async def iterate(source: Observable[T], *, maxsize: int = 64) -> AsyncIterator[T]:
    """Iterate over an observable's values with ``async for``.

    Values wait in a buffer of ``maxsize``; when a slow consumer lets it fill,
    the oldest value is dropped (the latest wins), so a stalled consumer never
    grows memory. Leaving the loop (or cancelling the task) disposes the
    subscription. The observable's error is raised from the loop.

    Args:
        source: The observable.
        maxsize: The most values kept waiting.

    Yields:
        The values, in order, less any dropped.
    """
    if maxsize < 1:
        raise ValueError("maxsize must be at least 1")
    buffer: collections.deque[T] = collections.deque(maxlen=maxsize)
    woken = asyncio.Event()
    ended: list[BaseException | None] = []

    def on_next(value: T) -> None:
        buffer.append(value)
        woken.set()

    def on_error(error: Exception) -> None:
        ended.append(error)
        woken.set()

    def on_completed() -> None:
        ended.append(None)
        woken.set()

    subscription = source.subscribe(on_next, on_error, on_completed)
    try:
        while True:
            while buffer:
                yield buffer.popleft()
            if ended:
                if ended[0] is not None:
                    raise ended[0]
                return
            woken.clear()
            await woken.wait()
    finally:
        subscription.dispose()
