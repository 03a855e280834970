"""``rxjanus info`` and ``rxjanus ping``: the Janus API without a session."""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import AsyncIterator
from typing import Any

import click
from rich.table import Table

from ..transports import JanusTransport, create_transport
from ._common import (
    ExitCode,
    api_auth_options,
    fail,
    json_option,
    print_json,
    quit_on_signals,
    run,
    stdout,
    timeout_option,
)

__all__ = ["COMMANDS", "connected"]


@contextlib.asynccontextmanager
async def connected(
    url: str, timeout: float, *, api_secret: str | None = None, token: str | None = None
) -> AsyncIterator[JanusTransport]:
    """A transport to ``url``, connected at once (no retries: the shell wants an answer)."""
    transport = create_transport(
        url, api_secret, token, timeout=timeout, max_retries=0, reconnect=False
    )
    try:
        await transport.connect()
        yield transport
    finally:
        await transport.close()


def _info_table(reply: dict[str, Any]) -> Table:
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    rows = [
        ("name", reply.get("name")),
        ("version", reply.get("version_string")),
        ("server name", reply.get("server-name")),
        ("session timeout", f"{reply.get('session-timeout')} s"),
        ("reclaim session timeout", f"{reply.get('reclaim-session-timeout')} s"),
        ("api secret", "required" if reply.get("api_secret") else "no"),
        ("auth token", "required" if reply.get("auth_token") else "no"),
        ("transports", ", ".join(sorted(reply.get("transports", {})))),
        ("plugins", ", ".join(sorted(reply.get("plugins", {})))),
        ("event handlers", ", ".join(sorted(reply.get("events", {}))) or "none"),
    ]
    for key, value in rows:
        table.add_row(key, str(value))
    return table


@click.command()
@click.argument("url")
@api_auth_options
@timeout_option
@json_option
def info(
    url: str, api_secret: str | None, token: str | None, timeout: float, as_json: bool
) -> None:
    """Show the server's info: version, transports, plugins."""

    async def main() -> dict[str, Any]:
        async with connected(url, timeout, api_secret=api_secret, token=token) as transport:
            return await transport.info()

    reply = run(main)
    reply.pop("transaction", None)
    if as_json:
        print_json(reply)
    else:
        stdout.print(_info_table(reply))


async def _ping_once(
    transport: JanusTransport,
    url: str,
    seq: int,
    timeout: float,
    times: list[float | None],
    as_json: bool,
) -> None:
    began = time.perf_counter()
    try:
        await transport.ping()
    except TimeoutError:
        times.append(None)
        if not as_json:
            stdout.print(f"no pong from {url}: seq={seq} (timeout {timeout} s)")
        return
    elapsed = (time.perf_counter() - began) * 1000
    times.append(elapsed)
    if not as_json:
        stdout.print(f"pong from {url}: seq={seq} time={elapsed:.3f} ms")


@click.command()
@click.argument("url")
@click.option("-c", "--count", type=click.IntRange(min=1), default=4, show_default=True)
@click.option(
    "-i",
    "--interval",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="Seconds between pings.",
)
@timeout_option
@json_option
def ping(url: str, count: int, interval: float, timeout: float, as_json: bool) -> None:
    """Send COUNT pings and show each round trip and a summary, as the ping command does."""

    async def main() -> list[float | None]:
        times: list[float | None] = []
        quit_ = asyncio.Event()
        async with connected(url, timeout) as transport:
            with quit_on_signals(quit_):  # Ctrl-C stops early, with the summary
                for seq in range(1, count + 1):
                    if seq > 1:
                        with contextlib.suppress(TimeoutError):
                            async with asyncio.timeout(interval):
                                await quit_.wait()
                    if quit_.is_set():
                        break
                    await _ping_once(transport, url, seq, timeout, times, as_json)
        return times

    times = run(main)
    got = [t for t in times if t is not None]
    summary: dict[str, Any] = {
        "url": url,
        "sent": len(times),
        "received": len(got),
        "loss": 1 - len(got) / len(times) if times else 0.0,
        "times_ms": times,
        "min_ms": min(got, default=None),
        "avg_ms": statistics.fmean(got) if got else None,
        "max_ms": max(got, default=None),
    }
    if as_json:
        print_json(summary)
    else:
        stdout.print(f"--- {url} ping statistics ---")
        stdout.print(
            f"{len(times)} pings sent, {len(got)} pongs received, {summary['loss']:.0%} lost"
        )
        if got:
            stdout.print(
                f"round trip min/avg/max = {summary['min_ms']:.3f}/{summary['avg_ms']:.3f}/"
                f"{summary['max_ms']:.3f} ms"
            )
    if times and not got:
        fail(ExitCode.TIMEOUT, f"timeout: no pong from {url}")


COMMANDS = (info, ping)
