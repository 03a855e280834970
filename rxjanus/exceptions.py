"""Exceptions raised by rxjanus.

Every exception rxjanus raises derives from [`JanusError`][rxjanus.exceptions.JanusError]. Where a
built-in fits, the exception is also that built-in, so ``except TimeoutError`` and
``except ConnectionError`` work as the Janus session page promises:

```text
JanusError
├── JanusApiError(code, reason)           an ``error`` reply from the Janus core
│   ├── Unauthorized                      403
│   ├── UnauthorizedPlugin                405
│   ├── TransportSpecificError            450
│   ├── MissingRequest                    452
│   ├── UnknownRequest                    453
│   ├── InvalidJson                       454
│   ├── InvalidJsonObject                 455
│   ├── MissingMandatoryElement           456
│   ├── InvalidRequestPath                457
│   ├── SessionNotFound                   458
│   ├── HandleNotFound                    459
│   ├── PluginNotFound                    460
│   ├── PluginAttachError                 461
│   │   └── PluginAttachFail              (any failed attach, also 403/460/...)
│   ├── PluginMessageError                462
│   ├── PluginDetachError                 463
│   ├── JsepUnknownType                   464
│   ├── JsepInvalidSdp                    465
│   ├── TrickleInvalidStream              466
│   ├── InvalidElementType                467
│   ├── SessionConflict                   468
│   ├── UnexpectedAnswer                  469
│   ├── TokenNotFound                     470
│   ├── WebRTCStateError                  471
│   ├── NotAcceptingSessions              472
│   └── UnknownJanusError                 490
├── PluginError(code, reason, plugin)     ``error_code`` inside ``plugindata``
├── JanusTimeoutError                     also a built-in ``TimeoutError``
│   └── MediaTimeout                      media did not come up (says the ICE/DTLS state)
├── JanusConnectionError                  also a built-in ``ConnectionError``
│   ├── ServerUnreachable                 (re)connecting failed after every retry
│   └── TransportClosed                   the transport went away mid-flight
├── SessionLost                           the session is over: make a new one
├── ProtocolError                         a frame that breaks the Janus protocol
├── MediaSourceNotFound                   also a built-in ``FileNotFoundError``
└── InvalidStateError                     a call that the object's state forbids
```
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "HandleNotFound",
    "InvalidElementType",
    "InvalidJson",
    "InvalidJsonObject",
    "InvalidRequestPath",
    "InvalidStateError",
    "JanusApiError",
    "JanusClientPluginError",
    "JanusConnectionError",
    "JanusError",
    "JanusTimeoutError",
    "JsepInvalidSdp",
    "JsepUnknownType",
    "MediaSourceNotFound",
    "MediaTimeout",
    "MissingMandatoryElement",
    "MissingRequest",
    "NotAcceptingSessions",
    "PluginAttachError",
    "PluginAttachFail",
    "PluginDetachError",
    "PluginError",
    "PluginMessageError",
    "PluginNotFound",
    "ProtocolError",
    "ServerUnreachable",
    "SessionConflict",
    "SessionLost",
    "SessionNotFound",
    "TokenNotFound",
    "TransportClosed",
    "TransportSpecificError",
    "TrickleInvalidStream",
    "Unauthorized",
    "UnauthorizedPlugin",
    "UnexpectedAnswer",
    "UnknownJanusError",
    "UnknownRequest",
    "WebRTCStateError",
    "api_error",
]


class JanusError(Exception):
    """Base class of every exception raised by rxjanus."""


class JanusApiError(JanusError):
    """An ``error`` reply from the Janus core.

    Attributes:
        code: The Janus error code (for example 458).
        reason: The reason text Janus sent.
    """

    code_number: ClassVar[int | None] = None

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason

    def __str__(self) -> str:
        return f"Janus error {self.code}: {self.reason}"


class Unauthorized(JanusApiError):
    """403: missing or wrong ``apisecret`` or ``token``."""

    code_number = 403


class UnauthorizedPlugin(JanusApiError):
    """405: the token may not access this plugin."""

    code_number = 405


class TransportSpecificError(JanusApiError):
    """450: an error specific to the transport Janus received the request on."""

    code_number = 450


class MissingRequest(JanusApiError):
    """452: the request had no ``janus`` field."""

    code_number = 452


class UnknownRequest(JanusApiError):
    """453: Janus does not know the request."""

    code_number = 453


class InvalidJson(JanusApiError):
    """454: the request was not valid JSON."""

    code_number = 454


class InvalidJsonObject(JanusApiError):
    """455: the request was JSON but not an object."""

    code_number = 455


class MissingMandatoryElement(JanusApiError):
    """456: a mandatory field was missing."""

    code_number = 456


class InvalidRequestPath(JanusApiError):
    """457: the request is not allowed at this path."""

    code_number = 457


class SessionNotFound(JanusApiError):
    """458: the session does not exist (destroyed, timed out or never created)."""

    code_number = 458


class HandleNotFound(JanusApiError):
    """459: the plugin handle does not exist."""

    code_number = 459


class PluginNotFound(JanusApiError):
    """460: no plugin with this package name is loaded."""

    code_number = 460


class PluginAttachError(JanusApiError):
    """461: the plugin refused the attach."""

    code_number = 461


class PluginMessageError(JanusApiError):
    """462: the plugin could not take the message."""

    code_number = 462


class PluginDetachError(JanusApiError):
    """463: detaching from the plugin failed."""

    code_number = 463


class JsepUnknownType(JanusApiError):
    """464: the JSEP type is not ``offer`` or ``answer``."""

    code_number = 464


class JsepInvalidSdp(JanusApiError):
    """465: the SDP in the JSEP is invalid."""

    code_number = 465


class TrickleInvalidStream(JanusApiError):
    """466: a trickle candidate named a stream that does not exist."""

    code_number = 466


class InvalidElementType(JanusApiError):
    """467: a field had the wrong JSON type."""

    code_number = 467


class SessionConflict(JanusApiError):
    """468: the session id asked for is already in use."""

    code_number = 468


class UnexpectedAnswer(JanusApiError):
    """469: an answer arrived for an offer Janus never made."""

    code_number = 469


class TokenNotFound(JanusApiError):
    """470: the auth token does not exist."""

    code_number = 470


class WebRTCStateError(JanusApiError):
    """471: the request does not fit the PeerConnection's state."""

    code_number = 471


class NotAcceptingSessions(JanusApiError):
    """472: the server does not accept new sessions now."""

    code_number = 472


class UnknownJanusError(JanusApiError):
    """490: an error Janus does not classify (also stored-token auth disabled)."""

    code_number = 490


class PluginAttachFail(PluginAttachError):
    """Attaching a plugin handle failed; carries the Janus code and reason.

    Raised by ``plugin.attach(session)`` whatever the code (403, 460, 461, ...),
    so that callers written for janus_client can catch this one name.

    Args:
        response: The Janus code, or (janus_client's form) Janus's error reply.
        reason: The reason, with a code.
    """

    def __init__(self, response: dict[str, Any] | int, reason: str = "") -> None:
        if isinstance(response, dict):
            error = response.get("error", {})
            code = error.get("code", 0) if isinstance(error, dict) else 0
            super().__init__(int(code), f"Fail to attach plugin: {error}")
        else:
            super().__init__(response, reason)


class PluginError(JanusError):
    """A plugin answered with ``error_code`` and ``error`` in its ``plugindata``.

    Plugin classes subclass it with their own ``plugin_name`` and ``label``
    (``VideoRoomError(426, "No such room")``), keeping janus_client's names.

    Attributes:
        code: The plugin's error code (for example 426 for a missing VideoRoom room).
        reason: The plugin's error text.
        plugin: The plugin package name, e.g. ``janus.plugin.videoroom``.
    """

    plugin_name: ClassVar[str] = ""
    label: ClassVar[str] = ""

    def __init__(self, code: int, reason: str, plugin: str = "") -> None:
        plugin = plugin or self.plugin_name
        super().__init__(code, reason, plugin)
        self.code = code
        self.reason = reason
        self.plugin = plugin

    @property
    def error_code(self) -> int:
        """The plugin's error code (janus_client's name)."""
        return self.code

    @property
    def error_message(self) -> str:
        """The plugin's error text (janus_client's name)."""
        return self.reason

    def __str__(self) -> str:
        if self.label:
            return f"{self.label} error {self.code}: {self.reason}"
        where = f" from {self.plugin}" if self.plugin else ""
        return f"Plugin error {self.code}{where}: {self.reason}"


class JanusClientPluginError(PluginError):
    """A [`PluginError`][rxjanus.exceptions.PluginError] built with janus_client's argument names.

    janus_client 0.9's `VideoRoomError`, `VideoCallError` and `TextRoomError` take
    `(error_code, error_message)`; their rxjanus classes derive from this one so
    code that builds or matches them the janus_client way keeps working.
    """

    def __init__(self, error_code: int, error_message: str, plugin: str = "") -> None:
        super().__init__(error_code, error_message, plugin)


class JanusTimeoutError(JanusError, TimeoutError):
    """A request got no reply within its timeout."""


class MediaTimeout(JanusTimeoutError):
    """Media did not come up in time; says what was awaited and the state reached.

    Raised instead of a bare ``TimeoutError`` when e.g. Janus's ``webrtcup`` does
    not come: ``str()`` reads ``no webrtcup within 10 s (connection connecting,
    ICE checking ...)``, from
    [describe_peer_state][rxjanus.media.checks.describe_peer_state].

    Attributes:
        awaited: What was waited for (``webrtcup``, ``media``, a data channel ...).
        seconds: How long it was waited for.
        state: The PeerConnection's ICE and DTLS state when the wait ended.
    """

    def __init__(self, awaited: str, seconds: float, state: str) -> None:
        super().__init__(awaited, seconds, state)
        self.awaited = awaited
        self.seconds = seconds
        self.state = state

    def __str__(self) -> str:
        return f"no {self.awaited} within {self.seconds:g} s ({self.state})"


class MediaSourceNotFound(JanusError, FileNotFoundError):
    """A media source names a file that is not there (or is not a readable file).

    Raised by [check_source][rxjanus.media.checks.check_source] before anything is
    attached or negotiated; also a built-in ``FileNotFoundError`` (``filename``
    holds the path).
    """


class JanusConnectionError(JanusError, ConnectionError):
    """The server cannot be reached or the transport was lost."""


class ServerUnreachable(JanusConnectionError):
    """Connecting to the server failed after every retry.

    Also the cause of a [`SessionLost`][rxjanus.exceptions.SessionLost] when reconnecting after a
    drop failed, and what requests waiting for that reconnection raise.
    """


class TransportClosed(JanusConnectionError):
    """The transport closed while requests were in flight or before one was sent.

    When the link drops and the transport reconnects, the requests then in
    flight that are not idempotent fail with it (they may or may not have
    reached Janus); the session itself may well survive the drop.
    """


class SessionLost(JanusError):
    """The session ended without being destroyed by us.

    The server timed it out, the transport carrying it was lost and could not
    be reconnected (``__cause__``: ``ServerUnreachable`` or ``TransportClosed``),
    the server no longer knew it when reclaimed after a reconnect
    (``__cause__``: ``SessionNotFound``, 458), or it was destroyed elsewhere.
    Its streams and those of its handles end with this error and its
    awaitables raise it.

    Deliberately not a ``ConnectionError``: those mean a request failed on the
    way and the session may well carry on (it reconnects on its own);
    ``SessionLost`` means the session is over, whatever the cause, and only a
    new session helps (e.g. ``retry_with_backoff`` around ``rxjanus.session``).
    """


class ProtocolError(JanusError):
    """A frame from the server breaks the Janus protocol."""


class InvalidStateError(JanusError):
    """The call is not allowed in the object's current state (e.g. a destroyed session)."""


_BY_CODE: dict[int, type[JanusApiError]] = {
    cls.code_number: cls for cls in JanusApiError.__subclasses__() if cls.code_number is not None
}


def api_error(code: int, reason: str) -> JanusApiError:
    """Build the typed exception for a Janus core error code.

    Args:
        code: The Janus error code.
        reason: The reason text.

    Returns:
        An instance of the matching subclass, or of
        [`JanusApiError`][rxjanus.exceptions.JanusApiError] itself for a code rxjanus does not know.
    """
    return _BY_CODE.get(code, JanusApiError)(code, reason)
