"""Headless Chromium driven over the DevTools protocol, with janus.js served from loopback.

[`Browser`][tests.browser.chromium.Browser] starts Debian's ``chromium`` with fake
camera and microphone and WebRTC kept on 127.0.0.1, serves ``page.html`` (Debian's
adapter.js and janus.js, then ``page.js``) from an aiohttp server on 127.0.0.1,
and runs the page's functions with ``Runtime.evaluate`` over the DevTools
WebSocket (the ``websockets`` library rxjanus already depends on). On every path
out, the browser's process group is killed and its profile directory removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import shutil
import signal
import socket
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web
from websockets.asyncio.client import ClientConnection, connect

__all__ = ["ADAPTER_JS", "JANUS_JS", "Browser", "BrowserError", "Page", "chromium_available"]

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
JANUS_JS = Path("/usr/share/javascript/janus-gateway/janus.js")
ADAPTER_JS = Path("/usr/share/javascript/webrtc-adapter/adapter.js")
CHROMIUM = "chromium"

FLAGS = [
    "--headless",
    "--no-sandbox",  # the tests run as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--mute-audio",
    # Fake camera (a moving pattern) and microphone (beeps), no permission prompt.
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    # WebRTC on 127.0.0.1 like the Janus fixture: loopback candidates allowed, the
    # real addresses not hidden behind mDNS names (Janus ignores .local candidates).
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--remote-debugging-port=0",
]

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>rxjanus interop</title>
<script src="/adapter.js"></script>
<script src="/janus.js"></script>
<script src="/page.js"></script>
</head><body></body></html>
"""


class BrowserError(Exception):
    """The browser failed to start, or a page function threw."""


def chromium_available() -> bool:
    """Whether chromium, janus.js and adapter.js are installed."""
    return shutil.which(CHROMIUM) is not None and JANUS_JS.exists() and ADAPTER_JS.exists()


class Page:
    """One tab, attached over the browser's DevTools connection (flat sessions)."""

    def __init__(self, browser: Browser, session_id: str, target_id: str) -> None:
        self._browser = browser
        self.session_id = session_id
        self.target_id = target_id
        self.console: list[str] = []

    async def call(self, function: str, *args: Any, timeout: float = 60.0) -> Any:
        """Run ``function(*args)`` from page.js, await its Promise and return its JSON value.

        Raises:
            BrowserError: It threw or rejected (the message has the page's reason).
            TimeoutError: Not settled within ``timeout``.
        """
        expression = f"{function}(...{json.dumps(list(args))})"
        reply = await asyncio.wait_for(
            self._browser.send(
                "Runtime.evaluate",
                {"expression": expression, "awaitPromise": True, "returnByValue": True},
                session_id=self.session_id,
            ),
            timeout,
        )
        if "exceptionDetails" in reply:
            details = reply["exceptionDetails"]
            reason = details.get("exception", {}).get("description") or details.get("text")
            raise BrowserError(f"{function}: {reason}\nconsole:\n" + "\n".join(self.console[-20:]))
        return reply["result"].get("value")


class Browser:
    """Headless Chromium plus the loopback web server its page comes from.

    Use as ``async with Browser() as browser: page = await browser.open()``.
    """

    def __init__(self) -> None:
        self._profile: str | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._runner: web.AppRunner | None = None
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._drain: asyncio.Task[None] | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._pages: dict[str, Page] = {}
        self.origin = ""

    async def __aenter__(self) -> Browser:
        try:
            await self._serve()
            await self._launch()
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def _serve(self) -> None:
        async def page(_: web.Request) -> web.Response:
            return web.Response(text=PAGE, content_type="text/html")

        def script(path: Path) -> Any:
            async def handler(_: web.Request) -> web.FileResponse:
                return web.FileResponse(path, headers={"Content-Type": "text/javascript"})

            return handler

        app = web.Application()
        app.router.add_get("/", page)
        app.router.add_get("/janus.js", script(JANUS_JS))
        app.router.add_get("/adapter.js", script(ADAPTER_JS))
        app.router.add_get("/page.js", script(HERE / "page.js"))
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        listening = socket.socket()
        listening.bind(("127.0.0.1", 0))  # a free port, known before serving
        self.origin = f"http://127.0.0.1:{listening.getsockname()[1]}"
        await web.SockSite(self._runner, listening).start()

    async def _launch(self) -> None:
        self._profile = tempfile.mkdtemp(prefix="rxjanus-chromium-")
        self._process = await asyncio.create_subprocess_exec(
            CHROMIUM,
            *FLAGS,
            f"--user-data-dir={self._profile}",
            "about:blank",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,  # its own process group, killed as one
        )
        stderr = self._process.stderr
        assert stderr is not None
        endpoint = None
        seen: list[str] = []
        async with asyncio.timeout(30):
            while endpoint is None:
                line = (await stderr.readline()).decode(errors="replace")
                if not line:
                    raise BrowserError("chromium exited:\n" + "".join(seen[-20:]))
                seen.append(line)
                if line.startswith("DevTools listening on "):
                    endpoint = line.split(" on ", 1)[1].strip()
        # Keep draining its stderr so chromium never blocks on a full pipe.
        self._drain = asyncio.create_task(self._drain_stderr(stderr))
        self._ws = await connect(endpoint, max_size=None, open_timeout=30)
        self._reader = asyncio.create_task(self._read())

    @staticmethod
    async def _drain_stderr(stderr: asyncio.StreamReader) -> None:
        while await stderr.readline():
            pass

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for raw in self._ws:
                message = json.loads(raw)
                if "id" in message:
                    future = self._pending.pop(message["id"], None)
                    if future is not None and not future.done():
                        if "error" in message:
                            future.set_exception(BrowserError(str(message["error"])))
                        else:
                            future.set_result(message.get("result", {}))
                elif message.get("method") == "Runtime.consoleAPICalled":
                    page = self._pages.get(message.get("sessionId", ""))
                    if page is not None:
                        params = message["params"]
                        text = " ".join(
                            str(a.get("value", a.get("description"))) for a in params["args"]
                        )
                        page.console.append(f"{params['type']}: {text}")
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(BrowserError("DevTools connection closed"))
            self._pending.clear()

    async def send(
        self, method: str, params: dict[str, Any] | None = None, *, session_id: str | None = None
    ) -> dict[str, Any]:
        """Send one DevTools command and return its result."""
        if self._ws is None:
            raise BrowserError("browser not running")
        command_id = next(self._ids)
        message: dict[str, Any] = {"id": command_id, "method": method, "params": params or {}}
        if session_id is not None:
            message["sessionId"] = session_id
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[command_id] = future
        await self._ws.send(json.dumps(message))
        return await future

    async def open(self) -> Page:
        """Open the interop page in a new tab and wait until its scripts are loaded."""
        created = await self.send("Target.createTarget", {"url": "about:blank"})
        target_id = created["targetId"]
        attached = await self.send(
            "Target.attachToTarget", {"targetId": target_id, "flatten": True}
        )
        page = Page(self, attached["sessionId"], target_id)
        self._pages[page.session_id] = page
        await self.send("Runtime.enable", session_id=page.session_id)
        await self.send("Page.enable", session_id=page.session_id)
        await self.send("Page.navigate", {"url": self.origin + "/"}, session_id=page.session_id)
        # Settles once janus.js and page.js have run (the scripts are synchronous).
        await page.call(
            "(() => new Promise((ok) => { const go = () => (typeof Janus !== 'undefined' "
            "&& typeof leave === 'function') ? ok(true) : setTimeout(go, 10); go(); }))"
        )
        return page

    async def close(self) -> None:
        """Close the DevTools connection, kill the browser, remove its profile, stop serving."""
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
            self._ws = None
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
            self._reader = None
        process, self._process = self._process, None
        if process is not None:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
        if self._drain is not None:
            await asyncio.gather(self._drain, return_exceptions=True)
            self._drain = None
        if self._profile is not None:
            shutil.rmtree(self._profile, ignore_errors=True)
            self._profile = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
