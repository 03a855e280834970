"""The reactive EchoTest: one pipeline from a session to the frames Janus echoes back.

::

    session -> keepalive -> attach(EchoTest) -> publish(synthetic video)
            -> frames("video") -> take(N) -> count

Nothing happens until the pipeline is subscribed (here by ``aio.first``).
``take(N)`` completes after N frames, and completing tears down everything the
pipeline made, inner first: the PeerConnection, the handle, the session.

Run::

    python examples/reactive/echo_pipeline.py [URL] [--frames 60]

The URL comes from the command line or ``JANUS_URL``; without one the script
starts its own Janus on loopback (``rxjanus.testing.JanusServer``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from urllib.parse import urlparse

from aiortc import RTCConfiguration
from reactivex import operators as ops

import rxjanus
from rxjanus import JanusEchoTestPlugin, aio
from rxjanus.operators import attach, frames, keepalive, publish
from rxjanus.testing import JanusServer, SyntheticVideoTrack, enable_loopback_ice


async def run(url: str, count: int, server: JanusServer | None) -> None:
    source = SyntheticVideoTrack(320, 240, fps=30)
    # No STUN server: the machine may have no network. Real deployments pass theirs.
    config = RTCConfiguration(iceServers=[])
    pipeline = rxjanus.session(url, keepalive_interval=None).pipe(
        keepalive(25),
        attach(JanusEchoTestPlugin, pc_config=config),
        publish(source, audio=False),
        frames("video"),
        ops.take(count),
        ops.count(),
    )
    start = time.perf_counter()
    received = await aio.first(pipeline)
    elapsed = time.perf_counter() - start
    print(f"echoed video frames: {received} of {count} in {elapsed:.1f} s")
    await aio.settle()  # the teardown runs in tasks: wait for it
    print(f"teardown settled: {aio.pending_count()} tasks pending")
    print(f"frames sent: {source.frames_sent}; source track {source.readyState}")
    if server is not None:
        print(f"sessions left on the server: {server.list_sessions()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("JANUS_URL"))
    parser.add_argument("--frames", type=int, default=60, help="frames to count (default 60)")
    args = parser.parse_args()
    if args.url is None:
        enable_loopback_ice()  # demos/tests only: ICE over 127.0.0.1
        with JanusServer() as server:
            print(f"started Janus {server.server_name}")
            asyncio.run(run(server.ws_url, args.frames, server))
        return
    if urlparse(args.url).hostname in ("127.0.0.1", "localhost"):
        enable_loopback_ice()  # aiortc leaves out 127.0.0.1 otherwise (test helper)
    asyncio.run(run(args.url, args.frames, None))


if __name__ == "__main__":
    main()
