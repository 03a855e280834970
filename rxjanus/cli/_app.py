"""The ``rxjanus`` command group: global options and the commands of each module."""

from __future__ import annotations

import click

from .. import __version__
from . import admin, echo, server, server_info, tokens, top, videoroom
from ._common import EXIT_CODES_HELP, configure_logging

__all__ = ["cli", "main"]


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=EXIT_CODES_HELP,
)
@click.version_option(__version__, "-V", "--version", prog_name="rxjanus")
@click.option("-v", "--verbose", count=True, help="Log more (-v: info, -vv: debug).")
def cli(verbose: int) -> None:
    """Talk to a Janus WebRTC Gateway from the shell.

    URL is a Janus API URL (ws://127.0.0.1:8188, http://127.0.0.1:8088/janus, ...);
    ADMIN_URL an Admin API URL (http://127.0.0.1:7088/admin, ws://127.0.0.1:7188).
    Secrets come from options or from RXJANUS_API_SECRET, RXJANUS_TOKEN and
    RXJANUS_ADMIN_SECRET, and are never printed.
    """
    configure_logging(verbose)


for module in (server_info, admin, top, tokens, echo, videoroom, server):
    for command in module.COMMANDS:
        cli.add_command(command)


def main() -> None:
    """Run the command line (the ``rxjanus`` console script)."""
    cli(prog_name="rxjanus")
