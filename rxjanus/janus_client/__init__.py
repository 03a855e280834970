"""janus_client 0.9's module paths, on rxjanus: change the import, keep the code.

The rule: every module of janus_client 0.9 has a module of the same name here,
holding the same public names, and each name *is* rxjanus's own class or
function (not a copy beside it), so both APIs work on one object:

| janus_client 0.9                         | rxjanus                                       |
| ---------------------------------------- | --------------------------------------------- |
| `from janus_client import X`             | `from rxjanus.janus_client import X`          |
| `from janus_client.<module> import X`    | `from rxjanus.janus_client.<module> import X` |

The modules are `session`, `transport`, `transport_http`, `transport_websocket`,
`message_transaction`, `plugin_base`, `plugin_echotest`, `plugin_textroom`,
`plugin_video_call`, `plugin_video_room`, `admin_monitor` and `media`. Only what
janus_client has and rxjanus had not is defined here: janus_client's `media`
module (its `MediaKind` enum, `MediaPlayer` with `stream_tracks`,
`PlayerStreamTrack`) and the transports' `protocol_matcher`/`ReceiverTask`.
janus_client's `experiments` (prototypes needing GStreamer or the ffmpeg
CLI) are not provided. `docs/janus-client-compat.md` lists every janus_client
name and signature with its rxjanus counterpart.
"""

from ..admin import JanusAdminMonitorClient
from ..janus_session import JanusSession, PluginAttachFail
from ..plugins import (
    JanusEchoTestPlugin,
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
)
from ..transports import JanusTransport, JanusTransportHTTP, JanusTransportWebsocket
from .media import MediaKind, MediaPlayer, MediaStreamTrack
from .plugin_base import JanusPlugin

__all__ = [
    "JanusAdminMonitorClient",
    "JanusEchoTestPlugin",
    "JanusPlugin",
    "JanusSession",
    "JanusTextRoomPlugin",
    "JanusTransport",
    "JanusTransportHTTP",
    "JanusTransportWebsocket",
    "JanusVideoCallPlugin",
    "JanusVideoRoomPlugin",
    "MediaKind",
    "MediaPlayer",
    "MediaStreamTrack",
    "ParticipantType",
    "PluginAttachFail",
    "TextRoomError",
    "TextRoomEventType",
    "VideoCallError",
    "VideoCallEventType",
    "VideoRoomError",
    "VideoRoomEventType",
]
