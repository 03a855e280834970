"""The sans-I/O core of rxjanus: messages, transactions, routing and errors.

Nothing here does I/O, uses asyncio or reactivex; transports pump text through
[`JanusProtocol`][rxjanus.protocol.connection.JanusProtocol].
"""

from . import messages
from .backoff import RECONNECT_JITTER, backoff
from .connection import Dropped, JanusProtocol, Outcome, Outgoing, Rejected, Resolved, Routed
from .errors import error_from_reply, plugin_data
from .messages import JSON, Expect, Request

__all__ = [
    "JSON",
    "RECONNECT_JITTER",
    "Dropped",
    "Expect",
    "JanusProtocol",
    "Outcome",
    "Outgoing",
    "Rejected",
    "Request",
    "Resolved",
    "Routed",
    "backoff",
    "error_from_reply",
    "messages",
    "plugin_data",
]
