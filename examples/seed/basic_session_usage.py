"""The seed page's "Basic Session Usage" example.

Unchanged but for the import line and the URL, which comes from the command
line: ``python examples/seed/basic_session_usage.py ws://127.0.0.1:8188``. It
plays ``input.mp4`` from the current directory and records the echo to
``output.mp4``; with no ``input.mp4`` there, the script generates one in a
scratch directory and runs there. On a loopback server, aiortc is told to offer
a 127.0.0.1 candidate (a test helper, ``rxjanus.testing.enable_loopback_ice``).
Set ``SEED_SECONDS`` to shorten the seed's ten-second wait.
"""

import asyncio
import os
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse

from rxjanus import JanusEchoTestPlugin, JanusSession
from rxjanus.testing import enable_loopback_ice, make_test_video

URL = sys.argv[1] if len(sys.argv) > 1 else "ws://127.0.0.1:8188"
SECONDS = float(os.environ.get("SEED_SECONDS", "10"))


async def main():
    # Create session
    session = JanusSession(base_url=URL)

    try:
        # Use session as async context manager for automatic cleanup
        async with session:
            # Create and attach plugin
            plugin = JanusEchoTestPlugin()
            await plugin.attach(session)

            # Use plugin...
            await plugin.start("input.mp4", "output.mp4")
            await asyncio.sleep(SECONDS)

            # Plugin will be automatically destroyed when session closes

    except Exception as e:
        print(f"Error: {e}")


def report() -> None:
    import av

    with av.open("output.mp4") as container:
        frames = sum(1 for _ in container.decode(video=0))
    print(f"output.mp4: {frames} video frames echoed back")


if __name__ == "__main__":
    if urlparse(URL).hostname in ("127.0.0.1", "localhost"):
        enable_loopback_ice()
    if Path("input.mp4").exists():
        asyncio.run(main())
        report()
    else:
        # Play a generated video, from a scratch directory so nothing is left behind.
        with tempfile.TemporaryDirectory() as scratch:
            os.chdir(scratch)
            make_test_video("input.mp4", seconds=3)
            asyncio.run(main())
            report()
