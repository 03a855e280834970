"""asyncio bridges: await an observable, iterate over one, wait for teardowns.

Cancelling the awaiting task disposes the subscription.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator, Callable
from typing import Generic, TypeVar

from reactivex import Observable, abc

from ._tasks import pending_count, settle

__all__ = ["ObservableIterator", "SequenceEmpty", "first", "iterate", "pending_count", "settle"]

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


def iterate(source: Observable[T], *, maxsize: int = 64) -> ObservableIterator[T]:
    """Iterate over an observable's values with ``async for``.

    Values wait in a buffer of ``maxsize``; when a slow consumer lets it fill,
    the oldest value is dropped (the latest wins), so a stalled consumer never
    grows memory. Leaving the loop (``break``, an exception, or cancelling the
    task) disposes the subscription as soon as the iterator is dropped; use
    ``async with aio.iterate(...) as values:`` to dispose at a point of your
    choosing. The observable's error is raised from the loop.

    Args:
        source: The observable.
        maxsize: The most values kept waiting.

    Returns:
        An async iterator (and async context manager) over the values.
    """
    return ObservableIterator(source, maxsize)


class _Buffer(Generic[T]):
    """What the subscription fills; kept apart so the iterator is not referenced by it."""

    def __init__(self, maxsize: int) -> None:
        self.values: collections.deque[T] = collections.deque(maxlen=maxsize)
        self.woken = asyncio.Event()
        self.ended: list[BaseException | None] = []
        self.dropped = 0

    def on_next(self, value: T) -> None:
        if len(self.values) == self.values.maxlen:
            self.dropped += 1
        self.values.append(value)
        self.woken.set()

    def on_error(self, error: Exception) -> None:
        self.ended.append(error)
        self.woken.set()

    def on_completed(self) -> None:
        self.ended.append(None)
        self.woken.set()


class ObservableIterator(AsyncIterator[T]):
    """An async iterator over an observable with a bounded, latest-wins buffer.

    Subscribes on the first ``__anext__``; disposes on completion, error,
    [`aclose`][rxjanus.aio.ObservableIterator.aclose], leaving ``async with``, or as soon as it is
    dropped (the subscription does not keep it alive).
    """

    def __init__(self, source: Observable[T], maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self._source = source
        self._buffer: _Buffer[T] = _Buffer(maxsize)
        self._subscription: abc.DisposableBase | None = None
        self._closed = False

    @property
    def dropped(self) -> int:
        """How many values a slow consumer lost to the bounded buffer."""
        return self._buffer.dropped

    @property
    def buffered(self) -> int:
        """How many values wait to be read."""
        return len(self._buffer.values)

    def __aiter__(self) -> ObservableIterator[T]:
        return self

    async def __anext__(self) -> T:
        if self._closed:
            raise StopAsyncIteration
        buffer = self._buffer
        if self._subscription is None:
            self._subscription = self._source.subscribe(
                buffer.on_next, buffer.on_error, buffer.on_completed
            )
        while not buffer.values:
            if buffer.ended:
                self._dispose()
                error = buffer.ended[0]
                if error is not None:
                    raise error
                raise StopAsyncIteration
            buffer.woken.clear()
            try:
                await buffer.woken.wait()
            except asyncio.CancelledError:
                self._dispose()
                raise
        return buffer.values.popleft()

    async def aclose(self) -> None:
        """Dispose the subscription; the iteration ends."""
        self._dispose()

    async def __aenter__(self) -> ObservableIterator[T]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._dispose()

    def __del__(self) -> None:
        self._dispose()

    def _dispose(self) -> None:
        self._closed = True
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            subscription.dispose()
