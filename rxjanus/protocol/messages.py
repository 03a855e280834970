"""Builders for the requests of the Janus core API.

Each builder returns a [`Request`][rxjanus.protocol.messages.Request]: the JSON object to send
(without the ``transaction``, ``apisecret`` and ``token`` fields, which
[`JanusProtocol`][rxjanus.protocol.connection.JanusProtocol] adds) and the reply kinds
that complete it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

__all__ = [
    "JSON",
    "Expect",
    "Request",
    "attach",
    "claim",
    "create",
    "destroy",
    "detach",
    "hangup",
    "info",
    "keepalive",
    "message",
    "ping",
    "trickle",
]

JSON = dict[str, Any]
"""A decoded JSON object as sent or received."""


class Expect(enum.Enum):
    """Which reply completes a request."""

    SUCCESS = frozenset({"success"})
    ACK = frozenset({"ack"})
    EVENT = frozenset({"event", "success"})
    PONG = frozenset({"pong"})
    SERVER_INFO = frozenset({"server_info"})


@dataclass(frozen=True, slots=True)
class Request:
    """A request to send.

    Attributes:
        payload: The JSON object, without transaction and credentials.
        expect: The reply kinds that complete it.
        authenticated: Whether ``apisecret`` and ``token`` go with it.
    """

    payload: JSON
    expect: Expect
    authenticated: bool = True

    @property
    def janus(self) -> str:
        """The request verb (the ``janus`` field)."""
        return str(self.payload["janus"])

    @property
    def session_id(self) -> int | None:
        """The session the request addresses, if any."""
        value = self.payload.get("session_id")
        return int(value) if value is not None else None

    @property
    def handle_id(self) -> int | None:
        """The plugin handle the request addresses, if any."""
        value = self.payload.get("handle_id")
        return int(value) if value is not None else None


def info() -> Request:
    """Ask for the server's info (``server_info``); needs no credentials."""
    return Request({"janus": "info"}, Expect.SERVER_INFO, authenticated=False)


def ping() -> Request:
    """Ping the server (``pong``); needs no credentials."""
    return Request({"janus": "ping"}, Expect.PONG, authenticated=False)


def create(session_id: int | None = None) -> Request:
    """Create a session, optionally asking for a given id."""
    payload: JSON = {"janus": "create"}
    if session_id is not None:
        payload["id"] = session_id
    return Request(payload, Expect.SUCCESS)


def claim(session_id: int) -> Request:
    """Claim an existing session for this connection (after a reconnect)."""
    return Request({"janus": "claim", "session_id": session_id}, Expect.SUCCESS)


def keepalive(session_id: int) -> Request:
    """Keep a session alive (``ack``)."""
    return Request({"janus": "keepalive", "session_id": session_id}, Expect.ACK)


def destroy(session_id: int) -> Request:
    """Destroy a session and every handle in it."""
    return Request({"janus": "destroy", "session_id": session_id}, Expect.SUCCESS)


def attach(session_id: int, plugin: str, opaque_id: str | None = None) -> Request:
    """Attach a handle for ``plugin`` (e.g. ``janus.plugin.echotest``)."""
    payload: JSON = {"janus": "attach", "session_id": session_id, "plugin": plugin}
    if opaque_id is not None:
        payload["opaque_id"] = opaque_id
    return Request(payload, Expect.SUCCESS)


def detach(session_id: int, handle_id: int) -> Request:
    """Detach a plugin handle."""
    return Request(
        {"janus": "detach", "session_id": session_id, "handle_id": handle_id}, Expect.SUCCESS
    )


def hangup(session_id: int, handle_id: int) -> Request:
    """Hang up the PeerConnection of a handle."""
    return Request(
        {"janus": "hangup", "session_id": session_id, "handle_id": handle_id}, Expect.SUCCESS
    )


def message(
    session_id: int,
    handle_id: int,
    body: JSON,
    jsep: JSON | None = None,
    *,
    expect: Expect = Expect.EVENT,
) -> Request:
    """Send a message to the plugin behind a handle.

    Args:
        session_id: The session.
        handle_id: The plugin handle.
        body: The plugin request, e.g. ``{"request": "list"}``.
        jsep: An SDP offer or answer, if any.
        expect: ``EVENT`` (the default) completes on the plugin's event or its
            synchronous ``success``; ``ACK`` completes on the ack alone.

    Returns:
        The request.
    """
    payload: JSON = {
        "janus": "message",
        "session_id": session_id,
        "handle_id": handle_id,
        "body": body,
    }
    if jsep is not None:
        payload["jsep"] = jsep
    return Request(payload, expect)


def trickle(
    session_id: int,
    handle_id: int,
    candidate: JSON | None = None,
    *,
    candidates: list[JSON] | None = None,
) -> Request:
    """Send ICE candidates; no candidate at all means end-of-candidates.

    Args:
        session_id: The session.
        handle_id: The plugin handle.
        candidate: One candidate (``candidate``, ``sdpMid``, ``sdpMLineIndex``).
        candidates: Several candidates in one request.

    Returns:
        The request.
    """
    payload: JSON = {"janus": "trickle", "session_id": session_id, "handle_id": handle_id}
    if candidates is not None:
        payload["candidates"] = candidates
    else:
        payload["candidate"] = candidate if candidate is not None else {"completed": True}
    return Request(payload, Expect.ACK)
