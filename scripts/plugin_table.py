"""Render each plugin's Janus requests and events as Markdown (docs/plugins.md).

Every module of the ``rxjanus.plugins`` package is imported (so a new plugin
module is picked up without editing this script); each ``JanusPlugin``
subclass with a non-empty ``janus_requests`` gets a section: a table of the
Janus requests and the rxjanus method that sends each, and a table of the
documented events and where each reaches the user.

Usage::

    python scripts/plugin_table.py            # print the Markdown
    python scripts/plugin_table.py --write    # write docs/plugins.md
    python scripts/plugin_table.py --check    # exit 1 if docs/plugins.md differs
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import logging
import pkgutil
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import rxjanus.plugins  # noqa: E402
from rxjanus.plugins.base import JanusPlugin  # noqa: E402

__all__ = ["DOC", "documented_plugins", "plugin_classes", "render"]

logger = logging.getLogger(__name__)

DOC = ROOT / "docs" / "plugins.md"
"""Where ``--write`` puts the Markdown."""

HEADER = """\
# Plugin API coverage

Each Janus plugin's requests and events, as the header comment of its
`janus_<plugin>.c` (Janus 1.1.x) documents them, and where rxjanus covers them.
Generated from the plugin classes' `janus_requests` and `janus_events` by
`python scripts/plugin_table.py --write`; do not edit by hand.
`tests/test_plugin_table.py` checks both against `tests/janus_api/<plugin>.json`
and this file against the generator.
"""


def _plugin_modules() -> Iterator[str]:
    """The names of the modules in the ``rxjanus.plugins`` package, sorted."""
    prefix = f"{rxjanus.plugins.__name__}."
    names = (info.name for info in pkgutil.iter_modules(rxjanus.plugins.__path__, prefix))
    yield from sorted(names)


def plugin_classes() -> list[type[JanusPlugin]]:
    """Every ``JanusPlugin`` subclass defined in a module of ``rxjanus.plugins``."""
    found: dict[str, type[JanusPlugin]] = {}
    for module_name in _plugin_modules():
        module = importlib.import_module(module_name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(value, JanusPlugin)
                and value is not JanusPlugin
                and value.__module__ == module_name
            ):
                found[f"{module_name}.{value.__qualname__}"] = value
    return [found[key] for key in sorted(found)]


def documented_plugins() -> list[type[JanusPlugin]]:
    """The plugin classes with a non-empty ``janus_requests``, by plugin name."""
    classes = [cls for cls in plugin_classes() if cls.janus_requests]
    return sorted(classes, key=lambda cls: (cls.name, cls.__qualname__))


def _cell(text: str) -> str:
    """Text made safe for one Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def _count(items: Mapping[str, str], noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


def _section(cls: type[JanusPlugin]) -> list[str]:
    lines = [
        f"## {cls.name}",
        "",
        f"`{cls.__module__}.{cls.__qualname__}`: {_count(cls.janus_requests, 'request')}, "
        f"{_count(cls.janus_events, 'event')}.",
        "",
        "| Janus request | rxjanus method |",
        "|---|---|",
    ]
    for request, method in cls.janus_requests.items():
        lines.append(f"| `{_cell(request)}` | `{cls.__qualname__}.{_cell(method)}()` |")
    lines += ["", "| Janus event | where it reaches the user |", "|---|---|"]
    for event, where in cls.janus_events.items():
        lines.append(f"| `{_cell(event)}` | {_cell(where)} |")
    return lines


def render() -> str:
    """The whole Markdown document."""
    lines = [HEADER.rstrip("\n"), ""]
    plugins = documented_plugins()
    lines.append("| plugin | class | requests | events |")
    lines.append("|---|---|---|---|")
    for cls in plugins:
        lines.append(
            f"| [{cls.name}](#{cls.name.replace('.', '')}) | `{cls.__qualname__}` | "
            f"{len(cls.janus_requests)} | {len(cls.janus_events)} |"
        )
    for cls in plugins:
        lines += ["", *_section(cls)]
    return "\n".join(lines) + "\n"


def _shown(path: Path) -> str:
    """``path`` relative to the repository when it is inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main(argv: Sequence[str] | None = None) -> int:
    """Print, write or check the table; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help=f"write {_shown(DOC)}")
    mode.add_argument("--check", action="store_true", help=f"exit 1 if {_shown(DOC)} differs")
    args = parser.parse_args(argv)
    text = render()
    if args.write:
        DOC.parent.mkdir(parents=True, exist_ok=True)
        DOC.write_text(text, encoding="utf-8")
        print(f"wrote {_shown(DOC)}")
        return 0
    if args.check:
        current = DOC.read_text(encoding="utf-8") if DOC.exists() else None
        if current != text:
            print(
                f"{_shown(DOC)} is out of date: run `python scripts/plugin_table.py --write`",
                file=sys.stderr,
            )
            return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
