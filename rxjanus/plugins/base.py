"""The plugin handle base class: attach, requests, events, detach.

Every plugin module builds on [JanusPlugin][rxjanus.plugins.base.JanusPlugin]:
it declares its plugin ``name``, its ``error_class`` and its ``classify_event``
once, and sends each of its requests with one call of `_call`.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import inspect
import logging
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from reactivex.abc import DisposableBase
from reactivex.disposable import Disposable
from reactivex.subject import Subject

from ..exceptions import InvalidStateError, JanusError, PluginError, SessionLost
from ..protocol import JSON, Expect, plugin_data
from ..protocol import messages as msg
from ..stream import Stream

if TYPE_CHECKING:
    from ..janus_session import JanusSession

__all__ = [
    "EventHandler",
    "JanusPlugin",
    "classify",
    "event_data",
    "plugin_errors",
    "request_body",
    "sends",
]

logger = logging.getLogger(__name__)

EventHandler = Callable[[JSON], Any]
"""An ``on_event`` handler: called with the event's data; may return an awaitable."""

EventKind = TypeVar("EventKind", bound=enum.Enum)
Method = TypeVar("Method", bound=Callable[..., Any])

_TEARDOWNS: set[asyncio.Task[None]] = set()
"""Teardowns scheduled from callbacks, kept referenced until they finish."""


@contextlib.contextmanager
def plugin_errors(error_class: type[PluginError]) -> Iterator[None]:
    """Raise the core's `PluginError` as ``error_class`` (a plugin's subclass of it)."""
    try:
        yield
    except error_class:
        raise
    except PluginError as exc:
        raise error_class(exc.code, exc.reason) from exc


def sends(*requests: str) -> Callable[[Method], Method]:
    """Declare the Janus requests a plugin method sends (they fill ``janus_requests``)."""

    def mark(method: Method) -> Method:
        vars(method)["_janus_requests"] = requests
        return method

    return mark


def event_data(message: JSON) -> JSON:
    """The plugin's data of a whole Janus message; a message without ``plugindata`` as is."""
    if "plugindata" in message:
        return plugin_data(message) or {}
    return message


def classify(
    message: JSON,
    plugin: str,
    kinds: type[EventKind],
    kind: Callable[[JSON], Any] | None = None,
    *,
    keys: Collection[str] = (),
    replies: Collection[str] = (),
) -> EventKind | None:
    """The kind of a plugin's message, as a member of ``kinds``.

    An ``event`` is ``kinds.ERROR`` with an ``error_code``; else the member
    ``kind(data)`` names, or that of the first of ``keys`` in the data. Any
    other message whose plugin key is one of ``replies`` is that member.

    Args:
        message: A whole Janus message or its plugin data.
        plugin: The plugin's key in its data (``"sip"`` for ``{"sip": "event"}``).
        kinds: The plugin's event-type enum (with an ``ERROR`` member).
        kind: Picks the kind's value out of an event's plugin data.
        keys: Data keys that mark an event: its kind (or, in a mapping, the key's value).
        replies: Values of the plugin key that are kinds of their own.

    Returns:
        The kind, or None for other messages (core messages included).
    """
    data = event_data(message)
    name = data.get(plugin)
    if name == "event":
        if "error_code" in data:
            return kinds["ERROR"]
        if kind is not None:
            name = kind(data)
        else:
            name = next((key for key in keys if key in data), None)
            name = keys.get(name) if isinstance(keys, Mapping) else name
    elif name not in replies:
        return None
    try:
        return kinds(name)
    except ValueError:
        return None


def request_body(request: str, options: Mapping[str, Any] | None = None, **fields: Any) -> JSON:
    """A plugin request: ``fields`` left None are not sent; ``options`` go as they are.

    An empty ``request`` sends none (EchoTest's one request has no name).

    A mapping among ``fields`` (e.g. SIP ``headers``) is sent as a dict.
    """
    body: JSON = {"request": request} if request else {}
    for key, value in fields.items():
        if value is not None:
            body[key] = dict(value) if isinstance(value, Mapping) else value
    body.update(options or {})
    return body


class JanusPlugin:
    """A handle on one Janus plugin, attached to a session.

    Subclasses set ``name`` to the plugin's package name, ``error_class`` to
    their [PluginError][rxjanus.exceptions.PluginError] subclass and
    ``classify_event`` to their event classifier. Any plugin can be driven
    without a subclass: ``JanusPlugin(plugin_id="janus.plugin.echojs")``.

    A reply to our own request resolves that request and is not emitted on
    ``events``; everything unsolicited for this handle (plugin events,
    ``webrtcup``, ``media``, ``slowlink``, ``hangup``, ``detached``,
    ``ice-failed``, ``trickle``) is, and is passed to `on_receive`.

    Args:
        plugin_id: The plugin's package name, if the class does not set one.
    """

    name: ClassVar[str] = ""
    """The plugin's package name, e.g. ``janus.plugin.videoroom`` (its one id)."""

    error_class: ClassVar[type[PluginError]] = PluginError
    """What the plugin's errors are raised as."""

    @staticmethod
    def classify_event(message: JSON) -> Any:
        """The plugin's event type of ``message`` (for `on_event`), or None."""
        del message
        return None

    janus_requests: ClassVar[Mapping[str, str]] = {}
    """Each request the plugin's Janus documentation lists, and the method that sends it.

    Collected from the methods marked with [sends][rxjanus.plugins.base.sends].
    """

    janus_events: ClassVar[Mapping[str, str]] = {}
    """Each event the plugin's Janus documentation lists, and where it reaches the user."""

    _misuse_class: ClassVar[type[PluginError]] = PluginError

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name and "janus_requests" not in vars(cls):
            requests: dict[str, str] = {}
            for klass in cls.__mro__:
                for attribute, value in vars(klass).items():
                    for request in getattr(value, "_janus_requests", ()):
                        requests.setdefault(request, attribute)
            cls.janus_requests = requests
        error_class = cls.__dict__.get("error_class")
        if error_class is not None:
            if not error_class.plugin_name:
                error_class.plugin_name = cls.name
            # Misuse is both the plugin's error (janus_client) and an InvalidStateError.
            cls._misuse_class = type(
                error_class.__name__,
                (error_class, InvalidStateError),
                {"__module__": error_class.__module__, "__qualname__": error_class.__qualname__},
            )

    def _misuse(self, reason: str, code: int = 0) -> PluginError:
        """The error for a call the handle's state does not allow (sent nothing).

        It is the plugin's ``error_class`` (with janus_client's code and wording)
        and an [InvalidStateError][rxjanus.exceptions.InvalidStateError].
        """
        return self._misuse_class(code, reason)

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
        self._session_watch: DisposableBase | None = None
        self._handlers: dict[Any, list[EventHandler]] = {}
        self._tasks: set[asyncio.Future[Any]] = set()

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
    def events(self) -> Stream[JSON]:
        """Unsolicited messages for this handle, as Janus sent them.

        Completes when the handle is detached; errors with
        [SessionLost][rxjanus.exceptions.SessionLost] if its session ends otherwise.
        Also an async iterator: `async for message in plugin.events` (bounded).
        """
        return Stream(self._events)

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
        self._session_watch = session.events.subscribe(
            on_error=lambda error: self._session_lost(error)
        )
        logger.debug("attached %s as handle %d", self.name, handle_id)

    def receive(self, message: JSON) -> None:
        """Take a message Janus sent for this handle (its session calls this)."""
        try:
            self._on_event(message)
        except Exception:
            logger.exception("%r failed on an event", self)
        self._trigger(message)
        if type(self).on_receive is not JanusPlugin.on_receive:
            self._spawn(self.on_receive(message))
        self._events.on_next(message)
        if message.get("janus") == "detached" and self._detaching is None:
            self._forget()
            self._teardown_later()
            self._end()

    async def on_receive(self, response: JSON) -> None:
        """Look at each unsolicited message (janus_client's extension point).

        Override it in a subclass; it runs as a task for each message that
        also goes to ``events``. Its errors are logged.
        """

    def on_event(self, event_type: Any, handler: EventHandler) -> DisposableBase:
        """Call ``handler(data)`` for each message of ``event_type`` (janus_client's API).

        Handlers see the plugin's unsolicited events and the replies to our
        own requests alike (the types ``classify_event`` gives), with the
        plugin's data. A handler may be a coroutine function; its errors are
        logged. ``events`` is the reactive alternative.

        Returns:
            A disposable that stops the calls.
        """
        self._handlers.setdefault(event_type, []).append(handler)

        def remove() -> None:
            with contextlib.suppress(ValueError):
                self._handlers.get(event_type, []).remove(handler)

        return Disposable(remove)

    async def send(
        self,
        message: JSON | None = None,
        jsep: JSON | None = None,
        *,
        timeout: float | None = None,
        expect: Expect = Expect.EVENT,
        body: JSON | None = None,
    ) -> JSON:
        """Send a request to the plugin and return its reply.

        A ``message`` with a ``janus`` kind is a whole Janus message (janus_client's
        form); it goes out as the session's ``send`` sends it, and what that
        returns is returned.

        Args:
            message: The plugin request, e.g. ``{"request": "list"}``, or a whole
                Janus message (janus_client's use).
            jsep: An SDP offer or answer to go with it.
            timeout: Seconds to wait (default: the session's ``timeout``).
            expect: ``EVENT`` waits for the plugin's answer; ``ACK`` returns on
                Janus's ack.
            body: Another name of ``message``, for a plugin request.

        Returns:
            The whole reply (``plugindata``, and ``jsep`` if Janus sent one).

        Raises:
            PluginError: The plugin answered with ``error_code``.
            JanusApiError: Janus refused the message.
            TimeoutError: No answer in time.
        """
        body = message if message is not None else body
        if body is None:
            raise TypeError("send() needs a message")
        session, handle_id = self._require_attached()
        if "janus" in body:
            whole = {k: v for k, v in body.items() if k != "handle_id"}
            # What the session's send returns (a janus_client user awaits a transaction).
            return await session.send(whole, handle_id, timeout=timeout)
        assert session.session_id is not None
        request = msg.message(session.session_id, handle_id, body, jsep, expect=expect)
        return await session.request(request, timeout=timeout)

    async def request(self, body: JSON, *, timeout: float | None = None) -> JSON:
        """Send a request and return just the plugin's data (``plugindata.data``)."""
        reply = await self.send(body, timeout=timeout)
        return plugin_data(reply) or {}

    async def trickle(
        self,
        sdpMLineIndex: int | JSON | None = None,  # noqa: N803 - janus_client's name
        candidate: str | None = None,
        *,
        candidates: list[JSON] | None = None,
    ) -> None:
        """Send ICE candidates to Janus; with none, signal end-of-candidates.

        ``trickle({"candidate": ..., "sdpMid": ...})`` or ``candidates=[...]``
        (rxjanus), or ``trickle(sdpMLineIndex, candidate)`` (janus_client).
        """
        one: JSON | None
        if isinstance(sdpMLineIndex, dict) or sdpMLineIndex is None:
            one = sdpMLineIndex
        else:
            one = {"sdpMLineIndex": sdpMLineIndex, "candidate": candidate} if candidate else None
        session, handle_id = self._require_attached()
        assert session.session_id is not None
        await session.request(
            msg.trickle(session.session_id, handle_id, one, candidates=candidates)
        )

    async def hangup(self, timeout: float | None = None) -> object:
        """Hang up the handle's media: the Janus core ``hangup`` of its PeerConnection.

        Plugins with a ``hangup`` request of their own send that instead and
        return its data.
        """
        session, handle_id = self._require_attached()
        assert session.session_id is not None
        await session.request(msg.hangup(session.session_id, handle_id), timeout=timeout)
        return None

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
            if session.session_id is not None:
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
        """Detach the handle (the janus_client name of `detach`)."""
        await self.detach()

    # -- for subclasses -----------------------------------------------------------

    async def _call(
        self,
        request: str,
        options: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
        jsep: JSON | None = None,
        then: Callable[[JSON], None] | None = None,
        **fields: Any,
    ) -> JSON:
        """Send the plugin request ``request`` and return the plugin's data.

        ``fields`` left None are not sent; ``options`` (a caller's ``**options``)
        are sent as they are, after them. ``then`` applies the answer to the
        handle's state, before the caller resumes; a caller cancelled while the
        request is out does not undo it on the server, so the request is still
        answered and ``then`` still applied (a cancelled ``join`` has joined).
        """
        body = request_body(request, options, **fields)
        if then is None:
            return plugin_data(await self._reply(body, jsep, timeout=timeout)) or {}
        answered = asyncio.ensure_future(self._reply_then(body, jsep, timeout, then))
        self._tasks.add(answered)
        answered.add_done_callback(self._settled)
        return await asyncio.shield(answered)

    async def _reply_then(
        self, body: JSON, jsep: JSON | None, timeout: float | None, then: Callable[[JSON], None]
    ) -> JSON:
        """Send ``body``; apply its answer with ``then`` as soon as it is in.

        In the same step of the loop that takes the answer in, so before any
        later answer is seen.
        """
        data = plugin_data(await self._reply(body, jsep, timeout=timeout)) or {}
        then(data)
        return data

    def _settled(self, done: asyncio.Future[JSON]) -> None:
        """Forget a finished request; its error, if any, is the caller's (or nobody's)."""
        self._tasks.discard(done)
        if not done.cancelled():
            done.exception()  # retrieved: a cancelled caller no longer asks for it

    async def _reply(
        self, body: JSON, jsep: JSON | None = None, *, timeout: float | None = None
    ) -> JSON:
        """Send ``body``; raise the plugin's error class; call the handlers; return the reply."""
        with plugin_errors(self.error_class):
            reply = await self.send(body, jsep, timeout=timeout)
        self._trigger(reply)
        await self._on_reply(reply, timeout)
        return reply

    async def _on_reply(self, reply: JSON, timeout: float | None) -> None:
        """Act on a reply to our request (answer its offer); for subclasses."""

    def _event_data(self, message: JSON) -> JSON:
        """What ``on_event`` handlers are given for ``message``."""
        return event_data(message)

    def _trigger(self, message: JSON) -> None:
        """Call the ``on_event`` handlers of the message's type, if any."""
        handlers = self._handlers.get(self.classify_event(message)) if self._handlers else None
        if not handlers:
            return
        data = self._event_data(message)
        for handler in list(handlers):
            try:
                result = handler(data)
                if inspect.isawaitable(result):
                    self._spawn(result)
            except Exception:
                logger.exception("a %s event handler failed", self.name)

    def _spawn(self, work: Any) -> None:
        """Run ``work`` (an awaitable) as a task of the handle; its errors are logged."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("%r: a background task failed", self, exc_info=task.exception())

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

    async def _wait_event(self, predicate: Callable[[JSON], bool], timeout: float | None) -> JSON:
        """Wait for the next event that satisfies ``predicate`` (default: the session's timeout)."""
        waiter = self._next_event(predicate)
        try:
            async with asyncio.timeout(timeout if timeout is not None else self._default_timeout()):
                return await waiter
        finally:
            waiter.cancel()

    def _default_timeout(self) -> float:
        session = self._session
        if session is None:
            raise InvalidStateError(f"{self!r} is not attached")
        return session.timeout

    async def _teardown(self) -> None:
        """Release local resources (peer connection, media); subclasses extend it."""
        for task in list(self._tasks):
            task.cancel()

    def _on_event(self, message: JSON) -> None:
        """Look at an unsolicited message before it is emitted; for subclasses."""

    # -- internals ----------------------------------------------------------------

    def _require_attached(self) -> tuple[JanusSession, int]:
        if self._session is None or self._handle_id is None:
            if self._lost is not None:
                raise self._lost
            raise InvalidStateError(f"{self!r} is not attached")
        return self._session, self._handle_id

    def _teardown_later(self) -> None:
        """Run `_teardown` in a task, for ends that come from the server."""
        task = asyncio.get_running_loop().create_task(self._teardown())
        _TEARDOWNS.add(task)
        task.add_done_callback(_TEARDOWNS.discard)

    def _forget(self) -> None:
        session, handle_id = self._session, self._handle_id
        if session is not None and handle_id is not None:
            session.detach_handle(handle_id)
        if self._session_watch is not None:
            self._session_watch.dispose()
            self._session_watch = None
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

    def _session_lost(self, error: Exception) -> None:
        """The session's events ended in error: forget the handle and end its events."""
        if self._handle_id is None:
            return
        lost = error if isinstance(error, SessionLost) else SessionLost(str(error))
        self._lost = lost
        self._forget()
        self._teardown_later()
        self._end(lost)
