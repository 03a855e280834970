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
import signal
import socket
import subprocess
import tempfile
import time
import weakref
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Final

__all__ = ["MOSQUITTO", "MosquittoBroker", "MosquittoStartError", "mosquitto_available"]

logger = logging.getLogger(__name__)

MOSQUITTO: Final = "/usr/sbin/mosquitto"
"""Where Debian's ``mosquitto`` package puts the broker."""

MOSQUITTO_PASSWD: Final = "/usr/bin/mosquitto_passwd"
"""The password file tool of the same package."""

_HOST: Final = "127.0.0.1"
_POLL_INTERVAL: Final = 0.01
_STOP_GRACE: Final = 5.0
_START_ATTEMPTS: Final = 3


def mosquitto_available(binary: str = MOSQUITTO) -> bool:
    """Whether the Mosquitto broker is installed (``binary`` exists and runs)."""
    return shutil.which(binary) is not None


def _kill(proc: subprocess.Popen[bytes], tmpdir: Path | None) -> None:
    """The finalizer of a broker never stopped: no process or temp dir outlives it."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait()
    if tmpdir is not None:
        shutil.rmtree(tmpdir, ignore_errors=True)


class MosquittoStartError(RuntimeError):
    """Mosquitto exited during start or did not accept connections in time."""


def _free_ports(count: int) -> list[int]:
    socks = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in socks:
            sock.bind((_HOST, 0))
        return [int(sock.getsockname()[1]) for sock in socks]
    finally:
        for sock in socks:
            sock.close()


class MosquittoBroker:
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
        self._binary = binary
        self._start_timeout = start_timeout
        self._extra_config = extra_config
        self._users = None if users is None else dict(users)
        self._tls = None if tls_cert is None or tls_key is None else (tls_cert, tls_key)
        self._port: int | None = None
        self._tls_port: int | None = None
        self._tmpdir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._output: IO[bytes] | None = None
        self._finalizer: (
            weakref.finalize[[subprocess.Popen[bytes], Path | None], MosquittoBroker] | None
        ) = None

    def __enter__(self) -> MosquittoBroker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = f"pid={self.pid} port={self._port}" if self.running else "stopped"
        return f"<MosquittoBroker {state}>"

    # ------------------------------------------------------------------ properties

    @property
    def port(self) -> int:
        """The TCP port (kept across [`restart`][..restart])."""
        if self._port is None:
            raise RuntimeError("MosquittoBroker was never started")
        return self._port

    @property
    def tls_url(self) -> str:
        """``mqtts://127.0.0.1:<port>`` of the TLS listener (needs ``tls_cert``)."""
        if self._tls_port is None:
            raise RuntimeError("MosquittoBroker has no TLS listener (tls_cert, tls_key)")
        return f"mqtts://{_HOST}:{self._tls_port}"

    @property
    def host(self) -> str:
        """The address the broker listens on: always 127.0.0.1."""
        return _HOST

    @property
    def url(self) -> str:
        """``mqtt://127.0.0.1:<port>``."""
        return f"mqtt://{_HOST}:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the broker process is alive."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        """The broker's process id, or None when stopped."""
        return None if self._proc is None else self._proc.pid

    @property
    def workdir(self) -> Path:
        """The temp dir with the config and the log."""
        if self._tmpdir is None:
            raise RuntimeError("MosquittoBroker was never started")
        return self._tmpdir

    @property
    def log_path(self) -> Path:
        """The broker's log (its stderr)."""
        return self.workdir / "mosquitto.log"

    def log_text(self) -> str:
        """Return the broker's log so far ("" if none)."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except (OSError, RuntimeError):
            return ""

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> MosquittoBroker:
        """Write the config, start the broker and wait until it accepts TCP.

        The first start picks a free port (retried with another one if it was
        taken meanwhile); later starts reuse it.

        Returns:
            This broker, for chaining.

        Raises:
            FileNotFoundError: Mosquitto is not installed.
            MosquittoStartError: It exited or was not ready in time.
        """
        if self.running:
            raise RuntimeError("MosquittoBroker is already running")
        if not mosquitto_available(self._binary):
            raise FileNotFoundError(
                f"Mosquitto {self._binary!r} not found (apt-get install mosquitto)"
            )
        if self._tmpdir is None:
            self._tmpdir = Path(tempfile.mkdtemp(prefix="rxjanus-mosquitto-")).resolve()
        fixed_port = self._port is not None
        for attempt in range(1, _START_ATTEMPTS + 1):
            if not fixed_port:
                self._port, self._tls_port = _free_ports(2)
                if self._tls is None:
                    self._tls_port = None
            try:
                self._start_once()
                return self
            except MosquittoStartError:
                if fixed_port or attempt == _START_ATTEMPTS:
                    self._terminate()
                    raise
                logger.warning("Mosquitto start attempt %d failed; trying another port", attempt)
                self._terminate()
        raise AssertionError("unreachable")  # pragma: no cover

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
        listeners = f"listener {port} {_HOST}\n"
        if self._tls is not None and self._tls_port is not None:
            cert, key = (workdir / "cert.pem", workdir / "key.pem")
            shutil.copyfile(self._tls[0], cert)
            shutil.copyfile(self._tls[1], key)
            for path in (cert, key):
                self._hand_over(path)
            listeners += f"listener {self._tls_port} {_HOST}\ncertfile {cert}\nkeyfile {key}\n"
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
        self._output = self.log_path.open("ab")
        # As root, Mosquitto drops to the 'mosquitto' user after reading its config;
        # it needs no file of ours afterwards (no persistence, logs on stderr).
        self._proc = subprocess.Popen(
            [self._binary, "-c", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=self._output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._finalizer = weakref.finalize(self, _kill, self._proc, self._tmpdir)
        deadline = time.monotonic() + self._start_timeout
        while True:
            code = self._proc.poll()
            if code is not None:
                raise MosquittoStartError(
                    f"Mosquitto exited with code {code} during start:\n{self.log_text()[-2000:]}"
                )
            try:
                with socket.create_connection((_HOST, port), timeout=0.5):
                    pass
            except OSError:
                if time.monotonic() >= deadline:
                    raise MosquittoStartError(
                        f"Mosquitto did not accept connections on {_HOST}:{port} within "
                        f"{self._start_timeout} s:\n{self.log_text()[-2000:]}"
                    ) from None
                time.sleep(_POLL_INTERVAL)
                continue
            logger.debug("Mosquitto pid %d ready on %s:%d", self._proc.pid, _HOST, port)
            return

    def stop(self) -> int | None:
        """Stop the broker (SIGTERM, SIGKILL after 5 s); the port and temp dir are kept.

        Every client connected sees its link drop. Safe to call twice.

        Returns:
            The broker's exit code, or None if it was not running.
        """
        return self._terminate()

    def restart(self) -> MosquittoBroker:
        """Stop the broker and start a new one on the same port (no state survives)."""
        self.stop()
        return self.start()

    def close(self) -> None:
        """Stop the broker and remove its temp dir."""
        self._terminate()
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def _terminate(self) -> int | None:
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        proc, self._proc = self._proc, None
        code = None
        if proc is not None:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=_STOP_GRACE)
                except subprocess.TimeoutExpired:
                    logger.warning("Mosquitto pid %d ignored SIGTERM; killing", proc.pid)
                    with contextlib.suppress(ProcessLookupError):
                        proc.kill()
                    proc.wait()
            code = proc.returncode
        if self._output is not None:
            self._output.close()
            self._output = None
        return code
