"""What every command shares: secrets, `--json`, output, exit codes, error reports."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import logging
import signal
import sys
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, NoReturn, TypeVar

import click
from rich.console import Console

from ..exceptions import (
    InvalidRequestPath,
    JanusError,
    ServerUnreachable,
    TokenNotFound,
    Unauthorized,
    UnauthorizedPlugin,
)

__all__ = [
    "ExitCode",
    "admin_secret_option",
    "api_auth_options",
    "fail",
    "json_option",
    "print_json",
    "quit_on_signals",
    "run",
    "stderr",
    "stdout",
    "timeout_option",
]

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

stdout = Console(highlight=False, soft_wrap=True)
"""Where results go (tables, summaries)."""
stderr = Console(stderr=True, highlight=False, soft_wrap=True)
"""Where errors and notes go."""


class ExitCode(enum.IntEnum):
    """The exit status of every command (also listed in ``rxjanus --help``)."""

    OK = 0
    ERROR = 1
    """Janus (or a plugin) answered with an error, or anything else went wrong."""
    USAGE = 2
    """Bad options or arguments (click's own code)."""
    SERVER_DOWN = 3
    """Nothing answers at the URL's host and port."""
    UNAUTHORIZED = 4
    """A wrong or missing API secret, token or admin secret."""
    WRONG_URL = 5
    """Something answers, but it is not this Janus API there (scheme, port or path)."""
    TIMEOUT = 6
    """Janus did not answer in time."""


EXIT_CODES_HELP = (
    "Exit codes: 0 ok, 1 Janus error, 2 usage, 3 server down, 4 wrong secret or token, "
    "5 wrong URL, 6 timeout."
)


def fail(code: ExitCode, message: str) -> NoReturn:
    """Print ``rxjanus: message`` on stderr and exit with ``code``."""
    stderr.print(f"rxjanus: {message}", markup=False)
    sys.exit(int(code))


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def classify(error: BaseException) -> tuple[ExitCode, str]:
    """The exit code and one-line message for an error a command let through."""
    message = _first_line(error)
    if isinstance(error, Unauthorized | UnauthorizedPlugin | TokenNotFound):
        return ExitCode.UNAUTHORIZED, f"wrong secret or token: {message}"
    if isinstance(error, InvalidRequestPath):
        return ExitCode.WRONG_URL, f"wrong URL (Janus API or Admin API?): {message}"
    if isinstance(error, ServerUnreachable):
        if isinstance(error.__cause__, JanusError):
            # Something answered, but not as the Janus API at this URL.
            return ExitCode.WRONG_URL, f"wrong URL: {_first_line(error.__cause__)}"
        return ExitCode.SERVER_DOWN, f"server down: {message}"
    if isinstance(error, TimeoutError):
        return ExitCode.TIMEOUT, f"timeout: {message}"
    if isinstance(error, ConnectionError | OSError):
        return ExitCode.SERVER_DOWN, f"connection failed: {message}"
    return ExitCode.ERROR, message


def run(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a command's coroutine; report an error it raises as one line and exit.

    Ctrl-C ends the command quietly with status 130, like a shell does.
    """
    try:
        return asyncio.run(factory())
    except KeyboardInterrupt:
        sys.exit(130)
    except (JanusError, OSError, TimeoutError) as error:
        code, message = classify(error)
        fail(code, message)
    except ValueError as error:
        if "no transport for" in str(error):
            fail(ExitCode.WRONG_URL, f"wrong URL: {_first_line(error)}")
        raise


def print_json(value: Any) -> None:
    """Print ``value`` as indented JSON on stdout (for ``--json``)."""
    click.echo(json.dumps(value, indent=2, sort_keys=True, default=str))


def json_option(function: F) -> F:
    """``--json``: print the result as JSON instead of a table."""
    return click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")(
        function
    )


def timeout_option(function: F) -> F:
    """``--timeout``: seconds each request may take."""
    return click.option(
        "--timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=10.0,
        show_default=True,
        help="Seconds each request may take.",
    )(function)


def admin_secret_option(function: F) -> F:
    """``--admin-secret`` (or ``RXJANUS_ADMIN_SECRET``), never shown."""
    return click.option(
        "--admin-secret",
        envvar="RXJANUS_ADMIN_SECRET",
        show_envvar=True,
        default=None,
        metavar="SECRET",
        help="The Admin API secret (better in the environment than on the command line).",
    )(function)


def api_auth_options(function: F) -> F:
    """``--api-secret`` and ``--token`` (or their environment variables), never shown."""
    function = click.option(
        "--token",
        envvar="RXJANUS_TOKEN",
        show_envvar=True,
        default=None,
        metavar="TOKEN",
        help="A Janus auth token (stored or signed).",
    )(function)
    return click.option(
        "--api-secret",
        envvar="RXJANUS_API_SECRET",
        show_envvar=True,
        default=None,
        metavar="SECRET",
        help="The Janus API secret.",
    )(function)


def configure_logging(verbose: int) -> None:
    """Log rxjanus's own lines on stderr: warnings, or more with ``-v``/``-vv``."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    if verbose == 0:  # aiortc's decoder notes (a missing keyframe ...) are not news here
        logging.getLogger("aiortc").setLevel(logging.ERROR)


@contextlib.contextmanager
def quit_on_signals(quit_: asyncio.Event) -> Iterator[None]:
    """Set ``quit_`` on Ctrl-C (SIGINT) or SIGTERM instead of interrupting (needs a loop)."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, quit_.set)
    try:
        yield
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
