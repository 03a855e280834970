"""`janus_client.transport`: the transport base class and its registry."""

from ..transports import JanusTransport

__all__ = ["JanusTransport"]
