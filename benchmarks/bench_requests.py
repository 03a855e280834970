#!/usr/bin/env python
"""Request overhead of rxjanus against hand-written minimal clients (the floor).

Starts a private Janus on loopback (``rxjanus.testing.JanusServer``) and, in one
run, measures ``keepalive`` requests on one session:

1. WebSocket, sequential round trip: rxjanus ``await session.keepalive()`` vs a
   minimal ``websockets`` client (dict transaction -> future, one reader task).
2. WebSocket, pipelined throughput: ``--inflight`` keepalives at once
   (``asyncio.gather``) for both clients.
3. HTTP, sequential round trip: rxjanus vs a minimal aiohttp client (a POST per
   request).

When janus_client 0.9 (PyPI ``janus-client``, the Python client whose API the
awaitable face copies; ``pip install -e '.[bench]'``) is installed, it runs in
the same rounds as a third client, and its ratios are printed too.

Each measurement runs ``--rounds`` times with the two clients interleaved so
that drift hits both alike (sequential: alternating blocks of ``--block``
requests; pipelined: one burst each, the order alternating between rounds).
Ratios are the median of the per-round ratios. The ``cpu`` column is this
process's CPU time per request (``time.process_time``), which is much less
sensitive than wall time to other load on the machine. Absolute numbers are
noisy; compare ratios from one run.

Usage::

    python benchmarks/bench_requests.py [--n N] [--inflight M] [--rounds R]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import logging
import os
import platform
import statistics
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any

import aiohttp
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

import rxjanus
from rxjanus import JanusSession
from rxjanus.testing import JanusServer

RT_TARGET = 1.15
"""Round trip: rxjanus may take at most this many times the floor's median."""
THROUGHPUT_TARGET = 0.85
"""Throughput: rxjanus must reach at least this fraction of the floor's rate."""

Call = Callable[[], Awaitable[Any]]


# ------------------------------------------------------------- other clients


class JanusClientAdapter:
    """janus_client 0.9 doing what ``session.keepalive()`` does: send, await the ack."""

    def __init__(self, url: str) -> None:
        from janus_client import JanusSession as JanusClientSession

        self.session = JanusClientSession(base_url=url)

    async def open(self) -> None:
        await self.session.create()

    async def keepalive(self) -> None:
        transaction = await self.session.send({"janus": "keepalive"})
        try:
            await transaction.get({"janus": "ack"}, timeout=30)
        finally:
            await transaction.done()

    async def close(self) -> None:
        await self.session.destroy()
        await self.session.transport.disconnect()


def janus_client_installed() -> bool:
    """Whether janus_client can be compared (it is an optional extra)."""
    try:
        import janus_client  # noqa: F401
    except ImportError:
        return False
    return True


# --------------------------------------------------------------------- floors


class RawWebSocketClient:
    """The floor over WebSocket: what a hand-written client minimally does."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session_id = 0
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._counter = itertools.count(1)

    async def open(self) -> None:
        self._ws = await connect(
            self.url,
            subprotocols=[Subprotocol("janus-protocol")],
            compression=None,
            proxy=None,
        )
        self._reader = asyncio.create_task(self._read(self._ws))
        reply = await self.request({"janus": "create"})
        self.session_id = reply["data"]["id"]

    async def _read(self, ws: ClientConnection) -> None:
        pending = self._pending
        async for frame in ws:
            message = json.loads(frame)
            future = pending.pop(message.get("transaction"), None)
            if future is not None and not future.done():
                future.set_result(message)

    async def request(self, payload: dict[str, Any]) -> dict[str, Any]:
        assert self._ws is not None
        transaction = str(next(self._counter))
        payload["transaction"] = transaction
        future = asyncio.get_running_loop().create_future()
        self._pending[transaction] = future
        await self._ws.send(json.dumps(payload))
        return await future

    async def keepalive(self) -> None:
        reply = await self.request({"janus": "keepalive", "session_id": self.session_id})
        if reply["janus"] != "ack":
            raise RuntimeError(f"unexpected reply {reply!r}")

    async def close(self) -> None:
        if self._ws is None:
            return
        await self.request({"janus": "destroy", "session_id": self.session_id})
        await self._ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)


class RawHttpClient:
    """The floor over HTTP: one aiohttp POST per request, no long poll."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.session_url = ""
        self.session_id = 0
        self._http: aiohttp.ClientSession | None = None
        self._counter = itertools.count(1)

    async def open(self) -> None:
        self._http = aiohttp.ClientSession(headers={"Content-Type": "application/json"})
        reply = await self.request(self.url, {"janus": "create"})
        self.session_id = reply["data"]["id"]
        self.session_url = f"{self.url}/{self.session_id}"

    async def request(self, url: str, payload: dict[str, Any]) -> dict[str, Any]:
        assert self._http is not None
        transaction = str(next(self._counter))
        payload["transaction"] = transaction
        async with self._http.post(url, data=json.dumps(payload)) as response:
            body = await response.read()
        reply: dict[str, Any] = json.loads(body)
        if reply.get("transaction") != transaction:
            raise RuntimeError(f"reply for another transaction: {reply!r}")
        return reply

    async def keepalive(self) -> None:
        reply = await self.request(
            self.session_url, {"janus": "keepalive", "session_id": self.session_id}
        )
        if reply["janus"] != "ack":
            raise RuntimeError(f"unexpected reply {reply!r}")

    async def close(self) -> None:
        if self._http is None:
            return
        await self.request(self.session_url, {"janus": "destroy", "session_id": self.session_id})
        await self._http.close()


# ---------------------------------------------------------------- measurement


async def sequential(call: Call, n: int) -> list[float]:
    """Run ``call`` ``n`` times one after another; return each duration in us."""
    samples: list[float] = []
    append = samples.append
    clock = time.perf_counter_ns
    for _ in range(n):
        start = clock()
        await call()
        append((clock() - start) / 1000.0)
    return samples


async def pipelined(call: Call, inflight: int) -> float:
    """Run ``inflight`` calls at once; return requests per second."""
    start = time.perf_counter()
    await asyncio.gather(*(call() for _ in range(inflight)))
    return inflight / (time.perf_counter() - start)


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class Latency:
    """Sequential results of one client: per-round medians, all samples, CPU time."""

    round_medians: list[float] = field(default_factory=list)
    samples: list[float] = field(default_factory=list)
    cpu_seconds: float = 0.0

    @property
    def cpu_us(self) -> float:
        """Client process CPU time per request, in microseconds."""
        return self.cpu_seconds / len(self.samples) * 1e6


@dataclass
class Throughput:
    """Pipelined results of one client: requests/s per round, CPU time."""

    rates: list[float] = field(default_factory=list)
    requests: int = 0
    cpu_seconds: float = 0.0

    @property
    def cpu_us(self) -> float:
        """Client process CPU time per request, in microseconds."""
        return self.cpu_seconds / self.requests * 1e6


async def compare_sequential(
    clients: dict[str, Call], n: int, rounds: int, block: int
) -> dict[str, Latency]:
    """Per round, alternate blocks of ``block`` requests between the clients."""
    results = {name: Latency() for name in clients}
    names = list(clients)
    for r in range(rounds):
        order = names if r % 2 == 0 else names[::-1]
        samples: dict[str, list[float]] = {name: [] for name in names}
        gc.collect()
        done = 0
        while done < n:
            size = min(block, n - done)
            for name in order:
                cpu = time.process_time()
                samples[name] += await sequential(clients[name], size)
                results[name].cpu_seconds += time.process_time() - cpu
            done += size
        for name in names:
            results[name].round_medians.append(statistics.median(samples[name]))
            results[name].samples += samples[name]
    return results


async def compare_pipelined(
    clients: dict[str, Call], inflight: int, rounds: int
) -> dict[str, Throughput]:
    results = {name: Throughput() for name in clients}
    names = list(clients)
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            gc.collect()
            cpu = time.process_time()
            results[name].rates.append(await pipelined(clients[name], inflight))
            results[name].cpu_seconds += time.process_time() - cpu
            results[name].requests += inflight
    return results


async def warm_up(clients: dict[str, Call], n: int, *, pipeline: bool) -> None:
    for call in clients.values():
        await sequential(call, n)
        if pipeline:
            await pipelined(call, min(n, 500))


# -------------------------------------------------------------------- report


def verdict(ratio: float, target: float, *, higher_is_better: bool) -> str:
    ok = ratio >= target if higher_is_better else ratio <= target
    sign = ">=" if higher_is_better else "<="
    return f"target {sign} {target:.2f}: {'OK' if ok else 'MISSED'}"


def report_latency(title: str, results: dict[str, Latency]) -> float:
    rx, floor = results["rxjanus"], results["floor"]
    print(f"\n{title}")
    print(
        f"  {'client':<13}{'median':>9}{'p90':>9}{'p99':>9}{'min':>9}{'cpu':>9}"
        "   us/request (cpu: client process)"
    )
    for name, latency in results.items():
        s = latency.samples
        print(
            f"  {name:<13}{statistics.median(s):>9.1f}{percentile(s, 0.90):>9.1f}"
            f"{percentile(s, 0.99):>9.1f}{min(s):>9.1f}{latency.cpu_us:>9.1f}"
        )
    ratios = [a / b for a, b in zip(rx.round_medians, floor.round_medians, strict=True)]
    ratio = statistics.median(ratios)
    p90_ratio = percentile(rx.samples, 0.9) / percentile(floor.samples, 0.9)
    print(f"  per-round median ratios: {' '.join(f'{x:.3f}' for x in ratios)}")
    print(
        f"  ratio rxjanus/floor: median {ratio:.3f}, p90 {p90_ratio:.3f}, "
        f"cpu {rx.cpu_us / floor.cpu_us:.3f}   {verdict(ratio, RT_TARGET, higher_is_better=False)}"
    )
    other = results.get("janus_client")
    if other is not None:
        versus = [a / b for a, b in zip(rx.round_medians, other.round_medians, strict=True)]
        print(
            f"  ratio rxjanus/janus_client: median {statistics.median(versus):.3f}, "
            f"cpu {rx.cpu_us / other.cpu_us:.3f}"
        )
    return ratio


def report_throughput(title: str, results: dict[str, Throughput]) -> float:
    rx, floor = results["rxjanus"], results["floor"]
    print(f"\n{title}")
    print(
        f"  {'client':<13}{'median':>9}{'min':>9}{'max':>9}{'cpu':>9}"
        "   requests/s (cpu: client process us/request)"
    )
    for name, result in results.items():
        rates = result.rates
        print(
            f"  {name:<13}{statistics.median(rates):>9.0f}{min(rates):>9.0f}"
            f"{max(rates):>9.0f}{result.cpu_us:>9.1f}"
        )
    ratios = [a / b for a, b in zip(rx.rates, floor.rates, strict=True)]
    ratio = statistics.median(ratios)
    print(f"  per-round ratios: {' '.join(f'{x:.3f}' for x in ratios)}")
    print(
        f"  ratio rxjanus/floor: median {ratio:.3f}, cpu {rx.cpu_us / floor.cpu_us:.3f}   "
        f"{verdict(ratio, THROUGHPUT_TARGET, higher_is_better=True)}"
    )
    other = results.get("janus_client")
    if other is not None:
        versus = [a / b for a, b in zip(rx.rates, other.rates, strict=True)]
        print(
            f"  ratio rxjanus/janus_client: median {statistics.median(versus):.3f}, "
            f"cpu {rx.cpu_us / other.cpu_us:.3f}"
        )
    return ratio


# ---------------------------------------------------------------------- main


async def bench_websocket(url: str, args: argparse.Namespace) -> tuple[float, float]:
    floor = RawWebSocketClient(url)
    await floor.open()
    other = JanusClientAdapter(url) if args.janus_client else None
    if other is not None:
        await other.open()
    async with JanusSession(url, keepalive_interval=None) as session:
        clients: dict[str, Call] = {"rxjanus": session.keepalive, "floor": floor.keepalive}
        if other is not None:
            clients["janus_client"] = other.keepalive
        await warm_up(clients, args.warmup, pipeline=True)
        latency = await compare_sequential(clients, args.n, args.rounds, args.block)
        throughput = await compare_pipelined(clients, args.inflight, args.rounds)
    await floor.close()
    if other is not None:
        await other.close()
    rt = report_latency(
        f"WebSocket: sequential keepalive round trip (N={args.n} x {args.rounds} rounds)",
        latency,
    )
    tp = report_throughput(
        f"WebSocket: pipelined throughput ({args.inflight} keepalives in flight "
        f"x {args.rounds} rounds)",
        throughput,
    )
    return rt, tp


async def bench_http(url: str, args: argparse.Namespace) -> float:
    floor = RawHttpClient(url)
    await floor.open()
    other = JanusClientAdapter(url) if args.janus_client else None
    try:
        if other is not None:
            await other.open()
        async with JanusSession(url, keepalive_interval=None) as session:
            clients: dict[str, Call] = {"rxjanus": session.keepalive, "floor": floor.keepalive}
            if other is not None:
                clients["janus_client"] = other.keepalive
            await warm_up(clients, args.warmup, pipeline=False)
            latency = await compare_sequential(clients, args.http_n, args.rounds, args.block)
    finally:
        await floor.close()
        if other is not None:
            await other.close()
    return report_latency(
        f"HTTP: sequential keepalive round trip (N={args.http_n} x {args.rounds} rounds; "
        "rxjanus also holds its session's long poll open)",
        latency,
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="sequential requests per round")
    parser.add_argument("--inflight", type=int, default=5000, help="pipelined requests per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per measurement")
    parser.add_argument(
        "--block",
        type=int,
        default=100,
        help="sequential requests per client before switching to the other (interleaving)",
    )
    parser.add_argument("--warmup", type=int, default=300, help="warm-up requests per client")
    parser.add_argument(
        "--http-n", type=int, default=None, help="sequential HTTP requests per round (default: N)"
    )
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP table")
    parser.add_argument(
        "--no-janus-client", action="store_true", help="leave janus_client out even if installed"
    )
    args = parser.parse_args(argv)
    args.janus_client = not args.no_janus_client and janus_client_installed()
    if args.http_n is None:
        args.http_n = args.n
    if min(args.n, args.inflight, args.rounds, args.http_n, args.block) < 1 or args.warmup < 0:
        parser.error("--n, --inflight, --rounds, --http-n and --block must be positive")
    return args


async def run(args: argparse.Namespace) -> None:
    with JanusServer(loopback_ice=False, session_timeout=120) as server:
        info = json.loads(await asyncio.to_thread(_get, server.http_url.rstrip("/") + "/info"))
        print(
            f"rxjanus {rxjanus.__version__}, Janus {info.get('version_string', '?')} on loopback; "
            f"Python {platform.python_version()}, websockets {version('websockets')}, "
            f"aiohttp {version('aiohttp')}, {os.cpu_count()} CPUs, "
            f"loop {type(asyncio.get_running_loop()).__name__}, janus_client "
            f"{version('janus-client') if args.janus_client else 'not compared'}"
        )
        rt, tp = await bench_websocket(server.ws_url, args)
        http_rt = None if args.no_http else await bench_http(server.http_url, args)
    print("\nSummary (rxjanus/floor):")
    print(f"  ws round trip   {rt:.3f}  ({verdict(rt, RT_TARGET, higher_is_better=False)})")
    print(f"  ws throughput   {tp:.3f}  ({verdict(tp, THROUGHPUT_TARGET, higher_is_better=True)})")
    if http_rt is not None:
        print(
            f"  http round trip {http_rt:.3f}  "
            f"({verdict(http_rt, RT_TARGET, higher_is_better=False)})"
        )


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        body: bytes = response.read()
        return body


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run(parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
