"""The transport base class: a thin asyncio pump over the sans-I/O protocol.

Reconnection
------------
A transport with a persistent link (the WebSocket) that drops without
[`JanusTransport.close`][rxjanus.transports.base.JanusTransport.close] reconnects on its own
(``reconnect=True``, the default): it tells its listeners
[`ConnectionState.RECONNECTING`][rxjanus.transports.base.ConnectionState.RECONNECTING], opens a new
link (the first attempt at once, then ``max_retries`` more after the
[`attempt_delays`][rxjanus.transports.base.attempt_delays]), sends ``claim`` for every session
routed on it, and then tells them
[`RECONNECTED`][rxjanus.transports.base.ConnectionState.RECONNECTED] with the sessions it reclaimed.
Handles, routes and peer connections (separate UDP flows) are not touched. A session whose ``claim``
fails (``458`` when the server forgot it) is reported
[`LOST`][rxjanus.transports.base.ConnectionState.LOST]; if every attempt fails, all sessions are,
with [`ServerUnreachable`][rxjanus.exceptions.ServerUnreachable].

Requests and the reconnect:

* In flight at the drop: idempotent requests
  ([`is_retryable`][rxjanus.transports.base.is_retryable]: ``keepalive``, ``claim``, ``info``,
  ``ping``) are kept and sent again once reconnected; any other fails at once with
  [`TransportClosed`][rxjanus.exceptions.TransportClosed] (a ``ConnectionError``), since it may or
  may not have reached Janus.
* Made while reconnecting: they wait for the reconnection, bounded by their own
  timeout ([`JanusTimeoutError`][rxjanus.exceptions.JanusTimeoutError] if it does not come in
  time), then go out on the new link after the claims. If reconnecting fails
  they raise its error (``ServerUnreachable``); if their session was not
  reclaimed they are not sent and raise ``SessionNotFound``. A session turns
  both into ``SessionLost``, but not the ``TransportClosed`` of a request that
  was in flight at the drop.
* Every request keeps its one deadline throughout: nothing waits longer than its
  timeout.
"""

from __future__ import annotations

import asyncio
import contextvars
import enum
import itertools
import json
import logging
import random
import ssl as ssl_module
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from ..exceptions import (
    InvalidStateError,
    JanusConnectionError,
    JanusError,
    JanusTimeoutError,
    ServerUnreachable,
    SessionNotFound,
    TransportClosed,
)
from ..protocol import (
    JSON,
    RECONNECT_JITTER,
    Dropped,
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
from ..transaction import MessageTransaction, raw_request, transaction_of

if TYPE_CHECKING:
    from ..janus_session import JanusSession

__all__ = [
    "RETRYABLE_REQUESTS",
    "ConnectionEvent",
    "ConnectionListener",
    "ConnectionState",
    "EventTarget",
    "JanusTransport",
    "attempt_delays",
    "is_retryable",
    "redact_url",
    "report_task_end",
]

logger = logging.getLogger(__name__)

EventTarget = Callable[[JSON], None]
"""Where a transport delivers unsolicited messages of a session or handle."""

Waiter = asyncio.Future[JSON]


class ConnectionState(enum.Enum):
    """What happened to a transport's connection, as told to its listeners."""

    RECONNECTING = "reconnecting"
    """The link dropped; the transport is reconnecting (``sessions``: those it will claim)."""

    RECONNECTED = "reconnected"
    """A new link is up (``sessions``: those reclaimed on it)."""

    LOST = "lost"
    """``sessions`` did not survive; ``error`` says why."""


@dataclass(frozen=True, slots=True)
class ConnectionEvent:
    """A change of a transport's connection, for the sessions it carries.

    Attributes:
        state: What happened.
        sessions: The session ids it concerns.
        error: Why the link dropped (``RECONNECTING``) or the sessions were lost
            (``LOST``): ``TransportClosed``, ``ServerUnreachable`` or the
            ``claim``'s error (``SessionNotFound`` for 458).
    """

    state: ConnectionState
    sessions: frozenset[int]
    error: JanusError | None = None


ConnectionListener = Callable[[ConnectionEvent], None]
"""Called synchronously with each [`ConnectionEvent`][..ConnectionEvent]; must not raise."""

RETRYABLE_REQUESTS = frozenset(
    {
        "keepalive",
        "claim",
        "info",
        "ping",
        # The Admin API's reads:
        "get_status",
        "loops_info",
        "list_sessions",
        "list_handles",
        "handle_info",
        "list_tokens",
    }
)
"""Requests that may be sent twice without effect, so a reconnect re-sends them."""


def is_retryable(request: Request) -> bool:
    """Whether ``request`` may be sent again after a drop (it is idempotent)."""
    return request.janus in RETRYABLE_REQUESTS


def attempt_delays(
    retry_delay: float,
    max_retries: int,
    *,
    jitter: float = RECONNECT_JITTER,
    rng: random.Random | None = None,
) -> Iterator[float]:
    """The wait before each connection attempt: none before the first, then backoff.

    Args:
        retry_delay: The delay before the first retry; doubles with each retry
            ([`backoff`][rxjanus.protocol.backoff], capped at 30 s).
        max_retries: How many attempts follow the first.
        jitter: The fraction of each delay drawn at random and taken off (by
            default each delay is between half and all of its nominal value), so
            that many clients cut off at once do not retry in step; 0 for none.
        rng: The random source of the jitter.

    Returns:
        ``max_retries + 1`` delays in seconds, e.g. ``0, 1, 2, 4`` for
        ``(1.0, 3, jitter=0)``.

    Raises:
        ValueError: ``retry_delay`` or ``max_retries`` is negative.
    """
    if max_retries < 0:
        raise ValueError("max_retries must not be negative")
    delays = backoff(retry_delay, jitter=jitter, rng=rng)
    return itertools.chain((0.0,), itertools.islice(delays, max_retries))


def _attempts(count: int) -> str:
    """``1 attempt``, ``2 attempts``."""
    return f"{count} attempt{'' if count == 1 else 's'}"


def _not_reclaimed(request: Request, error: JanusError) -> SessionNotFound:
    """The error of a request whose session a reconnect could not claim: it is not sent."""
    return SessionNotFound(
        458,
        f"{request.janus!r} not sent: session {request.session_id} was not reclaimed "
        f"after the reconnect ({error})",
    )


_RUNNING: set[asyncio.Task[None]] = set()
"""Reconnect tasks, kept referenced until they finish."""

_reconnector: contextvars.ContextVar[JanusTransport | None] = contextvars.ContextVar(
    "rxjanus_reconnector", default=None
)
"""The transport whose reconnect task runs in this context: its claims skip the wait."""


def _why(error: BaseException | None) -> str:
    """What went wrong, for a message: the error's text, or its type if it has none."""
    if error is None:
        return "no attempt was made"
    if isinstance(error, TimeoutError) and not str(error):
        return "timed out"
    return str(error) or type(error).__name__


def report_task_end(task: asyncio.Task[Any]) -> None:
    """Log how a background task ended (a done callback; janus_client's ``*_done_cb``)."""
    if task.cancelled():
        logger.debug("%s was cancelled", task.get_name())
        return
    error = task.exception()
    if error is not None:
        logger.error("%s failed: %r", task.get_name(), error, exc_info=error)
    else:
        logger.debug("%s ended", task.get_name())


def redact_url(url: str) -> str:
    """Return ``url`` without credentials or query string, fit for logs and errors."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]  # as written: a bad port must not raise here
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


@dataclass(frozen=True, slots=True)
class _Registration:
    """A transport class and the URLs it is made for."""

    matcher: Callable[[str], bool]
    transport_class: type[JanusTransport]
    schemes: frozenset[str]

    def matches(self, base_url: str) -> bool:
        if self.schemes:
            return urlsplit(base_url).scheme.lower() in self.schemes
        return bool(self.matcher(base_url))


_REGISTRY: list[_Registration] = []
"""Every registered transport class, in registration order."""


def register_schemes(transport_class: type[JanusTransport], *schemes: str) -> None:
    """Use ``transport_class`` for URLs with these schemes (default: its ``schemes``).

    A scheme registered before is taken over by ``transport_class``.
    """
    names = frozenset(scheme.lower() for scheme in schemes or transport_class.schemes)
    kept: list[_Registration] = []
    for entry in _REGISTRY:
        if entry.schemes & names:
            if entry.schemes - names:
                kept.append(_Registration(_never, entry.transport_class, entry.schemes - names))
        else:
            kept.append(entry)
    _REGISTRY[:] = kept
    _REGISTRY.append(_Registration(_never, transport_class, names))


def _never(base_url: str) -> bool:
    return False


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


class JanusTransport:
    """One connection to a Janus server, carrying any number of sessions.

    Subclasses move text; everything else (transactions, routing, errors) lives
    in [`JanusProtocol`][rxjanus.protocol.connection.JanusProtocol].
    [`close`][rxjanus.transports.base.JanusTransport.close] fails every pending request at once with
    [`TransportClosed`][rxjanus.exceptions.TransportClosed]; a link that drops on its own is
    reconnected and its sessions reclaimed (see the module docstring), and listeners added with
    [`add_listener`][rxjanus.transports.base.JanusTransport.add_listener] hear of it.

    Subclasses implement rxjanus's hooks (``_open``, ``_transmit``, ``_close``)
    or janus_client 0.9's (``_connect``, ``_send(message)``, ``_disconnect``,
    handing what arrives to ``receive``). The first three parameters are
    janus_client's, in its order; the rest are keyword-only.

    Args:
        base_url: The server URL, e.g. ``ws://127.0.0.1:8188`` or
            ``http://127.0.0.1:8088/janus``.
        api_secret: The server's ``api_secret``, if it has one.
        token: An auth token (stored or signed), if the server wants one.
        timeout: Seconds each request may take unless the call says otherwise.
        max_retries: Extra connection attempts after the first one fails, when
            connecting and when reconnecting.
        retry_delay: Seconds before the first retry; doubles with each retry.
        reconnect: Reconnect and reclaim the sessions when the link drops. If
            False, a drop loses every session on the transport at once.
        admin_secret: The server's ``admin_secret``, for a connection to the
            Admin API (see
            [`JanusAdminMonitorClient`][rxjanus.admin.client.JanusAdminMonitorClient]).
        ssl: An SSL context for ``wss://`` and ``https://`` (default: verify
            with the system's trust store).
    """

    schemes: tuple[str, ...] = ()

    _reconnects_link: ClassVar[bool] = True
    """Whether a drop of the link is reconnected here (False: the subclass copes, e.g. HTTP)."""

    def __init__(
        self,
        base_url: str,
        api_secret: str | None = None,
        token: str | None = None,
        *,
        timeout: float = 30.0,
        max_retries: int = 3,
        retry_delay: float = 1.0,
        reconnect: bool = True,
        admin_secret: str | None = None,
        ssl: ssl_module.SSLContext | None = None,
    ) -> None:
        missing = type(self)._missing_hook
        if missing is not None:
            raise TypeError(
                f"Can't instantiate abstract class {type(self).__name__} without an "
                f"implementation for abstract method {missing}"
            )
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if max_retries < 0 or retry_delay < 0:
            raise ValueError("max_retries and retry_delay must not be negative")
        self.base_url = base_url
        self.timeout = timeout
        self.max_retries = max_retries
        self.retry_delay = retry_delay
        self.reconnect = reconnect
        self.ssl = ssl
        self._protocol: JanusProtocol[Waiter, EventTarget] = JanusProtocol(
            api_secret=api_secret, token=token, admin_secret=admin_secret
        )
        self._connected = False
        self._closed = False
        self._connect_lock = asyncio.Lock()
        self._listeners: list[ConnectionListener] = []
        self._flights: dict[Waiter, _Flight] = {}
        self._sweep_handle: asyncio.TimerHandle | None = None
        self._sweep_at: float | None = None
        # While reconnecting: the task doing it, the future requests wait on, and
        # the idempotent requests to send again once reconnected.
        self._reconnect_task: asyncio.Task[None] | None = None
        self._reconnecting: asyncio.Future[None] | None = None
        self._resend: dict[Waiter, _Flight] = {}
        self._unclaimed: dict[int, JanusError] = {}  # sessions the last reconnect lost

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {redact_url(self.base_url)} {self.state}>"

    @property
    def connected(self) -> bool:
        """Whether the transport is connected now (and not still reclaiming sessions).

        janus_client's transports set it; here setting it False on a connected
        transport reports the link lost (it is then reconnected, see the module
        docstring), and setting it True does nothing: ``connect`` sets it.
        """
        return self._connected

    @connected.setter
    def connected(self, value: bool) -> None:
        if not value and self._connected and not self._closed:
            self._connection_lost(
                TransportClosed(f"the link to {redact_url(self.base_url)} was lost")
            )

    @property
    def reconnecting(self) -> bool:
        """Whether the link dropped and the transport is reconnecting."""
        return self._reconnecting is not None

    @property
    def closed(self) -> bool:
        """Whether [`close`][..close] was called; a closed transport does not reconnect."""
        return self._closed

    @property
    def state(self) -> str:
        """``closed``, ``connected``, ``reconnecting`` or ``disconnected``."""
        if self._closed:
            return "closed"
        if self._connected:
            return "connected"
        return "reconnecting" if self._reconnecting is not None else "disconnected"

    @property
    def pending_count(self) -> int:
        """How many requests await a reply."""
        return self._protocol.pending_count

    # -- lifecycle ----------------------------------------------------------------

    async def connect(self) -> None:
        """Connect, retrying ``max_retries`` times with doubling delays.

        Connecting an open transport does nothing; while it reconnects, this
        waits for the reconnection.

        Raises:
            ServerUnreachable: Every attempt failed (a ``ConnectionError``).
            InvalidStateError: The transport was closed.
        """
        async with self._connect_lock:
            if self._closed:
                raise InvalidStateError(f"{self!r} is closed")
            if self._connected:
                return
            if self._reconnecting is not None:
                await asyncio.shield(self._reconnecting)
                return
            last: BaseException | None = None
            where = redact_url(self.base_url)
            delays = list(attempt_delays(self.retry_delay, self.max_retries))
            for attempt, delay in enumerate(delays, 1):
                if delay:
                    await asyncio.sleep(delay)
                try:
                    async with asyncio.timeout(self.timeout):
                        await self._open()
                except (OSError, TimeoutError, JanusConnectionError) as exc:
                    last = exc
                    await self._abort()
                    self._log_retry("connecting to", attempt, delays, exc)
                    continue
                self._connected = True
                level = logging.INFO if attempt > 1 else logging.DEBUG
                logger.log(level, "connected to %s (attempt %d)", where, attempt)
                return
            raise ServerUnreachable(
                f"cannot reach Janus at {where} after {_attempts(len(delays))}: {_why(last)}"
            ) from last

    async def close(self) -> None:
        """Close the connection; pending requests fail with ``TransportClosed``.

        Closing while reconnecting stops the reconnection and reports the
        sessions it was reclaiming as [`LOST`][rxjanus.transports.base.ConnectionState.LOST].
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
        error = TransportClosed(f"transport to {redact_url(self.base_url)} closed")
        task, self._reconnect_task = self._reconnect_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        if self._reconnecting is not None:
            self._end_reconnecting(error)
            self._notify(
                ConnectionEvent(ConnectionState.LOST, frozenset(self._protocol.session_ids), error)
            )
        self._resend.clear()
        self._fail_pending(error)
        await self._close()
        if was_connected:
            logger.debug("closed the transport to %s", redact_url(self.base_url))

    async def disconnect(self) -> None:
        """Close the connection (the janus_client name of [`close`][..close])."""
        await self.close()

    async def __aenter__(self) -> JanusTransport:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- listeners ----------------------------------------------------------------

    def add_listener(self, listener: ConnectionListener) -> Callable[[], None]:
        """Call ``listener`` with each `ConnectionEvent` (reconnecting, reconnected, lost).

        Listeners run synchronously, in the order added; one that raises is
        logged and the others still run.

        Returns:
            A function that removes the listener (safe to call twice).
        """
        self._listeners.append(listener)

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    def on_lost(self, listener: Callable[[JanusError], None]) -> Callable[[], None]:
        """Call ``listener`` with the error whenever sessions are lost with the connection.

        A shorthand for [`add_listener`][rxjanus.transports.base.JanusTransport.add_listener] that
        hears only [`ConnectionState.LOST`][rxjanus.transports.base.ConnectionState.LOST].

        Returns:
            A function that removes the listener.
        """

        def on_event(event: ConnectionEvent) -> None:
            if event.state is ConnectionState.LOST and event.error is not None:
                listener(event.error)

        return self.add_listener(on_event)

    def _notify(self, event: ConnectionEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                logger.exception("a connection listener failed on %s", event.state.value)

    # -- requests -----------------------------------------------------------------

    async def request(self, request: Request, *, timeout: float | None = None) -> JSON:
        """Send ``request`` and return the reply that completes it.

        While the transport reconnects, the request waits for the reconnection
        within its timeout; see the module docstring for what happens to
        requests in flight when the link drops.

        Args:
            request: Built with [`rxjanus.protocol.messages`][rxjanus.protocol.messages].
            timeout: Seconds to wait (default: the transport's ``timeout``).

        Returns:
            The reply message (``success``, ``ack``, the plugin's ``event`` ...).

        Raises:
            JanusApiError: Janus answered with an error (typed by code).
            PluginError: The plugin answered with ``error_code``.
            JanusTimeoutError: No reply in time (a ``TimeoutError``), also when
                the reconnection it waited for did not come in time.
            JanusConnectionError: The server cannot be reached or went away:
                ``TransportClosed`` if the link dropped with the request in
                flight, ``ServerUnreachable`` if reconnecting failed.
            TypeError: The request cannot be encoded as JSON; nothing was sent.
        """
        seconds = self.timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        if not self._connected:
            deadline = await self._until_ready(request, seconds, deadline)
        waiter: Waiter = loop.create_future()
        outgoing = self._protocol.send(request, waiter)
        flight = _Flight(waiter, outgoing, seconds, deadline, asyncio.current_task())
        self._flights[waiter] = flight
        if self._sweep_at is None or flight.deadline < self._sweep_at:
            self._arm_sweep(loop, flight.deadline)
        try:
            await self._transmit(outgoing, waiter)
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
        except TransportClosed:
            if flight.sending and not waiter.done() and self._keep_for_resend(flight):
                # The link broke under the send of an idempotent request: it goes
                # out again once reconnected (or fails with the reconnection).
                flight.sending = False
                return await waiter
            if waiter.done() and not waiter.cancelled():
                waiter.exception()  # failed by the drop too; we raise the send's error
            raise
        finally:
            del self._flights[waiter]
            # A cancelled caller cancels the waiter: forget its transaction.
            if waiter.cancelled() or not waiter.done():
                self._protocol.forget(outgoing.transaction)
                waiter.cancel()

    async def _until_ready(self, request: Request, seconds: float, deadline: float) -> float:
        """The slow path of [`request`][..request]: connect, or wait for the reconnection.

        Returns:
            The request's deadline: it starts after a first connect (which has its
            own bounds), and stands while waiting for a reconnection.
        """
        if _reconnector.get() is self:
            return deadline  # the reconnect task's own claims go out on the new link at once
        while not self._connected:
            reconnecting = self._reconnecting
            if reconnecting is None:
                await self.connect()
                deadline = asyncio.get_running_loop().time() + seconds
                continue
            expiry = asyncio.timeout_at(deadline)
            try:
                async with expiry:
                    await asyncio.shield(reconnecting)
            except TimeoutError:
                if not expiry.expired():
                    raise
                raise JanusTimeoutError(
                    f"no reply to {request.janus!r} within {seconds:g} s: still "
                    f"reconnecting to {redact_url(self.base_url)}"
                ) from None
            session_id = request.session_id
            unclaimed = None if session_id is None else self._unclaimed.get(session_id)
            if unclaimed is not None:
                raise _not_reclaimed(request, unclaimed) from unclaimed
        return deadline

    def _keep_for_resend(self, flight: _Flight) -> bool:
        """Keep an idempotent request whose link dropped, to send it once reconnected."""
        if (
            self._closed
            or not self.reconnect
            or not self._reconnects_link
            or _reconnector.get() is self
            or not is_retryable(flight.outgoing.request)
        ):
            return False
        self._resend[flight.waiter] = flight
        return True

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

    async def send(
        self,
        message: JSON,
        session_id: int | None = None,
        handle_id: int | None = None,
        *,
        timeout: float | None = None,
    ) -> MessageTransaction:
        """Send a raw Janus request (a dict with ``janus``) and wait for its reply.

        Transaction and credentials are filled in; see
        [raw_request][rxjanus.transaction.raw_request] for the reply that completes it.

        Returns:
            The reply, as a [MessageTransaction][rxjanus.transaction.MessageTransaction]
            (a dict of the reply with janus_client's ``get``/``done``).

        Raises:
            ValueError: ``message`` has no ``janus`` field.
            JanusApiError: Janus answered with an error (typed by code).
            TimeoutError: No reply in time.
        """
        request = raw_request(message, session_id, handle_id)
        return transaction_of(request, await self.request(request, timeout=timeout))

    async def create_session(self, session: JanusSession) -> int:
        """Create ``session`` on the server through this transport (janus_client's step).

        Returns:
            The session id.

        Raises:
            ValueError: ``session`` runs on another transport.
        """
        if session.transport is not self:
            raise ValueError(f"{session!r} does not run on {self!r}")
        await session.create()
        session_id = session.session_id
        if session_id is None:  # pragma: no cover - create() sets it or raises
            raise InvalidStateError("the session could not be created")
        return session_id

    async def destroy_session(self, session_id: int) -> None:
        """Stop routing ``session_id`` after it was destroyed (janus_client's step).

        Sends nothing: ``JanusSession.destroy`` destroys the session on the
        server and calls this.
        """
        self.remove_session(session_id)
        await self.dispatch_session_destroyed(session_id)

    async def dispatch_session_created(self, session_id: int) -> None:
        """Hook for subclasses: ``session_id`` was created on this transport."""

    async def dispatch_session_destroyed(self, session_id: int) -> None:
        """Hook for subclasses: ``session_id`` was destroyed or lost."""

    @staticmethod
    def register_transport(
        protocol_matcher: Callable[[str], bool], transport_cls: type[JanusTransport]
    ) -> None:
        """Use ``transport_cls`` for the URLs ``protocol_matcher`` accepts (janus_client's form).

        Args:
            protocol_matcher: Takes a base URL; True if the transport handles it.
            transport_cls: The transport class.
        """
        _REGISTRY.append(_Registration(protocol_matcher, transport_cls, frozenset()))

    @staticmethod
    def create_transport(
        base_url: str,
        api_secret: str | None = None,
        token: str | None = None,
        config: dict[str, Any] | None = None,
        **options: Any,
    ) -> JanusTransport:
        """Make the transport for ``base_url``, chosen by its scheme or a registered matcher.

        Args:
            base_url: The server URL.
            api_secret: The server's ``api_secret``, if it has one.
            token: An auth token, if the server wants one.
            config: More options for the transport (janus_client's form of ``**options``).
            **options: Passed to the transport (``timeout``, ``max_retries`` ...).

        Returns:
            A transport, not yet connected.

        Raises:
            ValueError: No transport, or more than one, accepts the URL.
        """
        matched = [entry.transport_class for entry in _REGISTRY if entry.matches(base_url)]
        if len(matched) > 1:
            names = ", ".join(cls.__name__ for cls in matched)
            raise ValueError(f"Matched to more than 1 protocol: {names}")
        if not matched:
            known = ", ".join(sorted({s for entry in _REGISTRY for s in entry.schemes}))
            raise ValueError(
                f"No protocol matched: no transport for {redact_url(base_url)!r}: "
                f"the scheme must be one of {known}"
            )
        return matched[0](base_url, api_secret=api_secret, token=token, **(config or {}), **options)

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
        """Deliver unsolicited messages of ``session_id`` to ``target``.

        A routed session is claimed again when the transport reconnects.
        """
        self._protocol.add_session(session_id, target)

    def remove_session(self, session_id: int) -> None:
        """Stop delivering messages of ``session_id`` (and claiming it on reconnect)."""
        self._protocol.remove_session(session_id)

    def add_handle(self, handle_id: int, target: EventTarget) -> None:
        """Deliver messages whose ``sender`` is ``handle_id`` to ``target``."""
        self._protocol.add_handle(handle_id, target)

    def remove_handle(self, handle_id: int) -> None:
        """Stop delivering messages of ``handle_id``."""
        self._protocol.remove_handle(handle_id)

    # -- for subclasses -----------------------------------------------------------
    #
    # A subclass implements either rxjanus's hooks (``_open``, ``_transmit``,
    # ``_close``) or janus_client 0.9's (``_connect``, ``_send(message)``,
    # ``_disconnect``, handing what it receives to ``receive``); the defaults of
    # each pair call the other.

    async def _open(self) -> None:
        """Open the connection (one attempt); raise ``OSError`` on failure."""
        await self._connect()
        self._compat_open = True

    async def _transmit(self, outgoing: Outgoing, waiter: Waiter) -> None:
        """Put one request on the wire; raise ``TransportClosed`` if the link is down."""
        await self._send(json.loads(outgoing.text))

    async def _close(self) -> None:
        """Close the connection and stop every background task."""
        if self._compat_open:
            self._compat_open = False
            await self._disconnect()

    _compat_open = False
    """Whether janus_client's ``_connect`` hook succeeded and ``_disconnect`` is due."""

    async def _connect(self) -> None:
        """janus_client's hook: open the connection (a subclass without ``_open``)."""
        raise NotImplementedError(f"{type(self).__name__} implements neither _open nor _connect")

    async def _send(self, message: JSON) -> None:
        """janus_client's hook: send one message, the whole dict as it goes on the wire.

        Replies and events are handed to [receive][rxjanus.transports.base.JanusTransport.receive].
        """
        raise NotImplementedError(f"{type(self).__name__} implements neither _transmit nor _send")

    async def _disconnect(self) -> None:
        """janus_client's hook: close the connection (a subclass without ``_close``)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        base = JanusTransport
        for native, hook in (("_open", "_connect"), ("_transmit", "_send")):
            if getattr(cls, native) is getattr(base, native) and (
                getattr(cls, hook) is getattr(base, hook)
            ):
                # Like an abstract method: reported when the class is instantiated.
                cls._missing_hook = f"{hook} (or rxjanus's {native})"
                return
        cls._missing_hook = None

    _missing_hook: ClassVar[str | None] = "_connect"

    async def receive(self, response: JSON) -> None:
        """Handle one decoded message from Janus (janus_client's hook for subclasses).

        A reply completes its request; anything else goes to its session or
        handle. A list is taken as a batch of messages.
        """
        self._receive_decoded(response)

    async def _abort(self) -> None:
        """Clean up after a failed connection attempt or a dropped link."""
        await self._close()

    def _receive(self, text: str | bytes) -> None:
        """Handle one frame from the server; never raises."""
        self._receive_decoded(self._protocol.decode(text))

    def _receive_decoded(self, decoded: Any) -> None:
        """Handle one frame already decoded with the protocol's ``decode``; never raises.

        A frame that is JSON but neither an object nor a non-empty array (``42``,
        ``null``, ``"s"``, ``[]``) is logged and dropped by the protocol; one that
        was not JSON was logged by ``decode`` already.
        """
        protocol = self._protocol
        if type(decoded) is dict:
            # The common case: a plain reply completing a request, without outcome objects.
            waiter = protocol.complete_reply(decoded)
            if waiter is not None:
                if not waiter.done():
                    waiter.set_result(decoded)
                return
            self._dispatch(protocol.receive_message(decoded))
        elif type(decoded) is list and decoded:
            for outcome in protocol.receive_messages(decoded):
                self._dispatch(outcome)
        elif type(decoded) is not Dropped:
            protocol.receive_message(decoded)  # not an object: logged (WARNING) and dropped

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

    # -- connection loss and reconnection ------------------------------------------

    def _connection_lost(self, error: JanusError) -> None:
        """For subclasses: the persistent link ended without [`close`][..close].

        Reconnects if ``reconnect`` is set (see the module docstring), else gives
        up at once: every pending request fails and every session is lost.
        """
        if self._closed:
            return
        if self._reconnect_task is not None:
            # The new link broke while the reconnect task was claiming: fail its
            # claims; it makes its next attempt.
            self._fail_flights(lambda flight: flight.waiter not in self._resend, error)
            return
        if not self._connected:
            return
        self._connected = False
        if not self.reconnect:
            self._give_up(error)
            return
        where = redact_url(self.base_url)
        logger.warning("lost the connection to %s (%s); reconnecting", where, error)
        for flight in self._flights.values():
            if is_retryable(flight.outgoing.request):
                self._resend[flight.waiter] = flight
        self._fail_flights(lambda flight: flight.waiter not in self._resend, error)
        loop = asyncio.get_running_loop()
        self._reconnecting = loop.create_future()
        task = loop.create_task(self._reconnect(error), name=f"rxjanus-reconnect {where}")
        self._reconnect_task = task
        _RUNNING.add(task)  # referenced until done, also after it hands over
        task.add_done_callback(_RUNNING.discard)
        self._notify(
            ConnectionEvent(
                ConnectionState.RECONNECTING, frozenset(self._protocol.session_ids), error
            )
        )

    def _fail_flights(self, which: Callable[[_Flight], bool], error: JanusError) -> None:
        """Fail the pending requests ``which`` selects."""
        for flight in list(self._flights.values()):
            if not flight.waiter.done() and which(flight):
                self._fail_flight(flight, error)

    def _fail_flight(self, flight: _Flight, error: JanusError) -> None:
        """Fail one pending request with its own ``TransportClosed`` caused by ``error``."""
        self._protocol.forget(flight.outgoing.transaction)
        janus = flight.outgoing.request.janus
        failure = TransportClosed(
            f"{error} ({janus!r} was in flight and is not sent again: it may or may "
            "not have reached Janus)"
        )
        failure.__cause__ = error
        flight.waiter.set_exception(failure)

    async def _reconnect(self, cause: JanusError) -> None:
        """The reconnect task: never leaves the transport stuck reconnecting."""
        _reconnector.set(self)
        try:
            await self._reconnect_attempts(cause)
        except Exception as exc:  # a bug: end the reconnection clearly, never hang
            logger.exception("reconnecting to %s failed", redact_url(self.base_url))
            if self._reconnect_task is asyncio.current_task():
                self._reconnect_task = None
                error = TransportClosed(f"reconnecting failed: {exc!r}")
                error.__cause__ = exc
                self._give_up(error)

    async def _reconnect_attempts(self, cause: JanusError) -> None:
        """Open a new link and claim every routed session; give up after the retries."""
        where = redact_url(self.base_url)
        last: BaseException = cause
        delays = list(attempt_delays(self.retry_delay, self.max_retries))
        for attempt, delay in enumerate(delays, 1):
            if delay:
                await asyncio.sleep(delay)
            await self._abort()  # what is left of the old link, or of the last attempt
            try:
                async with asyncio.timeout(self.timeout):
                    await self._open()
            except (OSError, TimeoutError, JanusConnectionError) as exc:
                last = exc
                self._log_retry("reconnecting to", attempt, delays, exc)
                continue
            claimed, lost, failure = await self._claim_all()
            if failure is not None:
                last = failure
                self._log_retry("reclaiming the sessions on", attempt, delays, failure)
                continue
            self._reconnected(claimed, lost, attempt)
            await self._resend_kept(lost)
            return
        await self._abort()
        error = ServerUnreachable(
            f"cannot reconnect to Janus at {where} after {_attempts(len(delays))}: {_why(last)}"
        )
        error.__cause__ = last
        self._reconnect_task = None
        self._give_up(error)

    def _log_retry(
        self, doing: str, attempt: int, delays: list[float], error: BaseException
    ) -> None:
        """Tell (INFO) that an attempt failed, and when the next one goes (if any)."""
        then = f"trying again in {delays[attempt]:.2g} s" if attempt < len(delays) else "giving up"
        logger.info(
            "%s %s failed (attempt %d of %d): %s; %s",
            doing,
            redact_url(self.base_url),
            attempt,
            len(delays),
            _why(error),
            then,
        )

    async def _claim_all(
        self,
    ) -> tuple[list[int], dict[int, JanusError], BaseException | None]:
        """Claim every routed session on the new link, all at once.

        Returns:
            The sessions claimed, those refused (with the error: ``SessionNotFound``
            when the server forgot one), and a connection failure or timeout that
            spoils this attempt (or None).
        """
        sessions = self._protocol.session_ids
        results = await asyncio.gather(
            *(self.request(msg.claim(session_id)) for session_id in sessions),
            return_exceptions=True,
        )
        claimed: list[int] = []
        lost: dict[int, JanusError] = {}
        for session_id, result in zip(sessions, results, strict=True):
            if isinstance(result, JanusConnectionError | TimeoutError):
                return [], {}, result
            if isinstance(result, JanusError):
                lost[session_id] = result
            elif isinstance(result, BaseException):  # not expected: spoils this attempt
                return [], {}, result
            else:
                claimed.append(session_id)
        return claimed, lost, None

    def _reconnected(self, claimed: list[int], lost: dict[int, JanusError], attempts: int) -> None:
        self._reconnect_task = None
        self._connected = True
        self._unclaimed = lost
        self._end_reconnecting(None)
        logger.warning(
            "reconnected to %s (attempt %d): %d session(s) reclaimed, %d lost",
            redact_url(self.base_url),
            attempts,
            len(claimed),
            len(lost),
        )
        for session_id, error in lost.items():
            self._notify(ConnectionEvent(ConnectionState.LOST, frozenset({session_id}), error))
        self._notify(ConnectionEvent(ConnectionState.RECONNECTED, frozenset(claimed)))

    async def _resend_kept(self, lost: dict[int, JanusError]) -> None:
        """Send again the idempotent requests kept at the drop (their deadlines stand)."""
        kept = list(self._resend.values())
        self._resend.clear()
        for flight in kept:
            if flight.waiter.done() or self._closed:
                continue
            session_id = flight.outgoing.request.session_id
            if session_id is not None and session_id in lost:
                self._protocol.forget(flight.outgoing.transaction)
                flight.waiter.set_exception(
                    _not_reclaimed(flight.outgoing.request, lost[session_id])
                )
            elif not self._connected or self._reconnect_task is not None:
                self._resend[flight.waiter] = flight  # dropped again: the next reconnect sends it
            else:
                try:
                    await self._transmit(flight.outgoing, flight.waiter)
                except TransportClosed:
                    self._resend[flight.waiter] = flight

    def _give_up(self, error: JanusError) -> None:
        """Lose the connection for good: every session is lost, every request fails."""
        self._connected = False
        self._end_reconnecting(error)
        self._resend.clear()
        logger.warning("lost the connection to %s: %s", redact_url(self.base_url), error)
        self._notify(
            ConnectionEvent(ConnectionState.LOST, frozenset(self._protocol.session_ids), error)
        )
        self._fail_pending(error)

    def _end_reconnecting(self, error: JanusError | None) -> None:
        future, self._reconnecting = self._reconnecting, None
        if future is None or future.done():
            return
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)
            future.exception()  # retrieved: waiting requests raise it, if there are any

    def _fail_pending(self, error: JanusError) -> None:
        for rejected in self._protocol.fail_all(error):
            self._reject(rejected)
