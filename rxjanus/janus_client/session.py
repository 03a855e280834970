"""`janus_client.session`: the session and the attach failure."""

from ..janus_session import JanusSession, PluginAttachFail

__all__ = ["JanusSession", "PluginAttachFail"]
