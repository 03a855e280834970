"""The rxjanus demo: a Janus on loopback, sessions over WebSocket and HTTP, and EchoTest media.

Starts its own Janus (``rxjanus.testing.JanusServer``), opens a session on each
transport, prints the server's info and everything on the session's event
stream, then sends three seconds of generated video through the EchoTest plugin
over real WebRTC and counts the frames that come back; it tears it all down,
showing through the Admin API that nothing is left on the server.

Run: ``bash scripts/demo.sh`` (or ``python examples/demo.py`` once set up).
"""

from __future__ import annotations

import asyncio
import time

from rxjanus import JanusEchoTestPlugin, JanusPlugin, JanusSession
from rxjanus.testing import (
    JanusServer,
    SyntheticVideoTrack,
    enable_loopback_ice,
    loopback_rtc_configuration,
)


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


async def echo(url: str, server: JanusServer, seconds: int = 3) -> None:
    print(f"\n== EchoTest media over {url}")
    source = SyntheticVideoTrack(640, 480, fps=30)
    received = 0

    def count(_: object) -> None:
        nonlocal received
        received += 1

    async with JanusSession(base_url=url) as session:
        plugin = JanusEchoTestPlugin(pc_config=loopback_rtc_configuration())
        await plugin.attach(session)
        plugin.frames("video").subscribe(count)
        await plugin.start(source, audio=False)
        print("   webrtcup: media flows through Janus and back")
        await source.wait_sent(seconds * 30)
        source.stop()
        sent = source.frames_sent
        await plugin.close_stream()
    print(f"   video frames sent: {sent}, received back: {received} ({received / sent:.0%})")
    print(f"   after teardown the server lists sessions: {server.list_sessions()}")


def main() -> None:
    enable_loopback_ice()  # a demo/test-only tweak: ICE over 127.0.0.1
    with JanusServer() as server:
        print(f"started Janus {server.server_name} (log: {server.log_path})")
        asyncio.run(tour(server.ws_url, server))
        asyncio.run(tour(server.http_url, server))
        asyncio.run(echo(server.ws_url, server))
    print("\nstopped Janus; done")


if __name__ == "__main__":
    main()
