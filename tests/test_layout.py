"""The layout rules of the design contract, checked over the source: no module of
autograd or nn over about 650 lines, no function over about 60 lines of code."""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(p for package in ("autograd", "nn") for p in (ROOT / package).rglob("*.py"))
MODULE_LINES = 650
FUNCTION_LINES = 60


def _code_lines(source: str) -> set[int]:
    """The lines that hold code: not blank, not only a comment."""
    lines: set[int] = set()
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in skip and token.type != tokenize.ENDMARKER:
            lines.update(range(token.start[0], token.end[0] + 1))
    return lines


def _function_sizes(source: str) -> list[tuple[str, int, int]]:
    """(name, line, lines of code) of every function: the lines of its body after its
    docstring that hold code (the signature and the docstring are not counted)."""
    code = _code_lines(source)
    sizes = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if ast.get_docstring(node) is not None:
                body = body[1:]
            if body:
                first, last = body[0].lineno, node.end_lineno or node.lineno
                sizes.append((node.name, node.lineno, sum(first <= n <= last for n in code)))
    return sizes


def test_the_size_of_a_function_counts_its_body_lines_of_code() -> None:
    source = (
        'def f(\n    x,\n):\n    """Doc.\n\n    More."""\n'  # the signature, the docstring
        "    # why\n    y = x\n\n    return (\n        y\n    )\n"  # 4 lines of code
    )
    assert _function_sizes(source) == [("f", 1, 4)]


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(ROOT)) for p in MODULES])
def test_modules_stay_under_about_650_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MODULE_LINES, f"{path.name} has {lines} lines: split it"


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(ROOT)) for p in MODULES])
def test_functions_stay_under_about_60_lines_of_code(path: Path) -> None:
    long = [
        f"{name} (line {line}): {size} lines of code"
        for name, line, size in _function_sizes(path.read_text(encoding="utf-8"))
        if size > FUNCTION_LINES
    ]
    assert long == []
