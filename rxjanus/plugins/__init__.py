"""Plugin handles: one module per Janus plugin."""

from .base import JanusPlugin
from .echotest import JanusEchoTestPlugin
from .textroom import JanusTextRoomPlugin, TextRoomError, TextRoomEventType
from .videocall import IncomingCall, JanusVideoCallPlugin, VideoCallError, VideoCallEventType
from .videoroom import (
    JanusVideoRoomPlugin,
    ParticipantType,
    VideoRoomError,
    VideoRoomEventType,
    videoroom_event_type,
)
from .webrtc import WebRTCPlugin

__all__ = [
    "IncomingCall",
    "JanusEchoTestPlugin",
    "JanusPlugin",
    "JanusTextRoomPlugin",
    "JanusVideoCallPlugin",
    "JanusVideoRoomPlugin",
    "ParticipantType",
    "TextRoomError",
    "TextRoomEventType",
    "VideoCallError",
    "VideoCallEventType",
    "VideoRoomError",
    "VideoRoomEventType",
    "WebRTCPlugin",
    "videoroom_event_type",
]
