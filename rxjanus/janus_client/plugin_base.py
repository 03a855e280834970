"""`janus_client.plugin_base`: the base class of plugin handles."""

from ..plugins import JanusPlugin

__all__ = ["JanusPlugin"]
