"""What ``send`` returns: the reply, and janus_client's ``MessageTransaction`` around it.

rxjanus's `send` (on [JanusSession][rxjanus.janus_session.JanusSession] and
[JanusTransport][rxjanus.transports.base.JanusTransport]) waits for the reply that
completes the request and returns a [MessageTransaction][rxjanus.transaction.MessageTransaction]:

- as a ``dict`` it *is* that reply (``reply["janus"]``, ``reply.get("data")``), as
  rxjanus's ``send`` always returned;
- as janus_client 0.9's transaction it holds every message Janus sent for the
  request: ``await tx.get({"janus": "ack"}, timeout)`` finds one by
  [is_subset][rxjanus.transaction.is_subset] or a predicate, ``await tx.done()``
  releases it.

``get`` tells the two apart by its first argument: a ``str`` key reads the reply
(``dict.get``); a ``dict`` matcher, a callable or nothing waits for a message
(janus_client's ``get``).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, overload

from .exceptions import JanusTimeoutError
from .protocol import JSON, Expect, Request

__all__ = ["Matcher", "MessageTransaction", "is_subset", "raw_request", "transaction_of"]

logger = logging.getLogger(__name__)

_EXPECT = {
    "message": Expect.EVENT,
    "keepalive": Expect.ACK,
    "trickle": Expect.ACK,
    "info": Expect.SERVER_INFO,
    "ping": Expect.PONG,
}
"""The reply that completes a raw request, by its ``janus`` kind (else ``success``)."""

Matcher = dict[str, Any] | Callable[[JSON], bool]
"""A message matcher: a dict that must be a subset of the message, or a predicate."""


def _any_message(*args: Any, **kwargs: Any) -> bool:
    return True


def is_subset(dict_1: dict[str, Any], dict_2: dict[str, Any]) -> bool:
    """Whether ``dict_2`` is a subset of ``dict_1``, recursively (janus_client's rule).

    Values of type ``dict``, ``str`` and ``int`` in ``dict_2`` must match (dicts
    recursively); a value of any other type (``None``, a list ...) only needs its
    key to be present in ``dict_1``.

    Raises:
        TypeError: An argument is not a dict.
    """
    if not isinstance(dict_1, dict):
        raise TypeError(f"dict_1 must be a dictionary: {dict_1}")
    if not isinstance(dict_2, dict):
        raise TypeError(f"dict_2 must be a dictionary: {dict_2}")
    for key, wanted in dict_2.items():
        if not isinstance(wanted, dict | str | int):
            if key in dict_1:
                continue
            return False
        value = dict_1.get(key)
        if value == wanted:
            continue
        if isinstance(value, dict) and isinstance(wanted, dict) and is_subset(value, wanted):
            continue
        return False
    return True


class MessageTransaction(dict[str, Any]):
    """One request's messages from Janus, and (as a dict) the reply that completed it.

    Made by rxjanus's ``send`` with the messages already in; janus_client code
    may also make an empty one and feed it with ``put_msg``.

    Args:
        reply: The reply that completed the request: the dict's contents.
        messages: Every message of the request, in order (default: ``reply``).
        transaction: The transaction id (default: the reply's, or a new one).
    """

    def __init__(
        self,
        reply: JSON | None = None,
        *,
        messages: Iterable[JSON] | None = None,
        transaction: str | None = None,
    ) -> None:
        super().__init__(reply or {})
        if transaction is None:
            found = self.get("transaction")
            transaction = found if isinstance(found, str) else uuid.uuid4().hex
        self._id = transaction
        self._complete = reply is not None  # made by send: no message will follow
        self._messages: list[JSON] = []
        self._arrived = asyncio.Event()
        for message in messages if messages is not None else ([reply] if reply else []):
            self.put_msg(message)

    def __repr__(self) -> str:
        return f"MessageTransaction({self._id!r}, {dict.__repr__(self)})"

    @property
    def id(self) -> str:
        """The transaction id."""
        return self._id

    @property
    def messages(self) -> list[JSON]:
        """Every message received for this transaction so far, in order."""
        return list(self._messages)

    def put_msg(self, message: JSON) -> None:
        """Add a message received for this transaction."""
        self._messages.append(message)
        self._arrived.set()

    @overload
    def get(self, matcher: str, default: Any = None, /) -> Any: ...

    @overload
    def get(self, matcher: Matcher = ..., timeout: float | None = None) -> Awaitable[JSON]: ...

    def get(self, matcher: Any = _any_message, timeout: Any = None) -> Any:
        """``await tx.get(matcher, timeout)``: the first message that matches.

        With a ``str`` key it is ``dict.get`` on the reply instead
        (``tx.get("janus")``, ``tx.get("data", {})``).

        Args:
            matcher: A dict that must be a subset of the message
                ([is_subset][rxjanus.transaction.is_subset]) or a predicate;
                by default any message.
            timeout: Seconds to wait for a matching message; None waits as long
                as messages may come.

        Returns:
            An awaitable of the matching message.

        Raises:
            TypeError: ``matcher`` is neither a dict nor callable.
            TimeoutError: No matching message in time; for a transaction made
                by ``send`` (complete), at once when none of its messages match.
        """
        if isinstance(matcher, str):
            return super().get(matcher, timeout)
        if not (isinstance(matcher, dict) or callable(matcher)):
            raise TypeError(f"matcher must be callable or dictionary: {matcher}")
        return self._match(matcher, timeout)

    async def _match(self, matcher: Matcher, timeout: float | None) -> JSON:
        matches: Callable[[JSON], bool]
        if isinstance(matcher, dict):
            wanted = matcher
            matches = lambda message: is_subset(message, wanted)  # noqa: E731
        else:
            matches = matcher
        looked = 0
        async with asyncio.timeout(timeout):
            while True:
                for message in self._messages[looked:]:
                    looked += 1
                    if matches(message):
                        return message
                if self._complete:
                    kinds = ", ".join(str(message.get("janus")) for message in self._messages)
                    raise JanusTimeoutError(
                        f"no message matching {matcher!r} in transaction {self._id} "
                        f"(it is complete; its messages: {kinds or 'none'})"
                    )
                self._arrived.clear()
                await self._arrived.wait()

    async def on_done(self) -> None:
        """Called by ``done``; janus_client's transports replace it on the instance."""

    async def done(self) -> None:
        """Release the transaction (nothing is held for one made by ``send``)."""
        await self.on_done()


def raw_request(
    message: JSON, session_id: int | None = None, handle_id: int | None = None
) -> Request:
    """A [Request][rxjanus.protocol.Request] from a raw message dict, for ``send``.

    The reply that completes it follows from its ``janus`` kind: the plugin's
    event (or synchronous ``success``) for ``message``, ``ack`` for
    ``keepalive`` and ``trickle``, ``server_info``, ``pong``, else ``success``.
    A ``transaction`` in ``message`` is dropped with a warning: the transport
    sets its own (as janus_client does).

    Raises:
        ValueError: ``message`` has no ``janus`` field.
    """
    if "janus" not in message:
        raise ValueError('Must set "janus" field')
    payload = dict(message)
    if payload.pop("transaction", None) is not None:
        logger.warning("send: dropping the transaction set in the message; it is ours")
    if session_id is not None:
        payload["session_id"] = session_id
    if handle_id is not None:
        payload["handle_id"] = handle_id
    kind = str(payload["janus"])
    return Request(payload, _EXPECT.get(kind, Expect.SUCCESS), kind not in ("info", "ping"))


def transaction_of(request: Request, reply: JSON) -> MessageTransaction:
    """The complete transaction of ``request``, answered by ``reply``.

    A plugin ``message`` answered with an ``event`` was acknowledged first: the
    transport completes the request on the event, so the ``ack`` Janus sent
    before it is put back in, as janus_client's transaction would hold it.
    """
    messages = [reply]
    if request.janus == "message" and reply.get("janus") == "event":
        ack: JSON = {"janus": "ack", "transaction": reply.get("transaction")}
        if request.session_id is not None:
            ack["session_id"] = request.session_id
        messages.insert(0, ack)
    return MessageTransaction(reply, messages=messages)
