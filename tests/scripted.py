"""A scripted in-process Janus stand-in, only for faults the real Janus won't produce.

Each request the client sends is passed to ``script(request, connection)``; the
script answers (or not) with ``await connection.send(json.dumps(...))``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.server import ServerConnection, serve

Script = Callable[[dict[str, Any], ServerConnection], Awaitable[None]]


@asynccontextmanager
async def scripted_janus(script: Script) -> AsyncIterator[str]:
    """Serve ``script`` on a free loopback port; yield its ws:// URL."""

    async def handler(connection: ServerConnection) -> None:
        async for frame in connection:
            await script(json.loads(frame), connection)

    async with serve(
        handler,
        "127.0.0.1",
        0,
        subprotocols=["janus-protocol"],  # type: ignore[list-item]
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}"


def reply(request: dict[str, Any], janus: str, **fields: Any) -> str:
    """A reply to ``request`` of kind ``janus``."""
    return json.dumps({"janus": janus, "transaction": request["transaction"], **fields})


async def well_behaved(request: dict[str, Any], connection: ServerConnection) -> None:
    """Answer create, keepalive and destroy the way Janus does."""
    kind = request["janus"]
    if kind == "create":
        await connection.send(reply(request, "success", data={"id": 1111}))
    elif kind == "keepalive":
        await connection.send(reply(request, "ack", session_id=request["session_id"]))
    elif kind == "destroy":
        await connection.send(reply(request, "success", session_id=request["session_id"]))
    elif kind == "attach":
        await connection.send(reply(request, "success", data={"id": 2222}))
    elif kind == "detach":
        await connection.send(reply(request, "success"))
