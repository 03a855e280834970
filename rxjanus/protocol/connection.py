"""The sans-I/O Janus protocol: requests out, replies and events in.

:class:`JanusProtocol` holds no socket and knows no event loop. A transport
hands it a request and an opaque *waiter* (an asyncio future, a callback,
anything), sends the text it gets back, and feeds every frame it receives to
:meth:`JanusProtocol.receive_text`. That returns what happened, in order:

* :class:`Resolved` — a waiter's request completed with this reply;
* :class:`Rejected` — a waiter's request failed with this typed exception;
* :class:`Routed` — an unsolicited message for a registered session or handle;
* :class:`Dropped` — a message that fits nowhere (logged by the protocol).

A reply to our own request resolves that request and is not also routed;
everything unsolicited is routed by ``session_id`` and ``sender``.
"""

from __future__ import annotations

import json
import logging
import secrets
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
        self._abandoned: dict[str, None] = {}  # insertion-ordered, bounded
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
        self._pending[transaction] = _Pending(waiter, _EXPECTED[request.expect])
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

    def remove_session(self, session_id: int) -> None:
        """Stop routing ``session_id``; messages of its handles are dropped too."""
        self._sessions.pop(session_id, None)

    def add_handle(self, handle_id: int, target: T) -> None:
        """Route messages whose ``sender`` is ``handle_id`` to ``target``."""
        self._handles[handle_id] = target

    def remove_handle(self, handle_id: int) -> None:
        """Stop routing ``handle_id``."""
        self._handles.pop(handle_id, None)

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
            What the frame did, in order. A frame that is not JSON yields one
            :class:`Dropped`.
        """
        decoded = self.decode(text)
        if type(decoded) is Dropped:
            return [decoded]
        if isinstance(decoded, list):
            return [self.receive_message(item) for item in decoded]
        return [self.receive_message(decoded)]

    def decode(self, text: str | bytes) -> Any:
        """Decode one frame; a frame that is not JSON gives a (logged) :class:`Dropped`."""
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as exc:
            return self._drop(f"malformed JSON frame: {exc}", text)

    def complete_reply(self, message: JSON) -> W | None:
        """The fast path for a plain reply: pop and return the waiter it completes.

        Only replies that need no further look (not a plugin ``event``, no
        ``plugindata``, an expected kind) take this path; for anything else it
        returns None and changes nothing, and :meth:`receive_message` handles it.
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
                return Dropped("late reply to a request given up on", message)
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
        if kind == "error":
            del self._pending[transaction]
            error = error_from_reply(message)
            assert error is not None  # an "error" message always yields one
            return Rejected(pending.waiter, error)
        if kind in pending.expect:
            del self._pending[transaction]
            if kind == "event" and not pending.acked:
                self._awaiting_ack.add(transaction)
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
        # A handle's messages reach it only while its session is routed here.
        if handle is not None and (session_id is None or sid in self._sessions):
            target = self._handles.get(handle)
            if target is not None:
                return Routed(target, sid if sid is not None else 0, handle, message)
        if sid is not None:
            session = self._sessions.get(sid)
            if session is not None:
                return Routed(session, sid, handle, message)
        return Dropped(f"{kind!r} for no known session or handle", message)

    def _remember_abandoned(self, transaction: str) -> None:
        """Keep the last few transactions given up on, to drop their late replies."""
        self._abandoned[transaction] = None
        if len(self._abandoned) > ABANDONED_MEMORY:
            del self._abandoned[next(iter(self._abandoned))]

    @staticmethod
    def _drop(reason: str, message: object) -> Dropped:
        logger.warning("dropped a message from Janus: %s: %.200r", reason, message)
        return Dropped(reason, message)


def _as_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
