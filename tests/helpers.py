"""Small helpers for the tests: wait for an observable's values by event, never by sleep."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from reactivex import Observable

T = TypeVar("T")


class Recorder:
    """Subscribes to an observable and records what it emits, with an event per change."""

    def __init__(self, source: Observable[Any]) -> None:
        self.values: list[Any] = []
        self.error: Exception | None = None
        self.completed = False
        self._changed = asyncio.Event()
        self.subscription = source.subscribe(self._on_next, self._on_error, self._on_completed)

    def _on_next(self, value: Any) -> None:
        self.values.append(value)
        self._changed.set()

    def _on_error(self, error: Exception) -> None:
        self.error = error
        self._changed.set()

    def _on_completed(self) -> None:
        self.completed = True
        self._changed.set()

    @property
    def ended(self) -> bool:
        return self.completed or self.error is not None

    async def wait_for(self, condition: Callable[[Recorder], bool], timeout: float = 10.0) -> None:
        """Wait until ``condition(self)`` holds, woken by each emission.

        Raises:
            TimeoutError: Not within ``timeout``; the message says what was recorded.
        """
        try:
            async with asyncio.timeout(timeout):
                while not condition(self):
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError as exc:
            raise TimeoutError(
                f"condition not met within {timeout} s: {len(self.values)} values, "
                f"completed={self.completed}, error={self.error!r}"
            ) from exc

    async def wait_value(self, predicate: Callable[[Any], bool], timeout: float = 10.0) -> Any:
        """Wait for a value that satisfies ``predicate`` and return it."""
        await self.wait_for(lambda r: any(predicate(v) for v in r.values) or r.ended, timeout)
        for value in self.values:
            if predicate(value):
                return value
        raise AssertionError(f"stream ended without the value; error={self.error!r}")

    def kinds(self) -> list[str]:
        return [v.get("janus") for v in self.values if isinstance(v, dict)]
