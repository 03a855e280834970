"""janus_client 0.9's public API has a compatible rxjanus counterpart, and the page is current.

The checklist, ``tests/janus_client_api.json``, is made from janus_client's source
by ``scripts/compat_table.py --extract``; this test needs neither the sdist nor
the network.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "compat_table.py"


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("compat_table", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATOR = load_generator()
ENTRIES: list[dict[str, Any]] = GENERATOR.entries()
MODULES = sorted({entry["module"] for entry in ENTRIES})


def test_the_checklist_is_janus_client_0_9() -> None:
    data = json.loads(GENERATOR.CHECKLIST.read_text(encoding="utf-8"))
    assert "janus-client==0.9.0" in data["source"]
    names = {(entry["module"], entry["name"]) for entry in ENTRIES}
    assert len(names) == len(ENTRIES), "an entry repeats"
    # A few that must be there, or the extraction broke.
    for expected in [
        ("session", "JanusSession.attach_plugin"),
        ("transport", "JanusTransport.create_transport"),
        ("message_transaction", "MessageTransaction.get"),
        ("media", "MediaKind.VIDEO"),
        ("", "JanusSession"),
    ]:
        assert expected in names
    assert len(MODULES) == 13  # the package and its 12 modules


@pytest.mark.parametrize(
    "module",
    [pytest.param(m, id=m or "janus_client") for m in MODULES],
)
def test_every_name_has_a_compatible_counterpart(module: str) -> None:
    problems = [
        f"{entry['name']} ({entry['kind']}): {problem}"
        for entry in ENTRIES
        if entry["module"] == module and (problem := GENERATOR.problem(entry))
    ]
    where = f"janus_client.{module}" if module else "janus_client"
    assert not problems, f"{where}: {len(problems)} without a compatible counterpart:\n" + (
        "\n".join(problems)
    )


def test_every_module_path_is_importable_beside_rxjanus() -> None:
    import rxjanus
    import rxjanus.janus_client as compat

    for module in MODULES:
        if module:
            imported = importlib.import_module(f"rxjanus.janus_client.{module}")
            assert imported.__all__, module
    # janus_client's top-level names are rxjanus's, and the same objects; janus_client's
    # JanusPlugin (with a PeerConnection) is rxjanus's WebRTCPlugin.
    for name in compat.__all__:
        ours = "WebRTCPlugin" if name == "JanusPlugin" else name
        assert getattr(rxjanus, ours) is getattr(compat, name), name
    assert callable(rxjanus.session)  # the reactive function, not clobbered by a module


def test_the_page_is_current() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_every_note_belongs_to_a_row() -> None:
    keys = {f"{entry['module']}.{entry['name']}" for entry in ENTRIES}
    assert sorted(set(GENERATOR.NOTES) - keys) == []
