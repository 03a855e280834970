"""TextRoom over real data channels: three participants, against the real Janus."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from rxjanus import JanusSession, PluginError
from rxjanus.plugins.textroom import JanusTextRoomPlugin, TextRoomError
from rxjanus.testing import JanusServer, enable_loopback_ice, loopback_rtc_configuration

from .helpers import Recorder

MESSAGES = 50
SECRET = "room-secret"


@pytest.fixture(autouse=True)
def loopback_ice() -> None:
    enable_loopback_ice()


def is_kind(kind: str, **fields: Any) -> Any:
    """A predicate for a TextRoom message of ``kind`` with ``fields``."""

    def matches(message: dict[str, Any]) -> bool:
        return message.get("textroom") == kind and all(
            message.get(key) == value for key, value in fields.items()
        )

    return matches


def public_texts(recorder: Recorder) -> list[str]:
    return [
        m["text"]
        for m in recorder.values
        if m.get("textroom") == "message" and not m.get("whisper")
    ]


async def test_three_participants_talk_in_order(url: str, janus: JanusServer) -> None:
    async with JanusSession(base_url=url) as session:
        ann, ben, cat = (
            JanusTextRoomPlugin(pc_config=loopback_rtc_configuration()) for _ in range(3)
        )
        for plugin in (ann, ben, cat):
            await plugin.attach(session)
        heard = {
            name: Recorder(p.messages) for name, p in (("ann", ann), ("ben", ben), ("cat", cat))
        }
        await asyncio.gather(ann.setup(), ben.setup(), cat.setup())
        assert ann.ready
        assert ben.ready
        assert cat.ready

        room = await ann.create_room(description="order test", secret=SECRET)
        assert await ann.room_exists(room)
        assert await ann.join_room(room, "ann") == []
        assert await ben.join_room(room, "ben", display="Ben") == [{"username": "ann"}]
        others = await cat.join_room(room, "cat")
        assert {p["username"] for p in others} == {"ann", "ben"}
        await heard["ann"].wait_value(is_kind("join", room=room, username="cat"))
        await heard["ben"].wait_value(is_kind("join", room=room, username="cat"))
        assert (await heard["ann"].wait_value(is_kind("join", username="ben")))["display"] == "Ben"
        participants = await ann.list_participants(room)
        assert {p["username"] for p in participants} == {"ann", "ben", "cat"}

        # 50 numbered messages, all in flight at once: each waits for its own ack
        # through the transaction table, and every participant (the sender too)
        # gets them in the order they were sent.
        sent = [f"message {n}" for n in range(MESSAGES)]
        acks = await asyncio.gather(*(ben.send_message(room, text) for text in sent))
        assert all(ack is not None and ack["textroom"] == "success" for ack in acks)
        for recorder in heard.values():
            await recorder.wait_for(lambda r: len(public_texts(r)) >= MESSAGES, timeout=20)
            assert public_texts(recorder) == sent
        senders = {m["from"] for m in heard["cat"].values if m.get("textroom") == "message"}
        assert senders == {"ben"}

        # A private message reaches its target only. Ben's public marker comes
        # after it on every ordered channel, so once Ann has the marker she would
        # already have the whisper if it had reached her.
        ack = await ben.send_message(room, "for cat only", to="cat")
        assert ack is not None
        assert ack["sent"] == {"cat": True}
        whisper = await heard["cat"].wait_value(is_kind("message", text="for cat only"))
        assert whisper["whisper"] is True
        assert whisper["from"] == "ben"
        assert await ben.send_message(room, "marker", ack=False) is None
        await heard["ann"].wait_value(is_kind("message", text="marker"))
        await heard["ben"].wait_value(is_kind("message", text="marker"))
        for name in ("ann", "ben"):
            assert not any(m.get("text") == "for cat only" for m in heard[name].values)

        await ann.send_announcement(room, "the room speaks", secret=SECRET)
        for recorder in heard.values():
            announcement = await recorder.wait_value(is_kind("announcement", room=room))
            assert announcement["text"] == "the room speaks"
            assert "from" not in announcement

        await cat.leave_room(room)
        await heard["ann"].wait_value(is_kind("leave", room=room, username="cat"))
        await heard["ben"].wait_value(is_kind("leave", room=room, username="cat"))

        await ann.kick_participant(room, "ben", secret=SECRET)
        await heard["ann"].wait_value(is_kind("kicked", room=room, username="ben"))
        participants = await ann.list_participants(room)
        assert [p["username"] for p in participants] == ["ann"]

        await ann.destroy_room(room, secret=SECRET)
        await heard["ann"].wait_value(is_kind("destroyed", room=room))
        assert not await ann.room_exists(room)
        # Replies to our own requests never reach ``messages``.
        assert not any("transaction" in m for r in heard.values() for m in r.values)
    for recorder in heard.values():
        assert recorder.completed
    assert janus.list_sessions() == []


async def test_joining_a_missing_room_raises_the_plugin_error(url: str, janus: JanusServer) -> None:
    async with JanusSession(base_url=url) as session:
        plugin = JanusTextRoomPlugin(pc_config=loopback_rtc_configuration())
        await plugin.attach(session)
        with pytest.raises(TextRoomError) as no_channel:
            await plugin.join_room(1, "early")
        assert no_channel.value.code == 0
        await plugin.setup()
        missing = 987_654_321
        assert not await plugin.room_exists(missing)
        with pytest.raises(PluginError) as caught:
            await plugin.join_room(missing, "lost")
        assert caught.value.code == 417  # JANUS_TEXTROOM_ERROR_NO_SUCH_ROOM
        assert caught.value.plugin == "janus.plugin.textroom"
        # Without an ack there is nobody to raise to: the error reaches ``messages``.
        heard = Recorder(plugin.messages)
        assert await plugin.send_message(missing, "into the void", ack=False) is None
        error = await heard.wait_value(is_kind("error"))
        assert error["error_code"] == 417
        with pytest.raises(PluginError) as through_api:
            await plugin.destroy_room(missing)
        assert through_api.value.code == 417
        # The channel still works after an error.
        room = await plugin.create_room()
        assert await plugin.join_room(room, "found") == []
        with pytest.raises(PluginError) as twice:
            await plugin.create_room(room=room)
        assert twice.value.code == 418  # JANUS_TEXTROOM_ERROR_ROOM_EXISTS
        await plugin.destroy_room(room)
    assert janus.list_sessions() == []


async def test_edit_room_and_its_allowed_tokens(janus: JanusServer) -> None:
    async with JanusSession(base_url=janus.ws_url) as session:
        owner = JanusTextRoomPlugin(pc_config=loopback_rtc_configuration())
        guest = JanusTextRoomPlugin(pc_config=loopback_rtc_configuration())
        await owner.attach(session)
        await guest.attach(session)
        await guest.setup()
        room = await owner.create_room(description="before", secret=SECRET, is_private=False)
        try:
            edited = await owner.edit_room(room, SECRET, new_description="after", new_pin="42")
            assert edited == {"textroom": "edited", "room": room, "permanent": False}
            [listed] = [r for r in await owner.list_rooms() if r["room"] == room]
            assert (listed["description"], listed["pin_required"]) == ("after", True)
            with pytest.raises(TextRoomError) as wrong_secret:
                await owner.edit_room(room, "wrong", new_description="never")
            assert wrong_secret.value.code == 419  # JANUS_TEXTROOM_ERROR_UNAUTHORIZED
            with pytest.raises(TextRoomError) as no_pin:
                await guest.join_room(room, "guest")
            assert no_pin.value.code == 413  # JANUS_TEXTROOM_ERROR_MISSING_ELEMENT (pin)

            # An ACL: only a listed token may join.
            tokens = await owner.allowed(room, "add", ["token-a", "token-b"], SECRET)
            assert sorted(tokens) == ["token-a", "token-b"]  # Janus keeps a hash table
            assert await owner.allowed(room, "remove", ["token-b"], SECRET) == ["token-a"]
            assert await owner.allowed(room, "enable", secret=SECRET) == ["token-a"]
            with pytest.raises(TextRoomError) as unlisted:
                await guest.join_room(room, "guest", pin="42", token="token-b")
            assert unlisted.value.code == 419
            assert await guest.join_room(room, "guest", pin="42", token="token-a") == []
            assert [p["username"] for p in await owner.list_participants(room)] == ["guest"]
            await guest.leave_room(room)
            await owner.allowed(room, "disable", secret=SECRET)
            assert await guest.join_room(room, "guest", pin="42") == []
            with pytest.raises(TextRoomError) as bad_action:
                await owner.allowed(room, "shuffle", secret=SECRET)  # type: ignore[arg-type]
            assert bad_action.value.code in (413, 414)
        finally:
            await owner.destroy_room(room, secret=SECRET)
    assert janus.list_sessions() == []
