"""The seed page's "Manual Session Management" example.

Unchanged but for the import line and the URL, which comes from the command
line: ``python examples/seed/manual_session_management.py ws://127.0.0.1:8188``.
It joins VideoRoom room 1234, which must exist. The bare ``except:`` is the
seed's own, kept as written.
"""

# ruff: noqa: E722, SIM105

import asyncio
import sys

from rxjanus import JanusSession, JanusVideoRoomPlugin

URL = sys.argv[1] if len(sys.argv) > 1 else "ws://127.0.0.1:8188"


async def main():
    session = JanusSession(base_url=URL)

    try:
        # Manually create session
        await session.create()

        # Attach plugin
        plugin = JanusVideoRoomPlugin()
        await plugin.attach(session)

        # Use plugin
        await plugin.join(room_id=1234, username="user1")

        # Manual cleanup
        await plugin.destroy()
        await session.destroy()

    except Exception as e:
        print(f"Error: {e}")
        # Ensure cleanup on error
        try:
            await session.destroy()
        except:
            pass


if __name__ == "__main__":
    asyncio.run(main())
