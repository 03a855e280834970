"""`janus_client.plugin_video_room`: the VideoRoom plugin, its error, events and roles."""

from ..plugins import JanusVideoRoomPlugin, ParticipantType, VideoRoomError, VideoRoomEventType

__all__ = ["JanusVideoRoomPlugin", "ParticipantType", "VideoRoomError", "VideoRoomEventType"]
