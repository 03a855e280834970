"""The documentation site (mkdocs-material + mkdocstrings) builds clean, offline, and complete.

The site is built once for the module with ``mkdocs build --strict`` (a cross-reference
that does not resolve fails it). The built HTML must hold no reST left over from the
Sphinx-style docstrings, reference no asset on another host (it renders offline), have
the pages a new user needs, and document each object once.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import griffe
import pytest

import rxjanus
import rxjanus.operators

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_MODULES = [
    "audiobridge",
    "echotest",
    "nosip",
    "recordplay",
    "sip",
    "streaming",
    "textroom",
    "videocall",
    "videoroom",
    "voicemail",
]
GUIDES = [
    "getting-started",
    "session",
    "reactive",
    "faults",
    "scaling",
    "cli",
    "migration",
]
AREAS = ["session", "transports", "admin", "operators", "media", "testing", "exceptions"]
SPHINX_ROLE = re.compile(r":(?:py:)?(?:class|meth|func|attr|exc|mod|data|obj|ref):`")
HTML_ROLE = re.compile(r":(?:py:)?(?:class|meth|func|attr|exc|mod|data|obj|ref):")  # `` is <code>
REST_LITERAL = re.compile(r"\S::(?:\s|$)")  # a paragraph ending in "::" (not ":::", not "::1")
ASSET_TAGS = {
    "script": "src",
    "img": "src",
    "iframe": "src",
    "source": "src",
    "audio": "src",
    "video": "src",
    "embed": "src",
}


def build(root: Path, site: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(site)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("docs") / "site"
    built = build(ROOT, site)
    assert built.returncode == 0, built.stderr  # a broken docstring reference fails here
    return site


class _Text(HTMLParser):
    """The prose of a page: text outside <pre>, <code>, <script> and <style>."""

    SKIP = frozenset({"pre", "code", "script", "style"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.depth += 1
        elif tag in {"p", "li", "td", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6"}:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.depth = max(0, self.depth - 1)
        elif tag in {"p", "li", "td", "div"}:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.parts.append(data)


class _Assets(HTMLParser):
    """Every URL a page loads by itself (scripts, styles, fonts, images, frames)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "link":
            rel = (values.get("rel") or "").lower()
            if rel not in {"canonical", "alternate", "prev", "next", "author", "license"}:
                self.urls.append(values.get("href") or "")
        elif tag in ASSET_TAGS:
            self.urls.append(values.get(ASSET_TAGS[tag]) or "")
        style = values.get("style") or ""
        self.urls += re.findall(r"url\(\s*['\"]?([^'\")]+)", style)


def pages(site: Path) -> Iterator[Path]:
    yield from sorted(site.rglob("*.html"))


def prose(page: Path) -> str:
    parser = _Text()
    parser.feed(page.read_text())
    return html.unescape("".join(parser.parts))


def rest_leftovers(site: Path) -> list[str]:
    """Sphinx roles, ``.. code::`` directives and reST literal-block markers in the prose."""
    found = []
    for page in pages(site):
        text = prose(page)
        for line in text.splitlines():
            if HTML_ROLE.search(line) or ".. code::" in line or REST_LITERAL.search(line):
                found.append(f"{page.relative_to(site)}: {line.strip()[:160]}")
    return found


def test_the_docs_build_strict_and_document_every_exported_name(site: Path) -> None:
    pages_html = "".join(page.read_text() for page in (site / "api").rglob("index.html"))
    documented = {
        anchor.rsplit(".", 1)[-1] for anchor in re.findall(r'id="(rxjanus[^"]*)"', pages_html)
    }
    exported = set(rxjanus.__all__) | set(rxjanus.operators.__all__)
    assert sorted(exported - documented) == []
    assert "keepalive_interval" in (site / "api" / "session" / "index.html").read_text()


def test_the_site_has_the_pages_a_new_user_needs(site: Path) -> None:
    wanted = [*GUIDES, *(f"api/{area}" for area in AREAS)]
    wanted += [f"api/plugins/{module}" for module in PLUGIN_MODULES]
    missing = [name for name in wanted if not (site / name / "index.html").is_file()]
    assert missing == []
    # each plugin page documents its plugin's handle class
    for module in PLUGIN_MODULES:
        text = (site / "api" / "plugins" / module / "index.html").read_text()
        assert f'id="rxjanus.plugins.{module}.Janus' in text, module
    start = html.unescape(
        re.sub(r"<[^>]+>", "", (site / "getting-started" / "index.html").read_text())
    )
    for needed in ("pip install rxjanus", "rxjanus server", "enable_loopback_ice"):
        assert needed in start


def test_each_object_is_documented_once(site: Path) -> None:
    package = griffe.load("rxjanus", search_paths=[str(ROOT)], resolve_aliases=True)
    assert isinstance(package, griffe.Object)
    where: dict[str, list[str]] = {}
    for page in pages(site):
        for anchor in re.findall(r'<h\d id="(rxjanus[^"]*)"', page.read_text()):
            try:
                canonical = package.modules_collection[anchor].canonical_path
            except (KeyError, griffe.AliasResolutionError):
                continue
            where.setdefault(canonical, []).append(f"{page.relative_to(site)}#{anchor}")
    assert "rxjanus.transports.base.JanusTransport" in where
    assert {path: ids for path, ids in where.items() if len(ids) > 1} == {}


def test_returns_sections_are_not_split_line_by_line(site: Path) -> None:
    """A Returns description wrapped over lines is one item, not one item per line."""
    section = re.compile(
        r'doc-section-title">(?:Returns|Yields):</span></p>\s*<table>(.*?)</table>', re.S
    )
    split = []
    for page in pages(site):
        for table in section.findall(page.read_text()):
            if table.count('class="doc-section-item"') != 1:
                text = re.sub(r"<[^>]+>|\s+", " ", table)[:200]
                split.append(f"{page.relative_to(site)}: {text}")
    assert split == []
    sections = sum(len(section.findall(page.read_text())) for page in pages(site))
    assert sections > 100  # the check above saw them


def test_the_site_renders_offline(site: Path) -> None:
    remote = []
    for page in pages(site):
        parser = _Assets()
        parser.feed(page.read_text())
        remote += [f"{page.relative_to(site)}: {url}" for url in parser.urls if "//" in url]
    for css in site.rglob("*.css"):
        text = css.read_text(errors="replace")
        remote += [
            f"{css.relative_to(site)}: {url}"
            for url in re.findall(r"(?:url\(|@import)\s*['\"]?((?:https?:)?//[^'\")\s]+)", text)
            if not url.startswith("http://www.w3.org/")  # SVG namespaces, not fetched
        ]
    assert remote == []
    index = (site / "index.html").read_text()
    assert "fonts.googleapis.com" not in index
    assert 'class="highlight"' in index  # code highlighted at build time, no script needed


def test_no_rest_markup_is_left_in_the_site(site: Path) -> None:
    assert rest_leftovers(site) == []


def test_the_docstring_converter_leaves_no_rest_markup(tmp_path: Path) -> None:
    """On a copy of the tree: convert, convert again (nothing to do), lint, build, check."""
    copy = tmp_path / "tree"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".venv", "site", ".git")
    for name in ("rxjanus", "docs", "scripts"):
        shutil.copytree(ROOT / name, copy / name, ignore=ignore)
    for name in ("mkdocs.yml", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, copy / name)
    script = [sys.executable, str(copy / "scripts" / "convert_docstrings.py"), "--root", str(copy)]
    converted = subprocess.run(script, capture_output=True, text=True, timeout=300, check=False)
    assert converted.returncode == 0, converted.stderr
    again = subprocess.run(
        [*script, "--check"], capture_output=True, text=True, timeout=300, check=False
    )
    assert again.returncode == 0, f"not idempotent: {again.stderr}"
    left = [
        f"{path.relative_to(copy)}: {line.strip()}"
        for path in (copy / "rxjanus").rglob("*.py")
        for line in path.read_text().splitlines()
        if SPHINX_ROLE.search(line) or ".. code::" in line
    ]
    assert left == []
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "rxjanus"],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout
    site = tmp_path / "site"
    built = build(copy, site)
    assert built.returncode == 0, built.stderr
    assert rest_leftovers(site) == []
    links = sum(page.read_text().count('class="autorefs') for page in pages(site))
    assert links > 0
