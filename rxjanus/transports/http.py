"""The HTTP transport: a POST per request and one long poll per session."""

from __future__ import annotations

import asyncio
import logging
import ssl as ssl_module
from typing import Any

import aiohttp

from ..exceptions import (
    JanusConnectionError,
    JanusError,
    SessionNotFound,
    TransportClosed,
    api_error,
)
from ..protocol import Outgoing
from ..protocol import messages as msg
from .base import (
    ConnectionEvent,
    ConnectionState,
    EventTarget,
    JanusTransport,
    Waiter,
    attempt_delays,
    is_retryable,
    redact_url,
    report_task_end,
)

__all__ = ["JanusTransportHTTP"]

logger = logging.getLogger(__name__)

_DEAD_POOLED_CONNECTION = (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)
"""What a POST on a pooled connection the peer had reset raises (not a failed connect:
``ClientConnectorError`` is a ``ClientOSError`` too, and is not retried)."""

LONG_POLL_SECONDS = 30.0
"""How long Janus holds a long poll open before it answers ``keepalive``."""


class JanusTransportHTTP(JanusTransport):
    """Talks to Janus over its REST interface with one pooled aiohttp client.

    Requests are POSTed to ``<base>/<session>/<handle>``; every registered
    session has one long poll ``GET <base>/<session>?maxev=N`` that brings its
    events, up to ``max_events`` at a time. An idempotent request
    ([`is_retryable`][rxjanus.transports.base.is_retryable]: ``keepalive``, ``info`` ...)
    that fails on a pooled connection the peer had closed or reset (right after a
    cut) is sent once more, as aiohttp does for a ``GET``.

    HTTP has no link to lose, so nothing needs claiming: when a long poll
    fails, the listeners hear the session is
    [`RECONNECTING`][rxjanus.transports.base.ConnectionState.RECONNECTING], and the
    transport probes with a ``keepalive`` (at once, then ``max_retries`` more
    times after doubling delays from ``retry_delay``). An ``ack`` means
    [`RECONNECTED`][rxjanus.transports.base.ConnectionState.RECONNECTED] and polling
    goes on; 458 (the server restarted or timed the session out) or a poll
    answered 404 loses that session with ``SessionNotFound``; when the probes
    run out (or at once with ``reconnect=False``) the transport gives up: every
    session is lost and pending requests fail with ``TransportClosed``. A
    failed POST fails its own request with ``TransportClosed``; POSTs of other
    requests are not retried (they may have reached Janus).

    A limit of Janus's HTTP transport: it does not notice that a long poll was
    cut (the connection is suspended while it waits), so it may hand the next
    events of the session to that dead poll, where they are lost, and leave the
    new poll waiting until its 30 s timeout. WebSocket has no such gap.

    Args:
        base_url: ``http://`` or ``https://`` URL of the Janus REST root, e.g.
            ``http://127.0.0.1:8088/janus``.
        max_events: Events Janus may batch in one long-poll reply.
        **options: See [`JanusTransport`][rxjanus.transports.base.JanusTransport].
    """

    schemes = ("http", "https")
    _reconnects_link = False  # no link to reconnect: long polls recover on their own

    def __init__(
        self,
        base_url: str,
        api_secret: str | None = None,
        token: str | None = None,
        *,
        max_events: int = 10,
        **options: Any,
    ) -> None:
        super().__init__(base_url.rstrip("/"), api_secret, token, **options)
        if max_events < 1:
            raise ValueError("max_events must be at least 1")
        self.max_events = max_events
        self._http: aiohttp.ClientSession | None = None
        self._polls: dict[int, asyncio.Task[None]] = {}

    async def _open(self) -> None:
        if self._http is None:
            ssl: ssl_module.SSLContext | bool = self.ssl if self.ssl is not None else True
            self._http = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0, ssl=ssl),
                headers={"Content-Type": "application/json"},
            )
        try:
            async with self._http.get(f"{self.base_url}/info") as response:
                await response.read()
                if response.status != 200:
                    raise JanusConnectionError(
                        f"{redact_url(self.base_url)} is not a Janus REST root "
                        f"(GET /info answered HTTP {response.status})"
                    )
        except aiohttp.ClientError as exc:
            raise OSError(str(exc) or type(exc).__name__) from exc

    def _url(self, outgoing: Outgoing) -> str:
        request = outgoing.request
        session_id, handle_id = request.session_id, request.handle_id
        if session_id is None:
            return self.base_url
        if handle_id is None:
            return f"{self.base_url}/{session_id}"
        return f"{self.base_url}/{session_id}/{handle_id}"

    async def _transmit(self, outgoing: Outgoing, waiter: Waiter) -> None:
        http = self._http
        if http is None or not self._connected:
            raise TransportClosed(f"HTTP transport to {redact_url(self.base_url)} is closed")
        url = self._url(outgoing)
        try:
            try:
                body, status = await self._post(http, url, outgoing)
            except _DEAD_POOLED_CONNECTION as exc:
                if isinstance(exc, aiohttp.ClientConnectorError) or not is_retryable(
                    outgoing.request
                ):
                    raise
                # A pooled keep-alive connection a cut had reset: an idempotent request
                # goes again, once, on another connection (aiohttp does so for a GET).
                logger.debug(
                    "%r to %s failed on a pooled connection (%s); sending it again",
                    outgoing.request.janus,
                    redact_url(self.base_url),
                    exc,
                )
                body, status = await self._post(http, url, outgoing)
        except aiohttp.ClientError as exc:
            raise TransportClosed(
                f"HTTP request to {redact_url(self.base_url)} failed: {exc}"
            ) from exc
        if body:
            self._receive(body)
        if status >= 400 and not waiter.done():
            waiter.set_exception(api_error(status, f"HTTP {status} from Janus"))

    @staticmethod
    async def _post(http: aiohttp.ClientSession, url: str, outgoing: Outgoing) -> tuple[bytes, int]:
        async with http.post(url, data=outgoing.text) as response:
            return await response.read(), response.status

    # -- long polls ---------------------------------------------------------------

    def add_session(self, session_id: int, target: EventTarget) -> None:
        """Route the session's events and start its long poll."""
        super().add_session(session_id, target)
        if session_id not in self._polls:
            self._polls[session_id] = asyncio.create_task(
                self._poll(session_id), name=f"rxjanus-http-poll {session_id}"
            )

    def remove_session(self, session_id: int) -> None:
        """Stop routing the session's events and end its long poll."""
        super().remove_session(session_id)
        poll = self._polls.pop(session_id, None)
        if poll is not None:
            poll.cancel()

    async def _poll(self, session_id: int) -> None:
        url = f"{self.base_url}/{session_id}"
        params: dict[str, str] = {"maxev": str(self.max_events)}
        params.update(self._protocol.credentials())
        timeout = aiohttp.ClientTimeout(total=LONG_POLL_SECONDS + self.timeout)
        while self._http is not None:
            try:
                async with self._http.get(url, params=params, timeout=timeout) as response:
                    body = await response.read()
                    status = response.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                if await self._recover(session_id, exc):
                    continue
                return
            if status == 404:
                if self._polls.pop(session_id, None) is not None:  # still ours: not removed
                    logger.debug("session %d is gone; its long poll ends", session_id)
                    gone = SessionNotFound(458, f"the long poll of session {session_id} got 404")
                    self._notify(
                        ConnectionEvent(ConnectionState.LOST, frozenset({session_id}), gone)
                    )
                return
            if body:
                self._receive(body)

    async def _recover(self, session_id: int, failure: BaseException) -> bool:
        """After a failed long poll, probe with ``keepalive`` until the server answers.

        The HTTP counterpart of reconnect-and-claim: the first probe goes at
        once, then up to ``max_retries`` more after doubling delays.

        Returns:
            Whether to poll again (the session is still known to the server).
        """
        sessions = frozenset({session_id})
        where = redact_url(self.base_url)
        error = TransportClosed(f"long poll of session {session_id} to {where} failed: {failure}")
        error.__cause__ = failure
        if not self.reconnect:
            self._polls.pop(session_id, None)
            self._give_up(error)
            return False
        logger.warning("%s; probing with keepalive", error)
        self._notify(ConnectionEvent(ConnectionState.RECONNECTING, sessions, error))
        last = failure
        delays = list(attempt_delays(self.retry_delay, self.max_retries))
        for attempt, delay in enumerate(delays, 1):
            if delay:
                await asyncio.sleep(delay)
            if self._closed or session_id not in self._polls:
                return False  # closed, or the session was removed meanwhile
            try:
                await self.request(msg.keepalive(session_id))
            except (JanusConnectionError, TimeoutError) as exc:
                last = exc
                self._log_retry(f"probing session {session_id} on", attempt, delays, exc)
                continue
            except JanusError as exc:  # 458: the server forgot the session (it restarted)
                self._polls.pop(session_id, None)
                self._notify(ConnectionEvent(ConnectionState.LOST, sessions, exc))
                return False
            logger.warning(
                "the long poll of session %d on %s goes on (probe %d answered)",
                session_id,
                where,
                attempt,
            )
            self._notify(ConnectionEvent(ConnectionState.RECONNECTED, sessions))
            return True
        self._polls.pop(session_id, None)
        probes = f"{len(delays)} keepalive probe{'' if len(delays) == 1 else 's'}"
        gave_up = TransportClosed(
            f"long poll of session {session_id} to {where} failed and {probes} after it too: {last}"
        )
        gave_up.__cause__ = last
        self._give_up(gave_up)
        return False

    async def _close(self) -> None:
        polls = list(self._polls.values())
        self._polls.clear()
        for poll in polls:
            poll.cancel()
        await asyncio.gather(*polls, return_exceptions=True)
        http, self._http = self._http, None
        if http is not None:
            await http.close()

    # -- janus_client's names (its long-poll tasks) ------------------------------------

    def session_receive_response_done_cb(
        self, task: asyncio.Task[Any], context: object = None
    ) -> None:
        """Log how a long-poll task ended (usable as a done callback)."""
        report_task_end(task)

    async def session_receive_response(
        self, session_id: int, destroyed_event: asyncio.Event
    ) -> None:
        """Wait while the long poll of ``session_id`` runs, or until ``destroyed_event`` is set.

        rxjanus starts the poll when the session is routed (``add_session``).
        """
        poll = self._polls.get(session_id)
        if poll is None or destroyed_event.is_set():
            return
        stop = asyncio.ensure_future(destroyed_event.wait())
        try:
            await asyncio.wait([poll, stop], return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
