"""nn is built on autograd's public names only: no module of nn imports a private
module of autograd (``autograd._page``) or a private name from a public one."""

from __future__ import annotations

import ast
from pathlib import Path

import nn

NN = Path(nn.__file__).parent


def _private_uses(path: Path) -> list[str]:
    """Every import of a private autograd module or name in ``path``, and every
    ``autograd._name`` attribute read, as "line: what"."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            parts = node.module.split(".")
            if parts[0] != "autograd":
                continue
            private = [p for p in parts if p.startswith("_")]
            private += [a.name for a in node.names if a.name.startswith("_")]
            if private:
                found.append(f"{node.lineno}: from {node.module} import {private}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "autograd" and any(p.startswith("_") for p in parts):
                    found.append(f"{node.lineno}: import {alias.name}")
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id == "autograd":
                found.append(f"{node.lineno}: autograd...{node.attr}")
    return found


def test_nn_imports_no_private_name_of_autograd() -> None:
    uses = {p.name: _private_uses(p) for p in sorted(NN.rglob("*.py"))}
    assert {name: found for name, found in uses.items() if found} == {}


def test_the_scan_finds_a_private_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import autograd\nfrom autograd._page import Page\nfrom autograd.engine import _node\n"
        "x = autograd.engine._as_number\nfrom autograd import Value\n"
    )
    assert [use.split(":")[0] for use in _private_uses(sample)] == ["2", "3", "4"]
