"""Every public function, method and class of the service layer says what it takes and gives (issue 18: shapes,
units, errors and the SOP line or outside document where there is one). This test sees only that a docstring is
there; what it says is for review."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["monitoring", "triage", "scheduler", "messages"]


def undocumented(path: Path) -> list[str]:
    """`name:line` of each public def or class in `path` (top level, and methods of public classes) with no
    docstring; overload stubs are left out (their implementation carries it)."""
    missing = []
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            if ast.get_docstring(node) is None:
                missing.append(f"class {node.name}:{node.lineno}")
            members = [m for m in node.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))]
            missing += [f"{node.name}.{m.name}:{m.lineno}" for m in members
                        if not m.name.startswith("_") and ast.get_docstring(m) is None]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
            overload = any(isinstance(d, ast.Name) and d.id == "overload" for d in node.decorator_list)
            if not overload and ast.get_docstring(node) is None:
                missing.append(f"{node.name}:{node.lineno}")
    return missing


MODULES = sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(ROOT)) for p in MODULES])
def test_every_public_function_and_class_has_a_docstring(path):
    assert undocumented(path) == []


def test_the_check_sees_a_missing_docstring(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('def shown(): return 1\n\ndef told():\n    """Says."""\n\nclass Kept:\n    def open(self): ...\n')
    assert undocumented(sample) == ["shown:1", "class Kept:6", "Kept.open:7"]
