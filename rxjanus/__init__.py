"""rxjanus: a reactive and awaitable client for the Janus WebRTC Gateway."""

import logging

from . import aio, auth, operators
from .exceptions import (
    HandleNotFound,
    JanusApiError,
    JanusConnectionError,
    JanusError,
    JanusTimeoutError,
    PluginAttachFail,
    PluginError,
    PluginNotFound,
    ServerUnreachable,
    SessionLost,
    SessionNotFound,
    TransportClosed,
    Unauthorized,
)
from .janus_session import JanusSession
from .plugins import (
    IncomingCall,
    JanusEchoTestPlugin,
    JanusPlugin,
    JanusTextRoomPlugin,
    JanusVideoCallPlugin,
    JanusVideoRoomPlugin,
    ParticipantType,
    TextRoomError,
    TextRoomEventType,
    VideoCallError,
    VideoCallEventType,
    VideoRoomError,
    VideoRoomEventType,
    WebRTCPlugin,
)
from .sources import async_resource, session
from .transports import (
    JanusTransport,
    JanusTransportHTTP,
    JanusTransportUnix,
    JanusTransportWebsocket,
    create_transport,
    register_transport,
)

__all__ = [
    "HandleNotFound",
    "IncomingCall",
    "JanusApiError",
    "JanusConnectionError",
    "JanusEchoTestPlugin",
    "JanusError",
    "JanusPlugin",
    "JanusSession",
    "JanusTextRoomPlugin",
    "JanusTimeoutError",
    "JanusTransport",
    "JanusTransportHTTP",
    "JanusTransportUnix",
    "JanusTransportWebsocket",
    "JanusVideoCallPlugin",
    "JanusVideoRoomPlugin",
    "ParticipantType",
    "PluginAttachFail",
    "PluginError",
    "PluginNotFound",
    "ServerUnreachable",
    "SessionLost",
    "SessionNotFound",
    "TextRoomError",
    "TextRoomEventType",
    "TransportClosed",
    "Unauthorized",
    "VideoCallError",
    "VideoCallEventType",
    "VideoRoomError",
    "VideoRoomEventType",
    "WebRTCPlugin",
    "aio",
    "async_resource",
    "auth",
    "create_transport",
    "operators",
    "register_transport",
    "session",
]

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
