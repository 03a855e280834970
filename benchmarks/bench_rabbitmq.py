#!/usr/bin/env python
"""Requests per second over RabbitMQ against WebSocket, on the same Janus.

Starts a private RabbitMQ (``rxjanus.testing.rabbitmq.RabbitMQBroker``) and a
private Janus with its RabbitMQ transport on (``JanusServer(rabbitmq_url=...)``),
opens one session over ``amqp://`` and one over ``ws://`` and measures
``keepalive`` requests on each:

1. sequential round trips (``await session.keepalive()`` one after another):
   median and p90 in µs, requests per second;
2. pipelined throughput: ``--inflight`` keepalives at once (``asyncio.gather``).

The two transports run interleaved in ``--rounds`` rounds (the order alternating)
so that drift hits both alike; each ratio is the median of the per-round ratios.

Usage::

    python benchmarks/bench_rabbitmq.py [--n 1000] [--inflight 1000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from rxjanus import JanusSession
from rxjanus.testing import JanusServer
from rxjanus.testing.rabbitmq import RabbitMQBroker


async def sequential(session: JanusSession, n: int) -> list[float]:
    times = []
    for _ in range(n):
        began = time.perf_counter()
        await session.keepalive()
        times.append(time.perf_counter() - began)
    return times


async def pipelined(session: JanusSession, n: int) -> float:
    began = time.perf_counter()
    await asyncio.gather(*(session.keepalive() for _ in range(n)))
    return n / (time.perf_counter() - began)


async def run(janus: JanusServer, n: int, inflight: int, rounds: int) -> None:
    assert janus.rabbitmq_url is not None
    sessions = {
        "rabbitmq": JanusSession(janus.rabbitmq_url, keepalive_interval=None),
        "websocket": JanusSession(janus.ws_url, keepalive_interval=None),
    }
    for session in sessions.values():
        await session.create()
        await sequential(session, 100)  # warm-up
    medians: dict[str, list[float]] = {name: [] for name in sessions}
    p90s: dict[str, list[float]] = {name: [] for name in sessions}
    rates: dict[str, list[float]] = {name: [] for name in sessions}
    order = list(sessions)
    for round_ in range(rounds):
        for name in order if round_ % 2 == 0 else reversed(order):
            times = await sequential(sessions[name], n)
            medians[name].append(statistics.median(times))
            p90s[name].append(statistics.quantiles(times, n=10)[-1])
            rates[name].append(await pipelined(sessions[name], inflight))
    for session in sessions.values():
        await session.destroy()
        await session.transport.close()
    print(f"keepalive on one session, {rounds} rounds of {n} sequential + {inflight} pipelined")
    print(f"{'transport':<10} {'median µs':>10} {'p90 µs':>8} {'seq req/s':>10} {'pipe req/s':>11}")
    for name in sessions:
        median = statistics.median(medians[name])
        print(
            f"{name:<10} {median * 1e6:>10.0f} {statistics.median(p90s[name]) * 1e6:>8.0f} "
            f"{1 / median:>10.0f} {statistics.median(rates[name]):>11.0f}"
        )
    seq = statistics.median(
        m_r / m_w for m_r, m_w in zip(medians["rabbitmq"], medians["websocket"], strict=True)
    )
    pipe = statistics.median(
        r_r / r_w for r_r, r_w in zip(rates["rabbitmq"], rates["websocket"], strict=True)
    )
    print(f"ratio rabbitmq/websocket: round trip {seq:.2f}x, pipelined throughput {pipe:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="sequential requests per round")
    parser.add_argument("--inflight", type=int, default=1000, help="pipelined requests per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with (
        RabbitMQBroker() as broker,
        JanusServer(rabbitmq_url=broker.url, loopback_ice=False, debug_level=3) as janus,
    ):
        print(f"RabbitMQ started in {broker.start_duration:.1f} s")
        asyncio.run(run(janus, args.n, args.inflight, args.rounds))


if __name__ == "__main__":
    main()
