"""The transport base class: a thin asyncio pump over the sans-I/O protocol."""

from __future__ import annotations

import abc
import asyncio
import logging
import ssl as ssl_module
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..exceptions import (
    InvalidStateError,
    JanusConnectionError,
    JanusError,
    JanusTimeoutError,
    ServerUnreachable,
    TransportClosed,
)
from ..protocol import (
    JSON,
    JanusProtocol,
    Outcome,
    Outgoing,
    Rejected,
    Request,
    Resolved,
    Routed,
    backoff,
)
from ..protocol import messages as msg

__all__ = ["EventTarget", "JanusTransport", "redact_url"]

logger = logging.getLogger(__name__)

EventTarget = Callable[[JSON], None]
"""Where a transport delivers unsolicited messages of a session or handle."""

Waiter = asyncio.Future[JSON]


def redact_url(url: str) -> str:
    """Return ``url`` without credentials or query string, fit for logs and errors."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


class _Flight:
    """A request in flight: what the timeout sweep needs to know of it."""

    __slots__ = ("deadline", "outgoing", "seconds", "sending", "task", "waiter")

    def __init__(
        self,
        waiter: Waiter,
        outgoing: Outgoing,
        seconds: float,
        deadline: float,
        task: asyncio.Task[Any] | None,
    ) -> None:
        self.waiter = waiter
        self.outgoing = outgoing
        self.seconds = seconds
        self.deadline = deadline
        self.task = task
        self.sending = True


class JanusTransport(abc.ABC):
    """One connection to a Janus server, carrying any number of sessions.

    Subclasses move text; everything else (transactions, routing, errors) lives
    in :class:`~rxjanus.protocol.JanusProtocol`. Connection loss fails every
    pending request at once with :class:`~rxjanus.exceptions.TransportClosed`.

    Args:
        base_url: The server URL, e.g. ``ws://127.0.0.1:8188`` or
            ``http://127.0.0.1:8088/janus``.
        timeout: Seconds each request may take unless the call says otherwise.
        max_retries: Extra connection attempts after the first one fails.
        retry_delay: Seconds before the first retry; doubles with each retry.
        api_secret: The server's ``api_secret``, if it has one.
        token: An auth token (stored or signed), if the server wants one.
        ssl: An SSL context for ``wss://`` and ``https://`` (default: verify
            with the system's trust store).
    """

    schemes: tuple[str, ...] = ()

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 30.0,
        max_retries: int = 3,
        retry_delay: float = 1.0,
        api_secret: str | None = None,
        token: str | None = None,
        ssl: ssl_module.SSLContext | None = None,
    ) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if max_retries < 0 or retry_delay < 0:
            raise ValueError("max_retries and retry_delay must not be negative")
        self.base_url = base_url
        self.timeout = timeout
        self.max_retries = max_retries
        self.retry_delay = retry_delay
        self.ssl = ssl
        self._protocol: JanusProtocol[Waiter, EventTarget] = JanusProtocol(
            api_secret=api_secret, token=token
        )
        self._connected = False
        self._closed = False
        self._connect_lock = asyncio.Lock()
        self._lost_listeners: list[Callable[[JanusError], None]] = []
        self._flights: dict[Waiter, _Flight] = {}
        self._sweep_handle: asyncio.TimerHandle | None = None
        self._sweep_at: float | None = None

    def __repr__(self) -> str:
        state = "closed" if self._closed else "connected" if self._connected else "new"
        return f"<{type(self).__name__} {redact_url(self.base_url)} {state}>"

    @property
    def connected(self) -> bool:
        """Whether the transport is connected now."""
        return self._connected

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called; a closed transport does not reconnect."""
        return self._closed

    @property
    def pending_count(self) -> int:
        """How many requests await a reply."""
        return self._protocol.pending_count

    # -- lifecycle ----------------------------------------------------------------

    async def connect(self) -> None:
        """Connect, retrying ``max_retries`` times with doubling delays.

        Connecting an open transport does nothing.

        Raises:
            ServerUnreachable: Every attempt failed (a ``ConnectionError``).
            InvalidStateError: The transport was closed.
        """
        async with self._connect_lock:
            if self._closed:
                raise InvalidStateError(f"{self!r} is closed")
            if self._connected:
                return
            delays = backoff(self.retry_delay)
            last: BaseException | None = None
            for attempt in range(self.max_retries + 1):
                if attempt:
                    await asyncio.sleep(next(delays))
                try:
                    async with asyncio.timeout(self.timeout):
                        await self._open()
                except (OSError, TimeoutError, JanusConnectionError) as exc:
                    last = exc
                    logger.debug(
                        "connecting to %s failed (attempt %d): %r",
                        redact_url(self.base_url),
                        attempt + 1,
                        exc,
                    )
                    await self._abort()
                    continue
                self._connected = True
                logger.debug("connected to %s", redact_url(self.base_url))
                return
            raise ServerUnreachable(
                f"cannot reach Janus at {redact_url(self.base_url)} after "
                f"{self.max_retries + 1} attempts: {last}"
            ) from last

    async def close(self) -> None:
        """Close the connection; pending requests fail with ``TransportClosed``.

        Closing twice does nothing.
        """
        if self._closed:
            return
        self._closed = True
        if self._sweep_handle is not None:
            self._sweep_handle.cancel()
            self._sweep_handle = self._sweep_at = None
        was_connected = self._connected
        self._connected = False
        self._fail_pending(TransportClosed(f"transport to {redact_url(self.base_url)} closed"))
        await self._close()
        if was_connected:
            logger.debug("closed the transport to %s", redact_url(self.base_url))

    async def disconnect(self) -> None:
        """Close the connection (the janus_client name of :meth:`close`)."""
        await self.close()

    async def __aenter__(self) -> JanusTransport:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def on_lost(self, listener: Callable[[JanusError], None]) -> Callable[[], None]:
        """Call ``listener`` with the error if the connection is lost.

        Returns:
            A function that removes the listener.
        """
        self._lost_listeners.append(listener)

        def remove() -> None:
            if listener in self._lost_listeners:
                self._lost_listeners.remove(listener)

        return remove

    # -- requests -----------------------------------------------------------------

    async def request(self, request: Request, *, timeout: float | None = None) -> JSON:
        """Send ``request`` and return the reply that completes it.

        Args:
            request: Built with :mod:`rxjanus.protocol.messages`.
            timeout: Seconds to wait (default: the transport's ``timeout``).

        Returns:
            The reply message (``success``, ``ack``, the plugin's ``event`` ...).

        Raises:
            JanusApiError: Janus answered with an error (typed by code).
            PluginError: The plugin answered with ``error_code``.
            JanusTimeoutError: No reply in time (a ``TimeoutError``).
            JanusConnectionError: The server cannot be reached or went away.
            TypeError: The request cannot be encoded as JSON; nothing was sent.
        """
        if not self._connected:
            await self.connect()
        seconds = self.timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        waiter: Waiter = loop.create_future()
        outgoing = self._protocol.send(request, waiter)
        flight = _Flight(waiter, outgoing, seconds, loop.time() + seconds, asyncio.current_task())
        self._flights[waiter] = flight
        if self._sweep_at is None or flight.deadline < self._sweep_at:
            self._arm_sweep(loop, flight.deadline)
        try:
            await self._send(outgoing, waiter)
            flight.sending = False
            return await waiter
        except asyncio.CancelledError:
            # The sweep cancels a send that outlives the timeout: report the timeout.
            task = flight.task
            if task is not None and waiter.done() and not waiter.cancelled():
                error = waiter.exception()
                if isinstance(error, JanusTimeoutError) and task.uncancel() == 0:
                    raise error from None
            raise
        finally:
            del self._flights[waiter]
            # A cancelled caller cancels the waiter: forget its transaction.
            if waiter.cancelled() or not waiter.done():
                self._protocol.forget(outgoing.transaction)
                waiter.cancel()

    def _arm_sweep(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        if self._sweep_handle is not None:
            self._sweep_handle.cancel()
        self._sweep_at = when
        self._sweep_handle = loop.call_at(when, self._sweep, loop)

    def _sweep(self, loop: asyncio.AbstractEventLoop) -> None:
        """Fail the requests past their deadline; one timer serves every request."""
        self._sweep_handle = self._sweep_at = None
        now = loop.time()
        soonest: float | None = None
        for flight in list(self._flights.values()):
            if flight.deadline <= now:
                self._expire(flight)
            elif soonest is None or flight.deadline < soonest:
                soonest = flight.deadline
        if soonest is not None:
            self._arm_sweep(loop, soonest)

    def _expire(self, flight: _Flight) -> None:
        waiter = flight.waiter
        if waiter.done():
            return
        self._protocol.forget(flight.outgoing.transaction)
        janus = flight.outgoing.request.janus
        waiter.set_exception(
            JanusTimeoutError(f"no reply to {janus!r} within {flight.seconds:g} s")
        )
        if flight.sending and flight.task is not None:
            flight.task.cancel()  # still stuck sending: unblock it

    async def info(self) -> JSON:
        """Return the server's ``server_info`` reply (version, plugins, transports ...)."""
        return await self.request(msg.info())

    async def ping(self) -> JSON:
        """Ping the server.

        Returns:
            The ``pong`` reply.
        """
        return await self.request(msg.ping())

    # -- routing ------------------------------------------------------------------

    def add_session(self, session_id: int, target: EventTarget) -> None:
        """Deliver unsolicited messages of ``session_id`` to ``target``."""
        self._protocol.add_session(session_id, target)

    def remove_session(self, session_id: int) -> None:
        """Stop delivering messages of ``session_id``."""
        self._protocol.remove_session(session_id)

    def add_handle(self, handle_id: int, target: EventTarget) -> None:
        """Deliver messages whose ``sender`` is ``handle_id`` to ``target``."""
        self._protocol.add_handle(handle_id, target)

    def remove_handle(self, handle_id: int) -> None:
        """Stop delivering messages of ``handle_id``."""
        self._protocol.remove_handle(handle_id)

    # -- for subclasses -----------------------------------------------------------

    @abc.abstractmethod
    async def _open(self) -> None:
        """Open the connection (one attempt); raise ``OSError`` on failure."""

    @abc.abstractmethod
    async def _send(self, outgoing: Outgoing, waiter: Waiter) -> None:
        """Put one request on the wire."""

    @abc.abstractmethod
    async def _close(self) -> None:
        """Close the connection and stop every background task."""

    async def _abort(self) -> None:
        """Clean up after a failed connection attempt."""
        await self._close()

    def _receive(self, text: str | bytes) -> None:
        """Handle one frame from the server; never raises."""
        protocol = self._protocol
        decoded = protocol.decode(text)
        if type(decoded) is dict:
            # The common case: a plain reply completing a request, without outcome objects.
            waiter = protocol.complete_reply(decoded)
            if waiter is not None:
                if not waiter.done():
                    waiter.set_result(decoded)
                return
            self._dispatch(protocol.receive_message(decoded))
        elif type(decoded) is list:
            for outcome in protocol.receive_messages(decoded):
                self._dispatch(outcome)

    def _dispatch(self, outcome: Outcome[Waiter, EventTarget]) -> None:
        kind = type(outcome)
        if kind is Resolved:
            resolved: Resolved[Waiter] = outcome  # type: ignore[assignment]
            if not resolved.waiter.done():
                resolved.waiter.set_result(resolved.message)
        elif kind is Rejected:
            self._reject(outcome)  # type: ignore[arg-type]
        elif kind is Routed:
            self._deliver(outcome)  # type: ignore[arg-type]

    @staticmethod
    def _reject(outcome: Rejected[Waiter]) -> None:
        if not outcome.waiter.done():
            outcome.waiter.set_exception(outcome.error)

    @staticmethod
    def _deliver(outcome: Routed[EventTarget]) -> None:
        try:
            outcome.target(outcome.message)
        except Exception:
            logger.exception("an event listener failed on %.200r", outcome.message)

    def _connection_lost(self, error: JanusError) -> None:
        """Fail everything pending and tell the listeners; for subclasses."""
        if not self._connected:
            return
        self._connected = False
        logger.warning("lost the connection to %s: %s", redact_url(self.base_url), error)
        self._fail_pending(error)
        for listener in list(self._lost_listeners):
            try:
                listener(error)
            except Exception:
                logger.exception("a connection-lost listener failed")

    def _fail_pending(self, error: JanusError) -> None:
        for rejected in self._protocol.fail_all(error):
            self._reject(rejected)
