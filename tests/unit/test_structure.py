"""The package map holds: each package of common/ imports only the packages docs/architecture.md lets
it, every package says what it owns, and no unit grows past its bound unnoticed."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

COMMON = Path(__file__).resolve().parents[2] / "common"
# What each package may import (docs/architecture.md, "The package map"): a package sees only those
# below it, so nothing imports upward and there is no cycle.
MAY_IMPORT = {
    "core": set(),
    "gcp": {"core"},
    "menu": {"core"},
    "profiles": {"core", "gcp"},
    "engines": {"core", "menu", "profiles"},
    "jobs": {"core", "gcp", "profiles"},
    "notify": {"core", "gcp", "jobs"},
    "api": {"core", "gcp", "jobs", "notify", "profiles"},
    "streaming": {"core", "gcp", "jobs", "api"},
    "scan": {"core", "gcp", "jobs", "menu", "engines", "notify", "profiles"},
}


def _imports(path: Path) -> set[str]:
    """The common packages a module imports, type-checking-only imports aside."""
    tree = ast.parse(path.read_text())
    typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                   and getattr(node.test, "id", getattr(node.test, "attr", "")) == "TYPE_CHECKING"
                   for n in ast.walk(node)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "common":
            parts = node.module.split(".")
            found |= {a.name for a in node.names} if len(parts) == 1 else {parts[1]}
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("common.")}
    return found


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_each_package_imports_only_the_packages_below_it(package):
    wrong = {}
    for path in (COMMON / package).rglob("*.py"):
        bad = _imports(path) - MAY_IMPORT[package] - {package}
        if bad:
            wrong[str(path.relative_to(COMMON))] = sorted(bad)
    assert wrong == {}


def test_every_module_of_common_lives_in_a_package_that_says_what_it_owns():
    loose = [p.name for p in COMMON.glob("*.py") if p.name != "__init__.py"]
    assert loose == []
    for package in MAY_IMPORT:
        doc = ast.get_docstring(ast.parse((COMMON / package / "__init__.py").read_text()))
        assert doc and len(doc) > 40, package


def test_no_package_or_module_is_named_for_no_concern():
    names = {p.stem for p in COMMON.rglob("*.py")} | {p.name for p in COMMON.rglob("*") if p.is_dir()}
    assert not names & {"utils", "util", "helpers", "helper", "misc", "common"}
