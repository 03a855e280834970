"""Turning error replies into typed exceptions."""

from __future__ import annotations

from ..exceptions import JanusApiError, PluginError, api_error
from .messages import JSON

__all__ = ["error_from_reply", "plugin_data"]


def plugin_data(message: JSON) -> JSON | None:
    """Return ``plugindata.data`` of a plugin reply or event, if it has one."""
    plugindata = message.get("plugindata")
    if not isinstance(plugindata, dict):
        return None
    data = plugindata.get("data")
    return data if isinstance(data, dict) else None


def error_from_reply(message: JSON) -> JanusApiError | PluginError | None:
    """Return the typed exception an ``error`` reply or a plugin error carries.

    Args:
        message: A decoded message from Janus.

    Returns:
        A [`JanusApiError`][rxjanus.exceptions.JanusApiError] for ``"janus": "error"``, a
        [`PluginError`][rxjanus.exceptions.PluginError] when ``plugindata.data`` holds
        ``error_code``, otherwise None.
    """
    if message.get("janus") == "error":
        error = message.get("error")
        code = error.get("code") if isinstance(error, dict) else None
        reason = error.get("reason") if isinstance(error, dict) else None
        return api_error(
            code if isinstance(code, int) and not isinstance(code, bool) else 490,
            reason if isinstance(reason, str) else "error reply without a reason",
        )
    data = plugin_data(message)
    if data is None or "error_code" not in data:
        return None
    code = data.get("error_code")
    reason = data.get("error")
    plugindata = message["plugindata"]
    plugin = plugindata.get("plugin")
    return PluginError(
        code if isinstance(code, int) and not isinstance(code, bool) else 0,
        reason if isinstance(reason, str) else "plugin error without a reason",
        plugin if isinstance(plugin, str) else "",
    )
