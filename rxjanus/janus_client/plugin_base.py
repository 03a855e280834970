"""`janus_client.plugin_base`: the base class of plugin handles.

janus_client's `JanusPlugin` is a handle with one PeerConnection (`pc`, `pc_config`,
`create_jsep`, `on_receive_jsep`, `reset_connection`): that is rxjanus's
[`WebRTCPlugin`][rxjanus.plugins.WebRTCPlugin]. rxjanus's own
[`JanusPlugin`][rxjanus.plugins.JanusPlugin] is the media-less handle below it.
"""

from ..plugins import WebRTCPlugin as JanusPlugin

__all__ = ["JanusPlugin"]
