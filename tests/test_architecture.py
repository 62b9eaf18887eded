"""The shape of the package: import direction (import-linter contracts), few top-level geo modules, no cycles."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp

from geo.config import REPO_ROOT

PACKAGES = ("geo", "layers", "webmap", "cli")
"""The root packages of ``[tool.importlinter]`` in pyproject.toml."""

MAX_GEO_MODULES = 10
"""Top-level modules of ``geo/`` beside its subpackages (``__init__.py`` not counted)."""

SUMMARY = re.compile(r"Contracts: (\d+) kept, (\d+) broken")


def _lint_imports(root: Path) -> tuple[int, str, tuple[int, int]]:
    """Run ``lint-imports`` in ``root`` (its pyproject.toml): exit code, output, (kept, broken)."""
    command = [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=300)
    output = done.stdout + done.stderr
    summary = SUMMARY.search(output)
    assert summary is not None, output
    return done.returncode, output, (int(summary.group(1)), int(summary.group(2)))


def _contracts() -> list[dict]:
    with open(REPO_ROOT / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)["tool"]["importlinter"]["contracts"]


def test_the_import_contracts_of_pyproject_are_kept():
    code, output, (kept, broken) = _lint_imports(REPO_ROOT)
    assert code == 0, output
    assert (kept, broken) == (len(_contracts()), 0), output
    assert len(_contracts()) >= 2


def test_an_upward_import_from_geo_breaks_the_contract(tmp_path: Path):
    for package in PACKAGES:
        shutil.copytree(REPO_ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "geo" / "_probe.py").write_text('"""Imports upward, against the contract."""\n\nimport layers\n')
    code, output, (kept, broken) = _lint_imports(tmp_path)
    assert code == 1, output
    assert (kept, broken) == (len(_contracts()) - 1, 1), output
    assert "geo <- layers <- webmap <- cli: no upward import BROKEN" in output
    assert "geo._probe -> layers" in output


def test_geo_has_few_top_level_modules():
    modules = sorted(p.stem for p in (REPO_ROOT / "geo").glob("*.py") if p.name != "__init__.py")
    assert len(modules) <= MAX_GEO_MODULES, modules


def test_no_import_cycle_between_geo_modules():
    graph = grimp.build_graph("geo", cache_dir=None)
    cycle = _find_cycle(graph)
    assert cycle is None, " -> ".join(cycle or [])


def test_the_cycle_search_finds_a_cycle():
    graph = grimp.ImportGraph()
    for importer, imported in [("g.a", "g.b"), ("g.b", "g.c"), ("g.c", "g.a"), ("g.d", "g.a")]:
        graph.add_import(importer=importer, imported=imported)
    assert _find_cycle(graph) == ["g.a", "g.b", "g.c", "g.a"]
    graph.remove_import(importer="g.c", imported="g.a")
    assert _find_cycle(graph) is None


def _find_cycle(graph: grimp.ImportGraph) -> list[str] | None:
    """The first import cycle of ``graph`` met by a depth-first search (its modules in import order), or None."""
    done: set[str] = set()
    for start in sorted(graph.modules):
        if start in done:
            continue
        path = [start]
        on_path = {start}
        stack = [iter(sorted(graph.find_modules_directly_imported_by(start)))]
        while stack:
            imported = next(stack[-1], None)
            if imported is None:
                stack.pop()
                finished = path.pop()
                on_path.discard(finished)
                done.add(finished)
                continue
            if imported in on_path:
                return [*path[path.index(imported) :], imported]
            if imported not in done:
                path.append(imported)
                on_path.add(imported)
                stack.append(iter(sorted(graph.find_modules_directly_imported_by(imported))))
    return None
