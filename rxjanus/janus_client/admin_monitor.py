"""`janus_client.admin_monitor`: the Admin/Monitor API client."""

from ..admin import JanusAdminMonitorClient

__all__ = ["JanusAdminMonitorClient"]
