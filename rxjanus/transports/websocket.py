"""The WebSocket transport (Janus subprotocol ``janus-protocol``)."""

from __future__ import annotations

import asyncio
import logging
import ssl as ssl_module
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.typing import Subprotocol

from ..auth import RedactingLoggerAdapter
from ..exceptions import TransportClosed
from ..protocol import Outgoing
from .base import JanusTransport, Waiter, redact_url, report_task_end

__all__ = ["JanusTransportWebsocket"]

logger = logging.getLogger(__name__)

_FRAME_LOG = RedactingLoggerAdapter(logging.getLogger("websockets.client"))
"""websockets logs every frame at DEBUG; this hides the credentials in them."""

MAX_FRAME = 16 * 1024 * 1024
"""The largest frame accepted from Janus, in bytes."""


class JanusTransportWebsocket(JanusTransport):
    """Talks to Janus over one WebSocket.

    One reader task decodes each frame once and resolves or routes it; no task
    is made per message. When the socket drops without
    [`close`][rxjanus.transports.base.JanusTransport.close], the transport reconnects and claims its
    sessions (see [`rxjanus.transports.base`][rxjanus.transports.base]); a stalled socket is noticed
    by the WebSocket ping (``websockets``' default: every 20 s, 20 s to answer).

    Args:
        base_url: ``ws://`` or ``wss://`` URL of the Janus WebSocket transport.
        subprotocol: ``janus-protocol`` (or ``janus-admin-protocol`` for the Admin API).
        **options: See [`JanusTransport`][rxjanus.transports.base.JanusTransport].
    """

    schemes = ("ws", "wss")

    def __init__(self, base_url: str, *, subprotocol: str = "janus-protocol", **options: Any):
        super().__init__(base_url, **options)
        self.subprotocol = subprotocol
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None

    async def _open(self) -> None:
        if self._ws is not None or self._reader is not None:
            await self._close()  # what is left of a link that dropped
        ssl: ssl_module.SSLContext | None = self.ssl
        if ssl is None and self.base_url.startswith("wss:"):
            ssl = ssl_module.create_default_context()
        try:
            self._ws = await connect(
                self.base_url,
                subprotocols=[Subprotocol(self.subprotocol)],
                compression=None,
                max_size=MAX_FRAME,
                open_timeout=None,
                proxy=None,
                ssl=ssl,
                logger=_FRAME_LOG,
            )
        except InvalidHandshake as exc:
            raise TransportClosed(f"WebSocket handshake with Janus failed: {exc}") from exc
        self._reader = asyncio.create_task(
            self._read(self._ws), name=f"rxjanus-ws-reader {redact_url(self.base_url)}"
        )

    async def _read(self, ws: ClientConnection) -> None:
        error: BaseException | None = None
        try:
            async for frame in ws:
                self._receive(frame)
        except ConnectionClosed as exc:
            error = exc
        except Exception as exc:  # the reader must end with a clear error, never silently
            logger.exception("the WebSocket reader failed")
            error = exc
        if not self._closed and ws is self._ws:  # not an old link we replaced already
            reason = f": {error}" if error is not None else ""
            self._connection_lost(
                TransportClosed(f"WebSocket to {redact_url(self.base_url)} closed{reason}")
            )

    async def _transmit(self, outgoing: Outgoing, waiter: Waiter) -> None:
        ws = self._ws
        if ws is None:
            raise TransportClosed(f"WebSocket to {redact_url(self.base_url)} is not open")
        try:
            await ws.send(outgoing.text)
        except ConnectionClosed as exc:
            where = redact_url(self.base_url)
            raise TransportClosed(f"WebSocket to {where} closed: {exc}") from exc

    async def _close(self) -> None:
        ws, self._ws = self._ws, None
        reader, self._reader = self._reader, None
        if ws is not None:
            await ws.close()
        if reader is not None:
            if not reader.done():
                reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)

    # -- janus_client's names (its reader task, read-only here) -------------------------

    @property
    def ws(self) -> ClientConnection | None:
        """The open WebSocket, or None."""
        return self._ws

    @property
    def receive_message_task(self) -> asyncio.Task[None] | None:
        """The task reading the current link, or None."""
        return self._reader

    @property
    def receiving_message(self) -> bool:
        """Whether a task reads the link now."""
        return self._reader is not None and not self._reader.done()

    @property
    def receive_message_task_started(self) -> asyncio.Event:
        """An event, set if a task reads the link now."""
        started = asyncio.Event()
        if self.receiving_message:
            started.set()
        return started

    def receive_message_done_cb(self, task: asyncio.Task[Any], context: object = None) -> None:
        """Log how a reader task ended (usable as a done callback)."""
        report_task_end(task)

    async def receive_message(self) -> None:
        """Wait until the current link stops being read (``connect`` starts the reader)."""
        reader = self._reader
        if reader is not None:
            await asyncio.wait([reader])
