"""AudioBridge, TextRoom and VideoCall with janus.js in Chromium: a bot and a person."""

from __future__ import annotations

import asyncio
import random

from reactivex import operators as ops

from rxjanus import JanusSession
from rxjanus.plugins.audiobridge import JanusAudioBridgePlugin
from rxjanus.plugins.textroom import JanusTextRoomPlugin
from rxjanus.plugins.videocall import JanusVideoCallPlugin
from rxjanus.testing import (
    JanusServer,
    SyntheticAudioTrack,
    SyntheticVideoTrack,
    audio_level,
    loopback_rtc_configuration,
)

from ..conftest import sessions_left
from ..helpers import Recorder
from .chromium import Page

WAIT = 30.0
LOUD = 1000
"""A peak sample above this is sound, not silence (Chromium's fake microphone beeps)."""


async def test_audiobridge_each_hears_the_other(janus: JanusServer, page: Page) -> None:
    async with JanusSession(base_url=janus.ws_url) as session:
        bot = JanusAudioBridgePlugin(pc_config=loopback_rtc_configuration())
        await bot.attach(session)
        room = await bot.create_room(random.randint(10_000, 2**52), secret="s3cret")
        try:
            levels = Recorder(bot.frames("audio").pipe(ops.map(audio_level)))
            await bot.join(room, "bot", source=SyntheticAudioTrack(440.0))
            await page.call("connect", janus.ws_url)
            await page.call("audiobridgeJoin", room, "browser")
            # The bot hears the browser's beeps in the mix (its own tone is left out of it).
            await levels.wait_for(lambda r: any(level > LOUD for level in r.values), WAIT)
            # The browser hears the bot's tone.
            heard = await page.call("heardAudio", "audiobridge", 0.01)
            assert heard["totalAudioEnergy"] > 0.01
            await page.call("leave")
            await bot.leave()
        finally:
            await bot.destroy_room(room, secret="s3cret")
    assert await sessions_left(janus) == []


async def test_textroom_messages_go_both_ways(janus: JanusServer, page: Page) -> None:
    async with JanusSession(base_url=janus.ws_url) as session:
        bot = JanusTextRoomPlugin(pc_config=loopback_rtc_configuration())
        await bot.attach(session)
        heard = Recorder(bot.messages)
        await bot.setup()
        room = await bot.create_room(secret="s3cret")
        try:
            assert await bot.join_room(room, "bot") == []
            await page.call("connect", janus.ws_url)
            await page.call("textroomJoin", room, "browser")
            await heard.wait_value(
                lambda m: m.get("textroom") == "join" and m.get("username") == "browser", WAIT
            )

            await page.call("textroomSay", room, "hello from the browser")
            said = await heard.wait_value(
                lambda m: (
                    m.get("textroom") == "message" and m.get("text") == "hello from the browser"
                ),
                WAIT,
            )
            assert said["from"] == "browser"

            await bot.send_message(room, "hello from rxjanus")
            got = await page.call("textroomHeard", "hello from rxjanus")
            assert (got["from"], got["room"]) == ("bot", room)
            await page.call("leave")
            await bot.leave_room(room)
        finally:
            await bot.destroy_room(room, secret="s3cret")
    assert await sessions_left(janus) == []


async def test_the_browser_calls_a_bot_that_answers(janus: JanusServer, page: Page) -> None:
    name = f"bot-{random.randint(0, 2**32)}"
    source = SyntheticVideoTrack(320, 240, fps=30)
    async with JanusSession(base_url=janus.ws_url) as session:
        bot = JanusVideoCallPlugin(pc_config=loopback_rtc_configuration())
        await bot.attach(session)
        assert await bot.register(name)
        frames = Recorder(bot.frames("video"))

        async def answer() -> bool:
            call = await bot.wait_incoming_call(timeout=WAIT)
            assert call.username == f"browser-{name}"
            return await bot.accept(call.jsep, player=[source, SyntheticAudioTrack(440.0)])

        await page.call("connect", janus.ws_url)
        called, accepted = await asyncio.gather(
            page.call("videocallCall", f"browser-{name}", name), answer()
        )
        assert called
        assert accepted
        # The bot decodes the browser's camera; the browser decodes the bot's video and hears it.
        await frames.wait_for(lambda r: len(r.values) >= 30, WAIT)
        assert (frames.values[-1].width, frames.values[-1].height) == (640, 480)
        decoded = await page.call("decodedVideo", "videocall", 30)
        assert (decoded["frameWidth"], decoded["frameHeight"]) == (320, 240)
        heard = await page.call("heardAudio", "videocall", 0.01)
        assert heard["totalAudioEnergy"] > 0.01
        await bot.hangup()
        await page.call("leave")
    assert await sessions_left(janus) == []
