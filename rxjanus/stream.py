"""Observables that are also async iterables: ``async for event in session.events``.

A [Stream][rxjanus.stream.Stream] is the observable it wraps (``subscribe``,
``pipe`` ... work unchanged) and iterates with
[rxjanus.aio.iterate][rxjanus.aio.iterate]: bounded (``maxsize`` values wait,
the latest win), ended by the observable's completion (the loop ends) or error
(raised from the loop), and disposed as soon as the loop is left:

```python
async for event in session.events:
    if event["janus"] == "reconnected":
        break  # the subscription is disposed here
```
"""

from __future__ import annotations

from typing import TypeVar

from reactivex import Observable, abc

from .aio import ObservableIterator, iterate

__all__ = ["Stream"]

T = TypeVar("T")


class Stream(Observable[T]):
    """An observable that ``async for`` iterates over directly.

    Args:
        source: The observable to expose.
        maxsize: The most values kept waiting for a slow loop (the oldest go first).
    """

    def __init__(self, source: Observable[T], *, maxsize: int = 64) -> None:
        def subscribe(
            observer: abc.ObserverBase[T], scheduler: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            return source.subscribe(observer, scheduler=scheduler)

        super().__init__(subscribe)
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.source = source
        self.maxsize = maxsize

    def __aiter__(self) -> ObservableIterator[T]:
        """Iterate with [iterate][rxjanus.aio.iterate]: bounded, disposed on leaving the loop."""
        return iterate(self.source, maxsize=self.maxsize)
