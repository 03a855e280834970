"""Unit tests for the reconnect delays of rxjanus.protocol.backoff."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterator

import pytest

from rxjanus.protocol import backoff


def first(n: int, delays: Iterator[float]) -> list[float]:
    return list(itertools.islice(delays, n))


def test_default_sequence_doubles_from_one_second() -> None:
    assert first(5, backoff()) == [1.0, 2.0, 4.0, 8.0, 16.0]


def test_default_sequence_is_capped_at_thirty_seconds() -> None:
    assert first(8, backoff())[5:] == [30.0, 30.0, 30.0]


def test_custom_initial_and_factor() -> None:
    assert first(4, backoff(0.5, factor=3.0)) == [0.5, 1.5, 4.5, 13.5]


def test_custom_cap() -> None:
    assert first(5, backoff(1.0, factor=2.0, max_delay=5.0)) == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_factor_one_gives_a_constant_delay() -> None:
    assert first(4, backoff(2.0, factor=1.0)) == [2.0, 2.0, 2.0, 2.0]


def test_initial_zero_retries_at_once_forever() -> None:
    assert first(4, backoff(0.0)) == [0.0, 0.0, 0.0, 0.0]


def test_initial_above_the_cap_is_capped() -> None:
    assert first(2, backoff(100.0, max_delay=10.0)) == [10.0, 10.0]


def test_zero_cap_means_no_delay() -> None:
    assert first(3, backoff(1.0, max_delay=0.0)) == [0.0, 0.0, 0.0]


def test_it_never_ends_and_stays_at_the_cap() -> None:
    delays = first(5000, backoff(1.0, factor=10.0, max_delay=7.0))
    assert delays[-1] == 7.0
    assert all(math.isfinite(d) for d in delays)


def test_no_jitter_draws_no_random_number() -> None:
    class NoRandom(random.Random):
        def random(self) -> float:
            raise AssertionError("jitter 0 must not draw")

    assert first(3, backoff(rng=NoRandom())) == [1.0, 2.0, 4.0]


def test_jitter_takes_off_a_random_fraction_of_each_delay() -> None:
    delays = first(50, backoff(1.0, max_delay=8.0, jitter=0.5, rng=random.Random(42)))
    undelayed = first(50, backoff(1.0, max_delay=8.0))
    for got, full in zip(delays, undelayed, strict=True):
        assert full * 0.5 < got <= full


def test_jitter_is_reproducible_with_a_seeded_random() -> None:
    one = first(10, backoff(jitter=0.3, rng=random.Random(7)))
    two = first(10, backoff(jitter=0.3, rng=random.Random(7)))
    assert one == two


def test_jitter_uses_the_given_random_source() -> None:
    draw = random.Random(3).random()
    assert first(1, backoff(10.0, jitter=0.5, rng=random.Random(3))) == [10.0 - 5.0 * draw]


def test_full_jitter_stays_within_zero_and_the_delay() -> None:
    for delay, full in zip(
        first(20, backoff(jitter=1.0, rng=random.Random(0))), first(20, backoff()), strict=True
    ):
        assert 0.0 < delay <= full


def test_jitter_without_rng_uses_a_fresh_random() -> None:
    delays = first(20, backoff(jitter=0.5))
    assert all(0.5 * full < d <= full for d, full in zip(delays, first(20, backoff()), strict=True))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"initial": -0.1},
        {"factor": 0.99},
        {"factor": 0.0},
        {"max_delay": -1.0},
        {"jitter": -0.01},
        {"jitter": 1.01},
        {"jitter": float("nan")},
    ],
    ids=str,
)
def test_bad_arguments_raise_value_error(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="backoff needs"):
        next(backoff(**kwargs))  # type: ignore[arg-type]


def test_bad_arguments_raise_when_called_not_when_iterated() -> None:
    with pytest.raises(ValueError, match="backoff needs"):
        backoff(-1.0)


@pytest.mark.parametrize("name", ["initial", "factor", "max_delay"])
def test_nan_arguments_raise_value_error(name: str) -> None:
    with pytest.raises(ValueError, match="backoff needs"):
        next(backoff(**{name: float("nan")}))  # type: ignore[arg-type]
