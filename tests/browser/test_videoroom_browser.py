"""VideoRoom with janus.js in Chromium: each side decodes the other's video."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from typing import Any

import pytest

from rxjanus import JanusSession
from rxjanus.plugins.videoroom import JanusVideoRoomPlugin
from rxjanus.testing import JanusServer, SyntheticVideoTrack, loopback_rtc_configuration

from ..conftest import sessions_left
from ..helpers import Recorder
from .chromium import Page

WAIT = 30.0


async def as_admin(janus: JanusServer, body: dict[str, Any]) -> dict[str, Any]:
    """One VideoRoom request on a session of its own, closed at once."""
    async with JanusSession(base_url=janus.ws_url) as session:
        admin = JanusVideoRoomPlugin()
        await admin.attach(session)
        return await admin.request(body)


@pytest.fixture
async def room(janus: JanusServer) -> AsyncIterator[int]:
    """A fresh room, destroyed afterwards; no session held meanwhile."""
    room_id = random.randint(10_000, 2**52)
    await as_admin(janus, {"request": "create", "room": room_id, "secret": "s3cret"})
    yield room_id
    await as_admin(janus, {"request": "destroy", "room": room_id, "secret": "s3cret"})


async def test_rxjanus_subscribes_to_the_browsers_camera(
    url: str, janus: JanusServer, page: Page, room: int
) -> None:
    await page.call("connect", url)  # janus.js and rxjanus both over ws, then both over http
    published = await page.call("videoroomPublish", room, "browser")
    feed = published["id"]
    async with JanusSession(base_url=url) as session:
        subscriber = JanusVideoRoomPlugin(pc_config=loopback_rtc_configuration())
        await subscriber.attach(session)
        frames = Recorder(subscriber.frames("video"))
        await subscriber.subscribe_to_publisher(room, [{"feed": feed}])
        await frames.wait_for(lambda r: len(r.values) >= 30, WAIT)
        last = frames.values[-1]
        assert (last.width, last.height) == (640, 480)  # Chromium's fake camera
        await subscriber.leave()
    await page.call("leave")
    assert await sessions_left(janus) == []


async def test_the_browser_subscribes_to_rxjanus(janus: JanusServer, page: Page, room: int) -> None:
    source = SyntheticVideoTrack(320, 240, fps=30)
    async with JanusSession(base_url=janus.ws_url) as session:
        publisher = JanusVideoRoomPlugin(pc_config=loopback_rtc_configuration())
        await publisher.attach(session)
        await publisher.join_as_publisher(room, display="bot")
        await publisher.publish(source, audio=False)
        await page.call("connect", janus.ws_url)
        await page.call("videoroomSubscribe", room, publisher.publisher_id)
        decoded = await page.call("decodedVideo", "subscriber", 30)
        assert decoded["framesDecoded"] >= 30
        assert (decoded["frameWidth"], decoded["frameHeight"]) == (320, 240)
        await page.call("leave")
        await publisher.leave()
    assert await sessions_left(janus) == []
