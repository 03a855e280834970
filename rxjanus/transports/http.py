"""The HTTP transport: a POST per request and one long poll per session."""

from __future__ import annotations

import asyncio
import logging
import ssl as ssl_module
from typing import Any

import aiohttp

from ..exceptions import JanusConnectionError, TransportClosed, api_error
from ..protocol import Outgoing, backoff
from .base import EventTarget, JanusTransport, Waiter, redact_url

__all__ = ["JanusTransportHTTP"]

logger = logging.getLogger(__name__)

LONG_POLL_SECONDS = 30.0
"""How long Janus holds a long poll open before it answers ``keepalive``."""


class JanusTransportHTTP(JanusTransport):
    """Talks to Janus over its REST interface with one pooled aiohttp client.

    Requests are POSTed to ``<base>/<session>/<handle>``; every registered
    session has one long poll ``GET <base>/<session>?maxev=N`` that brings its
    events, up to ``max_events`` at a time.

    Args:
        base_url: ``http://`` or ``https://`` URL of the Janus REST root, e.g.
            ``http://127.0.0.1:8088/janus``.
        max_events: Events Janus may batch in one long-poll reply.
        **options: See :class:`~rxjanus.transports.base.JanusTransport`.
    """

    schemes = ("http", "https")

    def __init__(self, base_url: str, *, max_events: int = 10, **options: Any) -> None:
        super().__init__(base_url.rstrip("/"), **options)
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

    async def _send(self, outgoing: Outgoing, waiter: Waiter) -> None:
        http = self._http
        if http is None or not self._connected:
            raise TransportClosed(f"HTTP transport to {redact_url(self.base_url)} is closed")
        try:
            async with http.post(self._url(outgoing), data=outgoing.text) as response:
                body = await response.read()
                status = response.status
        except aiohttp.ClientError as exc:
            raise TransportClosed(
                f"HTTP request to {redact_url(self.base_url)} failed: {exc}"
            ) from exc
        if body:
            self._receive(body)
        if status >= 400 and not waiter.done():
            waiter.set_exception(api_error(status, f"HTTP {status} from Janus"))

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
        delays = backoff(self.retry_delay)
        failures = 0
        while self._http is not None:
            try:
                async with self._http.get(url, params=params, timeout=timeout) as response:
                    body = await response.read()
                    status = response.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                failures += 1
                if failures > self.max_retries:
                    self._connection_lost(
                        TransportClosed(
                            f"long poll to {redact_url(self.base_url)} failed "
                            f"{failures} times: {exc}"
                        )
                    )
                    return
                await asyncio.sleep(next(delays))
                continue
            failures = 0
            delays = backoff(self.retry_delay)
            if status == 404:
                logger.debug("session %d is gone; its long poll ends", session_id)
                self._polls.pop(session_id, None)
                return
            if body:
                self._receive(body)

    async def _close(self) -> None:
        polls = list(self._polls.values())
        self._polls.clear()
        for poll in polls:
            poll.cancel()
        await asyncio.gather(*polls, return_exceptions=True)
        http, self._http = self._http, None
        if http is not None:
            await http.close()
