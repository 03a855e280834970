"""Run a throwaway RabbitMQ broker on loopback, for tests of the RabbitMQ transport.

[RabbitMQBroker][rxjanus.testing.rabbitmq.RabbitMQBroker] starts Debian's
``rabbitmq-server`` as a node of its own (``rxjanus-<random>@localhost``) with
everything in a temp dir: config, Mnesia database, logs, Erlang cookie
(``HOME``), no plugins. The AMQP listener is on 127.0.0.1 on a free port, Erlang
distribution on another, and the node's own ``epmd`` on a third
(``ERL_EPMD_PORT``, a child of the fixture), so it clashes neither with a system
RabbitMQ nor with other brokers of parallel tests:

```python
with RabbitMQBroker() as broker:
    with JanusServer(rabbitmq_url=broker.url) as janus:
        ...
    broker.restart()  # same ports: clients see the link drop and come back
```

It is Erlang: a start takes 5 to 8 s on a loaded 2-core machine (measured;
mostly RabbitMQ's boot loading its modules), a stop about 1.2 s, so tests share
one broker per module. The config is written as Erlang terms
(``rabbitmq.config``), which saves RabbitMQ's translation of ``rabbitmq.conf``
at every boot (about 2.5 s of the 7.5 s it took with one).
Ready means the AMQP port accepts a connection (RabbitMQ opens it last).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import shutil
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Final

from ._daemon import HOST, LocalDaemon, group_alive

__all__ = [
    "RABBITMQ_SERVER",
    "JanusRabbitMQ",
    "RabbitMQBroker",
    "RabbitMQStartError",
    "group_alive",
    "rabbitmq_available",
]

logger = logging.getLogger(__name__)

RABBITMQ_SERVER: Final = "/usr/lib/rabbitmq/bin/rabbitmq-server"
"""The server script of Debian's ``rabbitmq-server`` package (``/usr/sbin``'s wrapper
switches to the ``rabbitmq`` user and the system's dirs)."""

EPMD: Final = "epmd"
"""Erlang's port mapper (Debian's ``erlang-base``): the fixture runs one per broker, as its
own child on the broker's epmd port, and stops it with the broker."""


def rabbitmq_available(script: str = RABBITMQ_SERVER) -> bool:
    """Whether RabbitMQ is installed (``apt-get install rabbitmq-server``)."""
    return os.access(script, os.X_OK)


class RabbitMQStartError(RuntimeError):
    """RabbitMQ exited during start or did not accept connections in time."""


def _epmd_binary() -> str:
    found = shutil.which(EPMD) or next(
        iter(sorted(Path("/usr/lib/erlang").glob("erts-*/bin/epmd"), reverse=True)), None
    )
    if found is None:
        raise FileNotFoundError("Erlang's epmd not found (apt-get install erlang-base)")
    return str(found)


def _erlang_binary(text: str) -> str:
    """``text`` as the bytes of an Erlang binary literal (``<<...>>``), any character safe."""
    return ",".join(str(byte) for byte in text.encode())


class RabbitMQBroker(LocalDaemon):
    """A private RabbitMQ node on 127.0.0.1, started and stopped by the test.

    Use it as a context manager or call `start` and `stop`. The ports
    are chosen at the first start and kept by `restart`; the database is
    kept too (users and vhosts survive, non-durable queues do not).

    Args:
        script: The ``rabbitmq-server`` script.
        start_timeout: Seconds to wait for the broker to accept AMQP connections.
        username: The default user, created at the first start (``guest`` is
            RabbitMQ's own default).
        password: Its password.
        tls_cert: A PEM certificate (chain) for 127.0.0.1: with ``tls_key``, a
            second listener speaks AMQP over TLS (`tls_url`).
        tls_key: The unencrypted PEM private key of ``tls_cert``.
    """

    def __init__(
        self,
        *,
        script: str = RABBITMQ_SERVER,
        start_timeout: float = 60.0,
        username: str = "guest",
        password: str = "guest",
        tls_cert: Path | None = None,
        tls_key: Path | None = None,
    ) -> None:
        if (tls_cert is None) != (tls_key is None):
            raise ValueError("tls_cert and tls_key go together")
        super().__init__(script, start_timeout=start_timeout)
        self._tls = None if tls_cert is None or tls_key is None else (tls_cert, tls_key)
        self._username = username
        self._password = password
        self._node = f"rxjanus-{secrets.token_hex(4)}@localhost"
        self.start_duration: float | None = None
        """Seconds the last `start` took until the broker accepted connections."""

    name: ClassVar[str] = "RabbitMQ"
    start_error: ClassVar[type[RuntimeError]] = RabbitMQStartError
    log_name: ClassVar[str] = "rabbitmq.log"
    stop_grace: ClassVar[float] = 10.0  # beam stops cleanly on SIGTERM, in about 1.2 s
    poll_interval: ClassVar[float] = 0.05
    package: ClassVar[str] = "rabbitmq-server"
    port_count: ClassVar[int] = 4  # AMQP, Erlang distribution, its epmd, AMQP over TLS

    def __repr__(self) -> str:
        state = f"pid={self.pid} port={self.port}" if self.running else "stopped"
        return f"<RabbitMQBroker {self._node} {state}>"

    # ------------------------------------------------------------------ properties

    @property
    def port(self) -> int:
        """The AMQP port (kept across `restart`)."""
        if self._ports is None:
            raise RuntimeError("RabbitMQBroker was never started")
        return self._ports[0]

    @property
    def tls_url(self) -> str:
        """``amqps://user:password@127.0.0.1:<port>`` of the TLS listener (needs ``tls_cert``)."""
        if self._tls is None or self._ports is None:
            raise RuntimeError("RabbitMQBroker has no TLS listener (tls_cert, tls_key)")
        return self._url("amqps", self._ports[3])

    @property
    def ports(self) -> tuple[int, ...]:
        """Every port it holds: AMQP, Erlang distribution, its epmd, AMQP over TLS."""
        if self._ports is None:
            raise RuntimeError("RabbitMQBroker was never started")
        return self._ports

    @property
    def node(self) -> str:
        """The Erlang node name, ``rxjanus-<random>@localhost``."""
        return self._node

    @property
    def url(self) -> str:
        """``amqp://user:password@127.0.0.1:<port>`` (the default user, ``%``-escaped)."""
        return self._url("amqp", self.port)

    def _url(self, scheme: str, port: int) -> str:
        user = urllib.parse.quote(self._username, safe="")
        password = urllib.parse.quote(self._password, safe="")
        return f"{scheme}://{user}:{password}@{HOST}:{port}"

    # ------------------------------------------------------------------ lifecycle

    def _environment(self) -> dict[str, str]:
        workdir = self.workdir
        assert self._ports is not None
        amqp, dist, epmd, amqps = self._ports
        tls = ""
        if self._tls is not None:
            cert, key = workdir / "cert.pem", workdir / "key.pem"
            shutil.copyfile(self._tls[0], cert)
            shutil.copyfile(self._tls[1], key)
            tls = (
                f'{{ssl_listeners, [{{"{HOST}", {amqps}}}]}}, '
                f'{{ssl_options, [{{certfile, "{cert}"}}, {{keyfile, "{key}"}}, '
                "{verify, verify_none}, {fail_if_no_peer_cert, false}]}, "
            )
        cookie = workdir / ".erlang.cookie"
        if not cookie.exists():
            cookie.write_text(secrets.token_hex(16), encoding="ascii")
            cookie.chmod(0o400)
        # Erlang terms (a .config file), not rabbitmq.conf: no cuttlefish translation at boot.
        config = workdir / "rabbitmq.config"
        config.write_text(
            "[{rabbit, ["
            f'{{tcp_listeners, [{{"{HOST}", {amqp}}}]}}, '
            f"{{default_user, <<{_erlang_binary(self._username)}>>}}, "
            f"{{default_pass, <<{_erlang_binary(self._password)}>>}}, "
            "{loopback_users, []}, "
            f"{tls}"
            "{log, [{console, [{enabled, true}, {level, info}]}, {file, [{file, false}]}]}"
            "]}].\n",
            encoding="utf-8",
        )
        (workdir / "enabled_plugins").write_text("[].\n", encoding="ascii")
        (workdir / "rabbitmq-env.conf").touch()
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("RABBITMQ_", "ERL_"))
        }
        env.update(
            HOME=str(workdir),  # the cookie
            RABBITMQ_CONF_ENV_FILE=str(workdir / "rabbitmq-env.conf"),
            RABBITMQ_NODENAME=self._node,
            RABBITMQ_NODE_IP_ADDRESS=HOST,
            RABBITMQ_NODE_PORT=str(amqp),
            RABBITMQ_DIST_PORT=str(dist),
            ERL_EPMD_PORT=str(epmd),
            ERL_EPMD_ADDRESS=HOST,
            RABBITMQ_CONFIG_FILE=str(config),
            RABBITMQ_MNESIA_BASE=str(workdir / "mnesia"),
            RABBITMQ_LOG_BASE=str(workdir / "log"),
            RABBITMQ_LOGS="-",
            RABBITMQ_ENABLED_PLUGINS_FILE=str(workdir / "enabled_plugins"),
            RABBITMQ_PLUGINS_EXPAND_DIR=str(workdir / "plugins-expand"),
        )
        return env

    def _start_once(self) -> None:
        env = self._environment()
        started = time.monotonic()
        # Our own epmd, which RabbitMQ finds on ERL_EPMD_PORT and uses: it is our child,
        # so it is stopped with the broker (a daemon epmd would outlive it).
        epmd = self._spawn([_epmd_binary(), "-port", env["ERL_EPMD_PORT"], "-address", HOST])
        self._wait_port(int(env["ERL_EPMD_PORT"]), epmd, "epmd", started)
        # One process group, the main one: the script, beam and its helpers.
        proc = self._spawn([self._executable], env=env, cwd=self.workdir)
        self._wait_port(self.port, proc, "RabbitMQ", started)
        self.start_duration = time.monotonic() - started
        logger.debug(
            "RabbitMQ %s pid %d ready on %s:%d after %.1f s",
            self._node,
            proc.pid,
            HOST,
            self.port,
            self.start_duration,
        )


@dataclass(frozen=True)
class JanusRabbitMQ:
    """How [JanusServer][rxjanus.testing.JanusServer] sets up Janus' RabbitMQ transport.

    Attributes:
        url: The broker, ``amqp://[user:password@]host[:port][/vhost]``.
        queue_prefix: Put before Janus' default queue names (``to-janus`` ...),
            so that several servers can share a broker.
        exchange: Janus' ``janus_exchange`` (a fanout exchange, no shared outgoing
            queue: each client binds its own), or None for Janus' default: the
            default exchange and the shared queue ``from-janus``.
    """

    url: str
    queue_prefix: str = ""
    exchange: str | None = None

    def __post_init__(self) -> None:
        parts = urllib.parse.urlsplit(self.url)
        if parts.scheme.lower() != "amqp" or not parts.hostname or parts.query:
            raise ValueError("rabbitmq_url must be amqp://[user:password@]host[:port][/vhost]")

    def queue(self, name: str) -> str:
        """The queue (or routing key) Janus uses for its default ``name``."""
        return f"{self.queue_prefix}{name}"

    def template_values(self) -> dict[str, str]:
        """The values of ``janus.transport.rabbitmq.jcfg``."""
        parts = urllib.parse.urlsplit(self.url)
        path = parts.path[1:] if parts.path.startswith("/") else parts.path

        from .server import _jcfg_string as quoted

        vhost = urllib.parse.unquote(path) or "/"
        settings = f'\tport = {parts.port or 5672}\n\tvhost = "{quoted(vhost)}"\n'
        settings += f'\tusername = "{quoted(urllib.parse.unquote(parts.username or "guest"))}"\n'
        settings += f'\tpassword = "{quoted(urllib.parse.unquote(parts.password or "guest"))}"\n'
        if self.exchange is not None:
            settings += (
                f'\tjanus_exchange = "{quoted(self.exchange)}"\n'
                '\tjanus_exchange_type = "fanout"\n'
                "\tdeclare_outgoing_queue = false\n"
            )
        return {
            "rabbitmq_host": quoted(parts.hostname or ""),
            "rabbitmq_settings": settings,
            "rabbitmq_to_janus": quoted(self.queue("to-janus")),
            "rabbitmq_from_janus": quoted(self.queue("from-janus")),
            "rabbitmq_to_janus_admin": quoted(self.queue("to-janus-admin")),
            "rabbitmq_from_janus_admin": quoted(self.queue("from-janus-admin")),
            "rabbitmq_admin_exchange_settings": (
                "" if self.exchange is None else "\tdeclare_outgoing_queue_admin = false\n"
            ),
        }

    def client_url(self, *, admin: bool = False) -> str:
        """The rxjanus URL of the Janus API (or the Admin API) over this broker."""
        suffix = "-admin" if admin else ""
        query = {
            "to_janus": self.queue(f"to-janus{suffix}"),
            "from_janus": self.queue(f"from-janus{suffix}"),
        }
        if self.exchange is not None:
            query["exchange"] = self.exchange
        return f"{self.url.rstrip('/')}?{urllib.parse.urlencode(query)}"

    def info(self, *, admin: bool = False, timeout: float = 2.0) -> dict[str, Any]:
        """Send ``info`` to Janus over RabbitMQ and return the reply (blocks; own thread).

        Raises:
            OSError: No broker, or no reply before ``timeout`` (``TimeoutError``).
        """
        from ..exceptions import JanusError
        from ..transports.rabbitmq import JanusTransportRabbitMQ

        async def ask() -> dict[str, Any]:
            transport = JanusTransportRabbitMQ(
                self.client_url(admin=admin), timeout=timeout, max_retries=0
            )
            try:
                return await transport.info()
            finally:
                await transport.close()

        outcome: list[Any] = []

        def run() -> None:
            try:
                outcome.append(asyncio.run(ask()))
            except BaseException as exc:
                outcome.append(exc)

        thread = threading.Thread(target=run, name="rxjanus-rabbitmq-probe")
        thread.start()
        thread.join()
        result = outcome[0]
        if isinstance(result, JanusError):
            raise OSError(f"no reply over RabbitMQ: {result}") from None
        if isinstance(result, BaseException):
            raise result
        return dict(result)
