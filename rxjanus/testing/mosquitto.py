"""Run a throwaway Mosquitto MQTT broker on loopback, for tests of the MQTT transport.

[`MosquittoBroker`][rxjanus.testing.mosquitto.MosquittoBroker] writes its own config in a temp dir
(one listener on 127.0.0.1, anonymous clients allowed, no persistence, ``TCP_NODELAY``), starts
``/usr/sbin/mosquitto -c <config>`` on a free port and waits until it accepts
TCP connections:

```python
with MosquittoBroker() as broker:
    with JanusServer(mqtt_url=broker.url) as janus:
        ...
    broker.restart()  # same port: clients see the link drop and come back
```

Debian ships the broker as ``mosquitto`` (``apt-get install mosquitto``). Every
method blocks for a few milliseconds (start ~20 ms, stop ~10 ms).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar, Final

from ._daemon import HOST, LocalDaemon

__all__ = ["MOSQUITTO", "MosquittoBroker", "MosquittoStartError", "mosquitto_available"]

logger = logging.getLogger(__name__)

MOSQUITTO: Final = "/usr/sbin/mosquitto"
"""Where Debian's ``mosquitto`` package puts the broker."""

MOSQUITTO_PASSWD: Final = "/usr/bin/mosquitto_passwd"
"""The password file tool of the same package."""


def mosquitto_available(binary: str = MOSQUITTO) -> bool:
    """Whether the Mosquitto broker is installed (``binary`` exists and runs)."""
    return shutil.which(binary) is not None


class MosquittoStartError(RuntimeError):
    """Mosquitto exited during start or did not accept connections in time."""


class MosquittoBroker(LocalDaemon):
    """A private Mosquitto broker on 127.0.0.1, started and stopped by the test.

    Use it as a context manager or call [`start`][rxjanus.testing.mosquitto.MosquittoBroker.start]
    and [`stop`][rxjanus.testing.mosquitto.MosquittoBroker.stop]. The port is chosen at the first
    start and kept by [`restart`][rxjanus.testing.mosquitto.MosquittoBroker.restart].

    Args:
        binary: The ``mosquitto`` executable.
        start_timeout: Seconds to wait for the broker to accept TCP connections.
        extra_config: Lines added to the generated config, before the
            listeners (global options such as ``max_inflight_messages``).
        users: If given, only these clients may connect (name -> password, in a
            ``password_file`` made with ``mosquitto_passwd``); else anyone may.
        tls_cert: A PEM certificate (chain) for 127.0.0.1: with ``tls_key``, a
            second listener speaks MQTT over TLS
            ([`tls_url`][rxjanus.testing.mosquitto.MosquittoBroker.tls_url]).
        tls_key: The unencrypted PEM private key of ``tls_cert``.
    """

    def __init__(
        self,
        *,
        binary: str = MOSQUITTO,
        start_timeout: float = 10.0,
        extra_config: str = "",
        users: Mapping[str, str] | None = None,
        tls_cert: Path | None = None,
        tls_key: Path | None = None,
    ) -> None:
        if (tls_cert is None) != (tls_key is None):
            raise ValueError("tls_cert and tls_key go together")
        super().__init__(binary, start_timeout=start_timeout)
        self._extra_config = extra_config
        self._users = None if users is None else dict(users)
        self._tls = None if tls_cert is None or tls_key is None else (tls_cert, tls_key)

    name: ClassVar[str] = "Mosquitto"
    start_error: ClassVar[type[RuntimeError]] = MosquittoStartError
    log_name: ClassVar[str] = "mosquitto.log"
    package: ClassVar[str] = "mosquitto"
    port_count: ClassVar[int] = 2  # MQTT, MQTT over TLS (if any)

    def __repr__(self) -> str:
        state = f"pid={self.pid} port={self.port}" if self.running else "stopped"
        return f"<MosquittoBroker {state}>"

    # ------------------------------------------------------------------ properties

    @property
    def port(self) -> int:
        """The TCP port (kept across [`restart`][..restart])."""
        if self._ports is None:
            raise RuntimeError("MosquittoBroker was never started")
        return self._ports[0]

    @property
    def tls_url(self) -> str:
        """``mqtts://127.0.0.1:<port>`` of the TLS listener (needs ``tls_cert``)."""
        if self._tls is None or self._ports is None:
            raise RuntimeError("MosquittoBroker has no TLS listener (tls_cert, tls_key)")
        return f"mqtts://{HOST}:{self._ports[1]}"

    @property
    def url(self) -> str:
        """``mqtt://127.0.0.1:<port>``."""
        return f"mqtt://{HOST}:{self.port}"

    # ------------------------------------------------------------------ lifecycle

    def _security(self, workdir: Path) -> str:
        """The config lines for users and TLS; writes the password file and copies the keys.

        As root, Mosquitto drops to the ``mosquitto`` user after reading its
        config and before loading the password file: the files it reads are
        made readable to it (only in this private temp dir).
        """
        lines = ""
        if self._users is None:
            lines += "allow_anonymous true\n"
        else:
            passwords = workdir / "passwords"
            passwords.unlink(missing_ok=True)
            passwords.touch(mode=0o600)
            for name, password in self._users.items():
                subprocess.run(
                    [MOSQUITTO_PASSWD, "-b", str(passwords), name, password],
                    check=True,
                    capture_output=True,
                    timeout=30,
                )
            self._hand_over(passwords)
            lines += f"allow_anonymous false\npassword_file {passwords}\n"
        return lines

    def _hand_over(self, path: Path) -> None:
        """Let the user Mosquitto runs as (``mosquitto`` when started as root) read ``path``."""
        with contextlib.suppress(KeyError, PermissionError, OSError):
            import pwd

            user = pwd.getpwnam("mosquitto")
            if os.geteuid() == 0:
                os.chown(path, user.pw_uid, user.pw_gid)
                os.chmod(self.workdir, 0o711)

    def _start_once(self) -> None:
        workdir, port = self.workdir, self.port
        config = workdir / "mosquitto.conf"
        listeners = f"listener {port} {HOST}\n"
        if self._tls is not None:
            cert, key = (workdir / "cert.pem", workdir / "key.pem")
            shutil.copyfile(self._tls[0], cert)
            shutil.copyfile(self._tls[1], key)
            for path in (cert, key):
                self._hand_over(path)
            tls_port = self.tls_url.rsplit(":", 1)[1]
            listeners += f"listener {tls_port} {HOST}\ncertfile {cert}\nkeyfile {key}\n"
        config.write_text(
            "per_listener_settings false\n"
            f"{self._security(workdir)}"
            "persistence false\n"
            "log_dest stderr\n"
            "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n"
            "connection_messages true\n"
            # Mosquitto's default (false) delays each small reply by ~40 ms on loopback.
            "set_tcp_nodelay true\n"
            f"{self._extra_config}\n"
            f"{listeners}",
            encoding="utf-8",
        )
        # As root, Mosquitto drops to the 'mosquitto' user after reading its config;
        # it needs no file of ours afterwards (no persistence, logs on stderr).
        started = time.monotonic()
        proc = self._spawn([self._executable, "-c", str(config)])
        self._wait_port(port, proc, "Mosquitto", started)
        logger.debug("Mosquitto pid %d ready on %s:%d", proc.pid, HOST, port)
