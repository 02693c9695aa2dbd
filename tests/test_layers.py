"""The package's layers: every import points downward, no module cycle, no vendor below.

The layers (docs/development.md#layout), top to bottom::

    6  cli, __main__                  the command: serves, or runs a tool
    5  bench, client, testing, pytest_plugin   the toolkit users drive tests with
    4  app, settings                  the composition root of one server
    3  control, inspector             /_emulator/ (the API and the pages)
    2  asleep, kintsugi               one vendor each; never each other
    1  core, audio                    vendor-neutral; neither imports the other

An import may go to a lower layer, or sideways inside layers 4 to 6 (the entry points
compose each other: ``app`` reads ``settings``, the pytest plugin hands out the
client); never sideways in layers 1 and 2. ``emulator``'s own
``__init__`` (the version) is importable from anywhere. The graph is read from the
source with ``ast`` (imports inside functions count too), so what this test prints is
the import graph of the package.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "emulator"

RANK = {
    "cli": 6,
    "__main__": 6,
    "bench": 5,
    "client": 5,
    "testing": 5,
    "pytest_plugin": 5,
    "app": 4,
    "settings": 4,
    "control": 3,
    "inspector": 3,
    "asleep": 2,
    "kintsugi": 2,
    "core": 1,
    "audio": 1,
}
VENDOR_WORDS = re.compile(r"asleep|kintsugi", re.I)


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path


def _unit(module: str) -> str:
    """The top-level part of ``emulator`` a module belongs to (``emulator`` for the root)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "emulator"


MODULES = {name for name, _ in _modules()}


def _imports(tree: ast.AST, *, top_level_only: bool = False) -> Iterator[str]:
    """Every ``emulator`` module an import statement names: ``from emulator.asleep import
    chunks`` names ``emulator.asleep.chunks`` when that is a module, else the package."""
    nodes = tree.body if top_level_only and isinstance(tree, ast.Module) else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("emulator"))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] != "emulator":
                continue
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                yield submodule if submodule in MODULES else node.module


def _edges() -> Counter[tuple[str, str]]:
    found: Counter[tuple[str, str]] = Counter()
    for name, path in _modules():
        source = _unit(name)
        for target in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            unit = _unit(target)
            if unit not in (source, "emulator"):
                found[(source, unit)] += 1
    return found


def test_every_import_points_downward() -> None:
    edges = _edges()
    print("\nimport graph of emulator/ (arrow: imports; figure: import statements)")
    for (source, target), count in sorted(edges.items(), key=lambda e: (-RANK[e[0][0]], e[0])):
        print(f"  {source:14} ({RANK[source]}) -> {target:10} ({RANK[target]})  {count}")
    upward = [(s, t) for s, t in edges if RANK[t] > RANK[s] or (RANK[t] == RANK[s] and RANK[s] < 4)]
    assert upward == [], f"imports that do not point downward: {upward}"


def test_every_part_of_the_package_has_a_layer() -> None:
    units = {_unit(name) for name, _ in _modules()} - {"emulator"}
    assert units == set(RANK)


def test_no_cycle_among_modules() -> None:
    """Module-level imports form no cycle (one inside a function runs later and may)."""
    graph: dict[str, set[str]] = {}
    for name, path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[name] = {t for t in _imports(tree, top_level_only=True) if t in MODULES} - {name}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)) is not None:
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            assert cycle is None, f"import cycle: {' -> '.join(cycle)}"


def _code_words(path: Path) -> Iterator[tuple[int, str]]:
    """Names and string literals of a module, docstrings and comments left out."""
    text = path.read_text(encoding="utf-8")
    docstrings = {
        node.body[0].value.lineno
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
        and isinstance(node.body[0].value.value, str)
    }
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.NAME or (
            token.type == tokenize.STRING and token.start[0] not in docstrings
        ):
            yield token.start[0], token.string


def test_core_and_audio_name_no_vendor_in_code() -> None:
    """Core and audio cite vendor documents in comments, but no code names a vendor."""
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {word[:60]}"
        for name, path in _modules()
        if _unit(name) in ("core", "audio")
        for line, word in _code_words(path)
        if VENDOR_WORDS.search(word)
    ]
    assert found == []
