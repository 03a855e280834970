"""`janus_client.transport_websocket`: the WebSocket transport and its URL matcher."""

from ..transports import JanusTransportWebsocket

__all__ = ["JanusTransportWebsocket", "protocol_matcher"]


def protocol_matcher(base_url: str) -> bool:
    """Whether `JanusTransportWebsocket` handles ``base_url`` (``ws://``, ``wss://``)."""
    return base_url.startswith(("ws://", "wss://"))
