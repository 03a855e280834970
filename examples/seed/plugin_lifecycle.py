"""The seed page's "Plugin Lifecycle" and "Connection Reuse" examples.

Unchanged but for the imports and the URL, which comes from the command line:
``python examples/seed/plugin_lifecycle.py ws://127.0.0.1:8188``. The EchoTest
plays ``input1.mp4`` from the current directory; if there is none, the script
writes a short test video in a scratch directory and runs there.

Outside the snippets, two things make them run on a machine without a network:
when the server is on loopback, aiortc is told to offer a 127.0.0.1 candidate
(test helper, see ``rxjanus.testing.enable_loopback_ice``), and the echo test
video is generated on the spot.
"""

import asyncio
import os
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse

from rxjanus import JanusEchoTestPlugin, JanusSession
from rxjanus.plugins.videocall import JanusVideoCallPlugin
from rxjanus.testing import enable_loopback_ice, make_test_video

URL = sys.argv[1] if len(sys.argv) > 1 else "ws://127.0.0.1:8188"


async def plugin_lifecycle(session):
    async with session:
        plugin = JanusEchoTestPlugin()
        try:
            await plugin.attach(session)
            # Use plugin
        finally:
            await plugin.destroy()  # Explicit cleanup


async def connection_reuse(session):
    # Good: Sequential operations
    async with session:
        plugin1 = JanusEchoTestPlugin()
        await plugin1.attach(session)
        await plugin1.start("input1.mp4")
        await plugin1.destroy()

        plugin2 = JanusVideoCallPlugin()
        await plugin2.attach(session)
        await plugin2.register("user1")
        await plugin2.destroy()

    # Avoid: Concurrent access without synchronization
    # Multiple plugins using the same session concurrently
    # requires careful message handling


async def main():
    await plugin_lifecycle(JanusSession(base_url=URL))
    print("plugin lifecycle: attached and destroyed an echotest handle")
    await connection_reuse(JanusSession(base_url=URL))
    print("connection reuse: echotest started, then user1 registered on videocall")


if __name__ == "__main__":
    if urlparse(URL).hostname in ("127.0.0.1", "localhost"):
        enable_loopback_ice()
    if Path("input1.mp4").exists():
        asyncio.run(main())
    else:
        # Play a generated video, from a scratch directory so nothing is left behind.
        with tempfile.TemporaryDirectory() as scratch:
            os.chdir(scratch)
            make_test_video("input1.mp4", seconds=3)
            asyncio.run(main())
