"""Any plugin without a class of its own: the Lua and Duktape EchoTest scripts, driven generically.

The fixture loads Debian's ``echotest.lua`` (``janus.plugin.echolua``) and
``echotest.js`` (``janus.plugin.echojs``). They answer an offer with an event
carrying the answer, a message without a jsep synchronously with
``{"echotest": "response", "result": "ok"}``, take EchoTest's ``audio``,
``video`` and ``data`` switches, and echo data channel text with a prefix.
"""

from __future__ import annotations

import pytest

from rxjanus import JanusSession
from rxjanus.exceptions import PluginAttachFail
from rxjanus.plugins.base import JanusPlugin
from rxjanus.plugins.webrtc import WebRTCPlugin
from rxjanus.protocol import plugin_data
from rxjanus.testing import (
    JanusServer,
    SyntheticAudioTrack,
    SyntheticVideoTrack,
    enable_loopback_ice,
    loopback_rtc_configuration,
)

from .helpers import Recorder

SCRIPTS = {"janus.plugin.echolua": "echotest.lua", "janus.plugin.echojs": "echotest.js"}
NO_SUCH_PLUGIN = 460
WAIT = 30.0


@pytest.fixture(autouse=True)
def loopback_ice() -> None:
    enable_loopback_ice()


@pytest.mark.parametrize("plugin_id", sorted(SCRIPTS))
async def test_a_script_plugin_echoes_media_and_takes_messages(
    janus: JanusServer, plugin_id: str
) -> None:
    video, audio = SyntheticVideoTrack(320, 240, fps=30), SyntheticAudioTrack()
    async with JanusSession(base_url=janus.ws_url) as session:
        plugin = WebRTCPlugin(loopback_rtc_configuration(), plugin_id=plugin_id)
        await plugin.attach(session)
        assert plugin.name == plugin_id
        assert session.session_id is not None
        # (No Admin handle_info here: Janus 1.1.2's Duktape query_session reads the
        # script's answer after releasing it, and now and then returns nothing.)
        assert janus.list_handles(session.session_id) == [plugin.id]
        events = Recorder(plugin.events)
        echoed_video = Recorder(plugin.frames("video"))
        echoed_audio = Recorder(plugin.frames("audio"))
        plugin.peer.create_data_channel("rxjanus")
        texts = Recorder(plugin.peer.data_messages)

        reply = await plugin.send_offer(
            {"audio": True, "video": True}, source=[audio, video], timeout=WAIT
        )
        assert reply["janus"] == "event"
        assert reply["plugindata"] == {
            "plugin": plugin_id,
            "data": {"echotest": "event", "result": "ok"},
        }
        assert reply["jsep"]["type"] == "answer"
        await plugin.wait_webrtcup(WAIT)
        assert "webrtcup" in events.kinds()

        # ~3 s of video, counted once the first echoed frame is in.
        await echoed_video.wait_for(lambda r: len(r.values) >= 1, WAIT)
        received0, sent0 = len(echoed_video.values), video.frames_sent
        await video.wait_sent(sent0 + 90)
        received, sent = len(echoed_video.values) - received0, video.frames_sent - sent0
        print(f"\n{plugin_id}: sent {sent} video frames, {received} echoed")
        assert received >= 0.85 * sent, (received, sent)
        assert (echoed_video.values[-1].width, echoed_video.values[-1].height) == (320, 240)
        assert echoed_audio.values, "no audio echoed"

        # The script's data channel handler answers our text with its prefix.
        await plugin.peer.wait_data_channel()
        plugin.peer.send_data("hello")
        echoed_text = await texts.wait_value(lambda m: isinstance(m, str), WAIT)
        assert echoed_text == f"[{SCRIPTS[plugin_id]}] --> hello"

        # A message without a jsep is answered at once; {"audio": false} stops the audio echo.
        assert await plugin.request({"audio": False}) == {"echotest": "response", "result": "ok"}
        audio_off, video_mark = len(echoed_audio.values), len(echoed_video.values)
        await echoed_video.wait_for(lambda r: len(r.values) >= video_mark + 60, WAIT)  # ~2 s
        during = len(echoed_audio.values) - audio_off
        assert during <= 10, f"{during} audio frames echoed while audio was off"  # ~100 if on
        switched = await plugin.send({"audio": True})
        assert switched["janus"] == "success"  # a synchronous plugin reply
        assert plugin_data(switched) == {"echotest": "response", "result": "ok"}
        audio_on = len(echoed_audio.values)
        await echoed_audio.wait_for(lambda r: len(r.values) >= audio_on + 50, WAIT)

        # Janus hanging up the PeerConnection closes ours: the frame streams end.
        peer = plugin.peer
        await plugin.hangup()
        await echoed_video.wait_for(lambda r: r.ended, WAIT)
        await echoed_audio.wait_for(lambda r: r.ended, WAIT)
        assert "hangup" in events.kinds()
        assert peer.closed

        await plugin.detach()
        assert not plugin.attached
        assert events.completed
        assert janus.list_handles(session.session_id) == []
    assert janus.list_sessions() == []


async def test_attaching_an_unknown_plugin_id_raises_with_code_and_reason(
    url: str, janus: JanusServer
) -> None:
    async with JanusSession(base_url=url) as session:
        plugin = JanusPlugin(plugin_id="janus.plugin.nosuchthing")
        with pytest.raises(PluginAttachFail) as raised:
            await plugin.attach(session)
        assert raised.value.code == NO_SUCH_PLUGIN
        assert "janus.plugin.nosuchthing" in raised.value.reason
        assert not plugin.attached
        assert session.session_id is not None
        assert janus.list_handles(session.session_id) == []
    assert janus.list_sessions() == []


def test_a_plugin_id_is_needed() -> None:
    with pytest.raises(ValueError, match="plugin_id"):
        JanusPlugin()
    with pytest.raises(ValueError, match="plugin_id"):
        WebRTCPlugin()
    assert WebRTCPlugin(plugin_id="janus.plugin.echojs").name == "janus.plugin.echojs"
