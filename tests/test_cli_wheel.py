"""The built wheel, installed into a fresh virtualenv, gives a working ``rxjanus`` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

import rxjanus
from rxjanus.testing import JanusServer

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.janus


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, REPO, cwd=dist)
    [built] = dist.glob("rxjanus-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel installed; its dependencies come from this one.

    A ``.pth`` line puts this environment's site-packages after the new one's, so aiortc
    and friends are not downloaded again; rxjanus itself is the wheel's (this environment's
    editable install is not processed from there, and every command runs outside the repo).
    """
    home = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", home, cwd=home)
    python = home / "bin" / "python"
    site = run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=home)
    Path(site.strip(), "dev-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    run(python, "-m", "pip", "install", "-q", "--no-index", "--no-deps", wheel, cwd=home)
    return home


def test_the_wheel_holds_the_package_license_and_metadata(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        info = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(info).decode()
        entry_points = archive.read(info.replace("METADATA", "entry_points.txt")).decode()
    assert "rxjanus/cli/__init__.py" in names
    assert "rxjanus/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert f"Version: {rxjanus.__version__}\n" in metadata
    assert "Project-URL: Homepage, https://github.com/rxjanus/rxjanus" in metadata
    assert "Requires-Dist: click" in metadata
    assert "Requires-Dist: rich" in metadata
    assert "rxjanus = rxjanus.cli:main" in entry_points


def test_rxjanus_from_the_wheel_talks_to_janus(venv: Path, janus: JanusServer) -> None:
    python, script = venv / "bin" / "python", venv / "bin" / "rxjanus"
    where = run(python, "-c", "import rxjanus; print(rxjanus.__file__)", cwd=venv)
    assert Path(where.strip()).is_relative_to(venv)
    assert run(script, "--version", cwd=venv).strip() == f"rxjanus, version {rxjanus.__version__}"

    info = run(script, "info", janus.ws_url, cwd=venv)
    assert janus.server_name in info
    assert json.loads(run(script, "info", janus.http_url, "--json", cwd=venv))["version"] > 0
    env = {"RXJANUS_ADMIN_SECRET": janus.admin_secret}
    assert (
        json.loads(run(script, "sessions", janus.admin_http_url, "--json", cwd=venv, env=env)) == []
    )
    echoed = json.loads(
        run(script, "echo", janus.ws_url, "--seconds", "3", "--loopback", "--json", cwd=venv)
    )
    assert echoed["media"]["video"]["frames_back"] > 0
    assert janus.list_sessions() == []
