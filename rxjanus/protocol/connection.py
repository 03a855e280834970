"""The sans-I/O Janus protocol: requests out, replies and events in.

[`JanusProtocol`][rxjanus.protocol.connection.JanusProtocol] holds no socket and knows no event
loop. A transport hands it a request and an opaque *waiter* (an asyncio future, a callback,
anything), sends the text it gets back, and feeds every frame it receives to
[`JanusProtocol.receive_text`][rxjanus.protocol.connection.JanusProtocol.receive_text]. That returns
what happened, in order:

* [`Resolved`][rxjanus.protocol.connection.Resolved] — a waiter's request completed with this reply;
* [`Rejected`][rxjanus.protocol.connection.Rejected] — a waiter's request failed with this typed
  exception;
* [`Routed`][rxjanus.protocol.connection.Routed] — an unsolicited message for a registered session
  or handle;
* [`Dropped`][rxjanus.protocol.connection.Dropped] — a message that fits nowhere (logged by the
  protocol).

A reply to our own request resolves that request and is not also routed;
everything unsolicited is routed by ``session_id`` and ``sender``.

What fits where:

* A reply resolves the request of its ``transaction`` only if its ids fit that
  request: a ``session_id`` or ``sender`` it carries must be the request's
  session and handle. One that does not fit is dropped (WARNING) and the request
  waits on for its own reply (or its timeout).
* Janus's asynchronous plugin ``event`` carries the transaction of the ``message``
  it answers (after an ``ack``, or before it). Some plugins send *later* events
  with the transaction of the request that started something (SIP's
  ``registered`` after ``register``, ``accepted`` after ``call``): those are
  routed to the handle. An exact second copy of the event that resolved a request
  is dropped (WARNING), as is an event carrying a transaction this client never
  issued (transaction ids are a random per-connection prefix and a counter).
* An unsolicited message whose ``session_id`` or ``sender`` is not an integer is
  dropped (WARNING); one for a session or handle routed here a moment ago (see
  [`ENDED_MEMORY`][rxjanus.protocol.connection.ENDED_MEMORY]) is dropped with a DEBUG line (a late
  event of a session that just ended); one for a session or handle never routed here, with a
  WARNING. A message with a ``sender`` goes to that handle's target only, never to its
  session's.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from ..exceptions import JanusError
from .errors import error_from_reply
from .messages import JSON, Expect, Request

__all__ = [
    "Dropped",
    "JanusProtocol",
    "Outcome",
    "Outgoing",
    "Rejected",
    "Resolved",
    "Routed",
]

logger = logging.getLogger(__name__)

W = TypeVar("W")
T = TypeVar("T")

_EXPECTED = {expect: expect.value for expect in Expect}
"""The reply kinds of each Expect (reading ``Enum.value`` is slow on the hot path)."""

_encode = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode

ABANDONED_MEMORY = 1024
"""How many timed-out or failed transactions are remembered to drop their late replies."""

ANSWERED_MEMORY = 256
"""How many plugin events that resolved a request are remembered, to drop a second copy."""

ENDED_MEMORY = 256
"""How many sessions and handles no longer routed are remembered, to tell their late
events (DEBUG) from events for ids never routed here (WARNING)."""

_ROUTABLE = frozenset(
    {
        "event",
        "webrtcup",
        "media",
        "slowlink",
        "hangup",
        "detached",
        "ice-failed",
        "trickle",
        "timeout",
    }
)


@dataclass(slots=True)
class Outgoing:
    """A request ready for the wire.

    Attributes:
        transaction: Its transaction id.
        text: The JSON text to send.
        request: The request it was made from.
    """

    transaction: str
    text: str = field(repr=False)  # holds the credentials
    request: Request = field(repr=False)


@dataclass(frozen=True, slots=True)
class Resolved(Generic[W]):
    """The request behind ``waiter`` completed with ``message``."""

    waiter: W
    message: JSON


@dataclass(frozen=True, slots=True)
class Rejected(Generic[W]):
    """The request behind ``waiter`` failed with ``error``."""

    waiter: W
    error: JanusError


@dataclass(frozen=True, slots=True)
class Routed(Generic[T]):
    """An unsolicited ``message`` for the registered ``target``.

    ``handle_id`` is set when the message came from a plugin handle (``sender``).
    """

    target: T
    session_id: int
    handle_id: int | None
    message: JSON


@dataclass(frozen=True, slots=True)
class Dropped:
    """A message that completed nothing and had nowhere to go."""

    reason: str
    message: object


Outcome = Resolved[W] | Rejected[W] | Routed[T] | Dropped


@dataclass(slots=True)
class _Pending(Generic[W]):
    waiter: W
    expect: frozenset[str]
    session_id: int | None = None
    handle_id: int | None = None
    acked: bool = False


class JanusProtocol(Generic[W, T]):
    """State of one connection to Janus: pending transactions and routes.

    ``W`` is the type of the waiters the transport passes in, ``T`` the type of
    the routing targets it registers for sessions and handles.

    Args:
        api_secret: Sent as ``apisecret`` with every authenticated request.
        token: Sent as ``token`` with every authenticated request.
        admin_secret: Sent as ``admin_secret`` with every authenticated request
            (a connection to the Admin API).
    """

    def __init__(
        self,
        *,
        api_secret: str | None = None,
        token: str | None = None,
        admin_secret: str | None = None,
    ) -> None:
        self._api_secret = api_secret
        self._token = token
        self._admin_secret = admin_secret
        self._prefix = secrets.token_hex(8)  # clients may share one transaction space (MQTT)
        self._counter = 0
        self._pending: dict[str, _Pending[W]] = {}
        self._awaiting_ack: set[str] = set()
        self._abandoned: OrderedDict[str, None] = OrderedDict()  # bounded
        self._answered: OrderedDict[str, JSON] = OrderedDict()  # bounded
        self._ended_sessions: OrderedDict[int, None] = OrderedDict()  # bounded
        self._ended_handles: OrderedDict[int, None] = OrderedDict()  # bounded
        self._sessions: dict[int, T] = {}
        self._handles: dict[int, T] = {}

    def __repr__(self) -> str:
        return (
            f"<JanusProtocol pending={len(self._pending)} "
            f"sessions={len(self._sessions)} handles={len(self._handles)}>"
        )

    # -- requests -----------------------------------------------------------------

    @property
    def pending_count(self) -> int:
        """How many requests await their reply."""
        return len(self._pending)

    def credentials(self) -> dict[str, str]:
        """The ``apisecret`` and ``token`` fields to send, for query strings (HTTP long polls)."""
        found: dict[str, str] = {}
        if self._api_secret is not None:
            found["apisecret"] = self._api_secret
        if self._token is not None:
            found["token"] = self._token
        return found

    def next_transaction(self) -> str:
        """Return a transaction id unique on this connection."""
        self._counter += 1
        return f"{self._prefix}{self._counter:x}"

    def send(self, request: Request, waiter: W) -> Outgoing:
        """Register ``waiter`` for ``request`` and return the text to send.

        Args:
            request: The request to send.
            waiter: What the reply resolves, returned in the outcome.

        Returns:
            The transaction id and the JSON text.

        Raises:
            TypeError: The request holds a value JSON cannot encode; nothing is
                registered then.
        """
        self._counter += 1
        transaction = f"{self._prefix}{self._counter:x}"
        payload = {**request.payload, "transaction": transaction}
        if request.authenticated:
            if self._api_secret is not None:
                payload["apisecret"] = self._api_secret
            if self._token is not None:
                payload["token"] = self._token
            if self._admin_secret is not None:
                payload["admin_secret"] = self._admin_secret
        try:
            text = _encode(payload)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"cannot encode {request.janus!r} request as JSON: {exc}") from exc
        self._pending[transaction] = _Pending(
            waiter,
            _EXPECTED[request.expect],
            _as_int(payload.get("session_id")),
            _as_int(payload.get("handle_id")),
        )
        return Outgoing(transaction, text, request)

    def forget(self, transaction: str) -> W | None:
        """Stop waiting for ``transaction`` (timed out or cancelled).

        Returns:
            Its waiter, or None if it had already completed.
        """
        self._awaiting_ack.discard(transaction)
        pending = self._pending.pop(transaction, None)
        if pending is None:
            return None
        self._remember_abandoned(transaction)
        return pending.waiter

    def fail_all(self, error: JanusError) -> list[Rejected[W]]:
        """Fail every pending request at once, e.g. when the connection is lost.

        Args:
            error: The exception every waiter gets.

        Returns:
            One rejection per pending request.
        """
        rejected = [Rejected(p.waiter, error) for p in self._pending.values()]
        for transaction in self._pending:
            self._remember_abandoned(transaction)
        self._pending.clear()
        self._awaiting_ack.clear()
        return rejected

    # -- routes -------------------------------------------------------------------

    def add_session(self, session_id: int, target: T) -> None:
        """Route unsolicited messages of ``session_id`` to ``target``."""
        self._sessions[session_id] = target
        self._ended_sessions.pop(session_id, None)

    def remove_session(self, session_id: int) -> None:
        """Stop routing ``session_id``; messages of its handles are dropped too.

        Its late messages are dropped with a DEBUG line (it is remembered among the
        last [`ENDED_MEMORY`][rxjanus.protocol.connection.ENDED_MEMORY] ended sessions).
        """
        if self._sessions.pop(session_id, None) is not None:
            _remember(self._ended_sessions, session_id, None, ENDED_MEMORY)

    def add_handle(self, handle_id: int, target: T) -> None:
        """Route messages whose ``sender`` is ``handle_id`` to ``target``."""
        self._handles[handle_id] = target
        self._ended_handles.pop(handle_id, None)

    def remove_handle(self, handle_id: int) -> None:
        """Stop routing ``handle_id`` (its late messages are dropped with a DEBUG line)."""
        if self._handles.pop(handle_id, None) is not None:
            _remember(self._ended_handles, handle_id, None, ENDED_MEMORY)

    @property
    def session_ids(self) -> list[int]:
        """The sessions routed on this connection."""
        return list(self._sessions)

    # -- replies and events -------------------------------------------------------

    def receive_text(self, text: str | bytes) -> list[Outcome[W, T]]:
        """Decode one frame (an object or, from HTTP long polls, an array) and handle it.

        Args:
            text: The frame as received.

        Returns:
            What the frame did, in order. A frame that is not JSON, or is JSON but
            neither an object nor a non-empty array (``42``, ``null``, ``[]``),
            yields one (logged) [`Dropped`][rxjanus.protocol.connection.Dropped].
        """
        decoded = self.decode(text)
        if type(decoded) is Dropped:
            return [decoded]
        if isinstance(decoded, list) and decoded:
            return [self.receive_message(item) for item in decoded]
        return [self.receive_message(decoded)]

    def decode(self, text: str | bytes) -> Any:
        """Decode one frame; a frame that is not JSON gives a (logged) [`Dropped`][...Dropped]."""
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as exc:
            return self._drop(f"malformed JSON frame: {exc}", text)

    def complete_reply(self, message: JSON) -> W | None:
        """The fast path for a plain reply: pop and return the waiter it completes.

        Only replies that need no further look (not a plugin ``event``, no
        ``plugindata``, an expected kind) take this path; for anything else it
        returns None and changes nothing, and
        [`receive_message`][rxjanus.protocol.connection.JanusProtocol.receive_message] handles it.
        """
        transaction = message.get("transaction")
        if type(transaction) is not str:
            return None
        pending = self._pending.get(transaction)
        if pending is None:
            return None
        kind = message.get("janus")
        if kind == "event" or kind not in pending.expect or "plugindata" in message:
            return None
        if _misfit(pending, message) is not None:
            return None
        del self._pending[transaction]
        return pending.waiter

    def receive_messages(self, messages: Iterable[Any]) -> list[Outcome[W, T]]:
        """Handle decoded messages in order."""
        return [self.receive_message(item) for item in messages]

    def receive_message(self, message: Any) -> Outcome[W, T]:
        """Handle one decoded message.

        Args:
            message: A decoded JSON value.

        Returns:
            What it did.
        """
        if not isinstance(message, dict):
            return self._drop("frame is not a JSON object", message)
        kind = message.get("janus")
        if not isinstance(kind, str):
            return self._drop("message has no 'janus' kind", message)
        transaction = message.get("transaction")
        if isinstance(transaction, str):
            pending = self._pending.get(transaction)
            if pending is not None:
                outcome = self._complete(transaction, pending, kind, message)
                if outcome is not None:
                    return outcome
            elif kind == "ack" and transaction in self._awaiting_ack:
                self._awaiting_ack.discard(transaction)
                return Dropped("late ack of a completed request", message)
            elif transaction in self._abandoned:
                reason = "late reply to a request given up on"
                logger.debug("dropped a message from Janus: %s: %.200r", reason, message)
                return Dropped(reason, message)
            elif kind in _ROUTABLE:
                answered = self._answered.get(transaction)
                if answered is not None and answered == message:
                    return self._drop("a second copy of the event that answered a request", message)
                if answered is None and not self._issued(transaction):
                    return self._drop(
                        f"{kind!r} carries a transaction this client never issued", message
                    )
        if kind in _ROUTABLE:
            return self._route(kind, message)
        if kind == "error":
            return self._drop("error reply for no pending request", message)
        if kind in ("success", "ack", "pong", "server_info"):
            return self._drop(f"{kind!r} reply for unknown transaction", message)
        if kind == "keepalive":  # an HTTP long poll with nothing to say
            return Dropped("long-poll keepalive", message)
        return self._drop(f"unexpected janus kind {kind!r}", message)

    def _complete(
        self, transaction: str, pending: _Pending[W], kind: str, message: JSON
    ) -> Outcome[W, T] | None:
        misfit = _misfit(pending, message)
        if misfit is not None:
            return self._drop(f"{kind!r} reply does not fit its request: {misfit}", message)
        if kind == "error":
            del self._pending[transaction]
            error = error_from_reply(message)
            assert error is not None  # an "error" message always yields one
            return Rejected(pending.waiter, error)
        if kind in pending.expect:
            del self._pending[transaction]
            if kind == "event":
                if not pending.acked:
                    self._awaiting_ack.add(transaction)
                _remember(self._answered, transaction, message, ANSWERED_MEMORY)
            plugin_error = error_from_reply(message)
            if plugin_error is not None:
                return Rejected(pending.waiter, plugin_error)
            return Resolved(pending.waiter, message)
        if kind == "ack":
            pending.acked = True
            return Dropped("ack; the plugin's event is still to come", message)
        return None

    def _route(self, kind: str, message: JSON) -> Outcome[W, T]:
        session_id = message.get("session_id")
        sender = message.get("sender")
        sid = _as_int(session_id)
        handle = _as_int(sender)
        if session_id is not None and sid is None:
            return self._drop(f"{kind!r} with a session_id that is not an integer", message)
        if sender is not None and handle is None:
            return self._drop(f"{kind!r} with a sender that is not an integer", message)
        if handle is not None:
            # A handle's messages reach it only while its session is routed here; never
            # its session's target (a handle this client does not have is not its business).
            if sid is None or sid in self._sessions:
                target = self._handles.get(handle)
                if target is not None:
                    return Routed(target, sid if sid is not None else 0, handle, message)
            ended = handle in self._ended_handles or sid in self._ended_sessions
        else:
            if sid is not None:
                session = self._sessions.get(sid)
                if session is not None:
                    return Routed(session, sid, None, message)
            ended = sid in self._ended_sessions
        if ended:
            reason = f"late {kind!r} of a session or handle that ended"
            logger.debug("dropped a message from Janus: %s: %.200r", reason, message)
            return Dropped(reason, message)
        return self._drop(f"{kind!r} for no known session or handle", message)

    def _issued(self, transaction: str) -> bool:
        """Whether ``transaction`` is one this protocol gave out (it need not be pending)."""
        prefix = self._prefix
        if not transaction.startswith(prefix):
            return False
        count = transaction[len(prefix) :]
        try:
            number = int(count, 16)
        except ValueError:
            return False
        return 0 < number <= self._counter and count == f"{number:x}"

    def _remember_abandoned(self, transaction: str) -> None:
        """Keep the last few transactions given up on, to drop their late replies."""
        _remember(self._abandoned, transaction, None, ABANDONED_MEMORY)

    @staticmethod
    def _drop(reason: str, message: object) -> Dropped:
        logger.warning("dropped a message from Janus: %s: %.200r", reason, message)
        return Dropped(reason, message)


K = TypeVar("K")
V = TypeVar("V")


def _remember(memory: OrderedDict[K, V], key: K, value: V, size: int) -> None:
    """Put ``key`` in a bounded memory, forgetting the oldest entry past ``size``."""
    memory[key] = value
    memory.move_to_end(key)
    if len(memory) > size:
        memory.popitem(last=False)


def _misfit(pending: _Pending[Any], message: JSON) -> str | None:
    """Why a reply does not fit its request's session or handle (None: it fits)."""
    expected = pending.session_id
    if expected is not None:
        session_id = message.get("session_id")
        if session_id is not None and (type(session_id) is not int or session_id != expected):
            return f"session_id {session_id!r}, the request's is {expected}"
    expected = pending.handle_id
    if expected is not None:
        sender = message.get("sender")
        if sender is not None and (type(sender) is not int or sender != expected):
            return f"sender {sender!r}, the request's handle is {expected}"
    return None


def _as_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
