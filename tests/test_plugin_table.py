"""Each plugin class covers its Janus checklist, and docs/plugins.md is up to date."""

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
CHECKLISTS = sorted((ROOT / "tests" / "janus_api").glob("*.json"))
SCRIPT = ROOT / "scripts" / "plugin_table.py"
REGENERATE = "run `python scripts/plugin_table.py --write`"


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("plugin_table", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATOR = load_generator()


def load_checklist(path: Path) -> dict[str, Any]:
    checklist: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    assert set(checklist) >= {"plugin", "source", "requests", "events"}, path.name
    assert path.stem == checklist["plugin"], "the file is named after its plugin"
    for key in ("requests", "events"):
        assert len(set(checklist[key])) == len(checklist[key]), f"{path.name}: {key} repeat"
    return checklist


def test_there_are_checklists() -> None:
    assert CHECKLISTS, "tests/janus_api/ holds no checklist"


@pytest.mark.parametrize("path", CHECKLISTS, ids=[p.stem for p in CHECKLISTS])
def test_the_plugin_class_covers_its_checklist(path: Path) -> None:
    checklist = load_checklist(path)
    classes = [c for c in GENERATOR.plugin_classes() if c.name == checklist["plugin"]]
    assert classes, f"no class in rxjanus.plugins has name = {checklist['plugin']!r}"
    documented = [c for c in classes if c.janus_requests]
    assert len(documented) == 1, f"one class of {checklist['plugin']} fills janus_requests"
    [cls] = documented
    assert sorted(cls.janus_requests) == sorted(checklist["requests"]), (
        f"{cls.__qualname__}.janus_requests differs from {path.name}: "
        f"missing {sorted(set(checklist['requests']) - set(cls.janus_requests))}, "
        f"extra {sorted(set(cls.janus_requests) - set(checklist['requests']))}"
    )
    assert sorted(cls.janus_events) == sorted(checklist["events"]), (
        f"{cls.__qualname__}.janus_events differs from {path.name}: "
        f"missing {sorted(set(checklist['events']) - set(cls.janus_events))}, "
        f"extra {sorted(set(cls.janus_events) - set(checklist['events']))}"
    )


def test_every_named_method_exists_and_is_callable() -> None:
    plugins = GENERATOR.documented_plugins()
    assert plugins
    for cls in plugins:
        for request, method in cls.janus_requests.items():
            assert callable(getattr(cls, method, None)), (
                f"{cls.__qualname__}.janus_requests[{request!r}] names {method!r}, "
                "which is no method of the class"
            )
        for event, where in cls.janus_events.items():
            assert isinstance(where, str), f"{cls.__qualname__}: {event!r}"
            assert where.strip(), f"{cls.__qualname__}: {event!r}"


def test_every_documented_plugin_has_a_checklist() -> None:
    names = {load_checklist(path)["plugin"] for path in CHECKLISTS}
    for cls in GENERATOR.documented_plugins():
        assert cls.name in names, f"{cls.name} fills janus_requests but has no checklist"


def test_docs_plugins_md_is_the_generators_output() -> None:
    assert GENERATOR.DOC.exists(), f"docs/plugins.md is missing: {REGENERATE}"
    written = GENERATOR.DOC.read_text(encoding="utf-8")
    assert written == GENERATOR.render(), f"docs/plugins.md is out of date: {REGENERATE}"


def test_the_script_prints_and_checks() -> None:
    printed = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, check=True, timeout=60
    )
    assert printed.stdout == GENERATOR.render()
    for cls in GENERATOR.documented_plugins():
        assert f"## {cls.name}" in printed.stdout
    checked = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stderr


def test_check_fails_on_a_stale_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "plugins.md"
    stale.write_text("# stale\n", encoding="utf-8")
    monkeypatch.setattr(GENERATOR, "DOC", stale)
    assert GENERATOR.main(["--check"]) == 1
    assert GENERATOR.main(["--write"]) == 0
    assert GENERATOR.main(["--check"]) == 0
    assert stale.read_text(encoding="utf-8") == GENERATOR.render()
