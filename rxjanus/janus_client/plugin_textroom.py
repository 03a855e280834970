"""`janus_client.plugin_textroom`: the TextRoom plugin, its error and event kinds."""

from ..plugins import JanusTextRoomPlugin, TextRoomError, TextRoomEventType

__all__ = ["JanusTextRoomPlugin", "TextRoomError", "TextRoomEventType"]
