"""``rxjanus server``: a local Janus on loopback for demos and trying things out.

It is `rxjanus.testing.JanusServer` (Debian's ``janus`` with configs this
package owns), on Janus's standard ports unless told otherwise.
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ._common import ExitCode, fail, stdout

__all__ = ["COMMANDS"]

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_ADMIN_SECRET = "rxjanus-admin-secret"
"""The local demo server's ``admin_secret`` when none is given (the guides use it)."""


def _port(value: int) -> int | None:
    return None if value == 0 else value


def _port_option(name: str, default: int, what: str) -> Callable[[F], F]:
    return click.option(
        name,
        type=click.IntRange(0, 65535),
        default=default,
        show_default=True,
        help=f"{what} (0: any free port).",
    )


@click.command()
@_port_option("--ws-port", 8188, "The Janus API's WebSocket port")
@_port_option("--http-port", 8088, "The Janus API's HTTP port (path /janus)")
@_port_option("--admin-port", 7088, "The Admin API's HTTP port (path /admin)")
@_port_option("--admin-ws-port", 7188, "The Admin API's WebSocket port")
@click.option(
    "--admin-secret",
    envvar="RXJANUS_ADMIN_SECRET",
    show_envvar=True,
    default=None,
    metavar="SECRET",
    help=f"The Admin API secret (default: the demo's {DEFAULT_ADMIN_SECRET!r}).",
)
@click.option(
    "--api-secret",
    envvar="RXJANUS_API_SECRET",
    show_envvar=True,
    default=None,
    metavar="SECRET",
    help="Require this API secret (default: none).",
)
@click.option("--token-auth", is_flag=True, help="Require stored tokens (rxjanus tokens add).")
@click.option("--session-timeout", type=click.IntRange(min=0), default=60, show_default=True)
@click.option(
    "--loopback-ice/--no-loopback-ice",
    default=True,
    show_default=True,
    help="Make Janus offer 127.0.0.1 candidates, for media with clients on this machine.",
)
@click.option(
    "--workdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep configs, log and recordings here (default: a temp dir, removed at exit).",
)
@click.option("--janus-binary", default="/usr/bin/janus", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the URLs as one JSON line.")
def server(
    ws_port: int,
    http_port: int,
    admin_port: int,
    admin_ws_port: int,
    admin_secret: str | None,
    api_secret: str | None,
    token_auth: bool,
    session_timeout: int,
    loopback_ice: bool,
    workdir: Path | None,
    janus_binary: str,
    as_json: bool,
) -> None:
    """Start a local Janus on 127.0.0.1, print its URLs, run until Ctrl-C.

    For demos and trying rxjanus out: Debian's janus (apt-get install janus)
    with the test configs of rxjanus.testing, all plugins rxjanus covers.
    """
    from ..testing.server import JanusServer, JanusStartError

    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda signum, frame: stop.set())
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    janus = JanusServer(
        ws_port=_port(ws_port),
        http_port=_port(http_port),
        admin_http_port=_port(admin_port),
        admin_ws_port=_port(admin_ws_port),
        admin_secret=admin_secret or DEFAULT_ADMIN_SECRET,
        api_secret=api_secret,
        token_auth=token_auth,
        session_timeout=session_timeout,
        loopback_ice=loopback_ice,
        workdir=workdir,
        janus_binary=janus_binary,
    )
    try:
        try:
            janus.start()
        except (JanusStartError, OSError, RuntimeError) as error:
            fail(ExitCode.ERROR, f"Janus did not start: {str(error).splitlines()[0]}")
        urls = janus.urls()
        urls.pop("api_secret")
        if admin_secret is not None:
            urls.pop("admin_secret")  # the user's: never printed
        if as_json:
            click.echo(json.dumps(urls))
        else:
            stdout.print(f"Janus {janus.server_name} on 127.0.0.1 (pid {janus.pid})")
            stdout.print(f"  Janus API:  {janus.ws_url}  {janus.http_url}")
            stdout.print(f"  Admin API:  {janus.admin_http_url}  {janus.admin_ws_url}")
            if admin_secret is None:
                stdout.print(
                    f"  admin secret: {DEFAULT_ADMIN_SECRET} (the demo's; "
                    "set RXJANUS_ADMIN_SECRET to choose one)"
                )
            stdout.print(f"  log: {janus.log_path}")
            stdout.print("Ctrl-C stops it.")
        stdout.file.flush()
        while not stop.wait(0.5):
            if not janus.running:
                fail(ExitCode.ERROR, f"Janus exited unexpectedly (log: {janus.log_path})")
    finally:
        janus.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


COMMANDS = (server,)
