"""The Unix-socket transport (Janus ``janus.transport.pfunix``, ``SOCK_SEQPACKET``).

Janus' pfunix transport listens on a local socket; on a ``SOCK_SEQPACKET``
socket every packet is one whole JSON message, both ways, so there is no
framing to do: one ``send`` per request, one ``recv`` per reply or event.

Janus reads each packet into an 8 KiB buffer and silently drops a longer one
(it logs ``truncated ... dropping it``), so a request over
[`MAX_REQUEST_SIZE`][rxjanus.transports.unix.MAX_REQUEST_SIZE] bytes is refused here, before
anything is sent, instead of timing out.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any
from urllib.parse import unquote, urlsplit

from ..exceptions import TransportClosed, TransportSpecificError
from ..protocol import Outgoing
from .base import JanusTransport, Waiter, redact_url

__all__ = ["MAX_REQUEST_SIZE", "JanusTransportUnix", "unix_socket_path"]

logger = logging.getLogger(__name__)

MAX_REQUEST_SIZE = 8191
"""The longest request Janus' pfunix transport takes, in bytes of UTF-8 JSON.

Janus reads a packet into ``char buffer[8192]`` and then writes a NUL after
it, so 8191 is the most that fits; anything over 8192 is dropped unanswered.
"""

MAX_PACKET = 1 << 20
"""The largest packet read from Janus, in bytes (far above the socket's send buffer)."""


def unix_socket_path(base_url: str) -> str:
    """Return the socket path of a ``unix:`` URL.

    Both ``unix:///abs/path/janus.sock`` and ``unix:/abs/path/janus.sock``
    name ``/abs/path/janus.sock``; ``%``-escapes are decoded.

    Args:
        base_url: The URL.

    Returns:
        The filesystem path of the socket.

    Raises:
        ValueError: Not a ``unix:`` URL, it names a host, or it has no path.
    """
    parts = urlsplit(base_url)
    if parts.scheme.lower() != "unix":
        raise ValueError(f"not a unix: URL: {redact_url(base_url)!r}")
    if parts.netloc:
        raise ValueError(
            f"a unix: URL names no host ({redact_url(base_url)!r}): "
            "write unix:///abs/path/janus.sock"
        )
    path = unquote(parts.path)
    if not path:
        raise ValueError(f"no socket path in {redact_url(base_url)!r}")
    return path


class JanusTransportUnix(JanusTransport):
    """Talks to Janus over its Unix-socket transport (pfunix), ``SOCK_SEQPACKET``.

    One reader task receives each packet (one JSON message) and resolves or
    routes it; no task is made per message. A request is one packet. When
    Janus closes the socket (or the read fails) without
    [`close`][rxjanus.transports.base.JanusTransport.close], the transport reconnects and claims its
    sessions like the WebSocket does (see [`rxjanus.transports.base`][rxjanus.transports.base]);
    Janus keeps them only if its ``reclaim_session_timeout`` allows.

    Example:
        ```python
        async with JanusSession(base_url="unix:///run/janus/janus.sock") as session:
            ...
        ```

    Args:
        base_url: ``unix:///abs/path/to/janus.sock`` (``unix:/abs/path`` also works):
            the ``path`` of ``janus.transport.pfunix.jcfg``, whose ``type`` must
            be ``SOCK_SEQPACKET`` (the default).
        max_request_size: The longest request sent, in bytes; a longer one
            raises [`TransportSpecificError`][rxjanus.exceptions.TransportSpecificError] unsent.
        **options: See [`JanusTransport`][rxjanus.transports.base.JanusTransport]
            (``ssl`` is ignored).

    Raises:
        ValueError: ``base_url`` is not a ``unix:`` URL with a path.
    """

    schemes = ("unix",)

    def __init__(
        self, base_url: str, *, max_request_size: int = MAX_REQUEST_SIZE, **options: Any
    ) -> None:
        super().__init__(base_url, **options)
        if max_request_size < 1:
            raise ValueError("max_request_size must be positive")
        self.path = unix_socket_path(base_url)
        self.max_request_size = max_request_size
        self._sock: socket.socket | None = None
        self._reader: asyncio.Task[None] | None = None
        # loop.sock_sendall keeps one waiting writer per socket: a second send
        # waiting at the same time would orphan the first, so they take turns.
        self._send_lock = asyncio.Lock()

    async def _open(self) -> None:
        if self._sock is not None or self._reader is not None:
            await self._close()  # what is left of a link that dropped
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            sock.setblocking(False)
            await loop.sock_connect(sock, self.path)
        except BaseException:
            sock.close()
            raise  # OSError (FileNotFoundError, ConnectionRefusedError ...): retried
        self._sock = sock
        self._reader = loop.create_task(self._read(sock), name=f"rxjanus-unix-reader {self.path}")
        logger.debug("connected to the Unix socket %s", self.path)

    async def _read(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        reason = "closed by Janus"
        try:
            while True:
                packet = await loop.sock_recv(sock, MAX_PACKET)
                if not packet:
                    break
                self._receive(packet)
        except OSError as exc:
            reason = f"failed: {exc!r}"
        except Exception as exc:  # the reader must end with a clear error, never silently
            logger.exception("the Unix socket reader failed")
            reason = f"failed: {exc!r}"
        if not self._closed and sock is self._sock:  # not an old link we replaced already
            self._connection_lost(TransportClosed(f"Unix socket {self.path} {reason}"))

    async def _transmit(self, outgoing: Outgoing, waiter: Waiter) -> None:
        data = outgoing.text.encode()
        if len(data) > self.max_request_size:
            raise TransportSpecificError(
                450,
                f"{outgoing.request.janus!r} request of {len(data)} bytes not sent: Janus' "
                f"Unix socket transport drops requests over {self.max_request_size} bytes",
            )
        async with self._send_lock:
            sock = self._sock
            if sock is None:
                raise TransportClosed(f"Unix socket {self.path} is not open")
            try:
                await asyncio.get_running_loop().sock_sendall(sock, data)
            except OSError as exc:
                raise TransportClosed(f"sending on Unix socket {self.path} failed: {exc}") from exc

    async def _close(self) -> None:
        sock, self._sock = self._sock, None
        reader, self._reader = self._reader, None
        if reader is not None and reader is not asyncio.current_task():
            if not reader.done():
                reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        if sock is not None:
            sock.close()
            logger.debug("closed the Unix socket %s", self.path)
