"""`janus_client.transport_http`: the HTTP transport, its URL matcher and poll record."""

import asyncio
from dataclasses import dataclass

from ..transports import JanusTransportHTTP

__all__ = ["JanusTransportHTTP", "ReceiverTask", "protocol_matcher"]


@dataclass
class ReceiverTask:
    """A session's long-poll task and the event that ends it (janus_client's record)."""

    task: asyncio.Task[None]
    destroyed_event: asyncio.Event


def protocol_matcher(base_url: str) -> bool:
    """Whether `JanusTransportHTTP` handles ``base_url`` (``http://``, ``https://``)."""
    return base_url.startswith(("http://", "https://"))
