"""An aiohttp web app whose request handlers share one kept-alive Janus session.

The app holds a shared session observable::

    session -> retry_with_backoff -> keepalive(25) -> share_latest

and one subscription to it for its whole life (``cleanup_ctx``): that is the
session's scope, and keepalives flow exactly as long as it lasts. A request
handler subscribes too, gets the current session at once, and for the length
of the request attaches what it needs; ``aio.first`` disposes that part (the
handle detaches) as soon as the answer is there. Retrying sits upstream of the
sharing, so a lost session is re-created once for everybody.

``share_resettable`` would not do here: it does not replay, so a request that
comes after the session was made would wait for it forever. ``share_latest``
gives late subscribers the latest session (and forgets it when the session
ends, so nobody gets a dead one).

Routes: ``/info`` (the Janus server's info) and ``/rooms`` (its VideoRooms).

Run the app until Ctrl-C::

    python examples/reactive/web_handler.py ws://127.0.0.1:8188 --serve --port 8080

The URL may also come from ``JANUS_URL``. Without ``--serve`` the script runs a
demo: it starts the app on 127.0.0.1 (a free port), asks both routes twice at
once with an aiohttp client, prints the answers and stops. Without any URL it
starts its own Janus on loopback (``rxjanus.testing.JanusServer``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import aiohttp
import reactivex
from aiohttp import web
from reactivex import Observable
from reactivex import operators as ops

import rxjanus
from rxjanus import JanusSession, JanusVideoRoomPlugin, aio
from rxjanus.operators import attach, keepalive, retry_with_backoff, share_latest
from rxjanus.testing import JanusServer

T = TypeVar("T")

JANUS_URL = web.AppKey("janus_url", str)
SESSIONS = web.AppKey("sessions", Observable[JanusSession])
REQUEST_TIMEOUT = 10.0


def shared_session(url: str) -> Observable[JanusSession]:
    """One Janus session for the whole app, re-created after a loss."""
    return rxjanus.session(url, keepalive_interval=None).pipe(
        retry_with_backoff(initial_delay=0.5, max_delay=10.0),
        keepalive(25),
        share_latest(),
    )


def from_async(factory: Callable[[], Awaitable[T]]) -> Observable[T]:
    """A cold observable of one awaited value (the work starts at subscribe)."""
    return reactivex.defer(lambda _: reactivex.from_future(asyncio.ensure_future(factory())))


async def janus_scope(app: web.Application) -> AsyncIterator[None]:
    """Keep the shared session open (and kept alive) while the app runs."""
    sessions = shared_session(app[JANUS_URL])
    app[SESSIONS] = sessions
    scope = sessions.subscribe(on_error=lambda error: print(f"janus session failed: {error!r}"))
    yield
    scope.dispose()
    await aio.settle()  # the session is destroyed in a task: wait for it


async def info(request: web.Request) -> web.Response:
    """The Janus server's name, version and plugins, and the session used."""
    async with asyncio.timeout(REQUEST_TIMEOUT):
        session = await aio.first(request.app[SESSIONS])
        server = await session.transport.info()
    return web.json_response(
        {
            "session": session.session_id,
            "server": server.get("name"),
            "version": server.get("version_string"),
            "plugins": sorted(server.get("plugins", {})),
        }
    )


async def rooms(request: web.Request) -> web.Response:
    """The server's public VideoRooms, asked on a handle that lives for this request."""

    def list_rooms(handle: JanusVideoRoomPlugin) -> Observable[dict[str, Any]]:
        async def ask() -> dict[str, Any]:
            listed = [
                {key: room.get(key) for key in ("room", "description", "num_participants")}
                for room in await handle.list_rooms()
            ]
            session = handle.session.session_id if handle.session else None
            return {"session": session, "handle": handle.id, "rooms": listed}

        return from_async(ask)

    answer = request.app[SESSIONS].pipe(attach(JanusVideoRoomPlugin), ops.flat_map(list_rooms))
    async with asyncio.timeout(REQUEST_TIMEOUT):
        body = await aio.first(answer)  # then disposed: the handle detaches
    return web.json_response(body)


def make_app(url: str) -> web.Application:
    app = web.Application()
    app[JANUS_URL] = url
    app.cleanup_ctx.append(janus_scope)
    app.router.add_get("/info", info)
    app.router.add_get("/rooms", rooms)
    return app


async def demo(url: str, server: JanusServer | None) -> None:
    # A room to list, made and destroyed with the awaitable API.
    async with JanusSession(url, keepalive_interval=None) as admin:
        videoroom = JanusVideoRoomPlugin()
        await videoroom.attach(admin)
        room = await videoroom.create_room(description="rxjanus web demo")
        runner = web.AppRunner(make_app(url))
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            host, port = runner.addresses[0][:2]
            base = f"http://{host}:{port}"
            print(f"serving on {base}")
            async with aiohttp.ClientSession() as client:

                async def get(path: str) -> dict[str, Any]:
                    async with client.get(base + path) as response:
                        response.raise_for_status()
                        body: dict[str, Any] = await response.json()
                        print(f"GET {path} -> {response.status} {json.dumps(body)}")
                        return body

                answers = await asyncio.gather(*(get(p) for p in ("/info", "/rooms") * 2))
            used = {answer["session"] for answer in answers}
            print(f"requests answered: {len(answers)}; Janus sessions used: {len(used)}")
            listed = [r["room"] for r in answers[1]["rooms"]]
            print(f"room {room} listed: {room in listed}")
        finally:
            await runner.cleanup()
        await videoroom.destroy_room(room)
    print("app stopped")
    if server is not None:
        print(f"sessions left on the server: {server.list_sessions()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("JANUS_URL"))
    parser.add_argument("--serve", action="store_true", help="serve until Ctrl-C (no demo)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    if args.url is None:
        with JanusServer() as server:
            print(f"started Janus {server.server_name}")
            asyncio.run(demo(server.ws_url, server))
        return
    if args.serve:
        web.run_app(make_app(args.url), host=args.host, port=args.port)
        return
    asyncio.run(demo(args.url, None))


if __name__ == "__main__":
    main()
