"""Rewrite the Sphinx/reST bits of rxjanus's docstrings into mkdocstrings Markdown.

    python scripts/convert_docstrings.py            # rewrite rxjanus/ in place
    python scripts/convert_docstrings.py --check    # exit 1 if anything is left to convert
    python scripts/convert_docstrings.py --root /some/copy

What it rewrites, in every docstring of the package (found with griffe, the loader
mkdocstrings itself uses, so the names resolve the way the site resolves them):

- Sphinx roles (``:class:``, ``:meth:``, ``:func:``, ``:attr:``, ``:exc:``, ``:mod:``,
  ``:data:``, ``:obj:``) become autorefs cross-references, ``[`Name`][full.path]``.
  A relative name is resolved the way Python would from the docstring's owner: its
  class (inherited members included), its module's definitions and imports (those
  under ``TYPE_CHECKING`` too), then as a full dotted path. The link goes to the
  object's canonical path when the site renders that object (a ``:::`` directive in
  docs/ reaches it); anything else (a builtin, a private helper) becomes plain code.
- ``.. code::`` directives and paragraphs ending in ``::`` (reST literal blocks)
  become fenced code blocks: ``python`` when the block parses as Python, else ``text``.
- Lines made longer than the line limit by a link are wrapped at a space. A summary line
  cannot wrap: there a link uses mkdocstrings' relative form (``[`pause`][..pause]``,
  ``relative_crossrefs`` in mkdocs.yml) when the target shares a module with the
  docstring, and a name that still does not fit stays plain code.

Idempotent: a converted tree has nothing left to convert, so a second run changes
nothing. Split "Returns:" sections are not a source problem: Google style wraps a
description at the section's indentation, and mkdocs.yml reads it as one item
(``returns_multiple_items: false``).
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import griffe

PACKAGE = "rxjanus"
LINE_LIMIT = 100
ROLE = re.compile(r":(?:py:)?(?:class|meth|func|attr|exc|mod|data|obj):`([^`]+)`")
CODE_DIRECTIVE = re.compile(r"^(\s*)\.\. (?:code|code-block|sourcecode)::\s*(\w*)\s*$")
PRIVATE = re.compile(r"^_[^_]")
SECTION = re.compile(
    r"^(\s*)(Args|Arguments|Parameters|Params|Keyword Args|Keyword Arguments|Other Parameters|"
    r"Raises|Exceptions|Warns|Warnings|Attributes|Receives):\s*$"
)
GOOGLE_SECTIONS = {"Example", "Examples", "Note", "Notes", "Warning", "Warnings", "Usage"}
FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass
class Stats:
    linked: int = 0
    plain: list[str] = field(default_factory=list)
    blocks: int = 0
    files: set[Path] = field(default_factory=set)


def load(root: Path) -> griffe.Object:
    package = griffe.load(
        PACKAGE,
        search_paths=[str(root)],
        try_relative_path=False,
        resolve_aliases=True,
        resolve_external=False,
        allow_inspection=False,
    )
    assert isinstance(package, griffe.Object)
    return package


def _target(obj: griffe.Object | griffe.Alias) -> griffe.Object | None:
    try:
        target = obj.final_target if obj.is_alias else obj  # type: ignore[union-attr]
    except (griffe.AliasResolutionError, griffe.CyclicAliasError):
        return None
    return target if isinstance(target, griffe.Object) else None


def rendered_paths(root: Path, package: griffe.Object) -> set[str]:
    """Canonical paths of the objects the docs render (as mkdocstrings-python selects them)."""
    collection = package.modules_collection
    rendered: set[str] = set()

    def walk(obj: griffe.Object) -> None:
        rendered.add(obj.canonical_path)
        for name, member in obj.members.items():
            if PRIVATE.match(name):
                continue
            if member.is_alias and not member.is_public:
                continue  # an import not in __all__: not rendered here
            target = _target(member)
            if target is None or target.is_module or not target.has_docstrings:
                continue
            walk(target)

    for page in sorted((root / "docs").rglob("*.md")):
        for line in page.read_text().splitlines():
            match = re.match(r"^:::\s+(\S+)", line)
            if not match:
                continue
            try:
                obj = _target(collection[match.group(1)])
            except KeyError:
                continue
            if obj is not None:
                walk(obj)
    return rendered


def _member(obj: griffe.Object, name: str) -> griffe.Object | None:
    try:
        members = obj.all_members if obj.is_class else obj.members
    except (griffe.AliasResolutionError, griffe.CyclicAliasError):
        members = obj.members
    if name not in members:
        return None
    return _target(members[name])


def resolve(owner: griffe.Object, name: str) -> griffe.Object | None:
    """The object ``name`` means in ``owner``'s docstring, or None."""
    collection = owner.modules_collection
    first, *rest = name.split(".")
    found: griffe.Object | None = None
    scope: griffe.Object | None = owner
    while scope is not None and found is None:  # the owner, its classes, its module
        if scope.is_class or scope.is_module:
            found = _member(scope, first)
        if found is None and scope.is_class and scope.name == first:
            found = scope
        scope = scope.parent
    if found is None:
        for length in range(len(name.split(".")), 0, -1):  # a full dotted path
            head = ".".join(name.split(".")[:length])
            try:
                found = _target(collection[head])
            except (KeyError, ValueError):
                continue
            rest = name.split(".")[length:]
            break
    if found is None and not rest:  # a method named from its module's docstring
        module = owner if owner.is_module else owner.module
        classes = [m for m in module.members.values() if not m.is_alias and m.is_class]
        candidates = [c for c in (_member(k, first) for k in classes) if c is not None]
        if len({c.canonical_path for c in candidates}) == 1:
            found = candidates[0]
    for part in rest:
        if found is None:
            return None
        found = _member(found, part)
    return found


def relative(owner: griffe.Object, path: str) -> str | None:
    """``path`` relative to ``owner`` in mkdocstrings' syntax (``.x``: a member of the owner,
    ``..x``: of its parent ...), or None when they share no module."""
    ancestor: griffe.Object | None = owner
    dots = 1
    while ancestor is not None:
        if path.startswith(ancestor.path + "."):
            return "." * dots + path[len(ancestor.path) + 1 :]
        if ancestor.is_module:
            return None
        ancestor = ancestor.parent
        dots += 1
    return None


def convert_role(
    match: re.Match[str],
    owner: griffe.Object,
    rendered: set[str],
    stats: Stats,
    *,
    short_form: bool = False,
) -> str:
    content = match.group(1).strip()
    explicit = re.match(r"^(.*?)\s*<([^>]+)>$", content)
    if explicit:
        title, target = explicit.group(1), explicit.group(2)
    else:
        title, target = None, content
    target = target.lstrip("!")
    short = target.startswith("~")
    target = target.lstrip("~.")
    display = title or (target.rsplit(".", 1)[-1] if short else target)
    found = resolve(owner, target)
    path = None if found is None else found.canonical_path
    if path is not None and path in rendered:
        if short_form:  # a summary line: the shorter relative form, if there is one
            path = relative(owner, path) or path
        stats.linked += 1
        return f"[`{display}`][{path}]"
    stats.plain.append(f"{owner.path}: {target}")
    return f"`{display}`"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _language(block: list[str]) -> str:
    try:
        ast.parse(textwrap.dedent("\n".join(block)))
    except SyntaxError:
        return "text"
    return "python"


def convert_blocks(lines: list[str], base: int, stats: Stats) -> list[str]:
    """Turn ``.. code::`` and ``::`` literal blocks of one docstring into fences."""
    out: list[str] = []
    i = 0
    in_fence = False
    while i < len(lines):
        line = lines[i]
        if FENCE.match(line):
            in_fence = not in_fence
        if in_fence:
            out.append(line)
            i += 1
            continue
        directive = CODE_DIRECTIVE.match(line)
        text = line.rstrip()
        literal = not directive and text.endswith("::") and not text.endswith(":::")
        if not (directive or literal):
            out.append(line)
            i += 1
            continue
        indent = base if i == 0 else _indent(line)
        j = i + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        end = j
        while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > indent):
            end += 1
        while end > j and not lines[end - 1].strip():
            end -= 1
        block = lines[j:end]
        if not block or (j == i + 1 and i > 0 and not directive):
            out.append(line)  # "::" with no indented block after a blank line: leave it
            i += 1
            continue
        pad = " " * indent
        if directive:
            language = directive.group(2) or _language(block)
        else:
            head = text[:-2].rstrip() if text.endswith(" ::") or text.strip() == "::" else text[:-1]
            language = _language(block)
            if head.strip().rstrip(":") in GOOGLE_SECTIONS:  # "Example::": a Google section
                out.append(head)
                pad = " " * (indent + 4)
            else:
                if head.strip() or i == 0:
                    out.append(head)
                out.append("")
        body = textwrap.dedent("\n".join(block)).split("\n")
        out.append(f"{pad}```{language}")
        out.extend(f"{pad}{b}".rstrip() for b in body)
        out.append(f"{pad}```")
        stats.blocks += 1
        i = end
    return out


def _split_points(line: str) -> list[int]:
    """Indices of spaces outside code spans and link brackets."""
    points: list[int] = []
    depth = 0
    in_code = False
    for k, ch in enumerate(line):
        if ch == "`":
            in_code = not in_code
        elif not in_code and ch == "[":
            depth += 1
        elif not in_code and ch == "]":
            depth = max(0, depth - 1)
        elif ch == " " and not in_code and depth == 0:
            points.append(k)
    return points


def _continues(line: str, indent: int) -> bool:
    """Whether ``line`` carries on a paragraph at ``indent`` (so text can flow into it)."""
    body = line.strip()
    if not body or _indent(line) != indent or body.startswith('"""') or FENCE.match(line):
        return False
    return not re.match(r"^([-*+] |\d+\. |>>>|\w[\w ]*:$)", body)


def wrap(lines: list[str], changed: set[int]) -> list[str]:
    """Reflow the changed lines that got longer than the limit into the lines after them."""
    lines = list(lines)
    section_indent: int | None = None
    k = 0
    while k < len(lines):
        line = lines[k]
        section = SECTION.match(line)
        if section:
            section_indent = len(section.group(1))
        elif line.strip() and section_indent is not None and _indent(line) <= section_indent:
            section_indent = None
        if k == 0 or k not in changed or len(line) <= LINE_LIMIT:
            k += 1
            continue
        indent = _indent(line)
        item = section_indent is not None and indent == section_indent + 4
        bullet = re.match(r"^\s*([-*+] |\d+\. )", line)
        follow = indent + 4 if item else indent + (len(bullet.group(1)) if bullet else 0)
        points = [p for p in _split_points(line) if indent < p <= LINE_LIMIT]
        if not points:
            k += 1
            continue
        cut = points[-1]
        head, tail = line[:cut].rstrip(), line[cut + 1 :].strip()
        lines[k] = head
        if k + 1 < len(lines) and _continues(lines[k + 1], follow):
            lines[k + 1] = " " * follow + tail + " " + lines[k + 1].strip()
        else:
            lines.insert(k + 1, " " * follow + tail)
            changed = {c + 1 if c > k else c for c in changed}
        changed.add(k + 1)
        k += 1
    return lines


def docstrings(obj: griffe.Object) -> Iterator[griffe.Object]:
    """Every object of the package that has a docstring, private ones included."""
    if obj.docstring is not None:
        yield obj
    for member in obj.members.values():
        if member.is_alias:
            continue
        assert isinstance(member, griffe.Object)
        yield from docstrings(member)


def convert_file(
    path: Path, owners: list[griffe.Object], module: griffe.Object, rendered: set[str], stats: Stats
) -> str:
    lines = path.read_text().split("\n")
    spans: list[tuple[int, int, griffe.Object]] = []
    for owner in owners:
        doc = owner.docstring
        assert doc is not None
        assert doc.lineno is not None
        assert doc.endlineno is not None
        spans.append((doc.lineno - 1, doc.endlineno, owner))
    for start, end, owner in sorted(spans, key=lambda s: s[0], reverse=True):
        chunk = lines[start:end]
        base = _indent(chunk[0])
        before = list(chunk)
        first = Stats()
        summary = ROLE.sub(lambda m, o=owner, f=first: convert_role(m, o, rendered, f), chunk[0])
        if len(summary) > LINE_LIMIT:  # the summary line cannot wrap: relative references
            first = Stats()
            summary = ROLE.sub(
                lambda m, o=owner, f=first: convert_role(m, o, rendered, f, short_form=True),
                chunk[0],
            )
        if len(summary) > LINE_LIMIT:  # still too long: the names stay plain code
            first = Stats()
            summary = ROLE.sub(lambda m, o=owner, f=first: convert_role(m, o, set(), f), chunk[0])
        stats.linked += first.linked
        stats.plain += first.plain
        chunk = [summary] + [
            ROLE.sub(lambda m, o=owner: convert_role(m, o, rendered, stats), c) for c in chunk[1:]
        ]
        changed = {k for k, (a, b) in enumerate(zip(before, chunk, strict=True)) if a != b}
        chunk = wrap(chunk, changed)
        chunk = convert_blocks(chunk, base, stats)
        lines[start:end] = chunk
    # Roles outside the docstrings griffe sees (nested functions): resolved in the module.
    text = "\n".join(lines)
    return ROLE.sub(lambda m: convert_role(m, module, rendered, stats), text)


def convert(root: Path, *, write: bool) -> Stats:
    package = load(root)
    rendered = rendered_paths(root, package)
    stats = Stats()
    by_file: dict[Path, list[griffe.Object]] = {}
    modules: dict[Path, griffe.Object] = {}
    for obj in docstrings(package):
        filepath = obj.filepath
        assert isinstance(filepath, Path)
        by_file.setdefault(filepath, []).append(obj)
    for module in _modules(package):
        assert isinstance(module.filepath, Path)
        modules[module.filepath] = module
    for path, owners in sorted(by_file.items()):
        old = path.read_text()
        new = convert_file(path, owners, modules[path], rendered, stats)
        if new != old:
            stats.files.add(path)
            if write:
                path.write_text(new)
    return stats


def _modules(obj: griffe.Object) -> Iterator[griffe.Object]:
    yield obj
    for member in obj.members.values():
        if not member.is_alias and member.is_module:
            assert isinstance(member, griffe.Object)
            yield from _modules(member)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if needed")
    parser.add_argument("-v", "--verbose", action="store_true", help="list names left as code")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    stats = convert(root, write=not args.check)
    verb = "would change" if args.check else "changed"
    print(
        f"{verb} {len(stats.files)} files: {stats.linked} cross-references, "
        f"{len(stats.plain)} names as plain code, {stats.blocks} code blocks",
        file=sys.stderr,
    )
    if args.verbose:
        for name in stats.plain:
            print(f"  plain: {name}", file=sys.stderr)
    return 1 if args.check and stats.files else 0


if __name__ == "__main__":
    sys.exit(main())
