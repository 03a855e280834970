"""The rxjanus demo: a Janus on loopback, one session over WebSocket and one over HTTP.

Starts its own Janus (``rxjanus.testing.JanusServer``), opens a session on each
transport, prints the server's info and everything on the session's event
stream, attaches a plugin handle, and tears it all down, showing through the
Admin API that nothing is left on the server.

Run: ``bash scripts/demo.sh`` (or ``python examples/demo.py`` once set up).
"""

from __future__ import annotations

import asyncio
import time

from rxjanus import JanusPlugin, JanusSession
from rxjanus.testing import JanusServer


async def tour(url: str, server: JanusServer) -> None:
    print(f"\n== {url}")
    async with JanusSession(base_url=url, timeout=10.0, keepalive_interval=30) as session:
        session.events.subscribe(
            on_next=lambda event: print(f"   session event: {event}"),
            on_completed=lambda: print("   session event stream completed"),
        )
        info = await session.transport.info()
        print(f"   server: {info['name']} {info['version_string']} ({info['server-name']})")
        print(f"   transports: {', '.join(sorted(info['transports']))}")
        print(f"   plugins: {', '.join(sorted(info['plugins']))}")
        start = time.perf_counter()
        await session.transport.ping()
        print(f"   ping: {(time.perf_counter() - start) * 1000:.2f} ms")
        await session.keepalive()
        print(f"   session {session.session_id} created; keepalive acknowledged")

        echo = JanusPlugin(plugin_id="janus.plugin.echotest")
        await echo.attach(session)
        reply = await echo.request({"audio": True, "video": True})
        print(f"   echotest handle {echo.id} answered {reply}")
        assert session.session_id is not None
        print(f"   server sees handles {server.list_handles(session.session_id)}")
    print(f"   after teardown the server lists sessions: {server.list_sessions()}")


def main() -> None:
    with JanusServer(loopback_ice=False) as server:
        print(f"started Janus {server.server_name} (log: {server.log_path})")
        asyncio.run(tour(server.ws_url, server))
        asyncio.run(tour(server.http_url, server))
    print("\nstopped Janus; done")


if __name__ == "__main__":
    main()
