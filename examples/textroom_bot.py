"""A TextRoom bot: joins a room and echoes every message sent there.

Run the bot until Ctrl-C::

    python examples/textroom_bot.py ws://127.0.0.1:8188 --room 1234

The URL may also come from ``JANUS_URL``. The room is created if it does not
exist. Public messages are echoed to the room, whispers back to their sender.

With ``--demo`` a second participant joins, says a few things, prints the
bot's echoes and both leave. Without any URL the script starts its own Janus
on loopback (``rxjanus.testing.JanusServer``) and runs the demo.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
from typing import Any
from urllib.parse import urlparse

from aiortc import RTCConfiguration

from rxjanus import JanusSession
from rxjanus.plugins.textroom import JanusTextRoomPlugin, TextRoomEventType
from rxjanus.testing import JanusServer, enable_loopback_ice

BOT = "echo-bot"
DEMO_LINES = ["hello", "is anybody there?", "bye"]


def new_handle() -> JanusTextRoomPlugin:
    # No STUN server: the machine may have no network. Real deployments pass theirs.
    return JanusTextRoomPlugin(pc_config=RTCConfiguration(iceServers=[]))


async def start_bot(session: JanusSession, room: int) -> JanusTextRoomPlugin:
    """Attach, open the data channel, join ``room`` (creating it) and start echoing."""
    bot = new_handle()
    await bot.attach(session)
    await bot.setup()
    if not await bot.room_exists(room):
        await bot.create_room(room=room, description="echo room")
        print(f"bot: created room {room}")
    others = await bot.join_room(room, BOT, display="Echo bot")
    print(f"bot: joined room {room} with {[p['username'] for p in others]}")

    async def echo(message: dict[str, Any]) -> None:
        sender = message.get("from")
        if message.get("room") != room or sender in (None, BOT):
            return
        text = f"echo: {message.get('text')}"
        if message.get("whisper"):
            await bot.send_message(room, text, to=sender)
        else:
            await bot.send_message(room, text)

    def greet(message: dict[str, Any]) -> None:
        print(f"bot: {message.get('username')} {message['textroom']}s room {message['room']}")

    # janus_client's handler API; a coroutine handler runs as a task of the handle.
    bot.on_event(TextRoomEventType.MESSAGE, echo)
    bot.on_event(TextRoomEventType.JOIN, greet)
    bot.on_event(TextRoomEventType.LEAVE, greet)
    return bot


async def demo(session: JanusSession, room: int) -> None:
    """A visitor says a few things and prints the bot's echoes."""
    visitor = new_handle()
    await visitor.attach(session)
    await visitor.setup()
    echoes: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    visitor.messages.subscribe(lambda m: echoes.put_nowait(m) if m.get("from") == BOT else None)
    await visitor.join_room(room, "visitor")
    for line in DEMO_LINES:
        await visitor.send_message(room, line)
        echo = await asyncio.wait_for(echoes.get(), 10)
        print(f"visitor said {line!r}, bot answered {echo['text']!r}")
    await visitor.send_message(room, "just between us", to=BOT)
    echo = await asyncio.wait_for(echoes.get(), 10)
    print(f"visitor whispered, bot whispered back {echo['text']!r} (whisper={echo['whisper']})")
    await visitor.leave_room(room)
    await visitor.detach()


async def run(url: str, room: int, with_demo: bool) -> None:
    async with JanusSession(base_url=url) as session:
        bot = await start_bot(session, room)
        if with_demo:
            await demo(session, room)
            await bot.leave_room(room)
            await bot.destroy_room(room)
            return
        print("bot: echoing; Ctrl-C to stop")
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("JANUS_URL"))
    parser.add_argument("--room", type=int, default=4321, help="room id (default 4321)")
    parser.add_argument("--demo", action="store_true", help="talk to the bot, then exit")
    args = parser.parse_args()
    if args.url is None:
        with JanusServer() as server:
            enable_loopback_ice()
            print(f"started Janus {server.server_name}")
            asyncio.run(run(server.ws_url, args.room, with_demo=True))
        return
    if urlparse(args.url).hostname in ("127.0.0.1", "localhost"):
        enable_loopback_ice()  # aiortc leaves out 127.0.0.1 otherwise (test helper)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(args.url, args.room, args.demo))


if __name__ == "__main__":
    main()
