"""WebRTC media through aiortc: one PeerConnection per handle, frames as observables."""

from .peer import MediaKind, MediaSource, WebRTCPeer
from .sdp import candidate_from_janus, candidates_in_sdp, without_candidates

__all__ = [
    "MediaKind",
    "MediaSource",
    "WebRTCPeer",
    "candidate_from_janus",
    "candidates_in_sdp",
    "without_candidates",
]
