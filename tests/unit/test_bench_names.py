"""The benchmarks run by hand, never in CI: a module they name must still have what they take from it,
so a function moved to another module fails here, not in the next person's measurement."""
from __future__ import annotations

import ast
import importlib
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = ("common", "devstack", "bench")


def _modules_and_uses(path: Path):
    tree = ast.parse(path.read_text())
    modules = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in OURS and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if importlib.util.find_spec(node.module) and _is_module(full):
                    modules[alias.asname or alias.name] = full
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in OURS and alias.asname:
                    modules[alias.asname] = alias.name
    uses = {(n.value.id, n.attr, n.lineno) for n in ast.walk(tree)
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in modules}
    return modules, uses


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


@pytest.mark.parametrize("path", sorted((ROOT / "bench").glob("*.py")), ids=lambda p: p.name)
def test_every_name_a_benchmark_takes_from_our_modules_is_there(path):
    modules, uses = _modules_and_uses(path)
    missing = [f"{path.name}:{line}: {name}.{attr} ({modules[name]})" for name, attr, line in sorted(uses)
               if not hasattr(importlib.import_module(modules[name]), attr)]
    assert not missing, missing
