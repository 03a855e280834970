"""Every code block of README.md and of the docs runs as written, against a real Janus.

The guides are written against Janus's default ports (``ws://127.0.0.1:8188``,
``http://127.0.0.1:8088/janus``, ``http://127.0.0.1:7088/admin``), which is where
``rxjanus server`` puts a local Janus; the fixture starts one there. Each ```python
block runs alone, as a user would paste it into a file, in a subprocess with a fresh
working directory and a timeout, and must exit 0 and leave no session on the server.

Shell blocks: a line that runs the ``rxjanus`` command (except ``rxjanus server``, which
runs until Ctrl-C) runs too; installs, ``apt-get`` and the repository's scripts do not
(they change the machine or run the whole suite). Blocks in another language
(``text``, ``json``, ``toml`` ...) are not code to run.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from rxjanus.testing import JanusServer

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 120.0
PYTHON = {"python", "py", "python3"}
SHELL = {"sh", "bash", "shell", "console"}
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>```+|~~~+)\s*(?P<lang>[\w+-]*)[^\n]*$")

# Blocks known to fail, each with the reason (none today); the ids are "file:line".
EXPECTED_FAILURES: dict[str, str] = {}


@dataclass(frozen=True)
class Block:
    path: Path
    line: int
    lang: str
    code: str

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def blocks_of(path: Path) -> Iterator[Block]:
    """The fenced code blocks of one Markdown file (indented fences, in lists, too)."""
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        indent, fence, lang = match["indent"], match["fence"], match["lang"].lower()
        body: list[str] = []
        j = i + 1
        while j < len(lines) and lines[j].strip() != fence:
            body.append(lines[j].removeprefix(indent))
            j += 1
        yield Block(path, i + 1, lang, "\n".join(body) + "\n")
        i = j + 1


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def all_blocks() -> list[Block]:
    return [block for path in documents() for block in blocks_of(path)]


def runnable_shell(block: Block) -> list[list[str]]:
    """The ``rxjanus`` commands of a shell block that are safe and quick to run."""
    commands = []
    for raw in block.code.replace("\\\n", " ").splitlines():  # continuation lines joined
        line = raw.split(" #", 1)[0].strip().removeprefix("$ ")
        words = shlex.split(line) if line else []
        if words[:1] == ["rxjanus"] and words[1:2] != ["server"]:
            commands.append(words)
    return commands


def params() -> list[object]:
    chosen = []
    for block in all_blocks():
        if block.lang in PYTHON or (block.lang in SHELL and runnable_shell(block)):
            marks = []
            if block.id in EXPECTED_FAILURES:
                marks.append(pytest.mark.xfail(reason=EXPECTED_FAILURES[block.id], strict=True))
            chosen.append(pytest.param(block, id=block.id, marks=marks))
    return chosen


@pytest.fixture(scope="module")
def default_janus() -> Iterator[JanusServer]:
    """A Janus on the default ports the guides use; it must hold no session at the end."""
    try:
        server = JanusServer(ws_port=8188, http_port=8088, admin_http_port=7088).start()
    except Exception as exc:  # the ports may be taken by a Janus already running
        pytest.fail(f"cannot start Janus on ports 8188/8088/7088 for the docs' examples: {exc}")
    try:
        yield server
        assert server.list_sessions() == []
    finally:
        server.stop()


def run(args: list[str], cwd: Path, admin_secret: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["RXJANUS_ADMIN_SECRET"] = admin_secret  # README's set-up block exports it
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PYTHONASYNCIODEBUG", None)  # run as a user would
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


@pytest.mark.janus
@pytest.mark.timeout(TIMEOUT * 3)
@pytest.mark.parametrize("block", params())
def test_code_block_runs(block: Block, default_janus: JanusServer, tmp_path: Path) -> None:
    if block.lang in PYTHON:
        script = tmp_path / "block.py"
        script.write_text(block.code)
        results = [run([sys.executable, str(script)], tmp_path, default_janus.admin_secret)]
    else:
        secret = default_janus.admin_secret
        results = [run(words, tmp_path, secret) for words in runnable_shell(block)]
    for result in results:
        print(f"--- {block.id}\n{result.stdout}")
        assert result.returncode == 0, (
            f"{block.id} exited {result.returncode}\n--- stdout\n{result.stdout[-3000:]}"
            f"\n--- stderr\n{result.stderr[-3000:]}"
        )
    assert default_janus.list_sessions() == [], f"{block.id} left sessions on Janus"


def test_every_guide_has_runnable_examples() -> None:
    """The guides teach with code: each has Python blocks, and no block is a fragment."""
    guides = ["getting-started.md", "session.md", "reactive.md", "faults.md", "scaling.md"]
    for name in guides:
        langs = [block.lang for block in blocks_of(ROOT / "docs" / name)]
        assert "python" in langs, f"docs/{name} has no python example"
    for block in all_blocks():
        assert block.lang, f"{block.id}: a code block without a language (python, sh, text ...)"
