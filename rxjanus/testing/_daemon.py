"""The skeleton the broker fixtures share: a private process on loopback with a temp dir.

A [`LocalDaemon`][rxjanus.testing._daemon.LocalDaemon] subclass says how to start its
process (`_start_once`) and which ports it takes (`_pick_ports`); the base keeps the
rest: the temp dir and the log in it, starting on free ports (other ones when a
port was taken meanwhile, the same ones on a restart), waiting until a port accepts
TCP, stopping its process group (SIGTERM, SIGKILL after a grace), and a finalizer
so that no process, file or temp dir outlives a fixture that was never stopped.
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
from pathlib import Path
from types import TracebackType
from typing import IO, ClassVar, Final, Self

__all__ = ["HOST", "LocalDaemon", "free_ports", "group_alive"]

logger = logging.getLogger(__name__)

HOST: Final = "127.0.0.1"
"""Every fixture listens on loopback only."""

_START_ATTEMPTS: Final = 3


def free_ports(count: int) -> list[int]:
    """Return ``count`` TCP ports free on loopback right now (bound together, then closed)."""
    socks = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in socks:
            sock.bind((HOST, 0))
        return [int(sock.getsockname()[1]) for sock in socks]
    finally:
        for sock in socks:
            sock.close()


def group_alive(pgid: int) -> bool:
    """Whether a process of group ``pgid`` still runs (zombies do not count)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text(encoding="ascii", errors="replace").rpartition(")")[2].split()
        except OSError:
            continue
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] != "Z":
            return True
    return False


def _end(proc: subprocess.Popen[bytes]) -> None:
    """Kill the process group of ``proc`` (it leads its own session) and reap ``proc``."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _kill(
    procs: list[subprocess.Popen[bytes]], output: IO[bytes] | None, tmpdir: Path | None
) -> None:
    """The finalizer of a fixture never stopped: no process, file or temp dir outlives it."""
    for proc in procs:
        _end(proc)
    if output is not None:
        output.close()
    if tmpdir is not None:
        shutil.rmtree(tmpdir, ignore_errors=True)


class LocalDaemon:
    """A process of the fixture's own on 127.0.0.1, with a temp dir for its files and log.

    Subclasses set the class attributes and write `_start_once` (which calls
    `_spawn` for each process and `_wait_port` until it is ready).

    Args:
        executable: What it runs (checked with ``shutil.which`` before a start).
        start_timeout: Seconds a start may take until the process accepts connections.
    """

    name: ClassVar[str]
    """What it is, for messages (``"Mosquitto"``)."""
    start_error: ClassVar[type[RuntimeError]]
    """What a failed start raises."""
    log_name: ClassVar[str]
    """The log file in the temp dir (the processes' stdout and stderr)."""
    stop_grace: ClassVar[float] = 5.0
    """Seconds between SIGTERM and SIGKILL."""
    poll_interval: ClassVar[float] = 0.01
    """Seconds between two checks while starting or stopping."""
    package: ClassVar[str]
    """The Debian package that has it, for the error when it is missing."""
    port_count: ClassVar[int]
    """How many ports a start takes (chosen at the first start, kept by a restart)."""

    def __init__(self, executable: str, *, start_timeout: float) -> None:
        self._executable = executable
        self._start_timeout = start_timeout
        self._ports: tuple[int, ...] | None = None
        self._tmpdir: Path | None = None
        self._procs: list[subprocess.Popen[bytes]] = []
        self._output: IO[bytes] | None = None
        self._finalizer: weakref.finalize[..., LocalDaemon] | None = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- what subclasses write ------------------------------------------------------

    def _start_once(self) -> None:
        """Write the config, start the processes and wait until they accept connections."""
        raise NotImplementedError

    # -- state ------------------------------------------------------------------------

    @property
    def host(self) -> str:
        """The address it listens on: always 127.0.0.1."""
        return HOST

    @property
    def running(self) -> bool:
        """Whether its main process is alive."""
        proc = self._main
        return proc is not None and proc.poll() is None

    @property
    def pid(self) -> int | None:
        """The main process id (the leader of its process group), or None when stopped."""
        proc = self._main
        return None if proc is None else proc.pid

    @property
    def workdir(self) -> Path:
        """The temp dir with the config and the log."""
        if self._tmpdir is None:
            raise RuntimeError(f"{type(self).__name__} was never started")
        return self._tmpdir

    @property
    def log_path(self) -> Path:
        """The log: what its processes wrote."""
        return self.workdir / self.log_name

    def log_text(self) -> str:
        """Return the log so far ("" if none)."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except (OSError, RuntimeError):
            return ""

    @property
    def _main(self) -> subprocess.Popen[bytes] | None:
        return self._procs[-1] if self._procs else None

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> Self:
        """Start it and wait until it accepts connections.

        The first start picks free ports (retried with others if one was taken
        meanwhile); later starts reuse them.

        Returns:
            This fixture, for chaining.

        Raises:
            FileNotFoundError: It is not installed.
            RuntimeError: It exited or was not ready in time (the subclass's
                `start_error`).
        """
        if self.running:
            raise RuntimeError(f"{type(self).__name__} is already running")
        if shutil.which(self._executable) is None:
            raise FileNotFoundError(
                f"{self.name} {self._executable!r} not found (apt-get install {self.package})"
            )
        if self._tmpdir is None:
            prefix = f"rxjanus-{self.name.lower()}-"
            self._tmpdir = Path(tempfile.mkdtemp(prefix=prefix)).resolve()
        fixed = self._ports is not None
        for attempt in range(1, _START_ATTEMPTS + 1):
            if not fixed:
                self._ports = tuple(free_ports(self.port_count))
            try:
                self._start_once()
                return self
            except self.start_error:
                self._terminate()
                if fixed or attempt == _START_ATTEMPTS:
                    raise
                logger.warning("%s start attempt %d failed; trying other ports", self.name, attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _spawn(
        self, argv: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> subprocess.Popen[bytes]:
        """Start a process of ours (its own process group, output to the log); the last is main."""
        if self._output is None:
            self._output = self.log_path.open("ab")
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=self._output,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )
        self._procs.append(proc)
        if self._finalizer is not None:
            self._finalizer.detach()
        self._finalizer = weakref.finalize(
            self, _kill, list(self._procs), self._output, self._tmpdir
        )
        return proc

    def _wait_port(
        self, port: int, proc: subprocess.Popen[bytes], what: str, started: float
    ) -> None:
        """Wait until ``port`` accepts a connection, while ``proc`` runs."""
        deadline = started + self._start_timeout
        while True:
            code = proc.poll()
            if code is not None:
                raise self.start_error(
                    f"{what} exited with code {code} during start:\n{self.log_text()[-3000:]}"
                )
            try:
                with socket.create_connection((HOST, port), timeout=0.5):
                    return
            except OSError:
                if time.monotonic() >= deadline:
                    raise self.start_error(
                        f"{what} did not accept connections on {HOST}:{port} within "
                        f"{self._start_timeout} s:\n{self.log_text()[-3000:]}"
                    ) from None
                time.sleep(self.poll_interval)

    def stop(self) -> int | None:
        """Stop it (SIGTERM to its process groups, SIGKILL after the grace); ports and dir are kept.

        Every client connected sees its link drop. Safe to call twice.

        Returns:
            The main process's exit code, or None if it was not running.
        """
        return self._terminate()

    def restart(self) -> Self:
        """Stop it and start it again on the same ports."""
        self.stop()
        return self.start()

    def close(self) -> None:
        """Stop it and remove its temp dir."""
        self._terminate()
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def _terminate(self) -> int | None:
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        procs, self._procs = self._procs, []
        main = procs[-1] if procs else None
        code = None
        if main is not None:
            if main.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(main.pid, signal.SIGTERM)
                deadline = time.monotonic() + self.stop_grace
                while group_alive(main.pid):
                    if time.monotonic() >= deadline:
                        logger.warning("%s pid %d ignored SIGTERM; killing", self.name, main.pid)
                        break
                    time.sleep(self.poll_interval)
            _end(main)  # whatever is left of its group
            code = main.returncode
        for proc in procs[:-1]:
            _end(proc)
        if self._output is not None:
            self._output.close()
            self._output = None
        return code
