"""The Admin/Monitor API client: every request of Janus 1.1's ``janus.c`` Admin API.

Requests ride on the same transports and sans-I/O core as the Janus API
(transactions, timeouts, typed errors); the transport adds ``admin_secret`` to
every request but ``info`` and ``ping``, and keeps it out of logs and reprs.
"""

from __future__ import annotations

import logging
import secrets
import ssl as ssl_module
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit

from reactivex import Observable, abc

from ..exceptions import PluginError, ProtocolError, SessionNotFound
from ..protocol import JSON, Expect, Request
from ..transaction import transaction_of
from ..transports import JanusTransport, create_transport, redact_url
from .snapshots import ServerSnapshot, from_async, poll_changes

__all__ = ["ADMIN_SUBPROTOCOL", "JanusAdminMonitorClient", "ResolvedAddress", "StunResult"]

logger = logging.getLogger(__name__)

V = TypeVar("V")

ADMIN_SUBPROTOCOL = "janus-admin-protocol"
"""The WebSocket subprotocol of the Admin API."""


@dataclass(frozen=True, slots=True)
class ResolvedAddress:
    """What ``resolve_address`` found.

    Attributes:
        ip: The address Janus resolved the name to.
        elapsed: Microseconds the resolution took on the server.
    """

    ip: str
    elapsed: int


@dataclass(frozen=True, slots=True)
class StunResult:
    """What ``test_stun`` learned from a STUN server.

    Attributes:
        public_ip: The address the STUN server saw Janus come from.
        public_port: The port it saw.
        elapsed: Microseconds the test took on the server.
    """

    public_ip: str
    public_port: int
    elapsed: int


class JanusAdminMonitorClient:
    """A client of the Janus Admin/Monitor API.

    Connects on the first request (or on ``connect()`` / ``async with``) and
    keeps one connection: one pooled aiohttp session POSTing to the admin root
    over HTTP, or one WebSocket with the ``janus-admin-protocol`` subprotocol.

    Errors are typed as for the Janus API: a wrong ``admin_secret`` raises
    [`Unauthorized`][rxjanus.exceptions.Unauthorized] (403), an unknown session
    [`SessionNotFound`][rxjanus.exceptions.SessionNotFound] (458), a server that cannot be
    reached [`ServerUnreachable`][rxjanus.exceptions.ServerUnreachable] (a
    ``ConnectionError`` naming the URL), no reply in time
    [`JanusTimeoutError`][rxjanus.exceptions.JanusTimeoutError] (a ``TimeoutError``); a
    plugin, transport, event handler or logger answering a query with
    ``error_code`` raises [`PluginError`][rxjanus.exceptions.PluginError].

    Args:
        base_url: ``http(s)://host:port/admin``, ``ws(s)://host:port`` (the admin
            WebSocket) or ``unix:///path/to/admin.sock`` (pfunix ``admin_path``).
        admin_secret: The server's ``admin_secret`` (sent with every request but
            ``info`` and ``ping``; never logged).
        api_secret: Accepted for janus_client compatibility; the Admin API does
            not check it, so it is not sent.
        token: Accepted for janus_client compatibility; the Admin API does not
            check it, so it is not sent.
        timeout: Seconds each request may take.
        max_retries: Extra connection attempts when the server cannot be reached.
        retry_delay: Seconds before the first retry; doubles with each retry.
        reconnect: Reopen a dropped WebSocket on its own.
        ssl: SSL context for ``https://`` and ``wss://``.
        transport: A transport to use instead of making one from ``base_url``
            (give it ``admin_secret`` yourself); the client then leaves it open.
    """

    janus_requests: ClassVar[Mapping[str, str]] = {
        "info": "info",
        "ping": "ping",
        "get_status": "get_status",
        "set_session_timeout": "set_session_timeout",
        "set_log_level": "set_log_level",
        "set_locking_debug": "set_locking_debug",
        "set_refcount_debug": "set_refcount_debug",
        "set_log_timestamps": "set_log_timestamps",
        "set_log_colors": "set_log_colors",
        "set_libnice_debug": "set_libnice_debug",
        "set_min_nack_queue": "set_min_nack_queue",
        "set_nack_optimizations": "set_nack_optimizations",
        "set_no_media_timer": "set_no_media_timer",
        "set_slowlink_threshold": "set_slowlink_threshold",
        "accept_new_sessions": "accept_new_sessions",
        "message_plugin": "message_plugin",
        "query_transport": "query_transport",
        "query_eventhandler": "query_eventhandler",
        "query_logger": "query_logger",
        "custom_event": "custom_event",
        "custom_logline": "custom_logline",
        "list_sessions": "list_sessions",
        "add_token": "add_token",
        "list_tokens": "list_tokens",
        "allow_token": "allow_token",
        "disallow_token": "disallow_token",
        "remove_token": "remove_token",
        "resolve_address": "resolve_address",
        "test_stun": "test_stun",
        "loops_info": "loops_info",
        "destroy_session": "destroy_session",
        "list_handles": "list_handles",
        "detach_handle": "detach_handle",
        "hangup_webrtc": "hangup_webrtc",
        "start_pcap": "start_pcap",
        "start_text2pcap": "start_text2pcap",
        "stop_pcap": "stop_pcap",
        "stop_text2pcap": "stop_text2pcap",
        "handle_info": "handle_info",
    }
    """Each request of Janus's Admin API (``janus_process_incoming_admin_request``, 1.1.2)."""

    def __init__(
        self,
        base_url: str = "",
        admin_secret: str | None = None,
        api_secret: str | None = None,
        token: str | None = None,
        *,
        timeout: float = 30.0,
        max_retries: int = 3,
        retry_delay: float = 1.0,
        reconnect: bool = True,
        ssl: ssl_module.SSLContext | None = None,
        transport: JanusTransport | None = None,
    ) -> None:
        del api_secret, token  # the Admin API checks admin_secret only
        self._options: dict[str, Any] = {
            "timeout": timeout,
            "max_retries": max_retries,
            "retry_delay": retry_delay,
            "reconnect": reconnect,
            "admin_secret": admin_secret,
            "ssl": ssl,
        }
        scheme = urlsplit(base_url).scheme.lower()
        if scheme in ("ws", "wss"):
            self._options["subprotocol"] = ADMIN_SUBPROTOCOL
        elif scheme in ("mqtt", "mqtts"):
            self._options["admin"] = True  # the Admin API's own topics
        if transport is None:
            if not base_url:
                raise ValueError("JanusAdminMonitorClient needs a base_url or a transport")
            transport = create_transport(base_url, **self._options)
            self._owns_transport = True
        else:
            self._owns_transport = False
        self.base_url = base_url or transport.base_url
        self.transport = transport
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"<JanusAdminMonitorClient {redact_url(self.base_url)} {self.transport.state}>"

    # -- lifecycle ----------------------------------------------------------------

    async def connect(self) -> None:
        """Connect now (requests connect on their own otherwise, also after ``close()``).

        Raises:
            ServerUnreachable: Every attempt failed (a ``ConnectionError``).
        """
        await self._open_transport().connect()

    async def close(self) -> None:
        """Close the connection (if the client made it); safe to call twice."""
        if self._owns_transport:
            await self.transport.close()

    async def disconnect(self) -> None:
        """Close the connection (janus_client's name of [`close`][..close])."""
        await self.close()

    async def __aenter__(self) -> JanusAdminMonitorClient:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    # -- any request --------------------------------------------------------------

    async def request(
        self,
        janus: str,
        fields: JSON | None = None,
        *,
        session_id: int | None = None,
        handle_id: int | None = None,
        timeout: float | None = None,
    ) -> JSON:
        """Send one Admin API request and return Janus's whole reply.

        ``transaction`` and ``admin_secret`` are added (not to ``info`` and
        ``ping``, which need no secret).

        Args:
            janus: The request, e.g. ``"list_sessions"``.
            fields: Further members of the request, e.g. ``{"timeout": 60}``.
            session_id: The session it addresses, if any.
            handle_id: The handle it addresses, if any (with ``session_id``).
            timeout: Seconds to wait for the reply (default: the client's ``timeout``).

        Returns:
            The reply (``success``, ``server_info`` or ``pong``).

        Raises:
            JanusApiError: Janus answered with an error (typed by code).
            JanusTimeoutError: No reply in time (a ``TimeoutError``).
            JanusConnectionError: The server cannot be reached or went away.
        """
        payload: JSON = {"janus": janus}
        if session_id is not None:
            payload["session_id"] = session_id
        if handle_id is not None:
            payload["handle_id"] = handle_id
        if fields:
            payload.update(fields)
        expect = _EXPECT.get(janus, Expect.SUCCESS)
        request = Request(payload, expect, authenticated=janus not in _OPEN)
        logger.debug("admin request %r to %s", janus, redact_url(self.base_url))
        return await self._open_transport().request(
            request, timeout=self.timeout if timeout is None else timeout
        )

    async def send_wrapper(
        self,
        message: JSON,
        matcher: JSON | None = None,
        jsep: JSON | None = None,
        timeout: float | None = 15,
        authorize: bool = True,
    ) -> JSON:
        """Send a raw Admin API message and return Janus's reply (janus_client's helper).

        Args:
            message: The whole request, e.g. ``{"janus": "list_sessions"}``.
            matcher: A dict the reply must contain (see `is_subset`); default: any.
            jsep: A JSEP to go with it, if any.
            timeout: Seconds to wait for the reply.
            authorize: Add the ``admin_secret``.

        Returns:
            The reply.

        Raises:
            JanusApiError: Janus answered with an error (typed by code).
            JanusTimeoutError: No reply in time, or the reply does not match ``matcher``.
        """
        payload = {**message, "jsep": jsep} if jsep else dict(message)
        janus = str(payload.get("janus"))
        request = Request(payload, _EXPECT.get(janus, Expect.SUCCESS), authenticated=authorize)
        reply = await self._open_transport().request(request, timeout=timeout)
        return await transaction_of(request, reply).get(matcher or {}, timeout)

    def _open_transport(self) -> JanusTransport:
        """The transport, made anew if ours was closed (a client can connect again)."""
        if self._owns_transport and self.transport.closed:
            self.transport = create_transport(self.base_url, **self._options)
        return self.transport

    # -- server -------------------------------------------------------------------

    async def info(self) -> JSON:
        """Return the server's ``server_info`` (version, plugins, transports, settings...)."""
        return await self.request("info")

    async def ping(self) -> JSON:
        """Ping the server (no secret needed); returns the ``pong`` reply."""
        return await self.request("ping")

    async def get_status(self) -> JSON:
        """Return the settings that the Admin API can change at runtime (``status``)."""
        return _member(await self.request("get_status"), "status", dict)

    async def get_settings(self) -> JSON:
        """Return the runtime settings (janus_client's name of [`get_status`][..get_status])."""
        return await self.get_status()

    async def loops_info(self) -> list[JSON]:
        """Return how many handles each static event loop serves (empty without them)."""
        return _member(await self.request("loops_info"), "loops", list)

    async def accept_new_sessions(self, accept: bool) -> bool:
        """Let the server accept new sessions or refuse them (472) e.g. while draining.

        Returns:
            Whether it accepts them now.
        """
        return _member(
            await self.request("accept_new_sessions", {"accept": accept}), "accept", bool
        )

    # -- settings -----------------------------------------------------------------

    async def set_session_timeout(self, session_timeout: int, session_id: int | None = None) -> int:
        """Set the global session timeout, or that of one session.

        Args:
            session_timeout: Seconds (0: never). For one session, -1 means "the
                global timeout".
            session_id: The session to set it for (default: the global setting).

        Returns:
            The timeout now set.
        """
        reply = await self.request(
            "set_session_timeout", {"timeout": session_timeout}, session_id=session_id
        )
        return _member(reply, "timeout", int)

    async def set_log_level(self, log_level: int) -> int:
        """Set the log level (0-7); returns the level now set."""
        return await self._set("set_log_level", "level", log_level, "level", int)

    async def set_log_timestamps(self, log_timestamps: bool) -> bool:
        """Turn timestamps in Janus's log lines on or off; returns the setting now."""
        return await self._set(
            "set_log_timestamps", "timestamps", log_timestamps, "log_timestamps", bool
        )

    async def set_log_colors(self, log_colors: bool) -> bool:
        """Turn colors in Janus's log lines on or off; returns the setting now."""
        return await self._set("set_log_colors", "colors", log_colors, "log_colors", bool)

    async def set_locking_debug(self, locking_debug: bool) -> bool:
        """Turn the live debugging of Janus's locks on or off; returns the setting now."""
        return await self._set("set_locking_debug", "debug", locking_debug, "locking_debug", bool)

    async def set_refcount_debug(self, refcount_debug: bool) -> bool:
        """Turn the live debugging of reference counters on or off; returns the setting now."""
        return await self._set(
            "set_refcount_debug", "debug", refcount_debug, "refcount_debug", bool
        )

    async def set_libnice_debug(self, libnice_debug: bool) -> bool:
        """Turn libnice's debugging on or off; returns the setting now."""
        return await self._set("set_libnice_debug", "debug", libnice_debug, "libnice_debug", bool)

    async def set_min_nack_queue(self, min_nack_queue: int) -> int:
        """Set the minimum NACK queue window (ms); returns the value now set."""
        return await self._set(
            "set_min_nack_queue", "min_nack_queue", min_nack_queue, "min_nack_queue", int
        )

    async def set_nack_optimizations(self, nack_optimizations: bool) -> bool:
        """Turn the NACK optimizations on or off; returns the setting now."""
        return await self._set(
            "set_nack_optimizations",
            "nack_optimizations",
            nack_optimizations,
            "nack-optimizations",
            bool,
        )

    async def set_no_media_timer(self, no_media_timer: int) -> int:
        """Set the seconds without media before a ``media`` off event; returns the value."""
        return await self._set(
            "set_no_media_timer", "no_media_timer", no_media_timer, "no_media_timer", int
        )

    async def set_slowlink_threshold(self, slowlink_threshold: int) -> int:
        """Set the lost packets per second that make a ``slowlink`` event; returns it."""
        return await self._set(
            "set_slowlink_threshold",
            "slowlink_threshold",
            slowlink_threshold,
            "slowlink_threshold",
            int,
        )

    async def _set(self, request: str, field: str, value: V, answer: str, kind: type[V]) -> V:
        """Send a setting request with ``{field: value}``; return the reply's ``answer``."""
        return _member(await self.request(request, {field: value}), answer, kind)

    # -- tokens (stored-token authentication) -------------------------------------

    async def list_tokens(self) -> list[JSON]:
        """List the stored tokens, each ``{"token": ..., "allowed_plugins": [...]}``.

        Raises:
            UnknownJanusError: Stored-token authentication is off (490).
        """
        reply = await self.request("list_tokens")
        return _member(_member(reply, "data", dict), "tokens", list)

    async def add_token(self, token: str | None = None, plugins: Sequence[str] = ()) -> str:
        """Add a token (adding it again adds its plugins).

        Args:
            token: The token (default: a new random one).
            plugins: Plugins it may attach; none: every plugin.

        Returns:
            The token.

        Raises:
            UnknownJanusError: Stored-token authentication is off (490).
        """
        token = secrets.token_hex(16) if token is None else token
        await self.request("add_token", {"token": token, "plugins": list(plugins)})
        return token

    async def remove_token(self, token: str) -> bool:
        """Remove a token; sessions can no longer be made with it.

        Returns:
            True.

        Raises:
            UnknownJanusError: No such token, or stored tokens are off (490).
        """
        await self.request("remove_token", {"token": token})
        return True

    async def allow_token(self, token: str, plugins: Sequence[str]) -> list[str]:
        """Let a token attach these plugins too; returns every plugin it may attach.

        Raises:
            ValueError: ``plugins`` is empty.
            InvalidElementType: A plugin is unknown (467).
        """
        return await self._token_plugins("allow_token", token, plugins)

    async def disallow_token(self, token: str, plugins: Sequence[str]) -> list[str]:
        """Stop a token attaching these plugins; returns the plugins it may still attach.

        Raises:
            ValueError: ``plugins`` is empty.
            InvalidElementType: A plugin is unknown (467).
        """
        return await self._token_plugins("disallow_token", token, plugins)

    async def _token_plugins(self, janus: str, token: str, plugins: Sequence[str]) -> list[str]:
        if isinstance(plugins, str) or not plugins:
            raise ValueError(f"{janus} needs a non-empty list of plugin names")
        reply = await self.request(janus, {"token": token, "plugins": list(plugins)})
        return [str(p) for p in _member(_member(reply, "data", dict), "plugins", list)]

    # -- sessions and handles -----------------------------------------------------

    async def list_sessions(self) -> list[int]:
        """Return the ids of the sessions the server holds."""
        return _ids(await self.request("list_sessions"), "sessions")

    async def destroy_session(self, session_id: int) -> None:
        """Destroy a session and its handles (its owner's next request gets 458).

        Raises:
            SessionNotFound: No such session (458).
        """
        await self.request("destroy_session", session_id=session_id)

    async def list_handles(self, session_id: int) -> list[int]:
        """Return the ids of the handles attached in a session.

        Raises:
            SessionNotFound: No such session (458).
        """
        return _ids(await self.request("list_handles", session_id=session_id), "handles")

    async def handle_info(
        self, session_id: int, handle_id: int, *, plugin_only: bool = False
    ) -> JSON:
        """Return Janus's view of a handle: plugin, WebRTC flags, ICE, streams...

        Args:
            session_id: The session of the handle.
            handle_id: The handle.
            plugin_only: Only the session, handle and plugin-specific part.

        Returns:
            The ``info`` object of the reply.

        Raises:
            SessionNotFound: No such session (458).
            HandleNotFound: No such handle in it (459).
        """
        fields: JSON = {"plugin_only": True} if plugin_only else {}
        reply = await self.request(
            "handle_info", fields, session_id=session_id, handle_id=handle_id
        )
        return _member(reply, "info", dict)

    async def detach_handle(self, session_id: int, handle_id: int) -> None:
        """Detach a handle from its plugin (its owner gets ``detached``).

        Raises:
            HandleNotFound: No such handle (459).
        """
        await self.request("detach_handle", session_id=session_id, handle_id=handle_id)

    async def hangup_webrtc(self, session_id: int, handle_id: int) -> None:
        """Hang up a handle's PeerConnection (its owner gets ``hangup``)."""
        await self.request("hangup_webrtc", session_id=session_id, handle_id=handle_id)

    async def start_pcap(
        self,
        session_id: int,
        handle_id: int,
        *,
        folder: str | None = None,
        filename: str | None = None,
        truncate: int | None = None,
    ) -> None:
        """Start dumping a handle's RTP/RTCP packets to a pcap file on the server.

        Args:
            session_id: The session of the handle.
            handle_id: The handle.
            folder: Where to write (default: Janus's working directory).
            filename: The file name (default: one Janus makes up).
            truncate: Bytes of each packet to keep (0: all).

        Raises:
            UnknownJanusError: Already dumping, or the file cannot be made (490).
        """
        await self._dump("start_pcap", session_id, handle_id, folder, filename, truncate)

    async def stop_pcap(self, session_id: int, handle_id: int) -> None:
        """Stop a pcap dump (490 if none runs)."""
        await self.request("stop_pcap", session_id=session_id, handle_id=handle_id)

    async def start_text2pcap(
        self,
        session_id: int,
        handle_id: int,
        *,
        folder: str | None = None,
        filename: str | None = None,
        truncate: int | None = None,
    ) -> None:
        """Start dumping a handle's packets as text2pcap text; see [`start_pcap`][..start_pcap]."""
        await self._dump("start_text2pcap", session_id, handle_id, folder, filename, truncate)

    async def stop_text2pcap(self, session_id: int, handle_id: int) -> None:
        """Stop a text2pcap dump (490 if none runs)."""
        await self.request("stop_text2pcap", session_id=session_id, handle_id=handle_id)

    async def _dump(
        self,
        janus: str,
        session_id: int,
        handle_id: int,
        folder: str | None,
        filename: str | None,
        truncate: int | None,
    ) -> None:
        fields: JSON = {}
        if folder is not None:
            fields["folder"] = folder
        if filename is not None:
            fields["filename"] = filename
        if truncate is not None:
            fields["truncate"] = truncate
        await self.request(janus, fields, session_id=session_id, handle_id=handle_id)

    # -- plugins, transports, event handlers, loggers ------------------------------

    async def message_plugin(self, plugin: str, request: JSON | None = None) -> JSON:
        """Send a request to a plugin's Admin API hook, e.g. VideoRoom ``{"request": "list"}``.

        Returns:
            The plugin's ``response``.

        Raises:
            PluginNotFound: No such plugin (460).
            PluginError: The plugin answered with ``error_code``.
        """
        return await self._query("message_plugin", "plugin", plugin, request)

    async def query_transport(self, transport: str, request: JSON | None = None) -> JSON:
        """Query a transport, e.g. ``("janus.transport.http", {"request": "connections"})``.

        Raises:
            PluginNotFound: No such transport (460).
            PluginError: The transport answered with ``error_code``.
        """
        return await self._query("query_transport", "transport", transport, request)

    async def query_eventhandler(self, handler: str, request: JSON | None = None) -> JSON:
        """Query an event handler (e.g. ``janus.eventhandler.sampleevh``).

        Raises:
            PluginNotFound: No such event handler loaded (460).
            PluginError: The handler answered with ``error_code``.
        """
        return await self._query("query_eventhandler", "handler", handler, request)

    async def query_logger(self, logger_name: str, request: JSON | None = None) -> JSON:
        """Query a logger plugin (e.g. ``janus.logger.jsonlog``).

        Raises:
            PluginNotFound: No such logger loaded (460).
            PluginError: The logger answered with ``error_code``.
        """
        return await self._query("query_logger", "logger", logger_name, request)

    async def _query(self, janus: str, key: str, package: str, request: JSON | None) -> JSON:
        fields: JSON = {key: package}
        if request is not None:
            fields["request"] = request
        response = _member(await self.request(janus, fields), "response", dict)
        if "error_code" in response:
            code, reason = response.get("error_code"), response.get("error")
            raise PluginError(
                code if isinstance(code, int) and not isinstance(code, bool) else 0,
                reason if isinstance(reason, str) else f"{package} answered an error",
                package,
            )
        return response

    async def custom_event(self, schema: str, data: JSON) -> None:
        """Hand a custom event to the event handlers (a no-op when none are enabled)."""
        await self.request("custom_event", {"schema": schema, "data": data})

    async def custom_logline(self, line: str, level: int | None = None) -> None:
        """Write a line to Janus's log at ``level`` (default: info, 4)."""
        fields: JSON = {"line": line}
        if level is not None:
            fields["level"] = level
        await self.request("custom_logline", fields)

    # -- network helpers ----------------------------------------------------------

    async def resolve_address(self, address: str) -> ResolvedAddress:
        """Ask the server to resolve a host name, and how long that took.

        Raises:
            UnknownJanusError: It could not resolve it (490).
        """
        reply = await self.request("resolve_address", {"address": address})
        return ResolvedAddress(_member(reply, "ip", str), _member(reply, "elapsed", int))

    async def test_stun(self, address: str, port: int, localport: int | None = None) -> StunResult:
        """Ask the server to send a STUN Binding request and report its public address.

        Janus waits up to 5 s for the answer (the Admin API is busy meanwhile).

        Args:
            address: The STUN server's address or name.
            port: Its UDP port.
            localport: The local UDP port Janus sends from (default: any).

        Raises:
            UnknownJanusError: No answer, or not a valid one (490).
        """
        fields: JSON = {"address": address, "port": port}
        if localport is not None:
            fields["localport"] = localport
        reply = await self.request("test_stun", fields)
        return StunResult(
            _member(reply, "public_ip", str),
            _member(reply, "public_port", int),
            _member(reply, "elapsed", int),
        )

    # -- watching -----------------------------------------------------------------

    async def snapshot(self, *, handles: bool = False) -> ServerSnapshot:
        """Read the server's sessions now (and each one's handles, with ``handles``).

        A session that goes away between the two reads is left out.
        """
        sessions = sorted(await self.list_sessions())
        if not handles:
            return ServerSnapshot(tuple(sessions))
        found: dict[int, tuple[int, ...]] = {}
        for session_id in sessions:
            try:
                found[session_id] = tuple(sorted(await self.list_handles(session_id)))
            except SessionNotFound:
                continue
        return ServerSnapshot(tuple(found), found)

    def watch(
        self,
        interval: float = 1.0,
        *,
        handles: bool = False,
        scheduler: abc.SchedulerBase | None = None,
    ) -> Observable[ServerSnapshot]:
        """Poll the server's sessions (and handles) and emit each snapshot that differs.

        ```text
        polls:   s1--------s1--------s1,s2-----s1--------
        watch:   {s1}----------------{s1,s2}---{s1}------
        ```

        Cold: each subscription polls on its own, the first poll at once; a poll
        still running when the next is due makes that one skip. The first
        failed poll ends the stream with its error. Disposal stops polling.

        Args:
            interval: Seconds between polls.
            handles: Also list each session's handles.
            scheduler: Scheduler of the polls (default: asyncio on the running loop).

        Returns:
            The observable of [`ServerSnapshot`][rxjanus.admin.snapshots.ServerSnapshot].
        """
        return poll_changes(
            lambda: from_async(lambda: self.snapshot(handles=handles)),
            interval,
            scheduler=scheduler,
        )


_EXPECT = {"info": Expect.SERVER_INFO, "ping": Expect.PONG}
_OPEN = frozenset({"info", "ping"})
"""Requests Janus answers without the admin secret."""


def _member(reply: JSON, key: str, kind: type[V]) -> V:
    """Return ``reply[key]`` if it has the type ``kind``, else raise ``ProtocolError``.

    The message names the reply's keys, not its values (they may hold tokens).
    """
    value = reply.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ProtocolError(
            f"Admin API reply {reply.get('janus')!r} without a {kind.__name__} {key!r} "
            f"(it has {sorted(reply)})"
        )
    return value


def _ids(reply: JSON, key: str) -> list[int]:
    return [int(value) for value in _member(reply, key, list)]
