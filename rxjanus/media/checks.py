"""Checks that turn media failures into clear errors: a missing source, media that never came up.

* [check_source][rxjanus.media.checks.check_source] fails at once on a source file
  that is not there, before a handle is attached or an offer made.
* [describe_peer_state][rxjanus.media.checks.describe_peer_state] says how far a
  PeerConnection got (ICE, DTLS), for error messages.
* [wait_media_up][rxjanus.media.checks.wait_media_up] waits for an event (Janus's
  ``webrtcup``) and raises [MediaTimeout][rxjanus.exceptions.MediaTimeout] with that
  state when it does not come.
"""

from __future__ import annotations

import asyncio
import errno
import os
import re
from pathlib import Path

from aiortc import RTCPeerConnection

from ..exceptions import MediaSourceNotFound, MediaTimeout
from .peer import MediaSource, WebRTCPeer

__all__ = ["check_source", "describe_peer_state", "wait_media_up"]

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
"""A URL FFmpeg opens itself (``rtsp://``, ``http://``, ``file://`` ...): not checked."""


def check_source(source: MediaSource) -> None:
    """Fail at once if ``source`` names a file that is not there or not readable.

    File paths (``str`` without a URL scheme, or ``Path``) are checked, in lists
    and tuples too; URLs, ``MediaPlayer`` objects, tracks and observables are
    left to what opens them.

    Args:
        source: What a plugin is about to send.

    Raises:
        MediaSourceNotFound: A path that does not exist, is a directory or cannot
            be read (a ``FileNotFoundError``; ``filename`` is the path).
    """
    if isinstance(source, list | tuple):
        for one in source:
            check_source(one)
        return
    if isinstance(source, str) and _URL.match(source):
        return
    if not isinstance(source, str | Path):
        return
    path = Path(source)
    if not path.exists():
        raise MediaSourceNotFound(errno.ENOENT, "no such media file", str(source))
    if path.is_dir():
        raise MediaSourceNotFound(errno.EISDIR, "media source is a directory", str(source))
    if not os.access(path, os.R_OK):
        raise MediaSourceNotFound(errno.EACCES, "media source cannot be read", str(source))


def describe_peer_state(peer: WebRTCPeer | RTCPeerConnection | None) -> str:
    """Say how far a PeerConnection got, for an error message.

    Args:
        peer: The handle's peer (or its aiortc PeerConnection); None if none was made.

    Returns:
        E.g. ``connection connecting, ICE checking (gathering complete), DTLS new,
        signaling stable``; DTLS lists the distinct states of the transports.
    """
    if peer is None:
        return "no PeerConnection was made"
    pc = peer.pc if isinstance(peer, WebRTCPeer) else peer
    transports = [t.sender.transport for t in pc.getTransceivers()]
    if pc.sctp is not None:
        transports.append(pc.sctp.transport)
    dtls = list(dict.fromkeys(transport.state for transport in transports))
    return (
        f"connection {pc.connectionState}, ICE {pc.iceConnectionState} "
        f"(gathering {pc.iceGatheringState}), DTLS {', '.join(dtls) or 'none'}, "
        f"signaling {pc.signalingState}"
    )


async def wait_media_up(
    up: asyncio.Event,
    seconds: float,
    peer: WebRTCPeer | RTCPeerConnection | None,
    *,
    awaited: str = "webrtcup",
) -> None:
    """Wait for ``up`` (set on Janus's ``webrtcup``) within ``seconds``.

    Args:
        up: The event to wait for.
        seconds: How long to wait.
        peer: The handle's peer, to describe when the wait times out.
        awaited: What ``up`` stands for, for the message.

    Raises:
        MediaTimeout: ``up`` was not set in time; says the ICE and DTLS state
            reached (a ``TimeoutError``).
    """
    try:
        async with asyncio.timeout(seconds):
            await up.wait()
    except TimeoutError:  # Event.wait raises none of its own: this is the expiry
        raise MediaTimeout(awaited, seconds, describe_peer_state(peer)) from None
