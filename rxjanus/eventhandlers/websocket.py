"""Receive Janus' WebSocket event handler (``janus.eventhandler.wsevh``) with websockets.

Janus connects *out* to its ``backend`` (``ws://`` or ``wss://``) offering the
subprotocol ``janus-event-handlers`` (``subprotocol`` in its config changes
it) and sends each event, or with ``grouping = true`` a JSON list of up to 100,
as a text message. It ignores what it receives. When the connection drops it
reconnects after 1 s, then at doubling intervals while refused; events
produced meanwhile wait in Janus' queue and are sent once connected.

A client offering no or another subprotocol is refused in the handshake (HTTP
400); a message that is not a Janus event is logged and dropped, and the
connection stays open.
"""

from __future__ import annotations

import contextlib
import logging
import ssl

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from .base import EventReceiver
from .events import MalformedEvent

__all__ = ["DEFAULT_SUBPROTOCOL", "WsEvhReceiver"]

logger = logging.getLogger(__name__)

DEFAULT_SUBPROTOCOL = "janus-event-handlers"
"""The subprotocol Janus' wsevh offers unless configured otherwise."""


class WsEvhReceiver(EventReceiver):
    """A WebSocket server for Janus' ``wsevh`` event handler.

    Point Janus at [`url`][rxjanus.eventhandlers.websocket.WsEvhReceiver.url]
    (``backend`` in ``janus.eventhandler.wsevh.jcfg``).

    Args:
        host: The address to listen on.
        port: The port (0: a free one, see ``url``).
        subprotocol: The subprotocol Janus offers (its ``subprotocol`` setting).
        ssl: A server TLS context, for ``wss://``.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        subprotocol: str = DEFAULT_SUBPROTOCOL,
        ssl: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__()
        self._host = host
        self._port = port
        self._subprotocol = Subprotocol(subprotocol)
        self._ssl = ssl
        self._server: Server | None = None
        self.connections = 0

    @property
    def url(self) -> str:
        """The URL Janus must connect to (``backend``)."""
        if self._server is None:
            raise RuntimeError("the receiver is not started")
        host, port = next(iter(self._server.sockets)).getsockname()[:2]
        host = f"[{host}]" if ":" in host else host
        return f"{'wss' if self._ssl is not None else 'ws'}://{host}:{port}"

    @property
    def connected(self) -> int:
        """How many event handlers are connected now."""
        return 0 if self._server is None else len(self._server.connections)

    janus_name = "wsevh"

    def janus_settings(self) -> dict[str, str | int | bool]:
        """Settings for ``janus.eventhandler.wsevh.jcfg``: every event, grouped, compact.

        Returns:
            ``events``, ``grouping``, ``json``, ``backend`` and ``subprotocol``.
        """
        return {
            "events": "all",
            "grouping": True,
            "json": "compact",
            "backend": self.url,
            "subprotocol": str(self._subprotocol),
        }

    async def _open(self) -> None:
        self._server = await serve(
            self._handle,
            self._host,
            self._port,
            subprotocols=[self._subprotocol],
            ssl=self._ssl,
            max_size=16 << 20,
            compression=None,
        )
        logger.debug("wsevh receiver listening on %s", self.url)

    async def _close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()

    async def _handle(self, connection: ServerConnection) -> None:
        self.connections += 1
        source = f"wsevh {connection.remote_address}"
        logger.debug("event handler connected from %s", source)
        with contextlib.suppress(ConnectionClosed):
            async for message in connection:
                with contextlib.suppress(MalformedEvent):  # feed logged it
                    self.feed(message, source)
        logger.debug("event handler %s disconnected", source)
