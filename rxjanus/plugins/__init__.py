"""Plugin handles: one module per Janus plugin."""

from .base import JanusPlugin
from .echotest import JanusEchoTestPlugin
from .webrtc import WebRTCPlugin

__all__ = ["JanusEchoTestPlugin", "JanusPlugin", "WebRTCPlugin"]
