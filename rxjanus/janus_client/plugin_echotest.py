"""`janus_client.plugin_echotest`: the EchoTest plugin."""

from ..plugins import JanusEchoTestPlugin

__all__ = ["JanusEchoTestPlugin"]
