"""ICE candidates between SDP, Janus ``trickle`` messages and aiortc (no I/O)."""

from __future__ import annotations

from typing import Any

from aiortc import RTCIceCandidate
from aiortc.sdp import candidate_from_sdp

from ..protocol import JSON

__all__ = [
    "answer_as_dtls_server",
    "candidate_from_janus",
    "candidates_in_sdp",
    "without_candidates",
]


def candidates_in_sdp(sdp: str) -> list[JSON]:
    """List the ``a=candidate`` lines of an SDP as Janus trickle candidates.

    Each candidate appears once (a bundled SDP repeats them per m-line), with the
    ``sdpMid`` and ``sdpMLineIndex`` of the m-line it first appears in.

    Args:
        sdp: A session description.

    Returns:
        ``{"candidate", "sdpMid", "sdpMLineIndex"}`` dicts, in SDP order.
    """
    found: list[JSON] = []
    seen: set[str] = set()
    index = -1
    mid: str | None = None
    for line in sdp.splitlines():
        if line.startswith("m="):
            index += 1
            mid = None
        elif line.startswith("a=mid:"):
            mid = line[len("a=mid:") :]
        elif line.startswith("a=candidate:") and index >= 0:
            candidate = line[2:]
            if candidate not in seen:
                seen.add(candidate)
                found.append({"candidate": candidate, "sdpMid": mid, "sdpMLineIndex": index})
    return found


def without_candidates(sdp: str) -> str:
    """Return ``sdp`` without its candidates, for an offer whose candidates trickle."""
    kept = [
        line
        for line in sdp.splitlines()
        if not line.startswith(("a=candidate:", "a=end-of-candidates"))
    ]
    return "\r\n".join(kept) + "\r\n"


def _setup_per_media(sdp: str) -> list[str | None]:
    """The ``a=setup`` value of each m-section (the session-level one where it has none)."""
    session: str | None = None
    found: list[str | None] = []
    for line in sdp.splitlines():
        if line.startswith("m="):
            found.append(session)
        elif line.startswith("a=setup:"):
            value = line[len("a=setup:") :].strip()
            if found:
                found[-1] = value
            else:
                session = value
    return found


def answer_as_dtls_server(answer: str, offer: str) -> str:
    """Make ``answer`` take the DTLS server role wherever ``offer`` left the choice to us.

    An offer with ``a=setup:actpass`` lets the answerer pick its DTLS role; aiortc
    always picks the client (``a=setup:active``) and sends its ClientHello the
    moment its own ICE check succeeds. Janus drops a ClientHello that comes
    before it has finished ICE on its side, and aiortc only resends it after a
    1 s timer, so a first frame waited a second. As the server
    (``a=setup:passive``) we wait for Janus's ClientHello instead, which Janus
    sends once its ICE is ready, as browsers' answers let it do. RFC 5763 allows
    either role in an answer to ``actpass``.

    Args:
        answer: Our answer as aiortc made it.
        offer: The offer it answers.

    Returns:
        The answer, with ``a=setup:active`` turned into ``a=setup:passive`` in
        each m-section whose offer said ``actpass`` (unchanged elsewhere).
    """
    offered = _setup_per_media(offer)
    lines = answer.split("\r\n")
    index = -1
    for position, line in enumerate(lines):
        if line.startswith("m="):
            index += 1
        elif line == "a=setup:active" and 0 <= index < len(offered) and offered[index] == "actpass":
            lines[position] = "a=setup:passive"
    return "\r\n".join(lines)


def candidate_from_janus(candidate: dict[str, Any]) -> RTCIceCandidate | None:
    """Turn the ``candidate`` of a Janus ``trickle`` event into an aiortc candidate.

    Args:
        candidate: ``{"candidate": "candidate:...", "sdpMid": ..., "sdpMLineIndex": ...}``
            or ``{"completed": true}``.

    Returns:
        The candidate, or None for end-of-candidates.

    Raises:
        ValueError: The candidate cannot be parsed.
    """
    if candidate.get("completed"):
        return None
    text = candidate.get("candidate")
    if not isinstance(text, str) or not text:
        raise ValueError(f"trickle candidate without a candidate line: {candidate!r}")
    parsed: RTCIceCandidate = candidate_from_sdp(text.split(":", 1)[1] if ":" in text else text)
    mid = candidate.get("sdpMid")
    line_index = candidate.get("sdpMLineIndex")
    parsed.sdpMid = str(mid) if mid is not None else None
    parsed.sdpMLineIndex = int(line_index) if line_index is not None else None
    return parsed
