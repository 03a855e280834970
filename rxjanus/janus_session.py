"""The Janus session: the awaitable entry point shared by plugin handles."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl as ssl_module
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from reactivex.subject import Subject

from .exceptions import (
    InvalidStateError,
    JanusApiError,
    JanusError,
    PluginAttachFail,
    ProtocolError,
    ServerUnreachable,
    SessionLost,
    SessionNotFound,
    TransportClosed,
)
from .protocol import JSON, Request
from .protocol import messages as msg
from .stream import Stream
from .transaction import MessageTransaction, raw_request, transaction_of
from .transports import JanusTransport, create_transport
from .transports.base import ConnectionEvent, ConnectionState

if TYPE_CHECKING:
    from .plugins.base import JanusPlugin

__all__ = ["JanusSession", "PluginAttachFail"]

logger = logging.getLogger(__name__)


class JanusSession:
    """A session on a Janus server, shared by plugin handles.

    ``async with session`` creates the session on enter; on exit it detaches
    every plugin handle still attached and destroys the session (and closes the
    transport, if the session made it).

    If the connection drops, the transport reconnects and claims the session
    again: handles, their peer connections and every event stream carry on, and
    [`events`][rxjanus.janus_session.JanusSession.events] reports ``reconnecting`` then
    ``reconnected``. If the server forgot the session meanwhile (458: its
    ``reclaim_session_timeout`` is 0 or passed) or reconnecting fails after the retries, the session
    is lost: its streams and those of its handles error with
    [`SessionLost`][rxjanus.exceptions.SessionLost], and its awaitables raise it.

    The first four parameters are janus_client's, in its order
    (``JanusSession(base_url, api_secret, token, transport)``); the rest are
    keyword-only.

    Args:
        base_url: The server URL: ``ws://``, ``wss://``, ``http://``, ``https://``
            or ``unix:///path/to/janus.sock``.
        api_secret: The server's ``api_secret``, if it has one.
        token: An auth token, if the server wants one.
        transport: A transport to use instead of making one from ``base_url``;
            the session then leaves it open when destroyed.
        timeout: Seconds each request may take before ``TimeoutError``.
        max_retries: Extra connection attempts when the server cannot be reached,
            when connecting and when reconnecting.
        retry_delay: Seconds before the first retry; doubles with each retry.
        reconnect: Reconnect and reclaim the session when the connection drops
            (the default). If False the first drop loses the session. On a shared
            ``transport`` this is the session's own choice: the transport's
            ``reconnect`` says whether the link is reopened for the others.
        keepalive_interval: Seconds between the keepalives sent in the background
            once the session is created; None or 0 sends none.
        ssl: SSL context for ``wss://`` and ``https://`` (default: verified with
            the system's trust store).
    """

    def __init__(
        self,
        base_url: str = "",
        api_secret: str | None = None,
        token: str | None = None,
        transport: JanusTransport | None = None,
        *,
        timeout: float = 30.0,
        max_retries: int = 3,
        retry_delay: float = 1.0,
        reconnect: bool = True,
        keepalive_interval: float | None = 30.0,
        ssl: ssl_module.SSLContext | None = None,
    ) -> None:
        if keepalive_interval is not None and keepalive_interval < 0:
            raise ValueError("keepalive_interval must not be negative")
        self._transport_options: dict[str, Any] = {
            "timeout": timeout,
            "max_retries": max_retries,
            "retry_delay": retry_delay,
            "reconnect": reconnect,
            "api_secret": api_secret,
            "token": token,
            "ssl": ssl,
        }
        self.base_url = base_url
        if transport is None:
            if not base_url:
                raise ValueError("JanusSession needs a base_url or a transport")
            transport = create_transport(base_url, **self._transport_options)
            self._owns_transport = True
        else:
            self._owns_transport = False
        self.transport = transport
        self.timeout = timeout
        self.reconnect = reconnect
        self.keepalive_interval = keepalive_interval
        self.plugin_handles: dict[int, JanusPlugin] = {}
        self._session_id: int | None = None
        self._lost: SessionLost | None = None
        self._events: Subject[JSON] = Subject()
        self._lock = asyncio.Lock()
        self._keepalive_task: asyncio.Task[None] | None = None
        self._remove_listener: Callable[[], None] | None = None
        self._destroying = False

    def __repr__(self) -> str:
        state = f"id={self._session_id}" if self._session_id is not None else "not created"
        return f"<JanusSession {state} via {self.transport!r}>"

    # -- state --------------------------------------------------------------------

    @property
    def session_id(self) -> int | None:
        """The Janus session id, or None before ``create()`` and after ``destroy()``."""
        return self._session_id

    @property
    def created(self) -> bool:
        """Whether the session exists on the server (as far as we know)."""
        return self._session_id is not None

    @property
    def events(self) -> Stream[JSON]:
        """Session-level events, as dicts with a ``janus`` kind.

        From Janus: ``timeout`` (the server timed the session out; the stream
        then errors with ``SessionLost``). Made by rxjanus, with ``session_id``:

        * ``reconnecting`` (with ``reason``): the connection dropped; the
          transport is reconnecting. Requests made now wait for it, within
          their timeout; events Janus sends before the session is claimed
          again are lost.
        * ``reconnected``: the session was claimed on a new connection; its
          handles and media carry on.
        * ``transport_lost`` (with ``reason``): the session ends with its
          connection (reconnecting failed, the server no longer knew the
          session, or ``reconnect`` is False); the stream then errors with
          ``SessionLost``.

        Events of plugin handles go to each plugin's own ``events``; those that
        arrive for a handle already detached are dropped. The stream
        completes when the session is destroyed and errors with
        [`SessionLost`][rxjanus.exceptions.SessionLost] when it ends otherwise.

        Also an async iterable ([Stream][rxjanus.stream.Stream]): ``async for
        event in session.events`` (bounded, disposed when the loop is left).
        """
        return Stream(self._events)

    # -- lifecycle ----------------------------------------------------------------

    async def create(self) -> None:
        """Create the session on the server; does nothing if it exists.

        Raises:
            ConnectionError: The server cannot be reached (after the retries).
            TimeoutError: No reply within ``timeout``.
            JanusApiError: Janus refused (e.g. ``Unauthorized``).
        """
        async with self._lock:
            if self._session_id is not None:
                return
            if self._owns_transport and self.transport.closed:
                self.transport = create_transport(self.base_url, **self._transport_options)
            try:
                reply = await self.transport.request(msg.create(), timeout=self.timeout)
            except JanusApiError as exc:
                # The same class and code, in janus_client's wording.
                error = {"code": exc.code, "reason": exc.reason}
                raise type(exc)(exc.code, f"Create session fail: {error}") from exc
            session_id = _reply_id(reply)
            if self._events.is_disposed or self._lost is not None or self._events_ended:
                self._events = Subject()
            self._lost = None
            self._events_ended = False
            self._session_id = session_id
            self._keepalive_request = msg.keepalive(session_id)
            self.transport.add_session(session_id, self._on_message)
            self._remove_listener = self.transport.add_listener(self._on_connection)
            await self.transport.dispatch_session_created(session_id)
            if self.keepalive_interval:
                self._keepalive_task = asyncio.create_task(
                    self._keepalive_loop(self.keepalive_interval),
                    name=f"rxjanus-keepalive {session_id}",
                )
            logger.debug("created session %d", session_id)

    async def destroy(self) -> None:
        """Detach every plugin handle, destroy the session, and close our transport.

        Safe to call twice, before ``create()`` and after errors; errors from the
        server while tearing down are logged, not raised.
        """
        async with self._lock:
            session_id = self._session_id
            if session_id is not None:
                self._destroying = True
                try:
                    for plugin in list(self.plugin_handles.values()):
                        await plugin.destroy()
                    await self._stop_keepalive()
                    transport = self.transport
                    # While reconnecting, the destroy waits (within the timeout) for the claim.
                    if self._lost is None and (transport.connected or transport.reconnecting):
                        try:
                            await transport.request(msg.destroy(session_id), timeout=self.timeout)
                        except (JanusError, TimeoutError) as exc:
                            logger.debug("destroying session %d: %s", session_id, exc)
                finally:
                    self._destroying = False
                self._forget()
                await self.transport.dispatch_session_destroyed(session_id)
                if not self._events_ended:
                    self._events_ended = True
                    self._events.on_completed()
                logger.debug("destroyed session %d", session_id)
            if self._owns_transport:
                await self.transport.close()

    async def __aenter__(self) -> JanusSession:
        try:
            await self.create()
        except BaseException:
            # Nothing to destroy: close the transport we made (not one passed in),
            # or its tasks and sockets outlive the failed ``async with``.
            if self._owns_transport:
                await self.transport.close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.destroy()

    # -- requests -----------------------------------------------------------------

    async def keepalive(self) -> None:
        """Send one keepalive and return once Janus acknowledges it."""
        request = self._keepalive_request
        if request is None or self._lost is not None or self._session_id is None:
            request = msg.keepalive(await self._ensure_created())
        await self.request(request)

    async def request(self, request: Request, *, timeout: float | None = None) -> JSON:
        """Send a request on this session's transport.

        Args:
            request: Built with [`rxjanus.protocol.messages`][rxjanus.protocol.messages].
            timeout: Seconds to wait (default: the session's ``timeout``).

        Returns:
            The reply that completes the request.

        Raises:
            SessionLost: The session ended on the server or with its transport,
                before the request or while it waited for a reconnection.
            TransportClosed: The connection dropped while the request was in
                flight and it is not one that is sent again (see
                [`rxjanus.transports.base`][rxjanus.transports.base]); the session may well survive.
                Also when the session is lost by that very drop (``reconnect``
                False): the request's own fate is what is unknown.
            TimeoutError: No reply in time (also: the reconnection it waited for
                did not come in time).
        """
        if self._lost is not None:
            raise self._lost
        try:
            return await self.transport.request(
                request, timeout=self.timeout if timeout is None else timeout
            )
        except SessionNotFound as exc:
            if self._lost is not None:
                raise self._lost  # noqa: B904 - keeps the cause it was lost with
            if request.session_id is not None and request.session_id == self._session_id:
                self._lose(SessionLost(f"session {self._session_id} no longer exists: {exc}"))
            raise
        except ServerUnreachable:
            # It waited for a reconnection that failed: the session is lost with it. (A
            # request in flight at a drop keeps its TransportClosed: its fate is unknown.)
            if self._lost is not None:
                raise self._lost  # noqa: B904 - keeps the cause it was lost with
            raise

    async def send(
        self, message: JSON, handle_id: int | None = None, *, timeout: float | None = None
    ) -> MessageTransaction:
        """Send a raw Janus request (a dict with ``janus``) on this session.

        The session id, handle id, transaction and credentials are filled in (a
        ``session_id`` or ``transaction`` in ``message`` is dropped with a warning,
        as janus_client does). Creates the session first if needed.

        Args:
            message: The request, e.g. ``{"janus": "keepalive"}``.
            handle_id: The plugin handle it addresses, if any.
            timeout: Seconds to wait (default: the session's ``timeout``).

        Returns:
            The reply that completes it (``ack`` for keepalive and trickle, the
            plugin's event for ``message``, ``success`` otherwise), as a
            [MessageTransaction][rxjanus.transaction.MessageTransaction]: a dict
            of the reply that also answers janus_client's ``await tx.get(matcher,
            timeout)`` and ``await tx.done()``.

        Raises:
            ValueError: ``message`` has no ``janus`` field.
            JanusApiError: Janus answered with an error (typed by code).
            SessionLost: The session ended on the server or with its transport.
            TimeoutError: No reply in time.
        """
        if "session_id" in message:
            logger.warning("send: dropping the session_id set in the message; it is ours")
            message = {key: value for key, value in message.items() if key != "session_id"}
        session_id = await self._ensure_created()
        request = raw_request(message, session_id, handle_id)
        return transaction_of(request, await self.request(request, timeout=timeout))

    async def attach_handle(self, plugin: JanusPlugin, *, opaque_id: str | None = None) -> int:
        """Attach ``plugin`` to this session (``plugin.attach(session)`` calls this).

        Returns:
            The new handle id.

        Raises:
            PluginAttachFail: Janus refused the attach; carries the code and reason.
        """
        session_id = await self._ensure_created()
        try:
            reply = await self.request(msg.attach(session_id, plugin.name, opaque_id))
        except JanusError as exc:
            code = getattr(exc, "code", 490)
            reason = getattr(exc, "reason", str(exc))
            # janus_client's form and wording, so that code matching on it still does.
            error = {"janus": "error", "error": {"code": code, "reason": reason}}
            raise PluginAttachFail(error) from exc
        handle_id = _reply_id(reply)
        self.plugin_handles[handle_id] = plugin
        self.transport.add_handle(handle_id, plugin.receive)
        return handle_id

    def detach_handle(self, handle_id: int) -> None:
        """Forget a plugin handle locally (after it was detached)."""
        self.transport.remove_handle(handle_id)
        self.plugin_handles.pop(handle_id, None)

    # -- janus_client's names -------------------------------------------------------

    async def attach_plugin(self, plugin: JanusPlugin) -> int:
        """Attach ``plugin`` and return its handle id (janus_client's name of `attach_handle`).

        Raises:
            PluginAttachFail: Janus refused the attach.
        """
        return await self.attach_handle(plugin)

    def detach_plugin(self, plugin_handle: JanusPlugin) -> None:
        """Forget ``plugin_handle`` locally, as janus_client does (it sends nothing).

        Raises:
            Exception: The plugin was never attached ("Plugin not properly initialized").
            KeyError: This session does not hold the plugin's handle.
        """
        handle_id = plugin_handle.id
        if handle_id is None:
            raise Exception("Plugin not properly initialized")  # janus_client's class and wording
        del self.plugin_handles[handle_id]

    async def on_receive(self, response: JSON) -> None:
        """Handle ``response`` as if Janus had sent it on this session.

        It goes through the transport's routing: a handle's message (``sender``)
        to that plugin, a session-level one to `events`. The transport
        calls no such method: messages reach sessions and plugins directly.
        """
        if self._session_id is not None and "session_id" not in response:
            response = {**response, "session_id": self._session_id}
        await self.transport.receive(response)

    # -- internals ----------------------------------------------------------------

    _events_ended = False
    _keepalive_request: Request | None = None

    async def _ensure_created(self) -> int:
        if self._lost is not None:
            raise self._lost
        if self._session_id is None:
            await self.create()
        if self._session_id is None:  # pragma: no cover - create() sets it or raises
            raise InvalidStateError("the session could not be created")
        return self._session_id

    def _on_message(self, message: JSON) -> None:
        if "sender" in message:
            # A handle's message after we detached it (its late ``detached``, a final
            # plugin event): nobody listens for that handle any more.
            logger.debug(
                "session %s: message for a detached handle: %.200r", self._session_id, message
            )
            return
        if message.get("janus") == "timeout":
            self._events.on_next(message)
            self._lose(SessionLost(f"session {self._session_id} timed out on the server"))
            return
        self._events.on_next(message)

    def _on_connection(self, event: ConnectionEvent) -> None:
        """Hear the transport's reconnecting / reconnected / lost, for this session."""
        session_id = self._session_id
        if session_id is None or session_id not in event.sessions or self._lost is not None:
            return
        state = event.state
        reason = str(event.error) if event.error is not None else ""
        if state is ConnectionState.RECONNECTED:
            self._events.on_next({"janus": "reconnected", "session_id": session_id})
        elif state is ConnectionState.RECONNECTING and self.reconnect:
            self._events.on_next(
                {"janus": "reconnecting", "session_id": session_id, "reason": reason}
            )
        elif not self._destroying:  # LOST, or RECONNECTING when we do not reconnect
            cause = event.error or TransportClosed("the connection was lost")
            if isinstance(cause, SessionNotFound):
                text = f"session {session_id} lost: the server no longer knows it ({cause})"
            else:
                text = f"session {session_id} lost with its transport: {cause}"
            self._events.on_next(
                {"janus": "transport_lost", "session_id": session_id, "reason": str(cause)}
            )
            lost = SessionLost(text)
            lost.__cause__ = cause
            self._lose(lost)

    def _lose(self, error: SessionLost) -> None:
        """End the session locally after the server or the transport ended it."""
        if self._lost is not None or self._session_id is None:
            return
        logger.warning("%s", error)
        self._lost = error
        task = self._keepalive_task
        self._keepalive_task = None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
        self._forget()
        self._events_ended = True
        self._events.on_error(error)

    def _forget(self) -> None:
        if self._session_id is not None:
            self.transport.remove_session(self._session_id)
        if self._remove_listener is not None:
            self._remove_listener()
            self._remove_listener = None
        self._session_id = None
        self._keepalive_request = None
        self.plugin_handles.clear()

    async def _stop_keepalive(self) -> None:
        task, self._keepalive_task = self._keepalive_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _keepalive_loop(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await self.keepalive()
            except (SessionLost, SessionNotFound):
                return
            except (JanusError, TimeoutError) as exc:
                logger.warning("keepalive of session %s failed: %s", self._session_id, exc)


def _reply_id(reply: JSON) -> int:
    data = reply.get("data")
    value = data.get("id") if isinstance(data, dict) else None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ProtocolError(f"reply without a numeric data.id: {reply!r:.200}")
    return value
