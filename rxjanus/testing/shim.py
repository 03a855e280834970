"""Build the LD_PRELOAD shim that lets Janus offer ICE candidates on 127.0.0.1.

Janus and libnice skip every interface flagged ``IFF_LOOPBACK`` while gathering
ICE candidates, so a stock Janus never offers ``127.0.0.1``. ``shim.c`` wraps
``getifaddrs()`` and clears that flag; loaded with ``LD_PRELOAD`` (and with
``ice_enforce_list = "lo"`` in ``janus.jcfg``) it makes Janus offer only loopback
host candidates. This is for tests and demos only, never for production.

The shared object is compiled once with ``gcc`` and cached, keyed by a hash of
the C source, the compiler and the machine type.
"""

from __future__ import annotations

import hashlib
import logging
import os
import platform
import shutil
import subprocess
import tempfile
from importlib import resources
from pathlib import Path

__all__ = ["ShimBuildError", "build_loopback_shim", "default_cache_dir", "shim_source"]

logger = logging.getLogger(__name__)

_SHIM_RESOURCE = "shim.c"


class ShimBuildError(RuntimeError):
    """The loopback-ICE shim could not be compiled."""


def shim_source() -> str:
    """Return the C source of the loopback-ICE shim.

    Returns:
        The text of ``rxjanus/testing/shim.c``.
    """
    return (
        resources.files(__package__ or "rxjanus.testing")
        .joinpath(_SHIM_RESOURCE)
        .read_text(encoding="utf-8")
    )


def default_cache_dir() -> Path:
    """Return the directory where compiled shims are cached.

    ``$RXJANUS_CACHE_DIR`` wins, then ``$XDG_CACHE_HOME/rxjanus``, then
    ``~/.cache/rxjanus``. Callers fall back to a per-user directory under the
    system temp dir when that one is not writable.

    Returns:
        The cache directory (it may not exist yet).
    """
    explicit = os.environ.get("RXJANUS_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "rxjanus"


def _fallback_cache_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"rxjanus-cache-{os.getuid()}"


def _writable_dir(path: Path) -> bool:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK | os.X_OK)


def build_loopback_shim(cache_dir: Path | None = None, *, compiler: str = "gcc") -> Path:
    """Compile the loopback-ICE shim once and return the path of the shared object.

    A cached build is reused when the source, the compiler and the machine type
    are unchanged. Concurrent builds are safe: each compiles to a private file
    and renames it into place.

    Args:
        cache_dir: Where to keep the ``.so``; defaults to
            [`default_cache_dir`][rxjanus.testing.shim.default_cache_dir] (or a per-user dir under
            the system temp dir if that is not writable).
        compiler: The C compiler to run.

    Returns:
        The absolute path of the compiled shim, suitable for ``LD_PRELOAD``.

    Raises:
        ShimBuildError: The compiler is missing or the build failed.
    """
    source = shim_source()
    cc = shutil.which(compiler)
    if cc is None:
        raise ShimBuildError(
            f"cannot build the loopback-ICE shim: C compiler {compiler!r} not found on PATH. "
            "Install gcc (apt-get install gcc), or start JanusServer(loopback_ice=False) "
            "if the test needs no media."
        )
    digest = hashlib.sha256(
        "\0".join([source, os.path.realpath(cc), platform.machine()]).encode()
    ).hexdigest()[:16]
    directory = cache_dir if cache_dir is not None else default_cache_dir()
    if not _writable_dir(directory):
        if cache_dir is not None:
            raise ShimBuildError(f"shim cache dir {directory} is not writable")
        directory = _fallback_cache_dir()
        if not _writable_dir(directory):
            raise ShimBuildError(f"no writable cache dir for the shim (tried {directory})")
    target = (directory / f"rxjanus-loopback-shim-{digest}.so").resolve()
    if target.is_file():
        return target
    with tempfile.TemporaryDirectory(prefix="rxjanus-shim-", dir=directory) as tmp:
        src = Path(tmp) / "shim.c"
        src.write_text(source, encoding="utf-8")
        out = Path(tmp) / "shim.so"
        cmd = [cc, "-shared", "-fPIC", "-O2", "-o", str(out), str(src), "-ldl"]
        logger.debug("building loopback-ICE shim: %s", " ".join(cmd))
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ShimBuildError(f"cannot run {cc}: {exc}") from exc
        if proc.returncode != 0:
            raise ShimBuildError(
                f"building the loopback-ICE shim failed ({cc} exit {proc.returncode}):\n"
                f"{proc.stderr.strip()}"
            )
        os.replace(out, target)
    logger.info("built loopback-ICE shim %s", target)
    return target
