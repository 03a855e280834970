"""``rxjanus tokens``: the Admin API's stored tokens (Janus ``token_auth``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click
from rich.table import Table

from ..admin import JanusAdminMonitorClient
from ._common import admin_secret_option, json_option, print_json, run, stdout, timeout_option
from .admin import admin_client

__all__ = ["COMMANDS"]

T = TypeVar("T")


def _plugin_name(name: str) -> str:
    """``echotest`` -> ``janus.plugin.echotest``; full names stay."""
    return name if "." in name else f"janus.plugin.{name}"


def _call(ctx: click.Context, work: Callable[[JanusAdminMonitorClient], Awaitable[T]]) -> T:
    options: dict[str, Any] = ctx.obj

    async def main() -> T:
        async with admin_client(
            options["admin_url"], options["admin_secret"], options["timeout"]
        ) as admin:
            return await work(admin)

    return run(main)


_plugins_option = click.option(
    "-p",
    "--plugin",
    "plugins",
    multiple=True,
    help="A plugin (echotest or janus.plugin.echotest); repeat for more.",
)
_token_argument = click.argument("token", envvar="RXJANUS_TOKEN")


@click.group()
@click.argument("admin_url")
@admin_secret_option
@timeout_option
@click.pass_context
def tokens(ctx: click.Context, admin_url: str, admin_secret: str | None, timeout: float) -> None:
    """Stored tokens of a Janus with token_auth (list, add, remove, allow, disallow).

    A TOKEN argument may come from RXJANUS_TOKEN instead.
    """
    ctx.obj = {"admin_url": admin_url, "admin_secret": admin_secret, "timeout": timeout}


@tokens.command("list")
@json_option
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """List the stored tokens and the plugins each may attach."""
    found = _call(ctx, lambda admin: admin.list_tokens())
    if as_json:
        print_json(found)
        return
    table = Table()
    table.add_column("token")
    table.add_column("allowed plugins")
    for entry in found:
        plugins = entry.get("allowed_plugins") or []
        table.add_row(str(entry.get("token")), ", ".join(map(str, plugins)) or "(all)")
    stdout.print(table)
    stdout.print(f"{len(found)} token(s)")


@tokens.command()
@click.argument("token", required=False)
@_plugins_option
@json_option
@click.pass_context
def add(ctx: click.Context, token: str | None, plugins: tuple[str, ...], as_json: bool) -> None:
    """Add TOKEN (default: a new random one, printed) for the plugins given (default: all)."""
    names = [_plugin_name(p) for p in plugins]
    added = _call(ctx, lambda admin: admin.add_token(token, names))
    if as_json:
        print_json({"token": added, "plugins": names})
    elif token is None:
        click.echo(added)  # a new token: the user needs to see it
    else:
        stdout.print("token added")


@tokens.command()
@_token_argument
@click.pass_context
def remove(ctx: click.Context, token: str) -> None:
    """Remove TOKEN: no new session can use it."""
    _call(ctx, lambda admin: admin.remove_token(token))
    stdout.print("token removed")


def _change(
    ctx: click.Context, janus: str, token: str, plugins: tuple[str, ...], as_json: bool
) -> None:
    if not plugins:
        raise click.UsageError("give at least one --plugin")
    names = [_plugin_name(p) for p in plugins]

    async def work(admin: JanusAdminMonitorClient) -> list[str]:
        if janus == "allow":
            return await admin.allow_token(token, names)
        return await admin.disallow_token(token, names)

    allowed = _call(ctx, work)
    if as_json:
        print_json({"allowed_plugins": allowed})
    else:
        stdout.print(f"allowed plugins: {', '.join(allowed) or '(none)'}")


@tokens.command()
@_token_argument
@_plugins_option
@json_option
@click.pass_context
def allow(ctx: click.Context, token: str, plugins: tuple[str, ...], as_json: bool) -> None:
    """Let TOKEN attach these plugins too."""
    _change(ctx, "allow", token, plugins, as_json)


@tokens.command()
@_token_argument
@_plugins_option
@json_option
@click.pass_context
def disallow(ctx: click.Context, token: str, plugins: tuple[str, ...], as_json: bool) -> None:
    """Stop TOKEN attaching these plugins."""
    _change(ctx, "disallow", token, plugins, as_json)


COMMANDS = (tokens,)
