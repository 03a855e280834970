"""``rxjanus sessions``, ``handles`` and ``handle-info``: the Admin API's view of a server."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from typing import Any

import click
from rich.table import Table

from ..admin import JanusAdminMonitorClient
from ..exceptions import HandleNotFound, SessionNotFound
from ._common import admin_secret_option, json_option, print_json, run, stdout, timeout_option

__all__ = [
    "COMMANDS",
    "HandleSummary",
    "MediaSummary",
    "admin_client",
    "handles_table",
    "read_handles",
    "summarize",
]


@contextlib.asynccontextmanager
async def admin_client(
    url: str, admin_secret: str | None, timeout: float, *, reconnect: bool = False
) -> AsyncIterator[JanusAdminMonitorClient]:
    """An Admin API client, connected at once (no retries unless ``reconnect``)."""
    client = JanusAdminMonitorClient(
        url,
        admin_secret,
        timeout=timeout,
        max_retries=3 if reconnect else 0,
        retry_delay=0.5,
        reconnect=reconnect,
    )
    async with client:
        yield client


@dataclass(frozen=True)
class MediaSummary:
    """One m-line of a handle's PeerConnection, as Janus counts it."""

    mid: str
    kind: str
    codec: str | None
    packets_in: int
    packets_out: int
    kbps_in: float
    kbps_out: float


@dataclass(frozen=True)
class HandleSummary:
    """What `handles` and `top` show of one handle."""

    session: int
    handle: int
    plugin: str
    opaque_id: str | None = None
    ice: str | None = None
    dtls: str | None = None
    media: list[MediaSummary] = field(default_factory=list)

    def media_text(self) -> str:
        """The media in a few words, e.g. ``video vp8 ↓29 ↑29 pkts 12.0/11.9 kbps``."""
        lines = [
            f"{m.kind} {m.codec or '-'} in {m.packets_in} out {m.packets_out} pkts "
            f"{m.kbps_in:.0f}/{m.kbps_out:.0f} kbit/s"
            for m in self.media
        ]
        return "\n".join(lines) or "-"


def summarize(session: int, handle: int, info: dict[str, Any]) -> HandleSummary:
    """Summarize Janus's ``handle_info`` of one handle (Janus 1.x layout)."""
    webrtc = info.get("webrtc") or {}
    media = []
    for entry in (webrtc.get("media") or {}).values():
        stats = entry.get("stats") or {}
        got, sent = stats.get("in") or {}, stats.get("out") or {}
        media.append(
            MediaSummary(
                mid=str(entry.get("mid", "")),
                kind=str(entry.get("type", "?")),
                codec=(entry.get("codecs") or {}).get("codec"),
                packets_in=int(got.get("packets", 0)),
                packets_out=int(sent.get("packets", 0)),
                kbps_in=int(got.get("bytes_lastsec", 0)) * 8 / 1000,
                kbps_out=int(sent.get("bytes_lastsec", 0)) * 8 / 1000,
            )
        )
    return HandleSummary(
        session=session,
        handle=handle,
        plugin=str(info.get("plugin", "?")),
        opaque_id=info.get("opaque_id"),
        ice=(webrtc.get("ice") or {}).get("state"),
        dtls=(webrtc.get("dtls") or {}).get("dtls-state"),
        media=media,
    )


async def read_handles(
    admin: JanusAdminMonitorClient, handles: dict[int, tuple[int, ...]]
) -> list[HandleSummary]:
    """``handle_info`` of each handle; those gone meanwhile are left out."""
    found = []
    for session_id, handle_ids in handles.items():
        for handle_id in handle_ids:
            try:
                info = await admin.handle_info(session_id, handle_id)
            except (SessionNotFound, HandleNotFound):
                continue
            found.append(summarize(session_id, handle_id, info))
    return found


def handles_table(summaries: list[HandleSummary], title: str | None = None) -> Table:
    """A table of handles: session, handle, plugin, ICE and DTLS state, media."""
    table = Table(title=title, title_justify="left")
    table.add_column("session", justify="right")
    table.add_column("handle", justify="right")
    table.add_column("plugin")
    table.add_column("ICE")
    table.add_column("DTLS")
    table.add_column("media")
    for s in summaries:
        plugin = s.plugin.removeprefix("janus.plugin.")
        table.add_row(
            str(s.session), str(s.handle), plugin, s.ice or "-", s.dtls or "-", s.media_text()
        )
    return table


@click.command()
@click.argument("admin_url")
@admin_secret_option
@timeout_option
@json_option
def sessions(admin_url: str, admin_secret: str | None, timeout: float, as_json: bool) -> None:
    """List the server's sessions and how many handles each has."""

    async def main() -> dict[int, tuple[int, ...]]:
        async with admin_client(admin_url, admin_secret, timeout) as admin:
            return dict((await admin.snapshot(handles=True)).handles)

    found = run(main)
    if as_json:
        print_json([{"session": s, "handles": list(h)} for s, h in found.items()])
        return
    table = Table()
    table.add_column("session", justify="right")
    table.add_column("handles", justify="right")
    for session_id, handle_ids in found.items():
        table.add_row(str(session_id), str(len(handle_ids)))
    stdout.print(table)
    stdout.print(f"{len(found)} session(s)")


@click.command()
@click.argument("admin_url")
@click.argument("session", type=int, required=False)
@admin_secret_option
@timeout_option
@json_option
def handles(
    admin_url: str, session: int | None, admin_secret: str | None, timeout: float, as_json: bool
) -> None:
    """List the handles of SESSION (default: of every session), with their media."""

    async def main() -> list[HandleSummary]:
        async with admin_client(admin_url, admin_secret, timeout) as admin:
            if session is None:
                found = dict((await admin.snapshot(handles=True)).handles)
            else:
                found = {session: tuple(sorted(await admin.list_handles(session)))}
            return await read_handles(admin, found)

    summaries = run(main)
    if as_json:
        print_json([asdict(s) for s in summaries])
    else:
        stdout.print(handles_table(summaries))
        stdout.print(f"{len(summaries)} handle(s)")


@click.command("handle-info")
@click.argument("admin_url")
@click.argument("session", type=int)
@click.argument("handle", type=int)
@admin_secret_option
@timeout_option
@json_option
def handle_info(
    admin_url: str,
    session: int,
    handle: int,
    admin_secret: str | None,
    timeout: float,
    as_json: bool,
) -> None:
    """Show everything Janus knows of one handle (plugin, ICE, DTLS, media)."""

    async def main() -> dict[str, Any]:
        async with admin_client(admin_url, admin_secret, timeout) as admin:
            return await admin.handle_info(session, handle)

    info = run(main)
    if as_json:
        print_json(info)
        return
    summary = summarize(session, handle, info)
    stdout.print(handles_table([summary]))
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    for key in ("opaque_id", "session_transport", "ice-mode", "ice-role"):
        if key in info:
            table.add_row(key, str(info[key]))
    flags = info.get("flags") or {}
    table.add_row("flags", ", ".join(sorted(k for k, v in flags.items() if v)) or "-")
    specific = info.get("plugin_specific") or {}
    for key, value in sorted(specific.items()):
        table.add_row(f"plugin: {key}", str(value))
    stdout.print(table)


COMMANDS = (sessions, handles, handle_info)
