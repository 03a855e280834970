"""The Janus Admin/Monitor API: server state, settings, tokens and handles, from Python.

[`JanusAdminMonitorClient`][rxjanus.admin.client.JanusAdminMonitorClient] speaks the Admin API over
HTTP (``http://host:7088/admin``), WebSocket (``ws://host:7188``, subprotocol
``janus-admin-protocol``) or the pfunix admin socket, on the same transports
and sans-I/O core as [`JanusSession`][rxjanus.janus_session.JanusSession]; its method names follow
janus_client 0.9's ``JanusAdminMonitorClient``.
[`watch`][rxjanus.admin.client.JanusAdminMonitorClient.watch] polls the server's sessions (and
handles) into an observable of [`ServerSnapshot`][rxjanus.admin.snapshots.ServerSnapshot], for
dashboards and leak checks.
"""

from __future__ import annotations

from .client import (
    ADMIN_SUBPROTOCOL,
    JanusAdminMonitorClient,
    ResolvedAddress,
    StunResult,
)
from .snapshots import ServerSnapshot, poll_changes

__all__ = [
    "ADMIN_SUBPROTOCOL",
    "JanusAdminMonitorClient",
    "ResolvedAddress",
    "ServerSnapshot",
    "StunResult",
    "poll_changes",
]
