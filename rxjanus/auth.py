"""Janus authentication helpers: signed tokens, and keeping secrets out of logs.

Janus checks requests in one of three ways (see the ``janus.jcfg`` general
section); rxjanus sends whatever [`JanusSession`][rxjanus.janus_session.JanusSession] was given:

* ``api_secret``: one shared secret, sent as ``apisecret`` with every request
  but ``info`` and ``ping``: ``JanusSession(url, api_secret="...")``.
* Stored tokens (``token_auth = true``): the application registers each token
  with the Admin API (``add_token``, optionally limited to some plugins) and
  the client sends it as ``token``: ``JanusSession(url, token="...")``.
* Signed tokens (``token_auth = true`` and ``token_auth_secret``): the
  application signs tokens with the shared secret and Janus verifies them
  without being told about each one; [`signed_token`][rxjanus.auth.signed_token] makes them:

  ```python
  token = signed_token(secret, ["janus.plugin.echotest"], expires_in=600)
  async with JanusSession(url, token=token) as session:
      ...
  ```

[`redact`][rxjanus.auth.redact] and [`RedactingLoggerAdapter`][rxjanus.auth.RedactingLoggerAdapter]
remove these credentials from text bound for logs, e.g. the frames the ``websockets`` library logs
at DEBUG level.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import logging
import re
import time
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from typing import Any

from websockets.frames import Frame

__all__ = [
    "REDACTED",
    "RedactingLoggerAdapter",
    "redact",
    "signed_token",
]

REALM = "janus"
"""The realm Janus checks in signed tokens for its core API."""

REDACTED = "***"
"""What [`redact`][rxjanus.auth.redact] puts in place of a secret."""

_CREDENTIAL_FIELDS = ("apisecret", "token", "admin_secret", "token_auth_secret")

# A JSON member ("apisecret": "value", also with escaped quotes inside the value),
# or a query-string / form parameter (apisecret=value).
_JSON_FIELD = re.compile(
    r'(?P<key>"(?:' + "|".join(_CREDENTIAL_FIELDS) + r')"\s*:\s*")(?P<value>(?:[^"\\]|\\.)*)'
)
_QUERY_FIELD = re.compile(
    r"(?P<key>(?<![\w-])(?:" + "|".join(_CREDENTIAL_FIELDS) + r")=)(?P<value>[^&\s#'\"]*)"
)

_CREDENTIAL_HEADERS = (
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "x-auth-token",
)
# An HTTP header line as libraries log it ("> Authorization: Basic ...", websockets'
# handshake at DEBUG); the value runs to the end of the line.
_HEADER_FIELD = re.compile(
    r"(?im)(?P<key>^[<>]?[ \t]*(?:" + "|".join(_CREDENTIAL_HEADERS) + r")[ \t]*:[ \t]*)"
    r"(?P<value>[^\r\n]*)"
)


def signed_token(
    secret: str,
    plugins: Sequence[str],
    *,
    expires_in: float = 3600,
    now: float | None = None,
) -> str:
    """Make a token Janus accepts in signed-token mode (``token_auth_secret``).

    The token reads ``<expiry>,janus,<plugin>[,<plugin>...]:<signature>``, the
    signature being the base64 of HMAC-SHA1 over the part before the colon,
    keyed with ``secret``; ``expiry`` is in Unix seconds. Janus lets the token
    attach only the plugins it names, and refuses it (403) once expired.

    Args:
        secret: The server's ``token_auth_secret``.
        plugins: Package names the token may attach, e.g.
            ``["janus.plugin.echotest"]``; may be empty (a token for sessions
            only).
        expires_in: Seconds from ``now`` until the token expires.
        now: The current Unix time (default: ``time.time()``).

    Returns:
        The token, to pass as ``JanusSession(..., token=...)``.

    Raises:
        ValueError: ``secret`` is empty, or a plugin name is empty or holds a
            ``,`` or ``:`` (which would break the token's format).
        TypeError: ``plugins`` is a single string instead of a sequence of them.

    Example:
        >>> signed_token("k", ["janus.plugin.echotest"], now=1000, expires_in=60)
        '1060,janus,janus.plugin.echotest:5XE3Ow8/wN813TdpVrHqnNI5k3g='
    """
    if not secret:
        raise ValueError("the token_auth_secret must not be empty")
    if isinstance(plugins, str):
        raise TypeError("plugins must be a sequence of plugin names, not one string")
    for plugin in plugins:
        if not plugin or "," in plugin or ":" in plugin:
            raise ValueError(f"invalid plugin name for a signed token: {plugin!r}")
    expiry = int((time.time() if now is None else now) + expires_in)
    data = ",".join([str(expiry), REALM, *plugins])
    digest = hmac.new(secret.encode(), data.encode(), hashlib.sha1).digest()
    return f"{data}:{base64.b64encode(digest).decode('ascii')}"


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Hide credentials in ``text`` (a frame, a URL, a log line).

    Replaces the values of ``apisecret``, ``token``, ``admin_secret`` and
    ``token_auth_secret``, both as JSON members and as query parameters, of
    credential headers in header lines (``Authorization``,
    ``Proxy-Authorization``, ``Cookie``, ``Set-Cookie``, ``X-Api-Key``,
    ``X-Auth-Token``: websockets logs its handshake's headers at DEBUG), and
    every occurrence of each of ``secrets``, with ``***``.

    Args:
        text: The text to clean.
        secrets: Further literal values to hide wherever they occur.

    Returns:
        The text without the credentials.

    Example:
        >>> redact('{"janus":"keepalive","apisecret":"s3cret"}')
        '{"janus":"keepalive","apisecret":"***"}'
        >>> redact("GET /janus/1?maxev=10&token=abc")
        'GET /janus/1?maxev=10&token=***'
        >>> redact("> Authorization: Basic dXNlcjpwYXNz")
        '> Authorization: ***'
    """
    text = _JSON_FIELD.sub(lambda m: m.group("key") + REDACTED, text)
    text = _HEADER_FIELD.sub(lambda m: m.group("key") + REDACTED, text)
    text = _QUERY_FIELD.sub(lambda m: m.group("key") + REDACTED, text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def _redact_arg(value: object, secrets: Sequence[str]) -> object:
    """Redact one logging argument before it is formatted.

    A ``websockets`` frame is redacted inside its payload: its ``str()`` keeps
    only the start and the end of long payloads, which would cut the
    ``"apisecret":`` name off a value it still shows.
    """
    if isinstance(value, Frame) and value.data:
        try:
            text = bytes(value.data).decode()
        except UnicodeDecodeError:
            return value
        cleaned = redact(text, secrets)
        return value if cleaned == text else dataclasses.replace(value, data=cleaned.encode())
    if isinstance(value, str):
        return redact(value, secrets)
    return value


class RedactingLoggerAdapter(logging.LoggerAdapter[logging.Logger]):
    """A logger that formats each message, then [`redact`][rxjanus.auth.redact] s it.

    Give it to libraries that log what rxjanus sends, e.g. the ``websockets``
    client, which logs every frame at DEBUG level (frame payloads are redacted
    before websockets shortens them for the log):

    ```python
    websockets.asyncio.client.connect(
        url, logger=RedactingLoggerAdapter(logging.getLogger("websockets.client"))
    )
    ```

    Args:
        logger: The logger to write to.
        secrets: Further literal values to hide (see [`redact`][rxjanus.auth.redact]).
    """

    def __init__(self, logger: logging.Logger, secrets: Iterable[str] = ()) -> None:
        super().__init__(logger, {})
        self.secrets = tuple(s for s in secrets if s)

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        """Redact a message that is already formatted."""
        return redact(str(msg), self.secrets), kwargs

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        """Format ``msg % args``, redact it and log it (if ``level`` is enabled)."""
        if not self.isEnabledFor(level):
            return
        text = str(msg)
        if args:
            values: object
            if len(args) == 1 and isinstance(args[0], Mapping):
                values = args[0]
            else:
                values = tuple(_redact_arg(arg, self.secrets) for arg in args)
            try:
                text %= values
            except (TypeError, ValueError, KeyError):  # logging would not raise either
                text = f"{text} % {args!r}"
        message, options = self.process(text, kwargs)
        options.setdefault("stacklevel", 2)
        self.logger.log(level, message, **options)
