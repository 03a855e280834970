"""Plugin handles: one module per Janus plugin."""

from .audiobridge import (
    AudioBridgeError,
    AudioBridgeEventType,
    JanusAudioBridgePlugin,
    audiobridge_event_type,
)
from .base import JanusPlugin
from .echotest import JanusEchoTestPlugin
from .nosip import (
    BareboneSdp,
    JanusNoSipPlugin,
    NoSipError,
    NoSipEventType,
    nosip_event_type,
)
from .nosip import bridge as bridge_nosip
from .recordplay import (
    JanusRecordPlayPlugin,
    Recording,
    RecordPlayError,
    RecordPlayEventType,
    recordplay_event_type,
)
from .sip import (
    JanusSipPlugin,
    SipError,
    SipEventType,
    SipIncomingCall,
    SipResponseError,
    sip_event_type,
    sip_result,
)
from .streaming import (
    JanusStreamingPlugin,
    StreamingError,
    StreamingErrorCode,
    StreamingEventType,
    rtp_media,
    streaming_event_type,
)
from .textroom import JanusTextRoomPlugin, TextRoomError, TextRoomEventType
from .videocall import IncomingCall, JanusVideoCallPlugin, VideoCallError, VideoCallEventType
from .videoroom import (
    JanusVideoRoomPlugin,
    ParticipantType,
    VideoRoomError,
    VideoRoomEventType,
    videoroom_event_type,
)
from .voicemail import (
    JanusVoiceMailPlugin,
    VoiceMailError,
    VoiceMailEventType,
    VoiceMailRecording,
    voicemail_event_type,
)
from .webrtc import WebRTCPlugin

__all__ = [
    "AudioBridgeError",
    "AudioBridgeEventType",
    "BareboneSdp",
    "IncomingCall",
    "JanusAudioBridgePlugin",
    "JanusEchoTestPlugin",
    "JanusNoSipPlugin",
    "JanusPlugin",
    "JanusRecordPlayPlugin",
    "JanusSipPlugin",
    "JanusStreamingPlugin",
    "JanusTextRoomPlugin",
    "JanusVideoCallPlugin",
    "JanusVideoRoomPlugin",
    "JanusVoiceMailPlugin",
    "NoSipError",
    "NoSipEventType",
    "ParticipantType",
    "RecordPlayError",
    "RecordPlayEventType",
    "Recording",
    "SipError",
    "SipEventType",
    "SipIncomingCall",
    "SipResponseError",
    "StreamingError",
    "StreamingErrorCode",
    "StreamingEventType",
    "TextRoomError",
    "TextRoomEventType",
    "VideoCallError",
    "VideoCallEventType",
    "VideoRoomError",
    "VideoRoomEventType",
    "VoiceMailError",
    "VoiceMailEventType",
    "VoiceMailRecording",
    "WebRTCPlugin",
    "audiobridge_event_type",
    "bridge_nosip",
    "nosip_event_type",
    "recordplay_event_type",
    "rtp_media",
    "sip_event_type",
    "sip_result",
    "streaming_event_type",
    "videoroom_event_type",
    "voicemail_event_type",
]
