"""Streaming against the real Janus: RTP mountpoints fed by a real RTP source on loopback.

Each test makes its own mountpoints (random ids; Janus binds free UDP ports on
127.0.0.1 for them) and :class:`~rxjanus.testing.rtp.RtpSource` feeds them
generated VP8 video, Opus audio and text data from a thread.
"""

from __future__ import annotations

import os
import random
import re
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from reactivex import operators as ops

from rxjanus import JanusSession, PluginError
from rxjanus.exceptions import InvalidStateError
from rxjanus.plugins.streaming import (
    JanusStreamingPlugin,
    StreamingError,
    StreamingErrorCode,
    StreamingEventType,
    rtp_media,
    streaming_event_type,
)
from rxjanus.testing import JanusServer, enable_loopback_ice, loopback_rtc_configuration
from rxjanus.testing.rtp import RtpKind, RtpSource, audio_level, make_opus_file, read_mjr

from .helpers import Recorder

WAIT = 30.0
"""Seconds any one wait may take (2 cores shared with other media tests)."""

DRAIN = 30
"""Video frames the source sends while what was already on its way arrives (1 s)."""


@pytest.fixture(autouse=True)
def loopback_ice() -> None:
    enable_loopback_ice()


def new_plugin() -> JanusStreamingPlugin:
    return JanusStreamingPlugin(pc_config=loopback_rtc_configuration())


def random_id() -> int:
    return random.randint(10_000, 2**52)


def of_kind(kind: StreamingEventType) -> Any:
    """A predicate for Recorder.wait_value: a Streaming message of ``kind``."""
    return lambda message: isinstance(message, dict) and streaming_event_type(message) is kind


def janus_kind(kind: str) -> Any:
    """A predicate for Recorder.wait_value: a Janus message such as ``hangup``."""
    return lambda message: isinstance(message, dict) and message.get("janus") == kind


def av_media() -> list[dict[str, Any]]:
    """Video, audio and data on ports Janus picks on 127.0.0.1."""
    return [
        rtp_media("video", "v", pt=96, codec="vp8", iface="127.0.0.1", bufferkf=True),
        rtp_media("audio", "a", pt=111, codec="opus", iface="127.0.0.1"),
        rtp_media("data", "d", iface="127.0.0.1", datatype="text"),
    ]


def frame_size(frame: Any) -> tuple[int, int]:
    return (frame.width, frame.height)


def ports_of(created: dict[str, Any]) -> dict[str, int]:
    return {entry["mid"]: entry["port"] for entry in created["stream"]["ports"]}


def plugin_state(janus: JanusServer, plugin: JanusStreamingPlugin) -> dict[str, Any]:
    """What the plugin itself says about the handle (Admin API ``handle_info``)."""
    assert plugin.session is not None
    assert plugin.session.session_id is not None
    assert plugin.id is not None
    state: dict[str, Any] = janus.handle_info(plugin.session.session_id, plugin.id)[
        "plugin_specific"
    ]
    return state


@asynccontextmanager
async def mountpoint(
    plugin: JanusStreamingPlugin, media: list[dict[str, Any]] | None = None, **fields: Any
) -> AsyncIterator[tuple[int, dict[str, int]]]:
    """An RTP mountpoint (secret "s3cret"), destroyed afterwards; yields its id and ports."""
    mountpoint_id = random_id()
    created = await plugin.create_mountpoint(
        mountpoint_id, media=media or av_media(), secret="s3cret", **fields
    )
    assert created["stream"]["id"] == mountpoint_id
    try:
        yield mountpoint_id, ports_of(created)
    finally:
        if mountpoint_id in [m["id"] for m in await plugin.list_mountpoints()]:
            await plugin.destroy_mountpoint(mountpoint_id, secret="s3cret")


@contextmanager
def rtp_source(ports: dict[str, int], **options: Any) -> Iterator[RtpSource]:
    with RtpSource(
        video_port=ports.get("v"), audio_port=ports.get("a"), data_port=ports.get("d"), **options
    ) as source:
        yield source


async def count_window(source: RtpSource, frames: Recorder, kind: RtpKind, count: int) -> int:
    """Frames received while the source sends ``count`` more ``kind`` frames."""
    before = len(frames.values)
    await source.wait_sent(kind, source.sent(kind) + count)
    return len(frames.values) - before


async def quiet_window(source: RtpSource, *received: Recorder) -> list[int]:
    """Frames received during 2 s of video sent, after 1 s to drain what was on its way."""
    await source.wait_sent("video", source.sent("video") + DRAIN)
    before = [len(frames.values) for frames in received]
    await source.wait_sent("video", source.sent("video") + 60)
    return [len(frames.values) - count for frames, count in zip(received, before, strict=True)]


async def settles_on(sizes: Recorder, size: tuple[int, int], start: int) -> None:
    """Frames of ``size`` come after ``start``, and from the first one on, only they (30)."""
    await sizes.wait_for(lambda r: size in r.values[start:], WAIT)
    first = sizes.values.index(size, start)
    await sizes.wait_for(lambda r: len(r.values) >= first + 30, WAIT)
    assert set(sizes.values[first:]) == {size}


async def next_event(events: Recorder, start: int, predicate: Any) -> dict[str, Any]:
    """The first message from ``events.values[start]`` on that satisfies ``predicate``."""
    await events.wait_for(lambda r: any(predicate(m) for m in r.values[start:]), WAIT)
    message: dict[str, Any] = next(m for m in events.values[start:] if predicate(m))
    return message


def result_of(kind: StreamingEventType, **result: Any) -> Any:
    """A predicate: a Streaming event of ``kind`` whose ``result`` is ``result``."""
    return lambda m: of_kind(kind)(m) and m["plugindata"]["data"]["result"] == result


# -- administration ------------------------------------------------------------------


async def test_mountpoint_admin_round_trip(url: str, janus: JanusServer) -> None:
    mountpoint_id = random_id()
    async with JanusSession(base_url=url) as session:
        plugin = new_plugin()
        await plugin.attach(session)
        created = await plugin.create_mountpoint(
            mountpoint_id,
            name=f"rx-{mountpoint_id}",
            description="before",
            metadata='{"channel": 1}',
            secret="s",
            pin="1234",
            media=av_media(),
        )
        assert created["streaming"] == "created"
        assert created["created"] == f"rx-{mountpoint_id}"
        assert created["permanent"] is False
        stream = created["stream"]
        assert (stream["id"], stream["description"], stream["is_private"]) == (
            mountpoint_id,
            "before",
            False,
        )
        ports = ports_of(created)
        assert sorted(ports) == ["a", "d", "v"]
        assert all(port > 0 for port in ports.values())

        [listed] = [m for m in await plugin.list_mountpoints() if m["id"] == mountpoint_id]
        assert (listed["description"], listed["metadata"], listed["enabled"]) == (
            "before",
            '{"channel": 1}',
            True,
        )
        assert [(m["mid"], m["type"]) for m in listed["media"]] == [
            ("v", "video"),
            ("a", "audio"),
            ("d", "data"),
        ]

        public = await plugin.mountpoint_info(mountpoint_id)
        assert "secret" not in public
        assert "port" not in public["media"][0]  # ports only with the secret
        info = await plugin.mountpoint_info(mountpoint_id, secret="s")
        assert (info["secret"], info["pin"], info["viewers"]) == ("s", "1234", 0)
        assert [(m["mid"], m.get("codec"), m.get("pt"), m["port"]) for m in info["media"]] == [
            ("v", "vp8", 96, ports["v"]),
            ("a", "opus", 111, ports["a"]),
            ("d", None, None, ports["d"]),
        ]

        with pytest.raises(StreamingError) as taken:
            await plugin.create_mountpoint(mountpoint_id, media=av_media())
        assert taken.value.code == StreamingErrorCode.CANT_CREATE

        edited = await plugin.edit_mountpoint(
            mountpoint_id, secret="s", description="after", metadata="m2", is_private=True
        )
        assert edited == {"streaming": "edited", "id": mountpoint_id, "permanent": False}
        assert mountpoint_id not in [m["id"] for m in await plugin.list_mountpoints()]
        info = await plugin.mountpoint_info(mountpoint_id, secret="s")
        assert (info["description"], info["metadata"], info["is_private"]) == (
            "after",
            "m2",
            True,
        )

        assert await plugin.disable_mountpoint(mountpoint_id, secret="s") == {"streaming": "ok"}
        assert (await plugin.mountpoint_info(mountpoint_id))["enabled"] is False
        assert await plugin.enable_mountpoint(mountpoint_id, secret="s") == {"streaming": "ok"}
        assert (await plugin.mountpoint_info(mountpoint_id))["enabled"] is True
        assert await plugin.kick_all(mountpoint_id, secret="s") == {"streaming": "kicked_all"}

        with pytest.raises(StreamingError) as wrong_secret:
            await plugin.destroy_mountpoint(mountpoint_id, secret="wrong")
        assert wrong_secret.value.code == StreamingErrorCode.UNAUTHORIZED
        destroyed = await plugin.destroy_mountpoint(mountpoint_id, secret="s")
        assert destroyed == {"streaming": "destroyed", "destroyed": mountpoint_id}
        with pytest.raises(StreamingError) as gone:
            await plugin.mountpoint_info(mountpoint_id)
        assert gone.value.code == StreamingErrorCode.NO_SUCH_MOUNTPOINT

        chosen = await plugin.create_mountpoint(is_private=True, media=av_media()[:1])
        chosen_id = chosen["stream"]["id"]  # the id Janus chose
        assert chosen_id not in [m["id"] for m in await plugin.list_mountpoints()]
        await plugin.destroy_mountpoint(chosen_id)
    assert janus.list_sessions() == []


async def test_errors_are_typed_with_the_janus_code(janus: JanusServer) -> None:
    async with JanusSession(base_url=janus.ws_url) as session:
        plugin = new_plugin()
        await plugin.attach(session)
        missing = random_id()
        with pytest.raises(PluginError) as raised:
            await plugin.watch(missing)
        assert isinstance(raised.value, StreamingError)
        assert raised.value.code == StreamingErrorCode.NO_SUCH_MOUNTPOINT
        assert raised.value.code == 455
        assert raised.value.error_code == 455  # janus_client's attribute names
        assert raised.value.plugin == "janus.plugin.streaming"
        assert str(missing) in raised.value.reason
        assert plugin.mountpoint_id is None
        assert not plugin.is_watching

        async with mountpoint(plugin, pin="1234") as (mountpoint_id, _):
            with pytest.raises(StreamingError) as no_pin:
                await plugin.watch(mountpoint_id)
            assert no_pin.value.code == StreamingErrorCode.MISSING_ELEMENT
            with pytest.raises(StreamingError) as wrong_pin:
                await plugin.watch(mountpoint_id, pin="0000")
            assert wrong_pin.value.code == StreamingErrorCode.UNAUTHORIZED
            with pytest.raises(StreamingError) as bad_record:
                await plugin.start_recording(mountpoint_id, {"v": "/nowhere"}, secret="wrong")
            assert bad_record.value.code == StreamingErrorCode.UNAUTHORIZED
            with pytest.raises(StreamingError) as bad_type:
                await plugin.create_mountpoint(type="nonsense")  # type: ignore[arg-type]
            assert bad_type.value.code == StreamingErrorCode.INVALID_ELEMENT

        for call in (plugin.start, plugin.pause, plugin.stop, plugin.configure):
            with pytest.raises(InvalidStateError):
                await call()
        with pytest.raises(InvalidStateError):
            await plugin.switch(missing)
    assert janus.list_sessions() == []


# -- watching -------------------------------------------------------------------------


async def test_viewer_gets_video_audio_and_data_pauses_configures_and_stops(
    janus: JanusServer,
) -> None:
    async with JanusSession(base_url=janus.ws_url) as session:
        admin = new_plugin()
        await admin.attach(session)
        async with mountpoint(admin) as (mountpoint_id, ports):
            with rtp_source(ports) as source:
                viewer = new_plugin()
                await viewer.attach(session)
                events = Recorder(viewer.events)
                video = Recorder(viewer.frames("video"))
                audio = Recorder(viewer.frames("audio"))
                data = Recorder(viewer.data_messages)
                preparing = await viewer.watch(mountpoint_id)
                assert preparing == {"streaming": "event", "result": {"status": "preparing"}}
                assert viewer.is_watching
                assert viewer.mountpoint_id == mountpoint_id
                await events.wait_value(of_kind(StreamingEventType.STARTED), WAIT)
                state = plugin_state(janus, viewer)
                assert (state["state"], state["mountpoint_id"], state["started"]) == (
                    "watching",
                    mountpoint_id,
                    1,
                )
                assert (await admin.mountpoint_info(mountpoint_id, "s3cret"))["viewers"] == 1

                # Count frames over a window that starts once media is in.
                await video.wait_for(lambda r: len(r.values) >= 1, WAIT)
                await audio.wait_for(lambda r: len(r.values) >= 1, WAIT)
                video_got = await count_window(source, video, "video", 90)  # 3 s at 30 fps
                audio_got = len(audio.values)
                print(f"\nvideo: received {video_got} of 90 frames sent; audio: {audio_got}")
                assert video_got >= 0.85 * 90, video_got
                last = video.values[-1]
                assert (last.width, last.height) == (320, 240)
                assert audio_got >= 100  # 50 frames a second for more than 3 s
                assert audio_level(audio.values[-1]) > 2000  # the tone, not silence
                await data.wait_for(lambda r: len(r.values) >= 3, WAIT)
                # Janus 1.1.2 relays a mountpoint's data as binary whatever its datatype.
                texts = [m.decode() if isinstance(m, bytes) else m for m in data.values]
                assert all(text.startswith("rxjanus ") for text in texts), texts[:3]

                # Pause: Janus stops relaying; start: it relays again.
                paused = await viewer.pause()
                assert paused["result"] == {"status": "pausing"}
                assert viewer.paused
                assert plugin_state(janus, viewer)["paused"] == 1
                assert await quiet_window(source, video, audio) == [0, 0]
                resumed = await viewer.start()
                assert resumed["result"]["status"] in ("started", "starting")
                assert not viewer.paused
                before = len(video.values)
                await video.wait_for(lambda r: len(r.values) >= before + 30, WAIT)

                # configure: audio off (video goes on), then on again. (Audio shows the
                # resumption at once; aiortc's 512-packet video jitter buffer waits that
                # many packets past the sequence gap Janus leaves before showing video.)
                configured = await viewer.configure(mid="a", send=False)
                assert configured["result"] == {"event": "configured"}
                video_got, audio_got = await quiet_window(source, video, audio)
                assert video_got >= 0.85 * 60, video_got
                assert audio_got == 0
                await viewer.configure(mid="a", send=True)
                before = len(audio.values)
                await audio.wait_for(lambda r: len(r.values) >= before + 25, WAIT)
                assert audio_level(audio.values[-1]) > 2000

                # stop: Janus hangs up; the frame streams complete.
                stopped = await viewer.stop()
                assert stopped["result"] == {"status": "stopping"}
                assert video.completed
                assert audio.completed
                assert data.completed
                assert not viewer.is_watching
                assert viewer.mountpoint_id is None
                await events.wait_value(janus_kind("hangup"), WAIT)
                assert plugin_state(janus, viewer)["state"] == "idle"
                assert (await admin.mountpoint_info(mountpoint_id, "s3cret"))["viewers"] == 0

                # The handle may watch again.
                again = Recorder(viewer.frames("video"))
                await viewer.watch(mountpoint_id, media=["v"])
                await again.wait_for(lambda r: len(r.values) >= 10, WAIT)
                await viewer.detach()
                assert again.completed
    assert janus.list_sessions() == []


async def test_switch_between_two_mountpoints(url: str, janus: JanusServer) -> None:
    async with JanusSession(base_url=url) as session:
        viewer = new_plugin()
        await viewer.attach(session)
        media = av_media()[:1]
        async with (
            mountpoint(viewer, media) as (first, first_ports),
            mountpoint(viewer, media) as (second, second_ports),
        ):
            with (
                rtp_source(first_ports, width=320, height=240),
                rtp_source(second_ports, width=160, height=120),
            ):
                sizes = Recorder(viewer.frames("video").pipe(ops.map(frame_size)))
                switched_handler: list[dict[str, Any]] = []
                viewer.on_event(StreamingEventType.SWITCHED, switched_handler.append)
                await viewer.watch(first)
                await sizes.wait_value(lambda size: size == (320, 240), WAIT)

                start = len(sizes.values)
                switched = await viewer.switch(second)
                assert switched["result"] == {"switched": "ok", "id": second}
                assert switched_handler == [switched]
                assert viewer.mountpoint_id == second
                # From the second source's first keyframe on, only its frames arrive.
                await settles_on(sizes, (160, 120), start)
                assert plugin_state(janus, viewer)["mountpoint_id"] == second
                assert (await viewer.mountpoint_info(first, "s3cret"))["viewers"] == 0
                assert (await viewer.mountpoint_info(second, "s3cret"))["viewers"] == 1

                with pytest.raises(StreamingError) as nowhere:
                    await viewer.switch(random_id())
                assert nowhere.value.code == StreamingErrorCode.NO_SUCH_MOUNTPOINT
                assert viewer.mountpoint_id == second
                await viewer.switch(first)
                await sizes.wait_for(lambda r: r.values[-1] == (320, 240), WAIT)
                await viewer.stop()
    assert janus.list_sessions() == []


async def test_simulcast_substreams_and_temporal_layer(janus: JanusServer) -> None:
    layers = [(160, 120), (240, 180), (320, 240)]  # substreams 0, 1 and 2
    low, middle, high = layers
    async with JanusSession(base_url=janus.ws_url) as session:
        viewer = new_plugin()
        await viewer.attach(session)
        events = Recorder(viewer.events)
        video = rtp_media("video", "v", pt=96, codec="vp8", iface="127.0.0.1", simulcast=True)
        created = await viewer.create_mountpoint(media=[{**video, "port2": 0, "port3": 0}])
        mountpoint_id = created["stream"]["id"]
        [ports] = created["stream"]["ports"]
        source = RtpSource(
            video_port=ports["port"],
            width=low[0],
            height=low[1],
            simulcast=[(ports["port_2"], *middle), (ports["port_3"], *high)],
        )
        try:
            with source:
                sizes = Recorder(viewer.frames("video").pipe(ops.map(frame_size)))
                await viewer.watch(mountpoint_id)  # Janus aims at the highest substream
                await sizes.wait_value(lambda size: size == high, WAIT)

                for substream in (0, 1):
                    start_events, start_frames = len(events.values), len(sizes.values)
                    configured = await viewer.configure(mid="v", substream=substream)
                    assert configured["result"] == {"event": "configured"}
                    wanted = result_of(StreamingEventType.SUBSTREAM, mid="v", substream=substream)
                    await next_event(events, start_events, wanted)
                    await settles_on(sizes, layers[substream], start_frames)
                    [stream] = plugin_state(janus, viewer)["media"]
                    assert stream["simulcast"]["substream"] == substream

                # The source has no temporal layers: Janus says layer 0 is what we get.
                start_events = len(events.values)
                await viewer.configure(mid="v", temporal=0)
                wanted = result_of(StreamingEventType.TEMPORAL, mid="v", temporal=0)
                await next_event(events, start_events, wanted)
                await viewer.stop()
        finally:
            await viewer.destroy_mountpoint(mountpoint_id)
    assert janus.list_sessions() == []


async def test_recording_writes_mjr_files(janus: JanusServer) -> None:
    base = janus.recordings_dir / f"streaming-{random_id()}"
    files = {"v": Path(f"{base}-video"), "a": Path(f"{base}-audio")}
    async with JanusSession(base_url=janus.ws_url) as session:
        admin = new_plugin()
        await admin.attach(session)
        async with mountpoint(admin, av_media()[:2]) as (mountpoint_id, ports):
            with rtp_source(ports) as source:
                await source.wait_sent("video", 30)
                started = await admin.start_recording(mountpoint_id, files, secret="s3cret")
                assert started == {"streaming": "ok"}
                video0, audio0 = source.sent("video"), source.sent("audio")
                await source.wait_sent("video", video0 + 60)
                info = await admin.mountpoint_info(mountpoint_id, "s3cret")
                assert [m.get("recording") for m in info["media"]] == [
                    f"{files['v'].name}.mjr",
                    f"{files['a'].name}.mjr",
                ]
                stopped = await admin.stop_recording(mountpoint_id, ["v", "a"], secret="s3cret")
                assert stopped == {"streaming": "ok"}
                video_sent = source.sent("video") - video0
                audio_sent = source.sent("audio") - audio0
                info = await admin.mountpoint_info(mountpoint_id, "s3cret")
                assert [m.get("recording") for m in info["media"]] == [None, None]

                # disable stops a recording too (here of the video only: Janus 1.1.2 would
                # crash on the audio stream that is not recording, were it asked to).
                again = Path(f"{base}-again")
                await admin.start_recording(mountpoint_id, {"v": again}, secret="s3cret")
                await source.wait_sent("video", source.sent("video") + 30)
                await admin.disable_mountpoint(mountpoint_id, secret="s3cret")
                info = await admin.mountpoint_info(mountpoint_id, "s3cret")
                assert [m.get("recording") for m in info["media"]] == [None, None]
                assert info["enabled"] is False
    assert read_mjr(f"{again}.mjr").codec == "vp8"
    video = read_mjr(f"{files['v']}.mjr")
    audio = read_mjr(f"{files['a']}.mjr")
    assert (video.kind, video.codec) == ("video", "vp8")
    assert (audio.kind, audio.codec) == ("audio", "opus")
    video_frames = sum(1 for packet in video.packets if packet[1] & 0x80)  # marker: frame end
    print(
        f"\nrecorded {video_frames} of {video_sent} video frames, {len(audio.packets)} of "
        f"{audio_sent} audio frames"
    )
    assert video_sent * 0.8 <= video_frames <= video_sent + 3
    assert audio_sent * 0.8 <= len(audio.packets) <= audio_sent + 3
    assert video.payload_types() == {96}
    assert audio.payload_types() == {111}
    assert janus.list_sessions() == []


async def test_disable_kick_edit_and_destroy_reach_the_viewer(janus: JanusServer) -> None:
    async with JanusSession(base_url=janus.ws_url) as session:
        admin = new_plugin()
        await admin.attach(session)
        viewer = new_plugin()
        await viewer.attach(session)
        events = Recorder(viewer.events)
        kicked_handler: list[dict[str, Any]] = []
        viewer.on_event(StreamingEventType.KICKED_ALL, kicked_handler.append)
        async with mountpoint(admin, av_media()[:2]) as (mountpoint_id, ports):
            with rtp_source(ports) as source:
                video = Recorder(viewer.frames("video"))
                audio = Recorder(viewer.frames("audio"))
                await viewer.watch(mountpoint_id)
                await video.wait_for(lambda r: len(r.values) >= 10, WAIT)

                # disable: no more media; enable: media again (audio shows it at once).
                await admin.disable_mountpoint(mountpoint_id, secret="s3cret")
                assert (await admin.mountpoint_info(mountpoint_id))["enabled"] is False
                assert await quiet_window(source, video, audio) == [0, 0]
                await admin.enable_mountpoint(mountpoint_id, secret="s3cret")
                before = len(audio.values)
                await audio.wait_for(lambda r: len(r.values) >= before + 25, WAIT)

                # edit with edited_event: the viewer hears of the new metadata.
                await admin.edit_mountpoint(
                    mountpoint_id, secret="s3cret", metadata="now", edited_event=True
                )
                edited = await events.wait_value(of_kind(StreamingEventType.EDITED), WAIT)
                assert edited["plugindata"]["data"] == {
                    "event": "edited",
                    "id": mountpoint_id,
                    "metadata": "now",
                }

                # kick_all: the viewer is hung up, and may watch again.
                await admin.kick_all(mountpoint_id, secret="s3cret")
                await events.wait_value(of_kind(StreamingEventType.KICKED_ALL), WAIT)
                await events.wait_value(janus_kind("hangup"), WAIT)
                assert kicked_handler == [
                    {"streaming": "event", "result": {"status": "kicked_all"}}
                ]
                await video.wait_for(lambda r: r.completed, WAIT)
                assert not viewer.is_watching
                video = Recorder(viewer.frames("video"))
                await viewer.watch(mountpoint_id)
                await video.wait_for(lambda r: len(r.values) >= 10, WAIT)

                # destroy: the viewer gets "stopped", then a hangup.
                hangups = events.kinds().count("hangup")
                await admin.destroy_mountpoint(mountpoint_id, secret="s3cret")
                await events.wait_value(of_kind(StreamingEventType.STOPPED), WAIT)
                await events.wait_for(lambda r: r.kinds().count("hangup") > hangups, WAIT)
                await video.wait_for(lambda r: r.completed, WAIT)
                assert viewer.mountpoint_id is None
    assert janus.list_sessions() == []


async def test_live_and_ondemand_file_mountpoints(janus: JanusServer, tmp_path: Path) -> None:
    tone = make_opus_file(tmp_path / "tone.opus", seconds=2.0)
    async with JanusSession(base_url=janus.ws_url) as session:
        plugin = new_plugin()
        await plugin.attach(session)
        for kind, reported in (("live", "live"), ("ondemand", "on demand")):
            created = await plugin.create_mountpoint(
                type=kind,  # type: ignore[arg-type]
                filename=tone,
                audiocodec="opus",
                audiopt=111,
                description=f"a {kind} tone",
            )
            mountpoint_id = created["stream"]["id"]
            try:
                info = await plugin.mountpoint_info(mountpoint_id)
                assert (info["type"], info["description"]) == (reported, f"a {kind} tone")
                assert [(m["type"], m["codec"]) for m in info["media"]] == [("audio", "opus")]
                audio = Recorder(plugin.frames("audio"))
                await plugin.watch(mountpoint_id)
                await audio.wait_for(lambda r: len(r.values) >= 100, WAIT)  # 2 s of 20 ms frames
                assert max(audio_level(frame) for frame in audio.values) > 2000
                if kind == "live":
                    with pytest.raises(StreamingError) as cannot:
                        await plugin.switch(random_id())
                    assert cannot.value.code == StreamingErrorCode.CANT_SWITCH
                await plugin.stop()
                assert audio.completed
            finally:
                await plugin.destroy_mountpoint(mountpoint_id)
    assert janus.list_sessions() == []


def test_viewer_example_feeds_and_watches_a_mountpoint(janus: JanusServer) -> None:
    script = Path(__file__).resolve().parent.parent / "examples" / "streaming_viewer.py"
    done = subprocess.run(
        [sys.executable, str(script), "--demo"],
        env={**os.environ, "JANUS_URL": janus.ws_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    received = re.search(r"received video (\d+) frames \((\d+)x(\d+)\)", done.stdout)
    assert received is not None, done.stdout
    frames, width, height = (int(group) for group in received.groups())
    assert frames >= 0.85 * 90, done.stdout  # the script counts 90 frames sent
    assert (width, height) == (320, 240)
    assert "destroyed mountpoint" in done.stdout
    assert janus.list_sessions() == []


# -- without a server -------------------------------------------------------------------


async def test_rtp_source_sends_rtp_with_the_payload_types_asked_for() -> None:
    sockets = {kind: socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for kind in "vad"}
    try:
        for sock in sockets.values():
            sock.bind(("127.0.0.1", 0))
            sock.setblocking(False)
        ports = {kind: sock.getsockname()[1] for kind, sock in sockets.items()}
        source = RtpSource(
            video_port=ports["v"], audio_port=ports["a"], data_port=ports["d"], video_pt=100
        )
        with source:
            await source.wait_sent("video", 10)
            await source.wait_sent("data", 2)
        with pytest.raises(RuntimeError):
            await source.wait_sent("video", source.sent("video") + 1)  # stopped
        received = {kind: drain(sock) for kind, sock in sockets.items()}
    finally:
        for sock in sockets.values():
            sock.close()
    assert {packet[0] >> 6 for packet in received["v"] + received["a"]} == {2}  # RTP v2
    assert {packet[1] & 0x7F for packet in received["v"]} == {100}
    assert {packet[1] & 0x7F for packet in received["a"]} == {111}
    assert sum(1 for packet in received["v"] if packet[1] & 0x80) >= 10  # frame ends
    assert len(received["a"]) >= source.sent("audio") - 1 > 0
    assert [packet.decode() for packet in received["d"][:2]] == ["rxjanus 0", "rxjanus 1"]
    with pytest.raises(ValueError, match="at least one"):
        RtpSource()


def drain(sock: socket.socket) -> list[bytes]:
    packets: list[bytes] = []
    while True:
        try:
            packets.append(sock.recv(2048))
        except BlockingIOError:
            return packets


def test_event_types_are_classified() -> None:
    def event(result: dict[str, Any]) -> dict[str, Any]:
        return {"streaming": "event", "result": result}

    cases = {
        "preparing": event({"status": "preparing"}),
        "starting": event({"status": "starting"}),
        "started": event({"status": "started"}),
        "pausing": event({"status": "pausing"}),
        "stopping": event({"status": "stopping"}),
        "stopped": event({"status": "stopped"}),
        "updating": event({"status": "updating"}),
        "kicked_all": event({"status": "kicked_all"}),
        "switched": event({"switched": "ok", "id": 1}),
        "configured": event({"event": "configured"}),
        "substream": event({"mid": "v", "substream": 1}),
        "temporal": event({"mid": "v", "temporal": 2}),
        "spatial_layer": event({"mid": "v", "spatial_layer": 1, "temporal_layer": 0}),
        "temporal_layer": event({"mid": "v", "temporal_layer": 0}),
        "error": {"streaming": "event", "error_code": 455, "error": "No such mountpoint"},
        "edited": {"event": "edited", "id": 1, "metadata": "m"},
        "destroyed": {"streaming": "destroyed", "destroyed": 1},
    }
    for kind, data in cases.items():
        assert streaming_event_type(data) is StreamingEventType(kind), kind
        whole = {"janus": "event", "plugindata": {"plugin": "janus.plugin.streaming", "data": data}}
        assert streaming_event_type(whole) is StreamingEventType(kind), kind
    assert streaming_event_type({"streaming": "list", "list": []}) is None
    assert streaming_event_type(event({"status": "mystery"})) is None
    assert streaming_event_type({"janus": "webrtcup"}) is None


def test_rtp_media_builds_a_media_entry() -> None:
    assert rtp_media("audio", "a", pt=111, codec="opus") == {
        "type": "audio",
        "mid": "a",
        "port": 0,
        "pt": 111,
        "codec": "opus",
    }
    assert rtp_media("video", "v", port=5004, simulcast=True, label="cam") == {
        "type": "video",
        "mid": "v",
        "port": 5004,
        "label": "cam",
        "simulcast": True,
    }


def test_the_class_covers_the_checklist() -> None:
    import json

    checklist = json.loads(
        (Path(__file__).parent / "janus_api" / "janus.plugin.streaming.json").read_text()
    )
    assert sorted(JanusStreamingPlugin.janus_requests) == sorted(checklist["requests"])
    assert sorted(JanusStreamingPlugin.janus_events) == sorted(checklist["events"])
    for method in JanusStreamingPlugin.janus_requests.values():
        assert callable(getattr(JanusStreamingPlugin, method))
