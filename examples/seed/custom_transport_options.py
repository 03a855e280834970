"""The seed page's "Session with Custom Transport Options" example.

Unchanged but for the import line and the URL, which comes from the command
line: ``python examples/seed/custom_transport_options.py ws://127.0.0.1:8188``.
"""

import asyncio
import sys

from rxjanus import JanusSession

URL = sys.argv[1] if len(sys.argv) > 1 else "ws://127.0.0.1:8188"


async def main():
    # Session with custom transport configuration
    session = JanusSession(
        base_url=URL,
        timeout=30.0,  # Request timeout
        max_retries=3,  # Maximum retry attempts
        retry_delay=1.0,  # Initial retry delay
        keepalive_interval=30,  # Keepalive ping interval
    )

    async with session:
        # Get server information
        info = await session.transport.info()
        print(f"Server info: {info}")

        # Send keepalive ping
        await session.keepalive()


if __name__ == "__main__":
    asyncio.run(main())
