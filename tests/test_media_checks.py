"""The media checks shared by the plugins: a missing source, media that never came up."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from aiortc import RTCPeerConnection
from reactivex import Observable

from rxjanus.exceptions import JanusTimeoutError, MediaSourceNotFound, MediaTimeout
from rxjanus.media import WebRTCPeer
from rxjanus.media.checks import check_source, describe_peer_state, wait_media_up
from rxjanus.testing import SyntheticVideoTrack


def test_check_source_passes_existing_files_urls_and_objects(tmp_path: Path) -> None:
    media = tmp_path / "in.mp4"
    media.write_bytes(b"\0")
    check_source(str(media))
    check_source(media)
    check_source([media, (str(media),)])
    for url in ("rtsp://127.0.0.1/x", "http://127.0.0.1/a.mp4", "file:///nowhere.mp4"):
        check_source(url)  # opened (and reported) by FFmpeg
    check_source(SyntheticVideoTrack())
    check_source(Observable(lambda observer, scheduler=None: observer.on_completed()))


@pytest.mark.parametrize("how", ["str", "path", "in-a-list"])
def test_check_source_refuses_a_missing_file(tmp_path: Path, how: str) -> None:
    missing = tmp_path / "nowhere.mp4"
    source = {"str": str(missing), "path": missing, "in-a-list": [missing]}[how]
    with pytest.raises(MediaSourceNotFound) as caught:
        check_source(source)
    assert isinstance(caught.value, FileNotFoundError)
    assert caught.value.filename == str(missing)
    assert "no such media file" in str(caught.value)


def test_check_source_refuses_a_directory_and_an_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(MediaSourceNotFound, match="is a directory"):
        check_source(tmp_path)
    locked = tmp_path / "locked.mp4"
    locked.write_bytes(b"\0")
    locked.chmod(0)
    if os.access(locked, os.R_OK):  # root reads anything
        pytest.skip("running as root: every file is readable")
    with pytest.raises(MediaSourceNotFound, match="cannot be read"):
        check_source(locked)


async def test_describe_peer_state_before_and_after_an_offer() -> None:
    assert describe_peer_state(None) == "no PeerConnection was made"
    peer = WebRTCPeer()
    try:
        assert describe_peer_state(peer) == (
            "connection new, ICE new (gathering new), DTLS none, signaling stable"
        )
        peer.pc.addTransceiver("video")
        peer.create_data_channel()
        await peer.pc.setLocalDescription(await peer.pc.createOffer())
        assert describe_peer_state(peer.pc) == (
            "connection new, ICE new (gathering complete), DTLS new, signaling have-local-offer"
        )
    finally:
        await peer.close()
    assert "connection closed" in describe_peer_state(peer)


async def test_wait_media_up_returns_once_up_and_says_the_state_when_it_is_not() -> None:
    up = asyncio.Event()
    up.set()
    await wait_media_up(up, 5, None)
    pc = RTCPeerConnection()
    try:
        with pytest.raises(MediaTimeout) as caught:
            await wait_media_up(asyncio.Event(), 0.01, pc)
    finally:
        await pc.close()
    error = caught.value
    assert isinstance(error, JanusTimeoutError)
    assert str(error) == (
        "no webrtcup within 0.01 s "
        "(connection new, ICE new (gathering new), DTLS none, signaling stable)"
    )
    assert error.awaited == "webrtcup"


async def test_wait_media_up_cancelled_is_cancelled_not_a_timeout() -> None:
    waiting = asyncio.ensure_future(wait_media_up(asyncio.Event(), 30, None))
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
