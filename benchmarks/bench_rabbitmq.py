#!/usr/bin/env python
"""Requests per second over RabbitMQ against WebSocket, on the same Janus.

Starts a private RabbitMQ (``rxjanus.testing.rabbitmq.RabbitMQBroker``) and a
private Janus with its RabbitMQ transport on (``JanusServer(rabbitmq_url=...)``),
opens one session over ``amqp://`` and one over ``ws://`` and measures
``keepalive`` requests on each:

1. sequential round trips (``await session.keepalive()`` one after another):
   median and p90 in µs, requests per second;
2. pipelined throughput: ``--inflight`` keepalives at once (``asyncio.gather``),
   with the CPU time per request of this process, of Janus and of the broker
   (from ``/proc``), to see who does the work.

The two transports run interleaved in ``--rounds`` rounds (the order alternating)
so that drift hits both alike; each ratio is the median of the per-round ratios.

Usage::

    python benchmarks/bench_rabbitmq.py [--n 1000] [--inflight 1000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
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


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of process ``pid`` so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def broker_beam(broker: RabbitMQBroker) -> int:
    """The Erlang VM of the broker (in the process group of its server script)."""
    for stat in os.listdir("/proc"):
        if not stat.isdigit():
            continue
        try:
            with open(f"/proc/{stat}/stat", encoding="ascii", errors="replace") as f:
                name, _, rest = f.read().partition(" (")[2].partition(")")
        except OSError:
            continue
        if name.startswith("beam") and rest.split()[2] == str(broker.pid):
            return int(stat)
    raise RuntimeError("no beam process in the broker's process group")


async def pipelined(session: JanusSession, n: int, pids: list[int]) -> tuple[float, list[float]]:
    """Requests/s and CPU µs per request of this process and of ``pids``."""
    cpu = [time.process_time(), *map(process_cpu, pids)]
    began = time.perf_counter()
    await asyncio.gather(*(session.keepalive() for _ in range(n)))
    rate = n / (time.perf_counter() - began)
    after = [time.process_time(), *map(process_cpu, pids)]
    return rate, [(b - a) / n * 1e6 for a, b in zip(cpu, after, strict=True)]


async def run(janus: JanusServer, pids: list[int], n: int, inflight: int, rounds: int) -> None:
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
    cpus: dict[str, list[list[float]]] = {name: [] for name in sessions}
    order = list(sessions)
    for round_ in range(rounds):
        for name in order if round_ % 2 == 0 else reversed(order):
            times = await sequential(sessions[name], n)
            medians[name].append(statistics.median(times))
            p90s[name].append(statistics.quantiles(times, n=10)[-1])
            rate, cpu = await pipelined(sessions[name], inflight, pids)
            rates[name].append(rate)
            cpus[name].append(cpu)
    for session in sessions.values():
        await session.destroy()
        await session.transport.close()
    print(f"keepalive on one session, {rounds} rounds of {n} sequential + {inflight} pipelined")
    print(
        f"{'transport':<10} {'median µs':>10} {'p90 µs':>8} {'seq req/s':>10} {'pipe req/s':>11}"
        "   pipelined CPU µs/req: client, Janus, broker"
    )
    for name in sessions:
        median = statistics.median(medians[name])
        print(
            f"{name:<10} {median * 1e6:>10.0f} {statistics.median(p90s[name]) * 1e6:>8.0f} "
            f"{1 / median:>10.0f} {statistics.median(rates[name]):>11.0f}   "
            + ", ".join(f"{statistics.median(c):.0f}" for c in zip(*cpus[name], strict=True))
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
        assert janus.pid is not None
        pids = [janus.pid, broker_beam(broker)]
        asyncio.run(run(janus, pids, args.n, args.inflight, args.rounds))


if __name__ == "__main__":
    main()
