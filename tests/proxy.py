"""A loopback TCP proxy owned by the tests, for putting faults between client and Janus.

:class:`FaultyProxy` listens on a free 127.0.0.1 port and forwards every connection
to a target port, byte for byte, until told to misbehave:

* :meth:`~FaultyProxy.cut` closes every connection both ways at once (an abort,
  as when a NAT or a load balancer drops the flow); new connections are still
  accepted.
* :meth:`~FaultyProxy.stall` stops forwarding (connections stay open, bytes are
  held back) until :meth:`~FaultyProxy.resume`.
* :meth:`~FaultyProxy.half_close` sends EOF one way (``"to_client"`` or
  ``"to_server"``) and stops forwarding that way; the other way still flows.
* ``delay`` adds that many seconds of latency to every chunk, both ways.
* :meth:`~FaultyProxy.retarget` sends the connections made from now on to another
  port (a restarted server on fresh ports); :meth:`~FaultyProxy.refuse` makes it
  close new connections at once.

A connection whose target cannot be reached is closed at once. Everything runs
on the test's event loop::

    async with FaultyProxy(janus_ws_port) as proxy:
        session = JanusSession(proxy.ws_url)
        ...
        proxy.cut()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from types import TracebackType
from typing import Literal

logger = logging.getLogger(__name__)

_HOST = "127.0.0.1"
_CHUNK = 64 * 1024

Direction = Literal["to_client", "to_server"]


def port_of(url: str) -> int:
    """The port of a ``ws://host:port...`` or ``http://host:port/...`` URL."""
    return int(url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])


class _Link:
    """One proxied connection: two sockets and a pump each way."""

    def __init__(
        self,
        proxy: FaultyProxy,
        client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        server: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    ) -> None:
        self.proxy = proxy
        self.client_reader, self.client_writer = client
        self.server_reader, self.server_writer = server
        self.open_ways: dict[Direction, bool] = {"to_client": True, "to_server": True}
        self.pumps = [
            asyncio.create_task(self._pump("to_server", self.client_reader, self.server_writer)),
            asyncio.create_task(self._pump("to_client", self.server_reader, self.client_writer)),
        ]

    async def _pump(
        self, way: Direction, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                data = await reader.read(_CHUNK)
                arrived = loop.time()
                if not data:
                    break
                if not self.proxy._flowing.is_set():
                    self.proxy._holding.set()
                await self.proxy._flowing.wait()
                delay = self.proxy.delay
                if delay > 0:
                    await asyncio.sleep(max(0.0, arrived + delay - loop.time()))
                if not self.open_ways[way]:
                    continue  # half-closed this way: drop what still comes
                writer.write(data)
                await writer.drain()
                self.proxy.bytes_forwarded[way] += len(data)
        except (ConnectionError, OSError):
            pass
        finally:
            if self.open_ways[way]:
                self.open_ways[way] = False
                with contextlib.suppress(OSError, RuntimeError):
                    if writer.can_write_eof():
                        writer.write_eof()
            if not any(self.open_ways.values()):
                self.abort()

    def half_close(self, way: Direction) -> None:
        if not self.open_ways[way]:
            return
        self.open_ways[way] = False
        writer = self.client_writer if way == "to_client" else self.server_writer
        with contextlib.suppress(OSError, RuntimeError):
            writer.write_eof()

    def abort(self) -> None:
        for writer in (self.client_writer, self.server_writer):
            writer.transport.abort()
        self.proxy._links.discard(self)

    async def wait_closed(self) -> None:
        current = asyncio.current_task()
        pumps = [p for p in self.pumps if p is not current]
        for pump in pumps:
            pump.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)


class FaultyProxy:
    """A TCP proxy from a free loopback port to ``target_port`` that can cut, stall, delay.

    Args:
        target_port: Where to forward to (on 127.0.0.1).
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.delay = 0.0
        self.refusing = False
        self.connections_accepted = 0
        self.bytes_forwarded: dict[Direction, int] = {"to_client": 0, "to_server": 0}
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._holding = asyncio.Event()  # set once a stall holds back some bytes
        self._links: set[_Link] = set()
        self._all_links: list[_Link] = []
        self._server: asyncio.Server | None = None
        self._accepted = asyncio.Event()
        self._cuts = 0  # a connection still being set up at a cut is cut too

    async def __aenter__(self) -> FaultyProxy:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(self) -> None:
        """Listen on a free loopback port."""
        self._server = await asyncio.start_server(self._accept, _HOST, 0)

    async def close(self) -> None:
        """Stop listening and abort every connection."""
        if self._server is not None:
            self._server.close()
            self.cut()
            await self._server.wait_closed()
            self._server = None
        else:
            self.cut()
        await asyncio.gather(*(link.wait_closed() for link in self._all_links))

    @property
    def port(self) -> int:
        """The port the proxy listens on."""
        assert self._server is not None, "the proxy is not started"
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def ws_url(self) -> str:
        """A ``ws://`` URL through the proxy."""
        return f"ws://{_HOST}:{self.port}"

    def http_url(self, path: str = "/janus") -> str:
        """An ``http://`` URL through the proxy."""
        return f"http://{_HOST}:{self.port}{path}"

    @property
    def connection_count(self) -> int:
        """How many proxied connections are open now."""
        return len(self._links)

    async def wait_connections(self, count: int, timeout: float = 10.0) -> None:
        """Wait until ``count`` connections were accepted in all, woken by each accept."""
        async with asyncio.timeout(timeout):
            while self.connections_accepted < count:
                self._accepted.clear()
                await self._accepted.wait()

    # -- faults -------------------------------------------------------------------

    def cut(self) -> int:
        """Abort every open connection both ways; new ones are still accepted.

        Returns:
            How many connections were cut.
        """
        self._cuts += 1
        links = list(self._links)
        for link in links:
            link.abort()
        return len(links)

    def stall(self) -> None:
        """Hold back every byte, both ways, until :meth:`resume` (connections stay open)."""
        self._holding.clear()
        self._flowing.clear()

    async def wait_held(self, timeout: float = 10.0) -> None:
        """Wait until the stall holds back some bytes (e.g. a request sent under it)."""
        async with asyncio.timeout(timeout):
            await self._holding.wait()

    def resume(self) -> None:
        """Forward again what a :meth:`stall` held back, and what comes next."""
        self._flowing.set()

    def half_close(self, way: Direction) -> None:
        """Send EOF ``to_client`` or ``to_server`` on every open connection."""
        for link in list(self._links):
            link.half_close(way)

    def retarget(self, target_port: int) -> None:
        """Forward connections made from now on to ``target_port``."""
        self.target_port = target_port

    def refuse(self, refusing: bool = True) -> None:
        """Close new connections at once (True) or accept them again (False)."""
        self.refusing = refusing

    # -- internals ----------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections_accepted += 1
        self._accepted.set()
        cuts = self._cuts
        if self.refusing:
            writer.transport.abort()
            return
        try:
            upstream = await asyncio.open_connection(_HOST, self.target_port)
        except OSError as exc:
            logger.debug("proxy: target port %d unreachable: %s", self.target_port, exc)
            writer.transport.abort()
            return
        if self._cuts != cuts or self.refusing:  # cut (or refused) while connecting upstream
            writer.transport.abort()
            upstream[1].transport.abort()
            return
        link = _Link(self, (reader, writer), upstream)
        self._links.add(link)
        self._all_links.append(link)
