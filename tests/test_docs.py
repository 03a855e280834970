"""The documentation site (mkdocs + mkdocstrings) builds without a warning and covers the API."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import rxjanus
import rxjanus.operators

ROOT = Path(__file__).resolve().parents[1]


def test_the_docs_build_strict_and_document_every_exported_name(tmp_path: Path) -> None:
    site = tmp_path / "site"
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr  # a broken docstring reference fails here
    pages = "".join(page.read_text() for page in (site / "api").rglob("index.html"))
    documented = {anchor.rsplit(".", 1)[-1] for anchor in re.findall(r'id="(rxjanus[^"]*)"', pages)}
    exported = set(rxjanus.__all__) | set(rxjanus.operators.__all__)
    assert sorted(exported - documented) == []
    assert "keepalive_interval" in (site / "api" / "session" / "index.html").read_text()
