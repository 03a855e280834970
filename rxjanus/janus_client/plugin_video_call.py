"""`janus_client.plugin_video_call`: the VideoCall plugin, its error and event kinds."""

from ..plugins import JanusVideoCallPlugin, VideoCallError, VideoCallEventType

__all__ = ["JanusVideoCallPlugin", "VideoCallError", "VideoCallEventType"]
