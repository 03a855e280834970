"""Retry policy as pure functions: delays and what is worth retrying."""

from __future__ import annotations

import random
from collections.abc import Iterator

__all__ = ["RECONNECT_JITTER", "backoff"]

RECONNECT_JITTER = 0.5
"""The jitter of reconnect delays by default: each is drawn between half and all of
its nominal value, so that many clients cut off at once do not come back in step."""


def backoff(
    initial: float = 1.0,
    *,
    factor: float = 2.0,
    max_delay: float = 30.0,
    jitter: float = 0.0,
    rng: random.Random | None = None,
) -> Iterator[float]:
    """Yield the delays before each retry: ``initial``, then growing by ``factor``.

    Args:
        initial: The first delay in seconds.
        factor: How much each delay grows over the one before.
        max_delay: The cap on a delay.
        jitter: A fraction (0 to 1) of each delay drawn at random and taken off,
            so that many clients do not retry in step.
        rng: The random source for the jitter.

    Returns:
        An endless iterator of delays in seconds.

    Raises:
        ValueError: An argument is out of range (checked at once, not at the first delay).
    """
    if not (initial >= 0 and factor >= 1 and max_delay >= 0 and 0 <= jitter <= 1):
        raise ValueError("backoff needs initial, max_delay >= 0, factor >= 1, 0 <= jitter <= 1")
    return _delays(initial, factor, max_delay, jitter, rng if rng is not None else random.Random())


def _delays(
    initial: float, factor: float, max_delay: float, jitter: float, source: random.Random
) -> Iterator[float]:
    delay = initial
    while True:
        capped = min(delay, max_delay)
        yield capped - capped * jitter * source.random() if jitter else capped
        delay *= factor
