"""Two VideoCall users on two sessions call each other and count the frames each way.

Run: ``python examples/videocall_peers.py ws://127.0.0.1:8188`` (or set
``JANUS_URL``). Without a URL the script starts its own Janus on loopback
(``rxjanus.testing.JanusServer``; needs the ``janus`` package installed).

Alice calls Bob; Bob waits for the incoming call and accepts it. Each side sends
a synthetic 320x240 video at 30 fps; after a few seconds the script prints how
many frames went each way, Alice hangs up, and Bob sees the ``hangup`` event.
"""

from __future__ import annotations

import asyncio
import os
import sys
from urllib.parse import urlparse

from aiortc import RTCConfiguration

from rxjanus import JanusSession
from rxjanus.plugins.videocall import JanusVideoCallPlugin, event_result
from rxjanus.testing import JanusServer, SyntheticVideoTrack, enable_loopback_ice

SECONDS = 3.0


async def talk(url: str) -> None:
    # No STUN server: the machine may have no network. Real deployments pass theirs.
    config = RTCConfiguration(iceServers=[])
    async with JanusSession(base_url=url) as one, JanusSession(base_url=url) as two:
        alice = JanusVideoCallPlugin(pc_config=config)
        bob = JanusVideoCallPlugin(pc_config=config)
        await alice.attach(one)
        await bob.attach(two)
        await alice.register("alice")
        await bob.register("bob")
        print(f"registered users: {sorted(await alice.list_users())}")

        counts = {"alice": 0, "bob": 0}

        def count(name: str) -> object:
            def on_frame(_frame: object) -> None:
                counts[name] += 1

            return on_frame

        alice.frames("video").subscribe(count("alice"))
        bob.frames("video").subscribe(count("bob"))
        bob_hung_up = asyncio.Event()

        def on_bob_event(message: dict[str, object]) -> None:
            result = event_result(message)
            if result is not None:
                print(f"bob: {result.get('event')} event {result}")
                if result.get("event") == "hangup":
                    bob_hung_up.set()

        bob.events.subscribe(on_bob_event)

        async def answer() -> bool:
            call = await bob.wait_incoming_call(timeout=30)
            print(f"bob: incoming call from {call.username}")
            return await bob.accept(call.jsep, player=SyntheticVideoTrack(320, 240))

        alice_track = SyntheticVideoTrack(320, 240)
        called, accepted = await asyncio.gather(alice.call("bob", alice_track), answer())
        print(f"call up: alice called={called}, bob accepted={accepted}")
        await asyncio.gather(alice.wait_webrtcup(10), bob.wait_webrtcup(10))
        await asyncio.sleep(SECONDS)  # let media flow for a while: this is the demo
        print(f"after {SECONDS:.0f} s: alice -> bob {counts['bob']} frames")
        print(f"after {SECONDS:.0f} s: bob -> alice {counts['alice']} frames")
        await alice.hangup()
        await asyncio.wait_for(bob_hung_up.wait(), 10)
        print(f"hung up; in call: alice={alice.in_call}, bob={bob.in_call}")


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("JANUS_URL")
    if url is None:
        with JanusServer() as server:
            enable_loopback_ice()
            print(f"started Janus {server.server_name}")
            asyncio.run(talk(server.ws_url))
        return
    if urlparse(url).hostname in ("127.0.0.1", "localhost"):
        enable_loopback_ice()  # aiortc leaves out 127.0.0.1 otherwise (test helper)
    asyncio.run(talk(url))


if __name__ == "__main__":
    main()
