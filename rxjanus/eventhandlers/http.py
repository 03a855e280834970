"""Receive Janus' HTTP event handler (``janus.eventhandler.sampleevh``) with aiohttp.

Janus POSTs each event, or with ``grouping = true`` a JSON list of up to 100,
to its ``backend`` URL with libcurl, with HTTP basic auth when
``backend_user``/``backend_pwd`` are set and gzip with ``compress = true``
(aiohttp inflates it). Janus only retries when the request fails at the
transport level (up to ``max_retransmissions``, default 5); any HTTP answer,
4xx included, counts as delivered.

Answers: 200 for a message with at least one event; 400 for a body that is not
JSON, not a list or object, or holds no event; 401 for missing or wrong
credentials; 405 for another method. Each refusal is logged.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
from typing import Final

from aiohttp import web

from .base import EventReceiver
from .events import MalformedEvent

__all__ = ["SampleEvhReceiver"]

logger = logging.getLogger(__name__)

_MAX_BODY: Final = 16 << 20
"""100 grouped events with SDPs stay well under this."""


class SampleEvhReceiver(EventReceiver):
    """An HTTP endpoint for Janus' ``sampleevh`` event handler.

    Point Janus at [`url`][rxjanus.eventhandlers.http.SampleEvhReceiver.url]
    (``backend`` in ``janus.eventhandler.sampleevh.jcfg``).

    Args:
        host: The address to listen on.
        port: The port (0: a free one, see ``url``).
        path: The URL path Janus posts to.
        username: With ``password``, require HTTP basic auth (Janus'
            ``backend_user``/``backend_pwd``).
        password: The password.
        max_body: The largest body accepted (413 above).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        path: str = "/janus-events",
        username: str | None = None,
        password: str | None = None,
        max_body: int = _MAX_BODY,
    ) -> None:
        super().__init__()
        if (username is None) != (password is None):
            raise ValueError("username and password go together")
        if not path.startswith("/"):
            raise ValueError("path must start with '/'")
        self._host = host
        self._port = port
        self._path = path
        self._credentials = None if username is None or password is None else (username, password)
        self._max_body = max_body
        self._runner: web.AppRunner | None = None
        self.refused = 0

    @property
    def url(self) -> str:
        """The URL Janus must post to (``backend``), without credentials."""
        if self._runner is None or not self._runner.addresses:
            raise RuntimeError("the receiver is not started")
        host, port = self._runner.addresses[0][:2]
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}{self._path}"

    janus_name = "sampleevh"

    def janus_settings(self) -> dict[str, str | int | bool]:
        """Settings for ``janus.eventhandler.sampleevh.jcfg``: every event, grouped, compact.

        Returns:
            ``events``, ``grouping``, ``json``, ``backend`` and the credentials.
        """
        settings: dict[str, str | int | bool] = {
            "events": "all",
            "grouping": True,
            "json": "compact",
            "backend": self.url,
        }
        if self._credentials is not None:
            settings["backend_user"], settings["backend_pwd"] = self._credentials
        return settings

    async def _open(self) -> None:
        app = web.Application(client_max_size=self._max_body)
        app.router.add_post(self._path, self._handle)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        self._runner = runner
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        await site.start()
        logger.debug("sampleevh receiver listening on %s", self.url)

    async def _close(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    def _authorized(self, request: web.Request) -> bool:
        if self._credentials is None:
            return True
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            given = base64.b64decode(encoded.strip(), validate=True)
        except (ValueError, binascii.Error):
            return False
        user, password = self._credentials
        # libcurl sends the bytes of backend_user:backend_pwd as configured (UTF-8 here).
        return hmac.compare_digest(given, f"{user}:{password}".encode())

    async def _handle(self, request: web.Request) -> web.Response:
        source = f"sampleevh {request.remote}"
        if not self._authorized(request):
            self.refused += 1
            logger.warning("refused a POST from %s: missing or wrong credentials", source)
            return web.Response(
                status=401, headers={"WWW-Authenticate": 'Basic realm="janus-events"'}
            )
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            self.refused += 1
            logger.warning("refused a POST from %s: body over %d bytes", source, self._max_body)
            raise
        try:
            self.feed(body, source)
        except MalformedEvent as exc:  # feed logged it
            self.refused += 1
            return web.Response(status=400, text=f"{exc}\n")
        return web.Response(status=200)
