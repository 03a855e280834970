"""The plugin handle base class: attach, send, events, detach."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, ClassVar

from reactivex import Observable
from reactivex.subject import Subject

from ..exceptions import InvalidStateError, JanusError, PluginError, SessionLost
from ..protocol import JSON, Expect, plugin_data
from ..protocol import messages as msg

if TYPE_CHECKING:
    from ..janus_session import JanusSession

__all__ = ["JanusPlugin"]

logger = logging.getLogger(__name__)

_TEARDOWNS: set[asyncio.Task[None]] = set()
"""Teardowns scheduled from callbacks, kept referenced until they finish."""


@contextlib.contextmanager
def plugin_errors(error_class: type[PluginError]) -> Iterator[None]:
    """Raise the core's :class:`PluginError` as ``error_class`` (a plugin's subclass of it)."""
    try:
        yield
    except error_class:
        raise
    except PluginError as exc:
        raise error_class(exc.code, exc.reason) from exc


class JanusPlugin:
    """A handle on one Janus plugin, attached to a session.

    Subclasses set ``name`` to the plugin's package name. Any plugin can be
    driven without a subclass: ``JanusPlugin(plugin_id="janus.plugin.echojs")``.

    A reply to our own request resolves that request and is not emitted on
    ``events``; everything unsolicited for this handle (plugin events,
    ``webrtcup``, ``media``, ``slowlink``, ``hangup``, ``detached``,
    ``ice-failed``, ``trickle``) is.

    Args:
        plugin_id: The plugin's package name, if the class does not set one.
    """

    name: ClassVar[str] = ""

    janus_requests: ClassVar[Mapping[str, str]] = {}
    """Each request the plugin's Janus documentation lists, and the method that sends it."""

    janus_events: ClassVar[Mapping[str, str]] = {}
    """Each event the plugin's Janus documentation lists, and where it reaches the user."""

    def __init__(self, *, plugin_id: str | None = None) -> None:
        if plugin_id is not None:
            self.name = plugin_id  # type: ignore[misc]
        if not self.name:
            raise ValueError(f"{type(self).__name__} needs a plugin_id")
        self._session: JanusSession | None = None
        self._handle_id: int | None = None
        self._events: Subject[JSON] = Subject()
        self._ended = False
        self._detaching: asyncio.Future[None] | None = None
        self._lost: SessionLost | None = None

    def __repr__(self) -> str:
        state = f"id={self._handle_id}" if self._handle_id is not None else "detached"
        return f"<{type(self).__name__} {self.name} {state}>"

    @property
    def id(self) -> int | None:
        """The handle id, or None when not attached."""
        return self._handle_id

    @property
    def session(self) -> JanusSession | None:
        """The session the handle is attached to."""
        return self._session

    @property
    def attached(self) -> bool:
        """Whether the handle is attached."""
        return self._handle_id is not None

    @property
    def events(self) -> Observable[JSON]:
        """Unsolicited messages for this handle, as Janus sent them.

        Completes when the handle is detached; errors with
        :class:`~rxjanus.exceptions.SessionLost` if its session ends otherwise.
        """
        return self._events

    async def attach(self, session: JanusSession) -> None:
        """Attach this handle to ``session`` (creating the session if needed).

        Raises:
            PluginAttachFail: Janus refused; carries the Janus code and reason.
            InvalidStateError: The handle is already attached.
        """
        if self._handle_id is not None:
            raise InvalidStateError(f"{self!r} is already attached")
        handle_id = await session.attach_handle(self)
        self._lost = None
        if self._ended:
            self._events = Subject()
            self._ended = False
        self._session = session
        self._handle_id = handle_id
        session.transport.add_handle(handle_id, self._on_message)
        logger.debug("attached %s as handle %d", self.name, handle_id)

    async def send(
        self,
        body: JSON,
        jsep: JSON | None = None,
        *,
        timeout: float | None = None,
        expect: Expect = Expect.EVENT,
    ) -> JSON:
        """Send a request to the plugin and return its reply.

        Args:
            body: The plugin request, e.g. ``{"request": "list"}``.
            jsep: An SDP offer or answer to go with it.
            timeout: Seconds to wait (default: the session's ``timeout``).
            expect: ``EVENT`` waits for the plugin's answer; ``ACK`` returns on
                Janus's ack.

        Returns:
            The whole reply (``plugindata``, and ``jsep`` if Janus sent one).

        Raises:
            PluginError: The plugin answered with ``error_code``.
            JanusApiError: Janus refused the message.
            TimeoutError: No answer in time.
        """
        session, handle_id = self._require_attached()
        assert session.session_id is not None
        request = msg.message(session.session_id, handle_id, body, jsep, expect=expect)
        return await session.request(request, timeout=timeout)

    async def request(self, body: JSON, *, timeout: float | None = None) -> JSON:
        """Send a request and return just the plugin's data (``plugindata.data``)."""
        reply = await self.send(body, timeout=timeout)
        return plugin_data(reply) or {}

    async def trickle(
        self, candidate: JSON | None = None, *, candidates: list[JSON] | None = None
    ) -> None:
        """Send ICE candidates to Janus; with none, signal end-of-candidates."""
        session, handle_id = self._require_attached()
        assert session.session_id is not None
        await session.request(
            msg.trickle(session.session_id, handle_id, candidate, candidates=candidates)
        )

    async def hangup(self) -> None:
        """Ask Janus to hang up this handle's PeerConnection."""
        session, handle_id = self._require_attached()
        assert session.session_id is not None
        await session.request(msg.hangup(session.session_id, handle_id))

    async def detach(self) -> None:
        """Detach the handle and release its media; safe to call twice, or at once.

        Every caller waits for the one teardown, which goes on even if a caller
        is cancelled. Errors from the server are logged, not raised: the handle
        is gone locally either way.
        """
        if self._detaching is None:
            if self._session is None or self._handle_id is None:
                return
            self._detaching = asyncio.ensure_future(self._detach(self._session, self._handle_id))
        await asyncio.shield(self._detaching)

    async def _detach(self, session: JanusSession, handle_id: int) -> None:
        try:
            if session.session_id is not None and session.transport.connected:
                await session.request(msg.detach(session.session_id, handle_id))
        except (JanusError, TimeoutError) as exc:
            logger.debug("detaching handle %d: %s", handle_id, exc)
        finally:
            self._forget()
            await self._teardown()
            self._end()
            self._detaching = None
        logger.debug("detached handle %d", handle_id)

    async def destroy(self) -> None:
        """Detach the handle (the janus_client name of :meth:`detach`)."""
        await self.detach()

    # -- for subclasses -----------------------------------------------------------

    def _next_event(self, predicate: Callable[[JSON], bool]) -> asyncio.Future[JSON]:
        """A future for the next event that satisfies ``predicate``; cancel it when done."""
        future: asyncio.Future[JSON] = asyncio.get_running_loop().create_future()

        def on_next(message: JSON) -> None:
            if not future.done() and predicate(message):
                future.set_result(message)

        def on_error(error: Exception) -> None:
            if not future.done():
                future.set_exception(error)

        def on_completed() -> None:
            if not future.done():
                future.set_exception(InvalidStateError(f"{self!r} was detached"))

        subscription = self.events.subscribe(on_next, on_error, on_completed)
        future.add_done_callback(lambda _: subscription.dispose())
        return future

    async def _teardown(self) -> None:
        """Release local resources (peer connection, media); for subclasses."""

    def _on_event(self, message: JSON) -> None:
        """Look at an unsolicited message before it is emitted; for subclasses."""

    # -- internals ----------------------------------------------------------------

    def _require_attached(self) -> tuple[JanusSession, int]:
        if self._session is None or self._handle_id is None:
            if self._lost is not None:
                raise self._lost
            raise InvalidStateError(f"{self!r} is not attached")
        return self._session, self._handle_id

    def _on_message(self, message: JSON) -> None:
        try:
            self._on_event(message)
        except Exception:
            logger.exception("%r failed on an event", self)
        self._events.on_next(message)
        if message.get("janus") == "detached" and self._detaching is None:
            self._forget()
            self._teardown_later()
            self._end()

    def _teardown_later(self) -> None:
        """Run :meth:`_teardown` in a task, for ends that come from the server."""
        task = asyncio.get_running_loop().create_task(self._teardown())
        _TEARDOWNS.add(task)
        task.add_done_callback(_TEARDOWNS.discard)

    def _forget(self) -> None:
        session, handle_id = self._session, self._handle_id
        if session is not None and handle_id is not None:
            session.transport.remove_handle(handle_id)
            session.detach_handle(handle_id)
        self._session = None
        self._handle_id = None

    def _end(self, error: Exception | None = None) -> None:
        if self._ended:
            return
        self._ended = True
        if error is None:
            self._events.on_completed()
        else:
            self._events.on_error(error)

    def _session_lost(self, error: SessionLost) -> None:
        """The session ended without us: forget the handle and end its events."""
        self._lost = error
        self._forget()
        self._teardown_later()
        self._end(error)
