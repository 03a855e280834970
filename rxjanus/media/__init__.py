"""WebRTC media through aiortc: one PeerConnection per handle, frames as observables."""

from .frame_track import ObservableTrack
from .peer import MediaKind, MediaSource, SingleMediaSource, WebRTCPeer
from .sdp import answer_as_dtls_server, candidate_from_janus, candidates_in_sdp, without_candidates

__all__ = [
    "MediaKind",
    "MediaSource",
    "ObservableTrack",
    "SingleMediaSource",
    "WebRTCPeer",
    "answer_as_dtls_server",
    "candidate_from_janus",
    "candidates_in_sdp",
    "without_candidates",
]
